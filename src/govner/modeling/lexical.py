"""jieba word boundaries and part of speech as a per-token model input (``model.word_features``).

Why: WordPiece gives the model characters; entity edges in these reports are word edges
(``体育总局``, ``一般公共预算收入``), and the part of speech says what kind of thing a span is
(``m``/``q`` numbers and measure words for VALUE, ``nt`` organisations for LEAD_OFFICE,
``ns`` places that open project names). A small encoder trained on 2,882 sentences learns
these from the characters only by memorising them; given as a feature they might carry over
to reports it has never seen. Measured so far: no gain (with rule features, dev micro F1
0.815 with word features against 0.822 without), so ``configs/default.yaml`` leaves it off.

Each token gets one id: the part of speech of the jieba word its first character falls in
(coarsened to :data:`WORD_POS`) times its position in that word (B, M, E or S). Words come
from ``jieba.cut`` and their tags from jieba's dictionary (``posseg``'s table, without its
HMM pass, which is 6x slower and decides only unknown words); a word jieba does not know
is tagged by its shape (number, Latin) or ``unk``.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Sequence

#: coarse jieba POS classes kept apart; any other tag falls back to its first letter, then "unk"
WORD_POS: tuple[str, ...] = ("n", "nr", "ns", "nt", "nz", "ng", "v", "vn", "a", "ad", "an", "b", "c", "d", "f",
                             "i", "j", "l", "m", "mq", "p", "q", "r", "s", "t", "u", "z", "x", "num", "eng", "unk")
_POS_INDEX = {p: i for i, p in enumerate(WORD_POS)}
_BMES = 4
#: one id per (pos, position-in-word), plus one for "no word information" ([CLS], [SEP], padding)
NUM_WORD_TAGS = len(WORD_POS) * _BMES + 1
WORD_NONE = NUM_WORD_TAGS - 1

_NUMBER = re.compile(r"^[0-9０-９.．%％]+$")
_LATIN = re.compile(r"^[A-Za-zＡ-Ｚａ-ｚ]+")


@lru_cache(maxsize=1)
def _jieba():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba, jieba.posseg.dt.word_tag_tab


def word_pos(word: str, table: dict[str, str]) -> str:
    tag = table.get(word)
    if tag is None:
        if _NUMBER.match(word):
            return "num"
        if _LATIN.match(word):
            return "eng"
        return "x" if not word.strip() or all(not ch.isalnum() for ch in word) else "unk"
    if tag in _POS_INDEX:
        return tag
    return tag[0] if tag[0] in _POS_INDEX else "unk"


def char_word_tags(text: str) -> list[int]:
    """One id per character of ``text`` (see the module doc)."""
    jieba, table = _jieba()
    out: list[int] = []
    for word in jieba.cut(text):
        base = _POS_INDEX[word_pos(word, table)] * _BMES
        n = len(word)
        out += [base + 3] if n == 1 else [base] + [base + 1] * (n - 2) + [base + 2]
    if len(out) != len(text):  # jieba drops nothing, but the features must never shift
        raise AssertionError(f"jieba returned {len(out)} characters for a text of {len(text)}")
    return out


def token_word_tags(text: str, token_spans: Sequence[tuple[int, int]]) -> list[int]:
    """Each token's id: the id of its first character (tokens are spans of ``text``)."""
    chars = char_word_tags(text)
    return [chars[s] if s < len(chars) else WORD_NONE for s, _ in token_spans]
