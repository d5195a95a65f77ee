#!/usr/bin/env python
"""Print the corpus tables for annotations/README.md (documents, sentences, entities per label
and split, blind agreement). Usage: python scripts/corpus_report.py [--blind FILE.json]"""
import argparse
import collections
import json

from govner.data import load_examples, read_splits
from govner.labelstudio.convert import agreement
from govner.schema import LABEL_CODES

ap = argparse.ArgumentParser()
ap.add_argument("--blind", default="annotations/agreement/blind-sample.json")
a = ap.parse_args()
examples = load_examples(["annotations/*.json"])
owner = read_splits("annotations/splits.yaml")
rows = collections.defaultdict(lambda: collections.Counter())
docs = collections.defaultdict(set)
for ex in examples:
    s = owner.get(ex.doc_id, "none")
    for key in (s, "all"):
        rows[key]["sentences"] += 1
        rows[key]["empty"] += not ex.spans
        docs[key].add(ex.doc_id)
        for _, _, lab in ex.spans:
            rows[key][lab] += 1
print("| split | documents | sentences | without entities | " + " | ".join(LABEL_CODES) + " |")
print("|---|---|---|---|" + "---|" * len(LABEL_CODES))
for s in ("train", "dev", "test", "all"):
    r = rows[s]
    print(f"| {s} | {len(docs[s])} | {r['sentences']} | {r['empty']} | " + " | ".join(str(r[l]) for l in LABEL_CODES) + " |")
try:
    tasks = json.load(open(a.blind, encoding="utf-8"))
except FileNotFoundError:
    tasks = None
if tasks:
    scores, n = agreement(tasks)
    print(f"\nBlind re-annotation agreement on {n} sentences (entity-level F1, exact spans):\n")
    print("| " + " | ".join(LABEL_CODES) + " | all |")
    print("|" + "---|" * (len(LABEL_CODES) + 1))
    print("| " + " | ".join("–" if scores[l] is None else f"{scores[l]:.3f}" for l in LABEL_CODES + ("ALL",)) + " |")
