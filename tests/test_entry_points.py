"""Hostile inputs at every entry point (issue 18): a GovnerError naming the culprit or a correct
empty result, never a traceback; and nothing written before the inputs are known good."""
from __future__ import annotations

import json
import shutil
import sys
import types
import zipfile
from pathlib import Path

import pytest

from govner.cli import main as cli
from govner.errors import GovnerError
from govner.predict.predictor import Predictor

from helpers.paths import ROOT
FIX = ROOT / "tests" / "fixtures"
ANN = FIX / "mini_annotations.json"
SPLITS = FIX / "mini_splits.yaml"
TINY = str(ROOT / "configs" / "tiny-test.yaml")
REPORT = "财政总收入增长10%。\n全市生产总值增长６％。\n"


@pytest.fixture(scope="module")
def predictor(tiny_model_dir):
    return Predictor.from_pretrained(tiny_model_dir, device="cpu")


def stdin_bytes(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=types.SimpleNamespace(read=lambda: data)))


def out_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.split("\n") if line]


# --- prepare -----------------------------------------------------------------------------


def make_docx(path: Path, text: str) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph(text)
    d.save(str(path))
    return path


def corrupt_docx(tmp_path: Path) -> Path:
    good = make_docx(tmp_path / "good.docx", "无关")
    bad = tmp_path / "broken.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, b"<<<not xml" if name == "word/document.xml" else src.read(name))
    return bad


def test_prepare_skips_a_corrupt_docx_and_writes_the_good_files(tmp_path, capsys):
    report = tmp_path / "r.txt"
    report.write_text(REPORT, encoding="utf-8")
    truncated = tmp_path / "truncated.docx"
    truncated.write_bytes(make_docx(tmp_path / "t.docx", "财政").read_bytes()[:300])
    out = tmp_path / "s.jsonl"
    assert cli(["prepare", str(report), str(corrupt_docx(tmp_path)), str(truncated), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "broken.docx: not a readable .docx" in err and "truncated.docx: not a readable .docx" in err
    assert [json.loads(line)["text"] for line in out.read_text("utf-8").splitlines()] == [
        "财政总收入增长10%。", "全市生产总值增长6%。"]
    assert (tmp_path / "s.docs.jsonl").is_file()


@pytest.mark.parametrize("out,extra,fragment", [
    ("s.jsonl", ["--max-len", "5"], "--max-len 5: must be at least 10"),
    ("dir", [], "--out {tmp}/dir: is a directory"),
    ("r.txt", [], "--out {tmp}/r.txt: is also an input"),
    ("r.jsonl", [], "r.docs.jsonl: is also an input"),  # its .docs.jsonl would replace an input
])
def test_prepare_refuses_bad_arguments_before_reading_or_writing(tmp_path, capsys, out, extra, fragment):
    (tmp_path / "r.txt").write_text(REPORT, encoding="utf-8")
    (tmp_path / "r.docs.jsonl").write_text("someone's notes, passed as an input by mistake", encoding="utf-8")
    (tmp_path / "dir").mkdir()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    inputs = [str(tmp_path / "r.txt"), str(tmp_path / "r.docs.jsonl")]
    assert cli(["prepare", *inputs, "--out", str(tmp_path / out), *extra]) == 2
    assert fragment.format(tmp=tmp_path) in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_prepare_writes_both_outputs_or_neither(tmp_path, monkeypatch):
    from helpers.faults import disk_full_on_second_write

    report = tmp_path / "r.txt"
    report.write_text(REPORT, encoding="utf-8")
    out = tmp_path / "s.jsonl"
    out.write_text("old sentences", encoding="utf-8")
    (tmp_path / "s.docs.jsonl").write_text("old docs", encoding="utf-8")
    disk_full_on_second_write(monkeypatch)
    with pytest.raises(OSError):
        cli(["prepare", str(report), "--out", str(out)])
    assert out.read_text("utf-8") == "old sentences"
    assert (tmp_path / "s.docs.jsonl").read_text("utf-8") == "old docs"


def test_prepare_warns_about_a_huge_line_without_semicolons_and_splits_it(tmp_path, capsys):
    report = tmp_path / "flat.txt"
    long_line = "，".join(f"第{i}项工作稳步推进" for i in range(5000))  # ~50,000 characters, no ；
    report.write_text("标题\n" + long_line + "\n结尾。\n", encoding="utf-8")
    out = tmp_path / "s.jsonl"
    assert cli(["prepare", str(report), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {report}:2: {len(long_line)} characters without a ；" in err
    texts = [json.loads(line)["text"] for line in out.read_text("utf-8").splitlines()]
    assert max(len(t) for t in texts) <= 150 and "".join(texts[1:-1]) == long_line


def test_a_fullwidth_decimal_point_stays_in_its_value():
    from govner.rules.tagger import rule_entities
    from govner.text.clean import clean_text

    cleaned = clean_text("一般公共预算收入增长５．２％。").text
    assert cleaned == "一般公共预算收入增长5.2%。"
    assert [(e["text"], e["label"]) for e in rule_entities(cleaned)] == [
        ("一般公共预算收入", "INDICATOR"), ("增长5.2%", "VALUE")]


def test_the_predictor_gives_rule_features_of_the_folded_text(tmp_path):
    """Training computes rule tags on prepared (folded) text; so must prediction."""
    from helpers.tiny_model import tiny_classifier

    from govner.schema import ID2TAG
    from govner.modeling.tokenizer import build_tokenizer

    p = Predictor(tiny_classifier(features=["rule_tags"]), build_tokenizer(), ID2TAG, "cpu", max_length=64)
    (raw,) = p._encode(["一般公共预算收入增长５．２％。"])
    (folded,) = p._encode(["一般公共预算收入增长5.2%。"])
    assert raw.features["rule_tags"] == folded.features["rule_tags"]
    tags = [ID2TAG[t] for t in raw.features["rule_tags"]]
    assert tags.count("B-VALUE") == 1  # `增长5.2%` is one value, not `5` and `2%`


# --- predict: inputs, empty inputs, the CLI ----------------------------------------------


def test_empty_inputs_give_empty_results(predictor):
    assert predictor.predict([]) == []
    assert predictor.predict("") == []
    assert predictor.predict(["", " "]) == [[], []]
    assert predictor.predict_document("") == []
    assert predictor.predict_documents([]) == []
    assert predictor.predict_with_uncertainty([]) == []


@pytest.mark.parametrize("call", [
    lambda p: p.predict("增长\ud800"),
    lambda p: p.predict(["好", "\udfff"]),
    lambda p: p.predict_document("增长\udc80%"),
    lambda p: p.predict_with_uncertainty(["\ud83d"]),
])
def test_lone_surrogates_are_govner_errors(predictor, call):
    with pytest.raises(GovnerError, match=r"lone surrogate U\+D[0-9A-F]{3} at offset"):
        call(predictor)


def test_cli_empty_stdin_and_blank_files(tiny_model_dir, tmp_path, capsys, monkeypatch):
    stdin_bytes(monkeypatch, b"")
    assert cli(["predict", "--model", str(tiny_model_dir), "--device", "cpu", "-"]) == 0
    assert out_lines(capsys) == []
    blank, spaces = tmp_path / "blank.txt", tmp_path / "spaces.txt"
    blank.write_bytes(b"")
    spaces.write_bytes(b"  \n\n")
    assert cli(["predict", "--model", str(tiny_model_dir), "--device", "cpu", str(blank), str(spaces)]) == 0
    assert out_lines(capsys) == [{"doc_id": "blank", "source": str(blank), "entities": []},
                                 {"doc_id": "spaces", "source": str(spaces), "entities": []}]


@pytest.mark.parametrize("data,fragment", [
    (b"\xff\xfe\x00\xd8", "<stdin>"),  # UTF-16 with a lone surrogate
    (b"abc \x81\x20 def", "<stdin>: not UTF-8, GBK or GB18030"),
    (b"\x00\x01binary", "<stdin>: looks binary"),
    (b'{"text": "a\\ud800"}\n', "<stdin>:1: lone surrogate U+D800"),
])
def test_cli_undecodable_stdin_is_an_error(tiny_model_dir, capsys, monkeypatch, data, fragment):
    stdin_bytes(monkeypatch, data)
    assert cli(["predict", "--model", str(tiny_model_dir), "--device", "cpu", "-"]) == 2
    assert fragment in capsys.readouterr().err


def test_cli_stdin_and_files_decode_alike(tiny_model_dir, tmp_path, capsys, monkeypatch):
    text = "全市生产总值增长６％。"
    f = tmp_path / "gbk.txt"
    f.write_bytes(text.encode("gb18030"))
    stdin_bytes(monkeypatch, text.encode("gb18030"))
    assert cli(["predict", "--model", str(tiny_model_dir), "--device", "cpu", "-", str(f)]) == 0
    line, doc = out_lines(capsys)
    assert line["text"] == text and line["entities"] == doc["entities"]


def test_cli_warns_about_a_huge_line(tiny_model_dir, capsys, monkeypatch):
    stdin_bytes(monkeypatch, ("短句。\n" + "字" * 3000 + "\n").encode())
    assert cli(["predict", "--model", str(tiny_model_dir), "--device", "cpu", "-"]) == 0
    assert "warning: <stdin>:2: 3000 characters without a ；" in capsys.readouterr().err


def test_no_token_length_warning_on_long_inputs(tiny_model_dir, capfd, caplog):
    """transformers warns of "indexing errors" for sequences over model_max_length; ours are windowed."""
    from govner.training.data import tokenize

    for call in (lambda p: p.predict("财政总收入增长10%。" * 100),
                 lambda p: tokenize(p.tokenizer, "财政总收入增长10%。" * 100)):
        p = Predictor.from_pretrained(tiny_model_dir, device="cpu")  # a fresh tokenizer warns once
        p.tokenizer.model_max_length = 64
        capfd.readouterr()
        caplog.clear()
        call(p)
        assert "Token indices sequence length" not in capfd.readouterr().err + caplog.text


# --- model directories --------------------------------------------------------------------


def broken_copy(src: Path, dst: Path, how: str) -> Path:
    shutil.copytree(src, dst)
    if how == "no weights":
        (dst / "model.safetensors").unlink()
    elif how == "truncated weights":
        with open(dst / "model.safetensors", "r+b") as fh:
            fh.truncate(1000)
    elif how == "no tokenizer":
        (dst / "tokenizer.json").unlink()
        (dst / "vocab.txt").unlink()
    elif how == "unknown model_type":
        config = json.loads((dst / "config.json").read_text())
        (dst / "config.json").write_text(json.dumps({**config, "model_type": "no-such-model"}))
    elif how == "config not an object":
        (dst / "config.json").write_text("[1, 2]")
    elif how == "tokenizer of another model":  # more ids than the model has embeddings
        from govner.modeling.tokenizer import build_tokenizer, default_vocab_path, save_tokenizer

        vocab = dst.parent / "bigger-vocab.txt"
        vocab.write_text(default_vocab_path().read_text("utf-8") + "".join(f"[extra{i}]\n" for i in range(10)),
                         encoding="utf-8")
        (dst / "tokenizer.json").unlink()
        save_tokenizer(build_tokenizer(vocab, expected_size=None), dst)
    return dst


@pytest.mark.parametrize("how,fragment", [
    ("no weights", "no model weights"),
    ("truncated weights", "cannot load the model weights"),
    ("no tokenizer", "no tokenizer files"),
    ("unknown model_type", "model_type 'no-such-model'"),
    ("config not an object", "expected a JSON object"),
    ("tokenizer of another model", "the tokenizer has 21138 ids but the model only 21128"),
])
def test_broken_model_directories_are_errors_naming_the_directory(tiny_model_dir, tmp_path, how, fragment):
    model = broken_copy(tiny_model_dir, tmp_path / "model", how)
    with pytest.raises(GovnerError, match=fragment) as exc:
        Predictor.from_pretrained(model, device="cpu")
    assert str(model) in str(exc.value)


def test_train_names_a_broken_base_model(tiny_model_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    base = broken_copy(tiny_model_dir, tmp_path / "base", "truncated weights")
    assert cli(["train", "--config", TINY, "--set", f"output_dir={tmp_path / 'out'}",
                "--set", "model.init=pretrained", "--set", f"model.name_or_path={base}"]) == 2
    assert f"{base}: cannot load the model weights" in capsys.readouterr().err


# --- configs and splits ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e400"])
def test_non_finite_numbers_are_refused(tmp_path, value):
    from govner.training.config import load_config

    path = tmp_path / "c.yaml"
    path.write_text(f"training:\n  epochs: {value}\n", encoding="utf-8")
    with pytest.raises(GovnerError, match="training.epochs: must be (a finite number|> 0)"):
        load_config(path)


def test_a_config_that_is_not_utf8(tmp_path):
    from govner.training.config import load_config

    path = tmp_path / "c.yaml"
    path.write_bytes("training:\n  epochs: 3  # 轮数\n".encode("gbk"))
    with pytest.raises(GovnerError, match=rf"{path}: not UTF-8"):
        load_config(path)


@pytest.mark.parametrize("content,fragment", [
    (b"train: abc\n", "train: expected a list of document ids"),
    (b"train: 5\n", "train: expected a list of document ids"),
    (b"train: [[a, b]]\n", "document ids are strings"),
    (b"- train\n", "expected a mapping"),
    (b"train: [a\n", "not valid YAML"),
    (b"train: [\x80\xff]\n", "not UTF-8, GBK or GB18030"),
])
def test_bad_splits_files(tmp_path, content, fragment):
    from govner.training.data import read_splits

    path = tmp_path / "splits.yaml"
    path.write_bytes(content)
    with pytest.raises(GovnerError, match=fragment) as exc:
        read_splits(path)
    assert str(path) in str(exc.value)


# --- evaluate and serve-ml check their arguments before the work ---------------------------


def test_evaluate_checks_out_before_the_work(tiny_model_dir, tmp_path, capsys, monkeypatch):
    import govner.training.evaluate

    def no_work(*a, **k):
        raise AssertionError("the work started before --out was checked")

    monkeypatch.setattr(govner.training.evaluate, "load_examples", no_work)
    monkeypatch.setattr(govner.training.evaluate, "model_predict_fn", no_work)
    ann = tmp_path / "ann.json"
    shutil.copy(ANN, ann)
    for out, fragment in ((tmp_path, "is a directory"), (ann, "is also an input")):
        assert cli(["evaluate", "--model", str(tiny_model_dir), "--data", str(ann), "--splits", str(SPLITS),
                    "--out", str(out)]) == 2
        assert fragment in capsys.readouterr().err
    assert ann.read_bytes() == ANN.read_bytes()


def test_serve_ml_checks_the_port_before_loading_the_model(tmp_path, capsys):
    assert cli(["serve-ml", "--model", str(tmp_path / "no-model"), "--port", "70000"]) == 2
    assert "--port 70000: must be between 1 and 65535" in capsys.readouterr().err
