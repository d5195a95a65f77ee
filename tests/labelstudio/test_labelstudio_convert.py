"""Offsets, annotation choice and agreement, without a server."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, strategies as st

from govner.errors import GovnerError
from govner.labelstudio.config import label_config
from govner.labelstudio.convert import (agreement, choose_annotation, clean_export, from_utf16,
                                        records_from_tasks, result_from_entities, to_utf16)
from govner.schema import LABELS, make_entity

TEXT = "𠮷溪镇新增市场主体450家😀，财政总收入增长10%。"


def test_utf16_offsets_shift_after_astral_characters():
    i = TEXT.index("市场主体")
    assert to_utf16(TEXT, i) == i + 1  # 𠮷 is two UTF-16 units
    j = TEXT.index("财政")
    assert to_utf16(TEXT, j) == j + 2  # 𠮷 and 😀
    assert from_utf16(TEXT, j + 2) == j
    assert TEXT.encode("utf-16-le")[2 * (j + 2):2 * (j + 7)].decode("utf-16-le") == "财政总收入"
    with pytest.raises(ValueError, match="not a character boundary"):
        from_utf16(TEXT, 1)  # inside the surrogate pair of 𠮷
    with pytest.raises(ValueError):
        from_utf16(TEXT, len(TEXT.encode("utf-16-le")) // 2 + 1)


@given(st.text(alphabet=st.sampled_from("ab中文%𠮷😀 \U0001F600\U00020BB7"), max_size=30), st.data())
def test_utf16_round_trip(text, data):
    i = data.draw(st.integers(0, len(text)))
    u = to_utf16(text, i)
    assert u == len(text[:i].encode("utf-16-le")) // 2
    assert from_utf16(text, u) == i


def test_result_round_trip_through_utf16():
    ents = [make_entity(TEXT, TEXT.index("450家"), TEXT.index("450家") + 4, "VALUE")]
    res = result_from_entities(TEXT, ents)
    assert res[0]["value"]["start"] == ents[0]["start"] + 1 and res[0]["value"]["text"] == "450家"
    task = {"id": 1, "data": {"text": TEXT}, "annotations": [{"id": 1, "result": res, "updated_at": "1"}]}
    [rec] = records_from_tasks([task], utf16=True)
    assert [(e["start"], e["end"], e["text"]) for e in rec.spans] == [(ents[0]["start"], ents[0]["end"], "450家")]


def _ann(id_, who, spans, updated, **kw):
    return {"id": id_, "completed_by": who, "updated_at": updated, "was_cancelled": False, "ground_truth": False,
            "result": result_from_entities(TEXT, [make_entity(TEXT, s, e, lab) for s, e, lab in spans],
                                           utf16=False), **kw}


def test_choose_ground_truth_then_latest_and_skip_cancelled():
    a = _ann(1, 1, [], "2024-01-01")
    b = _ann(2, 2, [], "2024-03-01")
    c = _ann(3, 3, [], "2024-05-01", was_cancelled=True)
    assert choose_annotation({"annotations": [a, b, c]})["id"] == 2
    a["ground_truth"] = True
    assert choose_annotation({"annotations": [a, b, c]})["id"] == 1
    assert choose_annotation({"annotations": [c]}) is None


def test_agreement_per_label_and_conflicts():
    v = (TEXT.index("450家"), TEXT.index("450家") + 4, "VALUE")
    i1 = (TEXT.index("市场主体"), TEXT.index("市场主体") + 4, "INDICATOR")
    i2 = (TEXT.index("财政总收入"), TEXT.index("财政总收入") + 5, "INDICATOR")
    tasks = [
        {"id": 1, "data": {"text": TEXT}, "annotations": [_ann(1, 1, [v, i1], "1"), _ann(2, 2, [v, i2], "2")]},
        {"id": 2, "data": {"text": TEXT}, "annotations": [_ann(3, 1, [], "1"), _ann(4, 2, [], "2")]},  # agree: none
        {"id": 3, "data": {"text": TEXT}, "annotations": [_ann(5, 1, [v], "1")]},  # one annotator: no pair
    ]
    scores, n = agreement(tasks)
    assert n == 2
    assert scores["VALUE"] == 1.0 and scores["INDICATOR"] == 0.0 and scores["PROJECT"] is None
    assert scores["ALL"] == pytest.approx(2 * 1 / 4)
    out, rep = clean_export(tasks, utf16=False)
    assert rep.conflicts == [1] and rep.empty == 1 and rep.annotated == 3
    assert out[0]["annotations"][0]["id"] == 2  # the chosen (latest) annotation comes first


def test_cancelled_only_tasks_are_reported_not_written():
    tasks = [{"id": 7, "data": {"text": TEXT}, "annotations": [_ann(1, 1, [], "1", was_cancelled=True)]},
             {"id": 8, "data": {"text": TEXT}, "annotations": []}]
    out, rep = clean_export(tasks)
    assert out == [] and rep.cancelled == [7] and rep.unannotated == 1


def test_unknown_label_names_the_task():
    bad = {"id": 9, "data": {"text": TEXT}, "annotations": [
        {"id": 1, "result": [{"type": "labels", "from_name": "label", "to_name": "text",
                              "value": {"start": 0, "end": 2, "labels": ["PER"]}}]}]}
    with pytest.raises(GovnerError, match="task 9.*PER"):
        records_from_tasks([bad])


def test_config_shows_chinese_names_and_stores_codes():
    root = ET.fromstring(label_config())
    text = root.find("Text")
    assert text.get("granularity") == "symbol" and text.get("value") == "$text"
    labels = root.find("Labels")
    assert labels.get("name") == "label" and labels.get("toName") == "text"
    got = [(l.get("value"), l.get("alias"), l.get("background"), l.get("hotkey"), l.get("hint")) for l in labels]
    assert got == [(l.zh, l.code, l.colour, l.hotkey, l.hint) for l in LABELS]


def test_ls_config_command_prints_the_config(capsys):
    from govner.cli import main as cli

    assert cli(["ls", "config"]) == 0
    assert capsys.readouterr().out == label_config()


def test_prelabel_hook(tmp_path):
    from govner.fileio import atomic_write_jsonl
    from govner.assist.ls import predictions_for, push
    from govner.rules.tagger import RULES_VERSION

    [pred] = predictions_for([TEXT], "rules")
    assert pred["model_version"] == RULES_VERSION and pred["result"]
    assert predictions_for([TEXT], None) == [None]
    path = tmp_path / "s.jsonl"
    atomic_write_jsonl(path, [{"doc_id": "d", "sent_idx": 0, "text": TEXT}])
    with pytest.raises(GovnerError, match="not a trained model directory"):  # fails before any server call
        push(None, str(path), "p", prelabel=str(tmp_path))
    with pytest.raises(GovnerError, match="--order uncertainty .* pass --prelabel MODEL_DIR"):
        push(None, str(path), "p", order="uncertainty")
    with pytest.raises(GovnerError, match="expected `rules` or a trained model directory"):
        push(None, str(path), "p", prelabel="no-such-dir")
