#!/usr/bin/env python
"""Corpus v2 work files: plain-text annotation chunks, checks, and the build into annotations/.

  make:   data/all_sentences.jsonl -> WORK/<pass>/hN/NNN.tsv, one line per sentence
          (`doc_id <TAB> sent_idx <TAB> plain text`, no pre-labels: the first pass is never
          anchored on the rules). Passes: A = every sentence not yet annotated; B = a second,
          independent pass over every dev/test sentence (by another annotator than A's);
          C = a seeded blind 10% sample of the new training sentences (another annotator).
  check:  validate one or more done files (WORK/.../NNN.done.tsv): text unchanged, every line
          of its chunk present, spans by the guide's edge/overlap rules.
  status: how many chunks of each annotator are done.
"""
from __future__ import annotations

import argparse
import collections
import json
import random
import sys
from pathlib import Path

import yaml

from govner.labelstudio.corpus import build_task
from govner.errors import GovnerError
from govner.fileio import read_jsonl
from govner.labelstudio.inline import from_inline

ap = argparse.ArgumentParser()
ap.add_argument("action", choices=["make", "check", "status", "rulediff", "agree", "adjmake", "build"])
ap.add_argument("files", nargs="*")
ap.add_argument("--sentences", default="data/all_sentences.jsonl")
ap.add_argument("--work", default="../annot/v2")
ap.add_argument("--annotators", type=int, default=6)
ap.add_argument("--chunk", type=int, default=150)
ap.add_argument("--seed", type=int, default=20261129)
ap.add_argument("--out-dir", default="annotations", help="build: where the corpus files go")
a = ap.parse_args()
work = Path(a.work)


def annotated_keys() -> set[tuple[str, int]]:
    keys = set()
    for f in Path("annotations").glob("*.json"):
        for t in json.loads(f.read_text(encoding="utf-8")):
            keys.add((t["data"]["doc_id"], int(t["data"]["sent_idx"])))
    return keys


def parse_line(line: str, doc_id: str | None = None) -> tuple[str, int, str]:
    """`doc_id<TAB>sent_idx<TAB>text`, or `sent_idx<TAB>text` when the chunk's document is known."""
    parts = line.split("\t", 2)
    if len(parts) == 3 and parts[0] and not parts[0].isdigit():
        return parts[0], int(parts[1]), parts[2]
    parts = line.split("\t", 1)
    if doc_id is not None and len(parts) == 2 and parts[0].strip().isdigit():
        return doc_id, int(parts[0]), parts[1]
    raise GovnerError("expected doc_id<TAB>sent_idx<TAB>text or sent_idx<TAB>text")


if a.action == "make":
    records = list(read_jsonl(a.sentences))
    splits = yaml.safe_load(Path("annotations/splits.yaml").read_text(encoding="utf-8"))
    split_of = {d: s for s, ds in splits.items() for d in ds}
    done = annotated_keys()
    by_doc: dict[str, list[dict]] = collections.defaultdict(list)
    for r in records:
        by_doc[r["doc_id"]].append(r)
    n = a.annotators
    load = [0] * n
    owner: dict[str, int] = {}
    todo_a = {d: [r for r in rs if (d, r["sent_idx"]) not in done] for d, rs in by_doc.items()}
    for d in sorted(todo_a, key=lambda d: -len(todo_a[d])):
        if todo_a[d]:
            owner[d] = min(range(n), key=load.__getitem__)
            load[owner[d]] += len(todo_a[d])
    plan: dict[tuple[str, int], list[list[dict]]] = collections.defaultdict(list)
    for d, rs in todo_a.items():
        if rs:
            plan[("A", owner[d])].append(rs)
    # B: every dev/test sentence again, by the least-loaded annotator who did not do its pass A
    for d in sorted(by_doc, key=lambda d: -len(by_doc[d])):
        if split_of.get(d) in ("dev", "test"):
            h = min((i for i in range(n) if i != owner.get(d)), key=load.__getitem__)
            plan[("B", h)].append(by_doc[d])
            load[h] += len(by_doc[d])
    # C: blind 10% of the new training sentences
    rng = random.Random(a.seed)
    for d in sorted(by_doc):
        if split_of.get(d) == "train" and todo_a[d]:
            sample = sorted(rng.sample(todo_a[d], max(1, round(0.10 * len(todo_a[d])))), key=lambda r: r["sent_idx"])
            h = min((i for i in range(n) if i != owner.get(d)), key=load.__getitem__)
            plan[("C", h)].append(sample)
            load[h] += len(sample)
    manifest = []
    for (pas, h), docs in sorted(plan.items()):
        k = 0
        for rs in docs:
            for i in range(0, len(rs), a.chunk):
                part = rs[i:i + a.chunk]
                path = work / pas / f"h{h}" / f"{k:03d}.tsv"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("".join(f"{r['doc_id']}\t{r['sent_idx']}\t{r['text']}\n" for r in part), encoding="utf-8")
                manifest.append({"pass": pas, "annotator": h, "file": str(path), "doc_id": part[0]["doc_id"],
                                 "sentences": len(part)})
                k += 1
    (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    for h in range(n):
        print(f"h{h}: " + ", ".join(f"{p}={sum(m['sentences'] for m in manifest if m['annotator'] == h and m['pass'] == p)}"
                                    for p in "ABC") + f" total={load[h]}")
    sys.exit(0)

if a.action == "status":
    manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    stat = collections.Counter()
    for m in manifest:
        done_path = Path(m["file"][:-4] + ".done.tsv")
        stat[(m["annotator"], m["pass"], done_path.exists())] += m["sentences"]
    for h in sorted({m["annotator"] for m in manifest}):
        print(f"h{h}: " + "  ".join(f"{p} {stat[(h, p, True)]}/{stat[(h, p, True)] + stat[(h, p, False)]}" for p in "ABC"))
    sys.exit(0)

def read_done(pas: str) -> dict[tuple[str, int], list[dict]]:
    """Every checked line of one pass: (doc_id, sent_idx) -> spans. Refuses a text change."""
    out: dict[tuple[str, int], list[dict]] = {}
    for done_path in sorted((work / pas).glob("h*/*.done.tsv")):
        chunk_path = Path(str(done_path).replace(".done.tsv", ".tsv"))
        expected = {}
        for line in chunk_path.read_text(encoding="utf-8").splitlines():
            d, i, t = line.split("\t")[:3]
            expected[(d, int(i))] = t
        chunk_doc = next(iter({d for d, _ in expected})) if len({d for d, _ in expected}) == 1 else None
        for lineno, line in enumerate(done_path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            d, i, marked = parse_line(line, chunk_doc)
            _, spans = from_inline(marked, expected[(d, i)], where=f"{done_path}:{lineno}")
            out[(d, i)] = spans
    return out


def old_annotations() -> dict[tuple[str, int], list[dict]]:
    """The v1 corpus as it was before this round (the *.v1 snapshot taken by `build`, else annotations/)."""
    from govner.labelstudio.convert import records_from_tasks

    src = work / "v1"
    files = sorted(src.glob("*.json")) if src.is_dir() else sorted(Path("annotations").glob("*.json"))
    out = {}
    for f in files:
        tasks = json.loads(f.read_text(encoding="utf-8"))
        for r in records_from_tasks(tasks, utf16=False):
            out[(r.data["doc_id"], int(r.data["sent_idx"]))] = [
                {"start": e["start"], "end": e["end"], "label": e["label"]} for e in r.spans]
    return out


def key_set(spans: list[dict]) -> set[tuple[int, int, str]]:
    return {(sp["start"], sp["end"], sp["label"]) for sp in spans}


def inline(text: str, spans: list[dict]) -> str:
    from govner.labelstudio.inline import to_inline

    return to_inline(text, sorted(spans, key=lambda x: x["start"]))


def owner_of(pas: str) -> dict[str, int]:
    manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    return {m["doc_id"]: m["annotator"] for m in manifest if m["pass"] == pas}


def write_review_chunks(pas: str, items: list[tuple[str, int, str, list[list[dict]]]], avoid: dict, n: int) -> None:
    """Review chunks: `doc_id<TAB>sent_idx<TAB>text<TAB>version 1<TAB>version 2`, versions in seeded
    random order (a reviewer must not know which is whose), per document, to an annotator
    outside ``avoid[doc]``."""
    rng = random.Random(a.seed + len(pas))
    by_doc: dict[str, list] = collections.defaultdict(list)
    for it in items:
        by_doc[it[0]].append(it)
    load = [0] * n
    manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    manifest = [m for m in manifest if m["pass"] != pas]
    counters = collections.Counter()
    for d in sorted(by_doc, key=lambda d: -len(by_doc[d])):
        rows = sorted(by_doc[d], key=lambda it: it[1])
        h = min((i for i in range(n) if i not in avoid.get(d, set())), key=load.__getitem__)
        load[h] += len(rows)
        for i in range(0, len(rows), a.chunk):
            part = rows[i:i + a.chunk]
            path = work / pas / f"h{h}" / f"{counters[h]:03d}.tsv"
            counters[h] += 1
            path.parent.mkdir(parents=True, exist_ok=True)
            lines = []
            for doc, idx, text, versions in part:
                vs = [inline(text, v) for v in versions]
                rng.shuffle(vs)
                lines.append("\t".join([doc, str(idx), text, *vs]) + "\n")
            path.write_text("".join(lines), encoding="utf-8")
            manifest.append({"pass": pas, "annotator": h, "file": str(path), "doc_id": d, "sentences": len(part)})
    (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{pas}: {len(items)} sentences; per annotator {load}")


def sentence_index() -> dict[tuple[str, int], dict]:
    return {(r["doc_id"], r["sent_idx"]): r for r in read_jsonl(a.sentences)}


def split_of_doc() -> dict[str, str]:
    splits = yaml.safe_load(Path("annotations/splits.yaml").read_text(encoding="utf-8"))
    return {d: s for s, ds in splits.items() for d in ds}


if a.action == "rulediff":
    # Pass A of training documents against the rule tagger: every sentence where they differ is
    # re-read by another annotator, who sees both versions unlabelled and settles it by the guide.
    from govner.rules.tagger import rule_entities

    sents, split_of, pass_a = sentence_index(), split_of_doc(), read_done("A")
    owners = owner_of("A")
    items = []
    for (d, i), spans in sorted(pass_a.items()):
        if split_of.get(d) != "train":
            continue
        text = sents[(d, i)]["text"]
        rules = [{"start": e["start"], "end": e["end"], "label": e["label"]} for e in rule_entities(text)]
        if key_set(rules) != key_set(spans):
            items.append((d, i, text, [spans, rules]))
    print(f"pass A training sentences {sum(1 for d, _ in pass_a if split_of.get(d) == 'train')}, "
          f"differ from the rules: {len(items)}")
    write_review_chunks("R", items, {d: {h} for d, h in owners.items()}, a.annotators)
    sys.exit(0)


def first_pass() -> dict[tuple[str, int], list[dict]]:
    """The first annotation of every sentence: v1 (old) where it exists, else pass A."""
    return {**read_done("A"), **old_annotations()}


def agreement_table(pairs: list[tuple[list[dict], list[dict]]]) -> dict[str, float | None]:
    from govner.schema import LABEL_CODES

    tp = collections.Counter()
    size = collections.Counter()
    for x, y in pairs:
        kx, ky = key_set(x), key_set(y)
        for k in kx & ky:
            tp[k[2]] += 1
        for k in list(kx) + list(ky):
            size[k[2]] += 1
    out = {c: (2 * tp[c] / size[c] if size[c] else None) for c in LABEL_CODES}
    tot = sum(size.values())
    out["ALL"] = 2 * sum(tp.values()) / tot if tot else None
    return out


if a.action == "agree":
    sents, split_of, first = sentence_index(), split_of_doc(), first_pass()
    report = {}
    for name, pas, splits_wanted in (("dev-test double annotation (first pass vs pass B)", "B", ("dev", "test")),
                                     ("blind 10% sample of new training sentences (pass A vs pass C)", "C", ("train",))):
        second = read_done(pas)
        keys = sorted(k for k in second if k in first and split_of.get(k[0]) in splits_wanted)
        pairs = [(first[k], second[k]) for k in keys]
        table = agreement_table(pairs)
        same = sum(key_set(x) == key_set(y) for x, y in pairs)
        report[name] = {"sentences": len(keys), "identical": same, "f1": table}
        print(f"{name}: {len(keys)} sentences, {same} identical; " +
              ", ".join(f"{k} {v:.3f}" for k, v in table.items() if v is not None))
        if pas == "B":
            for sp in ("dev", "test"):
                sub = [(first[k], second[k]) for k in keys if split_of[k[0]] == sp]
                t = agreement_table(sub)
                report[name][sp] = t
                print(f"   {sp}: " + ", ".join(f"{k} {v:.3f}" for k, v in t.items() if v is not None))
    Path("annotations/agreement").mkdir(exist_ok=True)
    (Path("annotations/agreement") / "v2-agreement.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    sys.exit(0)

if a.action == "adjmake":
    # disagreements between the two independent annotations -> a third annotator decides
    sents, split_of, first = sentence_index(), split_of_doc(), first_pass()
    owners_a, owners_b, owners_c = owner_of("A"), owner_of("B"), owner_of("C")
    items, avoid = [], collections.defaultdict(set)
    for pas in ("B", "C"):
        for k, spans in read_done(pas).items():
            if k in first and key_set(first[k]) != key_set(spans):
                items.append((k[0], k[1], sents[k]["text"], [first[k], spans]))
    for d in {it[0] for it in items}:
        avoid[d] |= {o[d] for o in (owners_a, owners_b, owners_c) if d in o}
    write_review_chunks("D", items, avoid, a.annotators)
    sys.exit(0)

if a.action == "build":
    # final annotation per sentence: adjudicated (D) > rule-review (R) > first pass (v1 or A)
    import shutil
    import time

    from govner.labelstudio.corpus import write_corpus_file
    from govner.rules.tagger import RULES_VERSION, rule_entities

    v1 = work / "v1"
    if not v1.is_dir():  # snapshot the v1 corpus once, before the first v2 build overwrites it
        v1.mkdir(parents=True)
        for f in Path("annotations").glob("*.json"):
            shutil.copy2(f, v1 / f.name)
    sents = sentence_index()
    old = old_annotations()
    old_tasks = {(t["data"]["doc_id"], int(t["data"]["sent_idx"])): t
                 for f in sorted(v1.glob("*.json")) for t in json.loads(f.read_text(encoding="utf-8"))}
    layers = [("v1", old), ("A", read_done("A")), ("R", read_done("R")), ("D", read_done("D"))]
    others = {"B": read_done("B"), "C": read_done("C")}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    by_doc = collections.defaultdict(list)
    how = collections.Counter()
    for k, rec in sents.items():
        final, src = None, None
        for name, layer in layers:
            if k in layer:
                final, src = layer[k], name
        if final is None:
            continue
        how[(k[0], src)] += 1
        if src == "v1":  # untouched this round: the v1 task as it was (annotator, dates, pre-label)
            task = json.loads(json.dumps(old_tasks[k]))
        else:
            task = build_task(rec, final, f"corpus-v2:{src}", now, rule_entities(rec["text"]), RULES_VERSION)
        for ann in task["annotations"]:
            ann["ground_truth"] = False
        task["annotations"][0]["ground_truth"] = True
        if src in ("R", "D") and k in old_tasks:  # the first annotation it replaced, kept beside it
            for ann in old_tasks[k]["annotations"]:
                task["annotations"].append({**ann, "ground_truth": False})
        elif src in ("R", "D") and k in layers[1][1]:
            first = build_task(rec, layers[1][1][k], "corpus-v2:A", now)["annotations"][0]
            first["id"] = first["id"] + 2
            task["annotations"].append(first)
        for name, layer in others.items():  # the independent second pass, kept for agreement
            if k in layer:
                extra = build_task(rec, layer[k], f"corpus-v2:{name}", now)["annotations"][0]
                extra["id"] = extra["id"] + 1
                task["annotations"].append(extra)
        by_doc[k[0]].append(task)
    for d, tasks in sorted(by_doc.items()):
        tasks.sort(key=lambda t: t["data"]["sent_idx"])
        Path(a.out_dir).mkdir(parents=True, exist_ok=True)
        write_corpus_file(Path(a.out_dir) / f"{d}.json", tasks)
    (work / "build-sources.json").write_text(json.dumps({f"{d}|{s}": n for (d, s), n in sorted(how.items())},
                                                        ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{sum(len(t) for t in by_doc.values())} sentences in {len(by_doc)} documents; sources: "
          + ", ".join(f"{s} {sum(n for (d, x), n in how.items() if x == s)}" for s in ("v1", "A", "R", "D")))
    sys.exit(0)

# check
from govner.rules.validate import validate_tasks  # noqa: E402

bad = 0
for name in a.files:
    done_path = Path(name)
    chunk_path = Path(str(done_path).replace(".done.tsv", ".tsv"))
    expected = {}
    for line in chunk_path.read_text(encoding="utf-8").splitlines():
        d, i, t = line.split("\t")[:3]
        expected[(d, int(i))] = t
    errors, seen, tasks = [], set(), []
    doc_ids = {d for d, _ in expected}
    chunk_doc = next(iter(doc_ids)) if len(doc_ids) == 1 else None
    for lineno, line in enumerate(done_path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{done_path}:{lineno}"
        try:
            d, i, marked = parse_line(line, chunk_doc)
            if (d, i) not in expected:
                raise GovnerError(f"sentence {d}#{i} is not in {chunk_path}")
            _, spans = from_inline(marked, expected[(d, i)], where=where)
        except (GovnerError, ValueError) as exc:
            errors.append(f"{where}: {exc}")
            continue
        seen.add((d, i))
        rec = {"doc_id": d, "sent_idx": i, "text": expected[(d, i)], "source": ""}
        tasks.append(build_task(rec, spans, "check", ""))
    names = {str(t["id"]): f"sent_idx {t['data']['sent_idx']}" for t in tasks}
    for e in validate_tasks(tasks, str(done_path)):
        for tid, name in names.items():
            e = e.replace(f"task {tid} annotation {tid}", name)
        errors.append(e)
    missing = [k for k in expected if k not in seen]
    if missing:
        errors.append(f"{done_path}: {len(missing)} sentences of the chunk missing, e.g. {missing[:3]}")
    for e in errors[:40]:
        print(e)
    print(f"{done_path}: {len(seen)}/{len(expected)} sentences, {len(errors)} problems")
    bad += bool(errors)
sys.exit(1 if bad else 0)
