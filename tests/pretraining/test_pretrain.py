"""govner pretrain: tokenizer, whole-word masking, packing, a few steps, resume, export."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from govner.errors import GovnerError
from govner.pretraining.config import load_config
from govner.pretraining.data import (
    CLS_ID, MASK_ID, SEP_ID, WORD_START, _init_worker, domain_documents, encode_lines, mask_whole_words, pack,
)
from govner.modeling.tokenizer import build_tokenizer, default_vocab_path

from helpers.paths import ROOT
TINY = ROOT / "configs" / "pretrain-tiny.yaml"
SEED_TEXT = "2023年全镇实现地区生产总值增长6.5%，完成固定资产投资12亿元，由镇经济发展办公室牵头负责。"


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer()


def tiny_cfg(tmp: Path, *extra: str):
    sets = [f"cache_dir={tmp / 'cache'}", f"checkpoint_dir={tmp / 'ckpt'}", f"output_dir={tmp / 'model'}",
            f"log_path={tmp / 'log.jsonl'}", *extra]
    return load_config(TINY, sets)


# ---------------------------------------------------------------- tokenizer

def test_tokenizer_has_bert_base_chinese_ids(tok):
    assert len(tok) == 21128
    assert [tok.convert_tokens_to_ids(t) for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")] == [0, 100, 101, 102, 103]


def test_u2028_entries_keep_their_line_ids(tok):
    lines = default_vocab_path().read_text(encoding="utf-8").split("\n")
    with_u2028 = [i for i, t in enumerate(lines) if "\u2028" in t]
    assert len(with_u2028) == 2
    for i in with_u2028:
        assert tok.convert_ids_to_tokens(i) == lines[i]
    last = max(i for i, t in enumerate(lines) if t)
    assert last == 21127 and tok.convert_tokens_to_ids(lines[last]) == last


# ---------------------------------------------------------------- word flags, masking

def _words_from_flags(row: np.ndarray, tok) -> list[str]:
    words: list[str] = []
    for x in row:
        piece = tok.convert_ids_to_tokens(int(x) & 0x7FFF).replace("##", "")
        if x & WORD_START or not words:
            words.append(piece)
        else:
            words[-1] += piece
    return words


def test_word_start_flags_follow_jieba(tok):
    import jieba

    _init_worker(None)
    (row,) = encode_lines([SEED_TEXT])
    words = _words_from_flags(row, tok)
    assert "".join(words) == SEED_TEXT.lower()
    cjk_words = [w for w in jieba.cut(SEED_TEXT) if all("\u4e00" <= c <= "\u9fff" for c in w)]
    assert [w for w in words if all("\u4e00" <= c <= "\u9fff" for c in w)] == cjk_words
    assert any(len(w) > 1 for w in cjk_words)


def _synthetic_rows(n_rows: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """Rows of [CLS] + words of 1-4 tokens + [SEP], ids in the CJK range, flags on word starts."""
    rows = np.zeros((n_rows, length), dtype=np.uint16)
    for r in range(n_rows):
        body = []
        while len(body) < length - 2:
            k = int(rng.integers(1, 5))
            ids = rng.integers(670, 8000, size=k).astype(np.uint16)
            ids[0] |= WORD_START
            body.extend(ids.tolist())
        rows[r] = [CLS_ID | WORD_START, *body[: length - 2], SEP_ID | WORD_START]
    return rows


def test_whole_word_masking_never_splits_a_word():
    rng = np.random.default_rng(0)
    rows = _synthetic_rows(64, 64, rng)
    _, labels = mask_whole_words(rows, torch.Generator().manual_seed(1), 0.15, 21128)
    starts = (rows & WORD_START) != 0
    for r in range(len(rows)):
        assert labels[r, 0] == -100 and labels[r, -1] == -100  # [CLS]/[SEP] never predicted
        word_sel = None
        for i in range(1, rows.shape[1] - 1):
            sel = bool(labels[r, i] != -100)
            if starts[r, i]:
                word_sel = sel
            else:
                assert sel == word_sel, f"row {r} token {i} split from its word"


def test_masking_proportions_15_80_10_10():
    rng = np.random.default_rng(1)
    rows = _synthetic_rows(400, 128, rng)
    inputs, labels = mask_whole_words(rows, torch.Generator().manual_seed(2), 0.15, 21128)
    ids = torch.from_numpy((rows & 0x7FFF).astype(np.int64))
    starts = torch.from_numpy((rows & WORD_START) != 0)
    sel = labels != -100
    real_words = int(starts[:, 1:-1].sum())
    word_rate = int((sel & starts).sum()) / real_words
    assert abs(word_rate - 0.15) < 0.01
    token_rate = int(sel.sum()) / (rows.shape[0] * (rows.shape[1] - 2))
    assert abs(token_rate - 0.15) < 0.015
    n = int(sel.sum())
    masked = int((inputs[sel] == MASK_ID).sum()) / n
    kept = int((inputs[sel] == ids[sel]).sum()) / n
    replaced = 1 - masked - kept
    assert abs(masked - 0.8) < 0.02 and abs(kept - 0.1) < 0.015 and abs(replaced - 0.1) < 0.015
    assert torch.equal(inputs[~sel], ids[~sel])  # nothing outside the chosen words changes


def test_masking_is_seeded():
    rows = _synthetic_rows(4, 32, np.random.default_rng(3))
    a = mask_whole_words(rows, torch.Generator().manual_seed(5), 0.15, 21128)
    b = mask_whole_words(rows, torch.Generator().manual_seed(5), 0.15, 21128)
    assert all(torch.equal(x, y) for x, y in zip(a, b))


# ---------------------------------------------------------------- packing

def test_pack_full_rows_with_cls_sep_layout():
    lines = [np.arange(1000, 1000 + k, dtype=np.uint16) for k in (5, 13, 1, 30, 7)]
    rows = pack(lines, 16)
    stream = np.concatenate([np.append(x, SEP_ID | WORD_START) for x in lines])
    assert rows.shape == (len(stream) // 14, 16)
    assert (rows[:, 0] == CLS_ID | WORD_START).all() and (rows[:, -1] == SEP_ID | WORD_START).all()
    assert np.array_equal(rows[:, 1:-1].reshape(-1), stream[: rows.shape[0] * 14])


# ---------------------------------------------------------------- config, data selection

def test_config_rejects_unknown_keys_and_parses_overrides(tmp_path):
    cfg = load_config(TINY, ["lr=3e-4", "extra_globs=[a, b]", "max_steps=null"])
    assert cfg.lr == 3e-4 and cfg.extra_globs == ["a", "b"] and cfg.max_steps is None
    with pytest.raises(GovnerError, match="no_such_key"):
        load_config(TINY, ["no_such_key=1"])
    with pytest.raises(GovnerError, match="batch_size"):
        load_config(TINY, ["batch_size=many"])


def test_dev_test_documents_are_excluded(tmp_path):
    splits = tmp_path / "splits.yaml"
    splits.write_text("train: [000_f335f9e20c8b25d3]\ndev: [004_d2fc8c44b527f0e4-横沥镇]\n"
                      "test: [anhui_2026_gov-work-report]\n", encoding="utf-8")
    docs, note = domain_documents(tiny_cfg(tmp_path, f"splits_path={splits}"))
    roles = {d.doc_id: d.role for d in docs}
    # the compendium is split into its reports (ids as `govner prepare` makes them): only one goes
    assert roles["004_d2fc8c44b527f0e4-横沥镇"] == "excluded" and roles["anhui_2026_gov-work-report"] == "excluded"
    assert roles["004_d2fc8c44b527f0e4-六镇镇"] == "train"
    assert roles["000_f335f9e20c8b25d3"] == "train" and "excluded" in note
    docs, note = domain_documents(tiny_cfg(tmp_path, f"splits_path={tmp_path / 'absent.yaml'}"))
    assert {d.role for d in docs if d.source == "seeds"} == {"heldout"} and "absent" in note
    assert all(d.lines for d in docs)


# ---------------------------------------------------------------- training, resume, export

@pytest.mark.slow
def test_steps_resume_and_export(tmp_path):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from govner.pretraining.pretrain import CKPT_NAME, train

    straight = train(tiny_cfg(tmp_path / "a", "max_steps=8"))
    assert straight.step == 8 and all(np.isfinite(e["corpus"]["loss"]) for e in straight.evals)

    cfg_b = tiny_cfg(tmp_path / "b", "max_steps=4", "export_dtype=float16")
    first = train(cfg_b)
    assert first.step == 4
    from govner.pretraining.card import KEEP_END, KEEP_START

    card_path = tmp_path / "b" / "model" / "README.md"
    card = card_path.read_text(encoding="utf-8")
    assert card.count(KEEP_START) == 1  # the placeholder comparison section
    mine = f"{KEEP_START}\n## Pretrained vs random initialisation\n\nhand-measured F1 0.123\n{KEEP_END}"
    start, end = card.index(KEEP_START), card.index(KEEP_END) + len(KEEP_END)
    card_path.write_text(card[:start] + mine + card[end:], encoding="utf-8")
    resumed = train(tiny_cfg(tmp_path / "b", "max_steps=8", "export_dtype=float16"), resume=True)
    assert (resumed.step, resumed.pos, resumed.tokens) == (straight.step, straight.pos, straight.tokens)
    assert resumed.evals[-1]["corpus"]["loss"] == pytest.approx(straight.evals[-1]["corpus"]["loss"], rel=1e-5)
    sa = torch.load(tmp_path / "a" / "ckpt" / CKPT_NAME, weights_only=False)["model"]
    sb = torch.load(tmp_path / "b" / "ckpt" / CKPT_NAME, weights_only=False)["model"]
    assert all(torch.allclose(sa[k], sb[k], atol=1e-6) for k in sa)

    out = tmp_path / "b" / "model"
    model = AutoModelForTokenClassification.from_pretrained(str(out), num_labels=9)
    assert model.dtype == torch.float32 and model.config.hidden_dropout_prob == 0.1
    from safetensors import safe_open

    with safe_open(str(out / "model.safetensors"), "pt") as fh:  # stored half-size, loaded as float32
        assert fh.get_tensor("bert.embeddings.word_embeddings.weight").dtype == torch.float16
    ref = torch.load(tmp_path / "b" / "ckpt" / CKPT_NAME, weights_only=False)["model"]
    emb = model.bert.embeddings.word_embeddings.weight
    assert torch.allclose(emb, ref["bert.embeddings.word_embeddings.weight"].half().float())
    assert len(AutoTokenizer.from_pretrained(str(out))) == 21128
    from govner.fileio import current_umask

    for f in out.glob("*.safetensors"):  # readable as the umask says, not safetensors' own 0600
        assert f.stat().st_mode & 0o777 == 0o666 & ~current_umask(), f
    card = (out / "README.md").read_text(encoding="utf-8")
    assert mine in card and card.count(KEEP_START) == 1  # a re-export keeps the hand-written section
    for needle in ("Tokens seen: 8,192", "Pretrained vs random initialisation", "Xinwen Lianbo",
                   "MLM loss", "Reproduce", "Hardware"):
        assert needle in card
    state = json.loads((out / "pretrain_state.json").read_text(encoding="utf-8"))
    assert state["state"]["step"] == 8

    with pytest.raises(GovnerError, match="no checkpoint"):
        train(tiny_cfg(tmp_path / "c"), resume=True)


def test_continued_model_counts_every_stage(tmp_path):
    """``init_from`` a govner-pretrained model: the card adds up the tokens of both runs."""
    from govner.pretraining.pretrain import train

    first = train(tiny_cfg(tmp_path / "a", "max_steps=3"), command="first")
    second = train(tiny_cfg(tmp_path / "b", "max_steps=2", f"init_from={tmp_path / 'a' / 'model'}", "w2v_init=false"),
                   command="second")
    card = (tmp_path / "b" / "model" / "README.md").read_text(encoding="utf-8")
    assert f"Tokens seen: {first.tokens + second.tokens:,} in 2 stages" in card
    assert "| 1 | " in card and "| first |" in card
    state = json.loads((tmp_path / "b" / "model" / "pretrain_state.json").read_text(encoding="utf-8"))
    assert [s["tokens"] for s in state["data"]["earlier_stages"]] == [first.tokens]
    # a resumed continuation keeps the stages it started with, whatever init_from holds now
    third = train(tiny_cfg(tmp_path / "b", "max_steps=4", f"init_from={tmp_path / 'a' / 'model'}",
                           "w2v_init=false"), resume=True, command="second")
    card = (tmp_path / "b" / "model" / "README.md").read_text(encoding="utf-8")
    assert f"Tokens seen: {first.tokens + third.tokens:,} in 2 stages" in card


def test_electra_objective_trains_resumes_and_exports_the_discriminator(tmp_path):
    """Replaced-token detection from an MLM-pretrained start: the generator is the start's bottom
    layer (same MLM head), the exported model is the discriminator, and a resumed run takes the
    same steps as a straight one."""
    from transformers import AutoModelForTokenClassification

    from govner.pretraining.pretrain import CKPT_NAME, train

    base = train(tiny_cfg(tmp_path / "base", "max_steps=2"))
    assert base.step == 2
    init = f"init_from={tmp_path / 'base' / 'model'}"
    straight = train(tiny_cfg(tmp_path / "a", "max_steps=6", "objective=electra", init))
    ev = straight.evals[-1]["corpus"]
    assert 0.0 <= ev["rtd_acc"] <= 1.0 and np.isfinite(ev["loss"])
    ck = torch.load(tmp_path / "a" / "ckpt" / CKPT_NAME, weights_only=False)["model"]
    assert any(k.startswith("gen.") for k in ck) and any(k.startswith("rtd_head.") for k in ck)
    # the generator shares the discriminator's embeddings (one tensor, trained by both losses)
    assert torch.equal(ck["gen.bert.embeddings.word_embeddings.weight"], ck["disc.bert.embeddings.word_embeddings.weight"])
    train(tiny_cfg(tmp_path / "b", "max_steps=3", "objective=electra", init))
    resumed = train(tiny_cfg(tmp_path / "b", "max_steps=6", "objective=electra", init), resume=True)
    assert resumed.step == straight.step and resumed.tokens == straight.tokens
    # sampled replacements are discrete: float noise at the 1e-7 level may flip a sample or two
    assert resumed.evals[-1]["corpus"]["rtd_acc"] == pytest.approx(ev["rtd_acc"], abs=0.01)
    cb = torch.load(tmp_path / "b" / "ckpt" / CKPT_NAME, weights_only=False)["model"]
    assert all(torch.allclose(ck[k], cb[k], atol=1e-5) for k in ck)
    out = tmp_path / "a" / "model"
    model = AutoModelForTokenClassification.from_pretrained(str(out), num_labels=9)
    disc = {k[len("disc."):]: v for k, v in ck.items() if k.startswith("disc.bert.")}
    assert torch.allclose(model.bert.encoder.layer[0].output.dense.weight,
                          disc["bert.encoder.layer.0.output.dense.weight"])
    with pytest.raises(GovnerError, match="objective"):
        tiny_cfg(tmp_path / "c", "objective=bert")
