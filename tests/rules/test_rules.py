"""The rule pre-labeller against ANNOTATION_GUIDE.md's own examples and real seed text.

Every example in the guide with a decided answer is a case here, so a rule change that
contradicts the contract fails; the invariant tests run over every seed sentence.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from govner.rules.tagger import RULES_VERSION, rule_entities
from govner.schema import LABEL_CODES

from helpers.paths import SHARED

IND, VAL, PRO, LEAD = "INDICATOR", "VALUE", "PROJECT", "LEAD_OFFICE"


def spans(text: str, label: str | None = None) -> list[tuple[str, str]]:
    return [(e["text"], e["label"]) for e in rule_entities(text) if label in (None, e["label"])]


# ---------------------------------------------------------------------------
# Exact outputs: the guide's examples (and the brief's) with every span decided
# ---------------------------------------------------------------------------

EXACT = [
    # INDICATOR: leading verbs and scope words outside
    ("新增市场主体450家。", [("市场主体", IND), ("450家", VAL)]),
    ("规上工业增加值增长8%。", [("规上工业增加值", IND), ("增长8%", VAL)]),
    ("农村常住居民人均可支配收入增长7%。", [("农村常住居民人均可支配收入", IND), ("增长7%", VAL)]),
    ("PM2.5平均浓度控制在20微克/立方米以下。", [("PM2.5平均浓度", IND), ("20微克/立方米以下", VAL)]),
    ("城镇新增就业1200人。", [("城镇新增就业", IND), ("1200人", VAL)]),
    ("确保全镇所有水质监测断面达标率100%。", [("水质监测断面达标率", IND), ("100%", VAL)]),
    ("力争全年引进1亿元以上项目2只。", [("1亿元以上项目", IND), ("2只", VAL)]),
    ("培育国家高新技术企业3家。", [("国家高新技术企业", IND), ("3家", VAL)]),
    ("新建5G基站84个。", [("5G基站", IND), ("84个", VAL)]),
    ("投资600万元打造镇级居家养老服务中心。", [("投资", IND), ("600万元", VAL)]),
    ("全社会固定资产投资增长5%。", [("固定资产投资", IND), ("增长5%", VAL)]),
    ("全县实现地区生产总值300亿元。", [("地区生产总值", IND), ("300亿元", VAL)]),
    ("全市每年新增市场主体1000家。", [("市场主体", IND), ("1000家", VAL)]),
    ("规上工业总产值力争突破750亿元。", [("规上工业总产值", IND), ("750亿元", VAL)]),
    ("3家企业入选省级专精特新企业。", [("3家", VAL), ("省级专精特新企业", IND)]),
    ("财政总收入增长10%,其中一般公共预算收入增长9%。",
     [("财政总收入", IND), ("增长10%", VAL), ("一般公共预算收入", IND), ("增长9%", VAL)]),
    # a closing bracket that belongs to a name stays in the span
    ("新增规(限)上企业12家。", [("规(限)上企业", IND), ("12家", VAL)]),
    ("新（改）建高标准农田348.8万亩。", [("高标准农田", IND), ("348.8万亩", VAL)]),
    ("招引科技人才项目(创新创业团队)15个。", [("科技人才项目", IND), ("15个", VAL)]),
    # No INDICATOR without a numeric VALUE
    ("城乡居民收入稳步增长。", []),
    ("农村常住居民人均可支配收入与地区生产总值基本同步增长。", []),
    ("镇村集体经济保持正增长。", []),
    # VALUE: change words in, other leading verbs out
    ("工业总产值下降20%。", [("工业总产值", IND), ("下降20%", VAL)]),
    ("研发经费投入强度提高3个百分点。", [("研发经费投入强度", IND), ("提高3个百分点", VAL)]),
    ("化学需氧量排放减少5000吨。", [("化学需氧量排放", IND), ("减少5000吨", VAL)]),
    ("外贸进出口突破100亿元。", [("外贸进出口", IND), ("100亿元", VAL)]),
    ("粮食种植面积稳定在2万亩。", [("粮食种植面积", IND), ("2万亩", VAL)]),
    ("城镇调查失业率控制在5.5%以内。", [("城镇调查失业率", IND), ("5.5%以内", VAL)]),
    ("森林覆盖率达到62%。", [("森林覆盖率", IND), ("62%", VAL)]),
    # VALUE: approximators and bounds in
    ("地区生产总值增长7%左右。", [("地区生产总值", IND), ("增长7%左右", VAL)]),
    ("工业总产值增长9%以上。", [("工业总产值", IND), ("增长9%以上", VAL)]),
    ("农村劳动力转移就业率不少于50%。", [("农村劳动力转移就业率", IND), ("不少于50%", VAL)]),
    ("实到外资400万美元以上。", [("实到外资", IND), ("400万美元以上", VAL)]),
    ("完成投资约1亿元。", [("投资", IND), ("约1亿元", VAL)]),
    ("城镇登记失业率不超过3%。", [("城镇登记失业率", IND), ("不超过3%", VAL)]),
    ("地区生产总值年均增长6.5%。", [("地区生产总值", IND), ("年均增长6.5%", VAL)]),
    ("市场主体净增1200家。", [("市场主体", IND), ("净增1200家", VAL)]),
    ("单位地区生产总值能耗压降3%。", [("单位地区生产总值能耗", IND), ("压降3%", VAL)]),
    # hard cases
    ("规上工业增加值实现两位数增长。", [("规上工业增加值", IND), ("两位数", VAL)]),
    ("单个项目补助最高不超过50万元。", [("单个项目补助", IND), ("不超过50万元", VAL)]),
    ("规上工业总产值和增加值分别增长8.9%和9.5%。",
     [("规上工业总产值", IND), ("增加值", IND), ("8.9%", VAL), ("9.5%", VAL)]),  # split: adjudication rulings
    # LEAD_OFFICE
    ("(工业商贸办、农业农村办牵头负责)", [("工业商贸办", LEAD), ("农业农村办", LEAD)]),
    ("牵头单位：县发改局", [("县发改局", LEAD)]),
    ("责任单位：市财政局、市税务局", [("市财政局", LEAD), ("市税务局", LEAD)]),
    ("由县教育局负责。", [("县教育局", LEAD)]),
    ("（县发改局、县财政局负责）", [("县发改局", LEAD), ("县财政局", LEAD)]),
    ("（各县级人民政府负责）", [("县级人民政府", LEAD)]),
    ("（发展改革委、财政部等按职责分工负责）", [("发展改革委", LEAD), ("财政部", LEAD)]),
    ("（各有关部门和单位负责）", []),
    ("（牵头单位：市委组织部，配合单位：市国资委）", [("市委组织部", LEAD)]),
    ("（牵头单位：县发改局；责任单位：县财政局、县税务局）", [("县发改局", LEAD)]),
    # PROJECT
    ("全速推进投资1.2亿元的杭台高铁嵊州北站连接线建设。",
     [("投资", IND), ("1.2亿元", VAL), ("杭台高铁嵊州北站连接线", PRO)]),
    ("统筹推进总投资12亿元的全域排涝工程,做强防汛防台能力。",
     [("总投资", IND), ("12亿元", VAL), ("全域排涝工程", PRO)]),
    ("加快总投资12亿元的未来社区中心、城市客厅、酒店综合体项目招引建设。",
     [("总投资", IND), ("12亿元", VAL), ("未来社区中心", PRO), ("城市客厅", PRO), ("酒店综合体项目", PRO)]),
]


@pytest.mark.parametrize(("text", "expected"), EXACT, ids=[t for t, _ in EXACT])
def test_guide_examples_exact(text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(text) == expected


# ---------------------------------------------------------------------------
# Included / excluded spans in longer real sentences
# ---------------------------------------------------------------------------

CONTAINS = [
    ("年底前开工建设总投资19亿元的新章镇大桥及连接线项目。",
     [("总投资", IND), ("19亿元", VAL), ("新章镇大桥及连接线项目", PRO)]),
    ("开展教育医疗提档升级三年行动,完成投资5000万元的章镇镇中心幼儿园异地新建工程。",
     [("投资", IND), ("5000万元", VAL), ("章镇镇中心幼儿园异地新建工程", PRO)]),
    ("投资1.6亿元竞争性实施高山移民项目,投资5000万元推进宅基地改革试点项目,盘活用地指标。",
     [("高山移民项目", PRO), ("宅基地改革试点项目", PRO), ("1.6亿元", VAL), ("5000万元", VAL)]),
    ("推进总投资13亿元的南深环保、天行健水务等5个重大产业项目落地开工。",
     [("总投资", IND), ("13亿元", VAL), ("南深环保", PRO), ("天行健水务", PRO)]),
    ("确保樱花谷恐龙园、露营项目年底前完工投用,加快樱花谷3A景区配套设施项目建设。",
     [("樱花谷恐龙园", PRO)]),
]


@pytest.mark.parametrize(("text", "expected"), CONTAINS, ids=[t[:20] for t, _ in CONTAINS])
def test_guide_examples_contained(text: str, expected: list[tuple[str, str]]) -> None:
    found = spans(text)
    for item in expected:
        assert item in found


VALUE_FORMS = [
    ("新增停车位一千个。", "一千个"),
    ("新增就业3.5万。", "3.5万"),
    ("人口自然增长率控制在5‰以内。", "5‰以内"),
    ("出口额增长1.5倍。", "增长1.5倍"),
    ("人均预期寿命达到79.5岁。", "79.5岁"),
    ("新增光伏装机100兆瓦。", "100兆瓦"),
    ("送电量超2万亿千瓦时。", "超2万亿千瓦时"),
    ("年产干果500000千克。", "500000千克"),
    ("学前教育毛入园率达到90%及以上。", "90%及以上"),
    ("覆盖率达95%。", "95%"),
    ("新增就业近5000人。", "近5000人"),
    ("培育企业超300家。", "超300家"),
    ("优良率不低于60%。", "不低于60%"),
    ("单位能耗降低3%。", "降低3%"),
    ("城乡收入比缩小0.1个百分点。", "缩小0.1个百分点"),
    ("粮食种植面积扩大2万亩。", "扩大2万亩"),
    ("新建道路8.5公里。", "8.5公里"),
    ("污水处理能力达到15万吨/日。", "15万吨/日"),
    ("服务对象300余人次。", "300余人次"),
    ("增长8%—10%。", "增长8%—10%"),
    ("铁路运营里程新增1700公里。", "新增1700公里"),
    ("村集体经济共增收近200万元。", "增收近200万元"),
    ("进出口总额突破万亿元。", "万亿元"),
    ("城乡居民收入比从2.50:1缩小至2.27:1。", None),
    ("办结信访案件406宗。", "406宗"),
    ("成功调解矛盾纠纷400起。", "400起"),
    ("八成以上财政资金用于民生。", "八成以上"),
    ("完成拆除工作,共计367.96亩。", "367.96亩"),
    ("蔬菜、小浆果设施产量占比分别提高15、22个百分点。", None),
]


RATIO_AND_SHARED_UNIT = {
    "城乡居民收入比从2.50:1缩小至2.27:1。": ["2.50:1", "2.27:1"],
    "蔬菜、小浆果设施产量占比分别提高15、22个百分点。": ["15", "22个百分点"],
}


@pytest.mark.parametrize(("text", "value"), VALUE_FORMS)
def test_value_forms(text: str, value: str | None) -> None:
    expected = [value] if value else RATIO_AND_SHARED_UNIT[text]
    assert [t for t, _ in spans(text, VAL)] == expected


def test_words_that_only_look_like_qualifiers() -> None:
    """`签约` is no `约`, `改造提升` no change word: both stay outside the VALUE."""
    assert spans("项目签约3543亿元,改造提升20个村。", VAL) == [("3543亿元", VAL), ("20个", VAL)]


NOT_VALUES = [
    "2023年是全面贯彻落实党的二十大精神的开局之年,是“八八战略”实施20周年。",
    "年底前完成6月部署的任务。",
    "(一)聚力提质增效。1.构建现代产业体系。一、2022年工作回顾",
    "紧紧围绕镇党委“1336”总体工作要求,深入实施“双一号工程”。",
    "开展“510”行动,加快5G基础设施建设。",
    "创建3A景区和4A级景区。",
    "综合排名全市第一,连续5年获评先进,实现粮食10连增,创历史新高。",
    "实施“十四五”规划,开展教育医疗提档升级三年行动。",
    "公开日期: 2023-06-16 11:08",
    "千方百计完成任务,走进千家万户,推动千村未来、万村共富。",
    "重点做好以下10个方面工作,出台18条具体举措,执法决定作出之日起20个工作日内公开。",
    "自然资源厅会同农业农村厅等6部门联合印发,锻造更多千亿元级产业集群。",
    "按照县委十五届四次全会部署,做到“两个维护”,增强“四个意识”。",
    "加快推动一二三次产业协调融合发展,连续18个月保持增长,实现24小时常态化运作。",
    "构建“15分钟品质文化生活圈”,落实“纾困27条”,60岁以上人群接种,推动110千伏田头站建设。",
]


@pytest.mark.parametrize("text", NOT_VALUES)
def test_not_values(text: str) -> None:
    assert spans(text, VAL) == []


NOT_PROJECTS = [
    "谋划推进一批重大项目,加快产业项目建设。",
    "推进5个重大产业项目建设。",
    "深入实施“八八战略”,推进“双一号工程”建设,推动“小升规”,坚持发展新时代“枫桥经验”。",
    "实施城市更新行动,健全项目建设推进机制,完善用地保障制度。",
    "实施“天姥英才”人才工程,创建省级示范区。",
    "实施医疗卫生强基工程、新时代立德树人工程和城乡居民增收工程。",
    "高质量推进“烟雨江南 桃源新城”现代化建设。",
]


@pytest.mark.parametrize("text", NOT_PROJECTS)
def test_not_projects(text: str) -> None:
    assert spans(text, PRO) == []


NOT_LEAD = [
    "镇政府在区委、区政府和镇党委的正确领导下,完成县委十五届四次全会部署。",
    "镇主要领导牵头成立处理历史遗留问题领导小组。",
    "支持企业牵头组建创新联合体,原则上由企业负责。",
    "市人才工作领导小组负责全市人才集聚工程实施的统筹协调和宏观指导。",
    "行政执法机关主要负责人是推动落实本机关重大执法决定法制审核制度的第一责任人。",
    "由党委或政府主要负责同志担任领导小组组长。",
    "各级政府要加强组织领导,国务院有关部门要密切配合。",
]


@pytest.mark.parametrize("text", NOT_LEAD)
def test_not_lead_offices(text: str) -> None:
    assert spans(text, LEAD) == []


def test_quoted_numbers_are_names() -> None:
    """`“1336”`, `“510”` are slogans; a number touching a quote mark is part of a name."""
    assert spans("跨越生产总值“200亿”大关,落实市“纾困27条”。", VAL) == []


def test_quote_marks_stay_outside() -> None:
    assert spans("新增国家专精特新“小巨人”企业12家。") == [("企业", IND), ("12家", VAL)]


# ---------------------------------------------------------------------------
# Real documents
# ---------------------------------------------------------------------------


_PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")


def _seed_sentences() -> list[str]:
    """Seed text split roughly at sentence ends; 002 is traditional, as the cleaner would convert."""
    import opencc

    t2s = opencc.OpenCC("t2s")
    out: list[str] = []
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        text = t2s.convert(raw) if path.name.startswith("002") else raw
        text = _PINYIN.sub("", text)  # the cleaner drops pinyin glosses like `项(xiàng)`
        out += [s.strip() for s in re.split(r"(?<=[。；;!！?？])|\n+", text) if len(s.strip()) > 3]
    return out


@pytest.fixture(scope="module")
def seed_sentences() -> list[str]:
    sents = _seed_sentences()
    assert len(sents) > 1000
    return sents


_ALLOWED_EDGE = set("%％‰")


def _bad_edge(ch: str) -> bool:
    return ch not in _ALLOWED_EDGE and (ch.isspace() or unicodedata.category(ch)[0] in "PZ")


def test_invariants_on_every_seed_sentence(seed_sentences: list[str]) -> None:
    for sent in seed_sentences:
        ents = rule_entities(sent)
        previous_end = 0
        for e in ents:
            assert e["label"] in LABEL_CODES
            assert e["text"] == sent[e["start"]:e["end"]], sent
            assert e["start"] >= previous_end, (sent, ents)  # sorted and non-overlapping
            previous_end = e["end"]
            assert not _bad_edge(e["text"][0]), (sent, e)
            closing_ok = e["text"][-1] in ")）" and ("(" in e["text"] or "（" in e["text"])
            assert closing_ok or not _bad_edge(e["text"][-1]), (sent, e)
            assert not any(q in e["text"] for q in "“”‘’"), (sent, e)  # quote marks never inside
            assert 0.0 < e["score"] <= 1.0


def test_every_indicator_has_a_value(seed_sentences: list[str]) -> None:
    for sent in seed_sentences:
        labels = {e["label"] for e in rule_entities(sent)}
        assert "INDICATOR" not in labels or "VALUE" in labels, sent


def test_seed_coverage(seed_sentences: list[str]) -> None:
    """The rules must find each label in the seeds, or annotators start from nothing."""
    counts = {code: 0 for code in LABEL_CODES}
    for sent in seed_sentences:
        for e in rule_entities(sent):
            counts[e["label"]] += 1
    assert counts["VALUE"] > 700 and counts["INDICATOR"] > 500, counts
    assert counts["PROJECT"] > 60 and counts["LEAD_OFFICE"] > 20, counts


SEED_CASES = [
    ("2023年全镇经济社会发展主要预期目标为:财政总收入增长10%,其中一般公共预算收入增长9%,工业总产值增长9%以上,"
     "其中规上工业总产值增长8%,规上工业增加值增长8%,农村常住居民人均可支配收入与地区生产总值基本同步增长,"
     "完成上级下达的能源和环境指标计划目标。",
     [("财政总收入", IND), ("增长10%", VAL), ("一般公共预算收入", IND), ("增长9%", VAL), ("工业总产值", IND),
      ("增长9%以上", VAL), ("规上工业总产值", IND), ("增长8%", VAL), ("规上工业增加值", IND), ("增长8%", VAL)]),
    ("(应急和消防管理办、社会事业办、政法综治办牵头负责)",
     [("应急和消防管理办", LEAD), ("社会事业办", LEAD), ("政法综治办", LEAD)]),
    ("健全公共就业服务体系,实施“天姥雁栖”、高素质农民、技能人才等计划,完成职业技能培训6500人次,"
     "引进产业工人6000人,新增城镇就业7000人以上,城镇登记失业率控制在3%以内。",
     [("职业技能培训", IND), ("6500人次", VAL), ("产业工人", IND), ("6000人", VAL), ("城镇就业", IND),
      ("7000人以上", VAL), ("城镇登记失业率", IND), ("3%以内", VAL)]),
    ("新增产值10亿元企业2家、亿元以上企业20家、规上企业30家。",
     [("产值10亿元企业", IND), ("2家", VAL), ("亿元以上企业", IND), ("20家", VAL), ("规上企业", IND), ("30家", VAL)]),
    ("地方一般公共预算收入5853.9亿元，增长3.9%；", [("一般公共预算收入", IND), ("5853.9亿元", VAL), ("增长3.9%", VAL)]),
    ("低收入农户人均可支配收入增长20%以上。", [("低收入农户人均可支配收入", IND), ("增长20%以上", VAL)]),
    # adjudication rulings: one VALUE serving `X和Y分别…` measures each part
    ("全年旅游总人数和总收入分别增长15%以上。", [("旅游总人数", IND), ("总收入", IND), ("增长15%以上", VAL)]),
    ("（交通运输部、财政部负责）", [("交通运输部", LEAD), ("财政部", LEAD)]),
    ("（国家发展改革委、财政部会同有关部门负责）", [("国家发展改革委", LEAD), ("财政部", LEAD)]),
    ("（工业和信息化部、发展改革委、农业农村部等负责）", [("工业和信息化部", LEAD), ("发展改革委", LEAD), ("农业农村部", LEAD)]),
    ("（商务部、发展改革委、农业农村部等和各有关省级人民政府负责）",
     [("商务部", LEAD), ("发展改革委", LEAD), ("农业农村部", LEAD), ("省级人民政府", LEAD)]),
    ("（技工院校内由人力资源社会保障行政部门负责）", [("人力资源社会保障行政部门", LEAD)]),
    ("（生态环境部牵头，国家发展改革委、工业和信息化部、住房城乡建设部参与）", [("生态环境部", LEAD)]),
    ("司法部负责制定统一的行政执法文书基本格式标准。", [("司法部", LEAD)]),
    ("（扶贫办、中央统战部、中央和国家机关工委、教育部等和各省级人民政府负责）",
     [("扶贫办", LEAD), ("中央统战部", LEAD), ("中央和国家机关工委", LEAD), ("教育部", LEAD), ("省级人民政府", LEAD)]),
    ("（工业和信息化部、发展改革委、科技部、农业农村部等负责。",
     [("工业和信息化部", LEAD), ("发展改革委", LEAD), ("科技部", LEAD), ("农业农村部", LEAD)]),
    ("（生态环境部、住房城乡建设部指导）", [("生态环境部", LEAD), ("住房城乡建设部", LEAD)]),
    ("发展改革委、扶贫办、农业农村部等部门要加强对消费扶贫工作的统筹。",
     [("发展改革委", LEAD), ("扶贫办", LEAD), ("农业农村部", LEAD)]),
    ("各省（区、市）人民政府要高度重视本地区消费扶贫工作。", [("省（区、市）人民政府", LEAD)]),
    ("生态环境部会同有关部门组织开展“无废城市”建设试点。", [("生态环境部", LEAD)]),
    ("开工建设广珠（澳）高铁鹤洲至横琴段,建成交付总部大楼(国威大厦)。",
     [("广珠（澳）高铁鹤洲至横琴段", PRO), ("总部大楼(国威大厦)", PRO)]),
    ("江淮儿女期盼多年的引江济淮工程通水通航。", [("引江济淮工程", PRO)]),
    ("区规划资源局、区建设管理委、市北高新集团、江宁路街道",  # a task table's 推进单位 cell
     [("区规划资源局", LEAD), ("区建设管理委", LEAD), ("市北高新集团", LEAD), ("江宁路街道", LEAD)]),
    ("区“两旧”专班、区房管局、各相关街镇", [("区房管局", LEAD)]),  # no quote marks inside spans
    ("推进单位", []),
    ("加装、更新住宅电梯500部以上（牵头单位：住建厅）。", [("住宅电梯", IND), ("500部以上", VAL), ("住建厅", LEAD)]),
    # rules-0.3.0, from train-split misses: a quoted name before its value, quote marks outside
    ("完成“小升规”3家、“下升上”1家、“个转企”11家。",
     [("小升规", IND), ("3家", VAL), ("下升上", IND), ("1家", VAL), ("个转企", IND), ("11家", VAL)]),
    ("比“四经普”增长29.8%。", [("增长29.8%", VAL)]),  # a baseline, not what is measured
    # one VALUE for a `、` list (`均`, `分别`): every item is measured; a bare list is not
    ("一般固废全年处置率、危险废物处置率均达100%。",
     [("一般固废全年处置率", IND), ("危险废物处置率", IND), ("100%", VAL)]),
    ("全年各类生产安全事故数、亡人数分别下降37%、50%。",
     [("生产安全事故数", IND), ("亡人数", IND), ("37%", VAL), ("50%", VAL)]),
    # verbs before a counted thing stay outside; the counted thing stops at the next verb
    ("新增投放垃圾桶2000个。", [("垃圾桶", IND), ("2000个", VAL)]),
    ("全镇投入1.3亿元。", [("投入", IND), ("1.3亿元", VAL)]),  # like the guide's `投资600万元`
    ("3个国家区域医疗中心投入运营。", [("3个", VAL), ("国家区域医疗中心", IND)]),
    ("新建1万亩高标准农田。", [("1万亩", VAL), ("高标准农田", IND)]),  # a unit, not only a measure word
    ("做优做强5个国家先进制造业集群。", [("5个", VAL), ("国家先进制造业集群", IND)]),  # a verb is no name
    ("改造提升24个高速公路服务区。", [("24个", VAL), ("高速公路服务区", IND)]),
    ("发动5000人次党员群众,全力做好水源调度。", [("5000人次", VAL), ("党员群众", IND)]),
    ("已整改67938件,整改率达99.36%。", [("67938件", VAL), ("整改率", IND), ("99.36%", VAL)]),
    # PROJECT: the work word of a listed work; a lead `新建` is build context
    ("有序推进步行街、松山公园改造提升、杜前公路立面改造。", [("步行街", PRO), ("松山公园改造提升", PRO)]),
    ("谋划新建凤桥镇图书馆、文体中心,打造“15分钟公共文化服务圈”。", [("凤桥镇图书馆", PRO)]),
    ("加快推进达才村爱国主义教育基地建设。", [("达才村爱国主义教育基地", PRO)]),
    # names listed before `等…项目/高速公路/新线`, in a build context that includes 投产/运营
    ("推动京东方、惠科等重大产业项目尽快投产。", [("京东方", PRO), ("惠科", PRO)]),
    ("大保、丽香、弥蒙等新线投入运营。", [("大保", PRO), ("丽香", PRO), ("弥蒙", PRO)]),
    ("加快新昌-中关村人才科创港建设。", [("新昌-中关村人才科创港", PRO)]),  # a hyphen inside a name
]


@pytest.mark.parametrize(("text", "expected"), SEED_CASES, ids=[t[:16] for t, _ in SEED_CASES])
def test_real_sentences(text: str, expected: list[tuple[str, str]]) -> None:
    assert spans(text) == expected


def test_a_bare_list_before_a_count_is_not_a_list_of_indicators() -> None:
    """Without `分别`/`均` the items are names counted together (`…4个试点村`), not measures."""
    found = spans("对石涌、半仙山、村尾、六甲4个试点村开展评价。", IND)
    assert not {"石涌", "半仙山", "村尾"} & {t for t, _ in found}


def test_lead_offices_in_national_responsibility_notes() -> None:
    """The national task-decomposition documents carry `（…负责）` notes: each note yields units."""
    html = (SHARED / "reports" / "extra" / "national_2018_guobanfa117-incentive-measures_responsibility.html")
    notes = re.findall(r"（[^（）]{2,200}负责）", html.read_text(encoding="utf-8"))
    assert len(notes) > 10
    for note in notes:
        found = spans(note, LEAD)
        assert found, note
        assert all("有关" not in t and not t.startswith("各") for t, _ in found), note


def test_rules_version_is_named() -> None:
    assert re.fullmatch(r"rules-[\w.\-]+", RULES_VERSION)
