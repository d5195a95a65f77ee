"""Sentence splitting for Chinese government documents.

A sentence is the unit of annotation, so boundaries must be stable and sensible:
- ends at 。！？ (and !? and a sentence-final ASCII `.`), ellipses and line breaks;
- never inside “”‘’《》（）()【】, at decimals (`1.2亿元`) or list markers (`1.`, `(一)`, `一、`);
- a list-marker heading (`(一)…。`, `1.构建现代产业体系。`) starts a sentence of its own, also
  in pages whose paragraphs were flattened onto one line and joined by spaces;
- a parenthetical right after a sentence end, like `(工业商贸办、农业农村办牵头负责)`, stays
  with the sentence before it: it assigns that sentence's task;
- a sentence over ``max_len`` characters is split further at ；/; (greedily, so pieces keep
  as much context as the limit allows).
Offsets are returned, not strings, so callers can always trace a sentence to its document.
"""
from __future__ import annotations

import re

OPENERS = {"“": "”", "‘": "’", "《": "》", "（": "）", "(": ")", "【": "】", "「": "」", "『": "』", "〔": "〕"}
CLOSERS = {v: k for k, v in OPENERS.items()}
TERMINATORS = "。！？!?"
SEMICOLONS = "；;"
# A heading marker at a sentence start: (一) （一） 一、 1. 1、 (1) ①
HEADING_RE = re.compile(
    r"(?:[(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|\d{1,2}[.、．](?!\d)|[(（]\d{1,2}[)）]|[①-⑳])")
ABBREVIATIONS = ("No.", "etc.", "e.g.", "i.e.", "vs.", "Mr.", "Dr.", "St.")
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[\w\u3400-\u9fff]")


def _is_cjk(ch: str) -> bool:
    return bool(ch) and bool(_CJK.match(ch))


def _ascii_period_ends(text: str, i: int) -> bool:
    """An ASCII `.` ends a sentence only before whitespace/end, and not after a list number or abbreviation."""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if nxt and not nxt.isspace():
        return False
    line_start = text.rfind("\n", 0, i) + 1
    before = text[line_start:i + 1].strip()
    if re.fullmatch(r"\d{1,3}\.", before):  # a bare list number
        return False
    return not any(text[:i + 1].endswith(a) for a in ABBREVIATIONS)


def _parenthetical_end(text: str, j: int) -> int | None:
    """If a bracketed group starts at j (after optional spaces), return the index after it."""
    while j < len(text) and text[j] == " ":
        j += 1
    if j >= len(text) or text[j] not in "(（":
        return None
    depth = 0
    for k in range(j, len(text)):
        ch = text[k]
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth -= 1
            if depth == 0:
                return k + 1
        elif ch == "\n":
            return None
    return None


def _heading_at(text: str, i: int) -> bool:
    m = HEADING_RE.match(text, i)
    if not m:
        return False
    nxt = text[m.end()] if m.end() < len(text) else ""
    return _is_cjk(nxt) or nxt in "“《"


def _raw_segments(text: str) -> list[tuple[int, int]]:
    segs: list[tuple[int, int]] = []
    start = 0
    stack: list[str] = []
    in_heading = _heading_at(text, 0)
    i, n = 0, len(text)

    def cut(end: int) -> None:
        nonlocal start, in_heading
        segs.append((start, end))
        start = end
        in_heading = False

    while i < n:
        ch = text[i]
        if ch == "\n":
            cut(i)
            stack.clear()
            i += 1
            start = i
            in_heading = _heading_at(text, i)
            continue
        if ch in OPENERS:
            stack.append(ch)
        elif ch in CLOSERS and stack and stack[-1] == CLOSERS[ch]:
            stack.pop()
        elif ch in CLOSERS and stack and CLOSERS[ch] in stack:  # tolerate a missed closer
            while stack and stack[-1] != CLOSERS[ch]:
                stack.pop()
            stack.pop()
        if stack:
            i += 1
            continue
        end = None
        if ch in TERMINATORS or (ch == "." and _ascii_period_ends(text, i)):
            end = i + 1
            while end < n and text[end] in TERMINATORS + "”’」』":
                end += 1
        elif text.startswith("……", i) or text.startswith("...", i):
            end = i + (2 if text[i] == "…" else 3)
            while end < n and text[end] in "…." + TERMINATORS:
                end += 1
            # an ellipsis inside a list ("等……") followed by more clause text is not an end
            if end < n and text[end] in "，,、":
                end = None
        if end is not None:
            paren = _parenthetical_end(text, end)
            if paren is not None:
                end = paren
                while end < n and text[end] in TERMINATORS:
                    end += 1
            cut(end)
            i = end
            while i < n and text[i] == " ":
                i += 1
            start = i
            in_heading = _heading_at(text, i)
            continue
        if ch in ":：" and _heading_at(text, i + 1):  # `以下五方面工作:(一)…`
            cut(i + 1)
            start = i + 1
            in_heading = True
            i += 1
            continue
        if ch == " ":
            j = i + 1
            if _heading_at(text, j) and i > start:
                cut(i)
                start = j
                in_heading = True
                i = j
                continue
            # A flattened page joins a heading and its paragraph with a space.
            if in_heading and _is_cjk(text[i - 1] if i else "") and _is_cjk(text[j] if j < n else ""):
                cut(i)
                start = j
                i = j
                continue
        i += 1
    if start < n:
        segs.append((start, n))
    return segs


def _split_long(text: str, start: int, end: int, max_len: int) -> list[tuple[int, int]]:
    if end - start <= max_len:
        return [(start, end)]
    cuts = []
    depth = 0
    for k in range(start, end):
        ch = text[k]
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS and depth:
            depth -= 1
        elif ch in SEMICOLONS and depth == 0 and k + 1 < end:
            cuts.append(k + 1)
    if not cuts:
        return [(start, end)]
    out = []
    piece_start = start
    last_ok = None
    for c in cuts + [end]:
        if c - piece_start <= max_len:
            last_ok = c
            continue
        if last_ok is not None and last_ok > piece_start:
            out.append((piece_start, last_ok))
            piece_start = last_ok
        last_ok = c if c - piece_start <= max_len else None
        if last_ok is None:  # even one clause is too long: keep it whole
            out.append((piece_start, c))
            piece_start = c
    if piece_start < end:
        out.append((piece_start, end))
    return out


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def split_sentences(text: str, max_len: int = 150) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``, in order, whitespace-trimmed.

    A fragment with no word character (a stray closing quote) is merged into the sentence
    before it, so the sentences always rebuild the text up to whitespace.
    """
    if max_len < 10:
        raise ValueError(f"max_len must be at least 10, got {max_len}")
    out: list[tuple[int, int]] = []
    for s, e in _raw_segments(text):
        for ps, pe in _split_long(text, s, e, max_len):
            ps, pe = _trim(text, ps, pe)
            if ps >= pe:
                continue
            if out and not _WORD.search(text[ps:pe]):
                out[-1] = (out[-1][0], pe)
                continue
            out.append((ps, pe))
    return out
