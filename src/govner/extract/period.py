"""The period a sentence's targets refer to: ``2026年``, ``全年``, ``“十五五”期间``, ``到2030年``.

Why in the sentence and not in the span: the guide keeps years and dates out of VALUE spans,
yet "增长5%" means nothing without knowing whether it is this year's target or the
five-year plan's. The rule is simple and documented: the last period phrase before the value
in its sentence; if there is none, the first one after it; else None. Phrases are kept as
written (quotes included), so nothing is lost by normalising.
"""
from __future__ import annotations

import re
from typing import NamedTuple

_CN = "一二三四五六七八九十"
_YEAR = r"(?:19|20)\d\d"
_PERIOD = re.compile("|".join([
    # five-year plans: “十五五”期间, 十四五时期, “十五五”末
    rf"[“\"「]?十[{_CN}]五[”\"」]?(?:期间|时期末|时期|末期|末|以来)?",
    # year ranges: 2026—2030年, 2026年至2030年
    rf"(?:到|至|在)?{_YEAR}(?:年)?\s*(?:-|—+|–|~|～|至|到)\s*{_YEAR}年(?:底|末|前)?",
    # one year, possibly with a part of it: 2026年, 到2030年底, 2025年上半年, 2023年6月底
    rf"(?:到|至|在)?{_YEAR}年(?:底前|底|末|前|上半年|下半年|前三季度|[一二三四]季度|\d{{1,2}}月(?:底前|底|末|前)?)?",
    # relative periods
    rf"(?:今后|未来|过去|近)(?:\d{{1,2}}|[{_CN}]{{1,2}})年|(?:\d{{1,2}}|[{_CN}]{{1,2}})年(?:内|来|间)",
    r"全年|今年|明年|当年|本年度|年内|年底前|年底|年末|上半年|下半年|前三季度|[一二三四]季度",
]))


class Period(NamedTuple):
    text: str
    start: int
    end: int


def periods(sentence: str) -> list[Period]:
    """Every period phrase in a sentence, in order (offsets into ``sentence``)."""
    return [Period(m.group(0), m.start(), m.end()) for m in _PERIOD.finditer(sentence)]


def find_period(sentence: str, start: int, end: int | None = None) -> Period | None:
    """The period for a value at ``sentence[start:end]``: the last phrase before it, else the first after."""
    end = start if end is None else end
    found = periods(sentence)
    before = [p for p in found if p.end <= start]
    if before:
        return before[-1]
    after = [p for p in found if p.start >= end]
    return after[0] if after else None
