import json
import logging
from pathlib import Path

import pytest

from govner.training.data import (AlignmentReport, Example, build_dataset, check_alignment, load_examples, read_splits,
                         split_examples, token_tags, tokenize, window_features)
from govner.errors import GovnerError
from govner.predict.predictor import TagSet, decode_bio
from govner.schema import ID2TAG, TAG2ID
from govner.modeling.tokenizer import build_tokenizer

from helpers.paths import FIXTURES as FIX
from helpers.paths import SEEDS
ANN = FIX / "mini_annotations.json"
SPLITS = FIX / "mini_splits.yaml"


@pytest.fixture(scope="module")
def tok():
    return build_tokenizer()


def ex(text: str, *spans: tuple[str, str], task_id=1) -> Example:
    """An example whose spans are given by their text (first occurrence after the previous)."""
    out, pos = [], 0
    for sub, label in spans:
        start = text.index(sub, pos)
        out.append((start, start + len(sub), label))
        pos = start + len(sub)
    return Example("t.json", task_id, "d", 0, text, out)


def roundtrip(tok, example: Example) -> list[tuple[int, int, str]]:
    """Spans → token tags → the Predictor's BIO decoder → character spans."""
    toks = tokenize(tok, example.text)
    rep = AlignmentReport()
    tags = token_tags(example, toks, rep)
    assert rep.unaligned == [], [str(u) for u in rep.unaligned]
    tagset = TagSet.from_id2label(ID2TAG)
    spans = decode_bio([TAG2ID[t] for t in tags], [1.0] * len(tags), tagset)
    return [(toks.spans[a][0], toks.spans[b - 1][1], label) for a, b, label, _ in spans]


@pytest.mark.parametrize("example", [
    # digit runs split into word pieces (2023 -> 202 ##3), dates outside spans
    ex("2023年全镇财政总收入增长10%,其中一般公共预算收入增长9%。",
       ("财政总收入", "INDICATOR"), ("增长10%", "VALUE"), ("一般公共预算收入", "INDICATOR"), ("增长9%", "VALUE")),
    # Latin with digits and a dot; 5G as one token
    ex("PM2.5平均浓度控制在20微克/立方米以下,新建5G基站84个。",
       ("PM2.5平均浓度", "INDICATOR"), ("20微克/立方米以下", "VALUE"), ("5G基站", "INDICATOR"), ("84个", "VALUE")),
    # full-width forms (folded like the Predictor folds them) and spaces
    ex("ＧＤＰ增长８．５％ ,实到外资 400万美元以上。",
       ("ＧＤＰ", "INDICATOR"), ("增长８．５％", "VALUE"), ("实到外资", "INDICATOR"), ("400万美元以上", "VALUE")),
    # rare and astral characters become [UNK] but keep their offsets
    ex("建设𠮷祥大道及𡃁水桥工程,投资1.2亿元。",
       ("𠮷祥大道及𡃁水桥工程", "PROJECT"), ("投资", "INDICATOR"), ("1.2亿元", "VALUE")),
    ex("(工业商贸办、农业农村办牵头负责)", ("工业商贸办", "LEAD_OFFICE"), ("农业农村办", "LEAD_OFFICE")),
], ids=["digits", "latin", "fullwidth-spaces", "rare-astral", "lead-office"])
def test_spans_survive_tokens_and_decoding(tok, example):
    assert roundtrip(tok, example) == example.spans


def test_unknown_characters_are_unk_and_spans_stay_aligned(tok):
    example = ex("𠮷𡃁增长10%", ("增长10%", "VALUE"))
    toks = tokenize(tok, example.text)
    assert toks.input_ids[:2] == [tok.unk_token_id] * 2
    assert toks.spans[:2] == [(0, 1), (1, 2)]
    assert roundtrip(tok, example) == example.spans


def test_unalignable_span_is_reported_never_dropped(tok, caplog):
    # "2.5" starts inside the token "pm2": it cannot be tagged exactly
    example = Example("reports.json", 77, "d", 0, "PM2.5平均浓度下降", [(2, 5, "VALUE")])
    toks = tokenize(tok, example.text)
    rep = AlignmentReport()
    tags = token_tags(example, toks, rep)
    assert len(rep.unaligned) == 1 and rep.spans == 1
    u = rep.unaligned[0]
    assert (u.file, u.task_id, u.start, u.end, u.widened_to) == ("reports.json", 77, 2, 5, (0, 5))
    assert tags[:3] == ["B-VALUE", "I-VALUE", "I-VALUE"]  # widened, kept as training signal
    with caplog.at_level(logging.WARNING):
        check_alignment(rep, "warn")
    assert "reports.json: task 77" in caplog.text and "[2, 5)" in caplog.text and "1 of 1 spans" in caplog.text
    with pytest.raises(GovnerError, match=r"reports.json: task 77: VALUE span \[2, 5\)"):
        check_alignment(rep, "error")


def test_fixture_is_fully_aligned_and_real(tok):
    examples = load_examples([str(ANN)])
    assert len(examples) >= 40
    seed = (SEEDS / "000_f335f9e20c8b25d3.txt").read_text("utf-8")
    rep = AlignmentReport()
    for e in examples:
        assert e.text in seed
        token_tags(e, tokenize(tok, e.text), rep)
    assert rep.spans > 100 and rep.unaligned == []


def test_long_sentence_is_windowed_not_truncated(tok):
    examples = load_examples([str(ANN)])
    long = max(examples, key=lambda e: len(e.text))
    toks = tokenize(tok, long.text)
    tags = token_tags(long, toks)
    n = len(toks.input_ids)
    max_length, stride = 32, 20
    assert n > max_length
    feats = window_features(tok, toks, tags, max_length, stride)
    assert len(feats) >= 2
    seen = {}
    for f in feats:
        assert len(f["input_ids"]) <= max_length
        assert f["input_ids"][0] == tok.cls_token_id and f["input_ids"][-1] == tok.sep_token_id
        assert f["labels"][0] == f["labels"][-1] == -100
        for k, (i, lab) in enumerate(zip(f["input_ids"][1:-1], f["labels"][1:-1])):
            pos = f["window_start"] + k
            assert toks.input_ids[pos] == i and ID2TAG[lab] == tags[pos]
            seen[pos] = lab
    assert sorted(seen) == list(range(n))  # every token is trained on
    starts = [f["window_start"] for f in feats]
    assert starts[1] - starts[0] == stride  # overlap of (max_length - 2) - stride tokens


def test_splits(tmp_path):
    examples = load_examples([str(ANN)])
    parts = split_examples(examples, SPLITS)
    assert {k: len(v) for k, v in parts.items()} == {"train": 31, "dev": 10, "test": 9}
    bad = tmp_path / "splits.yaml"
    bad.write_text("train: [a]\ndev: [a]\n")
    with pytest.raises(GovnerError, match="both train and dev"):
        read_splits(bad)
    bad.write_text("training: [a]\n")
    with pytest.raises(GovnerError, match="training: unknown split"):
        read_splits(bad)


def test_dataset_cached_by_content(tok, tmp_path):
    examples = load_examples([str(ANN)])[:8]
    rep1 = AlignmentReport()
    ds1 = build_dataset(examples, tok, 64, 48, tmp_path, rep1)
    assert len(list(tmp_path.iterdir())) == 1
    rep2 = AlignmentReport()
    ds2 = build_dataset(examples, tok, 64, 48, tmp_path, rep2)
    assert ds2["labels"] == ds1["labels"] and rep2.spans == rep1.spans > 0
    assert len(list(tmp_path.iterdir())) == 1  # a hit, not a rebuild
    changed = [Example(**{**e.__dict__, "spans": []}) if i == 0 else e for i, e in enumerate(examples)]
    build_dataset(changed, tok, 64, 48, tmp_path, AlignmentReport())
    assert len(list(tmp_path.iterdir())) == 2  # different content, different entry


def test_annotation_errors_name_file_and_task(tmp_path):
    tasks = json.loads(ANN.read_text("utf-8"))[:2]
    del tasks[1]["data"]["doc_id"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), "utf-8")
    with pytest.raises(GovnerError, match=rf"broken.json: task {tasks[1]['id']}: data.doc_id"):
        load_examples([str(path)])
    with pytest.raises(GovnerError, match="no annotation files match"):
        load_examples([str(tmp_path / "*.nothing")])


def test_mention_swap_keeps_context_and_labels():
    from govner.training.data import swap_mentions

    examples = load_examples([str(ANN)])
    pool = {(e.text[s:t], lab) for e in examples for s, t, lab in e.spans}
    aug = swap_mentions(examples, 2, seed=1)
    assert aug == swap_mentions(examples, 2, seed=1)  # deterministic
    assert len(aug) == 2 * sum(bool(e.spans) for e in examples)
    originals = {e.task_id: e for e in examples}
    changed = 0
    for a in aug:
        src = originals[int(a.task_id.split("+")[0])]
        assert len(a.spans) == len(src.spans)
        for (s, t, lab), (s0, t0, lab0) in zip(a.spans, src.spans):
            assert lab == lab0 and (a.text[s:t], lab) in pool
        # the text between entities is untouched
        gaps = lambda text, spans: [text[b[1]:c[0]] for b, c in zip(spans, spans[1:])]
        assert gaps(a.text, a.spans) == gaps(src.text, src.spans)
        changed += a.text != src.text
    assert changed > len(aug) // 2


def test_empty_split_with_a_cache(tok, tmp_path):
    """An empty split (e.g. no test documents yet) builds twice without touching the cache."""
    for _ in range(2):
        assert len(build_dataset([], tok, 64, 48, tmp_path, AlignmentReport())) == 0
    assert not list(tmp_path.iterdir())


def test_token_features_get_their_own_cache_entry(tok, tmp_path):
    examples = load_examples([str(ANN)])[:4]
    plain = build_dataset(examples, tok, 64, 48, tmp_path, AlignmentReport())
    ruled = build_dataset(examples, tok, 64, 48, tmp_path, AlignmentReport(), features=["rule_tags"])
    both = build_dataset(examples, tok, 64, 48, tmp_path, AlignmentReport(), features=["rule_tags", "word_tags"])
    assert "rule_tags" not in plain.column_names and "rule_tags" in ruled.column_names
    assert "word_tags" in both.column_names and "word_tags" not in ruled.column_names
    assert len(list(tmp_path.iterdir())) == 3
