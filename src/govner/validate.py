"""`govner validate`: check every annotated span against the annotation guide's rules.

Spans are read as written in annotations/ files (Python offsets). Each error names the
file, task id, annotation id, offsets and the rule broken, so it can be fixed by hand.
"""
from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

from govner.errors import GovnerError
from govner.labelstudio.config import FROM_NAME
from govner.schema import BY_CODE, LABEL_CODES

#: Closing brackets may end a span when their opening partner is inside it (`规(限)上企业`).
BRACKETS = {")": "(", "）": "（", "]": "[", "】": "【", "》": "《", "〉": "〈"}
#: Punctuation by Unicode category, yet part of a VALUE's unit.
UNIT_MARKS = set("%％‰")


def bad_edge_char(ch: str) -> bool:
    """The guide's edge rule: no span starts or ends with whitespace or punctuation (units aside)."""
    if ch.isspace():
        return True
    return unicodedata.category(ch).startswith("P") and ch not in UNIT_MARKS


def _edge_error(span: str) -> str | None:
    if bad_edge_char(span[0]):
        return f"starts with {span[0]!r} (no leading space/punctuation)"
    last = span[-1]
    if bad_edge_char(last) and not (last in BRACKETS and BRACKETS[last] in span[:-1]):
        return f"ends with {last!r} (no trailing space/punctuation)"
    return None


def _span_errors(text: str, v: dict) -> list[str]:
    start, end = v.get("start"), v.get("end")
    if not (isinstance(start, int) and isinstance(end, int)):
        return ["start/end missing or not integers"]
    if not 0 <= start < end <= len(text):
        return [f"needs 0 <= start < end <= {len(text)} (text length)"]
    errs = []
    labels = v.get("labels") or []
    if len(labels) != 1 or labels[0] not in BY_CODE:
        errs.append(f"label {labels!r} is not exactly one of {', '.join(LABEL_CODES)}")
    if text[start:end] != v.get("text"):
        errs.append(f"text[start:end] == {text[start:end]!r} but value.text == {v.get('text')!r}")
    edge = _edge_error(text[start:end])
    if edge:
        errs.append(edge)
    return errs


def validate_tasks(tasks: Any, path: str | Path) -> list[str]:
    """All rule violations in a Label Studio JSON export (list of tasks), as messages."""
    if not isinstance(tasks, list):
        return [f"{path}: expected a JSON list of tasks, got {type(tasks).__name__}"]
    errors = []
    for n, task in enumerate(tasks):
        tid = task.get("id", f"#{n}") if isinstance(task, dict) else f"#{n}"
        text = (task.get("data") or {}).get("text") if isinstance(task, dict) else None
        if not isinstance(text, str):
            errors.append(f"{path}: task {tid}: data.text missing")
            continue
        for ann in task.get("annotations") or []:
            if ann.get("was_cancelled"):
                continue
            where = f"{path}: task {tid} annotation {ann.get('id')}"
            spans = []
            for r in ann.get("result") or []:
                if r.get("type") != "labels" or r.get("from_name") != FROM_NAME:
                    continue
                v = r.get("value") or {}
                errs = _span_errors(text, v)
                errors += [f"{where} span [{v.get('start')}, {v.get('end')}): {e}" for e in errs]
                if isinstance(v.get("start"), int) and isinstance(v.get("end"), int):
                    spans.append((v["start"], v["end"]))
            spans.sort()
            for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
                if s2 < e1:
                    errors.append(f"{where} span [{s1}, {e1}) overlaps [{s2}, {e2}): spans must not overlap")
    return errors


def load_tasks(path: str | Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise GovnerError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise GovnerError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None


def main(args: argparse.Namespace) -> int:
    total, n_spans = 0, 0
    for path in args.files:
        tasks = load_tasks(path)
        errors = validate_tasks(tasks, path)
        for e in errors:
            print(e, file=sys.stderr)
        total += len(errors)
        if isinstance(tasks, list):
            n_spans += sum(len(a.get("result") or []) for t in tasks if isinstance(t, dict)
                           for a in t.get("annotations") or [])
    print(f"{len(args.files)} file(s), {n_spans} span(s), {total} error(s)")
    return 1 if total else 0
