"""One table for all three record kinds, written as JSONL, CSV or Parquet by the file's extension.

Why one table: an analyst filters one file by ``kind`` instead of joining three; the columns a
kind does not use are empty. Every span carries document-level offsets (into the cleaned
document text that ``govner prepare`` writes to ``*.docs.jsonl``): the sentence's ``doc_start``
plus the offset inside the sentence, so each row can be traced back and highlighted.

List columns (the offices of an assignment) are lists in JSONL and Parquet and JSON arrays in
CSV; :func:`read_table` reads any of the three back to the same rows.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

from govner.errors import GovnerError
from govner.fileio import atomic_write_jsonl, atomic_write_text

#: Column name -> type: "str", "int", "float", "bool", or "list[str]"/"list[int]"/"list[bool]".
COLUMNS: dict[str, str] = {
    "kind": "str", "doc_id": "str", "sent_idx": "int", "sent_start": "int", "sent_end": "int",
    # measure
    "indicator": "str", "indicator_start": "int", "indicator_end": "int",
    "value": "str", "value_start": "int", "value_end": "int",
    "number": "float", "low": "float", "high": "float", "unit": "str", "unit_text": "str",
    "change": "str", "bound": "str", "period": "str", "period_start": "int", "period_end": "int",
    # project
    "project": "str", "project_start": "int", "project_end": "int",
    "stage": "str", "stage_start": "int", "stage_end": "int",
    # assignment
    "task": "str", "offices": "list[str]", "office_starts": "list[int]", "office_ends": "list[int]",
    "leads": "list[bool]", "lead_office": "str",
}
KINDS = ("measure", "assignment", "project")
FORMATS = (".jsonl", ".csv", ".parquet")


def _shift(x: int | None, offset: int | None) -> int | None:
    return None if x is None or offset is None else x + offset


def _base(kind: str, sent: dict) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    start = sent.get("doc_start")
    row.update(kind=kind, doc_id=sent.get("doc_id"), sent_idx=sent.get("sent_idx"), sent_start=start,
               sent_end=sent.get("doc_end", None if start is None else start + len(sent["text"])))
    return row


def measure_row(sent: dict, rec: dict) -> dict[str, Any]:
    off = sent.get("doc_start")
    row = _base("measure", sent)
    ind, val = rec["indicator"], rec["value"]
    if ind is not None:
        row.update(indicator=ind["text"], indicator_start=_shift(ind["start"], off),
                   indicator_end=_shift(ind["end"], off))
    row.update(value=val["text"], value_start=_shift(val["start"], off), value_end=_shift(val["end"], off))
    for k in ("number", "low", "high", "unit", "unit_text", "change", "bound", "period"):
        row[k] = rec.get(k)
    row.update(period_start=_shift(rec.get("period_start"), off), period_end=_shift(rec.get("period_end"), off))
    return row


def project_row(sent: dict, rec: dict) -> dict[str, Any]:
    off = sent.get("doc_start")
    row = _base("project", sent)
    p = rec["project"]
    row.update(project=p["text"], project_start=_shift(p["start"], off), project_end=_shift(p["end"], off),
               stage=rec.get("stage"), stage_start=_shift(rec.get("stage_start"), off),
               stage_end=_shift(rec.get("stage_end"), off))
    return row


def assignment_row(sent: dict, rec: dict) -> dict[str, Any]:
    off = sent.get("doc_start")
    row = _base("assignment", sent)
    offices = rec["offices"]
    leads = [o["lead"] for o in offices]
    row.update(task=rec["task"], offices=[o["text"] for o in offices],
               office_starts=[_shift(o["start"], off) for o in offices],
               office_ends=[_shift(o["end"], off) for o in offices], leads=leads,
               lead_office=next((o["text"] for o in offices if o["lead"]), None))
    return row


# --- writing ---------------------------------------------------------------------------------

def table_format(path: str | os.PathLike) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise GovnerError(f"{path}: cannot tell the table format from the extension {suffix or '(none)'!r}; "
                          f"use one of {', '.join(FORMATS)}")
    return suffix


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def arrow_schema():
    import pyarrow as pa

    types = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
             "list[str]": pa.list_(pa.string()), "list[int]": pa.list_(pa.int64()),
             "list[bool]": pa.list_(pa.bool_())}
    return pa.schema([(name, types[t]) for name, t in COLUMNS.items()])


def write_table(path: str | os.PathLike, rows: Iterable[dict]) -> int:
    """Write rows (dicts with the keys of :data:`COLUMNS`) atomically; returns the row count."""
    fmt = table_format(path)
    rows = [{k: r.get(k) for k in COLUMNS} for r in rows]
    if fmt == ".jsonl":
        atomic_write_jsonl(path, rows)
    elif fmt == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([_csv_cell(r[k]) for k in COLUMNS])
        atomic_write_text(path, buf.getvalue())
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(rows, schema=arrow_schema())
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return len(rows)


# --- reading back ----------------------------------------------------------------------------

def _from_csv(name: str, cell: str, where: str) -> Any:
    t = COLUMNS[name]
    if cell == "":
        return None
    try:
        if t == "int":
            return int(cell)
        if t == "float":
            return float(cell)
        if t == "bool":
            return cell == "True"
        if t.startswith("list"):
            return json.loads(cell)
    except ValueError as exc:
        raise GovnerError(f"{where}: column {name}: cannot read {cell!r} ({exc})") from None
    return cell


def read_table(path: str | os.PathLike) -> list[dict]:
    """Rows of a table written by :func:`write_table`, in any of the three formats."""
    fmt = table_format(path)
    if not Path(path).is_file():
        raise GovnerError(f"{path}: table not found")
    if fmt == ".jsonl":
        from govner.fileio import read_jsonl

        return read_jsonl(path)
    if fmt == ".csv":
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            return [{k: _from_csv(k, v, f"{path}:{n}") for k, v in row.items()}
                    for n, row in enumerate(reader, 2)]
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()
