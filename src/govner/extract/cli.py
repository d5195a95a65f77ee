"""`govner extract`: reports or sentence JSONL -> entities -> one table (+ HTML pages).

Raw reports go through exactly the code of ``govner prepare``, so the offsets in the table
index the same cleaned text that ``prepare`` writes to ``*.docs.jsonl``. ``--model rules``
uses the rule tagger instead of a trained model (no torch, handy for a first look and for
tests). As with ``prepare``, a report that cannot be read is named and skipped, and the exit
code is non-zero at the end; a bad sentence file or a bad output path stops before any work.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from govner.errors import GovnerError
from govner.fileio import parse_json_line
from govner.extract.table import table_format

RULES = "rules"


def _is_sentence_file(path: str) -> bool:
    return path.lower().endswith(".jsonl")


def read_sentences(path: str) -> tuple[list[dict], dict[str, dict]]:
    """Sentence records from a JSONL file, and the documents of its ``*.docs.jsonl`` if present."""
    from govner.predict.predictor import check_sentence_record
    from govner.text.prepare import docs_path

    p = Path(path)
    if not p.is_file():
        raise GovnerError(f"{path}: sentence file not found")
    records = []
    with open(p, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            rec = check_sentence_record(parse_json_line(line, f"{path}:{lineno}"), f"{path}:{lineno}",
                                        " (the output of `govner prepare`)")
            rec.setdefault("doc_id", p.stem)
            rec.setdefault("sent_idx", len(records))
            if not isinstance(rec["sent_idx"], int) or (rec.get("doc_start") is not None
                                                        and not isinstance(rec["doc_start"], int)):
                raise GovnerError(f"{path}:{lineno}: sent_idx and doc_start must be integers")
            records.append(rec)
    docs: dict[str, dict] = {}
    dp = docs_path(p)
    if dp.is_file():
        from govner.fileio import read_jsonl

        for d in read_jsonl(dp):
            if isinstance(d, dict) and "doc_id" in d:
                docs[str(d["doc_id"])] = d
    return records, docs


def load_inputs(paths: list[str], max_len: int = 150) -> tuple[list[dict], dict[str, dict], list[str]]:
    """(sentence records, documents by id, errors) for reports and sentence files together."""
    from govner.text.prepare import prepare

    sentences: list[dict] = []
    docs: dict[str, dict] = {}
    errors: list[str] = []
    source_of: dict[str, str] = {}
    reports = [p for p in paths if not _is_sentence_file(p)]
    batches: list[tuple[str, list[dict], dict[str, dict]]] = []
    for p in paths:
        if _is_sentence_file(p):
            recs, ds = read_sentences(p)
            batches.append((p, recs, ds))
    if reports:
        for p in reports:
            if not Path(p).is_file():
                errors.append(f"{p}: report not found")
        found = [p for p in reports if Path(p).is_file()]
        if found:
            pdocs, recs, stats = prepare(found, max_len=max_len, progress=False)
            errors.extend(stats.errors)
            for w in stats.warnings:
                print(f"warning: {w}", file=sys.stderr)
            batches.append(("reports", recs, {d.doc_id: {"doc_id": d.doc_id, "text": d.text, "title": d.title,
                                                         "source": d.source} for d in pdocs}))
    for where, recs, ds in batches:
        for r in recs:
            doc_id = str(r["doc_id"])
            src = where
            if source_of.setdefault(doc_id, src) != src:
                raise GovnerError(f"document id {doc_id!r} comes from both {source_of[doc_id]} and {src}: "
                                  "extract each document once")
            sentences.append(r)
        docs.update(ds)
    return sentences, docs, errors


def tag(sentences: list[dict], model: str, device: str = "auto", batch_size: int = 64) -> list[list[dict]]:
    """Entities for every sentence, from the rule tagger or a trained model."""
    from tqdm import tqdm

    texts = [s["text"] for s in sentences]
    if model == RULES:
        from govner.rules.tagger import rule_entities

        return [rule_entities(t) for t in tqdm(texts, desc="tag (rules)", unit="sent", file=sys.stderr,
                                               disable=len(texts) < 500)]
    from govner.predict.predictor import Predictor

    predictor = Predictor.from_pretrained(model, device=device)
    out: list[list[dict]] = []
    chunk = max(batch_size * 8, 256)
    with tqdm(total=len(texts), desc="tag", unit="sent", file=sys.stderr) as bar:
        for i in range(0, len(texts), chunk):
            out.extend(predictor.predict(texts[i:i + chunk], batch_size=batch_size))
            bar.update(len(texts[i:i + chunk]))
    return out


def main(args: argparse.Namespace) -> int:
    from govner.extract.html import write_pages
    from govner.extract.pipeline import extract_rows
    from govner.extract.table import write_table

    table_format(args.out)  # a bad extension fails before any work
    if args.html and Path(args.html).exists() and not Path(args.html).is_dir():
        raise GovnerError(f"--html {args.html}: exists and is not a directory")
    if args.model != RULES and not Path(args.model).is_dir():
        raise GovnerError(f"--model {args.model}: no such model directory (or use `--model {RULES}`)")
    sentences, docs, errors = load_inputs(args.inputs, max_len=args.max_len)
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    if not sentences:
        print("no sentences to extract from (nothing written)")
        return 1
    entities = tag(sentences, args.model, device=args.device, batch_size=args.batch_size)
    results = extract_rows(sentences, entities)
    rows = [r for d in results for r in d.rows]
    write_table(args.out, rows)
    counts = {k: sum(r["kind"] == k for r in rows) for k in ("measure", "assignment", "project")}
    unlinked = sum(r["kind"] == "measure" and r["indicator"] is None for r in rows)
    msg = (f"{len(results)} documents, {len(sentences)} sentences: {counts['measure']} measures "
           f"({unlinked} without indicator), {counts['assignment']} assignments, {counts['project']} projects "
           f"-> {args.out}")
    if args.html:
        pages = write_pages(args.html, [
            {"doc_id": d.doc_id, "sentences": d.sentences, "entities": d.entities, "rows": d.rows,
             "text": (docs.get(d.doc_id) or {}).get("text"), "title": (docs.get(d.doc_id) or {}).get("title", "")}
            for d in results], model=args.model)
        msg += f"; {len(pages)} HTML pages -> {args.html}"
    print(msg)
    return 1 if errors else 0
