"""The Label Studio labeling config, generated from the one label schema.

Annotators read Chinese names; exports and the model need the codes. Each ``<Label>``
therefore shows the Chinese name (``value``) and carries the code as ``alias``: Label
Studio stores the alias, when set, in ``value.labels`` of every result (checked against
a real server in tests/labelstudio/test_labelstudio_browser.py), and matches imported predictions
whose labels hold the alias.

``<Relations>`` offers the schema's relations (``数值→指标``, VALUE → INDICATOR) for the gold
links that ``govner.extract.score`` reads. Label Studio cannot restrict a relation to two
labels; the scorer refuses any other pair, naming the task. Projects created before the
relations were added keep working: :func:`is_our_config` accepts their config too.
"""
from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from govner.schema import BY_CODE, LABELS, RELATIONS

FROM_NAME = "label"
TO_NAME = "text"


def label_config(relations: bool = True) -> str:
    """The XML for a character-level NER project over ``$text`` (with the relation labels)."""
    labels = "\n".join(
        f"    <Label value={quoteattr(l.zh)} alias={quoteattr(l.code)} background={quoteattr(l.colour)}"
        f" hotkey={quoteattr(l.hotkey)} hint={quoteattr(l.hint)}/>"
        for l in LABELS
    )
    rels = "\n".join(f"    <Relation value={quoteattr(r.zh)} background={quoteattr(BY_CODE[r.source].colour)}/>"
                     for r in RELATIONS)
    return (
        "<View>\n"
        f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n{labels}\n  </Labels>\n'
        + (f"  <Relations>\n{rels}\n  </Relations>\n" if relations and RELATIONS else "")
        + f'  <Text name="{TO_NAME}" value="$text" granularity="symbol"/>\n'
        "</View>\n"
    )


def is_our_config(xml: str) -> bool:
    """Whether a project's stored config is ours: the current one, or the one before relations."""
    return normalise(xml or "") in {normalise(label_config()), normalise(label_config(relations=False))}


def normalise(xml: str) -> str:
    """Whitespace-insensitive form, to compare a project's stored config with ours."""
    return re.sub(r">\s+<", "><", xml.strip())
