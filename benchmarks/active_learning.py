"""Simulated annotation loop: does uncertainty selection reach random selection's F1 with fewer labels?

The train split's labels are held out; a seed of random sentences is "labelled", a model is
trained on them (``govner train`` with the given config, called as a library) and scored on
the dev split, then rounds of sentences are added - chosen by ``govner select``'s measure
(:func:`govner.assist.select.spread_rank` over :meth:`Predictor.predict_with_uncertainty`) or at
random - and the model is retrained from scratch each round. Both strategies start from the
same seed set. Writes ``<out>.json`` (every round), ``<out>.png`` (the two curves) and ends
with one line::

    rounds=R random_final_f1=X uncertainty_labels_to_reach=N random_labels=M saved=K

Rerun (lead, once annotations/ is complete)::

    .venv/bin/python benchmarks/active_learning.py --data 'annotations/*.json' \\
        --splits annotations/splits.yaml --config configs/tiny-test.yaml \\
        --epochs 8 --seed-size 100 --round-size 100 --rounds 8 --repeats 3
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from argparse import Namespace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from govner.training.data import Example, load_examples, split_examples  # noqa: E402
from govner.fileio import atomic_write_json  # noqa: E402

STRATEGIES = ("uncertainty", "random")


def raw_tasks(examples: list[Example]) -> dict[tuple[str, object], dict]:
    """The exported task behind each example, so a round's training file is a real export."""
    by_file: dict[str, dict] = {}
    for f in sorted({ex.file for ex in examples}):
        by_file[f] = {t["id"]: t for t in json.loads(Path(f).read_text(encoding="utf-8"))}
    return {(ex.file, ex.task_id): by_file[ex.file][ex.task_id] for ex in examples}


def train_round(labelled: list[Example], dev: list[Example], tasks: dict, args, work: Path) -> tuple[float, Path]:
    """Train on ``labelled`` with ``args.config`` (as `govner train` does); dev micro F1 and model dir."""
    from govner.training import train

    work.mkdir(parents=True, exist_ok=True)
    data = work / "annotations.json"
    atomic_write_json(data, [tasks[(ex.file, ex.task_id)] for ex in labelled + dev])
    splits = work / "splits.yaml"
    splits.write_text(yaml.safe_dump({"train": sorted({ex.doc_id for ex in labelled}),
                                      "dev": sorted({ex.doc_id for ex in dev}), "test": []},
                                     allow_unicode=True), encoding="utf-8")
    out = work / "model"
    overrides = [f"data.files=[{data}]", f"data.splits={splits}", f"output_dir={out}",
                 "data.cache_dir=''", f"data.max_length={args.max_length}",  # no cache: each round's set is new
                 f"training.epochs={args.epochs}", "training.early_stopping_patience=0",
                 "training.save_total_limit=1"]
    train.main(Namespace(config=args.config, set=overrides + list(args.set), resume=False))
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    return float(metrics["dev"]["scores"]["micro"]["f1"]), out


def choose(strategy: str, model_dir: Path, pool: list[Example], k: int, rng: random.Random) -> list[int]:
    """Indices into ``pool`` of the next ``k`` sentences to label."""
    if strategy == "random":
        return rng.sample(range(len(pool)), min(k, len(pool)))
    from govner.predict.predictor import Predictor
    from govner.assist.select import spread_rank

    predictor = Predictor.from_pretrained(model_dir, device="cpu")
    scored = predictor.predict_with_uncertainty([ex.text for ex in pool], batch_size=64)
    return spread_rank([ex.doc_id for ex in pool], [u for _, u in scored])[:k]


def run(strategy: str, seed_idx: list[int], train_pool: list[Example], dev: list[Example], tasks: dict,
        args, work: Path, repeat: int) -> list[dict]:
    rng = random.Random(args.seed * 1000 + repeat)
    labelled_idx = set(seed_idx)
    curve = []
    for rnd in range(args.rounds + 1):
        labelled = [train_pool[i] for i in sorted(labelled_idx)]
        started = time.time()
        f1, model_dir = train_round(labelled, dev, tasks, args, work / f"{strategy}-{repeat}-{rnd}")
        curve.append({"strategy": strategy, "repeat": repeat, "round": rnd, "labelled": len(labelled),
                      "dev_micro_f1": f1, "train_seconds": round(time.time() - started, 1)})
        print(json.dumps(curve[-1]), flush=True)
        rest = [i for i in range(len(train_pool)) if i not in labelled_idx]
        if rnd == args.rounds or not rest:
            break
        picked = choose(strategy, model_dir, [train_pool[i] for i in rest], args.round_size, rng)
        labelled_idx.update(rest[j] for j in picked)
    return curve


def mean_curve(rows: list[dict], strategy: str) -> list[tuple[int, float]]:
    by_n: dict[int, list[float]] = {}
    for r in rows:
        if r["strategy"] == strategy:
            by_n.setdefault(r["labelled"], []).append(r["dev_micro_f1"])
    return [(n, sum(v) / len(v)) for n, v in sorted(by_n.items())]


def labels_to_reach(curve: list[tuple[int, float]], target: float) -> int | None:
    return next((n for n, f1 in curve if f1 >= target), None)


def plot(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for strategy, style in zip(STRATEGIES, ("o-", "s--")):
        for rep in sorted({r["repeat"] for r in rows}):
            pts = [(r["labelled"], r["dev_micro_f1"]) for r in rows if r["strategy"] == strategy and r["repeat"] == rep]
            ax.plot(*zip(*pts), style[0], alpha=0.25, color="C0" if strategy == "uncertainty" else "C1")
        ax.plot(*zip(*mean_curve(rows, strategy)), style, lw=2, label=f"{strategy} (mean)",
                color="C0" if strategy == "uncertainty" else "C1")
    ax.set_xlabel("labelled sentences"), ax.set_ylabel("dev micro F1 (strict)"), ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3), ax.legend()
    fig.tight_layout(), fig.savefig(path, dpi=100), plt.close(fig)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", nargs="+", default=["annotations/*.json"])
    p.add_argument("--splits", default="annotations/splits.yaml")
    p.add_argument("--config", default="configs/tiny-test.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra config override")
    p.add_argument("--seed-size", type=int, default=100)
    p.add_argument("--round-size", type=int, default=100)
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--repeats", type=int, default=3, help="different seed sets; curves are averaged")
    p.add_argument("--epochs", type=float, default=8)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--out", default="benchmarks/active_learning", help="writes OUT.json and OUT.png")
    p.add_argument("--work", default=None, help="scratch dir for round models (default: a temp dir)")
    args = p.parse_args()

    import logging

    logging.basicConfig(level=logging.WARNING)
    examples = load_examples(args.data)
    splits = split_examples(examples, args.splits)
    train_pool, dev = splits["train"], splits["dev"]
    if len(train_pool) <= args.seed_size or not dev:
        raise SystemExit(f"need more than --seed-size={args.seed_size} train sentences and a dev split; "
                         f"got {len(train_pool)} train, {len(dev)} dev")
    tasks = raw_tasks(train_pool + dev)
    started = time.time()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="govner-al-") as tmp:
        work = Path(args.work or tmp)
        for repeat in range(args.repeats):
            seed_idx = random.Random(args.seed + repeat).sample(range(len(train_pool)), args.seed_size)
            for strategy in STRATEGIES:
                rows += run(strategy, seed_idx, train_pool, dev, tasks, args, work, repeat)

    rand, unc = mean_curve(rows, "random"), mean_curve(rows, "uncertainty")
    target = rand[-1][1]
    reach = labels_to_reach(unc, target)
    summary = {"random_final_f1": target, "random_labels": rand[-1][0], "uncertainty_final_f1": unc[-1][1],
               "uncertainty_labels_to_reach": reach,
               "labels_saved": None if reach is None else rand[-1][0] - reach,
               "train_sentences": len(train_pool), "dev_sentences": len(dev), "config": args.config,
               "args": {k: v for k, v in vars(args).items() },
               "wall_seconds": round(time.time() - started)}
    out = Path(args.out)
    atomic_write_json(out.with_suffix(".json"), {"summary": summary, "rounds": rows})
    plot(rows, out.with_suffix(".png"), f"{args.config}: seed {args.seed_size}, rounds of {args.round_size}, "
                                        f"{args.repeats} repeat(s); {len(train_pool)} train / {len(dev)} dev")
    print(f"rounds={args.rounds} random_final_f1={target:.4f} uncertainty_labels_to_reach={reach} "
          f"random_labels={rand[-1][0]} saved={summary['labels_saved']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
