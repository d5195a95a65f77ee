"""No command deletes or overwrites user data before its inputs are validated.

Each case puts user data where a command writes (an earlier output, an interrupted run's
checkpoints, a report), runs the command with one bad input, and checks that it fails with a
GovnerError (exit 2, or prepare's "nothing written") and that every file is byte-for-byte as
before.
"""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from govner.cli import main as cli

from helpers.paths import ROOT
FIX = ROOT / "tests" / "fixtures"
TINY = str(ROOT / "configs" / "tiny-test.yaml")


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


@pytest.fixture
def user_data(tmp_path, monkeypatch):
    """A working directory full of things a careless command could destroy."""
    monkeypatch.chdir(ROOT)  # configs use repo-relative paths
    d = tmp_path
    (d / "report.txt").write_text("财政总收入增长10%。\n", encoding="utf-8")
    (d / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    (d / "sentences.jsonl").write_text('{"doc_id": "d", "sent_idx": 0, "text": "旧的句子。"}\n', encoding="utf-8")
    (d / "sentences.docs.jsonl").write_text('{"doc_id": "d", "text": "旧的句子。"}\n', encoding="utf-8")
    tasks = json.loads((FIX / "mini_annotations.json").read_text("utf-8"))
    (d / "good.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    first = tasks[0]["annotations"][0]["result"]
    first.append({**first[0], "id": "overlap", "value": {**first[0]["value"], "start": first[0]["value"]["start"] + 1,
                                                          "text": tasks[0]["data"]["text"][first[0]["value"]["start"] + 1:
                                                                                            first[0]["value"]["end"]]}})
    (d / "overlapping.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    (d / "splits.yaml").write_text((FIX / "mini_splits.yaml").read_text("utf-8"), encoding="utf-8")
    (d / "bad-splits.yaml").write_text("train: seed000-train\n", encoding="utf-8")
    ckpt = d / "run" / "checkpoints" / "checkpoint-12"
    ckpt.mkdir(parents=True)
    (ckpt / "trainer_state.json").write_text('{"global_step": 12}', encoding="utf-8")
    (d / "run" / "metrics.json").write_text('{"dev": "an earlier run"}', encoding="utf-8")
    (d / "eval.json").write_text('{"earlier": "report"}', encoding="utf-8")
    (d / "chosen.jsonl").write_text('{"earlier": "selection"}\n', encoding="utf-8")
    (d / "not-a-model").mkdir()
    (d / "not-a-model" / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (d / "bad.jsonl").write_text('{"text": "ok"}\n{"text": \n', encoding="utf-8")
    return d


def train(d: Path, *sets: str) -> list[str]:
    args = ["train", "--config", TINY, "--set", f"output_dir={d / 'run'}", "--set", f"data.splits={d / 'splits.yaml'}",
            "--set", f"data.files=[{d / 'good.json'}]"]
    return args + [x for s in sets for x in ("--set", s)]


CASES = {
    "prepare: every report bad": lambda d: (["prepare", str(d / "broken.docx"), "--out", str(d / "sentences.jsonl")], 1),
    "prepare: --max-len 5": lambda d: (["prepare", str(d / "report.txt"), "--out", str(d / "sentences.jsonl"),
                                        "--max-len", "5"], 2),
    "prepare: --out is the report": lambda d: (["prepare", str(d / "report.txt"), "--out", str(d / "report.txt")], 2),
    "train: overlapping gold spans": lambda d: (train(d, f"data.files=[{d / 'overlapping.json'}]"), 2),
    "train: bad splits file": lambda d: (train(d, f"data.splits={d / 'bad-splits.yaml'}"), 2),
    "train: missing base model": lambda d: (train(d, "model.init=pretrained", f"model.name_or_path={d / 'nothing'}"), 2),
    "train: broken base model": lambda d: (train(d, "model.init=pretrained", f"model.name_or_path={d / 'not-a-model'}"), 2),
    "evaluate: overlapping gold spans": lambda d: (["evaluate", "--rules", "--data", str(d / "overlapping.json"),
                                                    "--splits", str(d / "splits.yaml"), "--out", str(d / "eval.json")], 2),
    "evaluate: --out is an annotation file": lambda d: (["evaluate", "--rules", "--data", str(d / "good.json"),
                                                         "--splits", str(d / "splits.yaml"), "--out",
                                                         str(d / "good.json")], 2),
    "evaluate: broken model": lambda d: (["evaluate", "--model", str(d / "not-a-model"), "--data", str(d / "good.json"),
                                          "--splits", str(d / "splits.yaml"), "--out", str(d / "eval.json")], 2),
    "select: broken input": lambda d: (["select", "--model", str(d / "not-a-model"), "--in", str(d / "bad.jsonl"),
                                        "--top", "1", "--out", str(d / "chosen.jsonl")], 2),
    "select: --out is the input": lambda d: (["select", "--model", str(d / "not-a-model"), "--in",
                                              str(d / "sentences.jsonl"), "--top", "1", "--out",
                                              str(d / "sentences.jsonl")], 2),
    "ls pull: server unreachable": lambda d: (["ls", "pull", "--project", "p", "--out", str(d / "good.json"),
                                               "--url", "http://127.0.0.1:9", "--token", "t"], 2),
    "ls pull: --out is a directory": lambda d: (["ls", "pull", "--project", "p", "--out", str(d / "run"),
                                                 "--url", "http://127.0.0.1:9", "--token", "t"], 2),
    "validate: overlapping spans": lambda d: (["validate", str(d / "overlapping.json")], 1),
    "validate: not JSON": lambda d: (["validate", str(d / "bad.jsonl")], 2),
}


@pytest.mark.parametrize("name", list(CASES))
def test_nothing_is_lost_when_an_input_is_bad(user_data, name, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=types.SimpleNamespace(read=lambda: b"")))
    args, code = CASES[name](user_data)
    before = snapshot(user_data)
    assert cli(args) == code, capsys.readouterr().err
    assert snapshot(user_data) == before


def test_predict_on_bad_input_writes_nothing(user_data, tiny_model_dir, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=types.SimpleNamespace(read=lambda: b"\x81\x20")))
    before = snapshot(user_data)
    assert cli(["predict", "--model", str(tiny_model_dir), "--device", "cpu", "-"]) == 2
    assert snapshot(user_data) == before and capsys.readouterr().out == ""
