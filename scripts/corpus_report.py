#!/usr/bin/env python
"""Print the corpus tables for annotations/README.md (documents, sentences, entities per label
and split, blind agreement). Usage: python scripts/corpus_report.py [--blind FILE.json]"""
import argparse
import collections
import json

from govner.training.data import load_examples, read_splits
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

# How each document was made: the ground-truth annotation's maker per sentence
# (v1 annotators = corrected from the rules' pre-labels in corpus v1; corpus-v2:A = first pass
# from the plain sentence; :R = settled against the rules where they differed; :D = adjudicated
# between two independent passes), and how many sentences carry a second, independent pass.
import glob  # noqa: E402

from govner.labelstudio.convert import choose_annotation  # noqa: E402

print("\n| document | split | sentences | v1 (from rule pre-labels) | v2 first pass | v2 settled vs rules | v2 adjudicated | second independent pass |")
print("|---|---|---|---|---|---|---|---|")
for path in sorted(glob.glob("annotations/*.json")):
    tasks = json.load(open(path, encoding="utf-8"))
    made = collections.Counter()
    second = 0
    for t in tasks:
        who = str(choose_annotation(t).get("completed_by"))
        made[who.split(":")[-1] if who.startswith("corpus-v2:") else "v1"] += 1
        second += any(str(x.get("completed_by")) in ("corpus-v2:B", "corpus-v2:C") for x in t["annotations"])
    d = tasks[0]["data"]["doc_id"]
    print(f"| {d} | {owner.get(d, '-')} | {len(tasks)} | {made['v1']} | {made['A']} | {made['R']} | {made['D']} | {second} |")
