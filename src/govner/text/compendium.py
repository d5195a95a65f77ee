"""Splitting a compendium (汇编) of reports into its documents.

Seed 004 is a web page holding a table of contents of 19 town reports followed by the
reports themselves. The split is read off the text's own structure: a run of TOC lines
`[N.] TITLE PAGE` names the documents, and a later line equal to a TOC title starts each
one. Titles listed in the TOC but absent from the body (a paywalled preview shows only
the first few) are reported, not invented.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# `6.浦阳镇人民政府2023年政府工作报告 83` or `横沥镇2023年政府工作报告 2`.
TOC_LINE_RE = re.compile(r"^(?:\d{1,3}[.、．]\s*)?(?P<title>\S.{1,40}?(?:报告|工作计划|规划|方案))\s+(?P<page>\d{1,4})$")
TOC_NUMBER_ONLY_RE = re.compile(r"^\d{1,3}[.、．]$")
# Greedy up to the year, so `六镇镇2023年…` names 六镇镇, not 六镇.
PLACE_RE = re.compile(r"^(?P<place>.+(?:镇|乡|街道|区|县|市|省|自治区))(?:人民政府)?\d{4}年")
MIN_TOC_ENTRIES = 3


@dataclass
class Part:
    title: str
    name: str  # the place the part is about, used in its doc id
    start_line: int  # line index of the title in the compendium text
    end_line: int  # exclusive


@dataclass
class Compendium:
    toc: list[str]
    parts: list[Part]
    missing: list[str]  # TOC titles with no body in the text


def _place(title: str) -> str:
    m = PLACE_RE.match(title)
    return m.group("place") if m else title


def find_compendium(lines: list[str]) -> Compendium | None:
    toc: list[str] = []
    toc_end = -1
    for i, line in enumerate(lines):
        m = TOC_LINE_RE.match(line.strip())
        if m:
            toc.append(m.group("title").strip())
            toc_end = i
        elif toc and not TOC_NUMBER_ONLY_RE.match(line.strip()) and i - toc_end > 2:
            if len(toc) >= MIN_TOC_ENTRIES:
                break
            toc, toc_end = [], -1
    if len(toc) < MIN_TOC_ENTRIES:
        return None
    wanted = set(toc)
    starts = [(i, line.strip()) for i, line in enumerate(lines) if i > toc_end and line.strip() in wanted]
    seen: set[str] = set()
    heads = []
    for i, title in starts:
        if title not in seen:
            seen.add(title)
            heads.append((i, title))
    if not heads:
        return None
    parts = []
    for k, (i, title) in enumerate(heads):
        end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
        parts.append(Part(title=title, name=_place(title), start_line=i, end_line=end))
    missing = [t for t in toc if t not in seen]
    return Compendium(toc=toc, parts=parts, missing=missing)
