"""The one label schema.

Everything that names a label (Label Studio XML, BIO tags, colours, hotkeys, the docs
tables, the rule pre-labeller, the model's ``id2label``) is derived from ``LABELS`` so
that the annotation guide, the annotations and the model can never drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict


@dataclass(frozen=True)
class Label:
    code: str  # stored in exports and used by the model
    zh: str  # shown to annotators
    colour: str
    hotkey: str
    hint: str  # the guide's one-line definition


LABELS: tuple[Label, ...] = (
    Label("INDICATOR", "指标", "#1f77b4", "1",
          "the name of a measurable quantity whose level, change or target is stated"),
    Label("VALUE", "数值", "#d62728", "2",
          "the number that gives that level, change, target or amount, with unit and qualifiers"),
    Label("PROJECT", "项目", "#2ca02c", "3",
          "a specific, named project, engineering work or facility to be built or advanced"),
    Label("LEAD_OFFICE", "牵头单位", "#9467bd", "4",
          "a government unit assigned responsibility for a task"),
)

LABEL_CODES: tuple[str, ...] = tuple(l.code for l in LABELS)
BY_CODE: dict[str, Label] = {l.code: l for l in LABELS}
BY_ZH: dict[str, Label] = {l.zh: l for l in LABELS}


@dataclass(frozen=True)
class Relation:
    """A link annotators draw between two spans (Label Studio ``<Relation>``)."""
    code: str
    zh: str  # shown to annotators and stored in the relation's ``labels``
    source: str  # label code the arrow starts at
    target: str  # label code the arrow points to
    hint: str


#: Gold links for ``govner.extract``: each VALUE to the INDICATOR(s) whose quantity it states.
RELATIONS: tuple[Relation, ...] = (
    Relation("MEASURES", "数值→指标", "VALUE", "INDICATOR",
             "from a VALUE to each INDICATOR whose level, change or target it states"),
)

#: BIO tags in a fixed order: O first, then B-/I- per label in schema order.
BIO_TAGS: tuple[str, ...] = ("O",) + tuple(f"{p}-{c}" for c in LABEL_CODES for p in ("B", "I"))
TAG2ID: dict[str, int] = {t: i for i, t in enumerate(BIO_TAGS)}
ID2TAG: dict[int, str] = {i: t for t, i in TAG2ID.items()}


class Entity(TypedDict):
    start: int
    end: int
    label: str
    text: str
    score: float


def make_entity(text: str, start: int, end: int, label: str, score: float = 1.0) -> Entity:
    """Build an entity and enforce the invariant ``text == source[start:end]`` at birth."""
    if label not in BY_CODE:
        raise ValueError(f"unknown label {label!r}; known: {', '.join(LABEL_CODES)}")
    if not (0 <= start < end <= len(text)):
        raise ValueError(f"bad span [{start}, {end}) for a text of length {len(text)}")
    return Entity(start=start, end=end, label=label, text=text[start:end], score=float(score))


def markdown_table() -> str:
    """The label table for docs, generated so README and guide tables cannot drift."""
    rows = ["| code | 中文 | colour | hotkey | what it marks |", "|---|---|---|---|---|"]
    rows += [f"| `{l.code}` | {l.zh} | {l.colour} | {l.hotkey} | {l.hint} |" for l in LABELS]
    return "\n".join(rows)
