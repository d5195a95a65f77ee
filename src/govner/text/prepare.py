"""`govner prepare`: reports -> cleaned documents -> sentence records (JSONL).

Writes ``OUT`` (one sentence record per line, fields in DESIGN.md) and ``OUT.docs.jsonl``
(one record per document: id, source, title, metadata and the cleaned text that
``doc_start``/``doc_end`` index into), so every sentence traces back to its file.
A bad file is reported by name and skipped; the others are still processed and the exit
code is non-zero at the end. The arguments and both output paths are checked before any
file is read (``--out`` may not be a directory or one of the reports), and the two outputs
are written together (:func:`govner.fileio.atomic_write_many`): never one without the other.
A line so long that it had to be cut without a ； is reported with its file and line.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from govner.errors import GovnerError
from govner.fileio import atomic_write_many, check_output, jsonl_text, read_jsonl
from govner.text.clean import clean_text
from govner.text.compendium import find_compendium
from govner.text.read import read_report
from govner.text.split import split_sentences


@dataclass
class Document:
    doc_id: str
    source: str
    text: str
    title: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    #: for each line of ``text``, its line number in the source file (for messages)
    line_numbers: list[int] = field(default_factory=list)

    def source_line(self, offset: int) -> int | None:
        """The source file's line number of ``text[offset]``, when known."""
        k = self.text.count("\n", 0, offset)
        return self.line_numbers[k] if k < len(self.line_numbers) else None


@dataclass
class PrepareStats:
    files: int = 0
    documents: int = 0
    sentences: int = 0
    characters: int = 0
    longest: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add_dropped(self, dropped: dict[str, int]) -> None:
        for k, v in dropped.items():
            self.dropped[k] = self.dropped.get(k, 0) + v


def _title(lines: list[str]) -> str:
    for line in lines[:8]:
        if any(k in line for k in ("报告", "计划", "方案", "意见", "通知", "任务", "安排")) and len(line) <= 80:
            return line
    return lines[0] if lines else ""


def documents_from_file(path: str | Path, stats: PrepareStats | None = None) -> list[Document]:
    """One file -> one document, or several when the file is a compendium of reports."""
    path = Path(path)
    cleaned = clean_text(read_report(path))
    if stats is not None:
        stats.add_dropped(cleaned.dropped)
    lines = cleaned.text.split("\n")
    comp = find_compendium(lines)
    if comp is None:
        return [Document(doc_id=path.stem, source=str(path), text=cleaned.text, title=_title(lines),
                         metadata=cleaned.metadata, line_numbers=cleaned.line_numbers)]
    header = {line for line in lines[: comp.parts[0].start_line]}
    docs = []
    for part in comp.parts:
        body = lines[part.start_line:part.end_line]
        # the site's trailing repeat of the compendium title
        while body and (body[-1] in header or "汇编" in body[-1]):
            body.pop()
            if stats is not None:
                stats.add_dropped({"compendium furniture": 1})
        meta = dict(cleaned.metadata, compendium_title=part.title,
                    source_lines=f"{part.start_line}-{part.end_line}")
        docs.append(Document(doc_id=f"{path.stem}-{part.name}", source=str(path), text="\n".join(body),
                             title=part.title, metadata=meta,
                             line_numbers=cleaned.line_numbers[part.start_line:part.start_line + len(body)]))
    if stats is not None:
        stats.add_dropped({"compendium table of contents": comp.parts[0].start_line})
        if comp.missing:
            stats.warnings.append(
                f"{path}: compendium lists {len(comp.toc)} reports but only {len(comp.parts)} have text "
                f"in the file; missing: {', '.join(comp.missing)}")
    return docs


def sentence_records(doc: Document, max_len: int = 150, warnings: list[str] | None = None) -> list[dict]:
    """The document's sentences; a line cut without a ； adds a warning naming file and line."""
    def forced(start: int, end: int, how: str) -> None:
        if warnings is not None:
            line = doc.source_line(start)
            where = f"{doc.source}:{line}" if line else f"{doc.source} ({doc.doc_id}, offset {start})"
            warnings.append(f"{where}: {end - start} characters without a ； or sentence end; {how} "
                            "(check the file's line breaks and punctuation)")

    return [
        {"doc_id": doc.doc_id, "sent_idx": k, "text": doc.text[s:e], "doc_start": s, "doc_end": e,
         "source": doc.source}
        for k, (s, e) in enumerate(split_sentences(doc.text, max_len=max_len, on_forced=forced))
    ]


def prepare(paths: list[str], max_len: int = 150, progress: bool = True) -> tuple[list[Document], list[dict], PrepareStats]:
    from tqdm import tqdm

    stats = PrepareStats()
    docs: list[Document] = []
    records: list[dict] = []
    seen_ids: dict[str, str] = {}
    for p in tqdm(paths, desc="prepare", unit="file", disable=not progress, file=sys.stderr):
        stats.files += 1
        try:
            file_docs = documents_from_file(p, stats)
        except GovnerError as exc:
            stats.errors.append(str(exc))
            continue
        for doc in file_docs:
            if doc.doc_id in seen_ids:
                stats.errors.append(f"{p}: document id {doc.doc_id!r} already produced by {seen_ids[doc.doc_id]}")
                continue
            seen_ids[doc.doc_id] = str(p)
            recs = sentence_records(doc, max_len, stats.warnings)
            docs.append(doc)
            records.extend(recs)
            stats.documents += 1
            stats.sentences += len(recs)
            stats.characters += sum(len(r["text"]) for r in recs)
            stats.longest = max([stats.longest] + [len(r["text"]) for r in recs])
    return docs, records, stats


def load_sentences(path: str) -> list[dict]:
    """Sentence records as this command writes them (for `ls push`, `select`), each checked."""
    rows = read_jsonl(path)
    for n, r in enumerate(rows, 1):
        if not isinstance(r, dict) or not isinstance(r.get("text"), str) or not r["text"].strip():
            raise GovnerError(f"{path}: record {n} has no non-empty `text`")
        for k in ("doc_id", "sent_idx"):
            if k not in r:
                raise GovnerError(f"{path}: record {n} has no `{k}` (expected output of `govner prepare`)")
    return rows


def docs_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.name.removesuffix(".jsonl") + ".docs.jsonl")


#: shorter sentences would cut most entities (the guide's longest INDICATOR is ~20 characters)
MIN_MAX_LEN = 10


def main(args: argparse.Namespace) -> int:
    if args.max_len < MIN_MAX_LEN:
        raise GovnerError(f"--max-len {args.max_len}: must be at least {MIN_MAX_LEN} characters")
    check_output(args.out, args.reports)
    check_output(docs_path(args.out), args.reports, "--out (its .docs.jsonl)")
    docs, records, stats = prepare(args.reports, max_len=args.max_len)
    if records:
        atomic_write_many({
            args.out: jsonl_text(records),
            docs_path(args.out): jsonl_text(
                {"doc_id": d.doc_id, "source": d.source, "title": d.title, "metadata": d.metadata, "text": d.text}
                for d in docs),
        }, args.reports)
    for w in stats.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for e in stats.errors:
        print(f"error: {e}", file=sys.stderr)
    dropped = ", ".join(f"{k}: {v}" for k, v in sorted(stats.dropped.items())) or "nothing"
    print(f"{stats.files} files, {stats.documents} documents, {stats.sentences} sentences, "
          f"{stats.characters} characters (longest sentence {stats.longest}); dropped lines: {dropped}; "
          f"errors: {len(stats.errors)}" + (f" -> {args.out}" if records else " (nothing written)"))
    return 1 if stats.errors or not records else 0
