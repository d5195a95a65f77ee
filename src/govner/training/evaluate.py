"""``govner evaluate``: strict entity scores plus an error table, for a model or the rules.

Both systems go through one function, :func:`evaluate_examples`, which only needs a
``predict(texts) -> entities`` callable: the model's is :class:`govner.predict.predictor.Predictor`
(the one inference path, windowing included), the baseline's is ``govner.rules.tagger``.
"""
from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Callable, Sequence

from govner.training.data import Example, load_examples, select_split
from govner.errors import GovnerError
from govner.training.metrics import AVERAGES, ERROR_KINDS, Span, error_table, span_scores
from govner.schema import LABEL_CODES

log = logging.getLogger(__name__)

PredictFn = Callable[[list[str]], list[list[dict]]]


def model_predict_fn(model_dir: str | Path, device: str = "auto", batch_size: int = 64) -> PredictFn:
    from govner.predict.predictor import Predictor

    predictor = Predictor.from_pretrained(str(model_dir), device=device)
    return lambda texts: predictor.predict(list(texts), batch_size=batch_size)


def rules_predict_fn() -> PredictFn | None:
    """The rule pre-labeller, or None when this checkout has none."""
    try:
        from govner.rules.tagger import rule_entities
    except ImportError:
        return None
    return lambda texts: [rule_entities(t) for t in texts]


def _spans(entities: list[dict]) -> list[Span]:
    return sorted((int(e["start"]), int(e["end"]), str(e["label"])) for e in entities)


def evaluate_examples(examples: Sequence[Example], predict: PredictFn, n_examples: int = 5) -> dict:
    """``{"n_sentences", "scores": {label|micro|macro: {...}}, "errors": {...}}``."""
    texts = [ex.text for ex in examples]
    gold = [sorted(ex.spans) for ex in examples]
    pred = [_spans(ents) for ents in predict(texts)] if texts else []
    return {"n_sentences": len(texts), "scores": span_scores(texts, gold, pred),
            "errors": error_table(texts, gold, pred, n_examples)}


def scores_table(scores: dict, title: str = "") -> str:
    """seqeval-style report as a plain-text table."""
    head = f"{title}\n" if title else ""
    lines = [f"{'':>12} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}"]
    for name in LABEL_CODES + AVERAGES:
        r = scores[name]
        label = name if name in LABEL_CODES else f"{name} avg"
        lines.append(f"{label:>12} {r['precision']:9.4f} {r['recall']:9.4f} {r['f1']:9.4f} {r['support']:8d}")
        if name == LABEL_CODES[-1]:
            lines.append("")
    return head + "\n".join(lines)


def errors_text(errors: dict) -> str:
    counts = errors["counts"]
    lines = ["entity-level errors", f"{'':>12}" + "".join(f"{c:>13}" for c in LABEL_CODES) + f"{'total':>8}"]
    for kind in ERROR_KINDS:
        row = counts[kind]
        lines.append(f"{kind:>12}" + "".join(f"{row[c]:13d}" for c in LABEL_CODES) + f"{sum(row.values()):8d}")
    for kind in ERROR_KINDS:
        if not errors["examples"][kind]:
            continue
        lines.append(f"\n{kind}:")
        for e in errors["examples"][kind]:
            g = f"gold {e['gold']['label']} “{e['gold']['text']}”" if e["gold"] else "gold -"
            p = f"pred {e['pred']['label']} “{e['pred']['text']}”" if e["pred"] else "pred -"
            lines.append(f"  {g} | {p} | {e['text'][:80]}")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    from govner.training.data import expand_files
    from govner.fileio import atomic_write_json, check_output

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if not args.rules and not Path(args.model).is_dir():
        raise GovnerError(f"--model {args.model}: not a directory")
    # the report path is checked before the work, not after it (a directory, or an annotation file)
    out = args.out or (None if args.rules else str(Path(args.model) / f"eval_{args.split}.json"))
    inputs = expand_files(args.data)
    if out:
        check_output(out, inputs + [Path(args.splits)], "--out")
    examples = select_split(load_examples(args.data), args.splits, args.split)
    if not examples:
        raise GovnerError(f"--split {args.split}: no annotated sentences in {', '.join(args.data)}")
    if args.rules:
        predict = rules_predict_fn()
        if predict is None:
            raise GovnerError("--rules: govner.rules.tagger is not available in this installation")
        system = "rules"
    else:
        predict = model_predict_fn(args.model, args.device)
        system = args.model
    result = evaluate_examples(examples, predict)
    result.update(system=system, split=args.split, data=list(args.data))
    print(scores_table(result["scores"], f"{system} on {args.split} ({len(examples)} sentences)"))
    print()
    print(errors_text(result["errors"]))
    if out:
        atomic_write_json(out, result, inputs=inputs)
        print(f"\nwritten: {out}")
    return 0
