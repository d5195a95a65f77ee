"""Pair every VALUE with the INDICATOR(s) whose quantity it states, one sentence at a time.

Why rules and not a model: the reports state targets in a handful of fixed shapes, and the
linker must be scorable apart from the tagger (``govner.extract.score`` runs it on gold
entities). The shapes, in the order they are tried for each VALUE:

1. **Counted object after the value** — ``建成35个先导区``, ``新增7701张家庭养老床位``: an
   INDICATOR directly after the value (nothing or ``的`` between) is what it counts, unless an
   INDICATOR ends directly before the value too (``新建5G基站84个…``) or the value is a change
   (``增长5%``).
2. **Indicator before the value** — ``新建改造农村公路100公里``, ``增长6%、达到1.2万亿元``: the
   nearest INDICATOR to the left in the same clause (clauses end at ，；。：！？), past other
   VALUEs of it. Coordinated lists pair up: ``X和Y分别增长5%、6%`` by position, ``X、Y均增长5%``
   (one value, several indicators) to every indicator — one record each.
3. **Indicator after the value, further away** — ``3家企业入选省级专精特新企业``: when the
   clause has no INDICATOR before the value.
4. **Continuation clause** — ``制造业投资完成9.1亿元，同比增长36.7%``: a clause that holds only
   values, opens with nothing but change words (同比, 增长, 达到…) and whose value is not a
   modifier of what follows (``10亿元以上项目``) continues the previous clause: the indicator of
   its last value, or the indicators it named without a value (``X和Y稳步提升，分别达到98%和86.6%``).

``其中`` is a wall: ``…市场主体450家、其中企业120家`` never gives 120家 to the total. An
INDICATOR that a value before it already counts (shape 1) is not reused for a later value, and
one followed by a value of its own (``就业帮扶车间2448个``) is not taken by the value before it.
A value that none of these reach gets ``indicator: None`` — never a guess.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from govner.errors import GovnerError
from govner.extract.numbers import fold, parse_value
from govner.extract.period import find_period

_CLAUSE_END = set("，,；;。！!？?：:\n")
_COORD = re.compile(r"(?:、|和|与|及|以及|、以及|或|和/或|/|\s)*")
_STARTS_WITH_CHANGE = re.compile(r"^(?:同比|年均|比上年|较上年)?(?:增长|增加|提高|提升|上升|下降|减少|降低|压降|净增|减|降|增)")
#: Words that may open a clause continuing the previous one (``，同比增长36.7%``, ``，达到1.2万亿元``).
_CHAIN_WORDS = (r"同比|环比|比上年同期|比上年|较上年|比去年|较去年|年均|平均|累计|分别|均|总量|规模|总额|"
                r"增长|增加|提高|提升|上升|下降|减少|降低|达到|达|突破|超过|增速|增幅|升至|降至|为|实现|完成|"
                r"到|至|力争|争取|确保|预计|\s")
_CONTINUATION = re.compile(f"(?:{_CHAIN_WORDS})*")
#: What may follow a continuing value: the clause's end, a list comma or a change word.
_CONTINUATION_END = re.compile(r"(?:[，,；;。！!？?：:、\n）)]|$|同比|增长|下降)")
#: What may stand between two values of one indicator: ``、``, ``和`` and the words above.
_VALUE_CHAIN = re.compile(f"(?:、|和|及|{_CHAIN_WORDS})*")


@dataclass
class _Group:
    kind: str  # "INDICATOR" or "VALUE"
    members: list[dict]
    clause: int
    claimed: bool = False  # an INDICATOR group counted by a value before it (shape 1)
    links: list[list[dict]] = field(default_factory=list)  # per member (VALUE groups)

    @property
    def start(self) -> int:
        return self.members[0]["start"]

    @property
    def end(self) -> int:
        return self.members[-1]["end"]


def _checked(text: str, entities: list[dict]) -> list[dict]:
    if not isinstance(text, str):
        raise GovnerError(f"measures() needs the sentence as a string, got {type(text).__name__}")
    out = []
    for k, e in enumerate(entities):
        try:
            start, end, label = int(e["start"]), int(e["end"]), e["label"]
        except (KeyError, TypeError, ValueError):
            raise GovnerError(f"entity {k} ({e!r}) needs integer start/end and a label") from None
        if label not in ("INDICATOR", "VALUE"):
            continue
        if not 0 <= start < end <= len(text):
            raise GovnerError(f"entity {k} [{start}, {end}) lies outside a sentence of {len(text)} characters")
        if "text" in e and e["text"] != text[start:end]:
            raise GovnerError(f"entity {k} [{start}, {end}) says {e['text']!r} but the sentence has "
                              f"{text[start:end]!r} there: offsets refer to another text")
        out.append({**e, "start": start, "end": end, "text": text[start:end]})
    out.sort(key=lambda e: (e["start"], e["end"]))
    return out


def _clauses(text: str) -> list[int]:
    """Clause number of every character position (0..len)."""
    out, n = [], 0
    for ch in text:
        out.append(n)
        if ch in _CLAUSE_END:
            n += 1
    out.append(n)
    return out


def _groups(text: str, ents: list[dict], clause_of: list[int]) -> list[_Group]:
    groups: list[_Group] = []
    for e in ents:
        c = clause_of[e["start"]]
        g = groups[-1] if groups else None
        if (g is not None and g.kind == e["label"] and g.clause == c
                and _COORD.fullmatch(text[g.end:e["start"]])):
            g.members.append(e)
        else:
            groups.append(_Group(e["label"], [e], c))
    return groups


def _pair(ind: _Group, val: _Group) -> list[list[dict]]:
    """Indicators for each value of a value list that follows an indicator list."""
    n, m = len(ind.members), len(val.members)
    if n == 1:
        return [[ind.members[0]] for _ in range(m)]
    if m == 1:  # X、Y均增长5%: every listed indicator
        return [list(ind.members)]
    return [[ind.members[i]] if i < n else [] for i in range(m)]  # X和Y分别增长5%、6%: by position


def _link_sentence(text: str, groups: list[_Group], clause_of: list[int]) -> None:
    # what a continuation clause continues: the indicators of the previous clause's last linked
    # value, or an indicator list that clause named without a value (`X和Y稳步提升，分别达到…`)
    carry: list[dict] | _Group | None = None
    prev_clause = -1
    for gi, g in enumerate(groups):
        if g.clause != prev_clause:
            # the clause before this one (not further back) may be continued
            if prev_clause >= 0 and g.clause != prev_clause + 1:
                carry = None
            first_in_clause = True
            prev_clause = g.clause
        else:
            first_in_clause = False
        if g.kind != "VALUE":
            if not g.claimed:
                carry = g  # a new indicator ends what came before; a next clause may continue it
            continue
        left = _left_indicator(text, groups, gi)
        nxt = groups[gi + 1] if gi + 1 < len(groups) and groups[gi + 1].clause == g.clause else None
        is_change = bool(_STARTS_WITH_CHANGE.match(fold(g.members[0]["text"])))
        right_free = (nxt is not None and nxt.kind == "INDICATOR" and not is_change
                      and not _owned_by_next_value(text, groups, gi + 1))
        right_adjacent = right_free and text[g.end:nxt.start] in ("", "的")
        left_adjacent = left is not None and left is groups[gi - 1] and text[left.end:g.start] == ""
        if right_adjacent and not left_adjacent:
            nxt.claimed = True
            g.links = [list(nxt.members) for _ in g.members]
        elif left is not None:
            g.links = _pair(left, g) if left is groups[gi - 1] else [list(left.members) for _ in g.members]
        elif right_free and "其中" not in text[g.end:nxt.start]:
            nxt.claimed = True
            g.links = [list(nxt.members) for _ in g.members]
        elif first_in_clause and carry and _is_continuation(text, clause_of, g):
            g.links = _pair(carry, g) if isinstance(carry, _Group) else [list(carry) for _ in g.members]
        else:
            g.links = [[] for _ in g.members]
        if g.links and g.links[-1]:
            carry = g.links[-1]
        elif g.links:
            carry = None


def _left_indicator(text: str, groups: list[_Group], gi: int) -> _Group | None:
    """The nearest INDICATOR group to the left in the same clause that this value can belong to.

    Other VALUEs may stand between only as a chain of values of one indicator (``5.3万亿元、增长5.5%``,
    ``增长5.5%、达到10.3万亿元``); ``其中`` or an INDICATOR already counted by a value before it
    (shape 1) stops the search.
    """
    g = groups[gi]
    edge = g.start
    j = gi - 1
    while j >= 0 and groups[j].clause == g.clause:
        h = groups[j]
        gap = text[h.end:edge]
        if "其中" in gap:
            return None
        if h.kind == "INDICATOR":
            return None if h.claimed else h
        if not _VALUE_CHAIN.fullmatch(fold(gap)):
            return None
        edge = h.start
        j -= 1
    return None


def _owned_by_next_value(text: str, groups: list[_Group], ii: int) -> bool:
    """Whether INDICATOR group ii is directly followed by a value of its own (``就业帮扶车间2448个``)."""
    if ii + 1 >= len(groups):
        return False
    nxt, ind = groups[ii + 1], groups[ii]
    return (nxt.kind == "VALUE" and nxt.clause == ind.clause
            and bool(_CONTINUATION.fullmatch(fold(text[ind.end:nxt.start]))))


def _is_continuation(text: str, clause_of: list[int], g: _Group) -> bool:
    """A clause that opens with only change words and whose value is not a modifier (``10亿元以上项目``)."""
    start = g.start
    while start > 0 and clause_of[start - 1] == g.clause and text[start - 1] not in _CLAUSE_END:
        start -= 1
    prefix = fold(text[start:g.start])
    return ("其中" not in prefix and bool(_CONTINUATION.fullmatch(prefix))
            and bool(_CONTINUATION_END.match(text, g.end)))


def _context(text: str, groups: list[_Group], gi: int, k: int) -> tuple[str, str]:
    """Text of the clause before and after the k-th value of group gi (what parse_value reads).

    ``before`` runs from the clause start to the group's first value, entities included: a list
    shares its lead's words (``分别增长8.9%和9.5%``), the verb that governs the indicator is in reach
    (``完成投资15亿元``) and so is the indicator's own tail (``居民消费价格涨幅2%左右``). ``after`` runs
    to the next value of the list, or else to the clause end.
    """
    g = groups[gi]
    first, e = g.members[0], g.members[k]
    before = text[:first["start"]]
    after = text[e["end"]:g.members[k + 1]["start"]] if k + 1 < len(g.members) else text[e["end"]:]
    cut = [i for i, ch in enumerate(before) if ch in _CLAUSE_END]
    if cut:
        before = before[cut[-1] + 1:]
    for i, ch in enumerate(after):
        if ch in _CLAUSE_END:
            after = after[:i]
            break
    return before, after


def plain_entity(e: dict) -> dict:
    """An entity as records hold it: start, end, label, text (and score when the tagger gave one)."""
    out = {"start": e["start"], "end": e["end"], "label": e["label"], "text": e["text"]}
    if "score" in e:
        out["score"] = e["score"]
    return out


def value_contexts(text: str, entities: list[dict]) -> dict[tuple[int, int], tuple[str, str]]:
    """(before, after) text that measures() gives parse_value for each VALUE span (start, end)."""
    ents = _checked(text, entities)
    groups = _groups(text, ents, _clauses(text))
    return {(v["start"], v["end"]): _context(text, groups, gi, k)
            for gi, g in enumerate(groups) if g.kind == "VALUE" for k, v in enumerate(g.members)}


def measures(text: str, entities: list[dict]) -> list[dict]:
    """Indicator–value records for one sentence and its entities (any labels; others are ignored).

    One record per (value, indicator) pair — a value stated for two indicators gives two — and
    one with ``indicator: None`` for a value that has none. Each record holds ``value`` and
    ``indicator`` (entity dicts with ``start``, ``end``, ``label``, ``text`` and ``score`` if
    given), the :func:`~govner.extract.numbers.parse_value` fields, and ``period`` with
    ``period_start``/``period_end`` (sentence offsets) when the sentence states one.
    """
    ents = _checked(text, entities)
    clause_of = _clauses(text)
    groups = _groups(text, ents, clause_of)
    _link_sentence(text, groups, clause_of)
    records: list[dict] = []
    for gi, g in enumerate(groups):
        if g.kind != "VALUE":
            continue
        for k, (v, inds) in enumerate(zip(g.members, g.links)):
            before, after = _context(text, groups, gi, k)
            parsed = parse_value(v["text"], before=before, after=after)
            period = find_period(text, v["start"], v["end"])
            base = {"value": plain_entity(v), **parsed,
                    "period": period.text if period else None,
                    "period_start": period.start if period else None,
                    "period_end": period.end if period else None}
            for ind in inds or [None]:
                records.append({"indicator": plain_entity(ind) if ind else None, **base})
    return records
