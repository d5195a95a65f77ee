"""Per-token features as model inputs (``model.rule_features``, ``model.word_features``).

The invariant that matters most: the Predictor hands the model exactly the feature ids
that training windows carried for the same text, or the model is served inputs it never saw.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
import torch

from helpers.tiny_model import tiny_classifier

from govner.training.data import TokenBatchCollator, load_examples, token_tags, tokenize, window_features
from govner.errors import GovnerError
from govner.modeling.lexical import WORD_NONE, WORD_POS, char_word_tags, token_word_tags
from govner.modeling.model import (FEATURES, RULE_NONE, RULE_TAGS, WORD_TAGS, GovBertForTokenClassification,
                          token_rule_tags)
from govner.predict.predictor import Predictor, TagSet, decode_bio
from govner.rules.tagger import rule_entities
from govner.schema import ID2TAG, TAG2ID
from govner.modeling.tokenizer import build_tokenizer, save_tokenizer

from helpers.paths import ROOT
ANN = ROOT / "tests" / "fixtures" / "mini_annotations.json"
TINY = str(ROOT / "configs" / "tiny-test.yaml")


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer()


@pytest.fixture(scope="module")
def rich_sentence():
    """A real annotated sentence on which the rules find at least three labels."""
    best = max(load_examples([str(ANN)]), key=lambda ex: len({e["label"] for e in rule_entities(ex.text)}))
    assert len({e["label"] for e in rule_entities(best.text)}) >= 3
    return best


def test_rule_tags_spell_the_rule_entities(tok, rich_sentence):
    text = rich_sentence.text
    toks = tokenize(tok, text)
    tags = token_rule_tags(text, toks.spans)
    assert len(tags) == len(toks.input_ids) and set(tags) <= set(ID2TAG)
    decoded = {(toks.spans[a][0], toks.spans[b - 1][1], label)
               for a, b, label, _ in decode_bio(tags, [1.0] * len(tags), TagSet.from_id2label(ID2TAG))}
    expected = {(e["start"], e["end"], e["label"]) for e in rule_entities(text)}
    assert decoded == expected  # the rules' spans fall on token boundaries here


def test_windows_carry_rule_tags_with_none_on_special_tokens(tok, rich_sentence):
    toks = tokenize(tok, rich_sentence.text)
    rules = token_rule_tags(rich_sentence.text, toks.spans)
    words = token_word_tags(rich_sentence.text, toks.spans)
    feats = window_features(tok, toks, token_tags(rich_sentence, toks), 24, 11,
                            {RULE_TAGS: rules, WORD_TAGS: words})
    assert len(feats) >= 2
    for f in feats:
        for name, full, none in ((RULE_TAGS, rules, RULE_NONE), (WORD_TAGS, words, WORD_NONE)):
            r = f[name]
            assert len(r) == len(f["input_ids"]) and r[0] == r[-1] == none
            assert r[1:-1] == full[f["window_start"]:f["window_start"] + len(r) - 2]


def test_word_tags_mark_jieba_words_and_their_kind():
    text = "体育总局负责，增长6.5%"
    tags = char_word_tags(text)
    assert len(tags) == len(text)
    pos = [WORD_POS[t // 4] for t in tags]
    bmes = ["BMES"[t % 4] for t in tags]
    assert "".join(bmes[:4]) in ("BMME", "BEBE")  # 体育总局: one word or two, never cut mid-word
    assert pos[text.index("6")] == "num" and pos[text.index("，")] == "x"


def test_collator_pads_rule_tags_and_leaves_rows_alone(tok):
    rows = [{"input_ids": [101, 5, 6, 102], "attention_mask": [1] * 4, "labels": [-100, 1, 2, -100],
             RULE_TAGS: [RULE_NONE, 1, 2, RULE_NONE]},
            {"input_ids": [101, 7, 102], "attention_mask": [1] * 3, "labels": [-100, 0, -100],
             RULE_TAGS: [RULE_NONE, 0, RULE_NONE]}]
    rows[0][WORD_TAGS], rows[1][WORD_TAGS] = [WORD_NONE, 3, 3, WORD_NONE], [WORD_NONE, 7, WORD_NONE]
    batch = TokenBatchCollator(tok, pad_to_multiple_of=8)(rows)
    assert batch[RULE_TAGS].shape == batch["input_ids"].shape == batch[WORD_TAGS].shape == (2, 8)
    assert batch[WORD_TAGS][1].tolist() == [WORD_NONE, 7] + [WORD_NONE] * 6
    assert batch[RULE_TAGS][1].tolist() == [RULE_NONE, 0] + [RULE_NONE] * 6
    assert RULE_TAGS in rows[0]  # the dataset's rows are not mutated


def tiny_govbert(rule_dropout: float = 0.0) -> GovBertForTokenClassification:
    return tiny_classifier(layers=1, features=[RULE_TAGS, WORD_TAGS], rule_dropout=rule_dropout)


def test_rule_tags_change_the_output_and_dropout_hides_them():
    model = tiny_govbert(rule_dropout=1.0).eval()
    ids = torch.tensor([[101, 3173, 1217, 102]])
    tags = torch.tensor([[RULE_NONE, TAG2ID["B-VALUE"], TAG2ID["I-VALUE"], RULE_NONE]])
    with torch.no_grad():
        blind = model(input_ids=ids).logits
        seen = model(input_ids=ids, rule_tags=tags).logits
        assert not torch.allclose(blind, seen)  # in eval mode the tags are used
        model.train()
        model.config.hidden_dropout_prob = model.config.attention_probs_dropout_prob = 0.0
        for m in model.modules():
            if isinstance(m, torch.nn.Dropout):
                m.p = 0.0
        dropped = model(input_ids=ids, rule_tags=tags).logits
    assert torch.allclose(dropped, blind, atol=1e-6)  # rule_dropout 1.0: every window hidden
    assert model.feature_embeddings[RULE_TAGS].num_embeddings == FEATURES[RULE_TAGS].size


def test_rule_logits_start_at_the_prior():
    model = tiny_govbert()
    prior = model.config.rule_prior
    w = model.rule_logits.weight
    assert w[TAG2ID["B-VALUE"], TAG2ID["B-VALUE"]] == prior and w[TAG2ID["B-VALUE"], TAG2ID["O"]] == 0
    assert not w[RULE_NONE].any()


def test_predictor_feeds_the_tags_training_saw(tok, tmp_path, rich_sentence):
    model = tiny_govbert()
    model.save_pretrained(tmp_path)
    save_tokenizer(tok, tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["model_type"] == "govner_bert"
    max_length, stride = 24, 11
    p = Predictor.from_pretrained(tmp_path, device="cpu", max_length=max_length, stride=stride)
    assert p.features == [RULE_TAGS, WORD_TAGS]
    seen: list[tuple] = []
    forward = p.model.forward

    def spy(**kw):
        for i, mask in enumerate(kw["attention_mask"].tolist()):
            n = sum(mask)
            seen.append((kw[RULE_TAGS][i].tolist()[:n], kw[WORD_TAGS][i].tolist()[:n]))
        return forward(**kw)

    p.model.forward = spy
    p.predict(rich_sentence.text)
    toks = tokenize(tok, rich_sentence.text)
    feats = window_features(tok, toks, token_tags(rich_sentence, toks), max_length, stride,
                            {RULE_TAGS: token_rule_tags(rich_sentence.text, toks.spans),
                             WORD_TAGS: token_word_tags(rich_sentence.text, toks.spans)})
    assert sorted(seen) == sorted((f[RULE_TAGS], f[WORD_TAGS]) for f in feats)


def test_auto_class_loads_the_rule_model(tmp_path):
    from transformers import AutoModelForTokenClassification

    tiny_govbert().save_pretrained(tmp_path)
    loaded = AutoModelForTokenClassification.from_pretrained(str(tmp_path))
    assert isinstance(loaded, GovBertForTokenClassification)


def test_rule_features_need_a_bert(tmp_path):
    from govner.training.config import load_config
    from govner.training.train import build_model

    (tmp_path / "config.json").write_text(json.dumps({"model_type": "distilbert", "vocab_size": 21128}))
    cfg = load_config(TINY, ["model.rule_features=true", f"model.name_or_path={tmp_path}", "model.init=random"])
    with pytest.raises(GovnerError, match="model.rule_features: needs a BERT"):
        build_model(cfg, build_tokenizer())


def test_tiny_training_with_rule_features(tmp_path, monkeypatch):
    from govner.training.config import load_config
    from govner.training.train import run_training

    torch.set_num_threads(1)
    monkeypatch.chdir(ROOT)
    cfg = load_config(TINY, ["model.rule_features=true", "model.word_features=true", f"output_dir={tmp_path / 'run'}",
                             "training.epochs=1", f"data.cache_dir={tmp_path / 'cache'}"])
    metrics = run_training(cfg)
    assert metrics["epochs"]
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["model_type"] == "govner_bert" and saved["rule_dropout"] == cfg.model.rule_dropout
    assert saved["token_features"] == [RULE_TAGS, WORD_TAGS]
    assert saved["feature_versions"] == {name: FEATURES[name].version for name in (RULE_TAGS, WORD_TAGS)}
    assert Predictor.from_pretrained(tmp_path / "run", device="cpu").features == [RULE_TAGS, WORD_TAGS]


def test_the_rule_feature_version_follows_the_rules_source():
    """An edit to rules.py without a RULES_VERSION bump must still miss the dataset cache."""
    import hashlib

    import govner.rules.tagger

    source = Path(govner.rules.tagger.__file__).read_bytes()
    assert FEATURES[RULE_TAGS].version == f"{govner.rules.tagger.RULES_VERSION}+{hashlib.sha256(source).hexdigest()[:10]}"


def test_predictor_warns_when_the_rules_changed_since_training(tok, tmp_path, caplog):
    model = tiny_govbert()
    model.config.feature_versions = {RULE_TAGS: "rules-0.0.1+0123456789", WORD_TAGS: FEATURES[WORD_TAGS].version}
    model.save_pretrained(tmp_path)
    save_tokenizer(tok, tmp_path)
    with caplog.at_level("WARNING", logger="govner.predict.predictor"):
        Predictor.from_pretrained(tmp_path, device="cpu")
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and "rules-0.0.1+0123456789" in warned[0] and FEATURES[RULE_TAGS].version in warned[0]
    assert str(tmp_path) in warned[0] and "retrain" in warned[0]
    caplog.clear()
    model.config.feature_versions = {name: FEATURES[name].version for name in (RULE_TAGS, WORD_TAGS)}
    model.save_pretrained(tmp_path)
    with caplog.at_level("WARNING", logger="govner.predict.predictor"):
        Predictor.from_pretrained(tmp_path, device="cpu")
    assert not caplog.records


@pytest.fixture(scope="module")
def feature_predictor(tmp_path_factory, tok):
    out = tmp_path_factory.mktemp("govbert")
    tiny_govbert().save_pretrained(out)
    save_tokenizer(tok, out)
    return Predictor.from_pretrained(out, device="cpu", max_length=16, stride=7)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("体育总局负责（）、增长10%。，元亿 \t\n\u3000\u2028\u200b\ufeffＡ１％😀𠮷e\u0301ab")),
                    max_size=60))
def test_feature_model_offsets_on_adversarial_text(feature_predictor, text):
    """Width folding, zero-width and astral characters: features and entities stay aligned."""
    for e in feature_predictor.predict(text):
        assert e["text"] == text[e["start"]:e["end"]] and 0 <= e["start"] < e["end"] <= len(text)
