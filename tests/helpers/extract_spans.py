"""Entities written out by hand for the govner.extract tests: (fragment, label letter) pairs."""
from __future__ import annotations

LABEL = {"I": "INDICATOR", "V": "VALUE", "P": "PROJECT", "O": "LEAD_OFFICE"}


def ents(text: str, spec: list[tuple[str, str]]) -> list[dict]:
    """Entities from (fragment, label letter) pairs, each fragment found after the previous one."""
    out, pos = [], 0
    for frag, lab in spec:
        s = text.index(frag, pos)
        out.append({"start": s, "end": s + len(frag), "label": LABEL[lab], "text": frag})
        pos = s + len(frag)
    return out


#: A real sentence (extra report yunnan_2026, sentence 27) with its entities, for the scoring tests.
YUNNAN_TEXT = "营商环境向优向好，实有经营主体688.3万户，其中企业162.5万户、增长1.1倍，民营经济增加值突破1.7万亿元、撑起“半壁江山”。"
YUNNAN_SPANS = [("实有经营主体", "I"), ("688.3万户", "V"), ("企业", "I"), ("162.5万户", "V"), ("增长1.1倍", "V"),
                ("民营经济增加值", "I"), ("1.7万亿元", "V")]
