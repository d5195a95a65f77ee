#!/usr/bin/env python
"""Where the model and the rules part ways on a split: which errors of the rules the model fixes
and which it introduces, per label, with examples (for the model card).

    python scripts/model_vs_rules.py --model outputs/default --split dev [--examples 12]

An entity is "fixed" when the gold annotation has it, the model finds it and the rules do not
(or the rules predict an entity the gold lacks and the model does not); "broken" the other way.
"""
from __future__ import annotations

import argparse
import collections
import random

from govner import Predictor
from govner.training.data import load_examples, split_examples
from govner.rules.tagger import rule_entities
from govner.schema import LABEL_CODES

ap = argparse.ArgumentParser()
ap.add_argument("--model", required=True)
ap.add_argument("--data", nargs="+", default=["annotations/*.json"])
ap.add_argument("--splits", default="annotations/splits.yaml")
ap.add_argument("--split", default="dev")
ap.add_argument("--examples", type=int, default=12)
ap.add_argument("--seed", type=int, default=0)
a = ap.parse_args()

examples = split_examples(load_examples(a.data), a.splits)[a.split]
predictor = Predictor.from_pretrained(a.model, device="cpu")
preds = predictor.predict([ex.text for ex in examples], batch_size=64)
counts = {k: collections.Counter() for k in ("fixed_missed", "fixed_spurious", "broke_found", "broke_clean")}
rows = []
for ex, pred in zip(examples, preds):
    gold = {(s, e, lab) for s, e, lab in ex.spans}
    model = {(p["start"], p["end"], p["label"]) for p in pred}
    rules = {(r["start"], r["end"], r["label"]) for r in rule_entities(ex.text)}
    for ent in gold:
        if ent in model and ent not in rules:
            counts["fixed_missed"][ent[2]] += 1
            rules_there = [ex.text[r[0]:r[1]] + "/" + r[2] for r in rules if r[0] < ent[1] and ent[0] < r[1]]
            rows.append((ent[2], "rules miss it" + (f" (rules: {', '.join(rules_there)})" if rules_there else ""),
                         ex.text[ent[0]:ent[1]], ex.doc_id, ex.text))
        elif ent in rules and ent not in model:
            counts["broke_found"][ent[2]] += 1
    for ent in rules - gold:
        if ent not in model:
            counts["fixed_spurious"][ent[2]] += 1
            rows.append((ent[2], "rules' spurious span dropped", ex.text[ent[0]:ent[1]], ex.doc_id, ex.text))
    for ent in model - gold:
        if ent not in rules:
            counts["broke_clean"][ent[2]] += 1

print(f"## Model vs rules on {a.split} ({len(examples)} sentences): entities per label\n")
print("| label | gold found by the model, missed by the rules | rules' spurious spans the model drops "
      "| gold found by the rules, missed by the model | model's spurious spans the rules avoid |")
print("|---|---:|---:|---:|---:|")
for lab in LABEL_CODES:
    print(f"| {lab} | {counts['fixed_missed'][lab]} | {counts['fixed_spurious'][lab]} | "
          f"{counts['broke_found'][lab]} | {counts['broke_clean'][lab]} |")
random.Random(a.seed).shuffle(rows)
print(f"\n## Examples of errors of the rules that the model fixes ({a.split}, seeded sample)\n")
print("| label | what | span | document | sentence |")
print("|---|---|---|---|---|")
for lab, what, span, doc, text in rows[:a.examples]:
    print(f"| {lab} | {what} | {span} | {doc} | {text[:70]}{'…' if len(text) > 70 else ''} |")
