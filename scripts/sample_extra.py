#!/usr/bin/env python
"""Prepare ../shared/reports/extra and write the annotation sample (seeded, reproducible).

usage: python scripts/sample_extra.py [--out data/extra_sample.jsonl] [--share 0.56] [--seed 20261123]
"""
import argparse
import glob
import sys

from govner.fileio import atomic_write_jsonl
from govner.text.prepare import prepare
from govner.labelstudio.sample import DEFAULT_SEED, DEFAULT_SHARE, sample_records

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--extra", default="../shared/reports/extra")
ap.add_argument("--out", default="data/extra_sample.jsonl")
ap.add_argument("--share", type=float, default=DEFAULT_SHARE)
ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
a = ap.parse_args()
paths = sorted(glob.glob(f"{a.extra}/*.txt") + glob.glob(f"{a.extra}/*.html"))
_, records, stats = prepare(paths)
chosen = sample_records(records, a.share, a.seed)
atomic_write_jsonl(a.out, chosen)
print(f"{len(chosen)} of {stats.sentences} sentences from {len({r['doc_id'] for r in chosen})} documents -> {a.out}",
      file=sys.stderr)
