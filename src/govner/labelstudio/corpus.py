"""Building the annotated corpus files (Label Studio export JSON) from reviewed sentences.

The stored format is Label Studio's own export, so annotations/ can be imported into a
server and round-trip through `govner ls pull`. Each task keeps the rule pre-label as a
``prediction`` and the reviewed labels as an ``annotation`` (``reviewed: true``): a
pre-label never enters training unless a person's reviewed annotation carries it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from govner.errors import GovnerError
from govner.fileio import atomic_write_json, backup
from govner.labelstudio.convert import result_from_entities
from govner.labelstudio.reader import read_annotation_file, summarize, task_problems
from govner.schema import make_entity


def task_id(doc_id: str, sent_idx: int) -> int:
    """Stable across rebuilds, so a task keeps its id when other documents change."""
    return int(hashlib.sha1(f"{doc_id}#{sent_idx}".encode()).hexdigest()[:12], 16) % 2_000_000_000


def build_task(record: dict, spans: list[dict], annotator: str, created_at: str,
               prelabel: list[dict] | None = None, model_version: str | None = None) -> dict:
    text = record["text"]
    ents = [make_entity(text, s["start"], s["end"], s["label"]) for s in spans]
    tid = task_id(record["doc_id"], record["sent_idx"])
    task = {
        "id": tid,
        "data": {k: record[k] for k in ("text", "doc_id", "sent_idx", "source") if k in record},
        "annotations": [{
            "id": tid, "completed_by": annotator, "reviewed": True,
            "result": result_from_entities(text, ents, utf16=False),
            "was_cancelled": False, "ground_truth": False,
            "created_at": created_at, "updated_at": created_at,
        }],
        "predictions": [],
    }
    if prelabel is not None:
        pre = [make_entity(text, s["start"], s["end"], s["label"], s.get("score", 1.0)) for s in prelabel]
        task["predictions"].append({"model_version": model_version or "rules",
                                    "result": result_from_entities(text, pre, utf16=False)})
    return task


def read_corpus_file(path: str | Path) -> list[dict]:
    """The tasks of a corpus file, through the one annotation reader (sound, or a GovnerError)."""
    return read_annotation_file(path)


def write_corpus_file(path: str | Path, tasks: list[dict]) -> None:
    """Atomic, and the previous version is kept as a timestamped backup.

    The tasks pass the reader's checks first: a file that train would refuse is never written.
    """
    problems = task_problems(tasks, path)
    if problems:
        raise GovnerError(summarize(problems, path))
    if Path(path).exists():
        backup(path)
    atomic_write_json(path, tasks, indent=None)
