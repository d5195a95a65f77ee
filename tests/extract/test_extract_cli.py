"""`govner extract` end to end with the rule tagger: one table in three formats, offsets, HTML pages."""
from __future__ import annotations

import json

import pytest

from govner.cli import main as cli
from govner.extract.table import COLUMNS, read_table
from govner.fileio import atomic_write_jsonl
from helpers.paths import SEED_FILES

SEED = SEED_FILES[0]  # 000_f335f9e20c8b25d3: targets, projects and (…牵头负责) notes


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("extract")
    for ext in ("jsonl", "csv", "parquet"):
        assert cli(["extract", "--model", "rules", str(SEED), "--out", str(out / f"table.{ext}"),
                    *(["--html", str(out / "html")] if ext == "jsonl" else [])]) == 0
    return out


def test_three_formats_hold_the_same_rows(tables):
    rows = {ext: read_table(tables / f"table.{ext}") for ext in ("jsonl", "csv", "parquet")}
    assert rows["jsonl"] and rows["jsonl"] == rows["csv"] == rows["parquet"]
    assert list(rows["jsonl"][0]) == list(COLUMNS)
    kinds = {r["kind"] for r in rows["jsonl"]}
    assert kinds == {"measure", "assignment", "project"}


def test_rows_point_into_the_cleaned_document(tables):
    from govner.text.prepare import documents_from_file

    [doc] = documents_from_file(SEED)
    rows = read_table(tables / "table.jsonl")
    spans = 0
    for r in rows:
        assert r["doc_id"] == doc.doc_id
        for name in ("indicator", "value", "project", "stage", "period"):
            if r[name] is not None:
                assert doc.text[r[f"{name}_start"]:r[f"{name}_end"]] == r[name], (name, r)
                spans += 1
        if r["kind"] == "assignment":
            for o, s, e in zip(r["offices"], r["office_starts"], r["office_ends"]):
                assert doc.text[s:e] == o
                spans += 1
        assert r["sent_start"] <= (r["value_start"] or r["project_start"] or r["office_starts"][0]) < r["sent_end"]
    assert spans > 50
    first = next(r for r in rows if r["kind"] == "measure")
    assert (first["indicator"], first["value"], first["number"], first["unit"], first["change"], first["period"]) == (
        "财政总收入", "增长10%", 10.0, "%", "increase", "2023年")
    assign = next(r for r in rows if r["kind"] == "assignment")
    assert assign["leads"] == [None] * len(assign["offices"]) and assign["lead_office"] is None
    assert "牵头负责" not in assign["task"]
    bridge = next(r for r in rows if r["kind"] == "project" and r["project"] == "新章镇大桥及连接线项目")
    assert bridge["stage"] == "开工建设"


def test_sentence_jsonl_gives_the_same_rows_as_the_report(tables, tmp_path):
    sentences = tmp_path / "sentences.jsonl"
    assert cli(["prepare", str(SEED), "--out", str(sentences)]) == 0
    out = tmp_path / "from-sentences.jsonl"
    assert cli(["extract", "--model", "rules", str(sentences), "--out", str(out), "--html", str(tmp_path / "h")]) == 0
    assert read_table(out) == read_table(tables / "table.jsonl")
    # the page shows the cleaned document from sentences.docs.jsonl, as the report's page does
    name = f"{SEED.stem}.html"
    assert (tmp_path / "h" / name).read_text(encoding="utf-8") == (tables / "html" / name).read_text(encoding="utf-8")


def test_html_pages(tables):
    page = (tables / "html" / f"{SEED.stem}.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page
    assert 'id="s-3"' in page and 'href="#s-3"' in page
    assert '<mark class="ent" data-label="VALUE" title="数值 VALUE">增长10%</mark>' in page
    assert "#d62728" in page  # the schema's VALUE colour
    index = (tables / "html" / "index.html").read_text(encoding="utf-8")
    assert f'href="{SEED.stem}.html"' in index


def test_text_is_escaped(tmp_path):
    sentences = tmp_path / "s.jsonl"
    text = "<b onclick=\"x\">新改建农村公路1500公里</b>。"
    atomic_write_jsonl(sentences, [{"doc_id": "a<&>b", "sent_idx": 0, "text": text, "doc_start": 0}])
    assert cli(["extract", "--model", "rules", str(sentences), "--out", str(tmp_path / "t.csv"),
                "--html", str(tmp_path / "h")]) == 0
    page = (tmp_path / "h" / "a_&_b.html").read_text(encoding="utf-8")
    assert "<b " not in page and "&lt;b onclick=&quot;x&quot;&gt;" in page and "a&lt;&amp;&gt;b" in page
    [row] = read_table(tmp_path / "t.csv")
    assert (row["indicator"], row["value"], row["number"], row["unit"]) == ("农村公路", "1500公里", 1500.0, "km")


def test_lead_first_convention_from_the_document(tmp_path):
    from helpers.paths import EXTRA

    doc = EXTRA / "national_2018_guofa42-agri-mechanization_responsibility.html"
    out = tmp_path / "t.jsonl"
    assert cli(["extract", "--model", "rules", str(doc), "--out", str(out)]) == 0
    rows = [r for r in read_table(out) if r["kind"] == "assignment"]
    assert rows and all(r["leads"][0] is True and not any(r["leads"][1:]) for r in rows)
    assert all(r["lead_office"] == r["offices"][0] for r in rows)


@pytest.mark.parametrize("argv,message", [
    (["--out", "t.xlsx"], "cannot tell the table format from the extension '.xlsx'"),
    (["--out", "t.csv", "--model", "no/such/model"], "--model no/such/model: no such model directory"),
])
def test_errors_are_clear(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["extract", str(SEED), *argv]
    if "--model" not in argv:
        args += ["--model", "rules"]
    assert cli(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_sentence_file_names_the_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"doc_id": "d", "sent_idx": 0, "text": "增长5%"}) + "\n{oops\n", encoding="utf-8")
    assert cli(["extract", "--model", "rules", str(bad), "--out", str(tmp_path / "t.csv")]) == 2
    assert f"{bad}:2: invalid JSON" in capsys.readouterr().err
    assert not (tmp_path / "t.csv").exists()


def test_missing_report_is_reported_and_the_rest_extracted(tmp_path, capsys):
    out = tmp_path / "t.jsonl"
    assert cli(["extract", "--model", "rules", str(SEED), str(tmp_path / "gone.txt"), "--out", str(out)]) == 1
    assert "gone.txt: report not found" in capsys.readouterr().err
    assert read_table(out)


def test_trained_model_path(tiny_model_dir, tmp_path, monkeypatch):
    """The model path works end to end (a tiny random model: the rows are whatever it tags)."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    sentences = tmp_path / "s.jsonl"
    atomic_write_jsonl(sentences, [{"doc_id": "d", "sent_idx": 0, "text": "新改建农村公路1500公里。", "doc_start": 0}])
    out = tmp_path / "t.parquet"
    assert cli(["extract", "--model", str(tiny_model_dir), "--device", "cpu", str(sentences), "--out", str(out)]) == 0
    assert all(r["doc_id"] == "d" for r in read_table(out))
