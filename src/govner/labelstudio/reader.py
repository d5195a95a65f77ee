"""The one reader of annotation files (Label Studio JSON exports with Python offsets).

``govner validate``, ``train``, ``evaluate`` and the corpus tools all read annotations here,
so a file that validate passes is a file training can use, and a file training refuses is
one validate explains. Checked before anything uses a task:

- the bytes: UTF-8 (a UTF-8 or UTF-16 byte-order mark is honoured, as Windows editors write
  them), JSON, a list of tasks;
- structure and types: a task is an object with ``data.text`` a string, ``data.doc_id`` a
  string or integer and ``data.sent_idx`` an integer when present; ``annotations`` and each
  ``result`` are lists of objects;
- every labelled span of every live annotation: integer offsets with
  ``0 <= start < end <= len(text)``, exactly one known label, ``value.text`` equal to
  ``data.text[start:end]`` (a file carrying Label Studio's UTF-16 offsets fails here, with a
  hint), and no two spans of one annotation overlapping.

Each problem names the file, the task (its id, or ``#n`` by position), the annotation and
the span, in the format ``FILE: task T annotation A span [S, E): problem`` that the
annotators' scripts match on. Cancelled annotations and predictions are not checked: neither
is ever trained on.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from govner.errors import GovnerError
from govner.fileio import parse_json_document
from govner.labelstudio.config import FROM_NAME
from govner.schema import BY_CODE, LABEL_CODES
from govner.text.read import SURROGATE_RE, read_text_file

#: problems listed in one error message; `govner validate FILE` lists them all
SHOWN = 10

#: an extra check of a well-formed span: (text, start, end) -> problems (validate's edge rule)
SpanRule = Callable[[str, int, int], list[str]]


def read_tasks(path: str | Path) -> list:
    """A file's parsed list of tasks; unreadable bytes, invalid JSON or another top level is an error."""
    tasks = parse_json_document(read_text_file(path), str(path), "an annotation file")
    if not isinstance(tasks, list):
        raise GovnerError(f"{path}: expected a JSON list of tasks (a Label Studio export), "
                          f"got {type(tasks).__name__}")
    return tasks


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _utf16_hint(text: str, start: int, end: int, claimed: Any) -> str:
    """Why the span text differs, when the offsets are Label Studio's UTF-16 units."""
    from govner.labelstudio.convert import from_utf16

    try:
        s, e = from_utf16(text, start), from_utf16(text, end)
    except ValueError:
        return ""
    if (s, e) != (start, end) and text[s:e] == claimed:
        return (f" (these are UTF-16 offsets, Python [{s}, {e}): export through `govner ls pull`, "
                "which converts them)")
    return ""


def span_problems(text: str, value: Any, rule: SpanRule | None = None) -> list[str]:
    """What is wrong with one result ``value``; structural problems first, then ``rule``'s."""
    if not isinstance(value, dict):
        return [f"value: expected an object, got {type(value).__name__}"]
    start, end = value.get("start"), value.get("end")
    if not (_is_int(start) and _is_int(end)):
        return [f"start/end missing or not integers (got {type(start).__name__}, {type(end).__name__})"]
    if not 0 <= start < end <= len(text):
        return [f"needs 0 <= start < end <= {len(text)} (text length)"]
    out = []
    labels = value.get("labels")
    if not (isinstance(labels, list) and len(labels) == 1 and isinstance(labels[0], str) and labels[0] in BY_CODE):
        out.append(f"label {labels!r} is not exactly one of {', '.join(LABEL_CODES)}")
    claimed = value.get("text")
    if text[start:end] != claimed:
        out.append(f"text[start:end] == {text[start:end]!r} but value.text == {claimed!r}"
                   + _utf16_hint(text, start, end, claimed))
    if rule is not None:
        out += rule(text, start, end)
    return out


def _data_problems(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return [f"data: expected an object, got {type(data).__name__}"]
    text = data.get("text")
    if not isinstance(text, str):
        return ["data.text missing" if text is None else f"data.text: expected a string, got {type(text).__name__}"]
    out = []
    bad = SURROGATE_RE.search(text)
    if bad:
        out.append(f"data.text: lone surrogate U+{ord(bad.group()):04X} at offset {bad.start()} (not valid Unicode)")
    doc_id = data.get("doc_id")
    if doc_id is not None and not (isinstance(doc_id, str) or _is_int(doc_id)):
        out.append(f"data.doc_id: expected a string, got {doc_id!r}")
    sent_idx = data.get("sent_idx")
    if sent_idx is not None and not _is_int(sent_idx):
        out.append(f"data.sent_idx: expected an integer, got {sent_idx!r}")
    return out


def _annotation_problems(text: str, ann: dict, where: str, rule: SpanRule | None) -> list[str]:
    result = ann.get("result")
    if result is None:
        return []
    if not isinstance(result, list):
        return [f"{where}: result: expected a list, got {type(result).__name__}"]
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    for k, r in enumerate(result):
        if not isinstance(r, dict):
            out.append(f"{where} result #{k}: expected an object, got {type(r).__name__}")
            continue
        if r.get("type") != "labels" or r.get("from_name") != FROM_NAME:
            continue
        v = r.get("value")
        problems = span_problems(text, v, rule)
        sv, ev = (v.get("start"), v.get("end")) if isinstance(v, dict) else (None, None)
        out += [f"{where} span [{sv}, {ev}): {p}" for p in problems]
        if _is_int(sv) and _is_int(ev) and 0 <= sv < ev <= len(text):
            spans.append((sv, ev))
    spans.sort()
    for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
        if s2 < e1:
            out.append(f"{where} span [{s1}, {e1}) overlaps [{s2}, {e2}): spans must not overlap")
    return out


def task_problems(tasks: Any, path: str | Path, rule: SpanRule | None = None) -> list[str]:
    """Every problem of a parsed file (see the module doc), one message each; [] when it is sound."""
    if not isinstance(tasks, list):
        return [f"{path}: expected a JSON list of tasks, got {type(tasks).__name__}"]
    out: list[str] = []
    for n, task in enumerate(tasks):
        if not isinstance(task, dict):
            out.append(f"{path}: task #{n}: expected an object, got {type(task).__name__}")
            continue
        tid = task.get("id", f"#{n}")
        data_problems = _data_problems(task.get("data"))
        out += [f"{path}: task {tid}: {p}" for p in data_problems]
        anns = task.get("annotations")
        if anns is None:
            continue
        if not isinstance(anns, list):
            out.append(f"{path}: task {tid}: annotations: expected a list, got {type(anns).__name__}")
            continue
        text = task["data"].get("text") if isinstance(task.get("data"), dict) else None
        for k, ann in enumerate(anns):
            if not isinstance(ann, dict):
                out.append(f"{path}: task {tid} annotation #{k}: expected an object, got {type(ann).__name__}")
                continue
            if ann.get("was_cancelled") or not isinstance(text, str):
                continue
            out += _annotation_problems(text, ann, f"{path}: task {tid} annotation {ann.get('id')}", rule)
    return out


def summarize(problems: list[str], path: str | Path) -> str:
    shown = "\n  ".join(problems[:SHOWN])
    more = f"\n  ... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
    return (f"{path}: {len(problems)} problem(s); nothing is trained or scored on a file with broken spans "
            f"(`govner validate {path}` lists them all):\n  {shown}{more}")


def read_annotation_file(path: str | Path) -> list[dict]:
    """The tasks of an annotation file, guaranteed sound (see the module doc), or a GovnerError."""
    tasks = read_tasks(path)
    problems = task_problems(tasks, path)
    if problems:
        raise GovnerError(summarize(problems, path))
    return tasks
