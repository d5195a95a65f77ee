"""Predictor: device choice, windowing, offsets, BIO repair, batching, errors, CLI."""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from govner.errors import GovnerError
from govner.predict.predictor import (Predictor, TagSet, decode_bio, normalize_with_map, resolve_device, token_batches,
                            unsure_rows)
from govner.schema import ID2TAG, TAG2ID
from govner.modeling.tokenizer import build_tokenizer
from helpers.tiny_model import build_tiny_model

from helpers.paths import SEEDS
TAGS = TagSet.from_id2label(ID2TAG)


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer()


class RuleModel(torch.nn.Module):
    """Logits chosen by token id (and optionally by window edge), so entities are known in advance."""

    def __init__(self, rules: dict[int, str], edge_tag: str | None = None):
        super().__init__()
        self.rules = rules
        self.edge_tag = edge_tag
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, input_ids, attention_mask):
        logits = torch.zeros(*input_ids.shape, len(ID2TAG))
        logits[..., TAG2ID["O"]] = 1.0
        for tid, tag in self.rules.items():
            logits[input_ids == tid] = torch.nn.functional.one_hot(torch.tensor(TAG2ID[tag]), len(ID2TAG)).float() * 3
        if self.edge_tag:  # the first and last real token of every window: the least context
            last = attention_mask.sum(-1) - 2
            for row in range(input_ids.shape[0]):
                for pos in (1, int(last[row])):
                    logits[row, pos] = 0.0
                    logits[row, pos, TAG2ID[self.edge_tag]] = 3.0
        return types.SimpleNamespace(logits=logits)


def rule_predictor(tok, rules: dict[str, str], **kw) -> Predictor:
    ids = {tok.convert_tokens_to_ids(t): tag for t, tag in rules.items()}
    edge = kw.pop("edge_tag", None)
    return Predictor(RuleModel(ids, edge), tok, ID2TAG, "cpu", **kw)


def spans(ents):
    return [(e["start"], e["end"], e["label"]) for e in ents]


def assert_well_formed(text, ents):
    last_end = 0
    for e in ents:
        assert e["text"] == text[e["start"]:e["end"]]
        assert last_end <= e["start"] < e["end"] <= len(text)
        assert not e["text"][0].isspace() and not e["text"][-1].isspace()
        assert 0.0 < e["score"] <= 1.0
        last_end = e["end"]


# -- device selection ---------------------------------------------------------------------


def fake_cuda(monkeypatch, available: bool, count: int = 0):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


def test_device_auto_and_cpu(monkeypatch):
    fake_cuda(monkeypatch, False)
    assert resolve_device("auto").type == "cpu"
    assert resolve_device("CPU").type == "cpu"
    fake_cuda(monkeypatch, True, 2)
    assert resolve_device("auto") == torch.device("cuda")
    assert resolve_device("cuda:1") == torch.device("cuda:1")


@pytest.mark.parametrize("spec,count,message", [
    ("cuda", 0, "CUDA is not available"),
    ("cuda:0", 0, "CUDA is not available"),
    ("cuda:2", 2, "only 2 CUDA device"),
    ("cuda:x", 1, "cuda:N"),
    ("tpu", 1, "unknown device 'tpu'"),
])
def test_device_errors(monkeypatch, spec, count, message):
    fake_cuda(monkeypatch, count > 0, count)
    with pytest.raises(GovnerError, match=message):
        resolve_device(spec)


def test_half_precision_only_on_cuda(tok):
    assert rule_predictor(tok, {}).model_half is None
    with pytest.raises(GovnerError, match="only used on CUDA"):
        rule_predictor(tok, {}, half=True)


def test_unsure_rows_ignores_padding():
    logits = torch.zeros(3, 4, 2)
    logits[..., 0] = 5.0
    logits[1, 2] = torch.tensor([1.0, 0.9])  # a close call on a real token
    logits[2, 3] = torch.tensor([1.0, 0.9])  # a close call on padding only
    mask = torch.ones(3, 4, dtype=torch.long)
    mask[2, 3] = 0
    assert unsure_rows(logits, mask, 0.25).tolist() == [False, True, False]


def test_fp16_close_calls_are_redone_in_fp32(tok):
    """The half path keeps fp16 results only where the call is clear; the rest come from fp32."""

    class Fixed(torch.nn.Module):
        def __init__(self, logits):
            super().__init__()
            self.logits = logits

        def forward(self, input_ids, attention_mask):
            return types.SimpleNamespace(logits=self.logits[: input_ids.shape[0]].clone())

    exact = torch.zeros(2, 3, len(ID2TAG))
    exact[..., TAG2ID["B-VALUE"]] = 2.0
    rough = exact.clone()
    rough[1, 1, TAG2ID["O"]] = 2.1  # fp16 "flipped" a close call in row 1
    p = rule_predictor(tok, {})
    # Only row 1 is redone, so the fp32 model is handed just that row's exact logits.
    p.model, p.model_half = Fixed(exact[1:]), Fixed(rough)
    probs = p._forward(torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.long))
    assert probs.argmax(-1).eq(TAG2ID["B-VALUE"]).all()


# -- BIO repair ---------------------------------------------------------------------------


@pytest.mark.parametrize("tags,expected", [
    (["I-VALUE", "I-VALUE"], [(0, 2, "VALUE")]),  # I- without B- opens an entity
    (["O", "I-VALUE", "O"], [(1, 2, "VALUE")]),
    (["B-VALUE", "I-PROJECT", "I-PROJECT"], [(0, 1, "VALUE"), (1, 3, "PROJECT")]),  # I-X after B-Y
    (["I-VALUE", "I-INDICATOR"], [(0, 1, "VALUE"), (1, 2, "INDICATOR")]),
    (["B-VALUE", "B-VALUE", "I-VALUE"], [(0, 1, "VALUE"), (1, 3, "VALUE")]),
    (["B-LEAD_OFFICE", "O", "I-LEAD_OFFICE"], [(0, 1, "LEAD_OFFICE"), (2, 3, "LEAD_OFFICE")]),
    (["O", "O"], []),
    ([], []),
])
def test_bio_repair(tags, expected):
    got = decode_bio([TAG2ID[t] for t in tags], [0.5] * len(tags), TAGS)
    assert [s[:3] for s in got] == expected


def test_score_is_mean_token_max_prob():
    got = decode_bio([TAG2ID["B-VALUE"], TAG2ID["I-VALUE"], TAG2ID["O"]], [0.9, 0.5, 0.99], TAGS)
    assert got == [(0, 2, "VALUE", pytest.approx(0.7))]


def test_foreign_label_set_is_rejected():
    with pytest.raises(GovnerError, match="'B-PER'"):
        TagSet.from_id2label({0: "O", 1: "B-PER", 2: "I-PER"}, "x/config.json")


# -- windowing -------------------------------------------------------------------------------


@pytest.mark.parametrize("max_length,stride", [(16, 7), (16, 14), (12, 1), (40, None)])
def test_entity_across_window_edges_found_once(tok, max_length, stride):
    p = rule_predictor(tok, {"甲": "B-PROJECT", "乙": "I-PROJECT"}, max_length=max_length, stride=stride)
    text = "丙" * 30 + "甲" + "乙" * 40 + "丙" * 30 + "甲乙"
    assert spans(p.predict(text)) == [(30, 71, "PROJECT"), (101, 103, "PROJECT")]


def test_each_token_decided_by_the_window_that_owns_it(tok):
    """A model that is wrong at every window edge must only show that at the text's own edges."""
    p = rule_predictor(tok, {}, max_length=16, stride=7, edge_tag="B-VALUE")
    text = "丙" * 100
    assert spans(p.predict(text)) == [(0, 1, "VALUE"), (99, 100, "VALUE")]


@pytest.fixture(scope="module")
def all_i_value(tmp_path_factory):
    """A real BERT whose classifier says I-VALUE everywhere: every text of 2+ tokens is one entity."""
    return build_tiny_model(tmp_path_factory.mktemp("all_i"), winning_tag="I-VALUE")


def test_long_real_text_is_one_entity(all_i_value):
    p = Predictor.from_pretrained(all_i_value, device="cpu", max_length=64)
    seed = (SEEDS / "004_d2fc8c44b527f0e4.txt").read_text(encoding="utf-8")
    text = "  \n" + seed[:10_000] + " 😀𠮷\u2028 "
    (ent,) = p.predict(text)
    assert (ent["start"], ent["end"]) == (3, len(text) - 2)  # "\u2028" and " " are whitespace
    assert ent["text"] == text[3:-2] and ent["text"].endswith("😀𠮷")


# -- offsets ----------------------------------------------------------------------------------


def test_offsets_survive_normalisation(tok):
    p = rule_predictor(tok, {"10": "B-VALUE", "%": "I-VALUE", "[UNK]": "B-PROJECT", "ex": "B-INDICATOR",
                             "值": "B-LEAD_OFFICE", "办": "I-LEAD_OFFICE"})
    text = "增长\u200b１０％，😀𠮷 e\u0301x\u3000\u2028值\ufeff办 "
    assert [e["text"] for e in p.predict(text)] == ["１０％", "😀", "𠮷", "e\u0301x", "值\ufeff办"]


def test_normalisation_map_points_into_the_original():
    text = "a\u200b１\u3000Ｂ\ufeff"
    norm, index = normalize_with_map(text)
    assert norm == "a1 B"
    assert [text[i] for i in index] == ["a", "１", "\u3000", "Ｂ"]
    assert normalize_with_map("不变") == ("不变", None)


ADVERSARIAL = st.text(alphabet=st.sampled_from(list("增长10%。，元亿 \t\n\u3000\u2028\u200b\ufeffＡ１％😀𠮷e\u0301ǅ㎡ab")),
                      max_size=60)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ADVERSARIAL)
def test_offsets_index_the_callers_string(tiny_model_dir, text):
    ents = loaded(tiny_model_dir).predict(text)
    assert_well_formed(text, ents)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=ADVERSARIAL)
def test_all_i_model_covers_every_token(all_i_value, text):
    p = loaded(all_i_value)
    ents = p.predict(text)
    assert_well_formed(text, ents)
    tokens = p.tokenizer(normalize_with_map(text)[0], add_special_tokens=False)["input_ids"]
    # decoding keeps to valid BIO: the path opens with B-VALUE (as improbable as O) and then
    # follows the I-VALUEs, so two or more tokens are one entity; a lone I- token is none
    assert len(ents) == (1 if len(tokens) >= 2 else 0)


_LOADED: dict = {}


def loaded(model_dir) -> Predictor:
    """Hypothesis calls a test many times; load each model once."""
    if model_dir not in _LOADED:
        _LOADED[model_dir] = Predictor.from_pretrained(model_dir, device="cpu", max_length=24)
    return _LOADED[model_dir]


# -- batching ---------------------------------------------------------------------------------


def test_batch_equals_single(tiny_model_dir):
    p = loaded(tiny_model_dir)
    seed = (SEEDS / "000_f335f9e20c8b25d3.txt").read_text(encoding="utf-8")
    texts = [seed[i:i + n] for i, n in zip(range(0, 3000, 97), [5, 40, 200, 1, 77, 0, 130] * 10)]
    texts += ["", "   ", "Latin text only.", "😀" * 30]
    batched = p.predict(texts, batch_size=7)
    assert len(batched) == len(texts)
    for text, ents in zip(texts, batched):
        single = p.predict(text, batch_size=1)
        assert spans(single) == spans(ents)
        assert [e["score"] for e in single] == pytest.approx([e["score"] for e in ents], abs=1e-5)
        assert_well_formed(text, ents)
    assert any(batched), "the random model should tag something"


def test_token_batches_cap_rows_and_tokens():
    widths = [512, 512, 300, 130, 128, 100, 50, 50, 10]
    batches = [list(b) for b in token_batches(widths, batch_size=4, tokens_per_row=128)]
    assert [i for b in batches for i in b] == list(range(len(widths)))
    assert batches == [[0], [1], [2], [3, 4, 5], [6, 7, 8]]
    assert all(len(b) <= 4 and widths[b[0]] * len(b) <= max(512, widths[b[0]]) for b in batches)


def test_predict_document_offsets(tiny_model_dir, monkeypatch):
    """Sentence entities are shifted into the document: checked against per-sentence results."""
    fake = types.ModuleType("govner.text.split")
    fake.split_sentences = lambda text, max_len=150, **kw: [(0, 9), (10, 19)]
    monkeypatch.setitem(sys.modules, "govner.text.split", fake)
    p = loaded(tiny_model_dir)
    doc = "财政总收入增长10%。\n全市生产总值增长６％。"
    got = p.predict_document(doc)
    per_sentence = p.predict([doc[0:9], doc[10:19]])
    assert spans(got) == spans(per_sentence[0]) + [(s + 10, e + 10, l) for s, e, l in spans(per_sentence[1])]
    assert_well_formed(doc, got)


def test_predict_document_on_a_real_report(tiny_model_dir):
    p = loaded(tiny_model_dir)
    doc = (SEEDS / "001_b5823f374c69119f.txt").read_text(encoding="utf-8")
    from govner.text.split import split_sentences

    got = p.predict_document(doc)
    assert_well_formed(doc, got)
    expected = [(s + e["start"], s + e["end"], e["label"])
                for (s, end), ents in zip(split_sentences(doc), p.predict([doc[s:e] for s, e in split_sentences(doc)]))
                for e in ents]
    assert spans(got) == expected and len(got) > 100


def test_windows_follow_the_training_config(tiny_model_dir, tmp_path):
    import shutil

    shutil.copytree(tiny_model_dir, tmp_path / "m")
    (tmp_path / "m" / "train_config.yaml").write_text("data:\n  max_length: 32\n  stride: 10\n")
    p = Predictor.from_pretrained(tmp_path / "m", device="cpu")
    assert (p.window, p.stride) == (30, 10)
    assert Predictor.from_pretrained(tiny_model_dir, device="cpu").window == 126  # config positions


def test_bf16_checkpoint_is_run_in_float32(tiny_model_dir, tmp_path):
    from transformers import AutoModelForTokenClassification

    AutoModelForTokenClassification.from_pretrained(tiny_model_dir, dtype=torch.bfloat16).save_pretrained(tmp_path)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt"):
        (tmp_path / name).write_bytes((tiny_model_dir / name).read_bytes())
    p = Predictor.from_pretrained(tmp_path, device="cpu")
    assert next(p.model.parameters()).dtype == torch.float32


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad,message", [
    (None, "got None"),
    (["ok", 3], r"texts\[1\] is int"),
    (["ok", None], r"texts\[1\] is NoneType"),
    (b"bytes", "got bytes"),
])
def test_bad_inputs(tiny_model_dir, bad, message):
    with pytest.raises(GovnerError, match=message):
        loaded(tiny_model_dir).predict(bad)


def test_bad_model_dirs(tmp_path, tiny_model_dir):
    with pytest.raises(GovnerError, match="not found"):
        Predictor.from_pretrained(tmp_path / "nope")
    with pytest.raises(GovnerError, match="config.json not found"):
        Predictor.from_pretrained(tmp_path)
    config = json.loads((tiny_model_dir / "config.json").read_text())
    del config["id2label"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(GovnerError, match="has no id2label"):
        Predictor.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text('{\n  "model_type": "bert",\n  "id2label": {,\n}')
    with pytest.raises(GovnerError, match=r"config\.json:3: invalid JSON \(Expecting property name .* at column 16\)"):
        Predictor.from_pretrained(tmp_path)
    (tmp_path / "config.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(GovnerError, match="config.json: JSON nested too deeply to be a model config"):
        Predictor.from_pretrained(tmp_path)


# -- CLI --------------------------------------------------------------------------------------


def test_cli_jsonl_and_text(tiny_model_dir, tmp_path, capsys, monkeypatch):
    from govner.cli import main

    records = [{"doc_id": "d1", "sent_idx": i, "text": t, "source": "x"}
               for i, t in enumerate(["财政总收入增长10%。", "", "全市生产总值增长６％\u2028。"])]
    jsonl = tmp_path / "s.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    assert main(["predict", "--model", str(tiny_model_dir), "--device", "cpu", "--batch-size", "2", str(jsonl)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.split("\n") if line]
    assert [(r["doc_id"], r["sent_idx"]) for r in out] == [("d1", 0), ("d1", 1), ("d1", 2)]
    direct = loaded(tiny_model_dir).predict([r["text"] for r in records])
    assert [spans(r["entities"]) for r in out] == [spans(d) for d in direct]

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a"}\n{"doc_id": 1}\n', encoding="utf-8")
    assert main(["predict", "--model", str(tiny_model_dir), "--device", "cpu", str(bad)]) == 2
    assert f"{bad}:2:" in capsys.readouterr().err

    # stdin is one text per line (docs/predict.md), decoded like a file
    stdin = "财政总收入增长10%。\n\n全市生产总值增长６％。\n".encode("gbk")
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=types.SimpleNamespace(read=lambda: stdin)))
    assert main(["predict", "--model", str(tiny_model_dir), "--device", "cpu", "-"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.split("\n") if line]
    assert [(r["line"], r["text"]) for r in lines] == [(1, "财政总收入增长10%。"), (2, ""), (3, "全市生产总值增长６％。")]
    assert spans(lines[0]["entities"]) == spans(direct[0]) and lines[1]["entities"] == []

    report = "全市生产总值增长６％。\n（区财政局牵头）加快建设轨道交通３号线。"
    gbk = tmp_path / "report.txt"
    gbk.write_bytes(report.encode("gbk"))
    assert main(["predict", "--model", str(tiny_model_dir), "--device", "cpu", str(gbk)]) == 0
    (doc,) = [json.loads(line) for line in capsys.readouterr().out.split("\n") if line]
    assert doc["doc_id"] == "report" and doc["entities"]
    assert spans(doc["entities"]) == spans(loaded(tiny_model_dir).predict_document(report))
    assert_well_formed(report, doc["entities"])


def test_cli_cuda_absent_is_a_clear_error(tiny_model_dir, capsys, monkeypatch):
    from govner.cli import main

    fake_cuda(monkeypatch, False)
    assert main(["predict", "--model", str(tiny_model_dir), "--device", "cuda", "-"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err
