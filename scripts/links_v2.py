#!/usr/bin/env python
"""Gold VALUE -> INDICATOR links for the dev and test documents (issue: govner extract).

  make:  annotations/<dev/test doc>.json -> WORK/<pass>/NNN.tsv, one line per sentence with a
         VALUE: `doc_id <TAB> sent_idx <TAB> text with numbered marks`, e.g.
         `[财政总收入](INDICATOR#1)[增长10%](VALUE#2)`. Two passes (P1, P2), made independently;
         each chunk holds one document (answers are keyed by sent_idx within the chunk).
  check: a done file (`sent_idx <TAB> 2->1; 4->3,5; 6->`): every VALUE listed once, targets are
         INDICATOR numbers of the same sentence.
  agree: link agreement between P1 and P2 (pair F1), and the sentences where they differ as
         adjudication chunks (WORK/D/NNN.tsv, both answers shown in random order).
  build: the adjudicated links (D where P1 and P2 differ, else their common answer) written into
         annotations/*.json as Label Studio relations of the ground-truth annotation.
"""
from __future__ import annotations

import argparse
import collections
import json
import random
import re
import sys
from pathlib import Path

from govner.labelstudio.corpus import write_corpus_file
from govner.errors import GovnerError
from govner.labelstudio.convert import choose_annotation, entities_from_result

ap = argparse.ArgumentParser()
ap.add_argument("action", choices=["make", "check", "agree", "build"])
ap.add_argument("files", nargs="*")
ap.add_argument("--work", default="../annot/links")
ap.add_argument("--chunk", type=int, default=120)
ap.add_argument("--seed", type=int, default=20261129)
ap.add_argument("--passes", nargs=2, default=["P1", "P2"], help="agree/build: the two independent passes")
a = ap.parse_args()
work = Path(a.work)
LINE = re.compile(r"^\s*(\d+)\s*->\s*([\d,\s]*)$")


def dev_test_docs() -> list[str]:
    import yaml

    splits = yaml.safe_load(Path("annotations/splits.yaml").read_text(encoding="utf-8"))
    return sorted(splits["dev"] + splits["test"])


def numbered(text: str, ents: list[dict]) -> str:
    out, pos = [], 0
    for i, e in enumerate(ents, 1):
        out.append(text[pos:e["start"]])
        out.append(f"[{text[e['start']:e['end']]}]({e['label']}#{i})")
        pos = e["end"]
    out.append(text[pos:])
    return "".join(out)


def gold_sentences():
    for d in dev_test_docs():
        path = Path("annotations") / f"{d}.json"
        for t in json.loads(path.read_text(encoding="utf-8")):
            ann = choose_annotation(t)
            ents = sorted(entities_from_result(t["data"]["text"], ann["result"], f"{path} task {t['id']}", utf16=False),
                          key=lambda e: e["start"])
            yield path, t, ann, ents


def parse_done(path: Path, chunk: dict[int, tuple[str, list[dict]]]) -> tuple[dict[int, dict[int, set[int]]], list[str]]:
    out, errors = {}, []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        idx_s, _, rest = line.partition("\t")
        if not idx_s.strip().isdigit() or int(idx_s) not in chunk:
            errors.append(f"{where}: unknown sent_idx {idx_s!r}")
            continue
        idx = int(idx_s)
        _, ents = chunk[idx]
        labels = {i: e["label"] for i, e in enumerate(ents, 1)}
        links: dict[int, set[int]] = {}
        for part in [p for p in rest.split(";") if p.strip()]:
            m = LINE.match(part)
            if not m:
                errors.append(f"{where}: cannot read {part.strip()!r} (expected V->I,I or V->)")
                continue
            v = int(m.group(1))
            targets = {int(x) for x in re.findall(r"\d+", m.group(2))}
            if labels.get(v) != "VALUE":
                errors.append(f"{where}: #{v} is not a VALUE")
            bad = [i for i in targets if labels.get(i) != "INDICATOR"]
            if bad:
                errors.append(f"{where}: {bad} are not INDICATORs")
            if v in links:
                errors.append(f"{where}: VALUE #{v} listed twice")
            links[v] = targets
        missing = [i for i, lab in labels.items() if lab == "VALUE" and i not in links]
        if missing:
            errors.append(f"{where}: VALUEs {missing} not answered (write '{missing[0]}->' for a value with no indicator)")
        out[idx] = links
    for idx in chunk:
        if idx not in out:
            errors.append(f"{path}: sent_idx {idx} missing")
    return out, errors


def read_chunk(path: Path) -> tuple[str, dict[int, tuple[str, list[dict]]]]:
    from govner.labelstudio.inline import MARK_RE  # noqa: F401  (format documented there)

    doc, rows = None, {}
    for line in path.read_text(encoding="utf-8").splitlines():
        d, i, marked = line.split("\t")[:3]
        doc = d
        ents, plain, pos, length = [], [], 0, 0
        for m in re.finditer(r"\[([^\[\]\n]+?)\]\((INDICATOR|VALUE|PROJECT|LEAD_OFFICE)#(\d+)\)", marked):
            plain.append(marked[pos:m.start()])
            length += m.start() - pos
            ents.append({"start": length, "end": length + len(m.group(1)), "label": m.group(2)})
            plain.append(m.group(1))
            length += len(m.group(1))
            pos = m.end()
        plain.append(marked[pos:])
        rows[int(i)] = ("".join(plain), ents)
    return doc, rows


def read_pass(name: str) -> dict[tuple[str, int], dict[int, set[int]]]:
    out = {}
    for done in sorted((work / name).glob("*.done.tsv")):
        doc, chunk = read_chunk(Path(str(done).replace(".done.tsv", ".tsv")))
        links, errors = parse_done(done, chunk)
        if errors:
            raise GovnerError("\n".join(errors[:20]))
        for idx, l in links.items():
            out[(doc, idx)] = l
    return out


def pairs(links: dict[int, set[int]]) -> set[tuple[int, int]]:
    return {(v, i) for v, ts in links.items() for i in ts}


if a.action == "make":
    by_doc = collections.defaultdict(list)
    for path, t, ann, ents in gold_sentences():
        if any(e["label"] == "VALUE" for e in ents):
            by_doc[t["data"]["doc_id"]].append(f"{t['data']['doc_id']}\t{t['data']['sent_idx']}\t"
                                               f"{numbered(t['data']['text'], ents)}\n")
    for p in ("P1", "P2"):
        (work / p).mkdir(parents=True, exist_ok=True)
        k = 0
        for d in sorted(by_doc):
            rows = by_doc[d]
            for i in range(0, len(rows), a.chunk):
                (work / p / f"{k:03d}.tsv").write_text("".join(rows[i:i + a.chunk]), encoding="utf-8")
                k += 1
    print(f"{sum(len(r) for r in by_doc.values())} sentences with a VALUE in {len(by_doc)} documents; {k} chunks per pass")
    sys.exit(0)

if a.action == "check":
    bad = 0
    for f in a.files:
        done = Path(f)
        _, chunk = read_chunk(Path(str(done).replace(".done.tsv", ".tsv")))
        links, errors = parse_done(done, chunk)
        for e in errors[:40]:
            print(e)
        print(f"{done}: {len(links)}/{len(chunk)} sentences, {len(errors)} problems")
        bad += bool(errors)
    sys.exit(1 if bad else 0)

if a.action == "agree":
    p1, p2 = read_pass(a.passes[0]), read_pass(a.passes[1])
    keys = sorted(set(p1) & set(p2))
    tp = sum(len(pairs(p1[k]) & pairs(p2[k])) for k in keys)
    n1 = sum(len(pairs(p1[k])) for k in keys)
    n2 = sum(len(pairs(p2[k])) for k in keys)
    f1 = 2 * tp / (n1 + n2) if n1 + n2 else None
    differ = [k for k in keys if p1[k] != p2[k]]
    print(f"{len(keys)} sentences in both passes; link pairs {n1} / {n2}, agreement F1 {f1:.3f}; "
          f"{len(differ)} sentences differ")
    Path("annotations/agreement").mkdir(exist_ok=True)
    (Path("annotations/agreement") / "v2-links-agreement.json").write_text(json.dumps(
        {"sentences": len(keys), "pairs_p1": n1, "pairs_p2": n2, "f1": f1, "differ": len(differ)}, indent=1) + "\n",
        encoding="utf-8")
    rng = random.Random(a.seed)
    chunks = {}
    for f in sorted((work / a.passes[0]).glob("*.tsv")):
        if not f.name.endswith(".done.tsv"):
            doc, ch = read_chunk(f)
            for line in f.read_text(encoding="utf-8").splitlines():
                d, i, marked = line.split("\t")[:3]
                chunks[(d, int(i))] = marked
    (work / "D").mkdir(exist_ok=True)
    fmt = lambda l: "; ".join(f"{v}->{','.join(map(str, sorted(ts)))}" for v, ts in sorted(l.items()))  # noqa: E731
    rows = []
    for k in differ:
        answers = [fmt(p1[k]), fmt(p2[k])]
        rng.shuffle(answers)
        rows.append(f"{k[0]}\t{k[1]}\t{chunks[k]}\t{answers[0]}\t{answers[1]}\n")
    by_doc = collections.defaultdict(list)
    for r in rows:
        by_doc[r.split("\t")[0]].append(r)
    k = 0
    for d in sorted(by_doc):
        for i in range(0, len(by_doc[d]), a.chunk):
            (work / "D" / f"{k:03d}.tsv").write_text("".join(by_doc[d][i:i + a.chunk]), encoding="utf-8")
            k += 1
    print(f"{k} adjudication chunks in {work / 'D'}")
    sys.exit(0)

if a.action == "build":
    p1, p2 = read_pass(a.passes[0]), read_pass(a.passes[1])
    adj = read_pass("D") if (work / "D").is_dir() else {}
    final = {}
    for k in set(p1) | set(p2):
        if k in adj:
            final[k] = adj[k]
        elif p1.get(k) == p2.get(k):
            final[k] = p1[k]
        else:
            raise GovnerError(f"{k}: the passes differ and no adjudicated answer exists")
    by_path = collections.defaultdict(list)
    changed = 0
    for path, t, ann, ents in gold_sentences():
        by_path[path].append(t)
        k = (t["data"]["doc_id"], int(t["data"]["sent_idx"]))
        ann["result"] = [r for r in ann["result"] if r.get("type") != "relation"]
        if k not in final:
            continue
        ids = {}
        for r in ann["result"]:
            if r.get("type") == "labels":
                ids[(r["value"]["start"], r["value"]["end"])] = r["id"]
        for v, targets in sorted(final[k].items()):
            for i in sorted(targets):
                ev, ei = ents[v - 1], ents[i - 1]
                ann["result"].append({"type": "relation", "from_id": ids[(ev["start"], ev["end"])],
                                      "to_id": ids[(ei["start"], ei["end"])], "direction": "right",
                                      "labels": ["数值→指标"]})
                changed += 1
    for path, tasks in by_path.items():
        write_corpus_file(path, tasks)
    print(f"{changed} relations written into {len(by_path)} files")
    sys.exit(0)
