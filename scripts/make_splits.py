#!/usr/bin/env python
"""Write annotations/splits.yaml: whole documents to train/dev/test (see govner.training.splits)."""
import collections
import sys

import yaml

from govner.training.data import load_examples
from govner.fileio import atomic_write_text
from govner.training.splits import DocStats, assign_splits, doc_kind

examples = load_examples(["annotations/*.json"])
sents = collections.Counter(ex.doc_id for ex in examples)
labels = collections.defaultdict(collections.Counter)
for ex in examples:
    for _, _, lab in ex.spans:
        labels[ex.doc_id][lab] += 1
docs = [DocStats(d, n, dict(labels[d]), doc_kind(d)) for d, n in sorted(sents.items())]
splits = assign_splits(docs)
header = ("# Whole documents per split (never one document in two); written by scripts/make_splits.py\n"
          "# (seeded search in govner.training.splits: ~70/15/15 by sentences, LEAD_OFFICE and PROJECT documents\n"
          "# and every document kind in dev and test).\n")
atomic_write_text("annotations/splits.yaml", header + yaml.safe_dump(splits, allow_unicode=True, sort_keys=False))
for s, ds in splits.items():
    print(s, sum(sents[d] for d in ds), "sentences", len(ds), "documents", file=sys.stderr)
