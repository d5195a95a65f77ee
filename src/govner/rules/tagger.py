"""Rule-based pre-labeller: the guide (../shared/ANNOTATION_GUIDE.md) as regexes.

Two jobs: it pre-annotates sentences so that annotators correct spans instead of
drawing them from nothing (so it must be right more often than not, in both
directions), and it is the baseline the trained model must beat
(``govner evaluate --rules``).  Every rule below cites the guide's wording; when a
rule is unsure it prefers to emit nothing, because a wrong pre-label costs an
annotator more than a missing one.

Error analysis against annotations/ used the train split only; dev/test gold labels were
never inspected (their raw text was read while the first version was written).

Public API: :func:`rule_entities` and :data:`RULES_VERSION` (stored as the
Label Studio prediction's ``model_version``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from govner.schema import Entity, make_entity
from govner.rules.validate import bad_edge_char

#: Bump whenever a rule changes, so pre-labels in Label Studio name the rules that made them.
RULES_VERSION = "rules-0.3.0"

# ---------------------------------------------------------------------------
# Shared character classes
# ---------------------------------------------------------------------------

#: Characters that end a phrase when we walk left from a VALUE or a project suffix.
#: Half- and full-width forms both occur in the seeds (the cleaner may keep either).
_DELIMS = set("，,。.；;：:、！!？?（）()【】[]《》<>“”\"‘’'「」—-|/ \t\n\u3000…·")
_OPEN_QUOTES = set("“‘\"'「《")
_CLOSE_QUOTES = set("”’\"'」》")


_ASCII_ALNUM = re.compile("[0-9A-Za-z]")


def _is_delim(text: str, i: int) -> bool:
    """A phrase boundary at ``text[i]``; `.`/`-` inside codes (`PM2.5`, `0-3岁`, `5G-A`) is not one."""
    ch = text[i]
    inside = 0 < i < len(text) - 1 and _ASCII_ALNUM.match(text[i - 1]) and _ASCII_ALNUM.match(text[i + 1])
    if ch in ".-" and inside:
        return False
    return ch in _DELIMS


def _alt(words: str) -> str:
    """Regex alternation of whitespace-separated words, longest first (so `新增` beats `新`)."""
    return "|".join(sorted((re.escape(w) for w in words.split()), key=len, reverse=True))


_is_edge_bad = bad_edge_char  # one edge rule for the pre-labeller and the validator


# ---------------------------------------------------------------------------
# VALUE
# ---------------------------------------------------------------------------

_CN_DIGITS = "零〇一二两三四五六七八九"
#: Chinese numerals; a bare magnitude (`万亿元`, `百万辆`) needs a trigger, see `_number_ok`.
_CN_NUM = f"[一二两三四五六七八九十百千万亿][{_CN_DIGITS}十百千万亿]*"
#: Arabic numbers, with thousands separators only when exactly three digits follow
#: (the seeds use `,` as a clause comma too: `增长10%,其中…`).
_AR_NUM = r"\d+(?:,\d{3}(?!\d))*(?:\.\d+)?"
#: `千` is a magnitude unless it opens a unit (`千瓦时`, `千米`, `千克`, `千伏`).
_MAGNITUDE = "(?:[万亿百]|千(?!瓦|米|克|伏))*"

#: Units and measure words of the guide, longest first so `万人次` beats `万人`.
_UNITS = sorted(
    """
    个百分点 百分点 % ％ ‰ 家次 针次 剂次 场次 批次 小时 吨/日 万吨/日 立方米/日 伏 千伏 微克/立方米 毫克/立方米
    微克每立方米 宗 起 对 列 届 天 P
    元 美元 欧元 元/人 元/亩
    家 个 项 只 所 座 套 户 场 次 辆 台 张 条 件 名 位 处 栋 幢 间 支 种 部 例 艘 架 篇 本 册 期 批 轮 棵 株 头 根 块 片
    人 人次 亩 平方米 平方公里 公顷 立方米 方 公里 千米 米 延米
    km KM kW kWh MW GW ㎡ m²
    吨 公斤 千克 克 斤 瓦 兆瓦 千瓦 千瓦时 度 标箱 倍 岁 个工作日 床
    """.split(),
    key=len,
    reverse=True,
)
#: `人`, `部` open words too (`121人才梯队`, `人均`, `6部门`): then they are no unit.
_UNIT = "(?:" + "|".join(re.escape(u) for u in _UNITS) + ")(?!(?<=人)[才民口类均群工])(?!(?<=部)[门署])"

#: A number with its magnitude, `余/多` and unit; ranges like `8%-10%` are one VALUE.
#: Fixed expressions (`两位数`, `八成以上`, `翻一番`) and ratios (`2.27:1`) are VALUEs whole.
_QUANTITY = re.compile(
    r"(?P<digits>[两三个]位数|[二三四五六七八九]成(?=以上|左右|多)|翻[一两]番"
    r"|\d+(?:\.\d+)?(?:[:∶](?:\d+\.\d+|1(?!\d)))+)"  # ratios, but not times of day (`11:08`)
    rf"|(?P<num>{_AR_NUM}|{_CN_NUM})(?P<mag>{_MAGNITUDE})(?P<approx>[余多]?{_MAGNITUDE})(?P<unit>{_UNIT})?"
    rf"(?:[-—–~～至到](?:{_AR_NUM}|{_CN_NUM}){_MAGNITUDE}[余多]?(?P<unit2>{_UNIT})?)?"
)

#: Change words stay inside the VALUE when directly before the number (guide: `增长10%`);
#: `新增` too, but only there (`铁路运营里程新增1700公里`, not `新增市场主体450家`).
_CHANGE = "(?:年均增长|年均下降|净增加|净增|新增|增收|增长|下降|提高|(?<!改造)(?<!整治)(?<!完善)(?<!改善)(?<!提档)(?<!巩固)提升|减少|降低|增加|压降|扩大|缩小)"
#: Approximators and lower/upper bounds before the number stay inside; `达`, `最高` do not.
_APPROX_BEFORE = (
    "(?:数(?=[十百千万])|不得低于|不得高于|不得超过|不得少于|不少于|不低于|不超过|不高于|不足|超过|将近|接近"
    "|(?<![签合节制公条])约|(?<![最附将])近|(?<!赶)超|逾)"
)
_VALUE_PREFIX = re.compile(rf"(?:{_CHANGE})?(?:{_APPROX_BEFORE})?$")
_APPROX_AFTER = re.compile(r"(?:及以上|及以下|以上|以下|左右|以内)")

#: Context that makes a number a name, ordinal, date or streak, not a VALUE.
_NOT_VALUE_BEFORE = re.compile(r"(?:第|连续|届|前|No\.?)$")
_NOT_VALUE_AFTER = re.compile(
    r"(?:月|全会|会议|党代会|人大|代表大会|周年|连增|连冠|连丰|号|级|内|方面|(?:具体|提升)?(?:措施|举措))"
)
#: A bare number that takes the unit of the coordinated number after it.
_SHARED_UNIT = re.compile(rf"[、和及与](?:{_AR_NUM}){_MAGNITUDE}{_UNIT}")
#: Verbs that make a bare magnitude a quantity (`突破万亿元`, `逾百万`).
_MAGNITUDE_TRIGGER = re.compile("(?:突破|超过|超|过|逾|近|达到|达|迈上|约|跨越|破|保持在)$")
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
    if (before and re.match(r"[.\d]", before[-1])) or (after and re.match(r"[A-Za-z]", after[0])):
        return False
    if before and re.match("[A-Za-z]", before[-1]) and not unit:
        return False
    if _NOT_VALUE_BEFORE.search(before) or _NOT_VALUE_AFTER.match(after):
        return False
    if m.group(0) == "24小时":
        return False  # `24小时…运作`: round the clock, a manner not a quantity
    # `“15分钟…生活圈”`, `“千项通办”`, `市“纾困27条”`, `“1336”`: a number touching a
    # quote mark is part of a quoted name or slogan.
    if (before and before[-1] in _OPEN_QUOTES) or (after and after[0] in _CLOSE_QUOTES):
        return False
    # `60岁以上人群`, `0-3岁婴幼儿`, `110千伏田头站`: a bound glued to a noun is a class.
    bound = _APPROX_AFTER.match(after)
    if unit in ("岁", "伏", "千伏") and re.match(r"[\u4e00-\u9fff]", after[bound.end() if bound else 0:]):
        return False
    # Bare numbers (years, list markers, codes) need a unit or a magnitude, or share the
    # unit of the next number (`分别提高15、22个百分点`).
    if not unit and not mag and not re.search("[万亿]", num + m.group("approx")):
        return _SHARED_UNIT.match(after) is not None
    if num[0] in "百千万亿":  # `突破万亿元`, `超百万`; but `千方百计`, `千家万户`, `万村共富`
        return bool(_MAGNITUDE_TRIGGER.search(before)) or (unit or "").endswith("元")
    if unit == "届" and not num[0].isdigit():
        return False  # `十五届四次全会`
    if re.fullmatch(_CN_NUM, num) and not num[0].isdigit():
        if re.search("[一二两三四五六七八九]{2}", num):
            return False  # `一二三次`: a run of digits is an enumeration, not a number
        long_or_big = len(num + mag) >= 2 or num == "十"
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
        pre = _VALUE_PREFIX.search(text, max(0, start - 8), start)
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
    # Full names only: a bare head like `工业增加值` would wrongly cut `高技术工业增加值`.
    """
    地区生产总值 生产总值 国内生产总值 人均地区生产总值 财政总收入 一般公共预算收入 一般公共预算支出
    规上工业增加值 规上工业总产值 规模以上工业增加值 规模以上工业总产值 规上服务业营业收入
    固定资产投资 工业技改投资 社会消费品零售总额 外贸进出口 货物进出口总额 进出口总额
    实际使用外资 实际利用外资 实到外资 合同外资 数字经济核心产业增加值 高新技术产业增加值
    战略性新兴产业增加值 农林牧渔业总产值 全体居民人均可支配收入 城乡居民人均可支配收入
    城镇常住居民人均可支配收入 农村常住居民人均可支配收入 城镇居民人均可支配收入 农村居民人均可支配收入
    城镇新增就业 城镇调查失业率 城镇登记失业率 居民消费价格 居民消费价格涨幅 PM2.5平均浓度
    研发经费投入强度 研发投入强度 R&D经费支出 单位地区生产总值能耗 单位GDP能耗 粮食产量 粮食总产量
    粮食种植面积 空气质量优良天数比率 森林覆盖率 常住人口城镇化率
    """.split(),
    key=len,
    reverse=True,
))

#: Leading scope words, fillers and action verbs the guide puts outside the INDICATOR span.
_LEAD_STRIP = re.compile(r"(?:\d{4}年度?|\d+年内|新[（(][改续扩]+[)）]建|建设(?!用地|规模|进度|资金)|" + _alt("""
    其中 全年 全镇 全县 全市 全区 全省 全社会 全乡 全街道 全镇域 每年 所有 各类 各项 各级 各 两级
    今年以来 今年 去年 上年 当年 年内 新一轮 镇内 区内 县内 市内 村内 我镇 本镇
    和 及 并 但 而 又如 比如 例如 分别 已 成功 获批 获得 拥有 新入选 入选 主要 计划 预计
    力争 确保 争取 全力 力促 争创 完成 实现 达成 引进 培育 培养 支持 新培育 新增 新建 建成 新改建 改造 提升
    创建 实施 开展 举办 招引 开发 打造 推进 推动 加快 组织 累计 共 签约 更新 加装 新认定 认定 发放
    带动 吸引 谋划 落实 调整 整治 整改 首批 上榜 盘活 清理 办结 办理 转化 拆除 转移 修复 处置 修缮 流转 减轻
    投放 筛查 招募 留用 派发 征集 种植 释放 认领 接种 开通 接待 发布 打赢
""").replace("建成", "建成(?!区)") + "|投入(?=[\u4e00-\u9fff]{2})|目标(?!完成)" + ")+")
#: The verb between an INDICATOR and its VALUE (guide: `达到`, `突破`, `控制在` …) and
#: comparison fillers (`同比`, `比上年`) are outside both spans.
_TAIL_STRIP = re.compile(
    f"(?:{_CHANGE}"
    r"|(?:较|比)(?:上年同期|上年|去年|同期|前三年平均数?|前[一二三四五]年|\d{4}年)|[一二三四五六七八九十]年"
    "|(?:拓展|扩大|扩展|延伸|缩短|压缩|缩减|提升|提高|增加|下降|降低|减少)(?:至|到)|" + _alt("""
    达到 达 突破 完成 实现 控制在 稳定在 保持在 维持在 保持 维持 降至 降到 增至 升至 超过 超 可达 高达 约为
    为 是 在 有 共 共计 累计 总计 合计 分别 均 同比 年均 最高 最低 力争 以上 首次 预计 增收 接连 双双
    的 了 将 要 可 已 到 至 从 由 划分到 迈上 压缩 总数 逐步 持续 稳步 不断 全部 仅仅 仅 只有 每月 每人 每年 每户 原则上 一般
    平均 翻番 翻一番
""") + ")+$")
#: Verbs that can sit anywhere in a long clause before the name (`全速推进投资` → `投资`).
_INNER_VERB = re.compile(_alt("""
    推进 推动 加快 实施 完成 实现 引进 引入 培育 新增 新建 建成 开工 动工 投产 启动 创建 创成 开展 举办
    招引 招录 开发 打造 力争 确保 争取 关注 兑现 腾出 腾退 消化 发放 带动 吸引 谋划 落实 列出 提供 安排
    争创 抓好 做好 办好 完善 深化 累计 各类 供应 回购 回租 除险加固 迭代 排查 摸排 关停 查处 暂扣
    发现 划定 设立 建立 出台 成立 组建 评选 采用 梳理出 梳理 纳入 打通 着力 解决 发动 开启 化解
    进行 惠及 持续 巩固 安置 交付 识别 强化 形成 签约 率先 布局 选拔 资助 遴选 扶持 选派 鼓励 筹集
    评定 产生 造就 引导 逐步将 将 修订 改扩建 走访 上榜 盘活 办结 制定 修改 废止 拆除治理 修缮 减轻 具有
""").replace("建成", "建成(?!区)"))
_MAX_INDICATOR = 16
#: Heads too bare to be a name after cutting a verb off (`投入涉企扶持资金` keeps `扶持`).
_TOO_GENERIC = frozenset("资金 项目 企业 工程 人才 人员 任务 工作".split())
#: `等` closing a list of examples, not inside a word (`高等教育`, `中等职业`, `等级`).
_ETC = re.compile("(?<![高中平同初均对相])等(?!级)")
#: The stretches between such `等`s (a unit list `X、Y等和Z` splits there).
_BETWEEN_ETC = re.compile(f"(?:(?!{_ETC.pattern}).)+")
#: A short bracket inside a word, ending where the leftward walk stands.
_INNER_BRACKET = re.compile(r"[（(][\u4e00-\u9fff]{1,3}[)）]$")

#: `3家企业入选省级专精特新企业`: the category the counted things join is the INDICATOR.
_JOIN_CATEGORY = re.compile(r"[\u4e00-\u9fff]{0,6}?(?:入选|获评|获批|被评为|被认定为|认定为|列入|成为)")


def _phrase_before(text: str, end: int, floor: int) -> tuple[int, int] | None:
    """The noun phrase ending at ``end``: walk left to a delimiter, then strip verbs."""
    start = end
    while start > floor:
        if not _is_delim(text, start - 1):
            start -= 1
            continue
        inner = _INNER_BRACKET.search(text, floor, start)
        if inner and start < end and inner.start() > floor and not _is_delim(text, inner.start() - 1):
            start = inner.start()  # `规(限)上企业`, `新（改）建`: a bracket inside a word
            continue
        break
    # `招引科技人才项目(创新创业团队)15个`: skip a bracketed gloss before the value.
    if start == end and end > floor and text[end - 1] in ")）":
        open_at = max(text.rfind("(", floor, end), text.rfind("（", floor, end))
        if open_at > floor:
            return _phrase_before(text, open_at, floor)
    # `完成“小升规”3家`: a quoted name right before the value; the quote marks stay outside.
    if start == end and end > floor + 1 and text[end - 1] in _CLOSE_QUOTES:
        open_at = max(text.rfind(q, floor, end - 1) for q in _OPEN_QUOTES)
        body = text[open_at + 1:end - 1]
        if (open_at >= floor and 2 <= len(body) <= _MAX_INDICATOR and not any(c in _DELIMS for c in body)
                and not re.search("[比较]$", text[floor:open_at])):  # `比“四经普”增长29.8%`: a baseline
            return open_at + 1, end - 1
    if re.search("(?:[的和及与]|(?<!控制|稳定|保持|维持)在)$", text[start:end]):
        return None  # `省委确定的14项改革`, `…生态岛和11个分岛`, `在10个领域`: the noun follows the VALUE
    return _strip_phrase(text, start, end)


def _strip_phrase(text: str, start: int, end: int, keep_start: bool = False) -> tuple[int, int] | None:
    """Cut a clause down to the quantity's name.

    Linking verbs and comparison fillers go at the end (`…达`, `同比`), scope words and
    action verbs at the front (`全年`, `新增`, `全速推进…`); a known official name at
    the end wins outright, since the guide prefers the shorter official-sounding name.
    """
    def cut_tail(s: int, e: int) -> int:
        tail = _TAIL_STRIP.search(text, s, e)
        return tail.start() if tail and tail.start() > s else e

    end = cut_tail(start, end)
    if keep_start:  # a threshold VALUE opens the name (`1亿元以上项目`)
        return (start, end) if end - start >= 2 else None
    for name in INDICATOR_LEXICON:  # `城镇新增就业` keeps its `新增`; `地方一般公共预算收入` loses `地方`
        if text.endswith(name, start, end):
            return end - len(name), end
    for _ in range(4):
        before = (start, end)
        lead = _LEAD_STRIP.match(text, start, end)
        if lead and lead.end() < end and not re.fullmatch("[率数量额]", text[lead.end():end]):
            start = lead.end()  # but `整改率`, `目标完成率` keep their verb: `率` alone names nothing
        verbs = [m.end() for m in _INNER_VERB.finditer(text, start, end)]
        if verbs and verbs[-1] == end:
            return None  # `重点关注249亩…`: the phrase is a verb, the counted thing follows
        cuts = [v for v in verbs if end - v >= 2 and text[v:end] not in _TOO_GENERIC]
        if cuts:
            start = cuts[-1]  # `全速推进投资` → `投资`: the name starts after the last verb
        end = cut_tail(start, end)
        start += text.startswith("的", start)
        if (start, end) == before:
            break
    phrase = text[start:end]
    if _LEAD_STRIP.fullmatch(phrase) or _TAIL_STRIP.fullmatch(phrase) or _INNER_VERB.fullmatch(phrase):
        return None
    if "的" in phrase[:-1] and _INNER_VERB.search(phrase, 0, phrase.rindex("的")):
        start += phrase.rindex("的") + 1  # `创办具有国际竞争力的科技型企业`: the head follows the 的
        phrase = text[start:end]
    listed = [m.end() for m in _ETC.finditer(phrase)]
    if listed:  # `维尔塑业等国家高新技术企业17家`: the category follows the examples
        start += listed[-1]
        phrase = text[start:end]
        if len(phrase) < 3:
            return None  # `天行健水务等5个…` is a list of names
    if re.match("[把将对向从在为给]|高于|低于|快于|慢于|优于|连续", phrase):
        return None  # `把…划分到`, `为全镇41名…` are clauses; `连续24个月` a streak
    if re.search("(?:两侧|沿线|周边|沿岸|境内|辖区|年产)$", phrase):
        return None  # `流转爱情大道两侧1000亩农田`, `年产8万套…项目`: the VALUE qualifies what follows
    if not 2 <= len(phrase) <= _MAX_INDICATOR or not re.search(r"[\u4e00-\u9fffA-Za-z]", phrase):
        return None
    if re.match(rf"{_AR_NUM}{_MAGNITUDE}{_UNIT}", phrase) and not re.match(
        rf"{_AR_NUM}{_MAGNITUDE}{_UNIT}?(?:以上|以下)", phrase
    ):
        return None  # a quantity, not a name (`5G基站` is fine: `G` is no unit)
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
        if found is not None and _VERB_PHRASE.fullmatch(text, *found):
            found = None
        if found is None and (i + 1 == len(values) or values[i + 1][0] > vend):
            limit = values[i + 1][0] if i + 1 < len(values) else len(text)
            found = _category_after(text, vend, limit) or _counted_after(text, vend, limit)
        if found:
            # `一般固废处置率、危险废物处置率均达100%`, `旅游总人数和总收入分别增长15%`: each
            # item of a list that one VALUE serves (`分别`, `均`) is measured on its own
            # (adjudication rulings); a bare `X、Y4个` is a list of names, and a joint figure
            # (`合计`, `总体`) keeps the list whole.
            if re.search("分别|均", text[found[1]:vstart]):
                parts = _split_coordinated(text, *found)
                items = _coordinated_before(text, parts[0][0], floor) + parts[:-1]
                indicators.extend((s, e, 0.5) for s, e in items)
                found = parts[-1]
            in_lexicon = text[found[0]:found[1]] in INDICATOR_LEXICON
            owner[i] = len(indicators)
            indicators.append((found[0], found[1], 0.8 if in_lexicon else 0.6))
    kept = [v for i, v in enumerate(values) if i not in absorbed]
    return [x for x in indicators if x[0] >= 0], kept


def _split_coordinated(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """`旅游总人数和总收入` → its two names; a part under 2 characters means no split."""
    parts, pos = [], start
    for m in re.finditer("[和及与]", text[start:end]):
        parts.append((pos, start + m.start()))
        pos = start + m.end()
    parts.append((pos, end))
    return parts if len(parts) > 1 and all(e - s >= 2 for s, e in parts) else [(start, end)]


def _coordinated_before(text: str, start: int, floor: int) -> list[tuple[int, int]]:
    """The items of a `X、Y、` list ending right before the INDICATOR at ``start``."""
    items: list[tuple[int, int]] = []
    while start - 1 > floor and text[start - 1] == "、":
        end = start - 1
        found = _phrase_before(text, end, floor)
        if found is None or found[1] != end:
            break  # `…，加快产业数字化、数字产业化`: an item that is no name ends the list
        items.insert(0, found)
        start = found[0]
    return items


def _inside_name(text: str, prev: tuple[int, int, float], vstart: int) -> bool:
    """True when ``prev`` VALUE and the next VALUE are joined by a bare noun (`1亿元以上项目`)."""
    gap = text[prev[1]:vstart]
    tail = _TAIL_STRIP.search(gap)
    gap = gap[:tail.start()] if tail else gap
    if not gap or len(gap) > 8 or any(c in _DELIMS for c in gap):
        return False
    if not re.search("(?:以上|以下|元|岁|万|亿)$", text[prev[0]:prev[1]]) or re.match(_CHANGE, text[prev[0]:prev[1]]):
        return False  # only thresholds, amounts and ages sit inside names
    if _INNER_VERB.search(gap) or re.search("[的达为在和及与等]|建设|改造|用于", gap):
        return False
    return re.match(r"[\u4e00-\u9fffA-Za-z]", gap) is not None


#: `着力抓好40项重点工作`: a measure word directly followed by the counted noun phrase.
_COUNTED_STOP = re.compile(_alt("""
    新开工 新建 新增 全覆盖 覆盖 之一 进入 建设 竣工 投产 落地 开工 建成 完成 以上 创建 落户 签约 入驻
    通过 达到 实现 安装 加强 得到 揭牌 运行 布局 入选 参赛 获评 获得 获批 的 和 与 及 被 为 是 在 有
    投入 获 开展 免费 全部 提供 以及 全面
"""))
#: Verbs that also occur inside names (`慢行交通品质提升示范街道`): no safe cut point.
_COUNTED_AMBIGUOUS = re.compile("提升|改造|整治|治理|服务(?![区站中机事设平体])")
_MEASURE_END = re.compile("(?:[个家项所座条只名套户栋处亩台辆间件棵宗批]|人次|平方米)$")
#: A phrase before a VALUE that is only a verb with its adverbs (`做优做强5个…`, `重点建设30家…`):
#: the counted thing follows the VALUE instead.
_VERB_PHRASE = re.compile(
    "(?:重点|高质量|加快|全力|大力|积极|持续|继续|新|共|全面|有序|稳步|扎实|深入)*"
    "(?:做优做强|做大做强|做强|建好|建设|上线运行|运行|种植|筹建|设立|启动|打造|办好|扶持|遴选|选拔|培养|"
    "改造提升|提质|服务|组织|举办|招引|实施|推进|开展|建成|新建|培育|引进|认定|完成)"
)


def _counted_after(text: str, vend: int, limit: int) -> tuple[int, int] | None:
    """The counted thing after a VALUE ending in a measure word, up to a verb or delimiter."""
    if not _MEASURE_END.search(text[:vend]):
        return None
    end = vend
    while end < limit and text[end] not in _DELIMS:
        end += 1
    stops = [m.start() for m in (_COUNTED_STOP.search(text, vend, end), _INNER_VERB.search(text, vend, end)) if m]
    if stops:
        end = min(stops)
    elif end == limit and limit < len(text):
        return None  # the phrase runs into the next VALUE: it is that VALUE's INDICATOR
    phrase = text[vend:end]
    if _COUNTED_AMBIGUOUS.search(phrase):
        return None
    if not 3 <= len(phrase) <= 12 or not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9.]+", phrase):
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
    if end < len(text) and text[end] in _OPEN_QUOTES:
        return None  # `入选第二轮国家“双高计划”`: the category is the quoted name, cut off here
    return _strip_phrase(text, m.end(), end) if end > m.end() else None


# ---------------------------------------------------------------------------
# LEAD_OFFICE
# ---------------------------------------------------------------------------

#: A short bracket inside a unit name (`省（区、市）政府`): its commas do not split the list.
_INNER_PARENS = r"[（(][^（）()]{1,6}[）)](?=[\u4e00-\u9fff])"
#: `（工业商贸办、农业农村办牵头负责）`, `（发展改革委、财政部等按职责分工负责）`, `（生态环境部指导）`.
#: The sentence splitter may cut the note before its closing bracket (`（…等负责。`).
_NOTE_RESPONSIBLE = re.compile(
    rf"[（(](?P<body>(?:[^（）()]|{_INNER_PARENS}){{2,200}}?)(?:按职责分工)?(?:牵头)?(?:负责|指导)(?=[）)。；;，,]|$)"
)
#: `（生态环境部牵头，国家发展改革委…参与）`: only the units before 牵头 lead.
_NOTE_LEADS = re.compile(r"[（(](?P<body>[^（）()：:]{2,80}?)牵头(?=[，,；;）)])")
#: `司法部负责制定…`, `发展改革委、财政部等部门要…`, `各省（区、市）政府要…`: directive text
#: that opens by naming the units that must do the task.
_OPENING_UNIT = re.compile(
    rf"^(?P<body>(?:[^由，,。；;：:（）()“”|]|{_INNER_PARENS}){{2,80}}?)"
    r"(?:(?:牵头)?负责(?!人|同志)|(?:等部门|等单位)?要(?!求|点|素)|(?=会同))"
)
#: `牵头单位：县发改局` / `责任单位：市财政局、市税务局`, up to the next key or clause end.
_KEYED = re.compile(
    r"(?P<key>牵头单位|责任单位|牵头部门|责任部门)\s*[：:]\s*"
    r"(?P<body>[^；;。）)\n：:]+?)(?=[，,]?\s*(?:配合单位|协办单位|参与单位|责任单位|配合部门|$)|[；;。）)\n])"
)
#: `由县教育局负责`.
_BY_UNIT = re.compile(r"由(?P<body>[^，,。；;：:、（）()]{2,24}?)(?:牵头)?负责(?!人|同志)")
#: Unit endings.  Only these split `X和Y` (`中央和国家机关工委`, `工业和信息化部` stay whole),
#: and free-text patterns (`由…负责`) require them (`由企业负责` names no unit).
_SPLIT_SUFFIX = re.compile("(?:局|委|办|部|厅|府|院|署|中心|银行|总社|联|会)$")
#: A line that is nothing but a list of names (a table cell).
_UNIT_LINE = re.compile(r"[\u4e00-\u9fff“”（）()]{2,30}(?:、[\u4e00-\u9fff“”（）()]{2,30})*")
#: Unit endings in table cells: the strong ones plus local bodies and companies.
_CELL_SUFFIX = re.compile("(?:局|委|办|部|厅|府|院|署|中心|银行|总社|联|会|街道|镇|集团|公司|专班|总办)$")
_LIST_SPLIT = re.compile(r"[、，,/]|会同|及|以及|配合")
_AND_SPLIT = re.compile("和|与")
_SCOPE_PREFIX = re.compile("(?:各有关|各相关|有关|相关|各级|各)")
_VAGUE = re.compile(
    "^(?:部门|单位|部门和单位|地方|方面|其他|其它|成员单位|街镇|政府|人民政府|地方政府|地方各级人民政府|.{0,2}有关.*)$"
    "|有关部门|相关部门"
)


def _split_units(body: str, offset: int) -> list[tuple[int, int]]:
    """Split a list of units into item spans; `等` ends the named item before it.

    `X、Y等和各省级人民政府` → X, Y, 各省级人民政府 (scope words go in :func:`_clean_unit`);
    `X等有关部门` → X, 有关部门 (dropped there as vague).
    """
    items: list[tuple[int, int]] = []
    pos = 0
    inside = [m.span() for m in re.finditer(_INNER_PARENS, body)]
    seps = [m for m in _LIST_SPLIT.finditer(body) if not any(a < m.start() < b for a, b in inside)]
    for sep in [*seps, None]:
        piece_end = sep.start() if sep else len(body)
        for part in _BETWEEN_ETC.finditer(body, pos, piece_end):
            for s, e in _split_and(part.group(0)):
                items.append((offset + part.start() + s, offset + part.start() + e))
        pos = sep.end() if sep else len(body)
    return items


def _split_and(part: str) -> list[tuple[int, int]]:
    """Split at 和/与 only between two unit names (`工业和信息化部` stays whole)."""
    cuts = [0]
    for m in _AND_SPLIT.finditer(part):
        left = part[cuts[-1]:m.start()]
        scope = _SCOPE_PREFIX.match(left)
        if _SPLIT_SUFFIX.search(left) or _VAGUE.match(left[scope.end():] if scope else left):
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
    if len(re.findall(r"[\u4e00-\u9fff]", phrase)) < 2 or _VAGUE.search(phrase) or "按职责" in phrase:
        return None
    if any(ch in _OPEN_QUOTES or ch in _CLOSE_QUOTES for ch in phrase):
        return None  # quote marks never fall inside a span (adjudication ruling)
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
    for m in _NOTE_LEADS.finditer(text):
        for s, e in _split_units(m.group("body"), m.start("body")):
            cleaned = _clean_unit(text, s, e)
            if cleaned:
                found.append((*cleaned, 0.85))
    if _UNIT_LINE.fullmatch(text.strip()):
        # A task table's `推进单位` cell (`区规划资源局、区建设管理委、江宁路街道`): every unit.
        units = [_clean_unit(text, s, e) for s, e in _split_units(text, 0)]
        named = [u for u in units if u]
        if named and all(_CELL_SUFFIX.search(text[s:e]) for s, e in named):
            found += [(s, e, 0.6) for s, e in named]
    for pattern, score in ((_BY_UNIT, 0.7), (_OPENING_UNIT, 0.6)):
        for m in pattern.finditer(text):
            units = [_clean_unit(text, s, e) for s, e in _split_units(m.group("body"), m.start("body"))]
            # Free text names actors too (`企业`, `领导小组`): every item must look like a unit.
            if units and all(u and _SPLIT_SUFFIX.search(text[u[0]:u[1]]) for u in units):
                found += [(*u, score) for u in units if u and "领导小组" not in text[u[0]:u[1]]]
    return found


# ---------------------------------------------------------------------------
# PROJECT
# ---------------------------------------------------------------------------

#: Heads that name a specific work or facility (guide: `…连接线`, `…大桥`, `…异地新建工程`).
_PROJECT_HEAD = re.compile(
    "(?:项目|工程|大桥|桥梁|连接线|高铁|高速公路|公路|隧道|幼儿园|中心小学|小学|中学|学校|医院|"
    "[东南西北]站|(?:高铁|客运|枢纽|变电|污水处理|垃圾中转)站|污水处理厂|水厂|综合体|产业园|公园|大道|"
    "(?:恐龙|游乐|植物|动物|湿地|生态|科技|创业|采摘)园|乐园|庄园|"
    "(?:接待|服务|展示|集结|活动|体育|会展|物流)中心|铁路|复线|机场|水库|新城|厂房|大楼|大厦|综合楼|敬老院|"
    "卫生院|绿道|步行街|延伸段|陆港|码头|航道|船闸|水电站|广场|体育馆|图书馆|博物馆|安置房|停车场|"
    "技师学院|航天港|科创港|口岸|人才公寓|(?:教育|实践)基地|实验站|文化公园|展馆|(?:文体|科创|运营|党群)中心|"
    "[至到][\u4e00-\u9fff]{1,6}?段)"
    # `横沥东坑合建污水处理厂二期扩建工程`: a phase and a works word after the facility belong to it.
    "(?:[一二三四五]期)?(?:(?:扩建|改建|迁建|新建|提升|改造)?(?:工程|项目))?"
)
#: The guide's PROJECT needs a building context: it is to be built, started, completed, advanced.
_BUILD_CONTEXT = re.compile(
    "建设|推进|开工|完成|建成|竣工|启动|投用|实施|加快|新建|续建|落地|攻坚|动工|改造|扩建|通车|通水|通航|贯通|"
    "开园|完工|交付|扩容|前期|选址|筹建|迁建|谋划|设计|启用|投入使用|建设运行|加码|投产|投运|运营|获批建设"
)
#: Generic classes, campaigns, programmes, designations: never PROJECTs.
_GENERIC_PROJECT = re.compile(
    "^(?:重大|重点|产业|民生|实事|基础设施|工业|招商|市政|水利|交通|在建|新建|续建|技改|科技|文旅|农旅|"
    "人才|民心|政府投资|省市|县级|市级|省级|一批|各类|相关|建设|投资|亿元|万元|以上|等|主体|节点|"
    "全镇|全县|全市|全区|镇区|周边|农村|乡村|城乡|通村|工程|如下|以下|下列|各项|乡村振兴|公益|农业基地|生态修复|综合整治|质量安全|电力配套|贯通|招投标|"
    "[\u4e00-\u9fff]{1,3}性)*"
    "(?:项目|工程|学校|站|综合体|产业园|公园|公路|道路|停车场|广场|医院)$"
)
_NOT_PROJECT = re.compile(
    "^(?:健全|完善|加强|推进|强化|抓好|做好|优化|深化|加快|推动|实施|开展|谋划|落实|保障|提升|改造|整治|"
    "建设|改建|扩建|迁建|亮化|配套|打好|打通|促进|着力|狠抓|加大|施)|美丽|扭住|抓实|统筹|行动|机制|制度|计划|人才.{0,4}工程|(?:培育|培养|融合|下乡|振兴|惠民)工程$|"
    r"示范区|试点县|创建|债券|实事|用于|资金项目|重大(?:产业)?项目$|(?:校长|畅行|安全|精品|处置)工程|\d+个|[一二两三四五六七八九十百]+[个件项批]|一批|等"
)
_ACTION_WORDS = (
    "的|推进|建设|实施|加快|完成|启动|开工|建成|投用|推动|谋划|做好|抓好|开展|全力|力争|确保|促进|支持|"
    "探索|筹建|打好|打通|投资|总投资|获批|用于|用好|办好|建好|管好|对|把|将|完善|争取|打造|落实|深化|改造|扩建|实现|包括|其中|以及"
)
#: Where a project name starts when walking left from its head: after an action word or a conjunction.
_PROJECT_LEFT_STOP = re.compile(f"(?:{_ACTION_WORDS}|和|及|与)$")
#: The same without the conjunctions, which also occur inside company names (`新和成`).
_PROJECT_LEFT_STOP_ANY = re.compile(_ACTION_WORDS)
_HEAD_FOLLOW = re.compile(
    "(?:建设|及|和|、|等|开工|建成|竣工|完工|投用|落地|顺利|全面|加快|主体|招引|前期|年底|一期|二期|选址|扩建|"
    "改造|提升|迁建|新建|交付|通车|贯通|通水|通航|开园|投入|已)"
)
_NAME_LEAD = re.compile("(?:新建|续建|改建|扩建|启动|实施|推进|加快|在|新一轮|含|交付|分别)+")
#: A short bracket right after a project name: a section or the facility's other name.
_NAME_GLOSS = re.compile(r"[（(][^（）()，,。；;“”‘’\"']{1,8}[)）]")


def _project_ok(name: str) -> bool:
    """A specific name: not a generic class, campaign or programme, no counts or amounts."""
    return (
        2 <= len(name) <= 22
        and not _GENERIC_PROJECT.match(name)
        and not _NOT_PROJECT.search(name)
        and not re.search(r"\d", name)  # `1亿元以上项目` is an INDICATOR, `5个…项目` a class
    )


def _walk_left(text: str, pos: int) -> int:
    """Start of the name ending at ``pos``: back to a delimiter or an action word."""
    while pos > 0 and not _PROJECT_LEFT_STOP.search(text, 0, pos):
        inner = _INNER_BRACKET.search(text, 0, pos)
        if text[pos - 1] not in _DELIMS or (text[pos - 1] == "-" and pos > 1 and "\u4e00" <= text[pos - 2] <= "\u9fff"):
            pos -= 1  # `新昌-中关村人才科创港`: a hyphen between characters is inside the name
        elif inner and inner.start() > 0 and text[inner.start() - 1] not in _DELIMS:
            pos = inner.start()  # `中欧（亚）班列集结中心`
        else:
            break
    return pos


_CLAUSE_END = re.compile("[，,。；;！!？?]")
#: Characters of places and physical works: `…项目`/`…工程` names without one are mostly
#: programmes (`医疗卫生强基工程`, `颠覆性技术创新项目`) unless money is put into them.
_PLACE = re.compile(
    "[镇村县区路街巷弄桥江河湖山港湾岛园馆楼站厂坝库线段道场院校渠闸堤塘矿谷岙岭洲堰埠墩浦滩峡泉洋淮]"
    "|复绿|排涝|防洪|引水|供水|连通|绿化|亮化|管网|改建|扩建|迁建|新建|拆除|修缮|硬化|拓宽|立面|景观|航道|水系|灌区"
)
_AMOUNT = re.compile(r"\d[\d.]*[万亿]*元")


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the clause (between commas and stops) around ``text[start:end]``."""
    left = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    right = _CLAUSE_END.search(text, end)
    return left, right.start() if right else len(text)


def _in_build_clause(text: str, start: int, end: int) -> bool:
    """The guide's PROJECT is built, started, completed or advanced: look in its own clause."""
    left, right = _clause(text, start, end)
    # The name itself does not count (`省科技攻坚项目` is not being built by its `攻坚`).
    return bool(_BUILD_CONTEXT.search(text, left, start) or _BUILD_CONTEXT.search(text, end, right))


def _specific_work(text: str, start: int, end: int) -> bool:
    """A `…项目`/`…工程` name is specific when it names a place or a work, or money goes into it."""
    left, right = _clause(text, start, end)
    return bool(_PLACE.search(text, start, end - 2) or _AMOUNT.search(text, left, right))


def project_spans(text: str) -> list[tuple[int, int, float]]:
    """Conservative PROJECT spans: a named work ending in a project head, in a build context.

    Coordinated names sharing one list (`未来社区中心、城市客厅、酒店综合体项目`) are
    separate spans; `新章镇大桥及连接线项目` is one name.
    """
    found: list[tuple[int, int, float]] = []
    for m in _PROJECT_HEAD.finditer(text):
        end = m.end()
        joined = re.match(r"及[\u4e00-\u9fff]{1,8}?(?:项目|工程)", text[end:])
        if joined:
            end += joined.end()
        works = re.match("(?:改扩建|扩建|迁建|改建|改造提升)(?=[、等和及])", text[end:])
        if works:
            end += works.end()  # `长潭水库扩建等工程`: in a list of works the work word is part of the name
        gloss = _NAME_GLOSS.match(text, end)
        if gloss:
            end = gloss.end()  # `渝昆高铁（渝宜段）`, `总部大楼(国威大厦)`: the bracket belongs to the name
        if end < len(text) and text[end] in _CLOSE_QUOTES:
            continue  # `“烟雨江南 桃源新城”`: a quoted slogan
        if end < len(text) and re.match(r"[\u4e00-\u9fff]", text[end]) and not _HEAD_FOLLOW.match(text, end):
            continue  # the head is inside a longer word (`项目化`, `工程师`, `站点`)
        if found and found[-1][1] >= end:
            continue
        start = _walk_left(text, m.start())
        if start > 0 and text[start - 1] in _OPEN_QUOTES:
            continue  # quoted names are slogans and campaigns (`“双一号工程”`)
        lead = _NAME_LEAD.match(text, start, end)
        start = lead.end() if lead else start  # `谋划新建凤桥镇图书馆`: the `新建` is the build context
        if not _in_build_clause(text, start, end):
            continue
        bare = m.group(0) in ("项目", "工程")
        if end - start - len(m.group(0)) < (3 if bare else 2) or not _project_ok(text[start:end]):
            continue  # `露营项目`, `主体工程` say too little
        if bare and not _specific_work(text, start, end):
            continue
        items = [(start, end, 0.5)]
        # Walk back over a `、` list: each earlier item is a project of the same kind.
        while start > 0 and text[start - 1] == "、":
            prev_end = start - 1
            prev = _walk_left(text, prev_end)
            item = text[prev:prev_end]
            if not 3 <= len(item) <= 12 or not _project_ok(item) or _DOMAIN.fullmatch(item):
                break
            items.insert(0, (prev, prev_end, 0.4))
            start = prev
        found.extend(items)
    found.extend(_listed_projects(text))
    return found


#: `南深环保、天行健水务等5个重大产业项目`: names listed before `等…项目` are projects.
_LISTED = re.compile(
    r"(?P<list>[^，,。；;：:（）()“”]{2,80}?)等(?:\d+[个条座]|[一二三四五六七八九十]+[个条座])?"
    "(?:重点|重大|在建|续建|新建|市政|产业|工业|基础设施|民生|城市地标|地标|文旅|招商|输电|水利)*"
    "(?:项目|工程|高速公路|新线)"
)


#: Two-character sector words that head class lists (`市政、交通、商务等项目`).
_DOMAIN = re.compile("市政|交通|商务|教育|医疗|卫生|水利|能源|文化|旅游|农业|工业|民生|环保|体育|养老|库区")


def _listed_projects(text: str) -> list[tuple[int, int, float]]:
    """Each item of a `X、Y等…项目` list, when the items are short specific names."""
    found: list[tuple[int, int, float]] = []
    for m in _LISTED.finditer(text):
        body, offset = m.group("list"), m.start("list")
        cut = max((stop.end() for stop in _PROJECT_LEFT_STOP_ANY.finditer(body)), default=0)
        items = body[cut:].split("、")
        if len(items) < 2 or re.match(r"\d", text[m.end():]):
            continue  # one name before `等` is too often a class (`镜岭水库等重大工程`); `等项目36个` counts one
        pos = offset + cut
        if not _in_build_clause(text, pos, m.end()):
            continue
        for item in items:
            if 2 <= len(item) <= 12 and _project_ok(item) and not _DOMAIN.fullmatch(item):
                found.append((pos, pos + len(item), 0.4))
            pos += len(item) + 1
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
