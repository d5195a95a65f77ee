"""`govner validate`: each rule of the guide caught, with file, task, offsets and rule named."""
from __future__ import annotations

import json

from govner.cli import main as cli
from govner.rules.validate import validate_tasks

TEXT = "新增市场主体450家，规(限)上企业 达到10%。"


def task(*spans, text=TEXT, tid=5):
    return {"id": tid, "data": {"text": text}, "annotations": [{"id": 1, "was_cancelled": False, "result": [
        {"from_name": "label", "to_name": "text", "type": "labels",
         "value": {"start": s, "end": e, "text": text[s:e] if t is None else t, "labels": [lab]}}
        for s, e, lab, t in spans]}]}


def span(frag, label, extra_before=0, extra_after=0, text=None):
    s = TEXT.index(frag) - extra_before
    return (s, s + len(frag) + extra_before + extra_after, label, text)


def test_clean_spans_pass_including_a_closing_bracket_of_a_name_and_percent():
    t = task(span("市场主体", "INDICATOR"), span("450家", "VALUE"), span("规(限)上企业", "INDICATOR"), span("10%", "VALUE"))
    assert validate_tasks([t], "a.json") == []
    s = TEXT.index("规(限)")
    assert validate_tasks([task((s, s + 4, "INDICATOR", None))], "a.json") == []  # ends with ")" opened inside


def test_each_rule_is_reported():
    cases = {
        "ends with '，'": task(span("450家", "VALUE", extra_after=1)),
        "starts with ' '": task(span("达到10%", "VALUE", extra_before=1)),
        "ends with ')'": task((TEXT.index("限"), TEXT.index(")") + 1, "INDICATOR", None)),  # no "(" inside
        "value.text": task(span("450家", "VALUE", text="450")),
        "not exactly one of": task(span("450家", "AMOUNT")),
        "overlaps": task(span("市场主体", "INDICATOR"), span("主体450家", "VALUE")),
        "0 <= start < end": task((3, 3, "VALUE", "")),
    }
    for rule, t in cases.items():
        errors = validate_tasks([t], "a.json")
        assert errors and all(e.startswith("a.json: task 5 annotation 1 span [") for e in errors), (rule, errors)
        assert any(rule in e for e in errors), (rule, errors)


def test_cancelled_annotations_are_not_checked():
    t = task(span("450家", "VALUE", extra_after=1))
    t["annotations"][0]["was_cancelled"] = True
    assert validate_tasks([t], "a.json") == []


def test_cli_exit_codes(tmp_path, capsys):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps([task(span("450家", "VALUE"))], ensure_ascii=False), encoding="utf-8")
    bad.write_text(json.dumps([task(span("450家", "VALUE", extra_after=1), tid=42)], ensure_ascii=False),
                   encoding="utf-8")
    assert cli(["validate", str(good)]) == 0
    capsys.readouterr()
    assert cli(["validate", str(good), str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: task 42 annotation 1 span [" in err and "trailing" in err
    assert cli(["validate", str(tmp_path / "missing.json")]) == 2
