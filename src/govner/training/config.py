"""Training configuration: YAML → validated dataclasses, with ``--set key=value`` overrides.

A misspelt key silently falling back to its default is the classic way to train the wrong
model for hours, so every key is checked against the dataclasses, every value against its
type and range, and every error names the key and the file (or the ``--set`` it came from).
Relative paths are relative to the working directory (the repo root for ``make demo``).
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from govner.errors import GovnerError


def _check(ge: float | None = None, gt: float | None = None, le: float | None = None) -> dict:
    return {"ge": ge, "gt": gt, "le": le}


@dataclass
class DataConfig:
    files: list[str] = field(default_factory=lambda: ["annotations/*.json"])  # globs allowed
    splits: str = "annotations/splits.yaml"
    max_length: int = field(default=128, metadata=_check(ge=8, le=8192))  # tokens incl. [CLS]/[SEP]
    #: window stride in tokens; overlap = (max_length - 2) - stride. Default (null): half a
    #: window, the same as govner.predict.predictor.Predictor uses, so training sees the windows
    #: that prediction will cut
    stride: int | None = field(default=None, metadata=_check(ge=1))
    #: what to do with a span that does not fall on token boundaries: "warn" (widen it to the
    #: covering tokens, count and list it) or "error" (stop)
    unalignable: Literal["warn", "error"] = "warn"
    #: extra copies of each training sentence with entity mentions swapped (0: off)
    augment_copies: int = field(default=0, metadata=_check(ge=0, le=20))
    cache_dir: str = ".cache/datasets"


@dataclass
class ArchConfig:
    """Shape of a randomly initialised BERT (``model.init: random``); ignored otherwise."""

    num_hidden_layers: int = field(default=2, metadata=_check(ge=1))
    hidden_size: int = field(default=64, metadata=_check(ge=8))
    num_attention_heads: int = field(default=2, metadata=_check(ge=1))
    intermediate_size: int = field(default=128, metadata=_check(ge=8))
    max_position_embeddings: int = field(default=512, metadata=_check(ge=8))


@dataclass
class ModelConfig:
    #: a local directory or a hub id; null with ``init: random``
    name_or_path: str | None = "models/govbert-small-zh"
    init: Literal["pretrained", "random"] = "pretrained"
    #: vocab for ``init: random`` (default: ../shared/vocab, see govner.modeling.tokenizer)
    vocab: str | None = None
    arch: ArchConfig = field(default_factory=ArchConfig)
    #: overrides hidden and attention dropout when set
    dropout: float | None = field(default=None, metadata=_check(ge=0.0, le=0.9))
    #: give the model the rule tagger's tag of each token as an extra input (govner.modeling.model);
    #: needs a BERT-architecture model
    rule_features: bool = False
    #: give the model jieba's word boundary and part of speech of each token (govner.modeling.lexical)
    word_features: bool = False
    #: with rule_features: the fraction of training windows whose rule tags are hidden, so the
    #: model also learns to tag without them
    rule_dropout: float = field(default=0.1, metadata=_check(ge=0.0, le=1.0))
    #: with rule_features: the logit bias the rules' tag starts with (0: learn it from nothing)
    rule_prior: float = field(default=2.0, metadata=_check(ge=0.0, le=20.0))


@dataclass
class TrainingConfig:
    epochs: float = field(default=12, metadata=_check(gt=0))
    learning_rate: float = field(default=1e-4, metadata=_check(gt=0, le=1))
    batch_size: int = field(default=32, metadata=_check(ge=1))
    eval_batch_size: int = field(default=64, metadata=_check(ge=1))
    #: a fraction of all steps (< 1) or a number of steps (>= 1)
    warmup: float = field(default=0.1, metadata=_check(ge=0))
    weight_decay: float = field(default=0.01, metadata=_check(ge=0))
    gradient_accumulation_steps: int = field(default=1, metadata=_check(ge=1))
    max_grad_norm: float = field(default=1.0, metadata=_check(gt=0))
    seed: int = 42
    #: epochs without a better dev micro F1 before stopping; 0 disables early stopping
    early_stopping_patience: int = field(default=3, metadata=_check(ge=0))
    #: "auto": bf16 where the GPU supports it, else fp16 on GPU; always fp32 on CPU
    precision: Literal["auto", "fp32", "fp16", "bf16"] = "auto"
    #: stop after this many optimizer steps (-1: run all epochs)
    max_steps: int = field(default=-1, metadata=_check(ge=-1))
    #: CPU threads for torch (null: torch's default). On a machine shared with another job,
    #: 1 can be several times faster than oversubscribing the cores
    num_threads: int | None = field(default=None, metadata=_check(ge=1))
    #: batch windows of similar length (less padding: most sentences are far below max_length)
    group_by_length: bool = True
    logging_steps: int = field(default=10, metadata=_check(ge=1))
    save_total_limit: int = field(default=2, metadata=_check(ge=1))


@dataclass
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    #: default: outputs/<config file stem>
    output_dir: str | None = None


# --- YAML with floats like 3e-5 (YAML 1.1 / PyYAML would read them as strings) -----------

class _Loader(yaml.SafeLoader):
    pass


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
                  |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
                  |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
                  |[-+]?\.(?:inf|Inf|INF)
                  |\.(?:nan|NaN|NAN))$""", re.X),
    list("-+0123456789."),
)


def parse_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


# --- validation ------------------------------------------------------------------------

def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " or ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is list:
        return f"a list of {_type_name(typing.get_args(tp)[0])}"
    if tp is type(None):
        return "null"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    return {int: "an integer", float: "a number", str: "a string", bool: "true/false"}.get(tp, str(tp))


def _coerce(value: Any, tp: Any, key: str, where: str) -> Any:
    """Check ``value`` against the annotation ``tp``; the few safe conversions are done here."""
    origin = typing.get_origin(tp)
    bad = GovnerError(f"{where}: {key}: expected {_type_name(tp)}, got {value!r}")
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise bad
        return _build(tp, value, key, where)
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(tp):
            try:
                return _coerce(value, arg, key, where)
            except GovnerError:
                continue
        raise bad
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise bad
        return value
    if origin is list:
        if isinstance(value, str):  # a single file for a list of files is a natural shorthand
            value = [value]
        if not isinstance(value, list):
            raise bad
        return [_coerce(v, typing.get_args(tp)[0], f"{key}[{i}]", where) for i, v in enumerate(value)]
    if tp is type(None):
        if value is not None:
            raise bad
        return None
    if tp is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        if not math.isfinite(value):  # `.inf` passes every range check and hangs or crashes the trainer
            raise GovnerError(f"{where}: {key}: must be a finite number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise bad
        return value
    raise TypeError(f"unsupported config type {tp!r} for {key}")


def _check_range(value: Any, meta: Any, key: str, where: str) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    for op, bound, ok in (("ge", meta.get("ge"), lambda v, b: v >= b),
                          ("gt", meta.get("gt"), lambda v, b: v > b),
                          ("le", meta.get("le"), lambda v, b: v <= b)):
        if bound is not None and not ok(value, bound):
            sym = {"ge": ">=", "gt": ">", "le": "<="}[op]
            raise GovnerError(f"{where}: {key}: must be {sym} {bound}, got {value!r}")


def _unknown(key: str, known: list[str], prefix: str, where: str) -> GovnerError:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{prefix}{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
    return GovnerError(f"{where}: {prefix}{key}: unknown key{hint}")


def _build(cls: type, raw: dict, prefix: str, where: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    dotted = f"{prefix}." if prefix else ""
    kwargs = {}
    for key, value in raw.items():
        if key not in fields:
            raise _unknown(str(key), list(fields), dotted, where)
        kwargs[key] = _coerce(value, hints[key], dotted + key, where)
        _check_range(kwargs[key], fields[key].metadata, dotted + key, where)
    return cls(**kwargs)


def _check_consistency(cfg: TrainConfig, where: str) -> None:
    """Rules that involve more than one key."""
    usable = cfg.data.max_length - 2
    if cfg.data.stride is None:
        cfg.data.stride = max(1, usable // 2)
    if cfg.data.stride > usable:
        raise GovnerError(f"{where}: data.stride: must be <= data.max_length - 2 = {usable} "
                          f"(windows must overlap or touch), got {cfg.data.stride}")
    m = cfg.model
    if m.init == "pretrained" and not m.name_or_path:
        raise GovnerError(f"{where}: model.name_or_path: required unless model.init is 'random'")
    if m.arch.hidden_size % m.arch.num_attention_heads:
        raise GovnerError(f"{where}: model.arch.hidden_size: {m.arch.hidden_size} is not a multiple "
                          f"of model.arch.num_attention_heads = {m.arch.num_attention_heads}")
    if m.init == "random" and cfg.data.max_length > m.arch.max_position_embeddings:
        raise GovnerError(f"{where}: data.max_length: {cfg.data.max_length} exceeds "
                          f"model.arch.max_position_embeddings = {m.arch.max_position_embeddings}")


def apply_override(raw: dict, assignment: str, root: type = None) -> None:
    """``a.b=value`` into the raw mapping; the value is read as YAML (so 3e-5, true, null work).

    ``root`` is the config dataclass the keys are checked against (default: TrainConfig).
    """
    where = f"--set {assignment}"
    key, sep, text = assignment.partition("=")
    key = key.strip()
    if not sep or not key:
        raise GovnerError(f"{where}: expected KEY=VALUE, e.g. training.learning_rate=3e-5")
    try:
        value = parse_yaml(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise GovnerError(f"{where}: value is not valid YAML ({exc})") from None
    cls: Any = root or TrainConfig
    node = raw
    parts = key.split(".")
    for depth, part in enumerate(parts):
        names = [f.name for f in dataclasses.fields(cls)]
        prefix = ".".join(parts[:depth])
        if part not in names:
            raise _unknown(part, names, f"{prefix}." if prefix else "", where)
        if depth == len(parts) - 1:
            node[part] = value
            return
        cls = typing.get_type_hints(cls)[part]
        if not dataclasses.is_dataclass(cls):
            raise GovnerError(f"{where}: {'.'.join(parts[:depth + 1])} is not a section")
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child


def read_yaml_mapping(path: str | Path) -> dict:
    """A config file's top-level mapping; every failure names the file."""
    path = Path(path)
    if not path.is_file():
        raise GovnerError(f"{path}: config file not found")
    try:
        raw = parse_yaml(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise GovnerError(f"{path}: not UTF-8 (undecodable byte at offset {exc.start}); save it as UTF-8") from None
    except yaml.YAMLError as exc:
        raise GovnerError(f"{path}: not valid YAML: {exc}") from None
    except RecursionError:
        raise GovnerError(f"{path}: YAML nested too deeply to be a config") from None
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise GovnerError(f"{path}: the top level must be a mapping")
    return raw


def build_config(root: type, path: str | Path, overrides: list[str] = (), check=None) -> Any:
    """Any config dataclass from a YAML file plus ``--set`` overrides, validated key by key.

    File errors name the file; an override's errors name the override. ``check(cfg, where)``
    runs the rules that involve more than one key.
    """
    raw = read_yaml_mapping(path)
    cfg = _build(root, raw, "", str(path))
    if check:
        check(cfg, str(path))
    if overrides:
        for assignment in overrides:
            apply_override(raw, assignment, root)
            cfg = _build(root, raw, "", f"{path} with --set {assignment}")
        if check:
            check(cfg, f"{path} with --set {' '.join(overrides)}")
    return cfg


def load_config(path: str | Path, overrides: list[str] = ()) -> TrainConfig:
    cfg = build_config(TrainConfig, path, overrides, _check_consistency)
    if cfg.output_dir is None:
        cfg.output_dir = str(Path("outputs") / Path(path).stem)
    return cfg


def config_to_dict(cfg: TrainConfig) -> dict:
    return dataclasses.asdict(cfg)


def dump_config(cfg: TrainConfig) -> str:
    return yaml.safe_dump(config_to_dict(cfg), allow_unicode=True, sort_keys=False)


def save_config(cfg: TrainConfig, path: str | Path) -> None:
    from govner.fileio import atomic_write_text

    atomic_write_text(path, dump_config(cfg))
