"""A compact review format for annotators working in a text editor.

`[财政总收入](INDICATOR)增长[10%](VALUE)` reads like the sentence itself, so a reviewer
sees every span in context. Converting back computes the offsets and refuses any change
to the underlying text: a reviewer can move, add and drop marks, never edit the sentence.
"""
from __future__ import annotations

import re

from govner.errors import GovnerError
from govner.schema import LABEL_CODES

MARK_RE = re.compile(r"\[([^\[\]\n]+?)\]\((%s)\)" % "|".join(LABEL_CODES))


def to_inline(text: str, spans: list[dict]) -> str:
    """Spans ({start, end, label}) over ``text`` -> marked text. Spans must not overlap."""
    out, pos = [], 0
    for sp in sorted(spans, key=lambda s: s["start"]):
        if sp["start"] < pos:
            raise GovnerError(f"overlapping spans at offset {sp['start']} in {text!r}")
        out.append(text[pos:sp["start"]])
        out.append(f"[{text[sp['start']:sp['end']]}]({sp['label']})")
        pos = sp["end"]
    out.append(text[pos:])
    return "".join(out)


def from_inline(marked: str, expected_text: str | None = None, where: str = "") -> tuple[str, list[dict]]:
    """Marked text -> (plain text, spans). With ``expected_text``, any text change is an error."""
    spans, plain, pos = [], [], 0
    length = 0
    for m in MARK_RE.finditer(marked):
        before = marked[pos:m.start()]
        plain.append(before)
        length += len(before)
        inner = m.group(1)
        spans.append({"start": length, "end": length + len(inner), "label": m.group(2), "text": inner})
        plain.append(inner)
        length += len(inner)
        pos = m.end()
    plain.append(marked[pos:])
    text = "".join(plain)
    if expected_text is not None and text != expected_text:
        i = next((k for k, (a, b) in enumerate(zip(text, expected_text)) if a != b),
                 min(len(text), len(expected_text)))
        raise GovnerError(f"{where}: the marked text changes the sentence at offset {i}: "
                          f"{text[max(0, i - 10):i + 10]!r} != {expected_text[max(0, i - 10):i + 10]!r}")
    return text, spans
