"""`govner` command line.

Parsers live here so `govner --help` is one readable page; each command's work lives in
the module named after it and is imported lazily, so `govner prepare` never loads torch.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Callable

from govner.errors import GovnerError
from govner.raydata.cli import add_arguments as ray_arguments


def _lazy(module: str, func: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module(module), func)(args)

    return run


def _engine(local: tuple[str, str], ray: tuple[str, str]) -> Callable[[argparse.Namespace], int]:
    """``--engine local`` runs ``local`` (module, function), ``--engine ray`` runs ``ray`` (govner.raydata)."""
    def run(args: argparse.Namespace) -> int:
        if args.engine == "local":
            ray_only = [flag for flag, value in (("--address", args.address), ("--actors", args.actors),
                                                 ("--gpus-per-actor", args.gpus_per_actor))
                        if value not in (None, 0, 0.0)]
            if args.cpus_per_actor != 1.0:
                ray_only.append("--cpus-per-actor")
            if args.command == "predict" and args.out:
                ray_only.append("--out")
            if args.command == "extract" and args.quantize != "auto":
                ray_only.append("--quantize")  # `govner extract` alone runs the Predictor's default
            if ray_only:
                raise GovnerError(f"{', '.join(ray_only)}: only with --engine ray")
        module, func = ray if args.engine == "ray" else local
        return getattr(importlib.import_module(module), func)(args)

    return run


def _ls_auth(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", default=os.environ.get("LABEL_STUDIO_URL", "http://localhost:8080"),
                   help="Label Studio URL (env LABEL_STUDIO_URL)")
    p.add_argument("--token", default=os.environ.get("LABEL_STUDIO_API_KEY"),
                   help="Label Studio API token (env LABEL_STUDIO_API_KEY)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govner", description="Indicators, values, projects and lead offices in Chinese government reports.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("prepare", help="clean reports, split compendia and sentences -> JSONL")
    p.add_argument("reports", nargs="+", help=".txt (UTF-8/GBK/GB18030), .html or .docx files")
    p.add_argument("--out", required=True, help="sentence records (JSONL)")
    p.add_argument("--max-len", type=int, default=150, help="split longer sentences at ；")
    p.set_defaults(func=_lazy("govner.text.prepare", "main"))

    ls = sub.add_parser("ls", help="Label Studio: config, push, pull")
    ls_sub = ls.add_subparsers(dest="ls_command", required=True, metavar="LS_COMMAND")
    p = ls_sub.add_parser("config", help="print the Label Studio labeling config (XML)")
    p.set_defaults(func=_lazy("govner.assist.ls", "config_main"))
    p = ls_sub.add_parser("push", help="create/reuse a project and import sentence tasks")
    p.add_argument("sentences", help="sentence records (JSONL) from `govner prepare`")
    p.add_argument("--project", required=True, help="project title")
    p.add_argument("--prelabel", default=None, metavar="rules|MODEL_DIR",
                   help="attach predictions from the rule pre-labeller or a trained model")
    p.add_argument("--order", choices=["file", "uncertainty"], default="file",
                   help="import order; `uncertainty` puts the model's least certain first")
    p.add_argument("--batch-size", type=int, default=200)
    _ls_auth(p)
    p.set_defaults(func=_lazy("govner.assist.ls", "push_main"))
    p = ls_sub.add_parser("pull", help="export a project's tasks and annotations")
    p.add_argument("--project", required=True)
    p.add_argument("--out", required=True, help="annotations/NAME.json (previous file kept as backup)")
    _ls_auth(p)
    p.set_defaults(func=_lazy("govner.assist.ls", "pull_main"))

    p = sub.add_parser("validate", help="check annotation spans against the guide's rules")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=_lazy("govner.rules.validate", "main"))

    p = sub.add_parser("train", help="fine-tune a token classifier from a config file")
    p.add_argument("--config", required=True)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. training.learning_rate=3e-5")
    p.add_argument("--resume", action="store_true", help="resume from the last checkpoint")
    p.set_defaults(func=_lazy("govner.training.train", "main"))

    p = sub.add_parser("evaluate", help="seqeval report and error analysis")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--model", help="trained model directory")
    g.add_argument("--rules", action="store_true", help="evaluate the rule pre-labeller instead")
    p.add_argument("--data", nargs="+", required=True, help="annotation files")
    p.add_argument("--splits", default="annotations/splits.yaml")
    p.add_argument("--split", default="test", help="train|dev|test|all")
    p.add_argument("--out", default=None, help="write the report (JSON) here")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=_lazy("govner.training.evaluate", "main"))

    p = sub.add_parser("predict", help="entities as JSONL")
    p.add_argument("--model", required=True)
    p.add_argument("--device", default="auto", help="auto|cpu|cuda|cuda:N")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("inputs", nargs="*", default=["-"],
                   help="text/JSONL files or - for stdin (--engine ray: also .parquet files and directories)")
    ray_arguments(p, out_help="--engine ray: output directory (Parquet); a re-run skips what is in it")
    p.set_defaults(func=_engine(("govner.predict.predictor", "main"), ("govner.raydata.cli", "predict_main")))

    p = sub.add_parser("extract", help="tables of targets, assignments and projects (JSONL/CSV/Parquet, HTML)")
    p.add_argument("--model", required=True, metavar="DIR|rules",
                   help="trained model directory, or `rules` for the rule tagger")
    p.add_argument("inputs", nargs="+", metavar="REPORT|SENTENCES.jsonl",
                   help="reports (.txt/.html/.docx, cleaned as by `govner prepare`) or sentence JSONL")
    p.add_argument("--out", required=True,
                   help="table.jsonl, table.csv or table.parquet (--engine ray: a directory of Parquet files)")
    p.add_argument("--html", default=None, metavar="DIR", help="also write one HTML page per document")
    p.add_argument("--device", default="auto", help="auto|cpu|cuda|cuda:N")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--max-len", type=int, default=150, help="as for `govner prepare`")
    ray_arguments(p)
    p.set_defaults(func=_engine(("govner.extract.cli", "main"), ("govner.raydata.cli", "extract_main")))

    p = sub.add_parser("pretrain", help="masked-LM pretraining of a small Chinese BERT")
    p.add_argument("--config", required=True)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--resume", action="store_true")
    p.set_defaults(func=_lazy("govner.pretraining.pretrain", "main"))

    p = sub.add_parser("select", help="rank unlabelled sentences by model uncertainty")
    p.add_argument("--model", required=True)
    p.add_argument("--in", dest="inp", required=True)
    p.add_argument("--top", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--device", default="auto")
    p.set_defaults(func=_lazy("govner.assist.select", "main"))

    p = sub.add_parser("serve-ml", help="Label Studio ML backend over HTTP")
    p.add_argument("--model", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9090)
    p.add_argument("--device", default="auto")
    p.add_argument("--train-config", default=None, metavar="FILE",
                   help="on a START_TRAINING webhook, run `govner train --config FILE` in the background")
    p.set_defaults(func=_lazy("govner.assist.mlbackend", "main"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except GovnerError as exc:  # expected, user-facing failures: no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
