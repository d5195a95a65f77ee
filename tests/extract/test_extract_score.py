"""Gold links from Label Studio relations, link and number scores, and the labeling config's relations."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from govner.errors import GovnerError
from govner.extract.score import (end_to_end_scores, gold_from_result, gold_from_tasks, link_scores, number_scores, number_sheet,
                                  read_gold, refresh_sheet_context)
from govner.labelstudio.config import is_our_config, label_config
from govner.schema import BY_CODE, RELATIONS
from helpers.extract_spans import YUNNAN_SPANS, YUNNAN_TEXT, ents

TEXT, SPANS = YUNNAN_TEXT, YUNNAN_SPANS


def task(links: list[tuple[int, int, str]], task_id: int = 7, spans=SPANS, text=TEXT) -> dict:
    """A Label Studio task (Python offsets, as in annotations/) with relations between span indices."""
    result = [{"id": f"r{k}", "from_name": "label", "to_name": "text", "type": "labels",
               "value": {"start": e["start"], "end": e["end"], "text": e["text"], "labels": [e["label"]]}}
              for k, e in enumerate(ents(text, spans))]
    result += [{"type": "relation", "from_id": f"r{a}", "to_id": f"r{b}", "direction": d, "labels": ["数值→指标"]}
               for a, b, d in links]
    return {"id": task_id, "data": {"text": text, "doc_id": "yunnan_2026_gov-work-report", "sent_idx": 27},
            "annotations": [{"id": 1, "result": result, "was_cancelled": False}]}


GOLD = [(1, 0, "right"), (3, 2, "right"), (4, 2, "right"), (6, 5, "right")]


def test_gold_links_any_direction():
    # VALUE -> INDICATOR as drawn; INDICATOR -> VALUE; and a left-pointing arrow: all the same pair kind
    [g] = gold_from_tasks([task([(1, 0, "right"), (2, 3, "right"), (2, 4, "left")])])
    e = ents(TEXT, SPANS)

    def key(v: int, i: int) -> tuple[int, int, int, int]:
        return (e[v]["start"], e[v]["end"], e[i]["start"], e[i]["end"])

    assert g.links == {key(1, 0), key(3, 2), key(4, 2)}
    assert len(g.entities) == 7 and g.doc_id == "yunnan_2026_gov-work-report"


def test_bad_relations_name_the_task():
    with pytest.raises(GovnerError, match=r"task 7: relation r0 -> r2 links INDICATOR '实有经营主体' to INDICATOR"):
        gold_from_tasks([task([(0, 2, "right")])])
    t = task([])
    t["annotations"][0]["result"].append({"type": "relation", "from_id": "r1", "to_id": "gone", "direction": "right"})
    with pytest.raises(GovnerError, match="task 7: relation r1 -> gone names region 'gone'"):
        gold_from_tasks([t])


def test_link_scores_perfect_and_imperfect():
    scores = link_scores(gold_from_tasks([task(GOLD)]))
    assert (scores["precision"], scores["recall"], scores["f1"]) == (1.0, 1.0, 1.0)
    assert scores["values"] == 4 and scores["value_accuracy"] == 1.0 and scores["mistakes"] == []
    # gold says 增长1.1倍 belongs to no indicator: one false positive, one value wrong
    scores = link_scores(gold_from_tasks([task([(1, 0, "right"), (3, 2, "right"), (6, 5, "right")])]))
    assert (scores["tp"], scores["fp"], scores["fn"]) == (3, 1, 0)
    assert scores["precision"] == pytest.approx(0.75) and scores["recall"] == 1.0
    assert scores["value_accuracy"] == pytest.approx(0.75)
    [m] = scores["mistakes"]
    assert (m["value"], m["gold"], m["predicted"]) == ("增长1.1倍", [], ["企业"])


def test_read_gold_by_split(tmp_path):
    path = tmp_path / "gold.json"
    path.write_text(json.dumps([task(GOLD)], ensure_ascii=False), encoding="utf-8")
    splits = tmp_path / "splits.yaml"
    splits.write_text("train:\n- yunnan_2026_gov-work-report\ndev: []\ntest: []\n", encoding="utf-8")
    assert len(read_gold([path], "train", splits)) == 1
    assert read_gold([path], "test", splits) == []
    with pytest.raises(GovnerError, match="not found"):
        read_gold([tmp_path / "nope.json"])


def test_number_sheet_and_scores():
    gold = gold_from_tasks([task(GOLD)])
    sheet = number_sheet(gold)
    assert [r["text"] for r in sheet] == ["688.3万户", "162.5万户", "增长1.1倍", "1.7万亿元"]
    # before/after: the value's clause on either side of it, entities included
    assert sheet[3]["before"] == "民营经济增加值突破" and sheet[3]["change"] == "level" and sheet[3]["number"] == 1.7e12
    assert number_scores(sheet)["values"] == 0  # nothing checked by a person yet
    for r in sheet:
        r["checked"] = True
    sheet[0]["unit"] = "户"  # a person decides the canonical unit differs: one miss
    s = number_scores(sheet)
    assert (s["values"], s["number"], s["change"], s["unit"], s["all"]) == (4, 1.0, 1.0, 0.75, 0.75)
    assert s["mistakes"][0]["gold"]["unit"] == "户"


def test_refresh_sheet_context_touches_only_the_context():
    gold = gold_from_tasks([task(GOLD)])
    sheet = number_sheet(gold)
    for r in sheet:  # a sheet made when measures() passed other context, then checked by a person
        r.update(before="old", after="old", checked=True, unit="checked unit")
    stray = {**sheet[0], "sent_idx": 99}  # its sentence is not in the gold
    moved = {**sheet[1], "start": sheet[1]["start"] + 1}  # the span no longer matches
    frozen = [json.dumps(r, ensure_ascii=False, sort_keys=True) for r in sheet]
    counts = refresh_sheet_context(sheet + [stray, moved], gold)
    assert counts == {"changed": 4, "same": 0, "missing": 2}
    fresh = number_sheet(gold)
    assert [(r["before"], r["after"]) for r in sheet] == [(r["before"], r["after"]) for r in fresh]
    for r, old in zip(sheet, frozen):
        old = json.loads(old)
        assert {k: v for k, v in r.items() if k not in ("before", "after")} == \
            {k: v for k, v in old.items() if k not in ("before", "after")}
    assert stray["before"] == "old" and moved["before"] == "old"
    assert refresh_sheet_context(sheet, gold) == {"changed": 0, "same": 4, "missing": 0}


def test_labeling_config_offers_the_relation():
    root = ET.fromstring(label_config())
    rels = root.find("Relations")
    assert [(r.get("value"), r.get("background")) for r in rels] == [
        (r.zh, BY_CODE[r.source].colour) for r in RELATIONS]
    assert RELATIONS[0].source == "VALUE" and RELATIONS[0].target == "INDICATOR"
    # projects made with the config before relations are still ours
    assert is_our_config(label_config(relations=False)) and is_our_config(label_config())
    assert not is_our_config('<View><Text name="text" value="$text"/></View>')


def test_relations_are_not_spans():
    # a relation result is not a labelled span: reading the entities ignores it
    entities, links = gold_from_result(TEXT, task(GOLD)["annotations"][0]["result"], "here")
    assert len(entities) == 7 and len(links) == 4


def test_end_to_end_scores_need_exact_spans():
    gold = gold_from_tasks([task(GOLD)])
    assert end_to_end_scores(gold, [gold[0].entities])["f1"] == 1.0
    # a tagger that cuts 实有经营主体 short and misses 民营经济增加值: two links lost, one wrong
    tagged = ents(TEXT, [("经营主体", "I"), ("688.3万户", "V"), ("企业", "I"), ("162.5万户", "V"), ("增长1.1倍", "V"),
                         ("1.7万亿元", "V")])
    s = end_to_end_scores(gold, [tagged])
    assert (s["tp"], s["fp"], s["fn"]) == (2, 1, 2)
    with pytest.raises(GovnerError, match="1 entity lists for 2 gold sentences"):
        end_to_end_scores(gold * 2, [tagged])
