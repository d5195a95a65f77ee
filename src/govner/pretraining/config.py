"""Masked-LM pretraining config: a dataclass loaded from YAML plus ``--set key=value`` overrides.

Its own flat dataclass, validated by the same machinery as the fine-tuning config; relative
paths are resolved against the repository root (the parent of ``configs/``), so the command
works from any working directory.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govner.errors import GovnerError

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class PretrainConfig:
    # data
    corpus_glob: str = "../shared/corpus/*.txt.xz"
    seed_glob: str = "../shared/seeds/*.txt"
    extra_globs: list[str] = field(default_factory=lambda: ["../shared/reports/extra/*.txt",
                                                           "../shared/reports/extra/*.html"])
    splits_path: str = "annotations/splits.yaml"
    # Without splits.yaml we cannot know which seed documents will be dev/test, so the seeds are
    # evaluation-only ("heldout"); "train" would pretrain on them (risking leakage).
    seeds_without_splits: str = "heldout"
    domain_repeat: int = 4
    max_corpus_lines: int | None = None
    heldout_per_mille: int = 5
    eval_sequences: int = 256
    vocab_path: str | None = None
    cache_dir: str = ".cache/pretrain"
    # Use this packed-data dir as is (e.g. to resume a run on the exact data it started with
    # after the packing code changed); None: build or find it by its config hash.
    packed_dir: str | None = None
    max_len: int = 128
    # masking
    mask_prob: float = 0.15
    # model
    # "mlm": whole-word masked-LM; "electra": replaced-token detection with a small generator
    # (govner.pretraining.rtd) that shares the embeddings and is the bottom generator_layers
    objective: str = "mlm"
    generator_layers: int = 1
    rtd_weight: float = 50.0
    num_layers: int = 4
    hidden_size: int = 256
    num_heads: int = 4
    intermediate_size: int = 1024
    max_position_embeddings: int = 512
    init_from: str | None = None
    # Dropout during pretraining (less than one pass over the data: nothing to regularise) and the
    # dropout written into the shipped config.json for fine-tuning.
    pretrain_dropout: float = 0.0
    finetune_dropout: float = 0.1
    w2v_init: bool = True
    w2v_epochs: int = 3
    w2v_window: int = 5
    # optimisation
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup_steps: int = 300
    total_steps: int = 3000
    min_lr_ratio: float = 0.05
    schedule: str = "cosine"
    # If set, the decay follows wall-clock training seconds instead of steps (shared CPUs vary).
    time_budget_minutes: float | None = None
    max_steps: int | None = None
    seed: int = 13
    num_threads: int = 2
    bf16: bool = True
    # bookkeeping
    eval_every: int = 100
    save_every_minutes: float = 10.0
    checkpoint_dir: str = ".cache/pretrain/small/ckpt"
    output_dir: str = "models/govbert-small-zh"
    # float16 halves the files (every shard < 16 MB); config.json still says float32, because
    # transformers 5 would otherwise load fp16 weights as an fp16 model.
    export_dtype: str = "float32"
    log_path: str = ".cache/pretrain/small/log.jsonl"
    progress: bool = True

    def path(self, value: str) -> Path:
        p = Path(value)
        return p if p.is_absolute() else (REPO_ROOT / p)


def _check(cfg: PretrainConfig, where: str) -> None:
    if cfg.seeds_without_splits not in ("heldout", "train"):
        raise GovnerError(f"{where}: seeds_without_splits must be 'heldout' or 'train'")
    if cfg.export_dtype not in ("float32", "float16"):
        raise GovnerError(f"{where}: export_dtype must be 'float32' or 'float16'")
    if cfg.objective not in ("mlm", "electra"):
        raise GovnerError(f"{where}: objective must be 'mlm' or 'electra', got {cfg.objective!r}")
    if not 1 <= cfg.generator_layers <= cfg.num_layers:
        raise GovnerError(f"{where}: generator_layers must be between 1 and num_layers ({cfg.num_layers})")
    if cfg.schedule not in ("cosine", "linear"):
        raise GovnerError(f"{where}: schedule must be 'cosine' or 'linear'")


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> PretrainConfig:
    """Validated like the fine-tuning config (govner.training.config): unknown keys with a suggestion,
    types per field, YAML-typed ``--set key=value`` overrides, errors naming file or override."""
    from govner.training.config import build_config

    return build_config(PretrainConfig, path, list(overrides), _check)


def config_to_dict(cfg: PretrainConfig) -> dict[str, Any]:
    return dataclasses.asdict(cfg)
