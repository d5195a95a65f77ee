"""The two Ray workers: ``predict`` (the records of ``govner predict``) and ``extract`` (its table).

predict
    One output row per unit. A sentence record (a JSONL line, a Parquet row) comes back with
    ``entities`` added, exactly as the single-process ``govner predict`` writes it; any other
    file is one document: ``{"doc_id": stem, "source": path, "entities": [...]}`` with offsets
    into the file's text. In Parquet, the sentence-record fields of DESIGN.md are typed
    columns, ``entities`` a list of structs, and any other field (or a field whose value does
    not fit its column's type) goes verbatim into the JSON column ``extra``;
    :func:`predict_records` turns the rows back into the single-process records.
extract
    One unit per input file (a report, or a sentence JSONL: a document's sentences must meet
    in one worker for the document-level lead-office convention). The rows are those of
    ``govner extract`` (:data:`govner.extract.table.COLUMNS`), plus one ``kind="source"`` row
    per file that records it as done (re-runs, and files that yield no rows).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from govner.errors import GovnerError
from govner.raydata.runner import Task

#: Sentence-record fields (DESIGN.md) stored as typed Parquet columns.
RECORD_FIELDS: dict[str, type] = {"doc_id": str, "sent_idx": int, "text": str, "doc_start": int, "doc_end": int,
                                  "source": str}
INT64 = 2 ** 63


def predict_schema():
    import pyarrow as pa

    entity = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("text", pa.string()),
                        ("score", pa.float64())])
    types = {str: pa.string(), int: pa.int64()}
    return pa.schema([*((k, types[t]) for k, t in RECORD_FIELDS.items()), ("entities", pa.list_(entity)),
                      ("extra", pa.string())])


def _fits(value: Any, kind: type) -> bool:
    if kind is int:
        return type(value) is int and -INT64 <= value < INT64
    return type(value) is kind


def record_row(record: dict, entities: list[dict]) -> dict:
    """A single-process output record (``{**record, "entities": ...}``) as a row of :func:`predict_schema`."""
    row: dict[str, Any] = {"entities": entities}
    extra = {}
    for key, value in record.items():
        if key == "entities":
            continue  # replaced, as in ``{**record, "entities": ents}``
        if key in RECORD_FIELDS and _fits(value, RECORD_FIELDS[key]):
            row[key] = value
        else:
            extra[key] = value
    row["extra"] = json.dumps(extra, ensure_ascii=False) if extra else None
    return row


def predict_records(rows: list[dict]) -> list[dict]:
    """Rows of a predict output (no error rows) -> the records single-process ``govner predict`` writes."""
    out = []
    for row in rows:
        rec = {k: row[k] for k in RECORD_FIELDS if row.get(k) is not None}
        if row.get("extra"):
            rec.update(json.loads(row["extra"]))
        rec["entities"] = [dict(e) for e in row["entities"] or []]
        out.append(rec)
    return out


def _load_predictor(model: str, device: str, quantize: str | None, threads: int | None):
    import torch

    from govner.predict.predictor import Predictor

    if threads:
        torch.set_num_threads(threads)
    return Predictor.from_pretrained(model, device=device, quantize=quantize)


class PredictWorker:
    """Per actor: one Predictor; per call: records and documents -> output rows."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 64, quantize: str | None = "auto",
                 threads: int | None = None, max_sentence_len: int = 150):
        self.predictor = _load_predictor(model, device, quantize, threads)
        self.batch_size = batch_size
        self.max_sentence_len = max_sentence_len

    def __call__(self, units: list[dict]) -> list[dict]:
        from govner.predict.predictor import check_sentence_record, check_text
        from govner.text.read import read_text_file

        rows: list[dict] = []
        records: list[tuple[dict, dict]] = []
        documents: list[tuple[dict, str]] = []
        for u in units:
            key = {"input_file": u["input_file"], "input_row": u["input_row"]}
            try:
                if u["record"] is None:
                    documents.append((u, read_text_file(u["path"], allow_empty=True)))
                    continue
                where = f"{u['input_file']}:{u['input_row']}"
                rec = check_sentence_record(json.loads(u["record"]), where)
                check_text(rec["text"], where)
                records.append((u, rec))
            except GovnerError as exc:
                msg = str(exc).replace(u["path"], u["input_file"])
                if u["record"] is None and not msg.startswith(u["input_file"]):
                    msg = f"{u['input_file']}: {msg}"
                rows.append({**key, "error": msg})
        if records:
            found = self.predictor.predict([r["text"] for _, r in records], batch_size=self.batch_size)
            for (u, rec), ents in zip(records, found):
                rows.append({"input_file": u["input_file"], "input_row": u["input_row"], **record_row(rec, ents)})
        if documents:
            found = self.predictor.predict_documents([text for _, text in documents], batch_size=self.batch_size,
                                                     max_sentence_len=self.max_sentence_len)
            for (u, _), ents in zip(documents, found):
                given = u["input_file"]
                rows.append({"input_file": given, "input_row": u["input_row"], "doc_id": Path(given).stem,
                             "source": str(Path(given)), "entities": ents})
        return rows


def predict_task(model: str, device: str = "cpu", batch_size: int = 64, quantize: str | None = "auto",
                 threads: int | None = None, units_per_call: int | None = None,
                 documents: bool = False) -> Task:
    """``documents``: the inputs are mostly whole reports, so fewer of them go to one call.

    Sentence records go to the Predictor thousands at a time: it sorts what it gets by length
    before batching, so more per call means less padding (measured per actor, 1 thread, 20,000
    sentences: 552 sentences/s at 512 per call, 638 at 2,048, 648 at 8,192)."""
    return Task("predict", PredictWorker, predict_schema(),
                dict(model=str(Path(model).resolve()) if os.path.isdir(model) else model, device=device,
                     batch_size=batch_size, quantize=quantize, threads=threads),
                records_per_unit=True,
                units_per_call=units_per_call or (16 if documents else max(batch_size * 64, 4096)))


# -- extract ------------------------------------------------------------------------------------


def extract_schema():
    import pyarrow as pa

    from govner.extract.table import arrow_schema

    return pa.schema(list(arrow_schema()))


class ExtractWorker:
    """Per actor: one Predictor (or the rule tagger); per call: whole files -> table rows."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int = 64, quantize: str | None = "auto",
                 threads: int | None = None, max_len: int = 150):
        from govner.extract.cli import RULES

        self.rules = model == RULES
        self.predictor = None if self.rules else _load_predictor(model, device, quantize, threads)
        self.batch_size = batch_size
        self.max_len = max_len

    def _tag(self, texts: list[str]) -> list[list[dict]]:
        if self.rules:
            from govner.rules.tagger import rule_entities

            return [rule_entities(t) for t in texts]
        return self.predictor.predict(texts, batch_size=self.batch_size)

    def _sentences(self, u: dict) -> list[dict]:
        from govner.extract.cli import read_sentences
        from govner.text.prepare import prepare

        if u["input_file"].lower().endswith(".jsonl"):
            records, _ = read_sentences(u["path"])
            return records
        _, records, stats = prepare([u["path"]], max_len=self.max_len, progress=False)
        if stats.errors:
            raise GovnerError("; ".join(e.replace(u["path"], u["input_file"]) for e in stats.errors))
        for r in records:
            r["source"] = u["input_file"]
        return records

    def __call__(self, units: list[dict]) -> list[dict]:
        from govner.extract.pipeline import extract_rows

        rows: list[dict] = []
        per_unit: list[tuple[dict, list[dict]]] = []
        for u in units:
            try:
                per_unit.append((u, self._sentences(u)))
            except GovnerError as exc:
                msg = str(exc).replace(u["path"], u["input_file"])
                rows.append({"input_file": u["input_file"], "input_row": u["input_row"],
                             "error": msg if msg.startswith(u["input_file"]) else f"{u['input_file']}: {msg}"})
        entities = self._tag([s["text"] for _, sents in per_unit for s in sents])
        k = 0
        for u, sents in per_unit:
            key = {"input_file": u["input_file"], "input_row": u["input_row"]}
            ents, k = entities[k:k + len(sents)], k + len(sents)
            for doc in extract_rows(sents, ents):
                rows += [{**key, **r} for r in doc.rows]
            rows.append({**key, "kind": "source"})
        return rows


def extract_task(model: str, device: str = "cpu", batch_size: int = 64, quantize: str | None = "auto",
                 threads: int | None = None, max_len: int = 150, units_per_call: int = 4) -> Task:
    return Task("extract", ExtractWorker, extract_schema(),
                dict(model=str(Path(model).resolve()) if os.path.isdir(model) else model, device=device,
                     batch_size=batch_size, quantize=quantize, threads=threads, max_len=max_len),
                records_per_unit=False, units_per_call=units_per_call)
