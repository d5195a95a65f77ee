"""The project's tokenizer: bert-base-chinese WordPiece, built from a local vocab file.

Why a module of its own: the vocab file has two entries containing U+2028, so it must be
split on "\\n" only (``str.splitlines`` shifts every later id), and transformers 5 silently
ignores ``vocab_file=`` (yielding a 5-token vocabulary). Both traps are handled once here.
"""
from __future__ import annotations

import collections
import os
from pathlib import Path

from govner.errors import GovnerError

VOCAB_SIZE = 21128
SPECIAL_IDS = {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103}


def default_vocab_path() -> Path:
    """``$GOVNER_VOCAB`` or ../shared/vocab beside the checkout (where tests and CI find it)."""
    env = os.environ.get("GOVNER_VOCAB")
    if env:
        return Path(env)
    root = Path(__file__).resolve().parents[3]
    return root.parent / "shared" / "vocab" / "bert-base-chinese-vocab.txt"


def read_vocab(path: str | os.PathLike) -> "collections.OrderedDict[str, int]":
    path = Path(path)
    if not path.is_file():
        raise GovnerError(f"{path}: vocabulary file not found")
    tokens = path.read_text(encoding="utf-8").split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    vocab = collections.OrderedDict((tok, i) for i, tok in enumerate(tokens))
    if len(vocab) != len(tokens):
        raise GovnerError(f"{path}: duplicate vocabulary entries")
    return vocab


def build_tokenizer(vocab_path: str | os.PathLike | None = None, expected_size: int | None = VOCAB_SIZE):
    """A fast BERT tokenizer over the given vocab, with sizes and special ids asserted."""
    from transformers import BertTokenizerFast

    vocab = read_vocab(vocab_path or default_vocab_path())
    tok = BertTokenizerFast(vocab=vocab, do_lower_case=True, tokenize_chinese_chars=True)
    if expected_size is not None and len(tok) != expected_size:
        raise GovnerError(f"tokenizer has {len(tok)} ids, expected {expected_size}")
    for name, idx in SPECIAL_IDS.items():
        if name in vocab and tok.convert_tokens_to_ids(name) != idx:
            raise GovnerError(f"tokenizer maps {name} to {tok.convert_tokens_to_ids(name)}, expected {idx}")
    return tok


def save_tokenizer(tok, out_dir: str | os.PathLike) -> None:
    """save_pretrained plus a classic vocab.txt, so older tooling can read the model too."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(out)
    ordered = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    (out / "vocab.txt").write_text("".join(t + "\n" for t, _ in ordered), encoding="utf-8")


def load_tokenizer(name_or_path: str | os.PathLike):
    """AutoTokenizer for a model dir or hub id; must be a fast tokenizer (offsets are needed)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(name_or_path))
    if not getattr(tok, "is_fast", False):
        raise GovnerError(f"{name_or_path}: a fast tokenizer is required for offset mapping")
    return tok
