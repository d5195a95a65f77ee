"""Long inputs stay linear: span projection, the rules, sentence splitting, UTF-16 offsets.

benchmarks/predict_length_bench.py measures the end result (time per character flat from 1k
to 200k characters); these tests pin the pieces that were quadratic, without timing noise
where a count or an equality can say it.
"""
from __future__ import annotations

import time

from hypothesis import given, settings, strategies as st

from govner.training.data import bio_tags


def naive_bio_tags(spans, token_spans):
    tags = ["O"] * len(token_spans)
    for start, end, label in spans:
        covered = [i for i, (s, e) in enumerate(token_spans) if s < end and e > start]
        for k, i in enumerate(covered):
            tags[i] = f"{'B' if k == 0 else 'I'}-{label}"
    return tags


@st.composite
def tokens_and_spans(draw):
    pos, tokens = 0, []
    for _ in range(draw(st.integers(0, 30))):
        pos += draw(st.integers(0, 2))  # gaps: whitespace the tokenizer drops
        length = draw(st.integers(1, 3))
        tokens.append((pos, pos + length))
        pos += length
    spans = [(s, s + draw(st.integers(1, 8)), draw(st.sampled_from(["VALUE", "INDICATOR"])))
             for s in draw(st.lists(st.integers(0, pos + 2), max_size=6))]
    return tokens, spans


@settings(max_examples=300, deadline=None)
@given(tokens_and_spans())
def test_projection_equals_the_scan_it_replaced(case):
    tokens, spans = case
    assert bio_tags(spans, tokens) == naive_bio_tags(spans, tokens)


def test_projection_of_many_spans_onto_many_tokens_is_fast():
    tokens = [(i, i + 1) for i in range(200_000)]
    spans = [(i, i + 5, "VALUE") for i in range(0, 200_000, 10)]  # 20,000 spans: the old scan did 4e9 steps
    start = time.perf_counter()
    tags = bio_tags(spans, tokens)
    assert time.perf_counter() - start < 10
    assert tags[:6] == ["B-VALUE"] + ["I-VALUE"] * 4 + ["O"]


def test_long_texts_reach_the_rules_a_few_sentences_at_a_time(monkeypatch):
    import govner.modeling.model
    from govner.rules.tagger import rule_entities

    seen = []

    def recording(text):
        seen.append(len(text))
        return rule_entities(text)

    monkeypatch.setattr(govner.modeling.model, "rule_entities", recording)
    sentence = "全年财政总收入增长10%，一般公共预算收入增长9%。"
    assert govner.modeling.model.rule_spans(sentence) == [(e["start"], e["end"], e["label"]) for e in rule_entities(sentence)]
    assert seen == [len(sentence)]  # a sentence (what training gives the rules) is tagged whole

    seen.clear()
    long = sentence * 8000  # ~200,000 characters
    spans = govner.modeling.model.rule_spans(long)
    assert max(seen) <= govner.modeling.model.RULE_CHUNK and sum(seen) == len(long)
    # every sentence gets the entities it gets alone: the chunks are cut at sentence ends
    per_sentence = [(s, e, lab) for s, e, lab in govner.modeling.model.rule_spans(sentence)]
    n = len(sentence)
    assert spans == [(s + k * n, e + k * n, lab) for k in range(8000) for s, e, lab in per_sentence]


def test_utf16_offsets_of_many_entities_in_one_long_text():
    from govner.labelstudio.convert import result_from_entities, to_utf16
    from govner.schema import make_entity

    text = "𠮷溪镇增长10%。" * 20_000
    ents = [make_entity(text, i, i + 3, "VALUE") for i in range(3, len(text), 9)]
    start = time.perf_counter()
    result = result_from_entities(text, ents)
    assert time.perf_counter() - start < 10  # to_utf16 per entity counted from 0: hours
    for item, e in list(zip(result, ents))[:: len(ents) // 50]:
        assert item["value"]["start"] == to_utf16(text, e["start"]) and item["value"]["end"] == to_utf16(text, e["end"])


def test_splitting_a_huge_line_is_linear_and_sane():
    from govner.text.split import split_sentences

    forced = []
    text = "新建道路 " * 40_000 + "结尾。"  # 200,000 characters, no ； and no ，
    start = time.perf_counter()
    spans = split_sentences(text, on_forced=lambda s, e, how: forced.append((s, e)))
    assert time.perf_counter() - start < 10
    assert forced == [(0, len(text))]
    assert max(e - s for s, e in spans) <= 150 and "".join(text[s:e] for s, e in spans).replace(" ", "") == \
        text.replace(" ", "")
    dots = "1.2 No. 3 a. b " * 15_000  # ASCII periods once copied the text up to each one
    start = time.perf_counter()
    split_sentences(dots)
    assert time.perf_counter() - start < 10
