"""Scores for linking and number parsing against gold annotations.

Why separate from the tagger's scores: the linker is judged on *gold* entities, so a link
error is the linker's and not the tagger's. Gold links are Label Studio relations drawn from
a VALUE to an INDICATOR (the labeling config of ``govner ls config`` offers the relation
``数值→指标``); in an export they sit in the annotation's ``result`` list beside the spans::

    {"type": "relation", "from_id": "<VALUE result id>", "to_id": "<INDICATOR result id>",
     "direction": "right", "labels": ["数值→指标"]}

A relation drawn the other way (INDICATOR → VALUE, or ``direction: "left"``) means the same
pair and is read as such; a relation between any other two labels is an error naming the task.

* :func:`link_scores`: precision/recall/F1 over (value span, indicator span) pairs of
  :func:`~govner.extract.link.measures` on the gold entities, plus the share of gold VALUEs
  whose whole set of indicators (possibly empty) is exactly right.
* :func:`end_to_end_scores`: the same P/R/F1 for records made from a tagger's entities on the raw
  sentences (``govner extract``'s output), exact value and indicator spans required.
* :func:`number_scores`: exact-match accuracy of ``number`` (with ``low``/``high``), ``unit`` and
  ``change`` against a hand-checked sheet of gold values; :func:`number_sheet` writes the sheet
  to check, pre-filled with the parser's answers.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from govner.errors import GovnerError
from govner.labelstudio.reader import read_annotation_file
from govner.extract.link import measures, value_contexts
from govner.extract.numbers import parse_value

Pair = tuple[int, int, int, int]  # value start, value end, indicator start, indicator end


@dataclass
class GoldSentence:
    task_id: Any
    doc_id: str
    sent_idx: int
    text: str
    entities: list[dict]
    links: set[Pair] = field(default_factory=set)


def gold_from_result(text: str, result: Iterable[dict], where: str) -> tuple[list[dict], set[Pair]]:
    """Entities (Python offsets, as in annotations/) and VALUE→INDICATOR links of one annotation."""
    from govner.labelstudio.convert import entities_from_result

    result = list(result)
    by_id: dict[str, dict] = {}
    for r in result:
        if r.get("type") == "labels" and r.get("id") is not None:
            ents = entities_from_result(text, [r], where, utf16=False)
            if ents:
                by_id[str(r["id"])] = ents[0]
    entities = entities_from_result(text, result, where, utf16=False)
    links: set[Pair] = set()
    for r in result:
        if r.get("type") != "relation":
            continue
        a, b = by_id.get(str(r.get("from_id"))), by_id.get(str(r.get("to_id")))
        if a is None or b is None:
            missing = r.get("from_id") if a is None else r.get("to_id")
            raise GovnerError(f"{where}: relation {r.get('from_id')} -> {r.get('to_id')} names region "
                              f"{missing!r}, which is not a labelled span of this annotation")
        if r.get("direction") == "left":
            a, b = b, a
        if a["label"] == "INDICATOR" and b["label"] == "VALUE":
            a, b = b, a
        if not (a["label"] == "VALUE" and b["label"] == "INDICATOR"):
            raise GovnerError(f"{where}: relation {r.get('from_id')} -> {r.get('to_id')} links "
                              f"{a['label']} {a['text']!r} to {b['label']} {b['text']!r}; only VALUE → "
                              "INDICATOR links are annotated")
        links.add((a["start"], a["end"], b["start"], b["end"]))
    return entities, links


def gold_from_tasks(tasks: list[dict], where: str = "") -> list[GoldSentence]:
    """One gold sentence per task with a live annotation (the ground truth one, else the latest)."""
    from govner.labelstudio.convert import choose_annotation

    out = []
    for n, t in enumerate(tasks):
        ann = choose_annotation(t)
        if ann is None:
            continue
        data = t.get("data") or {}
        label = f"{where + ': ' if where else ''}task {t.get('id', f'#{n}')}"
        entities, links = gold_from_result(data["text"], ann.get("result") or [], label)
        out.append(GoldSentence(t.get("id"), str(data.get("doc_id", "")), int(data.get("sent_idx", 0)),
                                data["text"], entities, links))
    return out


def read_gold(paths: Iterable[str | Path], split: str = "all",
              splits_path: str | Path = "annotations/splits.yaml") -> list[GoldSentence]:
    """Gold sentences of annotation files (annotations/*.json), optionally of one split only."""
    out: list[GoldSentence] = []
    for p in paths:
        p = Path(p)
        if p.name == "splits.yaml":
            continue
        if not p.is_file():
            raise GovnerError(f"{p}: annotation file not found")
        # the project's one annotation reader: decoding, structure, offsets and overlaps checked
        out.extend(gold_from_tasks(read_annotation_file(p), str(p)))
    if split != "all":
        from govner.training.data import read_splits

        owner = read_splits(splits_path)
        out = [g for g in out if owner.get(g.doc_id) == split]
    return out


def predicted_links(sentence: GoldSentence) -> set[Pair]:
    return {(m["value"]["start"], m["value"]["end"], m["indicator"]["start"], m["indicator"]["end"])
            for m in measures(sentence.text, sentence.entities) if m["indicator"] is not None}


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def link_scores(gold: list[GoldSentence], n_examples: int = 20) -> dict[str, Any]:
    """Link P/R/F1 of measures() on gold entities; ``value_accuracy`` per gold VALUE; some mistakes."""
    tp = fp = fn = 0
    values = exact = 0
    mistakes: list[dict] = []
    for g in gold:
        pred = predicted_links(g)
        tp += len(pred & g.links)
        fp += len(pred - g.links)
        fn += len(g.links - pred)
        for v in (e for e in g.entities if e["label"] == "VALUE"):
            want = {(p[2], p[3]) for p in g.links if p[:2] == (v["start"], v["end"])}
            got = {(p[2], p[3]) for p in pred if p[:2] == (v["start"], v["end"])}
            values += 1
            if want == got:
                exact += 1
            elif len(mistakes) < n_examples:
                mistakes.append({"task_id": g.task_id, "doc_id": g.doc_id, "sent_idx": g.sent_idx,
                                 "text": g.text, "value": v["text"],
                                 "gold": [g.text[s:e] for s, e in sorted(want)],
                                 "predicted": [g.text[s:e] for s, e in sorted(got)]})
    return {**_prf(tp, fp, fn), "tp": tp, "fp": fp, "fn": fn, "sentences": len(gold), "values": values,
            "value_accuracy": exact / values if values else 0.0, "mistakes": mistakes}


def end_to_end_scores(gold: list[GoldSentence], entity_lists: list[list[dict]]) -> dict[str, Any]:
    """Measure-record P/R/F1 from a tagger's entities (one list per gold sentence) against the gold links.

    A predicted record counts only when both its value and its indicator spans match a gold
    link exactly, so tagger and linker errors both cost.
    """
    if len(entity_lists) != len(gold):
        raise GovnerError(f"end_to_end_scores: {len(entity_lists)} entity lists for {len(gold)} gold sentences")
    tp = fp = fn = 0
    for g, ents in zip(gold, entity_lists):
        pred = predicted_links(GoldSentence(g.task_id, g.doc_id, g.sent_idx, g.text, ents))
        tp += len(pred & g.links)
        fp += len(pred - g.links)
        fn += len(g.links - pred)
    return {**_prf(tp, fp, fn), "tp": tp, "fp": fp, "fn": fn, "sentences": len(gold)}


# --- numbers -------------------------------------------------------------------------------

SHEET_FIELDS = ("number", "low", "high", "unit", "change")


def number_sheet(gold: list[GoldSentence]) -> list[dict]:
    """One row per gold VALUE, pre-filled with the parser's answers, for a person to correct.

    Rows hold ``text`` and its ``before``/``after`` context (what measures() passes to
    parse_value) and ``checked: false``; set it to true once the fields are right.
    """
    rows = []
    for g in gold:
        contexts = value_contexts(g.text, g.entities)
        for v in (e for e in g.entities if e["label"] == "VALUE"):
            before, after = contexts[(v["start"], v["end"])]
            p = parse_value(v["text"], before=before, after=after)
            rows.append({"doc_id": g.doc_id, "sent_idx": g.sent_idx, "start": v["start"], "end": v["end"],
                         "text": v["text"], "before": before, "after": after,
                         **{k: p[k] for k in SHEET_FIELDS}, "checked": False})
    return rows


def refresh_sheet_context(sheet: list[dict], gold: list[GoldSentence]) -> dict[str, int]:
    """Recompute the ``before``/``after`` of every sheet row in place from the gold sentences.

    For when what measures() passes to parse_value changes: rows are found by ``doc_id``,
    ``sent_idx``, ``start`` and ``end``, and nothing else in them is touched (the checked
    ``number``/``low``/``high``/``unit``/``change``/``checked`` stay as they are). A row whose
    sentence or VALUE span is no longer in the gold keeps its old context and is counted as
    ``missing``. Returns the counts ``changed``, ``same`` and ``missing``.
    """
    by_sentence = {(g.doc_id, g.sent_idx): g for g in gold}
    contexts: dict[tuple[str, int], dict[tuple[int, int], tuple[str, str]]] = {}
    counts = {"changed": 0, "same": 0, "missing": 0}
    for r in sheet:
        key = (str(r.get("doc_id")), int(r.get("sent_idx", -1)))
        g = by_sentence.get(key)
        if g is None:
            counts["missing"] += 1
            continue
        if key not in contexts:
            contexts[key] = value_contexts(g.text, g.entities)
        span = (r.get("start"), r.get("end"))
        if span not in contexts[key] or g.text[span[0]:span[1]] != r.get("text"):
            counts["missing"] += 1
            continue
        before, after = contexts[key][span]
        if (r.get("before"), r.get("after")) == (before, after):
            counts["same"] += 1
        else:
            r["before"], r["after"] = before, after
            counts["changed"] += 1
    return counts


def _same_number(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)


def number_scores(sheet: list[dict], checked_only: bool = True) -> dict[str, Any]:
    """Exact-match accuracy of number (with low/high), unit and change, and of all three together."""
    rows = [r for r in sheet if r.get("checked") or not checked_only]
    hits = {"number": 0, "unit": 0, "change": 0, "all": 0}
    wrong: list[dict] = []
    for r in rows:
        p = parse_value(r["text"], before=r.get("before", ""), after=r.get("after", ""))
        ok = {"number": all(_same_number(p[k], r.get(k)) for k in ("number", "low", "high")),
              "unit": p["unit"] == r.get("unit"), "change": p["change"] == r.get("change")}
        ok["all"] = all(ok.values())
        for k, v in ok.items():
            hits[k] += v
        if not ok["all"] and len(wrong) < 20:
            wrong.append({"text": r["text"], "gold": {k: r.get(k) for k in SHEET_FIELDS},
                          "parsed": {k: p[k] for k in SHEET_FIELDS}})
    n = len(rows)
    return {"values": n, **{k: (v / n if n else 0.0) for k, v in hits.items()}, "mistakes": wrong}
