#!/usr/bin/env python
"""Link and number scores of `govner extract` against gold annotations (issue 16).

  links:  .venv/bin/python scripts/extract_scores.py links annotations/*.json --split test
          P/R/F1 of measures() on the gold entities, against the VALUE -> INDICATOR relations
  e2e:    .venv/bin/python scripts/extract_scores.py e2e annotations/*.json --split test --model outputs/default
          measure-record P/R/F1 from the tagger's entities on the raw sentences (`--model rules` for the rules)
  sheet:  .venv/bin/python scripts/extract_scores.py sheet annotations/*.json --split test --out numbers.jsonl
          one row per gold VALUE, pre-filled by parse_value, for a person to check (set "checked": true)
  numbers: .venv/bin/python scripts/extract_scores.py numbers --sheet numbers.jsonl
          exact-match accuracy of number (+low/high), unit and change on the checked rows
  context: .venv/bin/python scripts/extract_scores.py context annotations/*.json --split all --sheet numbers.jsonl
          rewrite only the before/after context of a sheet's rows (after a change of what measures()
          passes to parse_value); the checked fields stay as they are. Prints counts, never values
All logic is in govner.extract.score; this only reads arguments and prints JSON.
"""
import argparse
import glob
import json
import sys

from govner.errors import GovnerError
from govner.extract.score import (end_to_end_scores, link_scores, number_scores, number_sheet, read_gold,
                                  refresh_sheet_context)
from govner.fileio import atomic_write_jsonl, read_jsonl

ap = argparse.ArgumentParser()
ap.add_argument("action", choices=["links", "e2e", "sheet", "numbers", "context"])
ap.add_argument("files", nargs="*", help="annotation files (annotations/*.json)")
ap.add_argument("--split", default="test", help="train|dev|test|all")
ap.add_argument("--splits", default="annotations/splits.yaml")
ap.add_argument("--sheet", help="the checked number sheet (numbers, context)")
ap.add_argument("--out", help="where to write the sheet (sheet; context: default --sheet itself)")
ap.add_argument("--model", default="rules", help="trained model directory or `rules` (e2e)")
ap.add_argument("--device", default="auto")
args = ap.parse_args()

try:
    if args.action == "numbers":
        if not args.sheet:
            ap.error("numbers needs --sheet")
        print(json.dumps(number_scores(read_jsonl(args.sheet)), ensure_ascii=False, indent=1))
        sys.exit(0)
    files = [f for pat in args.files for f in (sorted(glob.glob(pat)) or [pat])]
    gold = read_gold(files, args.split, args.splits)
    if args.action == "links":
        print(json.dumps(link_scores(gold), ensure_ascii=False, indent=1))
    elif args.action == "context":
        if not args.sheet:
            ap.error("context needs --sheet")
        rows = read_jsonl(args.sheet)
        counts = refresh_sheet_context(rows, gold)
        atomic_write_jsonl(args.out or args.sheet, rows)
        print(json.dumps({"rows": len(rows), **counts, "written": args.out or args.sheet}, ensure_ascii=False))
    elif args.action == "e2e":
        from govner.extract.cli import tag

        entities = tag([{"text": g.text} for g in gold], args.model, device=args.device)
        print(json.dumps(end_to_end_scores(gold, entities), ensure_ascii=False, indent=1))
    else:
        if not args.out:
            ap.error("sheet needs --out")
        rows = number_sheet(gold)
        atomic_write_jsonl(args.out, rows)
        print(f"{len(rows)} gold values -> {args.out}")
except GovnerError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)
