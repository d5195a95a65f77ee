"""Sentence splitting for Chinese government documents.

A sentence is the unit of annotation, so boundaries must be stable and sensible:
- ends at 。！？ (and !? and a sentence-final ASCII `.`), ellipses and line breaks;
- never inside “”‘’《》（）()【】, at decimals (`1.2亿元`) or list markers (`1.`, `(一)`, `一、`);
- a list-marker heading (`(一)…。`, `1.构建现代产业体系。`) starts a sentence of its own, also
  in pages whose paragraphs were flattened onto one line and joined by spaces;
- a parenthetical right after a sentence end, like `(工业商贸办、农业农村办牵头负责)`, stays
  with the sentence before it: it assigns that sentence's task;
- a sentence over ``max_len`` characters is split further at ；/; (greedily, so pieces keep
  as much context as the limit allows);
- a piece still over ``hard_max`` characters (``4 * max_len`` by default: a line pasted
  without punctuation, a table flattened into one line) is cut at ，/, then 、 then spaces,
  and as a last resort every ``max_len`` characters. The caller hears of each such cut
  (``on_forced``), so ``govner prepare`` can warn with the file and line. The bound is far
  above the longest sentence of any real report (501 characters), so ordinary sentences
  are never cut at a comma.
Offsets are returned, not strings, so callers can always trace a sentence to its document.
Every step is linear in the text's length: one 200,000-character line splits in
milliseconds.
"""
from __future__ import annotations

import re
from typing import Callable

OPENERS = {"“": "”", "‘": "’", "《": "》", "（": "）", "(": ")", "【": "】", "「": "」", "『": "』", "〔": "〕"}
CLOSERS = {v: k for k, v in OPENERS.items()}
TERMINATORS = "。！？!?"
SEMICOLONS = "；;"
# A heading marker at a sentence start: (一) （一） 一、 1. 1、 (1) ①
HEADING_RE = re.compile(
    r"(?:[(（][一二三四五六七八九十]{1,3}[)）]|[一二三四五六七八九十]{1,3}、|\d{1,2}[.、．](?!\d)|[(（]\d{1,2}[)）]|[①-⑳])")
ABBREVIATIONS = ("No.", "etc.", "e.g.", "i.e.", "vs.", "Mr.", "Dr.", "St.")
#: cut points for pieces over ``hard_max``, tried in order (then a cut every ``max_len``)
FALLBACK_CUTS = ("，,", "、", " ")

#: told (start, end, how) of each over-long piece that had to be cut without a ；
ForcedCut = Callable[[int, int, str], None]
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[\w\u3400-\u9fff]")


def _is_cjk(ch: str) -> bool:
    return bool(ch) and bool(_CJK.match(ch))


def _ascii_period_ends(text: str, i: int) -> bool:
    """An ASCII `.` ends a sentence only before whitespace/end, and not after a list number or abbreviation."""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if nxt and not nxt.isspace():
        return False
    if _bare_list_number(text, i):
        return False
    return not any(text.endswith(a, 0, i + 1) for a in ABBREVIATIONS)


def _bare_list_number(text: str, i: int) -> bool:
    """Whether ``text[i]`` (a `.`) ends 1-3 digits that are alone on their line so far (`3.`).

    Walks back from ``i`` only over those digits and blanks, never over the whole line.
    """
    j = i
    while j > 0 and i - j < 4 and text[j - 1].isdigit():
        j -= 1
    if not 1 <= i - j <= 3:
        return False
    while j > 0 and text[j - 1] in " \t\r\f\v":
        j -= 1
    return j == 0 or text[j - 1] == "\n"


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
    return _pack(cuts, start, end, max_len)


def _pack(cuts: list[int], start: int, end: int, max_len: int) -> list[tuple[int, int]]:
    """Greedy pieces of at most ``max_len`` ending at cut points; a longer clause stays whole."""
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


def _force(text: str, start: int, end: int, max_len: int, hard_max: int, level: int = 0) -> list[tuple[int, int]]:
    """Cut a piece over ``hard_max`` at the ``level``-th fallback marks, recursing on what stays too long."""
    if level == len(FALLBACK_CUTS):
        return [(k, min(k + max_len, end)) for k in range(start, end, max_len)]
    marks = FALLBACK_CUTS[level]
    cuts = [k + 1 for k in range(start, end - 1) if text[k] in marks]
    out = []
    for s, e in _pack(cuts, start, end, max_len):
        out += _force(text, s, e, max_len, hard_max, level + 1) if e - s > hard_max else [(s, e)]
    return out


_FORCED_HOW = "cut at ，, then 、, then spaces, then every {max_len} characters"


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def split_sentences(text: str, max_len: int = 150, hard_max: int | None = None,
                    on_forced: ForcedCut | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``, in order, whitespace-trimmed.

    A fragment with no word character (a stray closing quote) is merged into the sentence
    before it, so the sentences always rebuild the text up to whitespace. ``on_forced`` is
    called for each piece over ``hard_max`` (default ``4 * max_len``) that had to be cut
    without a ；.
    """
    if max_len < 10:
        raise ValueError(f"max_len must be at least 10, got {max_len}")
    hard_max = 4 * max_len if hard_max is None else hard_max
    if hard_max < max_len:
        raise ValueError(f"hard_max must be at least max_len ({max_len}), got {hard_max}")
    out: list[tuple[int, int]] = []
    for s, e in _raw_segments(text):
        pieces = []
        for ps, pe in _split_long(text, s, e, max_len):
            if pe - ps > hard_max:
                if on_forced is not None:
                    on_forced(ps, pe, _FORCED_HOW.format(max_len=max_len))
                pieces += _force(text, ps, pe, max_len, hard_max)
            else:
                pieces.append((ps, pe))
        for ps, pe in pieces:
            ps, pe = _trim(text, ps, pe)
            if ps >= pe:
                continue
            if out and not _WORD.search(text, ps, pe):
                out[-1] = (out[-1][0], pe)
                continue
            out.append((ps, pe))
    return out
