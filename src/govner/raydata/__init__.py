"""`govner predict|extract --engine ray`: the same records, computed by Ray Data actors.

Optional: ``pip install 'govner[ray]'``. Nothing here is imported by the single-process path,
and ``import govner.raydata`` itself does not import ray.

* :mod:`govner.raydata.runner` is generic: input files -> units (a record, a line of JSONL, a
  Parquet row, or a whole file) read by Ray tasks -> a per-batch worker run in actors that load
  their model once (``map_batches`` with a callable class) -> Parquet with a fixed schema.
  Bookkeeping columns ``input_file``, ``input_row`` and ``error`` make a failed file an error
  row instead of a lost job, and let a re-run skip every unit already written.
* :mod:`govner.raydata.tasks` holds the two workers: ``predict`` (one output row per input
  record or document, the single-process JSONL record) and ``extract`` (the table rows of
  ``govner extract`` per input file). Another stage plugs in with a :class:`~govner.raydata.runner.Task`.
"""
from __future__ import annotations

__all__ = ["read_output", "run"]


def __getattr__(name: str):  # lazy: keep `import govner.raydata` free of ray and pyarrow
    if name in __all__:
        from govner.raydata import runner

        return getattr(runner, name)
    raise AttributeError(name)
