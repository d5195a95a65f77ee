"""The Predictor's speed work: batched Viterbi, precision modes, model_inputs, streaming JSONL."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from govner.modeling.decode import allowed_transitions, viterbi, viterbi_batch
from govner.errors import GovnerError
from govner.predict.precision import resolve_quantize
from govner.predict.predictor import Predictor
from govner.schema import ID2TAG

TEXTS = ["财政总收入增长10%。", "", "全市生产总值增长６％左右,一般公共预算收入增长5.2%。",
         "推进杭台高铁嵊州北站连接线建设(工业商贸办牵头)。" * 12, "Latin only.", "😀增长"]


def spans(ents):
    return [(e["start"], e["end"], e["label"]) for e in ents]


def test_batched_viterbi_is_viterbi():
    allowed = allowed_transitions([ID2TAG[i] for i in range(len(ID2TAG))])
    rng = np.random.default_rng(7)
    for _ in range(50):
        lengths = rng.integers(0, 30, rng.integers(1, 12))
        steps = max(1, int(lengths.max()))
        dist = rng.dirichlet(np.full(len(ID2TAG), 0.3), size=(len(lengths), steps)).astype(np.float32)
        logp = np.log(np.clip(dist, 1e-12, None))
        got = viterbi_batch(logp, lengths, allowed)
        assert got == [viterbi(logp[b, :n], allowed) for b, n in enumerate(lengths)]


def test_quantize_modes_resolve_per_device(monkeypatch):
    import govner.predict.precision as precision

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    assert resolve_quantize("auto", cpu) == "bf16" and resolve_quantize("auto", cuda) is None
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    assert resolve_quantize("auto", cpu) is None
    assert resolve_quantize("none", cpu) is None and resolve_quantize(None, cpu) is None
    assert resolve_quantize("int8", cpu) == "int8" and resolve_quantize("bf16", cpu) == "bf16"
    for mode in ("int8", "bf16"):
        with pytest.raises(GovnerError, match="is for CPU"):
            resolve_quantize(mode, cuda)
    with pytest.raises(GovnerError, match="quantize must be one of"):
        resolve_quantize("fp8", cpu)


@pytest.mark.parametrize("mode", ["bf16", "int8"])
def test_reduced_precision_keeps_the_rules(tiny_model_dir, mode):
    exact = Predictor.from_pretrained(tiny_model_dir, device="cpu", quantize="none")
    p = Predictor.from_pretrained(tiny_model_dir, device="cpu", quantize=mode)
    assert p.quantize == mode and exact.quantize is None
    assert p.model is not exact.model and p.model.classifier.weight.dtype == torch.float32
    got, want = p.predict(TEXTS, batch_size=4), exact.predict(TEXTS, batch_size=4)
    for text, ents in zip(TEXTS, got):
        for e in ents:
            assert e["text"] == text[e["start"]:e["end"]] and 0 < e["score"] <= 1
    same = sum(spans(a) == spans(b) for a, b in zip(got, want))
    assert same >= len(TEXTS) - 1  # a random tiny model has near ties; a trained one: benchmarks/RESULTS.md


def test_bf16_does_not_depend_on_batch_neighbours(tiny_model_dir):
    p = Predictor.from_pretrained(tiny_model_dir, device="cpu", quantize="bf16")
    batched = p.predict(TEXTS, batch_size=64)
    assert [spans(p.predict(t, batch_size=1)) for t in TEXTS] == [spans(b) for b in batched]


def test_model_inputs_are_the_forward_passes_predict_makes(tiny_model_dir):
    p = Predictor.from_pretrained(tiny_model_dir, device="cpu", quantize="none")
    seen = []
    forward = p.model.forward

    def spy(**kw):
        seen.append({k: v.clone() for k, v in kw.items()})
        return forward(**kw)

    p.model.forward = spy
    p.predict(TEXTS, batch_size=2)
    planned = p.model_inputs(TEXTS, batch_size=2)
    assert len(planned) == len(seen) > 1
    for a, b in zip(planned, seen):
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_jsonl_is_streamed_and_checked_first(tiny_model_dir, tmp_path, capsys, monkeypatch):
    import govner.predict.predictor as predict
    from govner.cli import main

    good = tmp_path / "s.jsonl"
    recs = [{"doc_id": "d", "sent_idx": i, "text": t} for i, t in enumerate(TEXTS * 100)]
    good.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    sizes = []
    real = predict.Predictor.predict

    def counting(self, texts, batch_size=64):
        sizes.append(len(texts))
        return real(self, texts, batch_size)

    monkeypatch.setattr(predict.Predictor, "predict", counting)
    assert main(["predict", "--model", str(tiny_model_dir), "--device", "cpu", "--batch-size", "8", str(good)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["sent_idx"], r["text"]) for r in out] == [(r["sent_idx"], r["text"]) for r in recs]
    assert max(sizes) == 256 and sum(sizes) == len(recs)  # chunks, never the whole file

    bad = tmp_path / "late.jsonl"
    bad.write_text(good.read_text(encoding="utf-8") + '{"doc_id": "no text"}\n', encoding="utf-8")
    assert main(["predict", "--model", str(tiny_model_dir), "--device", "cpu", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and f"{bad}:{len(recs) + 1}: expected a sentence record" in captured.err

    gbk = tmp_path / "gbk.jsonl"  # not UTF-8: read whole and decoded as before
    gbk.write_bytes((json.dumps({"text": "财政总收入增长10%。"}, ensure_ascii=False) + "\n").encode("gbk"))
    assert predict._jsonl_stream(str(gbk)) is None
    assert main(["predict", "--model", str(tiny_model_dir), "--device", "cpu", str(gbk)]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "财政总收入增长10%。"
