"""`govner predict|extract --engine ray` on a real local Ray (2 CPUs): same records as the
single-process path on the seed reports, error rows for unreadable files, re-runs skip what is
written. One Ray session for the module: starting Ray takes seconds."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.paths import SEED_FILES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_session():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The seed reports, their prepared sentences (JSONL and Parquet), and three broken files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from govner.text.prepare import prepare

    d = tmp_path_factory.mktemp("ray_inputs")
    _, records, _ = prepare([str(f) for f in SEED_FILES], progress=False)
    sentences = d / "seeds.jsonl"
    sentences.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    table = d / "seeds-part.parquet"
    pq.write_table(pa.Table.from_pylist(records[:50]), table)
    bad_jsonl = d / "bad.jsonl"
    bad_jsonl.write_text('{"text": "财政总收入增长10%。", "doc_id": "x", "sent_idx": 0, "extra": [1]}\n'
                         '{"text": broken\n\n{"doc_id": "no text"}\n{"text": "全市生产总值增长6%。"}\n',
                         encoding="utf-8")
    binary = d / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02 not a report")
    return {"reports": [str(f) for f in SEED_FILES], "sentences": str(sentences), "parquet": str(table),
            "bad_jsonl": str(bad_jsonl), "binary": str(binary), "missing": str(d / "missing.txt"),
            "records": records}


def local_predict(model: Path, paths: list[str], capsys) -> list[dict]:
    from govner.cli import main

    capsys.readouterr()
    assert main(["predict", "--model", str(model), "--device", "cpu", "--quantize", "none", *paths]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


def same_records(ray: list[dict], local: list[dict]) -> bool:
    """Equal records; scores to float32 precision (batches of other shapes round differently)."""
    def exact(recs):
        return [{**r, "entities": [{k: v for k, v in e.items() if k != "score"} for e in r["entities"]]} for r in recs]

    assert exact(ray) == exact(local)
    scores = [(a["score"], b["score"]) for x, y in zip(ray, local) for a, b in zip(x["entities"], y["entities"])]
    assert all(abs(a - b) <= 1e-5 * max(1.0, abs(b)) for a, b in scores)
    return True


def by_file(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["input_file"], []).append(r)
    return out


def test_predict_on_ray_equals_single_process_with_error_rows_and_reruns(ray_session, tiny_model_dir, inputs,
                                                                          tmp_path, capsys):
    from govner.cli import main
    from govner.raydata.runner import output_files, plan_parts, read_output
    from govner.raydata.tasks import predict_records

    out = tmp_path / "out"
    first = [*inputs["reports"], inputs["sentences"], inputs["bad_jsonl"], inputs["binary"], inputs["missing"]]
    assert main(["predict", "--engine", "ray", "--model", str(tiny_model_dir), "--out", str(out),
                 "--quantize", "none", "--batch-size", "16", *first]) == 1  # error rows: exit 1, the rest written
    err = capsys.readouterr().err
    assert f"{inputs['missing']}: no such file" in err and f"{inputs['bad_jsonl']}:2: invalid JSON" in err

    rows = by_file(read_output(out))
    # the same records as single-process `govner predict`, file by file
    for report in inputs["reports"]:
        assert same_records(predict_records(rows[report]), local_predict(tiny_model_dir, [report], capsys))
    # the sentence file was cut into parts that several actors read, and no line moved
    assert len(plan_parts(inputs["sentences"], inputs["sentences"], True, 2)) > 1
    assert [r["input_row"] for r in rows[inputs["sentences"]]] == list(range(1, len(inputs["records"]) + 1))
    assert same_records(predict_records(rows[inputs["sentences"]]),
                        local_predict(tiny_model_dir, [inputs["sentences"]], capsys))
    # a bad file is error rows naming it (and the line), not a lost job; its good lines are kept
    bad = rows[inputs["bad_jsonl"]]
    assert [(r["input_row"], r["error"] is None) for r in bad] == [(1, True), (2, False), (4, False), (5, True)]
    assert bad[2]["error"] == f"{inputs['bad_jsonl']}:4: expected a sentence record with a string \"text\""
    assert predict_records([bad[0]])[0]["extra"] == [1]  # fields outside the schema survive, typed
    assert rows[inputs["binary"]][0]["error"].startswith(f"{inputs['binary']}: looks binary")
    assert rows[inputs["missing"]][0]["error"] == f"{inputs['missing']}: no such file"

    # a re-run skips every unit already written and adds only the new file's rows
    parts = output_files(out)
    assert main(["predict", "--engine", "ray", "--model", str(tiny_model_dir), "--out", str(out),
                 "--quantize", "none", *first, inputs["parquet"]]) == 0  # nothing old is redone, so no new errors
    assert "0 errors" in capsys.readouterr().err
    again = read_output(out)
    assert len(again) == sum(map(len, rows.values())) + 50
    keys = [(r["input_file"], r["input_row"]) for r in again]
    assert len(set(keys)) == len(keys)
    new = by_file(again)[inputs["parquet"]]
    assert same_records(predict_records(new), predict_records(rows[inputs["sentences"]][:50]))  # Parquet in
    assert set(parts) <= set(output_files(out))

    # a part file cut short by a crash is set aside and its units are redone
    victim = max(parts, key=lambda f: f.stat().st_size)
    data = victim.read_bytes()
    victim.write_bytes(data[:len(data) // 2])
    assert main(["predict", "--engine", "ray", "--model", str(tiny_model_dir), "--out", str(out),
                 "--quantize", "none", *first, inputs["parquet"]]) == 1  # the redone units include error rows again
    capsys.readouterr()
    assert victim.with_name(victim.name + ".corrupt").exists()
    final = read_output(out)
    assert sorted((r["input_file"], r["input_row"]) for r in final) == sorted(keys)


def test_extract_on_ray_equals_single_process(ray_session, inputs, tmp_path, capsys):
    from govner.cli import main
    from govner.extract.table import COLUMNS, read_table
    from govner.raydata.runner import read_output

    single = tmp_path / "table.parquet"
    assert main(["extract", "--model", "rules", *inputs["reports"], "--out", str(single)]) == 0
    out = tmp_path / "out"
    assert main(["extract", "--engine", "ray", "--model", "rules", *inputs["reports"], inputs["missing"],
                 "--out", str(out)]) == 1
    capsys.readouterr()
    rows = read_output(out)
    table = [{k: r[k] for k in COLUMNS} for r in rows if r["error"] is None and r["kind"] != "source"]

    def key(r):
        return json.dumps(r, ensure_ascii=False, sort_keys=True)

    want = read_table(single)
    assert want and sorted(map(key, table)) == sorted(map(key, want))
    assert {r["input_file"] for r in rows if r["kind"] == "source"} == set(inputs["reports"])
    assert [r["error"] for r in rows if r["error"]] == [f"{inputs['missing']}: no such file"]


def test_engine_flags_are_checked(tiny_model_dir, tmp_path, capsys):
    from govner.cli import main

    assert main(["predict", "--model", str(tiny_model_dir), "--actors", "2", "-"]) == 2
    assert "--actors: only with --engine ray" in capsys.readouterr().err
    assert main(["predict", "--engine", "ray", "--model", str(tiny_model_dir), "x.jsonl"]) == 2
    assert "--out DIR" in capsys.readouterr().err
    (tmp_path / "f").write_text("x")
    assert main(["predict", "--engine", "ray", "--model", str(tiny_model_dir), "--out", str(tmp_path / "f"),
                 "x.jsonl"]) == 2
    assert "not a directory" in capsys.readouterr().err
