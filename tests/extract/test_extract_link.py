"""measures(): linking values to indicators, table-driven on real report sentences.

Every sentence below is checked to be a sentence `govner prepare` makes from a seed or an extra
report (train documents only, so dev/test stay unseen); the entities are written out as the
annotation guide would mark them. Each case names the shape of issue 16 it covers.
"""
from __future__ import annotations

import pytest

from govner.errors import GovnerError
from govner.extract import measures
from helpers.extract_spans import ents
from helpers.paths import EXTRA, SEEDS

def links(text: str, spec: list[tuple[str, str]]) -> list[tuple[str, str | None]]:
    return [(m["value"]["text"], m["indicator"]["text"] if m["indicator"] else None)
            for m in measures(text, ents(text, spec))]


# (shape, source file, sentence, entities, expected (value, indicator) records in order)
CASES = [
    ("indicator before value", "extra:anhui_2026_gov-work-report.txt", "新改建农村公路1500公里。",
     [("农村公路", "I"), ("1500公里", "V")], [("1500公里", "农村公路")]),
    ("value before indicator; clauses", "extra:guangdong_2026_gov-work-report.txt",
     "组团式推进镇村片区建设，新培育2518个典型村，新建和改造提升农村公路2500公里，推进农村厕所革命、生活污水和垃圾治理，"
     "深化人居环境整治和风貌提升，整县建成美丽乡村比例提高到40%，整体提升省际边界发展水平。",
     [("2518个", "V"), ("典型村", "I"), ("农村公路", "I"), ("2500公里", "V"), ("建成美丽乡村比例", "I"), ("40%", "V")],
     [("2518个", "典型村"), ("2500公里", "农村公路"), ("40%", "建成美丽乡村比例")]),
    ("value before indicator, twice", "extra:hainan_2026_gov-work-report.txt", "建成350个美丽乡村、500个和美乡村。",
     [("350个", "V"), ("美丽乡村", "I"), ("500个", "V"), ("和美乡村", "I")],
     [("350个", "美丽乡村"), ("500个", "和美乡村")]),
    ("an indicator counted by the value before it is not reused", "extra:hainan_2026_gov-work-report.txt",
     "建成350个美丽乡村、500个和美乡村。",
     [("350个", "V"), ("美丽乡村", "I"), ("500个", "V")],
     [("350个", "美丽乡村"), ("500个", None)]),
    ("value before indicator (seed)", "seed:004_d2fc8c44b527f0e4.txt",
     "深入推进文联换届和改革工作,建成6个乡村文联文艺志愿服务站赋能乡村文化振兴。",
     [("6个", "V"), ("乡村文联文艺志愿服务站", "I")], [("6个", "乡村文联文艺志愿服务站")]),
    ("value before a distant indicator", "extra:guangdong_2026_gov-work-report.txt",
     "突破人形机器人热插拔自主换电、高动态运动控制等核心技术，11家企业入选全球人形机器人上市公司百强。",
     [("11家", "V"), ("全球人形机器人上市公司百强", "I")], [("11家", "全球人形机器人上市公司百强")]),
    ("several values of one indicator (、)", "extra:shandong_2026_gov-work-report.txt",
     "地区生产总值增长5.5%、达到10.3万亿元，成为全国第三个、北方第一个过10万亿元省份。",
     [("地区生产总值", "I"), ("增长5.5%", "V"), ("10.3万亿元", "V")],
     [("增长5.5%", "地区生产总值"), ("10.3万亿元", "地区生产总值")]),
    ("several values of one indicator, level first", "extra:anhui_2026_gov-work-report.txt",
     "全省地区生产总值5.3万亿元、增长5.5%，规上工业增加值增长9.4%，社会消费品零售总额增长4.2%，进出口总额增长17.3%，"
     "一般公共预算收入增长2.9%，城镇、农村常住居民人均可支配收入分别增长4.4%、5.9%。",
     [("地区生产总值", "I"), ("5.3万亿元", "V"), ("增长5.5%", "V"), ("规上工业增加值", "I"), ("增长9.4%", "V"),
      ("社会消费品零售总额", "I"), ("增长4.2%", "V"), ("进出口总额", "I"), ("增长17.3%", "V"),
      ("一般公共预算收入", "I"), ("增长2.9%", "V"), ("城镇", "I"), ("农村常住居民人均可支配收入", "I"),
      ("4.4%", "V"), ("5.9%", "V")],
     [("5.3万亿元", "地区生产总值"), ("增长5.5%", "地区生产总值"), ("增长9.4%", "规上工业增加值"),
      ("增长4.2%", "社会消费品零售总额"), ("增长17.3%", "进出口总额"), ("增长2.9%", "一般公共预算收入"),
      ("4.4%", "城镇"), ("5.9%", "农村常住居民人均可支配收入")]),
    ("values of one indicator across a comma (continuation clause)", "seed:002_2bd030c6d8315c75.txt",
     "其中制造业投资完成9.1亿元,同比增长36.7%,技改投资完成4亿元,同比增长67.3%,外贸进出口总额13.6亿元,同比增长9.2%,"
     "出口总额13亿元,同比增长10.1%。",
     [("制造业投资", "I"), ("9.1亿元", "V"), ("增长36.7%", "V"), ("技改投资", "I"), ("4亿元", "V"),
      ("增长67.3%", "V"), ("外贸进出口总额", "I"), ("13.6亿元", "V"), ("增长9.2%", "V"), ("出口总额", "I"),
      ("13亿元", "V"), ("增长10.1%", "V")],
     [("9.1亿元", "制造业投资"), ("增长36.7%", "制造业投资"), ("4亿元", "技改投资"), ("增长67.3%", "技改投资"),
      ("13.6亿元", "外贸进出口总额"), ("增长9.2%", "外贸进出口总额"), ("13亿元", "出口总额"),
      ("增长10.1%", "出口总额")]),
    ("two indicators, each with a change and a level", "extra:jilin_2026_gov-work-report.txt",
     "黑土地耕层厚度止跌提升3.5%、达到20.6厘米，有机质增长6.1%、达到27克/千克。",
     [("黑土地耕层厚度", "I"), ("提升3.5%", "V"), ("20.6厘米", "V"), ("有机质", "I"), ("增长6.1%", "V"),
      ("27克/千克", "V")],
     [("提升3.5%", "黑土地耕层厚度"), ("20.6厘米", "黑土地耕层厚度"), ("增长6.1%", "有机质"), ("27克/千克", "有机质")]),
    ("X、Y分别增长a、b: by position", "extra:sichuan_2026_gov-work-report.txt",
     "国有资本布局持续优化，全省地方国企资产总额增长116.2%、达到23.2万亿元，营业总收入、利润总额五年分别增长97.3%、27.7%。",
     [("地方国企资产总额", "I"), ("增长116.2%", "V"), ("23.2万亿元", "V"), ("营业总收入", "I"), ("利润总额", "I"),
      ("97.3%", "V"), ("27.7%", "V")],
     [("增长116.2%", "地方国企资产总额"), ("23.2万亿元", "地方国企资产总额"), ("97.3%", "营业总收入"),
      ("27.7%", "利润总额")]),
    ("X和Y分别增至a和b", "extra:guangdong_2026_gov-work-report.txt", "国际友城和外国驻穗总领馆分别增至214对和69家。",
     [("国际友城", "I"), ("外国驻穗总领馆", "I"), ("214对", "V"), ("69家", "V")],
     [("214对", "国际友城"), ("69家", "外国驻穗总领馆")]),
    ("X和Y分别下降a、b", "extra:jilin_2026_gov-work-report.txt", "生产安全事故起数和死亡人数分别下降15.1%、17%。",
     [("生产安全事故起数", "I"), ("死亡人数", "I"), ("15.1%", "V"), ("17%", "V")],
     [("15.1%", "生产安全事故起数"), ("17%", "死亡人数")]),
    ("X和Y…，分别达到a和b (indicators in the clause before)", "seed:002_2bd030c6d8315c75.txt",
     "企业研发活动和研发机构覆盖率显著提升,分别达到98%和86.6%,全镇规上工业企业研发经费投入2.94亿元。",
     [("企业研发活动", "I"), ("研发机构覆盖率", "I"), ("98%", "V"), ("86.6%", "V"), ("规上工业企业研发经费投入", "I"),
      ("2.94亿元", "V")],
     [("98%", "企业研发活动"), ("86.6%", "研发机构覆盖率"), ("2.94亿元", "规上工业企业研发经费投入")]),
    ("X、Y均增长a: every listed indicator", "extra:guangdong_2026_gov-work-report.txt",
     "努力帮助企业降本增效，工业企业用电成本下降6.8%，社会物流总费用与地区生产总值的比率降至13.6%左右，"
     "制造业贷款余额、科技贷款余额均增长11.7%。",
     [("工业企业用电成本", "I"), ("下降6.8%", "V"), ("社会物流总费用与地区生产总值的比率", "I"), ("13.6%左右", "V"),
      ("制造业贷款余额", "I"), ("科技贷款余额", "I"), ("增长11.7%", "V")],
     [("下降6.8%", "工业企业用电成本"), ("13.6%左右", "社会物流总费用与地区生产总值的比率"),
      ("增长11.7%", "制造业贷款余额"), ("增长11.7%", "科技贷款余额")]),
    ("X、Y均同比下降a (seed)", "seed:002_2bd030c6d8315c75.txt", "持续巩固反诈工作成效,力争实现发案数量、发案损失值均同比下降30%的目标。",
     [("发案数量", "I"), ("发案损失值", "I"), ("下降30%", "V")],
     [("下降30%", "发案数量"), ("下降30%", "发案损失值")]),
    ("其中Z: to Z, not the total", "seed:002_2bd030c6d8315c75.txt",
     "稳住农业基本盘,全年粮食种植面积5.4万亩,其中水稻种植面积2.04万亩,大小麦1.42万亩,油菜种植面积0.11万亩。",
     [("粮食种植面积", "I"), ("5.4万亩", "V"), ("水稻种植面积", "I"), ("2.04万亩", "V"), ("大小麦", "I"),
      ("1.42万亩", "V"), ("油菜种植面积", "I"), ("0.11万亩", "V")],
     [("5.4万亩", "粮食种植面积"), ("2.04万亩", "水稻种植面积"), ("1.42万亩", "大小麦"), ("0.11万亩", "油菜种植面积")]),
    ("其中Z in the same clause", "extra:yunnan_2026_gov-work-report.txt",
     "营商环境向优向好，实有经营主体688.3万户，其中企业162.5万户、增长1.1倍，民营经济增加值突破1.7万亿元、撑起“半壁江山”。",
     [("实有经营主体", "I"), ("688.3万户", "V"), ("企业", "I"), ("162.5万户", "V"), ("增长1.1倍", "V"),
      ("民营经济增加值", "I"), ("1.7万亿元", "V")],
     [("688.3万户", "实有经营主体"), ("162.5万户", "企业"), ("增长1.1倍", "企业"), ("1.7万亿元", "民营经济增加值")]),
    ("其中 without its Z tagged: never the total", "extra:hunan_2026_gov-work-report.txt",
     "旅发大会带动游客人数和总花费分别增长10.6%、9%，其中接待入境游客突破240万人次、增长19.1%，张家界入境游客增长32.5%。",
     [("游客人数", "I"), ("总花费", "I"), ("10.6%", "V"), ("9%", "V"), ("240万人次", "V"), ("增长19.1%", "V"),
      ("入境游客", "I"), ("增长32.5%", "V")],
     [("10.6%", "游客人数"), ("9%", "总花费"), ("240万人次", None), ("增长19.1%", None), ("增长32.5%", "入境游客")]),
    ("其中 with Z tagged", "extra:hunan_2026_gov-work-report.txt",
     "旅发大会带动游客人数和总花费分别增长10.6%、9%，其中接待入境游客突破240万人次、增长19.1%，张家界入境游客增长32.5%。",
     [("游客人数", "I"), ("总花费", "I"), ("10.6%", "V"), ("9%", "V"), ("入境游客", "I"), ("240万人次", "V"),
      ("增长19.1%", "V"), ("入境游客", "I"), ("增长32.5%", "V")],
     [("10.6%", "游客人数"), ("9%", "总花费"), ("240万人次", "入境游客"), ("增长19.1%", "入境游客"),
      ("增长32.5%", "入境游客")]),
    ("no indicator in the sentence: None, never a guess", "seed:002_2bd030c6d8315c75.txt",
     "大力发展教育事业,投资1168万元完成凤桥镇中心幼儿园等4个学校暑期维修提升改造,其中,凤桥镇中心幼儿园顺利通过省二级幼儿园复评,"
     "凤桥镇中心幼儿园、凤桥镇中心小学、凤桥中学荣获年度目标责任制考核一等奖。",
     [("投资", "I"), ("1168万元", "V"), ("4个", "V")],
     [("1168万元", "投资"), ("4个", None)]),
    ("an indicator with its own value is not taken by the value before it", "extra:yunnan_2026_gov-work-report.txt",
     "统筹4416.6亿元支持巩固拓展脱贫攻坚成果和乡村全面振兴，推广“334”“622”等联农带农机制，建成就业“幸福里”社区106个、"
     "就业帮扶车间2448个，培育特色劳务品牌265个，89万监测对象稳定消除返贫致贫风险，脱贫县农村居民人均可支配收入年均增长8.2%、"
     "高于全国全省农民收入增速，牢牢守住了不发生规模性返贫致贫的底线。",
     [("4416.6亿元", "V"), ("106个", "V"), ("就业帮扶车间", "I"), ("2448个", "V"), ("特色劳务品牌", "I"), ("265个", "V"),
      ("89万", "V"), ("监测对象", "I"), ("农村居民人均可支配收入", "I"), ("年均增长8.2%", "V")],
     [("4416.6亿元", None), ("106个", None), ("2448个", "就业帮扶车间"), ("265个", "特色劳务品牌"), ("89万", "监测对象"),
      ("年均增长8.2%", "农村居民人均可支配收入")]),
    ("investment before a project: the indicator, not the project", "seed:000_f335f9e20c8b25d3.txt",
     "年底前开工建设总投资19亿元的新章镇大桥及连接线项目,推进总投资约6000万元的打通“断头路”建设(章路线—巴弄)、"
     "乡村公路提升及亮化项目,强化曹娥江东西两翼联系,优化虞南山区路网结构。(村镇建设办牵头负责)",
     [("总投资", "I"), ("19亿元", "V"), ("新章镇大桥及连接线项目", "P"), ("总投资", "I"), ("约6000万元", "V"),
      ("村镇建设办", "O")],
     [("19亿元", "总投资"), ("约6000万元", "总投资")]),
    ("a threshold inside the indicator name", "seed:000_f335f9e20c8b25d3.txt",
     "强化招商链式思维,优化招商目录,谋划推进更多战略性、支撑性、引领性项目“进盘子”,重点关注249亩皇马退出地块招商工作,"
     "力争全年引进1亿元以上项目2只、5000万元以上项目2只,10亿元以上项目有新突破,实到外资400万美元以上。",
     [("1亿元以上项目", "I"), ("2只", "V"), ("5000万元以上项目", "I"), ("2只", "V"), ("实到外资", "I"),
      ("400万美元以上", "V")],
     [("2只", "1亿元以上项目"), ("2只", "5000万元以上项目"), ("400万美元以上", "实到外资")]),
    ("a number inside a name (a tagger's error) does not continue the clause before", "seed:000_f335f9e20c8b25d3.txt",
     "强化招商链式思维,优化招商目录,谋划推进更多战略性、支撑性、引领性项目“进盘子”,重点关注249亩皇马退出地块招商工作,"
     "力争全年引进1亿元以上项目2只、5000万元以上项目2只,10亿元以上项目有新突破,实到外资400万美元以上。",
     [("1亿元以上项目", "I"), ("2只", "V"), ("5000万元以上项目", "I"), ("2只", "V"), ("10亿元以上", "V"),
      ("实到外资", "I"), ("400万美元以上", "V")],
     [("2只", "1亿元以上项目"), ("2只", "5000万元以上项目"), ("10亿元以上", None), ("400万美元以上", "实到外资")]),
]


@pytest.fixture(scope="module")
def real_sentences() -> dict[str, set[str]]:
    """Sentence texts per source file, as `govner prepare` makes them."""
    from govner.text.prepare import prepare

    files = sorted({c[1] for c in CASES})
    out = {}
    for f in files:
        where, name = f.split(":")
        path = (SEEDS if where == "seed" else EXTRA) / name
        _, records, _ = prepare([str(path)], progress=False)
        out[f] = {r["text"] for r in records}
    return out


@pytest.mark.parametrize("shape,source,text,spec,want", CASES, ids=[c[0] for c in CASES])
def test_links(shape, source, text, spec, want, real_sentences):
    assert text in real_sentences[source], f"not a sentence of {source}"
    assert links(text, spec) == want


def test_records_carry_entities_numbers_and_period():
    text = "2023年全镇经济社会发展主要预期目标为:财政总收入增长10%,其中一般公共预算收入增长9%,工业总产值增长9%以上,"
    [first, second, third] = measures(text, ents(text, [
        ("财政总收入", "I"), ("增长10%", "V"), ("一般公共预算收入", "I"), ("增长9%", "V"), ("工业总产值", "I"),
        ("增长9%以上", "V")]))
    assert first["indicator"] == {"start": 21, "end": 26, "label": "INDICATOR", "text": "财政总收入"}
    assert first["value"]["text"] == "增长10%" and first["number"] == 10.0 and first["unit"] == "%"
    assert first["change"] == "increase" and first["bound"] is None
    assert (first["period"], first["period_start"], first["period_end"]) == ("2023年", 0, 5)
    assert third["bound"] == ">=" and second["indicator"]["text"] == "一般公共预算收入"


def test_change_words_shared_by_a_list_and_levels_from_context():
    text = "国际友城和外国驻穗总领馆分别增至214对和69家。"
    recs = measures(text, ents(text, [("国际友城", "I"), ("外国驻穗总领馆", "I"), ("214对", "V"), ("69家", "V")]))
    assert [(r["number"], r["unit"], r["change"]) for r in recs] == [(214, "对", "level"), (69, "家", "level")]
    text = "企业研发活动和研发机构覆盖率显著提升,分别增长8.9%和9.5%。"  # the list shares 分别增长
    recs = measures(text, ents(text, [("企业研发活动", "I"), ("研发机构覆盖率", "I"), ("8.9%", "V"), ("9.5%", "V")]))
    assert [r["change"] for r in recs] == ["increase", "increase"]


def test_scores_are_kept_and_other_labels_ignored():
    text = "新改建农村公路1500公里。"
    e = ents(text, [("农村公路", "I"), ("1500公里", "V")])
    e[1]["score"] = 0.9
    e.append({"start": 0, "end": 3, "label": "PROJECT", "text": "新改建"})
    [rec] = measures(text, e)
    assert rec["value"]["score"] == 0.9 and "score" not in rec["indicator"]


def test_no_values_no_records():
    assert measures("坚持稳中求进工作总基调。", []) == []
    assert measures("城乡居民收入稳步增长。", [{"start": 0, "end": 6, "label": "INDICATOR"}]) == []


def test_entities_that_do_not_fit_the_text_are_an_error():
    with pytest.raises(GovnerError, match=r"entity 0 \[0, 4\) says '农村公路'"):
        measures("新改建农村公路1500公里。", [{"start": 0, "end": 4, "label": "INDICATOR", "text": "农村公路"}])
    with pytest.raises(GovnerError, match="outside a sentence of 3 characters"):
        measures("增长5", [{"start": 1, "end": 9, "label": "VALUE"}])
    with pytest.raises(GovnerError, match="needs integer start/end and a label"):
        measures("增长5", [{"start": 1}])
