"""`govner validate`: check every annotated span against the annotation guide's rules.

Spans are read as written in annotations/ files (Python offsets) by the one annotation
reader, :mod:`govner.labelstudio.reader`, which train and evaluate use too; validate adds
the guide's edge rule. Each error names the file, task id, annotation id, offsets and the
rule broken, so it can be fixed by hand.
"""
from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path
from typing import Any

from govner.labelstudio.reader import read_tasks, task_problems

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


def edge_rule(text: str, start: int, end: int) -> list[str]:
    """The guide's edge rule as a :data:`govner.labelstudio.reader.SpanRule`."""
    edge = _edge_error(text[start:end])
    return [edge] if edge else []


def validate_tasks(tasks: Any, path: str | Path) -> list[str]:
    """All problems of a Label Studio JSON export (list of tasks), as messages: the reader's
    structure, offset and overlap checks (what train and evaluate refuse) plus the edge rule."""
    return task_problems(tasks, path, edge_rule)


def load_tasks(path: str | Path) -> Any:
    return read_tasks(path)


def count_results(tasks: list) -> int:
    """Result items in a parsed file, counting only what is well formed."""
    return sum(len(a["result"]) for t in tasks if isinstance(t, dict) and isinstance(t.get("annotations"), list)
               for a in t["annotations"] if isinstance(a, dict) and isinstance(a.get("result"), list))


def main(args: argparse.Namespace) -> int:
    total, n_spans = 0, 0
    for path in args.files:
        tasks = load_tasks(path)
        errors = validate_tasks(tasks, path)
        for e in errors:
            print(e, file=sys.stderr)
        total += len(errors)
        n_spans += count_results(tasks)
    print(f"{len(args.files)} file(s), {n_spans} span(s), {total} error(s)")
    return 1 if total else 0
