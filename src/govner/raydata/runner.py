"""Generic Ray Data runner: input files -> units -> a per-batch worker in actors -> Parquet.

The plan of one run::

    from_items(input files)                        driver: which files, which units are done
      .map_batches(read_units)                     Ray tasks: a file -> units (streamed in chunks)
      .map_batches(_Actor, ActorPoolStrategy(N))   actors: load the model once, run the worker
      .write_parquet(OUT)                          Ray tasks: one Parquet file per block

Units: a JSONL line (``input_row`` = its line number) or a Parquet row (its 1-based row
number) when the task takes records one by one, otherwise the whole file (``input_row`` 0).
Every output row carries its unit's ``input_file`` (as given on the command line) and
``input_row``, and an ``error`` column that is null unless the unit failed:

* a file that cannot be opened, a line that is not JSON, a record without a string ``text``,
  a report that cannot be decoded: one error row naming the file (and line), the job goes on;
* a re-run with the same ``--out`` first reads the ``(input_file, input_row)`` keys already
  written and leaves those units out (an error row counts as written: delete its Parquet
  file, or use another ``--out``, to retry it). A Parquet file that cannot be read back (a
  crash mid-write) is renamed ``*.parquet.corrupt`` and its units are redone.

The schema is fixed per task (the task's columns plus the three above), so every part file
has the same columns and ``pyarrow.parquet.read_table(OUT)`` reads the whole output.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from govner.errors import GovnerError

log = logging.getLogger(__name__)

#: Columns the runner adds to every task's own columns.
BOOKKEEPING = ("input_file", "input_row", "error")
#: Inputs read record by record (when the task takes records); anything else is one unit.
RECORD_SUFFIXES = (".jsonl", ".json", ".parquet")
#: Parquet files of at least this many rows (fewer, larger files than one per batch of 512).
ROWS_PER_FILE = 20_000
#: Files a directory given as input contributes.
INPUT_SUFFIXES = (".txt", ".html", ".htm", ".docx") + RECORD_SUFFIXES


@dataclass
class Task:
    """What one run computes, for :func:`run`.

    ``worker(**worker_kwargs)`` is built once per actor (load the model there); called with a
    list of units it returns the output rows. A unit is a dict: ``input_file`` (as given),
    ``path`` (absolute), ``input_row``, and ``record`` (the JSON text of one record, or None
    for a whole file). Each unit must yield at least one row carrying its ``input_file`` and
    ``input_row``: that is how a re-run knows it is done. A worker may raise; the batch is
    then retried unit by unit and the failing units become error rows.
    """

    name: str
    worker: type
    schema: Any  # pyarrow.Schema of the task's own columns
    worker_kwargs: dict = field(default_factory=dict)
    records_per_unit: bool = True  # JSONL/Parquet: one unit per record (True) or per file
    units_per_call: int = 256  # rows of one map_batches call (records, or files)

    def full_schema(self):
        import pyarrow as pa

        own = [f for f in self.schema if f.name not in BOOKKEEPING]
        return pa.schema([pa.field("input_file", pa.string()), pa.field("input_row", pa.int64()),
                          pa.field("error", pa.string()), *own])


@dataclass
class RunSummary:
    files: int = 0
    skipped_units: int = 0
    rows: int = 0
    errors: int = 0
    seconds: float = 0.0
    error_messages: list[str] = field(default_factory=list)


UNIT_COLUMNS = ("input_file", "path", "input_row", "record", "error")


def unit_schema():
    import pyarrow as pa

    return pa.schema([("input_file", pa.string()), ("path", pa.string()), ("input_row", pa.int64()),
                      ("record", pa.string()), ("error", pa.string())])


# -- inputs -------------------------------------------------------------------------------------


def expand_inputs(inputs: Iterable[str]) -> list[str]:
    """Files as given; a directory contributes its report/JSONL/Parquet files, sorted, recursively."""
    out: list[str] = []
    for given in inputs:
        if given == "-":
            raise GovnerError("--engine ray reads files, not stdin: give files or directories")
        p = Path(given)
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*") if f.is_file() and f.suffix.lower() in INPUT_SUFFIXES)
            if not found:
                log.warning("%s: no %s files in this directory", given, "/".join(INPUT_SUFFIXES))
            out.extend(found)
        else:
            out.append(given)  # a missing file becomes an error row, like any unreadable one
    if len(set(out)) != len(out):
        raise GovnerError("the same input file is given twice: each file is read once")
    return out


def _unit(given: str, path: str, row: int, record: str | None = None, error: str | None = None) -> dict:
    return {"input_file": given, "path": path, "input_row": row, "record": record, "error": error}


def file_units(given: str, path: str, done: set[int], records_per_unit: bool) -> Iterator[dict]:
    """The units of one input file that are not in ``done``; reading errors become error units."""
    if 0 in done:  # the whole file was written (as one unit, or as a file-level error)
        return
    suffix = Path(given).suffix.lower()
    if not records_per_unit or suffix not in RECORD_SUFFIXES:
        yield _unit(given, path, 0)
        return
    try:
        if suffix == ".parquet":
            yield from _parquet_units(given, path, done)
        else:
            yield from _jsonl_units(given, path, done)
    except OSError as exc:
        yield _unit(given, path, 0, error=f"{given}: cannot read ({exc.strerror or exc})")
    except Exception as exc:  # noqa: BLE001 - a file we cannot parse must not stop the job
        yield _unit(given, path, 0, error=f"{given}: cannot read ({type(exc).__name__}: {exc})")


def _jsonl_units(given: str, path: str, done: set[int]) -> Iterator[dict]:
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if lineno in done or not raw.strip():
                continue
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
                json.loads(line)
            except UnicodeDecodeError as exc:
                yield _unit(given, path, lineno, error=f"{given}:{lineno}: not UTF-8 (byte {exc.start})")
                continue
            except json.JSONDecodeError as exc:
                yield _unit(given, path, lineno, error=f"{given}:{lineno}: invalid JSON ({exc.msg} at column {exc.colno})")
                continue
            yield _unit(given, path, lineno, line.rstrip("\r\n"))


def _parquet_units(given: str, path: str, done: set[int]) -> Iterator[dict]:
    import pyarrow.parquet as pq

    row = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024):
        for rec in batch.to_pylist():
            row += 1
            if row not in done:
                yield _unit(given, path, row, json.dumps(rec, ensure_ascii=False, default=str))


def read_units(batch, records_per_unit: bool, chunk: int) -> Iterator[Any]:
    """Ray task: input files (one ``path`` row per file) -> tables of at most ``chunk`` units."""
    import pyarrow as pa

    schema = unit_schema()
    pending: list[dict] = []
    for item in batch.to_pylist():
        for unit in file_units(item["input_file"], item["path"], set(item["done"] or ()), records_per_unit):
            pending.append(unit)
            if len(pending) >= chunk:
                yield pa.Table.from_pylist(pending, schema=schema)
                pending = []
    if pending:
        yield pa.Table.from_pylist(pending, schema=schema)


# -- actors -------------------------------------------------------------------------------------


class _Actor:
    """Ray Data callable class around a task's worker: built once per actor, called per batch."""

    def __init__(self, task: Task):
        self.task = task
        self.schema = task.full_schema()
        self.worker = task.worker(**task.worker_kwargs)

    def __call__(self, table):
        import pyarrow as pa

        units = table.to_pylist()
        rows = [error_row(u, u["error"]) for u in units if u["error"] is not None]
        good = [u for u in units if u["error"] is None]
        if good:
            try:
                rows += self.worker(good)
            except Exception:  # noqa: BLE001 - retry one by one: only the bad unit fails
                for u in good:
                    try:
                        rows += self.worker([u])
                    except Exception as exc:  # noqa: BLE001
                        msg = str(exc) if isinstance(exc, GovnerError) else f"{type(exc).__name__}: {exc}"
                        where = u["input_file"] + (f":{u['input_row']}" if u["input_row"] else "")
                        rows.append(error_row(u, msg if msg.startswith(u["input_file"]) else f"{where}: {msg}"))
        return pa.Table.from_pylist(rows, schema=self.schema)


def error_row(unit: dict, message: str) -> dict:
    return {"input_file": unit["input_file"], "input_row": unit["input_row"], "error": message}


# -- output -------------------------------------------------------------------------------------


def output_files(out: Path) -> list[Path]:
    return sorted(out.glob("*.parquet")) if out.is_dir() else []


def written_keys(out: Path) -> dict[str, set[int]]:
    """``input_file -> {input_row}`` already in ``out``; unreadable part files are set aside."""
    import pyarrow.parquet as pq

    keys: dict[str, set[int]] = {}
    for f in output_files(out):
        try:
            t = pq.read_table(f, columns=["input_file", "input_row"])
        except Exception as exc:  # noqa: BLE001 - a truncated file from a crashed run
            aside = f.with_name(f.name + ".corrupt")
            log.warning("%s: unreadable (%s); renamed to %s, its units are redone", f, exc, aside.name)
            f.rename(aside)
            continue
        for name, row in zip(t.column("input_file").to_pylist(), t.column("input_row").to_pylist()):
            keys.setdefault(name, set()).add(row)
    return keys


def check_out(out: str | os.PathLike) -> Path:
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise GovnerError(f"--out {out}: exists and is not a directory (the Ray engine writes a directory "
                          "of Parquet files)")
    if p.is_dir():
        strangers = [f.name for f in p.iterdir() if not f.name.endswith((".parquet", ".parquet.corrupt"))
                     and not f.name.startswith(".")]
        if strangers:
            raise GovnerError(f"--out {out}: holds other files than Parquet parts ({', '.join(strangers[:3])}); "
                              "give a new or a previous output directory")
    return p


def read_output(out: str | os.PathLike, columns: list[str] | None = None) -> list[dict]:
    """All rows of an output directory, sorted by (input_file, input_row) (stable within a unit)."""
    import pyarrow.parquet as pq

    rows: list[dict] = []
    for f in output_files(Path(out)):
        rows += pq.read_table(f, columns=columns).to_pylist()
    rows.sort(key=lambda r: (r["input_file"], r["input_row"]))
    return rows


# -- running ------------------------------------------------------------------------------------


def connect(address: str | None = None, num_cpus: int | None = None) -> None:
    """Join the cluster at ``address`` ("auto": the one this machine belongs to), or start a local one."""
    import ray

    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, logging_level=logging.WARNING)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, logging_level=logging.WARNING)


def default_actors(cpus_per_actor: float, gpus_per_actor: float) -> int:
    import ray

    res = ray.cluster_resources()
    if gpus_per_actor:
        return max(1, int(res.get("GPU", 0) // gpus_per_actor))
    return max(1, int(res.get("CPU", 1) // max(cpus_per_actor, 1e-9)))


def run(task: Task, inputs: list[str], out: str | os.PathLike, *, actors: int | None = None,
        cpus_per_actor: float = 1.0, gpus_per_actor: float = 0.0, address: str | None = None,
        progress: bool | None = None) -> RunSummary:
    """Run ``task`` over ``inputs`` on Ray, writing Parquet parts under ``out``; skip what is written."""
    import pyarrow.parquet as pq
    import ray

    t0 = time.perf_counter()
    out_dir = check_out(out)
    files = expand_inputs(inputs)
    summary = RunSummary(files=len(files))
    if not files:
        raise GovnerError("no input files")
    connect(address)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = sys.stderr.isatty() if progress is None else progress
    done = written_keys(out_dir)
    summary.skipped_units = sum(len(v) for v in done.values())
    todo = [{"input_file": f, "path": str(Path(f).resolve()), "done": sorted(done.get(f, ()))}
            for f in files if 0 not in done.get(f, ())]
    before = set(output_files(out_dir))
    if todo:
        actors = actors or default_actors(cpus_per_actor, gpus_per_actor)
        chunk = task.units_per_call
        ds = ray.data.from_items(todo, override_num_blocks=min(len(todo), max(1, actors * 4)))
        ds = ds.map_batches(read_units, batch_size=1, batch_format="pyarrow",
                            fn_kwargs={"records_per_unit": task.records_per_unit, "chunk": chunk})
        ds = ds.map_batches(_Actor, fn_constructor_kwargs={"task": task}, batch_size=chunk,
                            batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=actors),
                            num_cpus=cpus_per_actor, num_gpus=gpus_per_actor or None)
        ds.write_parquet(str(out_dir), min_rows_per_file=ROWS_PER_FILE)
    for f in output_files(out_dir):
        if f in before:
            continue
        t = pq.read_table(f, columns=["error"])
        errors = [e for e in t.column("error").to_pylist() if e is not None]
        summary.rows += t.num_rows
        summary.errors += len(errors)
        summary.error_messages += errors
    summary.seconds = time.perf_counter() - t0
    return summary
