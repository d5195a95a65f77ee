#!/usr/bin/env python
"""Annotation batches in the inline review format, and building annotations/ from them.

  make:  sentences (JSONL) -> BATCH_DIR/bNN.tsv, one line per sentence:
         doc_id <TAB> sent_idx <TAB> rule-pre-labelled inline text
  check: validate one reviewed file (text unchanged, spans by the guide's edge/overlap rules)
  build: BATCH_DIR/bNN.reviewed.tsv -> annotations/<doc_id>.json (Label Studio export JSON);
         refuses any change to a sentence's text and any sentence left unreviewed.
"""
import argparse
import collections
import json
import sys
import time
from pathlib import Path

from govner.labelstudio.corpus import build_task, write_corpus_file
from govner.errors import GovnerError
from govner.fileio import read_jsonl
from govner.labelstudio.inline import from_inline, to_inline
from govner.rules.tagger import RULES_VERSION, rule_entities

ap = argparse.ArgumentParser()
ap.add_argument("action", choices=["make", "check", "build"])
ap.add_argument("--file", help="the reviewed file, for check")
ap.add_argument("--sentences", nargs="+", default=["data/seed_sentences.jsonl", "data/extra_sample.jsonl"])
ap.add_argument("--batch-dir", default="../annot/batches")
ap.add_argument("--batches", type=int, default=5)
ap.add_argument("--out-dir", default="annotations")
ap.add_argument("--annotator", default="annotator-1")
a = ap.parse_args()

records = [r for p in a.sentences for r in read_jsonl(p)]
bdir = Path(a.batch_dir)

if a.action == "make":
    bdir.mkdir(parents=True, exist_ok=True)
    by_doc = collections.defaultdict(list)
    for r in records:
        by_doc[r["doc_id"]].append(r)
    # whole documents per batch (context), balanced greedily by sentence count
    loads = [[] for _ in range(a.batches)]
    for doc_id in sorted(by_doc, key=lambda d: -len(by_doc[d])):
        min(loads, key=lambda l: sum(len(by_doc[d]) for d in l)).append(doc_id)
    for i, docs in enumerate(loads):
        lines = [f"{r['doc_id']}\t{r['sent_idx']}\t{to_inline(r['text'], rule_entities(r['text']))}"
                 for d in sorted(docs) for r in by_doc[d]]
        (bdir / f"b{i:02d}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"b{i:02d}.tsv: {len(lines)} sentences, {len(docs)} documents", file=sys.stderr)
    sys.exit(0)

by_key = {(r["doc_id"], int(r["sent_idx"])): r for r in records}
reviewed = {}
errors = []
files = [Path(a.file)] if a.action == "check" else sorted(bdir.glob("b*.reviewed.tsv"))
for path in files:
    for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            errors.append(f"{path}:{lineno}: expected 3 tab-separated fields, got {len(parts)}")
            continue
        key = (parts[0], int(parts[1]))
        if key not in by_key:
            errors.append(f"{path}:{lineno}: unknown sentence {key}")
            continue
        try:
            _, spans = from_inline(parts[2], by_key[key]["text"], where=f"{path}:{lineno}")
        except GovnerError as exc:
            errors.append(str(exc))
            continue
        reviewed[key] = spans
if a.action == "check":
    from govner.rules.validate import validate_tasks

    tasks = [build_task(by_key[k], v, "check", "") for k, v in reviewed.items()]
    errors += validate_tasks(tasks, a.file)
    for e in errors:
        print(e)
    print(f"{len(reviewed)} sentences read, {len(errors)} errors", file=sys.stderr)
    sys.exit(1 if errors else 0)
missing = [k for k in by_key if k not in reviewed]
if errors or missing:
    for e in errors[:50]:
        print(e, file=sys.stderr)
    print(f"{len(errors)} errors, {len(missing)} sentences not reviewed (e.g. {missing[:3]})", file=sys.stderr)
    sys.exit(1)
now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
by_doc = collections.defaultdict(list)
for key, r in by_key.items():
    by_doc[r["doc_id"]].append(build_task(r, reviewed[key], a.annotator, now, rule_entities(r["text"]), RULES_VERSION))
for doc_id, tasks in sorted(by_doc.items()):
    tasks.sort(key=lambda t: t["data"]["sent_idx"])
    write_corpus_file(Path(a.out_dir) / f"{doc_id}.json", tasks)
print(f"{len(by_key)} sentences in {len(by_doc)} files -> {a.out_dir}/", file=sys.stderr)
