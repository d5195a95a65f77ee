"""Property tests (hypothesis): every reader, the annotation loader, the Predictor API and
serve-ml take arbitrary strings, bytes and JSON and answer with a correct result or a
GovnerError (HTTP 4xx), never another exception.

Examples are few per property (the whole file runs in well under a minute on two cores);
hypothesis' database keeps failing examples, and each regression found is pinned in the
per-area test files.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from govner.errors import GovnerError
from govner.schema import LABEL_CODES

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
MODEL = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])

#: report-like characters (so rules, splitting and folding are exercised), plus anything
REPORT_CHARS = "财政总收入增长10%。；，、５．２％（）()“”\n 　牵头负责项目工程区发改局亿元个百分点以上𠮷😀\u200b\u2028"
any_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=REPORT_CHARS, max_size=300),
    st.text(alphabet=st.characters(categories=["Cs", "Lo", "Nd", "Zs", "Po"]), max_size=40),  # lone surrogates
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 40) | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)


def assert_entities(text: str, ents: list[dict]) -> None:
    """Entities as DESIGN.md promises them: in bounds, exact text, ordered, disjoint, known labels."""
    last = 0
    for e in ents:
        assert set(e) == {"start", "end", "label", "text", "score"}
        assert last <= e["start"] < e["end"] <= len(text) and e["text"] == text[e["start"]:e["end"]]
        assert e["label"] in LABEL_CODES and 0.0 <= e["score"] <= 1.0
        last = e["end"]


# --- readers ------------------------------------------------------------------------------


@FAST
@given(data=st.binary(max_size=300))
def test_decode_bytes(data):
    from govner.text.read import decode_bytes

    try:
        text = decode_bytes(data, "<stdin>")
    except GovnerError as exc:
        assert "<stdin>" in str(exc)
        return
    assert isinstance(text, str) and text.strip()
    text.encode("utf-8")  # valid Unicode: no lone surrogate got through


@FAST
@given(data=st.binary(max_size=300) | any_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
       suffix=st.sampled_from([".txt", ".html", ".docx", ".jsonl"]))
def test_report_and_jsonl_readers(tmp_path_factory, data, suffix):
    from govner.fileio import read_jsonl
    from govner.text.prepare import prepare
    from govner.text.read import read_report

    path = tmp_path_factory.mktemp("r") / f"input{suffix}"
    path.write_bytes(data)
    reader = read_jsonl if suffix == ".jsonl" else read_report
    try:
        reader(path)
    except GovnerError as exc:
        assert str(path) in str(exc)
    if suffix != ".jsonl":  # prepare: a bad file is an error in the stats, never an exception
        docs, records, stats = prepare([str(path)], progress=False)
        for r in records:
            doc = next(d for d in docs if d.doc_id == r["doc_id"])
            assert doc.text[r["doc_start"]:r["doc_end"]] == r["text"]


@FAST
@given(text=any_text, max_len=st.integers(10, 60))
def test_split_sentences(text, max_len):
    from govner.text.split import split_sentences

    spans = split_sentences(text, max_len=max_len)
    last = 0
    for s, e in spans:
        assert last <= s < e <= len(text) and not text[s].isspace() and not text[e - 1].isspace()
        last = e
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(covered.split()) == "".join(text.split())  # nothing but whitespace is lost


@FAST
@given(content=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_config_and_splits_readers(tmp_path_factory, content):
    from govner.training.config import load_config
    from govner.training.data import read_splits

    path = tmp_path_factory.mktemp("c") / "file.yaml"
    path.write_bytes(content)
    for reader in (load_config, read_splits):
        try:
            reader(path)
        except GovnerError as exc:
            assert str(path) in str(exc)


# --- the annotation loader -------------------------------------------------------------------


@st.composite
def annotation_files(draw):
    """Lists of tasks close enough to the format to reach every check, far enough to break each."""
    def value(text):
        start = draw(st.integers(-1, len(text) + 1) | json_values)
        end = draw(st.integers(-1, len(text) + 2) | json_values)
        label = draw(st.sampled_from(LABEL_CODES + ("AMOUNT",)) | json_values)
        good_slice = isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool) \
            and not isinstance(end, bool)
        span_text = text[start:end] if good_slice and draw(st.booleans()) else draw(json_values)
        return {"start": start, "end": end, "text": span_text, "labels": draw(st.just([label]) | json_values)}

    def task(n):
        text = draw(any_text | json_values)
        data = draw(st.just({"text": text, "doc_id": draw(st.just("d") | json_values),
                             "sent_idx": draw(st.just(n) | json_values)}) | json_values)
        txt = text if isinstance(text, str) else ""
        results = draw(st.lists(st.one_of(
            st.builds(lambda v: {"from_name": "label", "to_name": "text", "type": "labels", "value": v},
                      st.just(None).map(lambda _: value(txt))),
            json_values), max_size=4))
        ann = draw(st.just({"id": n, "was_cancelled": draw(st.booleans()), "result": results}) | json_values)
        return draw(st.just({"id": n, "data": data, "annotations": [ann]}) | json_values)

    return draw(st.lists(st.builds(task, st.integers(0, 99)), max_size=4) | json_values)


@FAST
@given(tasks=annotation_files())
def test_annotation_loader(tmp_path_factory, tasks):
    from govner.training.data import load_examples
    from govner.rules.validate import validate_tasks

    path = tmp_path_factory.mktemp("a") / "ann.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    problems = validate_tasks(tasks, str(path))
    assert all(isinstance(p, str) and str(path) in p for p in problems)
    try:
        examples = load_examples([str(path)])
    except GovnerError as exc:
        assert str(path) in str(exc)
        return
    for ex in examples:
        last = 0
        for s, e, label in ex.spans:
            assert last <= s < e <= len(ex.text) and label in LABEL_CODES
            last = e


# --- the Predictor API -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def feature_predictor():
    """A tiny rule-feature model with short windows: folding, rules, projection and windowing all run."""
    from helpers.tiny_model import tiny_classifier

    from govner.predict.predictor import Predictor
    from govner.schema import ID2TAG
    from govner.modeling.tokenizer import build_tokenizer

    return Predictor(tiny_classifier(features=["rule_tags"]), build_tokenizer(), ID2TAG, "cpu", max_length=24)


@MODEL
@given(texts=st.lists(any_text, max_size=4) | any_text | json_values)
def test_predictor_api(feature_predictor, texts):
    p = feature_predictor
    try:
        got = p.predict(texts, batch_size=3)
    except GovnerError:
        assert not _valid(texts)
        return
    if isinstance(texts, str):
        assert_entities(texts, got)
    else:
        assert len(got) == len(texts)
        for t, ents in zip(texts, got):
            assert_entities(t, ents)


def _valid(texts: object) -> bool:
    if isinstance(texts, str):
        return _unicode(texts)
    return isinstance(texts, list) and all(isinstance(t, str) and _unicode(t) for t in texts)


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


@MODEL
@given(text=any_text)
def test_predict_document_and_uncertainty(feature_predictor, text):
    p = feature_predictor
    try:
        ents = p.predict_document(text, batch_size=2)
    except GovnerError:
        assert not _unicode(text)
        return
    assert_entities(text, ents)
    ((ents2, u),) = p.predict_with_uncertainty([text])
    assert_entities(text, ents2) and 0.0 <= u <= 1.0


# --- serve-ml ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ml_client(tiny_model_dir):
    from starlette.testclient import TestClient

    from govner.assist.mlbackend import create_app

    with TestClient(create_app(tiny_model_dir, device="cpu")) as client:
        yield client


@MODEL
@given(body=st.one_of(
    json_values,
    st.builds(lambda tasks, cfg: {"tasks": tasks, "label_config": cfg},
              st.lists(st.builds(lambda d, i: {"id": i, "data": d},
                                 st.builds(lambda t: {"text": t}, any_text) | json_values, json_values), max_size=3),
              st.none() | json_values | st.text(max_size=30)),
), path=st.sampled_from(["/predict", "/setup", "/webhook"]))
def test_serve_ml_answers_json_with_2xx_or_400(ml_client, body, path):
    r = ml_client.post(path, content=json.dumps(body).encode())
    assert r.status_code in (200, 201, 400), r.text
    if path == "/predict" and r.status_code == 200:
        assert len(r.json()["results"]) == len(body["tasks"])


@MODEL
@given(content=st.binary(max_size=200), path=st.sampled_from(["/predict", "/setup", "/webhook"]))
def test_serve_ml_answers_bytes_with_400(ml_client, content, path):
    r = ml_client.post(path, content=content, headers={"content-type": "application/json"})
    assert r.status_code in (200, 201, 400), r.text
