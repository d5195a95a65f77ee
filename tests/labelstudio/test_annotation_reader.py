"""The one annotation reader: what validate reports is what train and evaluate refuse, named by file/task/span."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from govner.cli import main as cli
from govner.training.data import load_examples
from govner.errors import GovnerError
from govner.labelstudio.reader import read_annotation_file, task_problems
from govner.rules.validate import validate_tasks

from helpers.paths import FIXTURES as FIX
ANN = FIX / "mini_annotations.json"
TEXT = "财政总收入增长10%，𠮷溪镇新增市场主体450家。"


def span(s: int, e: int, label: str, text: str | None = None, rid: str = "r") -> dict:
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": s, "end": e, "text": TEXT[s:e] if text is None else text, "labels": [label]}}


def task(*result, tid=7, data=None) -> dict:
    return {"id": tid, "data": data or {"text": TEXT, "doc_id": "d", "sent_idx": 0},
            "annotations": [{"id": 70, "was_cancelled": False, "result": list(result)}]}


GOOD = task(span(0, 5, "INDICATOR"), span(5, 10, "VALUE"))

# (description, a broken copy of GOOD, a fragment the message must contain)
BROKEN = [
    ("task not an object", ["not a task"], "task #0: expected an object, got str"),
    ("data not an object", [{**GOOD, "data": ["x"]}], "task 7: data: expected an object, got list"),
    ("text missing", [{**GOOD, "data": {"doc_id": "d"}}], "task 7: data.text missing"),
    ("text not a string", [{**GOOD, "data": {"text": 5}}], "task 7: data.text: expected a string, got int"),
    ("sent_idx not an integer", [task(data={"text": TEXT, "doc_id": "d", "sent_idx": "abc"})],
     "task 7: data.sent_idx: expected an integer, got 'abc'"),
    ("doc_id a list", [task(data={"text": TEXT, "doc_id": ["d"]})], "task 7: data.doc_id"),
    ("annotations not a list", [{**GOOD, "annotations": "x"}], "task 7: annotations: expected a list"),
    ("annotation not an object", [{**GOOD, "annotations": [3]}], "task 7 annotation #0: expected an object"),
    ("result not a list", [task() | {"annotations": [{"id": 70, "result": {"a": 1}}]}],
     "task 7 annotation 70: result: expected a list"),
    ("result item not an object", [task("span")], "task 7 annotation 70 result #0: expected an object"),
    ("value not an object", [task({**span(0, 5, "VALUE"), "value": "0-5"})], "value: expected an object"),
    ("offsets as strings", [task({**span(0, 5, "VALUE"), "value": {"start": "0", "end": "5", "text": "财政总收入",
                                                                   "labels": ["VALUE"]}})],
     "span [0, 5): start/end missing or not integers"),
    ("offsets as booleans", [task({**span(0, 5, "VALUE"), "value": {"start": False, "end": True, "text": "财",
                                                                    "labels": ["VALUE"]}})],
     "start/end missing or not integers"),
    ("offset past the end", [task(span(20, 99, "VALUE", text="x"))], f"needs 0 <= start < end <= {len(TEXT)}"),
    ("unknown label", [task(span(0, 5, "AMOUNT"))], "not exactly one of"),
    ("labels not a list", [task({**span(0, 5, "VALUE"), "value": {**span(0, 5, "VALUE")["value"], "labels": "VALUE"}})],
     "not exactly one of"),
    ("text differs", [task(span(0, 5, "INDICATOR", text="财政"))], "value.text == '财政'"),
    ("overlap", [task(span(0, 5, "INDICATOR"), span(2, 10, "VALUE"))], "span [0, 5) overlaps [2, 10)"),
    ("lone surrogate", [task(data={"text": "增长\ud800", "doc_id": "d"})], "lone surrogate U+D800 at offset 2"),
]


@pytest.mark.parametrize("name,tasks,fragment", BROKEN, ids=[b[0] for b in BROKEN])
def test_every_problem_is_named_by_validate_and_refused_by_training(tmp_path, name, tasks, fragment):
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")  # \u escapes: a lone surrogate can be written
    problems = validate_tasks(json.loads(path.read_text("utf-8")), str(path))
    assert any(fragment in p for p in problems), problems
    assert all(p.startswith(f"{path}: task ") for p in problems), problems
    with pytest.raises(GovnerError) as exc:
        load_examples([str(path)])  # what train and evaluate read
    assert str(path) in str(exc.value) and fragment in str(exc.value)


def test_a_sound_file_reads_and_cancelled_annotations_are_not_checked(tmp_path):
    cancelled = copy.deepcopy(GOOD)
    cancelled["annotations"].append({"id": 71, "was_cancelled": True, "result": [span(0, 5, "X", text="?")]})
    assert task_problems([GOOD, cancelled], "a.json") == []
    path = tmp_path / "ok.json"
    path.write_text(json.dumps([cancelled], ensure_ascii=False), encoding="utf-8")
    (ex,) = load_examples([str(path)])
    assert ex.spans == [(0, 5, "INDICATOR"), (5, 10, "VALUE")] and ex.sent_idx == 0


def test_utf16_offsets_get_a_hint():
    s = TEXT.index("𠮷溪镇")  # after the astral character Label Studio counts one more unit
    start, end = s + 4, s + 10
    t = task({**span(0, 5, "INDICATOR")}, {**span(s + 3, s + 9, "INDICATOR"), "value": {
        "start": start, "end": end, "text": TEXT[s + 3:s + 9], "labels": ["INDICATOR"]}})
    (problem,) = task_problems([t], "a.json")
    assert "UTF-16 offsets" in problem and f"Python [{s + 3}, {s + 9})" in problem


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_files_with_a_byte_order_mark_are_read(tmp_path, encoding):
    path = tmp_path / "notepad.json"
    path.write_text(json.dumps([GOOD], ensure_ascii=False), encoding=encoding)
    assert read_annotation_file(path)[0]["data"]["text"] == TEXT
    assert cli(["validate", str(path)]) == 0


@pytest.mark.parametrize("content,fragment", [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "looks binary"),
    (b"[{]", "invalid JSON"),
    (b'{"tasks": []}', "expected a JSON list of tasks"),
    (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    (b"", "file is empty"),
])
def test_unreadable_files_are_errors_naming_the_file(tmp_path, content, fragment, capsys):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(GovnerError, match=fragment):
        load_examples([str(path)])
    assert cli(["validate", str(path)]) == 2
    assert str(path) in capsys.readouterr().err


def test_the_shipped_fixture_is_sound():
    assert read_annotation_file(ANN)
