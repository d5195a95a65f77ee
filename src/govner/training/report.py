"""What a training run leaves behind besides the weights: metrics.json, report.md, curves.

Final dev/test scores are computed through the same evaluation function as
``govner evaluate`` on the saved model, with the rule baseline on the same sentences.
"""
from __future__ import annotations

import logging
from pathlib import Path

from govner.training.config import TrainConfig
from govner.training.data import AlignmentReport, Example
from govner.training.evaluate import errors_text, evaluate_examples, model_predict_fn, rules_predict_fn
from govner.fileio import atomic_write_json, atomic_write_text
from govner.training.metrics import AVERAGES
from govner.schema import LABEL_CODES

log = logging.getLogger("govner.training.train")
EVAL_SPLITS = ("dev", "test")


def epoch_rows(history: list[dict]) -> list[dict]:
    """Per-epoch dev scores from the Trainer's log history."""
    return [{"epoch": h["epoch"], "dev_loss": h.get("eval_loss"), "dev_micro_f1": h.get("eval_micro_f1"),
             "dev_macro_f1": h.get("eval_macro_f1"),
             **{f"dev_f1_{c}": h.get(f"eval_f1_{c}") for c in LABEL_CODES}}
            for h in history if "eval_micro_f1" in h]


def plot_curves(history: list[dict], out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [(h["epoch"], h["loss"]) for h in history if "loss" in h and "eval_loss" not in h]
    dev = epoch_rows(history)
    fig, ax = plt.subplots(figsize=(6, 4))
    if train:
        ax.plot(*zip(*train), label="train loss")
    if dev:
        ax.plot([d["epoch"] for d in dev], [d["dev_loss"] for d in dev], "o-", label="dev loss")
    ax.set_xlabel("epoch"), ax.set_ylabel("loss"), ax.legend(), ax.grid(alpha=0.3)
    fig.tight_layout(), fig.savefig(out / "loss.png", dpi=100), plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 4))
    if dev:
        ax.plot([d["epoch"] for d in dev], [d["dev_micro_f1"] for d in dev], "o-", label="micro F1", lw=2)
        for c in LABEL_CODES:
            ax.plot([d["epoch"] for d in dev], [d[f"dev_f1_{c}"] for d in dev], ".--", label=c, alpha=0.7)
    ax.set_xlabel("epoch"), ax.set_ylabel("dev entity F1 (strict)"), ax.set_ylim(0, 1)
    ax.legend(fontsize=8), ax.grid(alpha=0.3)
    fig.tight_layout(), fig.savefig(out / "dev_f1.png", dpi=100), plt.close(fig)
    return ["loss.png", "dev_f1.png"]


def _fmt(row: dict | None) -> str:
    if row is None:
        return "– | – | –"
    return f"{row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f}"


def report_markdown(cfg: TrainConfig, metrics: dict, plots: list[str]) -> str:
    rules = metrics.get("rules") or {}
    lines = [f"# Training report: {cfg.output_dir}", "",
             f"Model: `{cfg.model.name_or_path or 'random init'}` ({cfg.model.init}); "
             f"train wall time {metrics['train_wall_seconds']:.0f} s; "
             f"sentences {metrics['n_sentences']}.", "",
             "Strict entity-level scores (exact span and label), computed on characters.", ""]
    for split in EVAL_SPLITS:
        base = rules.get(split)
        lines += [f"## {split}", "",
                  "| label | support | model P | model R | model F1 | rules P | rules R | rules F1 |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name in LABEL_CODES + AVERAGES:
            row = metrics[split]["scores"][name]
            lines.append(f"| {name} | {row['support']} | {_fmt(row)} | "
                         f"{_fmt(base['scores'][name] if base else None)} |")
        lines.append("")
    lines += ["## Test errors (model)", "", "```", errors_text(metrics["test"]["errors"]), "```", ""]
    al = metrics["alignment"]
    lines += [f"Spans widened to token boundaries: {al['unaligned']} of {al['spans']}.", ""]
    lines += ["## Curves", ""] + [f"![{p}]({p})" for p in plots] + [""]
    return "\n".join(lines)


def write_outputs(out: Path, cfg: TrainConfig, splits: dict[str, list[Example]], history: list[dict],
                  alignment: AlignmentReport, wall: float) -> dict:
    model_fn = model_predict_fn(out, device="auto", batch_size=cfg.training.eval_batch_size)
    rules_fn = rules_predict_fn()
    metrics: dict = {"train_wall_seconds": round(wall, 1),
                     "n_sentences": {k: len(v) for k, v in splits.items()},
                     "alignment": {"spans": alignment.spans, "unaligned": len(alignment.unaligned),
                                   "examples": [str(u) for u in alignment.unaligned[:20]]},
                     "epochs": epoch_rows(history)}
    for split in EVAL_SPLITS:
        metrics[split] = evaluate_examples(splits.get(split, []), model_fn)
    metrics["rules"] = ({s: evaluate_examples(splits.get(s, []), rules_fn) for s in EVAL_SPLITS}
                        if rules_fn else None)
    if rules_fn is None:
        log.warning("govner.rules.tagger not available: report.md has no rule baseline")
    atomic_write_json(out / "metrics.json", metrics)
    plots = plot_curves(history, out)
    atomic_write_text(out / "report.md", report_markdown(cfg, metrics, plots))
    for split in EVAL_SPLITS:
        s = metrics[split]["scores"]
        log.info("%s micro F1 %.4f (%s)", split, s["micro"]["f1"],
                 ", ".join(f"{c} {s[c]['f1']:.3f}" for c in LABEL_CODES))
    log.info("wrote %s", out)
    return metrics
