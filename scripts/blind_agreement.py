#!/usr/bin/env python
"""Build annotations/agreement/blind-sample.json: the blind 10% sample with two annotations per
task (annotator-1: the first pass, annotator-2: the blind re-annotation), in Label Studio export
JSON, so `govner.labelstudio.convert.agreement` (the same code `govner ls pull` uses) scores it.

usage: python scripts/blind_agreement.py FIRST_PASS_TSV... --blind BLIND_TSV
"""
import argparse
import sys

from govner.labelstudio.corpus import build_task, write_corpus_file
from govner.fileio import read_jsonl
from govner.labelstudio.inline import from_inline
from govner.labelstudio.convert import agreement

ap = argparse.ArgumentParser()
ap.add_argument("first", nargs="+")
ap.add_argument("--blind", required=True)
ap.add_argument("--sentences", nargs="+", default=["data/seed_sentences.jsonl", "data/extra_sample.jsonl"])
ap.add_argument("--out", default="annotations/agreement/blind-sample.json")
a = ap.parse_args()


def read_tsv(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        if line.strip():
            doc_id, idx, marked = line.rstrip("\n").split("\t")
            out[(doc_id, int(idx))] = marked
    return out


records = {(r["doc_id"], int(r["sent_idx"])): r for p in a.sentences for r in read_jsonl(p)}
first = {k: v for p in a.first for k, v in read_tsv(p).items()}
tasks = []
for key, marked in read_tsv(a.blind).items():
    rec = records[key]
    t = build_task(rec, from_inline(first[key], rec["text"])[1], "annotator-1", "2026-11-23T10:50:00Z")
    t2 = build_task(rec, from_inline(marked, rec["text"])[1], "annotator-2", "2026-11-23T10:55:00Z")
    t2["annotations"][0]["id"] += 1
    t["annotations"].append(t2["annotations"][0])
    tasks.append(t)
write_corpus_file(a.out, tasks)
scores, n = agreement(tasks)
print(f"{n} tasks; " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items() if v is not None), file=sys.stderr)
