"""Assigning whole documents to train/dev/test.

The assignment is made once, before training and pretraining, and then kept: the pretraining
corpus excludes the dev/test documents by name, so re-splitting would leak them. Rerun it
(scripts/make_splits.py) only for a new corpus.

Sentences of one document never straddle two splits (they share phrasing, so that would
leak). Among seeded random assignments, the one closest to the target sentence shares is
kept, subject to every split holding documents with LEAD_OFFICE and PROJECT entities and
documents of every kind (seed town reports, provincial reports, task documents), so dev and
test measure generalisation to unseen documents rather than the seeds' phrasing.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class DocStats:
    doc_id: str
    sentences: int
    labels: dict[str, int]  # entities per label
    kind: str  # a coarse document family, spread over splits


def doc_kind(doc_id: str) -> str:
    if doc_id[:3].isdigit():
        return "seed"
    if "gov-work-report" in doc_id:
        return "provincial"
    return "task-document"


def assign_splits(docs: list[DocStats], shares=(0.70, 0.15, 0.15), seed: int = 13,
                  tries: int = 20000, required=("LEAD_OFFICE", "PROJECT")) -> dict[str, list[str]]:
    rng = random.Random(seed)
    total = sum(d.sentences for d in docs)
    kinds = {d.kind for d in docs}
    best, best_cost = None, float("inf")
    for _ in range(tries):
        order = docs[:]
        rng.shuffle(order)
        assign = {s: [] for s in SPLITS}
        for d in order:  # greedy fill toward the target shares
            need = {s: shares[i] * total - sum(x.sentences for x in assign[s]) for i, s in enumerate(SPLITS)}
            assign[max(need, key=need.get)].append(d)
        ok = all(any(d.labels.get(lab, 0) for d in assign[s]) for s in SPLITS for lab in required)
        ok = ok and all({d.kind for d in assign[s]} == kinds for s in ("dev", "test"))
        if not ok:
            continue
        cost = sum(abs(sum(d.sentences for d in assign[s]) / total - shares[i]) for i, s in enumerate(SPLITS))
        if cost < best_cost:
            best, best_cost = assign, cost
    if best is None:
        raise ValueError("no assignment puts LEAD_OFFICE and PROJECT documents of every kind in every split")
    return {s: sorted(d.doc_id for d in best[s]) for s in SPLITS}
