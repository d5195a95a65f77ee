"""Assignments (which offices lead a task) and projects (with their stage), one sentence at a time.

Why so little logic: the tagger already found the units and the project names; what a
table needs on top is their order, the document's own convention for reading a list of
units (``列第一位者为牵头单位``: the first listed unit leads, the others support), and the
verb that says where a project stands (开工, 建成, 推进…).

* An assignment is one record per sentence with LEAD_OFFICE entities: ``offices`` in order,
  each with ``lead`` — True for the first and False for the rest where the document states
  the first-listed convention, None where it does not (the list is then unranked) — and
  ``task``, the sentence without the bracketed note that names the offices.
* A project is one record per PROJECT: ``stage`` is the stage verb next to it — a verb right
  after the name (``…项目开工``, ``…竣工投产``; a list ``A、B、C项目招引建设`` shares it) wins,
  else the nearest one before it in its clause (``开工建设总投资19亿元的新章镇大桥及连接线项目``);
  a bare ``建设`` yields to any other verb (``推进…连接线建设`` is 推进) — or None.
"""
from __future__ import annotations

import re
from typing import Iterable

from govner.extract.link import plain_entity

#: Stage verbs, longest first so that 开工建设 is not read as 开工 + rest, 新开工 not as 开工.
STAGE_VERBS: tuple[str, ...] = tuple(sorted((
    "新开工", "开工建设", "开工", "开建", "动工", "建成投用", "建成投运", "建成投产", "建成运营", "建成通车",
    "建成", "竣工投产", "竣工验收", "竣工", "完工投用", "完工", "招引", "投产", "投用", "投运", "运营", "通车", "开通",
    "交付", "续建", "新建", "改扩建", "扩建", "改建", "改造", "提升改造", "启动", "推进", "加快推进",
    "加快建设", "实施", "谋划", "签约", "落地", "建设", "完成",
), key=len, reverse=True))

_STAGE_RE = re.compile("|".join(map(re.escape, STAGE_VERBS)))
_CLAUSE_END = set("，,；;。！!？?：:\n")
#: Words that may stand between a project name and the verb after it: ``…项目顺利竣工``.
_AFTER_FILLER = re.compile(r"(?:项目|工程)?(?:等)?(?:[0-9一二两三四五六七八九十]+个)?(?:项目)?"
                           r"(?:年内|年底前|全面|全线|正式|顺利|基本|主体|加快|已|将|力争|确保|实现)*")

#: A verb after the name that says less than one before it: `推进…连接线建设` is 推进.
_GENERIC = {"建设"}
_LIST_GAP = re.compile(r"、|和|及|与|以及")

_LEAD_FIRST = re.compile(
    r"(?:列|排|排列|排名|位列)(?:在|于)?(?:第一位?|首位|第1位|最前)(?:的|者)?(?:单位|部门)?(?:为|是)"
    r"(?:牵头|主要负责|责任牵头)")


def states_lead_first(sentences: Iterable[str]) -> bool:
    """Whether a document says that the first unit of each list leads (列第一位者为牵头单位)."""
    return any(_LEAD_FIRST.search(s) for s in sentences)


def _task_text(text: str, offices: list[dict]) -> str:
    """The sentence without the bracketed note that holds its offices: `…产业发展。（工信部等负责）`."""
    first, last = offices[0]["start"], offices[-1]["end"]
    open_at = max(text.rfind("（", 0, first), text.rfind("(", 0, first))
    if open_at < 0:
        return text.strip()
    close = min((i for i in (text.find("）", last), text.find(")", last)) if i >= 0), default=-1)
    if close < 0:
        return text.strip()
    return (text[:open_at] + text[close + 1:]).strip()


def assignments(text: str, entities: list[dict], lead_first: bool = False) -> list[dict]:
    """Zero or one assignment record for a sentence: its LEAD_OFFICE entities, in order."""
    offices = sorted((e for e in entities if e["label"] == "LEAD_OFFICE"), key=lambda e: e["start"])
    if not offices:
        return []
    leads = [(k == 0) if lead_first else None for k in range(len(offices))]
    return [{"offices": [{**plain_entity(e), "lead": lead} for e, lead in zip(offices, leads)],
             "task": _task_text(text, offices), "lead_first": lead_first}]


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    lo = start
    while lo > 0 and text[lo - 1] not in _CLAUSE_END:
        lo -= 1
    hi = end
    while hi < len(text) and text[hi] not in _CLAUSE_END:
        hi += 1
    return lo, hi


def _stage(text: str, project: dict, entities: list[dict]) -> tuple[str, int, int] | None:
    lo, hi = _clause_bounds(text, project["start"], project["end"])
    # a list of projects (`A、B、C项目招引建设`) shares the verb after its last name
    end = project["end"]
    for e in sorted((e for e in entities if e["label"] == "PROJECT" and e["start"] >= end), key=lambda e: e["start"]):
        if not _LIST_GAP.fullmatch(text[end:e["start"]]):
            break
        end = e["end"]
    others = [e for e in entities if e["label"] != "PROJECT"]
    nxt = min((e["start"] for e in others if e["start"] >= end), default=hi)
    after = text[end:min(hi, nxt)]
    skip = _AFTER_FILLER.match(after)
    m = _STAGE_RE.match(after, skip.end() if skip else 0)
    found_after = (m.group(0), end + m.start(), end + m.end()) if m else None
    # before the name, in its clause: the nearest verb outside other entities
    masked = list(text)
    for e in entities:
        if e is not project:
            masked[e["start"]:e["end"]] = "\u25a1" * (e["end"] - e["start"])
    before = "".join(masked[lo:project["start"]])
    found = list(_STAGE_RE.finditer(before))
    found = [m for m in found if m.group(0) not in _GENERIC] or found  # 推进…“断头路”建设…项目: 推进
    found_before = (found[-1].group(0), lo + found[-1].start(), lo + found[-1].end()) if found else None
    if found_after and (found_after[0] not in _GENERIC or not found_before):
        return found_after
    return found_before or found_after


def projects(text: str, entities: list[dict]) -> list[dict]:
    """One record per PROJECT entity: ``project`` and ``stage`` (+ ``stage_start``/``stage_end``)."""
    out = []
    for e in sorted((e for e in entities if e["label"] == "PROJECT"), key=lambda e: e["start"]):
        st = _stage(text, e, entities)
        out.append({"project": plain_entity(e), "stage": st[0] if st else None,
                    "stage_start": st[1] if st else None, "stage_end": st[2] if st else None})
    return out
