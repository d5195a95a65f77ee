"""One VALUE span -> a number an analyst can sort: ``parse_value("1.2万亿元")`` is 1.2e12 yuan.

Why a hand-written parser: the spans mix Arabic and Chinese numerals (``一百二十``, ``三成``),
full-width forms (``５．２％``), scale words that multiply (``万``, ``亿``, ``万亿``, ``千万``) and
units that *begin* with a scale character (``千瓦``, ``千米``, ``个百分点``), plus change words
(``增长``/``下降``/``达到``) and bounds (``以上``/``不超过``/``左右``) on either side. The parser
never raises: what it cannot read keeps its ``text`` with ``number: None``.

Rules, decided here and documented in docs/extract.md:

* ``number`` is the quantity with the scale applied (``3万平方米`` -> 30000, unit ``m²``);
  ranges (``10-15%``, ``5%—5.5%``, ``10%至15%``) and alternatives (``二十年或五十年一遇``) give
  ``low``/``high`` and ``number: None``.
* ``unit`` is canonical where :data:`UNITS` knows the unit (``亩`` -> ``mu``), the measure word
  itself for counts (``家``, ``个``, ``项``), and the unit as written otherwise; ``unit_text``
  is always the unit as written (scale word included, e.g. ``万亩``).
* Shares are percentages: ``N成`` is N×10 %, ``一半`` 50 %, ``三分之一``/``1/3`` 33.33 %
  (``千分之三`` is 3 ‰); ``翻一番`` is a rise of 100 %, ``翻两番`` (×4) of 300 %. An order of
  magnitude (``两位数``, ``千亿级``) and a ratio of parts (``8.3∶41.4∶50.3``) have no number.
* ``change`` says how to read the number: ``increase``/``decrease`` — the size of a rise or a
  fall (``增长10%``, ``下降20%``); ``level`` — the value reached (``达到``, ``稳定在``, ``控制在``,
  ``提高到``, ``降至``, ``完成``…); None when nothing says so. ``before`` and ``after`` are the
  value's clause on either side of it (entities included; :func:`govner.extract.link.measures`
  passes them). Words inside the span win; then the words just before it (the indicator's own
  tail counts: ``居民消费价格涨幅2%左右``); then the transitive verb that governs
  "indicator + value" from the front of the clause (``完成投资15亿元`` -> level, ``压减…支出
  18.2亿元`` -> decrease, shared along a ``、`` list); then a change word just after it
  (``两位数增长``). The start of ``从X增长到Y``, 为 meaning "for" (``为380个老旧小区…``), 提升
  meaning upgrade (``改造提升``, ``风貌提升26.4万户``), 新增/新建 outside the span and a
  comparison (``高于全国0.4个百分点``) give None.
* ``bound`` is ``>=`` (以上, 不低于, 不少于, 超过, 超, 逾, …多/…余), ``<=`` (以下, 不超过,
  以内, 低于, 不到) or ``~`` (约, 近, 左右, 上下); Chinese usage does not separate ``>`` from
  ``>=``, so neither does the parser.
"""
from __future__ import annotations

import re
from typing import TypedDict

# --- characters -------------------------------------------------------------------------

_FOLD = str.maketrans({
    **{chr(0xFF10 + i): str(i) for i in range(10)},
    "．": ".", "％": "%", "，": ",", "－": "-", "～": "~", "／": "/", "﹪": "%", "‰": "‰",
    "\u3000": " ", "\u00a0": " ",
})

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_SCALE_CHARS = "十百千万亿"
_CN_NUMERAL = re.compile(f"[{''.join(_CN_DIGITS)}{_SCALE_CHARS}]+")
_ARABIC = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+")
_RANGE_SEP = re.compile(r"\s*(?:-|—+|–|~|至|到|〜|或)\s*")  # A或B (二十年或五十年一遇) reads as a range

# --- units ----------------------------------------------------------------------------------

#: Unit as written -> canonical unit. Counts keep their measure word (see COUNT_WORDS).
UNITS: dict[str, str] = {
    # money
    "元": "yuan", "美元": "USD", "欧元": "EUR", "港元": "HKD", "港币": "HKD", "日元": "JPY",
    # shares
    "%": "%", "‰": "‰", "个百分点": "percentage point", "百分点": "percentage point",
    "成": "%",  # N成 = N×10 %
    "倍": "times",
    # area, length, volume
    "亩": "mu", "公顷": "ha", "平方米": "m²", "平米": "m²", "㎡": "m²", "m²": "m²",
    "平方公里": "km²", "平方千米": "km²", "km²": "km²", "立方米": "m³", "m³": "m³",
    "公里": "km", "千米": "km", "km": "km", "米": "m", "延米": "m", "厘米": "cm",
    # mass, energy, power
    "吨": "t", "千克": "kg", "公斤": "kg", "kg": "kg", "克": "g", "毫克": "mg", "微克": "µg",
    "斤": "jin", "吨标准煤": "tce", "吨标煤": "tce", "标准煤": "tce",
    "千瓦时": "kWh", "度": "kWh", "瓦": "W", "千瓦": "kW", "兆瓦": "MW", "吉瓦": "GW",
    "千伏": "kV", "千伏安": "kVA", "标箱": "TEU", "微克每立方米": "µg/m³",
    # people and households
    "人": "persons", "名": "persons", "人次": "person-times", "户": "households",
    # time
    "年": "years", "个月": "months", "月": "months", "天": "days", "日": "days",
    "小时": "hours", "分钟": "minutes", "岁": "years of age",
}

#: Measure words of counts: the canonical unit is the word itself (``450家`` -> unit ``家``).
COUNT_WORDS: tuple[str, ...] = tuple(
    "个 家 项 座 所 只 台 套 张 条 处 场 次 辆 艘 株 棵 批 支 间 栋 幢 件 起 宗 例 篇 部 本 种 "
    "类 列 架 对 片 根 口 眼 道 款 门 期 轮 届 位 头 匹 盏 杆 场次 批次 辆次 架次 艘次 户次 件次 针次".split())
for _w in COUNT_WORDS:
    UNITS.setdefault(_w, _w)

#: Denominators of composite units (``元/月``, ``万吨/日``, ``微克/立方米``).
_PER = {"人": "person", "月": "month", "年": "year", "日": "day", "天": "day", "小时": "hour",
        "户": "household", "亩": "mu", "平方米": "m²", "立方米": "m³", "千克": "kg", "公斤": "kg",
        "吨": "t", "公里": "km", "千瓦时": "kWh", "度": "kWh", "万元": "10k yuan", "元": "yuan",
        "床": "bed", "百人": "100 persons", "千人": "1000 persons", "万人": "10k persons"}

_UNIT_KEYS = sorted(UNITS, key=len, reverse=True)


def unit_table_markdown() -> str:
    """The unit table for docs/extract.md, generated so the docs cannot drift from the code."""
    groups: dict[str, list[str]] = {}
    for written, canon in UNITS.items():
        if written in COUNT_WORDS and canon == written:
            continue
        groups.setdefault(canon, []).append(written)
    rows = ["| canonical unit | written as |", "|---|---|"]
    rows += [f"| `{c}` | {' '.join(f'`{w}`' for w in ws)} |" for c, ws in groups.items()]
    rows.append(f"| the measure word itself | {' '.join(f'`{w}`' for w in COUNT_WORDS)} |")
    return "\n".join(rows)


# --- change and bound words -----------------------------------------------------------------

_INC, _DEC, _LEVEL = "increase", "decrease", "level"

#: Words before a number (inside the span or just before it) and what they say.
_CHANGE_WORDS: dict[str, str] = {}
for _w in ("增长", "增加", "提高", "提升", "上升", "上涨", "增幅", "增速", "涨幅", "净增", "年均增长",
           "平均增长", "扩大", "增收", "涨价", "增", "涨", "多"):
    _CHANGE_WORDS[_w] = _INC
for _w in ("下降", "降低", "减少", "压降", "压减", "缩减", "削减", "下滑", "回落", "缩小", "降幅",
           "年均下降", "压缩", "减收", "缩短", "精简", "减量", "降价", "减免", "减负", "减轻", "减", "降"):
    _CHANGE_WORDS[_w] = _DEC
#: Threshold verbs (迈上…台阶, 跨越…大关) read like 突破: the value reached.
_THRESHOLD = ("迈上", "跨上", "跨越", "跨入", "迈入", "站上", "登上")
for _w in ("达到", "达", "突破", "稳定在", "控制在", "保持在", "维持在", "稳定", "保持", "完成", "实现",
           "为", "是", "在", *_THRESHOLD):
    _CHANGE_WORDS[_w] = _LEVEL
#: ``X到``/``X至`` with a change verb is the level reached (``增长到``, ``提升至``, ``拓展至``); just
#: before a value any ``X到``/``X至`` verb counts (:data:`_TO_VERB`).
for _w in ("增长", "增加", "提高", "提升", "上升", "扩大", "下降", "降低", "减少", "压降", "压减", "缩减",
           "压缩", "缩小", "缩短", "拓展", "扩展", "延伸", "延长", "调整", "增", "升", "降", "减"):
    for _to in ("到", "至"):
        _CHANGE_WORDS[_w + _to] = _LEVEL
_CHANGE_KEYS = sorted(_CHANGE_WORDS, key=len, reverse=True)
#: A verb followed by 到/至 right before a value (``拓展至22个``); not 从/截至/直至/乃至….
_TO_VERB = re.compile(r"([\u4e00-\u9fff])[到至]$")
_NOT_TO_VERB = set("从由乃以甚直截年月日底末等做得受感想说看听遇涉")

#: Upgrade words: 提升 here means improving something, not a rise by the number (新建提升310公里).
_UPGRADE = ("改造提升", "提升改造", "完善提升", "新建提升", "优化提升", "整治提升", "建设提升", "扩容提升",
            "提质改造", "提档升级", "改造升级")
_UPGRADE_KEYS = sorted(_UPGRADE, key=len, reverse=True)

_BOUND_BEFORE: dict[str, str] = {
    "约": "~", "大约": "~", "近": "~", "接近": "~", "将近": "~",
    "超": ">=", "超过": ">=", "逾": ">=", "不少于": ">=", "不低于": ">=", "多于": ">=", "高于": ">=",
    "大于": ">=", "至少": ">=", "≥": ">=", ">=": ">=", ">": ">=",
    "不超过": "<=", "不高于": "<=", "不多于": "<=", "低于": "<=", "少于": "<=", "小于": "<=",
    "不到": "<=", "不足": "<=", "最多": "<=", "≤": "<=", "<=": "<=", "<": "<=",
}
_BOUND_AFTER: dict[str, str] = {
    "以上": ">=", "及以上": ">=", "以上水平": ">=", "有余": ">=", "多": ">=", "余": ">=",
    "以下": "<=", "及以下": "<=", "以内": "<=", "之内": "<=",
    "左右": "~", "上下": "~",
}
_BOUND_BEFORE_KEYS = sorted(_BOUND_BEFORE, key=len, reverse=True)
_BOUND_AFTER_KEYS = sorted(_BOUND_AFTER, key=len, reverse=True)
#: Bound words that are the predicate themselves (总市值超8600亿元): a value with one does not
#: share the verb of an earlier list item.
_PREDICATE_BOUNDS = ("超", "超过", "逾", "近", "接近", "将近", "不足", "不到", "高于", "低于", "多于", "少于",
                     "大于", "小于")
_PREDICATE_KEYS = sorted(_PREDICATE_BOUNDS, key=len, reverse=True)

#: Words that may sit between a change word and the number without changing its meaning.
_FILLER = ("同比", "比上年同期", "比上年", "较上年", "比去年", "较去年", "环比", "分别", "均", "都",
           "累计", "共", "合计", "总计", "年均", "平均", "力争", "确保", "预计", "全年", "最高", "最低",
           "整体", "总体", "了", "再", "将", "可", "已", "共计", "连续", "实际", "新建", "历史性", "继续",
           "计划", "进一步", "双双", "首次")
_FILLER_KEYS = sorted(_FILLER, key=len, reverse=True)
#: Outside the span 新增/新建 name a flow (新增就业, 新增千万吨产能), not a rise: just before a value
#: they end the search for change words there (a verb before them may still govern: 完成新增1个).
_TAIL_FILLER_KEYS = [k for k in _FILLER_KEYS if k != "新建"]
_FLOW = ("新增", "新建")

_CHANGE_AFTER = re.compile(r"^\s*(?:的)?(?:同比|年均)?(增长|提高|提升|上升|增加|下降|减少|降低)(?![率值量额幅速])")

# --- the verb that governs a clause ----------------------------------------------------------

#: Verbs that govern "indicator + value" from the front of a clause (完成投资15亿元, 压减…支出18.2亿元)
#: and what they say; None for verbs that take a value without saying how to read it (建成, 新增,
#: 开展…), which end the search. Only transitive verbs govern from afar: rate nouns (增速, 涨幅),
#: 稳定 and the intransitive 增长/下降… (经济增长贡献超五成) only count right before a value.
_INTRANSITIVE = ("增幅", "增速", "涨幅", "降幅", "稳定", "增长", "年均增长", "平均增长", "上升", "上涨", "净增",
                 "增收", "涨价", "下降", "年均下降", "下滑", "回落", "减收", "降价", "减量")
_GOVERNING: dict[str, str | None] = {
    w: c for w, c in _CHANGE_WORDS.items()
    if len(w) > 1 and w not in _INTRANSITIVE}
#: 突破 and the threshold verbs are levels only right before the value (突破500亿元); further away
#: they mean breaking through something (突破重大技术102项).
for _w in ("突破", *_THRESHOLD):
    _GOVERNING[_w] = None
for _w in ("建成", "新建", "建设", "完工", "竣工", "开工", "新开工", "打造", "培育", "新增", "增设", "改造", "启动",
           "开展", "实施", "推进", "推动", "引进", "引入", "招引", "签约", "举办", "举行", "支持", "帮扶", "创建",
           "认定", "发放", "提供", "发布", "设置", "建立", "带动", "吸纳", "安置", "救助", "惠及", "整治", "改建",
           "扩建", "续建", "新改建", "培训", "开通", "开设", "争创", "入选", "获批", "获评", "评为", "办理", "覆盖",
           "解决", "高于", "低于", "快于", "慢于", "优于", "好于", "领先", "占", *_UPGRADE):
    _GOVERNING[_w] = None
_GOVERNING_KEYS = sorted(_GOVERNING, key=len, reverse=True)
_GOVERNING_RE = re.compile("|".join(map(re.escape, _GOVERNING_KEYS)))
#: A verb directly followed by one of these is part of a noun (增加值, 完成率, 下降幅度).
_NOMINAL = set("值率量额幅速度型性者")
_PHRASE_END = re.compile(r"[、，,；;。：:！!？?]")


class ParsedValue(TypedDict):
    text: str
    number: float | None
    low: float | None
    high: float | None
    unit: str | None
    unit_text: str | None
    change: str | None
    bound: str | None


def fold(text: str) -> str:
    """Full-width digits, ``．``, ``％`` and friends to ASCII (lengths are kept)."""
    return text.translate(_FOLD)


def cn_number(s: str) -> float | None:
    """``一百二十`` -> 120, ``三千五百万`` -> 3.5e7, ``万亿`` -> 1e12, ``二〇二六`` -> 2026."""
    if not s or any(ch not in _CN_DIGITS and ch not in _CN_SMALL and ch not in _CN_BIG for ch in s):
        return None
    total = 0.0
    section = 0.0
    digit: float | None = None
    prev_digit = False
    for ch in s:
        if ch in _CN_DIGITS:
            d = _CN_DIGITS[ch]
            digit = digit * 10 + d if (prev_digit and digit is not None) else d
            prev_digit = True
            continue
        prev_digit = False
        if ch in _CN_SMALL:
            section += (digit if digit is not None else 1) * _CN_SMALL[ch]
        else:  # 万 adds a section of ten-thousands; 亿 multiplies everything before it
            section += digit or 0
            if section == 0 and total == 0:
                section = 1  # a bare `万`/`亿` (`超亿元`) is one of it
            if ch == "万":
                total += section * _CN_BIG[ch]
            else:
                total = (total + section) * _CN_BIG[ch]
            section = 0
        digit = None
    return total + section + (digit or 0)


def _multiplier(scale: str) -> float:
    if not scale:
        return 1.0
    value = cn_number(scale)
    return value if value else 1.0


def _canonical_unit(written: str) -> tuple[str | None, bool]:
    """(canonical unit, whether it was recognised) for a unit as written, scale removed."""
    if not written:
        return None, True
    if written in UNITS:
        return UNITS[written], True
    if "每" in written and "/" not in written:
        written_per = written.replace("每", "/", 1)
        canon, known = _canonical_unit(written_per)
        if known:
            return canon, True
    if "/" in written:
        num, _, den = written.partition("/")
        canon_den = _PER.get(den) or UNITS.get(den)
        if canon_den and not num:
            return f"per {canon_den}", True
        if canon_den and num in UNITS:
            return f"{UNITS[num]}/{canon_den}", True
    return written, False


def _split_scale_unit(rest: str) -> tuple[str, str]:
    """``万千瓦`` -> (``万``, ``千瓦``): choose the split whose unit is the longest known unit."""
    k_max = 0
    while k_max < len(rest) and rest[k_max] in _SCALE_CHARS:
        k_max += 1
    best: tuple[int, int] | None = None  # (unit match length, scale length)
    for k in range(k_max, -1, -1):
        tail = rest[k:].lstrip("多余")
        match = next((len(u) for u in _UNIT_KEYS if tail.startswith(u)), 0)
        if best is None or match > best[0]:
            best = (match, k)
    k = best[1] if best else k_max
    return rest[:k], rest[k:]


class _Quantity(TypedDict):
    number: float | None
    multiplier: float
    scale: str
    unit_text: str
    more: bool  # 多/余 after the number


def _quantity(s: str) -> _Quantity | None:
    """A number (Arabic or Chinese) followed by optional scale words and a unit."""
    s = s.strip()
    m = _ARABIC.match(s)
    if m:
        number = float(m.group(0).replace(",", ""))
        rest = s[m.end():]
    else:
        m = _CN_NUMERAL.match(s)
        if not m:
            return None
        numeral = m.group(0)
        # trailing scale characters may belong to the unit (`五千米` = 5 km): try each split
        best: tuple[int, int] | None = None
        for cut in range(len(numeral), 0, -1):
            if cut < len(numeral) and numeral[cut] not in _SCALE_CHARS:
                break
            tail = (numeral[cut:] + s[m.end():]).lstrip("多余")
            match = next((len(u) for u in _UNIT_KEYS if tail.startswith(u)), 0)
            if best is None or match > best[0]:
                best = (match, cut)
        cut = best[1] if best else len(numeral)
        value = cn_number(numeral[:cut])
        if value is None:
            return None
        number = value
        rest = numeral[cut:] + s[m.end():]
    more = False
    if rest[:1] in ("多", "余"):
        more, rest = True, rest[1:]
    scale, unit = _split_scale_unit(rest)
    if unit[:1] in ("多", "余"):
        more, unit = True, unit[1:]
    return {"number": number, "multiplier": _multiplier(scale), "scale": scale, "unit_text": unit.strip(),
            "more": more}


def _strip_prefixes(s: str) -> tuple[str, str | None, str | None, bool]:
    """(rest, change word, bound, upgrade): the words in front of the number inside the span.

    ``upgrade`` is set by an upgrade word (``改造提升``): the value is no rise.
    """
    word: str | None = None
    bound: str | None = None
    upgrade = False
    while True:
        s = s.lstrip()
        key = _prefix(s, _UPGRADE_KEYS)
        if key:
            upgrade, s = True, s[len(key):]
            continue
        if s.startswith("新增") and len(s) > 2:  # read from the context (_new_reading)
            word, s = word or "新增", s[2:]
            continue
        key = _prefix(s, _FILLER_KEYS)
        if key:
            s = s[len(key):]
            continue
        for key in _CHANGE_KEYS:
            if s.startswith(key) and len(s) > len(key) and not _is_digitish(key[-1]):
                nxt = s[len(key)]
                if key in ("多", "为", "是", "在", "达") and not _is_digitish(nxt) and nxt not in "约近超":
                    continue
                word = word or key
                s = s[len(key):]
                break
        else:
            for key in _BOUND_BEFORE_KEYS:
                if s.startswith(key) and len(s) > len(key):
                    if key == "近" and not _is_digitish(s[1]):
                        continue
                    bound = bound or _BOUND_BEFORE[key]
                    s = s[len(key):]
                    break
            else:
                return s, word, bound, upgrade


def _prefix(s: str, keys: list[str]) -> str | None:
    """The first of ``keys`` (longest first) that ``s`` starts with and that leaves something."""
    return next((k for k in keys if s.startswith(k) and len(s) > len(k)), None)


def _suffix(s: str, keys: list[str]) -> str | None:
    return next((k for k in keys if s.endswith(k)), None)


def _strip_suffixes(s: str) -> tuple[str, str | None, str | None]:
    bound: str | None = None
    change: str | None = None
    while True:
        s = s.rstrip()
        for key in _BOUND_AFTER_KEYS:
            if s.endswith(key) and len(s) > len(key):
                if key in ("多", "余") and not _is_unitish_before(s[:-1]):
                    continue
                bound = bound or _BOUND_AFTER[key]
                s = s[: -len(key)]
                break
        else:
            m = re.search(r"(?:的)?(增长|提高|提升|上升|增加|下降|减少|降低)$", s)
            if m and m.start() > 0:
                change = change or m.group(1)  # the word, read like a word in front of the number
                s = s[: m.start()]
                continue
            return s, change, bound


def _is_digitish(ch: str) -> bool:
    return ch.isdigit() or ch in _CN_DIGITS or ch in _SCALE_CHARS or ch == "."


def _is_unitish_before(s: str) -> bool:
    return bool(s) and (s[-1].isdigit() or s[-1] in _CN_DIGITS or s[-1] in _SCALE_CHARS or s[-1] in "%")


# --- reading the context --------------------------------------------------------------------

#: Units of a rise or fall; 提升 outside the span with any other unit (风貌提升26.4万户, 规范提升
#: …500处) means upgrading so many things, not a rise by the number.
_RISE_UNITS = {"%", "‰", "percentage point", "times", "yuan", "USD", "EUR", "HKD", "JPY", "years of age",
               "years", "months", "days", "hours", "minutes"}


def _is_upgrade(word: str | None, unit: str | None) -> bool:
    return word == "提升" and unit is not None and unit not in _RISE_UNITS and "/" not in unit


def _closes(after: str) -> bool:
    """Whether the value ends its phrase: nothing but bounds, 的 or a change word before ``、``/the clause end.

    ``实现18万人以上`` and ``实现两位数增长`` close; ``实现200多场重要活动零事故`` and ``为380个老旧小区引入…``
    do not (the verb governs another object, the value only counts it).
    """
    phrase = _PHRASE_END.split(after, 1)[0].strip().lstrip(")）】》」”’\"'").strip()
    if phrase in ("和", "及", "与", "以及", "或"):  # the next value of a list follows
        return True
    key = _prefix(phrase + " ", _BOUND_AFTER_KEYS)
    if key:
        phrase = phrase[len(key):].strip()
    # 保持100%的唯一省份: the verb phrase ends at 的, which makes it a modifier
    return not phrase or phrase[0] in "的（(" or bool(_CHANGE_AFTER.match(phrase))


_FROM = re.compile(r"[从由][^从由、，,；;。]{0,12}$")
_TO_AFTER = re.compile(r"^\s*(?:同比|年均)?[\u4e00-\u9fff]{0,3}?[到至]")


def _is_from_value(before: str, after: str) -> bool:
    """The start of ``从/由 X 增长到/提高至 Y``: X is neither a change size nor the value reached."""
    return bool(_FROM.search(before)) and bool(_TO_AFTER.match(after))


class _Tail(TypedDict):
    word: str | None  # the change word just before the value
    bound: str | None
    blocked: bool  # the words there settle that the value is no change
    stop: bool  # no change word here, but a governing verb further back may still say one
    predicate: bool  # a bound word stands for the verb (总市值超8600亿元)


def _tail(before: str, after: str) -> _Tail:
    """What the words just before the value say.

    ``before`` is the clause up to the value, indicator included, so an indicator ending in a
    rate word reads as a change (``居民消费价格涨幅2%左右``). Bounds and fillers are skipped
    (``提高到每月815元``); 为 meaning "for" (``为380个老旧小区…``) and a verb ending a modifier
    (``已完成建设的7个村``) block; 新增/新建 and upgrade words only stop this search.
    """
    s = before.rstrip()
    out = _Tail(word=None, bound=None, blocked=False, stop=False, predicate=False)
    for _ in range(12):
        if not s:
            break
        key = _suffix(s, _BOUND_BEFORE_KEYS)
        if key:
            out["bound"] = out["bound"] or _BOUND_BEFORE[key]
            out["predicate"] = out["predicate"] or key in _PREDICATE_BOUNDS
            s = s[: -len(key)].rstrip()
            continue
        if _suffix(s, _UPGRADE_KEYS) or _suffix(s, list(_FLOW)):
            out["stop"] = True  # a verb before them may still govern (完成新增1个)
            break
        if s.endswith("的") and _suffix(s[:-1].rstrip("了"), _GOVERNING_KEYS):
            out["blocked"] = True  # 已完成建设的7个: the verb is part of a modifier
            break
        key = next((k for k in _CHANGE_KEYS if s.endswith(k) and not (len(k) == 1 and k in "多增涨降减是在")), None)
        if key == "为" and (s[-2:-1] in ("行", "作", "认", "因", "以") or not _closes(after)):
            out["blocked"] = True  # 行为; 为380个老旧小区引入… ("for")
            break
        if key == "实现" and not _closes(after):
            out["blocked"] = True  # 实现200多场重要活动零事故: 实现 governs 零事故
            break
        if key:
            out["word"] = key
            break
        m = _TO_VERB.search(s)
        if m and m.group(1) not in _NOT_TO_VERB:
            out["word"] = "到"  # 拓展至22个: any X到/X至 verb
            break
        key = _suffix(s, _TAIL_FILLER_KEYS)
        if key:
            s = s[: -len(key)].rstrip()
            continue
        if re.search(r"每[\u4e00-\u9fff]$", s):  # 提高到每月815元, 由每生每年5元
            s = s[:-2]
            continue
        break
    return out


def _first_verb(segment: str) -> re.Match | None:
    """The first governing or blocking verb of a clause segment, skipping ones inside nouns (增加值)."""
    pos = 0
    while True:
        m = _GOVERNING_RE.search(segment, pos)
        if m is None or m.end() == len(segment) or segment[m.end()] not in _NOMINAL:
            return m
        pos = m.start() + 1


def _ends_with_value(s: str) -> bool:
    s = s.rstrip()
    key = _suffix(s, _BOUND_AFTER_KEYS)
    if key:
        s = s[: -len(key)]
    if s[-1:].isdigit() or s[-1:] in ("%", "‰"):
        return True
    unit = _suffix(s, _UNIT_KEYS)
    rest = s[: -len(unit)].rstrip("多余") if unit else ""
    return bool(rest) and _is_digitish(rest[-1])


_QUOTED = re.compile(r"“[^“”]*”|「[^「」]*」|《[^《》]*》|\"[^\"]*\"|（[^（）]*）|\([^()]*\)")
_MODIFIER = re.compile(r"了?的")
_MODIFIER_VERB = re.compile(f"(?:{_GOVERNING_RE.pattern})了?的")


def _governing(clause: str, after: str, predicate: bool, unit: str | None) -> str | None:
    """The reading given by the verb that governs the value from the front of its clause.

    ``完成投资15亿元`` -> level, ``压减非重点…支出18.2亿元`` -> decrease: the first verb of the
    ``、``-segment holding the value decides. A segment without a verb continues the one before it
    when the ``、`` joins list items: values (``完成2100万千瓦火电机组、2812万吨钢铁产能``, where the
    verb must govern a value of its own segment), indicator–value pairs (``完成国土绿化693.4万亩、
    防沙治沙228.3万亩``, ``达到9341个、床位10.5万张``; not for a value with its own predicate,
    ``、总市值超8600亿元``) or nouns without numbers (``实现风电、光伏发电量双双超过1000亿度``). Names in quotes and
    brackets are no verbs; nothing crosses 其中. A verb other than 完成 governs the value only when
    the value ends its phrase (:func:`_closes`), and a verb inside a modifier (``应完成的任务量``)
    governs nothing.
    """
    clause = _QUOTED.sub("Q", clause)
    if "其中" in clause:
        clause = clause[clause.rindex("其中") + 2:]
    segments = clause.split("、")
    value_list = False  # the chain passed a segment that is a bare value: its verb must govern one
    for i in range(len(segments) - 1, -1, -1):
        seg = segments[i]
        m = _first_verb(seg)
        if m:
            word = m.group(0)
            reading = _GOVERNING[word]
            rest = seg[m.end():]
            if (reading is None or (word != "完成" and not _closes(after)) or _is_upgrade(word, unit)
                    or _MODIFIER.match(rest) or _MODIFIER_VERB.search(rest)):
                return None  # 攻坚突破…等11个难点问题: the verb governs what the value counts
            if value_list and not any(_is_digitish(ch) for ch in rest):
                return None  # 456个小区完成临时用电治理、60万户居民…: no value shares the verb
            if re.search(r"共|合计|总计", rest) and any(_first_verb(x) for x in segments[:i]):
                return None  # 启动A、完成B共6台: the total spans both verbs
            return reading
        if i == 0:
            return None
        stripped, previous = seg.strip(), segments[i - 1]
        if not stripped or _is_digitish(stripped[0]):
            value_list = True
        elif _ends_with_value(previous):
            if predicate:
                return None
        elif re.search(r"\d", previous):
            return None  # …等20个央陕合作项目落地、总投资1370多亿元: a clause of its own, not a noun list
    return None


def _new_reading(after: str) -> str | None:
    """新增 inside the span: a rise after its indicator (加工量新增300万吨), a flow before its object."""
    return _INC if _closes(after) else None


def _change(word: str | None, unit: str | None) -> str | None:
    """The reading of a change word found next to the value (None for 提升 meaning upgrade)."""
    if word is None or _is_upgrade(word, unit):
        return None
    return _LEVEL if word == "到" else _CHANGE_WORDS[word]


def _read_change(out: ParsedValue, word: str | None, upgrade: bool, before: str, after: str,
                 predicate: bool) -> None:
    """Fill ``change`` (and ``bound`` where the span has none) from the span's words and the clause.

    The span's own word wins, then the words just before it (:func:`_tail`), then the verb that
    governs the clause (:func:`_governing`), then a change word just after it (``实现两位数增长``).
    An upgrade word or 新增/新建 before the value ends the search short of the governing verb;
    为 meaning "for", the start of ``从X到Y`` and a verb ending a modifier end it altogether.
    """
    unit = out["unit"]
    change: str | None = None
    blocked = False
    stop = upgrade
    if word == "新增":
        change = _new_reading(after)
        blocked = change is None
    elif word is not None:  # inside the span 提升 is a rise (排名提升6位, 提升2个等级)
        change = _CHANGE_WORDS[word]
    if (before or after) and change is None and not blocked:
        blocked = _is_from_value(before, after)
        tail = _tail(before, after)
        out["bound"] = out["bound"] or tail["bound"]
        if not (blocked or stop):
            blocked = tail["blocked"]
            change = _change(tail["word"], unit)
            stop = tail["stop"] or (tail["word"] is not None and change is None)
        if change is None and not blocked:
            change = _governing(before, after, predicate or tail["predicate"], unit)
        if change is None and not (blocked or stop or tail["word"]):
            m = _CHANGE_AFTER.match(after)
            if m:
                change = _CHANGE_WORDS[m.group(1)]
    elif before:
        out["bound"] = out["bound"] or _tail(before, after)["bound"]
    out["change"] = change


def _empty(text: str) -> ParsedValue:
    return ParsedValue(text=text, number=None, low=None, high=None, unit=None, unit_text=None, change=None,
                       bound=None)


_RATIO = re.compile(r"\d\s*[∶:：]\s*\d")
_MAGNITUDE = re.compile(r"[一两二三四五六七八九十]位数|[十百千万亿]+元?级")
_NUMERAL = r"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)"
_FRACTION = re.compile(_NUMERAL + "分之" + _NUMERAL)
_SLASH_FRACTION = re.compile(r"(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)")
_DOUBLING = re.compile(r"翻(?:了)?([\d一两二三四五六七八九十]*)番")


def _number_word(s: str) -> float | None:
    return float(s) if re.fullmatch(r"\d+(?:\.\d+)?", s) else cn_number(s)


def parse_value(text: str, before: str = "", after: str = "") -> ParsedValue:
    """Parse one VALUE span. ``before``/``after`` are the text of its clause around it, if known.

    Never raises on a string; anything unreadable gives ``number: None`` and keeps ``text``.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_value() takes a string, got {type(text).__name__}")
    out = _empty(text)
    s = fold(text).strip()
    s, word, bound, upgrade = _strip_prefixes(s)
    s, word_after, bound_after = _strip_suffixes(s)
    out["bound"] = bound or bound_after
    predicate = bool(_prefix(fold(text).strip(), _PREDICATE_KEYS))
    _read_number(s, out)
    if _DOUBLING.fullmatch(s):  # 翻一番 is a rise by definition
        word, upgrade = "增长", False
    _read_change(out, word or word_after, upgrade, fold(before), fold(after), predicate)
    return out


def _read_number(s: str, out: ParsedValue) -> None:
    """Fill number/low/high/unit/unit_text from the span without its change and bound words."""
    if _RATIO.search(s) or _MAGNITUDE.fullmatch(s):  # 8.3∶41.4∶50.3, 两位数, 千亿级: no number
        return
    if s in ("一半", "半数", "过半"):  # 近一半, 超过一半
        out.update(number=50.0, unit="%")
        if s == "过半" and not out["bound"]:
            out["bound"] = ">="
        return
    m = _FRACTION.fullmatch(s) or _SLASH_FRACTION.fullmatch(s)
    if m:  # 三分之一 = 33.33 %, 1/4 = 25 %, 百分之五 = 5 %, 千分之三 = 3 ‰
        if m.re is _FRACTION:
            whole, part = _number_word(m.group(1)), _number_word(m.group(2))
        else:
            part, whole = _number_word(m.group(1)), _number_word(m.group(2))
        if whole and part is not None:
            if whole == 1000 and m.re is _FRACTION:
                out.update(number=_clean(part), unit="‰")
            else:
                out.update(number=_clean(100 * part / whole), unit="%")
        return
    m = _DOUBLING.fullmatch(s)
    if m:  # 翻一番 = +100 %, 翻两番 = ×4 = +300 %
        times = _number_word(m.group(1)) if m.group(1) else 1.0
        if times is not None and times < 20:
            out.update(number=_clean((2 ** times - 1) * 100), unit="%", unit_text="番")
        return
    parts = _split_range(s)
    if parts is not None:
        q1, q2 = _quantity(parts[0]), _quantity(parts[1])
        if q1 and q2 and q1["number"] is not None and q2["number"] is not None:
            m1 = q1["multiplier"] if (q1["scale"] or q1["unit_text"]) else q2["multiplier"]
            unit_text = q2["unit_text"] or q1["unit_text"]
            canon, _ = _canonical_unit(unit_text)
            low, high = q1["number"] * m1, q2["number"] * q2["multiplier"]
            if unit_text == "成":
                low, high = low * 10, high * 10
            out.update(low=_clean(low), high=_clean(high), unit=canon,
                       unit_text=(q2["scale"] + unit_text) or None)
            return
    q = _quantity(s)
    if q is None or q["number"] is None:
        return
    number = q["number"] * q["multiplier"]
    unit_text = q["unit_text"]
    if unit_text == "成":
        number *= 10
    canon, _ = _canonical_unit(unit_text)
    out.update(number=_clean(number), unit=canon, unit_text=(q["scale"] + unit_text) or None)
    if q["more"] and not out["bound"]:
        out["bound"] = ">="


def _clean(x: float) -> float:
    """Round away binary noise from scaling (1.2 × 1e12 = 1200000000000.0002)."""
    return float(f"{x:.15g}")


def _split_range(s: str) -> tuple[str, str] | None:
    for m in _RANGE_SEP.finditer(s):
        left, right = s[: m.start()], s[m.end():]
        if left and right and _is_digitish(right[0]) and (left[-1].isdigit() or left[-1] in _CN_DIGITS
                                                          or left[-1] in "%" or left[-1] in _SCALE_CHARS
                                                          or _ends_with_unit(left)):
            return left, right
    return None


def _ends_with_unit(s: str) -> bool:
    return any(s.endswith(u) for u in _UNIT_KEYS)
