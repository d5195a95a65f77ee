"""Masked-LM pretraining config: a dataclass loaded from YAML plus ``--set key=value`` overrides.

Kept apart from the fine-tuning ``config.py`` so the two can evolve independently; relative
paths are resolved against the repository root (the parent of ``configs/``), so the command
works from any working directory.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govner.errors import GovnerError

REPO_ROOT = Path(__file__).resolve().parents[2]


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


def _coerce(name: str, raw: str) -> Any:
    """Parse a ``--set`` value with YAML, so numbers, lists, null and booleans work."""
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise GovnerError(f"--set {name}={raw}: cannot parse value ({exc})") from exc


def _check_type(source: str, name: str, annotation: str, value: Any) -> Any:
    """Enforce the field's declared type; YAML 1.1 reads `3e-4` as a string, so floats are parsed."""
    optional = "None" in annotation
    base = annotation.replace("| None", "").strip()
    if value is None:
        if optional:
            return None
        raise GovnerError(f"{source}: config key {name} must not be null")
    if base == "float" and isinstance(value, (int, float, str)) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            pass
    elif base == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    elif base == "bool" and isinstance(value, bool):
        return value
    elif base == "str" and isinstance(value, str):
        return value
    elif base == "list[str]" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise GovnerError(f"{source}: config key {name} must be {annotation}, got {value!r}")


def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> PretrainConfig:
    path = Path(path)
    if not path.is_file():
        raise GovnerError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise GovnerError(f"{path}: invalid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise GovnerError(f"{path}: top level must be a mapping")
    known = {f.name for f in dataclasses.fields(PretrainConfig)}
    for item in overrides:
        if "=" not in item:
            raise GovnerError(f"--set {item}: expected KEY=VALUE")
        key, raw = item.split("=", 1)
        data[key.strip()] = _coerce(key, raw)
    unknown = sorted(set(data) - known)
    if unknown:
        raise GovnerError(f"{path}: unknown pretraining config key(s): {', '.join(unknown)}")
    types = {f.name: str(f.type) for f in dataclasses.fields(PretrainConfig)}
    cfg = PretrainConfig(**{k: _check_type(str(path), k, types[k], v) for k, v in data.items()})
    if cfg.seeds_without_splits not in ("heldout", "train"):
        raise GovnerError(f"{path}: seeds_without_splits must be 'heldout' or 'train'")
    if cfg.export_dtype not in ("float32", "float16"):
        raise GovnerError(f"{path}: export_dtype must be 'float32' or 'float16'")
    if cfg.schedule not in ("cosine", "linear"):
        raise GovnerError(f"{path}: schedule must be 'cosine' or 'linear'")
    return cfg


def config_to_dict(cfg: PretrainConfig) -> dict[str, Any]:
    return dataclasses.asdict(cfg)
