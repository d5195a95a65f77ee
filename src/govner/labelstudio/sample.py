"""Choosing which sentences of the extra reports get annotated.

Every sentence that assigns responsibility is kept (LEAD_OFFICE is rare elsewhere), plus a
seeded random share of the rest of every document, so each document contributes and the
choice is reproducible: same inputs and seed, same sample.
"""
from __future__ import annotations

import random
import re
from collections import defaultdict

RESPONSIBILITY_RE = re.compile(r"牵头|责任单位|负责|推进单位|配合单位")
DEFAULT_SEED = 20261123
DEFAULT_SHARE = 0.56


def sample_records(records: list[dict], share: float = DEFAULT_SHARE, seed: int = DEFAULT_SEED) -> list[dict]:
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_doc[r["doc_id"]].append(r)
    chosen: list[dict] = []
    for doc_id in sorted(by_doc):
        rng = random.Random(f"{seed}:{doc_id}")  # per document: adding a report changes no other sample
        for r in by_doc[doc_id]:
            if RESPONSIBILITY_RE.search(r["text"]) or rng.random() < share:
                chosen.append(r)
    return chosen
