"""Dev (or test) micro F1 of a model in float32, bfloat16 and int8 (``quantize=``), side by side.

A reduced precision is kept only where its F1 stays within ``--tolerance`` (0.005) of
float32; this script is that measurement. Every run goes through ``govner evaluate``'s own
code (:func:`govner.training.evaluate.evaluate_examples`: strict entity match, per label and micro) on
the same sentences; it also times each (one run, after the same warm-up) and counts sentences
whose entity sets differ from float32's.

    OMP_NUM_THREADS=1 python benchmarks/quantize_eval.py --model DIR [--data 'annotations/*.json'] [--split dev]

Ends with one line per reduced precision
``split=S sentences=N mode=M fp32_f1=X f1=Y delta=D speedup=R identical=I within_tolerance=yes|no``.
Exit code 1 when one of them is outside the tolerance.
"""
from __future__ import annotations

import argparse
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", nargs="+", default=["annotations/*.json"])
    ap.add_argument("--splits", default="annotations/splits.yaml")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--tolerance", type=float, default=0.005)
    ap.add_argument("--modes", nargs="+", default=["bf16", "int8"], help="reduced precisions to compare")
    args = ap.parse_args()

    from govner.training.data import load_examples, select_split
    from govner.training.evaluate import evaluate_examples
    from govner.predict.predictor import Predictor
    from govner.schema import LABEL_CODES

    examples = select_split(load_examples(args.data), args.splits, args.split)
    if not examples:
        sys.exit(f"--split {args.split}: no annotated sentences in {' '.join(args.data)}")
    results, seconds, entities = {}, {}, {}
    for name, quantize in [("fp32", "none")] + [(m, m) for m in args.modes]:
        predictor = Predictor.from_pretrained(args.model, device="cpu", quantize=quantize)
        predictor.predict([ex.text for ex in examples[:64]])  # warm-up

        def predict(texts, predictor=predictor, name=name):
            t0 = time.perf_counter()
            out = predictor.predict(list(texts), batch_size=args.batch_size)
            seconds[name] = time.perf_counter() - t0
            entities[name] = out
            return out

        results[name] = evaluate_examples(examples, predict)["scores"]
    print(f"{args.model} on {args.split}: {len(examples)} sentences")
    print(f"{'':>12} {'fp32 F1':>9}" + "".join(f" {m + ' F1':>9} {'delta':>8}" for m in args.modes))
    for label in [*LABEL_CODES, "micro", "macro"]:
        a = results["fp32"][label]["f1"]
        print(f"{label:>12} {a:9.4f}" + "".join(f" {results[m][label]['f1']:9.4f} {results[m][label]['f1'] - a:+8.4f}"
                                                for m in args.modes))
    f32 = results["fp32"]["micro"]["f1"]
    ok = True
    for m in args.modes:
        same = sum({(e["start"], e["end"], e["label"]) for e in x} == {(e["start"], e["end"], e["label"]) for e in y}
                   for x, y in zip(entities["fp32"], entities[m])) / len(examples)
        f1 = results[m]["micro"]["f1"]
        within = abs(f1 - f32) <= args.tolerance
        ok &= within
        print(f"split={args.split} sentences={len(examples)} mode={m} fp32_f1={f32:.4f} f1={f1:.4f} "
              f"delta={f1 - f32:+.4f} speedup={seconds['fp32'] / seconds[m]:.2f} identical={same:.4f} "
              f"within_tolerance={'yes' if within else 'no'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
