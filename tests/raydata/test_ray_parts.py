"""How the Ray runner cuts a large JSONL or Parquet input into parts for several actors.

Without Ray: the parts must cover the file exactly, keep every line's number (``input_row``)
and give the done rows of a re-run to the part that holds them, whatever the line lengths,
line ends or a byte-order mark.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govner.raydata import runner
from govner.raydata.runner import WHOLE, file_units, part_items, part_units, plan_parts


def units_of(path, done=(), actors=2):
    """The input rows of one file, and every unit the actors would read from them, in order."""
    items = part_items(str(path), sorted(done), True, actors)
    return items, [unit for chunk in part_units(items, True, chunk=1000) for unit in chunk]


def test_a_large_jsonl_is_cut_at_line_ends_and_keeps_line_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "PART_BYTES_MIN", 256)
    lines = [json.dumps({"text": f"第{i}项：财政总收入增长{i % 9}%。" * (1 + i % 7)}, ensure_ascii=False) for i in range(300)]
    lines[17] = "{broken"  # an error row keeps its line number too
    lines[40] = ""  # blank lines are skipped, not numbered anew
    lines[41] = json.dumps({"text": "长" * 5000}, ensure_ascii=False)  # longer than a part
    path = tmp_path / "s.jsonl"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8") + b'{"text": "last, no newline"}')
    whole = list(file_units(str(path), str(path), set(), True, WHOLE))
    items, parts = units_of(path)
    assert len(items) > 2
    assert [i["start"] for i in items][0] == 0 and all(a["end"] == b["start"] for a, b in zip(items, items[1:]))
    assert items[-1]["end"] == path.stat().st_size
    assert parts == whole
    assert [u["input_row"] for u in whole] == [n for n in range(1, 302) if n != 41]
    assert whole[17]["error"].endswith(":18: invalid JSON (Expecting property name enclosed in double quotes at column 2)")
    assert json.loads(whole[0]["record"])["text"].startswith("第0项")  # the BOM is not part of line 1

    done = {1, 2, 150, 299, 301}
    items, rest = units_of(path, done)
    assert sorted(d for i in items for d in i["done"]) == sorted(done)
    assert rest == [u for u in whole if u["input_row"] not in done]


def test_bad_lines_become_error_units_named_like_every_other_jsonl_reader(tmp_path):
    """The runner checks lines with the one JSONL line parser (govner.fileio.parse_json_line)."""
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"text": "\\ud800"}\n' + b"[" * 50000 + b"]" * 50000 + b'\n{"text": "\xff"}\n{"text": "ok"}\n')
    units = list(file_units(str(path), str(path), set(), True, WHOLE))
    assert [u["error"] for u in units] == [
        f"{path}:1: lone surrogate U+D800 at offset 0 (not valid Unicode text; fix the encoding of the input)",
        f"{path}:2: JSON nested too deeply",
        f"{path}:3: not UTF-8 (byte 10)",
        None]


def test_a_parquet_file_is_cut_by_row_groups(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "s.parquet"
    pq.write_table(pa.Table.from_pylist([{"text": f"句子{i}", "sent_idx": i} for i in range(100)]), path,
                   row_group_size=10)
    items, got = units_of(path, done={5, 55})
    assert len(items) > 1 and {tuple(i["groups"]) for i in items} != {None}
    assert [u["input_row"] for u in got] == [n for n in range(1, 101) if n not in (5, 55)]
    assert all(json.loads(u["record"])["sent_idx"] == u["input_row"] - 1 for u in got)


def test_small_reports_and_unreadable_files_stay_whole(tmp_path):
    small = tmp_path / "a.jsonl"
    small.write_text('{"text": "一"}\n', encoding="utf-8")
    report = tmp_path / "r.txt"
    report.write_text("一。" * 100000, encoding="utf-8")
    assert plan_parts(str(small), str(small), True, 8) == [WHOLE]
    assert plan_parts(str(report), str(report), True, 8) == [WHOLE]  # a report is one unit
    assert plan_parts(str(tmp_path / "gone.jsonl"), str(tmp_path / "gone.jsonl"), True, 8) == [WHOLE]
    assert plan_parts(str(small), str(small), False, 8) == [WHOLE]  # extract: a file per unit


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ab\u4e00\n", max_size=40), max_size=40), st.integers(1, 6),
       st.sets(st.integers(1, 45), max_size=8))
def test_parts_read_exactly_the_whole_file(tmp_path_factory, monkeypatch_session, texts, actors, done):
    path = tmp_path_factory.mktemp("p") / "s.jsonl"
    path.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    whole = [u for u in file_units(str(path), str(path), set(), True, WHOLE) if u["input_row"] not in done]
    assert units_of(path, done, actors)[1] == whole


@pytest.fixture(scope="module")
def monkeypatch_session():
    mp = pytest.MonkeyPatch()
    mp.setattr(runner, "PART_BYTES_MIN", 16)
    yield mp
    mp.undo()
