#!/usr/bin/env python
"""Learning curve: train a config on 25%, 50% and 100% of the training documents.

Whole documents are drawn (seeded, nested: the 25% set is inside the 50% set), so the curve
shows what more *documents* buy, the unit in which the corpus grows. Dev and test stay fixed.
Writes one row per run to a JSON file and, with --plot, a PNG of dev/test micro F1 against
training sentences (one line per config). A run whose outputs/curve/<config>-<percent>/ already
holds metrics.json is read back, not retrained (delete the folder to retrain it).

  python scripts/learning_curve.py --config configs/default.yaml --config configs/chars.yaml \
      --fractions 0.25 0.5 1.0 --out benchmarks/learning_curve.json --plot benchmarks/learning_curve.png \
      [--set key=value ...]
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from govner.training.config import load_config
from govner.training.data import load_examples, split_examples

ap = argparse.ArgumentParser()
ap.add_argument("--config", action="append", required=True)
ap.add_argument("--fractions", nargs="+", type=float, default=[0.25, 0.5, 1.0])
ap.add_argument("--set", action="append", default=[], help="override for every run")
ap.add_argument("--seed", type=int, default=7)
ap.add_argument("--out", default="benchmarks/learning_curve.json")
ap.add_argument("--plot", default=None)
ap.add_argument("--plot-only", action="store_true", help="redraw the PNG from --out")
a = ap.parse_args()


def plot(rows: list[dict], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for cfg in sorted({r["config"] for r in rows}):
        pts = sorted((r["train_sentences"], r["dev_micro_f1"], r["test_micro_f1"]) for r in rows if r["config"] == cfg)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{Path(cfg).stem} dev")
        ax.plot([p[0] for p in pts], [p[2] for p in pts], marker="s", linestyle="--", label=f"{Path(cfg).stem} test")
    rules = [r for r in rows if "rules_test_micro_f1" in r]
    if rules:
        ax.axhline(rules[0]["rules_test_micro_f1"], color="grey", linestyle=":", label="rules test")
    ax.set_xlabel("training sentences (whole documents)")
    ax.set_ylabel("micro F1 (seqeval, strict)")
    ax.set_title("govner learning curve")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


out = Path(a.out)
rows = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else []
if not a.plot_only:
    from govner.training.train import run_training

    for cfg_path in a.config:
        cfg0 = load_config(cfg_path, a.set)
        splits = split_examples(load_examples(cfg0.data.files), cfg0.data.splits)
        docs = sorted({ex.doc_id for ex in splits["train"]})
        order = docs[:]
        random.Random(a.seed).shuffle(order)
        for frac in a.fractions:
            keep = set(order[:max(1, round(frac * len(order)))])
            train = [ex for ex in splits["train"] if ex.doc_id in keep]
            out_dir = Path(f"outputs/curve/{Path(cfg_path).stem}-{int(frac * 100)}")
            if (out_dir / "metrics.json").is_file() and (out_dir / "train_config.yaml").is_file():
                metrics = json.loads((out_dir / "metrics.json").read_text(encoding="utf-8"))  # a finished run
            else:
                cfg = load_config(cfg_path, [*a.set, f"output_dir={out_dir}"])
                metrics = run_training(cfg, splits={**splits, "train": train})
            row = {"config": cfg_path, "fraction": frac, "train_documents": len(keep), "train_sentences": len(train),
                   "dev_micro_f1": metrics["dev"]["scores"]["micro"]["f1"],
                   "test_micro_f1": metrics["test"]["scores"]["micro"]["f1"], "overrides": a.set}
            if metrics.get("rules"):
                row["rules_dev_micro_f1"] = metrics["rules"]["dev"]["scores"]["micro"]["f1"]
                row["rules_test_micro_f1"] = metrics["rules"]["test"]["scores"]["micro"]["f1"]
            rows = [r for r in rows if not (r["config"] == cfg_path and r["fraction"] == frac)] + [row]
            out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
            print(json.dumps(row))
if a.plot:
    plot(rows, a.plot)
