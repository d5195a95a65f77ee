"""Checking a model directory before loading it, and turning loader failures into GovnerErrors.

Why: ``transformers`` reports a missing ``model.safetensors`` as an ``OSError``, a truncated
one as a ``SafetensorError``, an unknown ``model_type`` as a ``ValueError`` with install
advice, and a directory without tokenizer files not at all: it builds a 5-token tokenizer
that turns every character into [UNK]. Each of these is a directory that cannot serve, so
each becomes one error that names the directory and the missing or broken file.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from govner.errors import GovnerError
from govner.fileio import parse_json_document

#: any one of these holds the weights
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
#: any one of these lets a fast tokenizer be built
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt")


def read_model_config(path: Path) -> dict:
    """``config.json`` of a model directory as a dict, or a GovnerError naming what is wrong."""
    if not path.is_dir():
        raise GovnerError(f"model directory {path} not found")
    config_path = path / "config.json"
    if not config_path.is_file():
        raise GovnerError(f"{config_path} not found: {path} is not a trained model directory")
    try:
        text = config_path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise GovnerError(f"{config_path}: not UTF-8 text") from None
    raw = parse_json_document(text, str(config_path), "a model config")
    if not isinstance(raw, dict):
        raise GovnerError(f"{config_path}: expected a JSON object")
    return raw


def check_model_dir(path: str | Path, need_tokenizer: bool = True, need_weights: bool = True) -> dict:
    """The directory's config after checking its model type, weights and tokenizer files."""
    from transformers import CONFIG_MAPPING

    import govner.modeling.model  # noqa: F401  registers govner_bert, so it counts as known

    path = Path(path)
    raw = read_model_config(path)
    model_type = raw.get("model_type")
    if not isinstance(model_type, str) or model_type not in CONFIG_MAPPING:
        raise GovnerError(f"{path / 'config.json'}: model_type {model_type!r} is not one this installation "
                          "can load (govner trains `bert` and `govner_bert`)")
    if need_weights and not any((path / name).is_file() for name in WEIGHT_FILES):
        raise GovnerError(f"{path}: no model weights ({' or '.join(WEIGHT_FILES)}); was training interrupted "
                          "before the model was saved?")
    if need_tokenizer and not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise GovnerError(f"{path}: no tokenizer files ({' or '.join(TOKENIZER_FILES)}); copy the whole "
                          "model directory, not just its weights")
    return raw


@contextlib.contextmanager
def loading(path: str | Path, what: str) -> Iterator[None]:
    """Any failure of a third-party loader inside becomes a GovnerError naming ``path``."""
    try:
        yield
    except GovnerError:
        raise
    except Exception as exc:  # noqa: BLE001 - OSError, SafetensorError, ValueError, KeyError ... all mean "broken files"
        first = str(exc).strip().split("\n")[0][:300]
        raise GovnerError(f"{path}: cannot load the {what} ({type(exc).__name__}: {first}); "
                          "the files may be truncated or from another program") from None
