"""Assignments (lead offices, the 列第一位者为牵头单位 convention) and projects (stage verbs)."""
from __future__ import annotations

import pytest

from govner.extract import assignments, projects, states_lead_first
from helpers.extract_spans import ents
from helpers.paths import EXTRA, SEEDS

GUOFA42 = EXTRA / "national_2018_guofa42-agri-mechanization_responsibility.html"


@pytest.fixture(scope="module")
def guofa42() -> list[dict]:
    from govner.text.prepare import prepare

    _, records, _ = prepare([str(GUOFA42)], progress=False)
    return records


def test_the_first_listed_convention_is_found_in_the_document(guofa42):
    assert states_lead_first(r["text"] for r in guofa42)
    from govner.text.prepare import prepare

    _, seed, _ = prepare([str(SEEDS / "000_f335f9e20c8b25d3.txt")], progress=False)
    assert not states_lead_first(r["text"] for r in seed)
    assert states_lead_first(["（农业农村部、财政部负责，排在第一位的为牵头单位）"])


def test_assignment_with_the_convention(guofa42):
    sent = next(r for r in guofa42 if "列第一位者为牵头单位" in r["text"])
    text = sent["text"]
    e = ents(text, [("工业和信息化部", "O"), ("发展改革委", "O"), ("科技部", "O"), ("农业农村部", "O")])
    [rec] = assignments(text, e, lead_first=True)
    assert [(o["text"], o["lead"]) for o in rec["offices"]] == [
        ("工业和信息化部", True), ("发展改革委", False), ("科技部", False), ("农业农村部", False)]
    assert rec["task"].endswith("促进农机装备领域高新技术产业发展。") and "负责" not in rec["task"]
    assert rec["lead_first"] is True


def test_assignment_without_the_convention_is_unranked():
    text = ("投资1.6亿元竞争性实施高山移民项目,投资5000万元推进宅基地改革试点项目,盘活用地指标,推动人口集聚。"
            "(社会事业办、村镇建设办牵头负责)")
    [rec] = assignments(text, ents(text, [("社会事业办", "O"), ("村镇建设办", "O")]))
    assert [(o["text"], o["lead"]) for o in rec["offices"]] == [("社会事业办", None), ("村镇建设办", None)]
    assert rec["task"] == "投资1.6亿元竞争性实施高山移民项目,投资5000万元推进宅基地改革试点项目,盘活用地指标,推动人口集聚。"
    assert rec["offices"][0]["start"] == text.index("社会事业办")


def test_assignment_in_a_labelled_list_keeps_the_sentence():
    text = "牵头单位：县发改局、县财政局"
    [rec] = assignments(text, ents(text, [("县发改局", "O"), ("县财政局", "O")]), lead_first=True)
    assert rec["task"] == text and [o["lead"] for o in rec["offices"]] == [True, False]
    assert assignments("推动人口集聚。", []) == []


# (sentence from seed 000/002, entities, expected (project, stage))
PROJECT_CASES = [
    ("年底前开工建设总投资19亿元的新章镇大桥及连接线项目,推进总投资约6000万元的打通“断头路”建设(章路线—巴弄)、"
     "乡村公路提升及亮化项目,强化曹娥江东西两翼联系,优化虞南山区路网结构。(村镇建设办牵头负责)",
     [("总投资", "I"), ("19亿元", "V"), ("新章镇大桥及连接线项目", "P"), ("乡村公路提升及亮化项目", "P")],
     [("新章镇大桥及连接线项目", "开工建设"), ("乡村公路提升及亮化项目", "推进")]),
    ("加快总投资12亿元的未来社区中心、城市客厅、酒店综合体项目招引建设,进一步完善城市功能、丰富消费场景。",
     [("总投资", "I"), ("12亿元", "V"), ("未来社区中心", "P"), ("城市客厅", "P"), ("酒店综合体项目", "P")],
     [("未来社区中心", "招引"), ("城市客厅", "招引"), ("酒店综合体项目", "招引")]),
    ("抢抓后疫情时代文旅产业复苏契机,加快推进总投资1.2亿元的文旅共富项目,确保樱花谷恐龙园、露营项目年底前完工投用,"
     "加快樱花谷3A景区配套设施项目建设。",
     [("樱花谷恐龙园", "P"), ("露营项目", "P"), ("樱花谷3A景区配套设施项目", "P")],
     [("樱花谷恐龙园", "完工投用"), ("露营项目", "完工投用"), ("樱花谷3A景区配套设施项目", "建设")]),
    ("全速推进投资1.2亿元的杭台高铁嵊州北站连接线建设。",
     [("投资", "I"), ("1.2亿元", "V"), ("杭台高铁嵊州北站连接线", "P")], [("杭台高铁嵊州北站连接线", "推进")]),
    ("鼓励企业转型升级,新增规上企业8家、亿元企业3家,完成“小升规”7家、“个转企”5家,荣泰电工重大产业项目建成投产,"
     "宏丰机械、威能消防、兰光精密机械获评2022年浙江省专精特新中小企业。",
     [("荣泰电工重大产业项目", "P")], [("荣泰电工重大产业项目", "建成投产")]),
    ("统筹推进总投资12亿元的全域排涝工程,做强防汛防台能力。", [("全域排涝工程", "P")], [("全域排涝工程", "推进")]),
    ("新民村槐家堰被评为市级美丽河湖。", [("新民村槐家堰", "P")], [("新民村槐家堰", None)]),
]


@pytest.mark.parametrize("text,spec,want", PROJECT_CASES, ids=[w[0][0] for *_, w in PROJECT_CASES])
def test_project_stage(text, spec, want):
    recs = projects(text, ents(text, spec))
    assert [(r["project"]["text"], r["stage"]) for r in recs] == want
    for r in recs:
        if r["stage"]:
            assert text[r["stage_start"]:r["stage_end"]] == r["stage"]
