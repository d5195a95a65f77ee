"""Generic Ray Data runner: input files -> units -> a per-batch worker in actors -> Parquet.

The plan of one run::

    from_items(input parts)                        driver: which files, cut into parts; what is done
      .map_batches(_Actor, ActorPoolStrategy(N))   actors: load the model once; read a part,
                                                   run the worker on its units in chunks
      .write_parquet(OUT)                          Ray tasks: one Parquet file per block

A large JSONL or Parquet file is cut into parts (byte ranges that end at a line end; Parquet
row groups) by the driver, one Ray block each, so that the actors share it: a block is what
Ray Data hands to one actor, so one block per file kept every other actor idle (measured: one
busy actor of two on a 20,000-line file). The actors read their parts themselves: a separate
read stage would need a CPU of its own, and deadlocks when the actors hold every CPU.

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

import bisect
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from govner.errors import GovnerError
from govner.fileio import parse_json_line

log = logging.getLogger(__name__)

#: Columns the runner adds to every task's own columns.
BOOKKEEPING = ("input_file", "input_row", "error")
#: Inputs read record by record (when the task takes records); anything else is one unit.
RECORD_SUFFIXES = (".jsonl", ".json", ".parquet")
#: Parquet files of at least this many rows (fewer, larger files than one per batch of 512).
ROWS_PER_FILE = 20_000
#: Bytes of JSONL per part, at most and at least (see :func:`plan_parts`).
PART_BYTES_MAX = 4 << 20
PART_BYTES_MIN = 64 << 10
#: Parts per actor a file is cut into when it is large enough (the tail then waits for one small part).
PARTS_PER_ACTOR = 8
#: Input blocks at most (a million small reports: several files per block).
MAX_BLOCKS = 20_000
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
    units_per_call: int = 256  # units one worker call gets (records, or files), read from one part

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


@dataclass(frozen=True)
class Part:
    """A piece of one input file that one actor reads: bytes ``[start, end)`` of a JSONL file whose
    first line is ``first_row``, or Parquet row groups ``groups`` whose first row is ``first_row``;
    ``start is None and groups is None``: the whole file."""

    start: int | None = None
    end: int | None = None
    groups: tuple[int, ...] | None = None
    first_row: int = 1


WHOLE = Part()


def record_kind(given: str, records_per_unit: bool) -> str | None:
    """The suffix (``.jsonl``, ``.json``, ``.parquet``) of a file read record by record, or None
    when the file is one unit (a report, or any file of a task that takes whole files)."""
    suffix = Path(given).suffix.lower()
    return suffix if records_per_unit and suffix in RECORD_SUFFIXES else None


def plan_parts(given: str, path: str, records_per_unit: bool, actors: int) -> list[Part]:
    """Cut one input file into parts for ``actors`` actors (the whole file when small or not records).

    JSONL parts end at a line end and count their lines, so every unit keeps its line number as
    ``input_row``; a file that cannot be scanned here is one whole part, and reading it in the
    actor reports the error as before.
    """
    kind = record_kind(given, records_per_unit)
    if kind is None:
        return [WHOLE]
    try:
        if kind == ".parquet":
            return _parquet_parts(path, actors)
        return _jsonl_parts(path, actors)
    except Exception:  # noqa: BLE001 - unreadable here: the actor reads it and writes the error row
        return [WHOLE]


def _jsonl_parts(path: str, actors: int) -> list[Part]:
    size = os.path.getsize(path)
    target = min(PART_BYTES_MAX, max(PART_BYTES_MIN, size // max(1, actors * PARTS_PER_ACTOR)))
    if size <= target:
        return [WHOLE]
    parts: list[Part] = []
    start, first_row = 0, 1
    with open(path, "rb") as fh:
        while start < size:
            fh.seek(start)
            block = fh.read(target)
            if start + len(block) < size:
                cut = block.rfind(b"\n")
                if cut < 0:  # a line longer than a part: run on to its end
                    rest = fh.readline()
                    block += rest
                    cut = len(block) - 1
                block = block[:cut + 1]
            parts.append(Part(start=start, end=start + len(block), first_row=first_row))
            first_row += block.count(b"\n")
            start += len(block)
    return parts


def _parquet_parts(path: str, actors: int) -> list[Part]:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    rows = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    total = sum(rows)
    target = max(1, total // max(1, actors * PARTS_PER_ACTOR))
    parts: list[Part] = []
    groups: list[int] = []
    first_row = row = 1
    for i, n in enumerate(rows):
        groups.append(i)
        row += n
        if row - first_row >= target or i == len(rows) - 1:
            parts.append(Part(groups=tuple(groups), first_row=first_row))
            groups, first_row = [], row
    return parts if len(parts) > 1 else [WHOLE]


def part_items(given: str, done: list[int], records_per_unit: bool, actors: int) -> list[dict]:
    """The input rows (Ray items) for one file: one per part, each with the sorted ``done`` rows
    that fall in it (the first part also takes any before it, the last any after it)."""
    path = str(Path(given).resolve())
    parts = plan_parts(given, path, records_per_unit, actors)
    cuts = [0, *(bisect.bisect_left(done, p.first_row) for p in parts[1:]), len(done)]
    return [{"input_file": given, "path": path, "done": done[cuts[k]:cuts[k + 1]], "start": part.start,
             "end": part.end, "groups": list(part.groups) if part.groups is not None else None,
             "first_row": part.first_row} for k, part in enumerate(parts)]


def item_part(item: dict) -> Part:
    """The :class:`Part` an input row of :func:`part_items` stands for."""
    groups = item["groups"]
    return Part(start=item["start"], end=item["end"], groups=tuple(groups) if groups is not None else None,
                first_row=item["first_row"])


def file_units(given: str, path: str, done: set[int], records_per_unit: bool,
               part: Part = WHOLE) -> Iterator[dict]:
    """The units of one input file (or one part of it) not in ``done``; reading errors become error units."""
    if 0 in done:  # the whole file was written (as one unit, or as a file-level error)
        return
    kind = record_kind(given, records_per_unit)
    if kind is None:
        yield _unit(given, path, 0)
        return
    try:
        if kind == ".parquet":
            yield from _parquet_units(given, path, done, part)
        else:
            yield from _jsonl_units(given, path, done, part)
    except OSError as exc:
        yield _unit(given, path, 0, error=f"{given}: cannot read ({exc.strerror or exc})")
    except Exception as exc:  # noqa: BLE001 - a file we cannot parse must not stop the job
        yield _unit(given, path, 0, error=f"{given}: cannot read ({type(exc).__name__}: {exc})")


def _jsonl_lines(path: str, part: Part) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as fh:
        if part.start is None:
            yield from enumerate(fh, 1)
            return
        fh.seek(part.start)
        pos = part.start
        for lineno, raw in enumerate(fh, part.first_row):
            if pos >= part.end:
                return
            pos += len(raw)
            yield lineno, raw


def _jsonl_units(given: str, path: str, done: set[int], part: Part = WHOLE) -> Iterator[dict]:
    for lineno, raw in _jsonl_lines(path, part):
        if lineno in done or not raw.strip():
            continue
        try:
            line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            parse_json_line(line, f"{given}:{lineno}")
        except UnicodeDecodeError as exc:
            yield _unit(given, path, lineno, error=f"{given}:{lineno}: not UTF-8 (byte {exc.start})")
            continue
        except GovnerError as exc:  # invalid JSON, nested too deeply, a lone surrogate escape
            yield _unit(given, path, lineno, error=str(exc))
            continue
        yield _unit(given, path, lineno, line.rstrip("\r\n"))


def _parquet_units(given: str, path: str, done: set[int], part: Part = WHOLE) -> Iterator[dict]:
    import pyarrow.parquet as pq

    row = part.first_row - 1
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1024, row_groups=part.groups):
        for rec in batch.to_pylist():
            row += 1
            if row not in done:
                yield _unit(given, path, row, json.dumps(rec, ensure_ascii=False, default=str))


def part_units(items: Iterable[dict], records_per_unit: bool, chunk: int) -> Iterator[list[dict]]:
    """Input parts (one dict per part of a file) -> lists of at most ``chunk`` units."""
    pending: list[dict] = []
    for item in items:
        for unit in file_units(item["input_file"], item["path"], set(item["done"] or ()), records_per_unit,
                               item_part(item)):
            pending.append(unit)
            if len(pending) >= chunk:
                yield pending
                pending = []
    if pending:
        yield pending


# -- actors -------------------------------------------------------------------------------------


class _Actor:
    """Ray Data callable class around a task's worker: built once per actor, called per input part.

    It reads its parts itself (no separate read stage, so no CPU is needed beside the actors and
    no block of units travels through the object store) and runs the worker on ``chunk`` units
    at a time, yielding one output table per chunk.
    """

    def __init__(self, task: Task):
        self.task = task
        self.schema = task.full_schema()
        self.worker = task.worker(**task.worker_kwargs)

    def __call__(self, table) -> Iterator[Any]:
        for units in part_units(table.to_pylist(), self.task.records_per_unit, self.task.units_per_call):
            yield self.run_units(units)

    def run_units(self, units: list[dict]):
        import pyarrow as pa

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
    actors = actors or default_actors(cpus_per_actor, gpus_per_actor)
    todo = [item for f in files if 0 not in done.get(f, ())
            for item in part_items(f, sorted(done.get(f, ())), task.records_per_unit, actors)]
    before = set(output_files(out_dir))
    if todo:
        ds = ray.data.from_items(todo, override_num_blocks=min(len(todo), MAX_BLOCKS))
        # one call per input part (a part of a record file, or a whole file): a larger batch is
        # bundled from several blocks and would go to one actor while the others wait
        ds = ds.map_batches(_Actor, fn_constructor_kwargs={"task": task}, batch_size=1,
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
