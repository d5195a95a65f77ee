"""parse_value(): examples from the reports, then properties checked with hypothesis."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govner.extract import measures, parse_value
from govner.extract.link import value_contexts
from govner.extract.numbers import COUNT_WORDS, UNITS, cn_number, unit_table_markdown
from helpers.paths import ROOT

# text -> (number, low, high, unit, change, bound); every text is a VALUE seen in the reports
EXAMPLES = {
    "增长10%以上": (10, None, None, "%", "increase", ">="),
    "增长10%": (10, None, None, "%", "increase", None),
    "1.2万亿元": (1.2e12, None, None, "yuan", None, None),
    "3万平方米": (30000, None, None, "m²", None, None),
    "5个百分点": (5, None, None, "percentage point", None, None),
    "提高2.7个百分点": (2.7, None, None, "percentage point", "increase", None),
    "５．２％": (5.2, None, None, "%", None, None),
    "一百二十": (120, None, None, None, None, None),
    "两位数": (None, None, None, None, None, None),
    "八成以上": (80, None, None, "%", None, ">="),
    "近八成": (80, None, None, "%", None, "~"),
    "1,234.5万元": (12_345_000, None, None, "yuan", None, None),
    "10-15%": (None, 10, 15, "%", None, None),
    "10%至15%": (None, 10, 15, "%", None, None),
    "增长4.5-5%": (None, 4.5, 5, "%", "increase", None),
    "年均增长5%—5.5%": (None, 5, 5.5, "%", "increase", None),
    "3-5家以上": (None, 3, 5, "家", None, ">="),
    "约6000万元": (6e7, None, None, "yuan", None, "~"),
    "超千亿元": (1e11, None, None, "yuan", None, ">="),
    "不超过50万元": (5e5, None, None, "yuan", None, "<="),
    "不少于50%": (50, None, None, "%", None, ">="),
    "7%左右": (7, None, None, "%", None, "~"),
    "3%以内": (3, None, None, "%", None, "<="),
    "降低3.8%左右": (3.8, None, None, "%", "decrease", "~"),
    "下降20%以上": (20, None, None, "%", "decrease", ">="),
    "压降10%": (10, None, None, "%", "decrease", None),
    "减少5000吨": (5000, None, None, "t", "decrease", None),
    "净增120家": (120, None, None, "家", "increase", None),
    "1600亿斤以上": (1.6e11, None, None, "jin", None, ">="),
    "30万人以上": (3e5, None, None, "persons", None, ">="),
    "6500人次": (6500, None, None, "person-times", None, None),
    "5万余户": (5e4, None, None, "households", None, ">="),
    "300多家": (300, None, None, "家", None, ">="),
    "2万亩": (20000, None, None, "mu", None, None),
    "1500公里": (1500, None, None, "km", None, None),
    "1000万千瓦": (1e7, None, None, "kW", None, None),
    "15万吨/日": (150000, None, None, "t/day", None, None),
    "842元/月": (842, None, None, "yuan/month", None, None),
    "58万元/人左右": (580000, None, None, "yuan/person", None, "~"),
    "20微克/立方米以下": (20, None, None, "µg/m³", None, "<="),
    "400万美元以上": (4e6, None, None, "USD", None, ">="),
    "1.6倍": (1.6, None, None, "times", None, None),
    "2只": (2, None, None, "只", None, None),
    "十件": (10, None, None, "件", None, None),
    "超百万": (1e6, None, None, None, None, ">="),
    "100%": (100, None, None, "%", None, None),
    # shares written as words are percentages; doubling is a rise
    "近一半": (50, None, None, "%", None, "~"),
    "超过一半": (50, None, None, "%", None, ">="),
    "不足三分之一": (100 / 3, None, None, "%", None, "<="),
    "1/3以上": (100 / 3, None, None, "%", None, ">="),
    "千分之三": (3, None, None, "‰", None, None),
    "翻一番": (100, None, None, "%", "increase", None),
    "翻两番": (300, None, None, "%", "increase", None),
    # a change word in front of the numeral, with a noun or a bound between
    "精简两成": (20, None, None, "%", "decrease", None),
    "精简80%": (80, None, None, "%", "decrease", None),
    "降价超50%": (50, None, None, "%", "decrease", ">="),
    "减量约50平方公里": (50, None, None, "km²", "decrease", "~"),
    "减量7平方公里": (7, None, None, "km²", "decrease", None),
    "新增300万吨以上": (3e6, None, None, "t", "increase", ">="),  # 新增 inside the span: a rise
    "提升6位": (6, None, None, "位", "increase", None),  # 提升 inside the span is a rise
    "新建提升310公里": (310, None, None, "km", None, None),  # upgrade, not a rise
    # no single number
    "8.3∶41.4∶50.3": (None, None, None, None, None, None),  # a ratio of parts
    "2.50:1": (None, None, None, None, None, None),
    "千亿级": (None, None, None, None, None, None),  # an order of magnitude, like 两位数
    "万亿级": (None, None, None, None, None, None),
    "二十年或五十年一遇": (None, 20, 50, "年一遇", None, None),  # A或B reads as a range
    "五年一遇": (5, None, None, "年一遇", None, None),
}


@pytest.mark.parametrize("text", EXAMPLES)
def test_examples(text):
    number, low, high, unit, change, bound = EXAMPLES[text]
    got = parse_value(text)
    assert got["text"] == text
    assert got["number"] == (pytest.approx(number) if number is not None else None)
    assert (got["low"], got["high"]) == ((pytest.approx(low), pytest.approx(high)) if low is not None else (None, None))
    assert (got["unit"], got["change"], got["bound"]) == (unit, change, bound)


@pytest.mark.parametrize("text,before,after,change,bound", [
    ("10.3万亿元", "、达到", "", "level", None),  # 达到 is outside the span (guide)
    ("13.6%左右", "的比率降至", "", "level", "~"),
    ("842元/月", "提高至", "", "level", None),
    ("8.9%", "分别增长", "", "increase", None),
    ("5%", "年均增速", "", "increase", None),
    ("两位数", "实现", "增长", "level", None),  # the word in front wins over the one after
    ("两位数", "", "增长，", "increase", None),
    ("1亿元", "约", "", None, "~"),
    ("增长5%", "达到", "", "increase", None),  # the span's own word wins
    ("2.35万人", "注册志愿者达", "", "level", None),
])
def test_context_words(text, before, after, change, bound):
    got = parse_value(text, before=before, after=after)
    assert (got["change"], got["bound"]) == (change, bound)


# (before, VALUE, after, change) as measures() passes them: the clause on either side of the value
CLAUSE_CONTEXT = [
    # the indicator's own tail: a rate word
    ("居民消费价格涨幅", "2%左右", "", "increase"),
    ("包括：地区生产总值年均增速", "4.5%-5%", "、努力争取更好结果", "increase"),
    ("服务贸易年均增速", "5%左右", "", "increase"),
    # a transitive verb in front of the indicator governs the value
    ("完成投资", "15亿元", "", "level"),
    ("全年预计实现地区生产总值", "166亿元", "", "level"),
    ("农牧区劳动力实现转移就业", "112万人次", "", "level"),
    ("四是完成应急避难场所建设", "144.45万平方米", "", "level"),
    ("完成燕莎桥等", "251座", "桥系桥下空间整治", "level"),  # 完成 governs whatever it counts
    ("继续压减非重点非刚性及一般性支出", "18.2亿元", "", "decrease"),
    ("开展财政事前评估和预算评审、压减资金", "42.6亿元", "", "decrease"),
    ("减少碳排放", "2810万吨", "", "decrease"),
    ("向国有企业累计减免租金", "6709万元", "", "decrease"),
    ("累计为经营主体减轻税费负担", "超4900亿元", "", "decrease"),
    ("医保集中带量采购为群众减负", "237亿元", "", "decrease"),
    # a 、 list shares its verb
    ("平均压减时间58%、材料", "52%", "", "decrease"),
    ("完成国土绿化693.4万亩、防沙治沙", "228.3万亩", "", "level"),
    ("完成2100万千瓦火电机组、2812万吨钢铁产能、", "395台", "燃煤锅炉超低排放改造", "level"),
    ("全区养老机构和设施达到9341个、床位", "10.5万张", "", "level"),
    ("实现风电、光伏发电量双双", "超过1000亿度", "", "level"),
    ("北京证券交易所上市公司达288家、总市值", "超8600亿元", "", None),  # its own predicate
    ("456个小区完成临时用电治理、", "60万户", "居民用上舒心电", None),  # a new clause
    ("启动杨柳青电厂、完成大港电厂共", "6台", "亚临界机组替代", None),  # a total over both verbs
    # a verb that governs another object, or sits in a modifier, governs nothing
    ("实现", "200多场", "重要活动零事故", None),
    ("攻坚突破家政服务市场规范等", "11个", "难点问题", None),
    ("实施科技“尖锋”行动重大项目82个、突破重大技术", "102项", "", None),
    ("串联已完成建设的", "7个", "特色精品(示范)村发展乡村旅游", None),
    ("原则上第一年全区应完成的任务量", "不少于700亩", "", None),
    ("实施“千村引领、万村提升”工程项目", "2758个", "、", None),  # no verbs inside quotes
    ("软件信息、科技服务和商务服务三大产业对经济增长贡献", "超五成", "", None),  # 增长 is a noun here
    # level words apart from the value
    ("全省地区生产总值从2020年的3.2万亿元增长到2025年的", "4.93万亿元", "", "level"),
    ("人均GDP从2020年的5.2万元提高到2025年的", "7.4万元", "", "level"),
    ("灌溉面积达到耕地总面积的", "64%", "", "level"),
    ("城乡低保标准提高到每月", "815元", "和", "level"),
    ("全省地区生产总值历史性迈上", "4000亿元", "台阶", "level"),
    ("经济总量连续迈上", "4万亿", "、", "level"),
    ("绿电外送拓展至", "22个", "省区市", "level"),
    ("跨部门综合监管事项从39个拓展到", "91个", "", "level"),
    ("连续五年保持", "100%", "的唯一省份", "level"),
    ("保持", "千亿级", "投资规模", "level"),
    ("三次产业结构调整为", "8.3∶41.4∶50.3", "", "level"),
    ("防洪标准提高到", "二十年或五十年一遇", "", "level"),
    ("单个便利店面积一般为", "50-100㎡", "）", "level"),
    # the start of 从X到Y is neither a change nor a level
    ("中心城区绿色出行比例从", "75.6%", "提升至76.5%", None),
    ("人均预期寿命从2020年的", "82.4岁", "提升至83.9岁", None),
    ("保费由每生每年", "5元", "提高至10元", None),
    ("专精特新“小巨人”企业从", "80户", "增加到810户", None),
    # 为 meaning "for"
    ("为", "380个", "老旧小区引入物业服务", None),
    ("累计为", "29个", "省份保供煤炭超35亿吨", None),
    ("全面落实农民工工资支付保障制度，为", "2.15万名", "劳动者追回工资2.65亿元", None),
    # 提升 meaning upgrade, 新增/新建 outside the span: no rise
    ("新建提升", "310公里", "", None),
    ("5.完善提升", "20个", "县乡村三级养老服务网络", None),
    ("改造提升低等级公路", "25公里", "", None),
    ("累计推动农房风貌提升", "26.4万户", "", None),
    ("规范提升农村供水厂站", "500处", "", None),
    ("完成“白改黑”改造提升", "3.5公里以上", "", "level"),
    ("新增施工总承包一级资质企业和装配式建筑企业", "2家", "", None),
    ("城镇新增就业", "6.95万人", "", None),
    ("实现城镇新增就业", "18万人以上", "", "level"),
    ("完成新增", "1个", "街镇“两山”基地建设纳入市级遴选储备库", "level"),
    ("公办学校新增学位", "446个", "", None),
    ("主要进口产品落地加工量", "新增300万吨以上", "", "increase"),
    # comparisons and bounds alone say no change
    ("全市地区生产总值5.2万亿元、增长5.4%、高于全国", "0.4个百分点", "", None),
    ("新增两院院士占全国", "近一半", "", None),
    ("粮食产量", "超过840亿斤", "", None),
]


@pytest.mark.parametrize("before,text,after,change", CLAUSE_CONTEXT)
def test_clause_context(before, text, after, change):
    assert parse_value(text, before=before, after=after)["change"] == change


def test_measures_pass_the_clause_to_parse_value():
    text = "加快新昌智造科创带建设,完成投资15亿元,实现技术交易额12亿元以上。"
    entities = []
    for label, span in (("INDICATOR", "投资"), ("VALUE", "15亿元"), ("INDICATOR", "技术交易额"),
                        ("VALUE", "12亿元以上")):
        start = text.index(span)
        entities.append({"start": start, "end": start + len(span), "label": label, "text": span})
    got = [(m["value"]["text"], m["indicator"]["text"], m["change"]) for m in measures(text, entities)]
    assert got == [("15亿元", "投资", "level"), ("12亿元以上", "技术交易额", "level")]
    contexts = value_contexts(text, entities)
    assert contexts[(entities[1]["start"], entities[1]["end"])] == ("完成投资", "")


def test_unparseable_keeps_its_text():
    for text in ("数十条", "两位数", "", "增长", "%", "abc"):
        got = parse_value(text)
        assert got["text"] == text and got["number"] is None and got["low"] is None


def test_docs_unit_table_is_generated_from_the_code():
    assert unit_table_markdown() in (ROOT / "docs" / "extract.md").read_text(encoding="utf-8")


# --- properties ------------------------------------------------------------------------------

SCALES = {"": 1, "万": 1e4, "亿": 1e8, "万亿": 1e12, "千万": 1e7, "百万": 1e6, "十万": 1e5}
WRITTEN_UNITS = {w: c for w, c in UNITS.items() if w not in ("%", "‰", "成", "个百分点", "百分点")}
CHANGES = {"": None, "增长": "increase", "同比增长": "increase", "提高": "increase", "下降": "decrease",
           "减少": "decrease", "年均增长": "increase"}
BOUNDS_AFTER = {"": None, "以上": ">=", "左右": "~", "以内": "<=", "以下": "<=", "及以上": ">="}
BOUNDS_BEFORE = {"": None, "约": "~", "超过": ">=", "不低于": ">=", "不超过": "<=", "近": "~"}

numbers = st.tuples(st.integers(0, 999_999), st.one_of(st.none(), st.integers(0, 99)), st.booleans())


def number_text(parts: tuple[int, int | None, bool]) -> tuple[str, float]:
    whole, frac, commas = parts
    head = f"{whole:,}" if commas else str(whole)
    text = head if frac is None else f"{head}.{frac:02d}"
    return text, float(text.replace(",", ""))


@settings(max_examples=300, deadline=None)
@given(numbers, st.sampled_from(sorted(SCALES)), st.sampled_from(sorted(WRITTEN_UNITS)),
       st.sampled_from(sorted(CHANGES)), st.sampled_from(sorted(BOUNDS_BEFORE)), st.sampled_from(sorted(BOUNDS_AFTER)))
def test_number_scale_unit_round_trip(num, scale, unit, change, bound_before, bound_after):
    if bound_before and bound_after:
        bound_after = ""  # one bound per value, as the reports write them
    text_num, value = number_text(num)
    text = f"{change}{bound_before}{text_num}{scale}{unit}{bound_after}"
    got = parse_value(text)
    assert got["number"] == pytest.approx(value * SCALES[scale], rel=1e-12)
    assert got["unit"] == WRITTEN_UNITS[unit], text
    assert got["change"] == CHANGES[change]
    assert got["bound"] == (BOUNDS_BEFORE[bound_before] or BOUNDS_AFTER[bound_after])


@settings(max_examples=200, deadline=None)
@given(numbers, st.sampled_from(["%", "个百分点"]), st.sampled_from(sorted(CHANGES)))
def test_percentages(num, unit, change):
    text_num, value = number_text(num)
    got = parse_value(f"{change}{text_num}{unit}")
    assert got["number"] == pytest.approx(value) and got["unit"] == ("%" if unit == "%" else "percentage point")


@settings(max_examples=200, deadline=None)
@given(numbers, numbers, st.sampled_from(["-", "—", "～", "至", "到", "~"]), st.sampled_from(["%", "万元", "亩", "家"]),
       st.booleans())
def test_ranges(a, b, sep, unit, unit_on_both):
    (ta, va), (tb, vb) = number_text(a), number_text(b)
    left = f"{ta}{unit}" if unit_on_both else ta
    got = parse_value(f"{left}{sep}{tb}{unit}")
    mult = 1e4 if unit == "万元" else 1
    assert got["number"] is None
    assert (got["low"], got["high"]) == (pytest.approx(va * mult), pytest.approx(vb * mult))


FULL = {**{str(d): chr(0xFF10 + d) for d in range(10)}, ".": "．", "%": "％", ",": "，"}


@settings(max_examples=300, deadline=None)
@given(numbers, st.sampled_from(sorted(SCALES)), st.sampled_from(sorted(WRITTEN_UNITS) + ["%"]),
       st.sampled_from(sorted(BOUNDS_AFTER)))
def test_full_width_digits_parse_the_same(num, scale, unit, bound):
    text = f"{number_text(num)[0]}{scale if unit != '%' else ''}{unit}{bound}"
    full = "".join(FULL.get(ch, ch) for ch in text)
    half, wide = parse_value(text), parse_value(full)
    assert wide["text"] == full
    assert {k: v for k, v in wide.items() if k != "text"} == {k: v for k, v in half.items() if k != "text"}


def to_chinese(n: int) -> str:
    """The usual way of writing n (< 10^12) in Chinese numerals, zeros included: 一千零五 = 1005."""
    digits = "零一二三四五六七八九"

    def below_10k(x: int) -> str:
        out, zero = "", False
        for unit, div in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
            d = x // div % 10
            if d:
                if zero and out:
                    out += "零"
                out += digits[d] + unit
                zero = False
            else:
                zero = True
        return out

    if n == 0:
        return "零"
    out = ""
    for unit, div in (("亿", 10**8), ("万", 10**4), ("", 1)):
        part = n // div % 10**4 if div < 10**8 else n // div
        if part:
            if out and part < 1000:
                out += "零"
            out += below_10k(part) + unit
    return out


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**12 - 1))
def test_chinese_numerals(n):
    assert cn_number(to_chinese(n)) == n
    assert parse_value(to_chinese(n) + "个")["number"] == n


@given(st.integers(1, 9))
def test_cheng_is_tens_of_percent(n):
    got = parse_value("一二三四五六七八九"[n - 1] + "成")
    assert (got["number"], got["unit"]) == (n * 10, "%")


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_never_raises_on_any_string(text):
    got = parse_value(text)
    assert got["text"] == text
    assert got["number"] is None or isinstance(got["number"], float)


ALPHABET = "0123456789.,-—～至到%％万亿千百十一二两三四五六七八九零成约超近以上下左右内增长下降达到个家亩元/每多余 "


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=14), st.text(alphabet=ALPHABET, max_size=6),
       st.text(alphabet=ALPHABET, max_size=6))
def test_never_raises_on_number_like_strings(text, before, after):
    got = parse_value(text, before=before, after=after)
    assert got["text"] == text
    for k in ("number", "low", "high"):
        assert got[k] is None or isinstance(got[k], float)
    assert got["change"] in (None, "increase", "decrease", "level")
    assert got["bound"] in (None, ">=", "<=", "~")


def test_count_words_keep_their_measure_word():
    for w in COUNT_WORDS:
        assert parse_value(f"12{w}")["unit"] == UNITS[w]


@pytest.mark.parametrize("text, change", [("0提升", "increase"), ("5%的增长", "increase"), ("3个百分点下降", "decrease")])
def test_a_change_word_after_the_number_is_read_not_looked_up_twice(text, change):
    """A trailing change word (增长/提升/下降 after the number) once came back as its reading and
    was then looked up as a word: ``parse_value('0提升')`` raised KeyError (found by hypothesis)."""
    assert parse_value(text)["change"] == change
