"""``govner predict|extract --engine ray``: arguments, and the runs they start."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from govner.errors import GovnerError


def add_arguments(p: argparse.ArgumentParser, out_help: str | None = None) -> None:
    """The engine flags, shared by ``predict`` and ``extract`` (``--out`` only where given a help)."""
    g = p.add_argument_group("engine (pip install 'govner[ray]' for --engine ray)")
    g.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: this process (default); ray: Ray Data actors, Parquet under --out")
    g.add_argument("--address", default=None,
                   help="Ray cluster to join (`auto`, or ray://HOST:10001); default: start a local one")
    g.add_argument("--actors", type=int, default=None,
                   help="model actors (default: the cluster's CPUs / --cpus-per-actor, or GPUs / --gpus-per-actor)")
    g.add_argument("--cpus-per-actor", type=float, default=1.0, help="CPUs per actor; also its torch threads")
    g.add_argument("--gpus-per-actor", type=float, default=0.0,
                   help="GPUs per actor (e.g. 1, or 0.5 for two actors per GPU); >0 runs the model on CUDA")
    g.add_argument("--quantize", choices=["auto", "bf16", "int8", "none"], default="auto",
                   help="auto (default): the encoder in bfloat16 on a CPU that has it, else float32; "
                        "bf16, int8 (dynamic int8 Linear layers) or none (float32) on CPU; see govner.predict.precision")
    if out_help:
        g.add_argument("--out", default=None, help=out_help)


def check_args(args: argparse.Namespace) -> None:
    if args.actors is not None and args.actors < 1:
        raise GovnerError(f"--actors must be at least 1, got {args.actors}")
    if args.cpus_per_actor <= 0:
        raise GovnerError(f"--cpus-per-actor must be positive, got {args.cpus_per_actor}")
    if args.gpus_per_actor < 0:
        raise GovnerError(f"--gpus-per-actor must be 0 or more, got {args.gpus_per_actor}")
    if args.batch_size < 1:
        raise GovnerError(f"--batch-size must be at least 1, got {args.batch_size}")
    if not args.out:
        raise GovnerError("--engine ray needs --out DIR (a directory of Parquet files)")
    if args.gpus_per_actor and args.quantize in ("bf16", "int8"):
        raise GovnerError(f"--quantize {args.quantize} is for CPU actors; GPU actors run float16 with a "
                          "float32 recheck")


def _device(args: argparse.Namespace) -> str:
    if args.device not in (None, "auto"):
        return args.device
    return "cuda" if args.gpus_per_actor else "cpu"


def _report(summary, out: str) -> int:
    for msg in summary.error_messages[:20]:
        print(f"error: {msg}", file=sys.stderr)
    if len(summary.error_messages) > 20:
        print(f"error: ... and {len(summary.error_messages) - 20} more (rows with `error` set in {out})",
              file=sys.stderr)
    print(f"{summary.files} input files: {summary.rows} rows written ({summary.errors} errors), "
          f"{summary.skipped_units} units already in {out} skipped, {summary.seconds:.1f} s -> {out}",
          file=sys.stderr)
    return 1 if summary.errors else 0


def predict_main(args: argparse.Namespace) -> int:
    from govner.raydata.runner import RECORD_SUFFIXES, expand_inputs, run
    from govner.raydata.tasks import predict_task

    check_args(args)
    if not Path(args.model).is_dir():
        raise GovnerError(f"--model {args.model}: no such model directory")
    threads = max(1, int(args.cpus_per_actor))
    files = expand_inputs(args.inputs)
    documents = not any(f.lower().endswith(RECORD_SUFFIXES) for f in files)  # whole reports: fewer per call
    task = predict_task(args.model, _device(args), args.batch_size, args.quantize, threads, documents=documents)
    summary = run(task, files, args.out, actors=args.actors, cpus_per_actor=args.cpus_per_actor,
                  gpus_per_actor=args.gpus_per_actor, address=args.address)
    return _report(summary, args.out)


def extract_main(args: argparse.Namespace) -> int:
    from govner.extract.cli import RULES
    from govner.raydata.runner import run
    from govner.raydata.tasks import extract_task

    check_args(args)
    if args.html:
        raise GovnerError("--html is not written by --engine ray: run `govner extract --html` on the documents "
                          "you want to read")
    if args.model != RULES and not Path(args.model).is_dir():
        raise GovnerError(f"--model {args.model}: no such model directory (or use `--model {RULES}`)")
    threads = max(1, int(args.cpus_per_actor))
    task = extract_task(args.model, _device(args), args.batch_size, args.quantize, threads, max_len=args.max_len)
    summary = run(task, args.inputs, args.out, actors=args.actors, cpus_per_actor=args.cpus_per_actor,
                  gpus_per_actor=args.gpus_per_actor, address=args.address)
    return _report(summary, args.out)
