"""The Label Studio labeling config, generated from the one label schema.

Annotators read Chinese names; exports and the model need the codes. Each ``<Label>``
therefore shows the Chinese name (``value``) and carries the code as ``alias``: Label
Studio stores the alias, when set, in ``value.labels`` of every result (checked against
a real server in tests/test_labelstudio_browser.py), and matches imported predictions
whose labels hold the alias.
"""
from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from govner.schema import LABELS

FROM_NAME = "label"
TO_NAME = "text"


def label_config() -> str:
    """The XML for a character-level NER project over ``$text``."""
    labels = "\n".join(
        f"    <Label value={quoteattr(l.zh)} alias={quoteattr(l.code)} background={quoteattr(l.colour)}"
        f" hotkey={quoteattr(l.hotkey)} hint={quoteattr(l.hint)}/>"
        for l in LABELS
    )
    return (
        "<View>\n"
        f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">\n{labels}\n  </Labels>\n'
        f'  <Text name="{TO_NAME}" value="$text" granularity="symbol"/>\n'
        "</View>\n"
    )


def normalise(xml: str) -> str:
    """Whitespace-insensitive form, to compare a project's stored config with ours."""
    return re.sub(r">\s+<", "><", xml.strip())
