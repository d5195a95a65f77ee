"""Label Studio tasks <-> the internal ``{text, spans}`` records, offsets converted.

Label Studio's front end counts offsets in UTF-16 code units, Python in code points: a
character outside the BMP (``𠮷``, emoji) is one Python character but two UTF-16 units,
so every span after it would shift by one. Offsets coming from the server are UTF-16;
offsets in files under annotations/ and everything inside govner are Python offsets.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable

from govner.errors import GovnerError
from govner.labelstudio.config import FROM_NAME, TO_NAME
from govner.schema import BY_CODE, LABEL_CODES, Entity, make_entity

Task = dict[str, Any]


# --- offsets -------------------------------------------------------------------------

def _utf16_starts(text: str) -> list[int]:
    """UTF-16 offset of every Python index 0..len(text) (inclusive)."""
    out = [0]
    for ch in text:
        out.append(out[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return out


def to_utf16(text: str, index: int) -> int:
    """Python index -> UTF-16 code-unit offset."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


def from_utf16(text: str, offset: int) -> int:
    """UTF-16 code-unit offset -> Python index; refuses offsets inside a surrogate pair."""
    starts = _utf16_starts(text)
    lo, hi = 0, len(starts) - 1
    while lo <= hi:  # starts is strictly increasing: binary search
        mid = (lo + hi) // 2
        if starts[mid] == offset:
            return mid
        lo, hi = (mid + 1, hi) if starts[mid] < offset else (lo, mid - 1)
    raise ValueError(f"UTF-16 offset {offset} is not a character boundary of a text of "
                     f"{starts[-1]} UTF-16 units")


# --- results <-> entities ------------------------------------------------------------

def result_label(value: dict) -> str:
    labels = value.get("labels") or []
    return labels[0] if len(labels) == 1 else ""


def entities_from_result(text: str, result: Iterable[dict], where: str, utf16: bool = True) -> list[Entity]:
    """Entities (Python offsets) from one annotation's result list; ``where`` names the task."""
    ents = []
    for r in result:
        if r.get("type") != "labels" or r.get("from_name") != FROM_NAME:
            continue
        v = r["value"]
        label = result_label(v)
        if label not in BY_CODE:
            raise GovnerError(f"{where}: span [{v.get('start')}, {v.get('end')}) has label "
                              f"{v.get('labels')!r}; expected one of {', '.join(LABEL_CODES)}")
        try:
            start, end = ((from_utf16(text, v["start"]), from_utf16(text, v["end"])) if utf16
                          else (v["start"], v["end"]))
            ents.append(make_entity(text, start, end, label))
        except ValueError as exc:
            raise GovnerError(f"{where}: span [{v.get('start')}, {v.get('end')}): {exc}") from None
    return sorted(ents, key=lambda e: (e["start"], e["end"]))


def utf16_converter(text: str):
    """Python index -> UTF-16 offset for many indices of one text, each in O(1).

    (:func:`to_utf16` counts from the start each time: a long text with many entities
    would take time quadratic in its length.)
    """
    if all(ord(ch) <= 0xFFFF for ch in text):
        return lambda i: i
    starts = _utf16_starts(text)
    return starts.__getitem__


def result_from_entities(text: str, entities: Iterable[dict], utf16: bool = True) -> list[dict]:
    """Label Studio result items for entities given in Python offsets."""
    conv = utf16_converter(text) if utf16 else (lambda i: i)
    return [{
        "id": f"g{i}",
        "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
        "value": {"start": conv(e["start"]), "end": conv(e["end"]),
                  "text": text[e["start"]:e["end"]], "labels": [e["label"]]},
    } for i, e in enumerate(entities)]


def task_to_python_offsets(task: Task) -> Task:
    """A copy of an exported task whose annotation and prediction offsets are Python offsets.

    Result items keep their ids and other fields; only start/end (and text) change.
    """
    text = task["data"]["text"]
    out = dict(task)
    for key in ("annotations", "predictions"):
        items = []
        for a in task.get(key) or []:
            if not isinstance(a, dict):  # exports list predictions by id only
                items.append(a)
                continue
            result = []
            for r in a.get("result") or []:
                v = r.get("value") or {}
                if r.get("type") == "labels" and isinstance(v.get("start"), int) and isinstance(v.get("end"), int):
                    try:
                        s, e = from_utf16(text, v["start"]), from_utf16(text, v["end"])
                    except ValueError as exc:
                        raise GovnerError(f"task {task.get('id')} {key[:-1]} {a.get('id')}: span "
                                          f"[{v['start']}, {v['end']}): {exc}") from None
                    r = {**r, "value": {**v, "start": s, "end": e, "text": text[s:e]}}
                result.append(r)
            items.append({**a, "result": result})
        out[key] = items
    return out


# --- choosing among several annotations ----------------------------------------------

def span_key(e: dict) -> tuple[int, int, str]:
    return (e["start"], e["end"], e["label"])


def live_annotations(task: Task) -> list[dict]:
    return [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]


def choose_annotation(task: Task) -> dict | None:
    """The ground-truth annotation if one is marked, else the most recently updated one."""
    live = live_annotations(task)
    if not live:
        return None
    truth = [a for a in live if a.get("ground_truth")]
    pool = truth or live
    return max(pool, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""), a.get("id") or 0))


@dataclass
class Record:
    task_id: int
    text: str
    spans: list[Entity]
    data: dict


def records_from_tasks(tasks: list[Task], utf16: bool = False) -> list[Record]:
    """One record per task that has a live annotation (Python offsets unless ``utf16``).

    Empty annotations are kept: a sentence marked as having no entity is a negative example.
    """
    out = []
    for t in tasks:
        chosen = choose_annotation(t)
        if chosen is None:
            continue
        text = t["data"]["text"]
        spans = entities_from_result(text, chosen.get("result") or [], f"task {t.get('id')}", utf16=utf16)
        out.append(Record(t.get("id"), text, spans, t["data"]))
    return out


# --- pull report: cancelled, conflicts, agreement ------------------------------------

@dataclass
class PullReport:
    tasks: int = 0
    annotated: int = 0
    unannotated: int = 0
    empty: int = 0  # chosen annotation has no span: kept as a negative
    cancelled: list[int] = field(default_factory=list)  # task ids whose every annotation was skipped
    conflicts: list[int] = field(default_factory=list)  # >1 annotator, differing spans, no ground truth
    per_label: dict[str, int] = field(default_factory=dict)
    per_annotator: dict[str, int] = field(default_factory=dict)
    agreement: dict[str, float | None] = field(default_factory=dict)
    agreement_tasks: int = 0


def _annotator(a: dict) -> str:
    who = a.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("id"))
    return str(who)


def agreement(tasks: list[Task], utf16: bool = False) -> tuple[dict[str, float | None], int]:
    """Entity-level F1 between annotators of the same task, per label and ``ALL`` (micro).

    For each task and each pair of distinct annotators (their latest annotation each), the
    exact-match spans are true positives and F1 = 2·tp / (|A| + |B|), pooled over all pairs.
    Returns None for a label nobody used. Also returns how many tasks had >= 2 annotators.
    """
    tp = {c: 0 for c in LABEL_CODES}
    size = {c: 0 for c in LABEL_CODES}
    n_tasks = 0
    for t in tasks:
        latest: dict[str, dict] = {}
        for a in sorted(live_annotations(t), key=lambda a: str(a.get("updated_at") or "")):
            latest[_annotator(a)] = a
        if len(latest) < 2:
            continue
        n_tasks += 1
        text = t["data"]["text"]
        sets = [{span_key(e) for e in entities_from_result(text, a.get("result") or [],
                                                           f"task {t.get('id')}", utf16=utf16)}
                for a in latest.values()]
        for a, b in itertools.combinations(sets, 2):
            for s in a & b:
                tp[s[2]] += 1
            for s in itertools.chain(a, b):
                size[s[2]] += 1
    scores: dict[str, float | None] = {c: (2 * tp[c] / size[c] if size[c] else None) for c in LABEL_CODES}
    total = sum(size.values())
    scores["ALL"] = 2 * sum(tp.values()) / total if total else None
    return scores, n_tasks


def clean_export(tasks: list[Task], utf16: bool = True) -> tuple[list[Task], PullReport]:
    """Turn a raw Label Studio export into the annotations/ file format, and report on it.

    Cancelled (skipped) annotations are dropped and tasks left without an annotation are
    not written; offsets become Python offsets; the chosen annotation is put first so a
    reader that takes ``annotations[0]`` gets the right one.
    """
    rep = PullReport(tasks=len(tasks))
    out = []
    for raw in tasks:
        t = task_to_python_offsets(raw) if utf16 else raw
        anns = t.get("annotations") or []
        live = live_annotations(t)
        if not live:
            if anns:
                rep.cancelled.append(t.get("id"))
            else:
                rep.unannotated += 1
            continue
        chosen = choose_annotation(t)
        rest = sorted((a for a in live if a is not chosen), key=lambda a: str(a.get("updated_at") or ""),
                      reverse=True)
        t = {**t, "annotations": [chosen] + rest}
        rep.annotated += 1
        ents = entities_from_result(t["data"]["text"], chosen.get("result") or [], f"task {t.get('id')}",
                                    utf16=False)
        rep.empty += not ents
        for e in ents:
            rep.per_label[e["label"]] = rep.per_label.get(e["label"], 0) + 1
        for a in live:
            rep.per_annotator[_annotator(a)] = rep.per_annotator.get(_annotator(a), 0) + 1
        if len({_annotator(a) for a in live}) > 1 and not chosen.get("ground_truth"):
            keysets = {frozenset(span_key(e) for e in entities_from_result(
                t["data"]["text"], a.get("result") or [], f"task {t.get('id')}", utf16=False)) for a in live}
            if len(keysets) > 1:
                rep.conflicts.append(t.get("id"))
        out.append(t)
    rep.agreement, rep.agreement_tasks = agreement(out, utf16=False)
    return out, rep
