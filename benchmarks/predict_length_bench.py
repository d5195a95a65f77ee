"""Predict time against input length: one string of 1,000 to 200,000 characters.

Why: time per character must not grow with the length of the input (issue 18 measured 4.5 s
for 10k characters, 41 s for 50k and 488 s for 200k, because the rule-feature projection
scanned every token for every rule span). The text is real report text (the seeds, cleaned
and joined with line breaks, repeated) cut to each length; each length is predicted as one
string with ``Predictor.predict`` (``--mode document``: ``predict_document``).

    OMP_NUM_THREADS=1 python benchmarks/predict_length_bench.py [--model DIR] [--mode predict|document]

Model: ``--model``, else ``outputs/default`` if it exists, else a tiny random model with rule
features (the default config's architecture in miniature, so the rule tagger and the span
projection run exactly as they do for the shipped model) built with tests/helpers. The
script says which. Ends with one line ``lengths=... max_min_ratio=X`` (time per character,
slowest over fastest; the target is <= 1.5).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
LENGTHS = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)


def report_text(n: int) -> str:
    from govner.text.clean import clean_text

    parts = [clean_text(p.read_text(encoding="utf-8")).text for p in sorted((SHARED / "seeds").glob("*.txt"))]
    text = "\n".join(parts)
    while len(text) < n:
        text = text + "\n" + text
    return text[:n]


def tiny_feature_model(out: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    from helpers.tiny_model import tiny_classifier

    from govner.modeling.tokenizer import build_tokenizer, save_tokenizer

    tiny_classifier(features=["rule_tags"]).save_pretrained(out)
    save_tokenizer(build_tokenizer(), out)
    (out / "train_config.yaml").write_text("data:\n  max_length: 128\n", encoding="utf-8")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--mode", choices=["predict", "document"], default="predict")
    ap.add_argument("--lengths", default=",".join(map(str, LENGTHS)))
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs for inputs up to 20k characters")
    args = ap.parse_args()

    import torch

    from govner.predict.predictor import Predictor

    tmp = tempfile.TemporaryDirectory()
    if args.model:
        model_dir, what = Path(args.model), f"{args.model}"
    elif (ROOT / "outputs" / "default" / "config.json").is_file():
        model_dir, what = ROOT / "outputs" / "default", "outputs/default"
    else:
        model_dir = tiny_feature_model(Path(tmp.name) / "tiny")
        what = "tiny random BERT with rule features (2 layers, hidden 32, 128 positions; outputs/default absent)"
    predictor = Predictor.from_pretrained(model_dir, device="cpu")
    run = predictor.predict if args.mode == "predict" else predictor.predict_document
    lengths = [int(x) for x in args.lengths.split(",")]
    text = report_text(max(lengths))
    run(text[:1000])  # warm-up: lazy imports, jieba/opencc tables, first-call allocations
    print(f"model: {what}; mode: {args.mode}; torch threads: {torch.get_num_threads()}")
    print(f"{'chars':>8} {'seconds':>9} {'us/char':>8} {'entities':>9}")
    per_char = []
    for n in lengths:
        best, ents = float("inf"), []
        for _ in range(args.repeat if n <= 20_000 else 1):
            start = time.perf_counter()
            ents = run(text[:n])
            best = min(best, time.perf_counter() - start)
        per_char.append(best / n)
        print(f"{n:>8} {best:>9.3f} {1e6 * best / n:>8.1f} {len(ents):>9}", flush=True)
    ratio = max(per_char) / min(per_char)
    print(f"lengths={lengths[0]}..{lengths[-1]} max_min_ratio={ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
