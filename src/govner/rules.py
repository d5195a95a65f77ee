"""Rule-based pre-labeller: the guide (../shared/ANNOTATION_GUIDE.md) as regexes.

Two jobs: it pre-annotates sentences so that annotators correct spans instead of
drawing them from nothing (so it must be right more often than not, in both
directions), and it is the baseline the trained model must beat
(``govner evaluate --rules``).  Every rule below cites the guide's wording; when a
rule is unsure it prefers to emit nothing, because a wrong pre-label costs an
annotator more than a missing one.

Public API: :func:`rule_entities` and :data:`RULES_VERSION` (stored as the
Label Studio prediction's ``model_version``).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from govner.schema import Entity, make_entity

#: Bump whenever a rule changes, so pre-labels in Label Studio name the rules that made them.
RULES_VERSION = "rules-0.1.0"

# ---------------------------------------------------------------------------
# Shared character classes
# ---------------------------------------------------------------------------

#: Characters that end a phrase when we walk left from a VALUE or a project suffix.
#: Half- and full-width forms both occur in the seeds (the cleaner may keep either).
_DELIMS = set("，,。.；;：:、！!？?（）()【】[]《》<>“”\"‘’'「」—-|/ \t\n\u3000…·")
_OPEN_QUOTES = set("“‘\"'「《")
_CLOSE_QUOTES = set("”’\"'」》")

#: Punctuation allowed at a span edge: units of a VALUE (`10%`, `3‰`).
_EDGE_OK = set("%％‰")


def _is_edge_bad(ch: str) -> bool:
    """Spans never start or end with whitespace or punctuation (guide, first section)."""
    if ch in _EDGE_OK:
        return False
    return ch.isspace() or unicodedata.category(ch)[0] in "PZ"


# ---------------------------------------------------------------------------
# VALUE
# ---------------------------------------------------------------------------

_CN_DIGITS = "零〇一二两三四五六七八九"
_CN_NUM = f"[一二两三四五六七八九十][{_CN_DIGITS}十百千万亿]*"
#: Arabic numbers, with thousands separators only when exactly three digits follow
#: (the seeds use `,` as a clause comma too: `增长10%,其中…`).
_AR_NUM = r"\d+(?:,\d{3}(?!\d))*(?:\.\d+)?"
_MAGNITUDE = "[万亿千百]*"

#: Units and measure words of the guide, longest first so `万人次` beats `万人`.
_UNITS = sorted(
    """
    个百分点 百分点 % ％ ‰ 家次 微克/立方米 毫克/立方米
    元 美元 欧元 元/人 元/亩
    家 个 项 只 所 座 套 户 场 次 辆 台 张 条 件 名 位 处 栋 幢 间 支 种 部 例 艘 架 篇 本 册 期 批 轮 棵 株 头 根 块 片
    人 人次 亩 平方米 平方公里 公顷 立方米 方 公里 千米 米 延米
    吨 公斤 千克 斤 瓦 兆瓦 千瓦 千瓦时 度 标箱 倍 岁 个工作日 床
    """.split(),
    key=len,
    reverse=True,
)
_UNIT = "(?:" + "|".join(re.escape(u) for u in _UNITS) + ")"

#: A number with its magnitude, `余/多` and unit; ranges like `8%-10%` are one VALUE.
_QUANTITY = re.compile(
    rf"(?P<num>{_AR_NUM}|{_CN_NUM})(?P<mag>{_MAGNITUDE})(?P<approx>[余多]?)(?P<unit>{_UNIT})?"
    rf"(?:[-—–~～至到](?:{_AR_NUM}|{_CN_NUM}){_MAGNITUDE}[余多]?(?P<unit2>{_UNIT})?)?"
    r"|(?P<digits>[两三个]位数)"
)

#: Change words stay inside the VALUE when directly before the number (guide: `增长10%`).
_CHANGE = "(?:年均增长|年均下降|净增加|净增|增长|下降|提高|提升|减少|降低|增加|压降|扩大|缩小)"
#: Approximators and lower/upper bounds before the number stay inside; `达`, `最高` do not.
_APPROX_BEFORE = "(?:不少于|不低于|不超过|不高于|不足|超过|约|近|超|逾)"
_VALUE_PREFIX = re.compile(rf"(?:{_CHANGE})?(?:{_APPROX_BEFORE})?$")
_APPROX_AFTER = re.compile(r"(?:及以上|及以下|以上|以下|左右|以内)")

#: Context that makes a number a name, ordinal, date or streak, not a VALUE.
_NOT_VALUE_BEFORE = re.compile(r"(?:第|连续|届|数|前|No\.?)$")
_NOT_VALUE_AFTER = re.compile(r"(?:全会|会议|党代会|人大|代表大会|周年|连增|连冠|连丰|强|大|号)")
#: Chinese numerals are mostly slogans (`两个维护`, `四个意识`, `八项规定`); a single
#: Chinese digit is a VALUE only right after a verb that counts things.
_COUNT_VERB_BEFORE = re.compile(r"(?:新建|建成|新增|引进|培育|完成|实施|新培育|创建|打造|改造|招引)$")


def _number_ok(text: str, m: re.Match[str]) -> bool:
    """Decide whether a quantity match is a VALUE in the guide's sense."""
    if m.group("digits"):
        return True
    num, mag, unit = m.group("num"), m.group("mag"), m.group("unit") or m.group("unit2")
    start, end = m.start(), m.end()
    before, after = text[:start], text[end:]
    # `5G`, `PM2.5`, `3A级景区`, `G60`: digits glued to Latin letters are names.
    if (before and re.match(r"[A-Za-z.\d]", before[-1])) or (after and re.match(r"[A-Za-z]", after[0])):
        return False
    if _NOT_VALUE_BEFORE.search(before) or _NOT_VALUE_AFTER.match(after):
        return False
    # `“15分钟…生活圈”`, `“千项通办”`: a number opening a quoted name is part of it,
    # while `“200亿”大关` (the quote closes right after) is still a quantity.
    if before and before[-1] in _OPEN_QUOTES and not (after and after[0] in _CLOSE_QUOTES):
        return False
    # Bare numbers (years, list markers, codes) need a unit or a magnitude.
    if not unit and not mag and not re.search("[万亿]", num):
        return False
    if re.fullmatch(_CN_NUM, num) and not num[0].isdigit():
        if before and before[-1] in _OPEN_QUOTES:
            return False
        long_or_big = len(num + mag) >= 2 and not re.fullmatch("[一二两三四五六七八九]", num + mag)
        if not long_or_big and not _COUNT_VERB_BEFORE.search(before):
            return False
        if num in ("一",) and not mag:
            return False
    return True


def _coordinated_after(text: str, end: int) -> bool:
    """True when another number follows as a coordinated item (`8.9%和9.5%`)."""
    return re.match(rf"\s*[和、及与,，](?:{_APPROX_BEFORE})?(?:{_AR_NUM}|{_CN_NUM})", text[end:]) is not None


def value_spans(text: str) -> list[tuple[int, int, float]]:
    """VALUE spans as (start, end, score).

    The change word before the number is kept unless it serves several coordinated
    numbers (`分别增长8.9%和9.5%` → `8.9%`, `9.5%`), as the guide decides.
    """
    spans: list[tuple[int, int, float]] = []
    for m in _QUANTITY.finditer(text):
        if not _number_ok(text, m):
            continue
        start, end = m.start(), m.end()
        post = _APPROX_AFTER.match(text, end)
        if post:
            end = post.end()
        pre = _VALUE_PREFIX.search(text[max(0, start - 8):start])
        prefix = pre.group(0) if pre else ""
        change = re.match(_CHANGE, prefix)
        if change and _coordinated_after(text, end):
            prefix = prefix[change.end():]
        if spans and spans[-1][1] > start - len(prefix):
            prefix = ""  # never reach back into the previous VALUE
        start -= len(prefix)
        arabic = bool(m.group("digits")) or (m.group("num") or "")[:1].isdigit()
        spans.append((start, end, 0.9 if arabic else 0.6))
    return spans


# ---------------------------------------------------------------------------
# INDICATOR
# ---------------------------------------------------------------------------

#: Official indicator names; a phrase ending in one is cut back to it, because the
#: guide prefers the shorter official-sounding name (`地方一般公共预算收入` → the lexicon name).
INDICATOR_LEXICON: tuple[str, ...] = tuple(sorted(
    """
    地区生产总值 生产总值 国内生产总值 财政总收入 一般公共预算收入 一般公共预算支出 税收收入
    规上工业增加值 规上工业总产值 规模以上工业增加值 规模以上工业总产值 工业增加值 工业总产值
    固定资产投资 工业投资 制造业投资 民间投资 工业技改投资 社会消费品零售总额 外贸进出口
    进出口总额 出口总额 自营出口 实际使用外资 实际利用外资 实到外资 合同外资
    城镇常住居民人均可支配收入 农村常住居民人均可支配收入 居民人均可支配收入 人均可支配收入
    城镇居民人均可支配收入 农村居民人均可支配收入 城镇新增就业 城镇调查失业率 城镇登记失业率
    居民消费价格 居民消费价格涨幅 PM2.5平均浓度 研发经费投入强度 研发投入强度 R&D经费支出
    单位地区生产总值能耗 粮食产量 粮食种植面积 空气质量优良天数比率 森林覆盖率 常住人口城镇化率
    """.split(),
    key=len,
    reverse=True,
))

#: Leading verbs and scope words the guide puts outside the INDICATOR span.
_LEAD_STRIP = re.compile(
    "^(?:其中|全年|全镇|全县|全市|全区|全省|全社会|全乡|全街道|每年|所有|各|"
    "力争|确保|争取|完成|实现|引进|培育|新培育|新增|新建|建成|建设|创建|实施|开展|举办|招引|"
    "开发|打造|推进|推动|加快|组织|累计|共|签约|新认定|认定|改造|新改建|提升|发放|带动|吸引|"
    "谋划|落实|达成|全力|力促|争创|预计|计划|目标|主要|其|年|我镇|本镇)+"
)
#: The verb between an INDICATOR and its VALUE (guide: `达到`, `突破`, `控制在` …) and
#: comparison fillers (`同比`, `比上年`) are outside both spans.
_TAIL_STRIP = re.compile(
    "(?:达到|达|突破|完成|实现|控制在|稳定在|保持在|维持在|提高到|提高至|提升到|提升至|"
    "下降到|下降至|降至|降到|增至|增加到|增加至|升至|超过|超|为|是|在|有|共|共计|累计|总计|合计|"
    r"分别|均|同比|(?:较|比)(?:上年同期|上年|去年|同期|前三年平均数?|前[一二三四五]年|\d{4}年)|年均|最高|最低|力争|以上|"
    "的|了|将|要|逐步|持续|稳步|不断|全部|总数|总量达|总量)+$"
)
#: `新增` is kept where it is inside the official name (`城镇新增就业`).
_KEEP_AS_IS = ("城镇新增就业",)
#: Verbs that can sit anywhere in a long clause before the name (`全速推进投资`).
_INNER_VERB = re.compile(
    "推进|推动|加快|实施|完成|实现|引进|培育|新增|新建|建成|建设|开工|创建|开展|举办|招引|开发|打造|"
    "力争|确保|争取|关注|兑现|腾出|消化|发放|带动|吸引|谋划|落实|改造|组织|提供|安排|争创|抓好|做好|"
    "办好|完善|深化|累计|各类|供应|回购|回租|除险加固|整治|迭代"
)
_MAX_INDICATOR = 14

#: `3家企业入选省级专精特新企业`: the category the counted things join is the INDICATOR.
_JOIN_CATEGORY = re.compile(r"[\u4e00-\u9fff]{0,6}?(?:入选|获评|获批|被评为|被认定为|认定为|列入|成为)")


def _phrase_before(text: str, end: int, floor: int) -> tuple[int, int] | None:
    """The noun phrase ending at ``end``: walk left to a delimiter, then strip verbs."""
    start = end
    while start > floor and text[start - 1] not in _DELIMS:
        start -= 1
    # `招引科技人才项目(创新创业团队)15个`: skip a bracketed gloss before the value.
    if start == end and end > floor and text[end - 1] in ")）":
        open_at = max(text.rfind("(", floor, end), text.rfind("（", floor, end))
        if open_at > floor:
            return _phrase_before(text, open_at, floor)
    return _strip_phrase(text, start, end)


def _strip_phrase(text: str, start: int, end: int, keep_start: bool = False) -> tuple[int, int] | None:
    """Strip scope words in front, linking verbs behind, and prefer a lexicon name."""
    if keep_start:
        tail = _TAIL_STRIP.search(text, start, end)
        end = tail.start() if tail and tail.start() > start else end
        return (start, end) if end - start >= 2 else None
    for _ in range(3):
        phrase = text[start:end]
        tail = _TAIL_STRIP.search(phrase)
        if tail and tail.start() > 0:
            end = start + tail.start()
        phrase = text[start:end]
        if not phrase.startswith(_KEEP_AS_IS):
            lead = _LEAD_STRIP.match(phrase)
            if lead and lead.end() < len(phrase):
                start += lead.end()
    phrase = text[start:end]
    for name in INDICATOR_LEXICON:
        if phrase.endswith(name):
            return end - len(name), end
    if "等" in phrase or (_LEAD_STRIP.fullmatch(phrase) and not phrase.startswith(_KEEP_AS_IS)):
        return None  # `天行健水务等5个…`: a list of names, not a quantity's name
    if not phrase.startswith(_KEEP_AS_IS):
        ends = [m.end() for m in _INNER_VERB.finditer(phrase)]
        if ends and ends[-1] == len(phrase):
            return None  # `重点关注249亩…`: the phrase is a verb, the counted thing follows
        verbs = [e for e in ends if len(phrase) - e >= 2]
        if verbs:  # `全速推进投资` → `投资`: the name starts after the last verb
            start += verbs[-1]
            scope = _LEAD_STRIP.match(text, start, end)
            if scope and scope.end() < end:
                start = scope.end()
            phrase = text[start:end]
    if not 2 <= len(phrase) <= _MAX_INDICATOR or not re.search(r"[\u4e00-\u9fffA-Za-z]", phrase):
        return None
    if re.search(r"\d", phrase[:1]) and not re.match(rf"{_AR_NUM}{_MAGNITUDE}{_UNIT}?(?:以上|以下)", phrase):
        return None
    return start, end


def indicator_spans(
    text: str, values: list[tuple[int, int, float]]
) -> tuple[list[tuple[int, int, float]], list[tuple[int, int, float]]]:
    """INDICATOR spans for the given VALUEs; returns (indicators, values kept).

    Only sentences with a VALUE get INDICATORs (guide).  A VALUE that is a threshold
    inside a name (`引进1亿元以上项目2只`) is absorbed into the INDICATOR and dropped.
    """
    indicators: list[tuple[int, int, float]] = []
    owner: dict[int, int] = {}  # value index → index of its indicator
    absorbed: set[int] = set()
    for i, (vstart, vend, _score) in enumerate(values):
        floor = values[i - 1][1] if i else 0
        if i and _inside_name(text, values[i - 1], vstart):
            # `引进1亿元以上项目2只`, `新增产值10亿元企业2家`, `新增0-3岁婴幼儿托位200个`:
            # the earlier VALUE is a threshold inside this VALUE's INDICATOR.
            pstart = values[i - 1][0]
            if i - 1 in owner and values[i - 1][0] - indicators[owner[i - 1]][1] <= 2:
                k = owner.pop(i - 1)
                pstart = indicators[k][0]
                indicators[k] = (-1, -1, 0.0)
            absorbed.add(i - 1)
            found = _strip_phrase(text, pstart, vstart, keep_start=True)
            if found:
                owner[i] = len(indicators)
                indicators.append((*found, 0.6))
            continue
        found = _phrase_before(text, vstart, floor)
        if found is None and (i + 1 == len(values) or values[i + 1][0] > vend):
            limit = values[i + 1][0] if i + 1 < len(values) else len(text)
            found = _category_after(text, vend, limit) or _counted_after(text, vend, limit)
        if found:
            in_lexicon = text[found[0]:found[1]] in INDICATOR_LEXICON
            owner[i] = len(indicators)
            indicators.append((found[0], found[1], 0.8 if in_lexicon else 0.6))
    kept = [v for i, v in enumerate(values) if i not in absorbed]
    return [x for x in indicators if x[0] >= 0], kept


def _inside_name(text: str, prev: tuple[int, int, float], vstart: int) -> bool:
    """True when ``prev`` VALUE and the next VALUE are joined by a bare noun (`1亿元以上项目`)."""
    gap = text[prev[1]:vstart]
    tail = _TAIL_STRIP.search(gap)
    gap = gap[:tail.start()] if tail else gap
    if not gap or len(gap) > 8 or any(c in _DELIMS for c in gap):
        return False
    if re.match(_CHANGE, text[prev[0]:prev[1]]) or _INNER_VERB.search(gap) or re.search("[的达为在]", gap):
        return False
    return re.match(r"[\u4e00-\u9fffA-Za-z]", gap) is not None


#: `着力抓好40项重点工作`: a measure word directly followed by the counted noun phrase.
_COUNTED_STOP = re.compile(
    "建设|竣工|投产|落地|开工|建成|完成|以上|改造|提升|整治|创建|落户|签约|入驻|通过|达到|实现|"
    "的|和|与|及|被|获|为|是|在|有"
)
_MEASURE_END = re.compile("[个家项所座条只名套户]$")


def _counted_after(text: str, vend: int, limit: int) -> tuple[int, int] | None:
    """The counted thing after a VALUE ending in a measure word, up to a verb or delimiter."""
    if not _MEASURE_END.search(text[:vend]):
        return None
    end = vend
    while end < limit and text[end] not in _DELIMS:
        end += 1
    stop = _COUNTED_STOP.search(text, vend, end)
    end = stop.start() if stop else end
    phrase = text[vend:end]
    if not 2 <= len(phrase) <= 10 or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9.]+", phrase):
        return None
    return vend, end


def _category_after(text: str, vend: int, limit: int) -> tuple[int, int] | None:
    """`3家企业入选省级专精特新企业` → the category after the joining verb."""
    m = _JOIN_CATEGORY.match(text, vend)
    if not m:
        return None
    end = m.end()
    while end < limit and text[end] not in _DELIMS:
        end += 1
    return _strip_phrase(text, m.end(), end) if end > m.end() else None


# ---------------------------------------------------------------------------
# LEAD_OFFICE
# ---------------------------------------------------------------------------

#: `（工业商贸办、农业农村办牵头负责）`, `（发展改革委、财政部等按职责分工负责）`.
_NOTE_RESPONSIBLE = re.compile(r"[（(](?P<body>[^（）()]{2,200}?)(?:按职责分工)?(?:牵头)?负责[）)]")
#: `牵头单位：县发改局` / `责任单位：市财政局、市税务局`, up to the next key or clause end.
_KEYED = re.compile(
    r"(?P<key>牵头单位|责任单位|牵头部门|责任部门)\s*[：:]\s*"
    r"(?P<body>[^；;。）)\n：:]+?)(?=[，,]?\s*(?:配合单位|协办单位|参与单位|责任单位|配合部门|$)|[；;。）)\n])"
)
#: `由县教育局负责`: the unit must look like one (suffix check), `由企业负责` is not.
_BY_UNIT = re.compile(r"由(?P<body>[^，,。；;：:、（）()]{2,24}?)(?:牵头)?负责")
_UNIT_SUFFIX = re.compile(
    "(?:局|委|办|部|厅|府|院|署|中心|办公室|委员会|组委|银行|工委|联|总社|中央|会|行|所|站|队|处|科|室|管委会|街道|政府|公司|集团)$"
)
_LIST_SPLIT = re.compile(r"[、，,/]|会同|及|以及|配合")
_AND_SPLIT = re.compile("和|与")
_SCOPE_PREFIX = re.compile("^(?:各有关|各相关|有关|相关|各级|各)")
_VAGUE = re.compile("^(?:部门|单位|部门和单位|地方|方面|其他|其它|成员单位|.{0,2}有关.*)$|有关部门|相关部门")


def _split_units(body: str, offset: int) -> list[tuple[int, int]]:
    """Split a list of units into item spans, dropping vague and `等…` tails."""
    items: list[tuple[int, int]] = []
    pos = 0
    for piece in _LIST_SPLIT.split(body) + [""]:
        at = body.find(piece, pos) if piece else -1
        if not piece:
            continue
        pos = at + len(piece)
        # `X等有关部门` / `X等和各省级人民政府`: 等 ends the named item.
        parts = piece.split("等")
        cursor = at
        for k, part in enumerate(parts):
            if k and not part:
                cursor += 1
                continue
            for sub_start, sub_end in _split_and(part):
                items.append((offset + cursor + sub_start, offset + cursor + sub_end))
            cursor += len(part) + 1
    return items


def _split_and(part: str) -> list[tuple[int, int]]:
    """Split at 和/与 only between two unit names (`工业和信息化部` stays whole)."""
    cuts = [0]
    for m in _AND_SPLIT.finditer(part):
        left = part[cuts[-1]:m.start()]
        if _UNIT_SUFFIX.search(left) or _VAGUE.match(_SCOPE_PREFIX.sub("", left) or "部门"):
            cuts.append(m.end())
    bounds = []
    for k, c in enumerate(cuts):
        end = len(part) if k + 1 == len(cuts) else cuts[k + 1] - 1
        bounds.append((c, end))
    return bounds


def _clean_unit(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Strip scope words (`各`, `有关`) and punctuation; drop vague items."""
    while start < end and (_is_edge_bad(text[start]) or text[start] in "和及与"):
        start += 1
    while end > start and _is_edge_bad(text[end - 1]):
        end -= 1
    scope = _SCOPE_PREFIX.match(text, start, end)
    if scope:
        start = scope.end()
    phrase = text[start:end]
    if len(phrase) < 2 or _VAGUE.search(phrase) or "按职责" in phrase:
        return None
    return start, end


def lead_office_spans(text: str) -> list[tuple[int, int, float]]:
    """LEAD_OFFICE spans: listed units in responsibility notes and keyed fields."""
    found: list[tuple[int, int, float]] = []
    has_lead_key = re.search("牵头单位|牵头部门", text) is not None
    for m in _KEYED.finditer(text):
        if m.group("key").startswith("责任") and has_lead_key:
            continue  # guide: with a 牵头 unit named, 责任/配合 units are not LEAD_OFFICE
        for s, e in _split_units(m.group("body"), m.start("body")):
            cleaned = _clean_unit(text, s, e)
            if cleaned:
                found.append((*cleaned, 0.9))
    for m in _NOTE_RESPONSIBLE.finditer(text):
        body, offset = m.group("body"), m.start("body")
        if "：" in body or ":" in body:
            continue  # keyed notes are handled above
        if "由" in body:  # `（技工院校内由人力资源社会保障行政部门负责）`
            cut = body.rindex("由") + 1
            body, offset = body[cut:], offset + cut
        for s, e in _split_units(body, offset):
            cleaned = _clean_unit(text, s, e)
            if cleaned:
                found.append((*cleaned, 0.85))
    for m in _BY_UNIT.finditer(text):
        s, e = m.start("body"), m.end("body")
        cleaned = _clean_unit(text, s, e)
        if cleaned and _UNIT_SUFFIX.search(text[cleaned[0]:cleaned[1]]):
            found.append((*cleaned, 0.7))
    return found


# ---------------------------------------------------------------------------
# PROJECT
# ---------------------------------------------------------------------------

#: Heads that name a specific work or facility (guide: `…连接线`, `…大桥`, `…异地新建工程`).
_PROJECT_HEAD = re.compile(
    "(?:项目|工程|大桥|桥梁|连接线|高铁|高速公路|公路|隧道|幼儿园|中心小学|小学|中学|学校|医院|"
    "[^\u4e00-\u9fff]?站|污水处理厂|水厂|综合体|产业园|公园|大道)"
)
#: The guide's PROJECT needs a building context: it is to be built, started, completed, advanced.
_BUILD_CONTEXT = re.compile("建设|推进|开工|完成|建成|竣工|启动|投用|实施|加快|新建|续建|落地|攻坚|动工|改造|扩建")
#: Generic classes, campaigns, programmes, designations: never PROJECTs.
_GENERIC_PROJECT = re.compile(
    "^(?:重大|重点|产业|民生|实事|基础设施|工业|招商|市政|水利|交通|在建|新建|续建|技改|科技|"
    "人才|民心|政府投资|省市|县级|市级|省级|一批|各类|相关|建设|投资|亿元|万元|以上|等|[\u4e00-\u9fff]{1,3}性)*"
    "(?:项目|工程|学校|站|综合体|产业园|公园)$"
)
_NOT_PROJECT = re.compile(r"扭住|抓好|抓实|加强|统筹|行动|机制|制度|计划|人才工程|示范区|试点县|创建|\d+个|[一二两三四五六七八九十]个|一批|等")
_PROJECT_LEFT_STOP = re.compile(
    "(?:的|推进|建设|实施|加快|完成|启动|开工|建成|推动|谋划|做好|抓好|开展|全力|力争|确保|"
    "投资|总投资|对|把|将|向|从|谋划|完善|争取|打造|落实|深化|改造|扩建|实现|包括|其中|以及|和|及|与)$"
)


_HEAD_FOLLOW = re.compile(
    "(?:建设|及|和|、|等|开工|建成|竣工|完工|投用|落地|顺利|全面|加快|主体|招引|前期|年底|一期|二期)"
)
_NAME_LEAD = re.compile("^(?:新建|续建|改建|扩建|启动|实施|推进|加快)+")


def _project_ok(name: str) -> bool:
    """A specific name: not a generic class, campaign or programme, no counts or amounts."""
    return (
        2 <= len(name) <= 22
        and not _GENERIC_PROJECT.match(name)
        and not _NOT_PROJECT.search(name)
        and not re.search(r"\d", name)  # `1亿元以上项目` is an INDICATOR, `5个…项目` a class
    )


def project_spans(text: str) -> list[tuple[int, int, float]]:
    """Conservative PROJECT spans: a named work ending in a project head, in a build context.

    Coordinated names sharing one list (`未来社区中心、城市客厅、酒店综合体项目`) are
    separate spans; `新章镇大桥及连接线项目` is one name.
    """
    if not _BUILD_CONTEXT.search(text):
        return []
    found: list[tuple[int, int, float]] = []
    for m in _PROJECT_HEAD.finditer(text):
        end = m.end()
        joined = re.match(r"及[\u4e00-\u9fff]{1,8}?(?:项目|工程)", text[end:])
        if joined:
            end += joined.end()
        if end < len(text) and re.match(r"[\u4e00-\u9fff]", text[end]) and not _HEAD_FOLLOW.match(text, end):
            continue  # the head is inside a longer word (`项目化`, `工程师`, `站点`)
        if found and found[-1][1] >= end:
            continue
        start = m.start()
        while start > 0 and text[start - 1] not in _DELIMS and not _PROJECT_LEFT_STOP.search(text[:start]):
            start -= 1
        if start > 0 and text[start - 1] in _OPEN_QUOTES:
            continue  # quoted names are slogans and campaigns (`“双一号工程”`)
        lead = _NAME_LEAD.match(text, start, end)
        start = lead.end() if lead else start
        if len(text[start:end]) < 5 or not _project_ok(text[start:end]):
            continue
        items = [(start, end, 0.5)]
        # Walk back over a `、` list: each earlier item is a project of the same kind.
        while start > 0 and text[start - 1] == "、":
            prev_end = start - 1
            prev = prev_end
            while prev > 0 and text[prev - 1] not in _DELIMS and not _PROJECT_LEFT_STOP.search(text[:prev]):
                prev -= 1
            if prev == prev_end or not _project_ok(text[prev:prev_end]) or prev_end - prev > 12:
                break
            items.insert(0, (prev, prev_end, 0.4))
            start = prev
        found.extend(items)
    return found


# ---------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------

_PRIORITY = {"LEAD_OFFICE": 0, "VALUE": 1, "INDICATOR": 2, "PROJECT": 3}


@dataclass(frozen=True)
class _Cand:
    start: int
    end: int
    label: str
    score: float


def _trim(text: str, c: _Cand) -> _Cand | None:
    """Enforce the guide's edge rule on every span, whatever rule produced it."""
    start, end = c.start, c.end
    while start < end and _is_edge_bad(text[start]):
        start += 1
    while end > start and _is_edge_bad(text[end - 1]):
        if text[end - 1] in ")）" and ("(" in text[start:end] or "（" in text[start:end]):
            break  # a closing bracket that belongs to a name (`规(限)上企业`)
        end -= 1
    return _Cand(start, end, c.label, c.score) if end > start else None


def rule_entities(text: str) -> list[Entity]:
    """Entities the rules find in one sentence: flat, sorted, non-overlapping.

    Overlaps are settled by label priority (a LEAD_OFFICE note beats a number in
    it, a VALUE beats the phrase around it), then by position.
    """
    values = value_spans(text)
    indicators, values = indicator_spans(text, values)
    cands = [_Cand(s, e, "VALUE", p) for s, e, p in values]
    cands += [_Cand(s, e, "INDICATOR", p) for s, e, p in indicators]
    cands += [_Cand(s, e, "LEAD_OFFICE", p) for s, e, p in lead_office_spans(text)]
    cands += [_Cand(s, e, "PROJECT", p) for s, e, p in project_spans(text)]
    trimmed = [t for c in cands if (t := _trim(text, c)) is not None]
    trimmed.sort(key=lambda c: (_PRIORITY[c.label], c.start, -(c.end - c.start)))
    taken: list[_Cand] = []
    for c in trimmed:
        if all(c.end <= t.start or c.start >= t.end for t in taken):
            taken.append(c)
    taken.sort(key=lambda c: c.start)
    return [make_entity(text, c.start, c.end, c.label, c.score) for c in taken]
