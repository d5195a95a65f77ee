"""seqeval glue and entity-level error analysis.

Scores are strict entity-level (IOB2, exact boundaries and label). Final scores (metrics.json,
``govner evaluate``) are computed on *characters*: gold and predicted spans become one tag
per character, so the model and the rule baseline are scored on the same footing whatever
their tokenisation. Per-epoch dev scores during training use the model's token tags per window
(the same entities whenever spans sit on token boundaries, which the data report checks).
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from govner.schema import ID2TAG, LABEL_CODES

Span = tuple[int, int, str]
AVERAGES = ("micro", "macro")


def seqeval_scores(y_true: list[list[str]], y_pred: list[list[str]]) -> dict[str, dict[str, float]]:
    """``{label|micro|macro: {precision, recall, f1, support}}`` for every schema label.

    Macro averages over the labels seen in gold or predictions (seqeval's definition).
    """
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    has_entities = any(t != "O" for seq in list(y_true) + list(y_pred) for t in seq)
    rep = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True,
                                zero_division=0) if has_entities else {}  # seqeval fails on none
    out = {}
    for name in LABEL_CODES + AVERAGES:
        row = rep.get(name if name in LABEL_CODES else f"{name} avg", {})
        out[name] = {k: float(row.get(k, 0.0)) for k in ("precision", "recall", "f1-score")}
        out[name]["f1"] = out[name].pop("f1-score")
        out[name]["support"] = int(row.get("support", 0))
    return out


def spans_to_char_tags(length: int, spans: Iterable[Span]) -> list[str]:
    tags = ["O"] * length
    for start, end, label in spans:
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return tags


def span_scores(texts: Sequence[str], gold: Sequence[Iterable[Span]],
                pred: Sequence[Iterable[Span]]) -> dict[str, dict[str, float]]:
    """Character-level strict entity scores, i.e. exact span matches."""
    y_true = [spans_to_char_tags(len(t), g) for t, g in zip(texts, gold)]
    y_pred = [spans_to_char_tags(len(t), p) for t, p in zip(texts, pred)]
    return seqeval_scores(y_true, y_pred)


def trainer_metrics(predictions, label_ids) -> dict[str, float]:
    """Flat dict for ``Trainer.compute_metrics``: ``micro_f1``, ``f1_VALUE``, ..."""
    import numpy as np

    from govner.modeling.decode import allowed_transitions, viterbi

    tags = [ID2TAG[i] for i in range(len(ID2TAG))]
    allowed = allowed_transitions(tags)
    logits = np.asarray(predictions, dtype=np.float64)
    log_probs = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    y_true, y_pred = [], []
    for lp_row, l_row in zip(log_probs, label_ids):
        keep = l_row != -100
        y_true.append([ID2TAG[int(i)] for i in l_row[keep]])
        # decoded as the Predictor decodes (govner.modeling.decode), so dev scores are what users get
        y_pred.append([tags[i] for i in viterbi(lp_row[keep], allowed)])
    return flatten(seqeval_scores(y_true, y_pred))


def flatten(scores: dict[str, dict[str, float]]) -> dict[str, float]:
    out = {}
    for name, row in scores.items():
        for k in ("precision", "recall", "f1"):
            out[f"{name}_{k}" if name in AVERAGES else f"{k}_{name}"] = row[k]
    return out


# --- error analysis ---------------------------------------------------------------------

ERROR_KINDS = ("wrong_label", "boundary", "missed", "spurious")


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def classify_errors(gold: list[Span], pred: list[Span]) -> list[tuple[str, Span | None, Span | None]]:
    """Each non-exact gold/predicted span as (kind, gold, pred).

    ``wrong_label``: overlapping spans with different labels (same or different boundaries);
    ``boundary``: same label, overlapping but not identical; ``missed``: a gold span no
    prediction touches; ``spurious``: a prediction no gold span touches.
    """
    gold_set, pred_set = set(gold), set(pred)
    g_left = [g for g in gold if g not in pred_set]
    p_left = [p for p in pred if p not in gold_set]
    out: list[tuple[str, Span | None, Span | None]] = []
    used: set[Span] = set()
    for g in g_left:
        partners = [p for p in p_left if _overlaps(g, p)]
        if not partners:
            out.append(("missed", g, None))
            continue
        p = next((p for p in partners if p[2] == g[2]), partners[0])
        used.add(p)
        out.append(("boundary" if p[2] == g[2] else "wrong_label", g, p))
    for p in p_left:
        if p not in used and not any(_overlaps(p, g) for g in gold):
            out.append(("spurious", None, p))
    return out


def error_table(texts: Sequence[str], gold: Sequence[list[Span]], pred: Sequence[list[Span]],
                examples_per_kind: int = 5) -> dict:
    """Counts per kind and label, plus a few examples of each kind."""
    counts: Counter = Counter()
    shown: dict[str, list[dict]] = {k: [] for k in ERROR_KINDS}
    for i, (text, g, p) in enumerate(zip(texts, gold, pred)):
        for kind, gs, ps in classify_errors(list(g), list(p)):
            counts[(kind, (gs or ps)[2])] += 1
            if len(shown[kind]) < examples_per_kind:
                shown[kind].append({
                    "sentence": i, "text": text,
                    "gold": None if gs is None else {"span": list(gs[:2]), "label": gs[2], "text": text[gs[0]:gs[1]]},
                    "pred": None if ps is None else {"span": list(ps[:2]), "label": ps[2], "text": text[ps[0]:ps[1]]},
                })
    table = {kind: {c: counts[(kind, c)] for c in LABEL_CODES} for kind in ERROR_KINDS}
    return {"counts": table, "examples": shown}
