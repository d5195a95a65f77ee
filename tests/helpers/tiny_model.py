"""A tiny random BERT token classifier over the project's vocab, built locally (no model hub).

Shared by tests and benchmarks: small enough for 2 shared CPU cores, yet a real
``BertForTokenClassification`` saved the way training saves one (safetensors, config with
``id2label``, tokenizer files), so loading code paths are the real ones.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from govner.schema import ID2TAG, TAG2ID
from govner.modeling.tokenizer import build_tokenizer, save_tokenizer


def tiny_classifier(seed: int = 0, hidden: int = 32, layers: int = 2, heads: int = 2, max_positions: int = 128,
                    features: Sequence[str] = (), rule_dropout: float = 0.0):
    """A tiny random token classifier in memory: a plain BERT, or with ``features`` a GovBert."""
    import torch
    from transformers import BertConfig, BertForTokenClassification

    from govner.modeling.model import GovBertConfig, GovBertForTokenClassification

    torch.manual_seed(seed)
    sizes = dict(vocab_size=len(build_tokenizer()), hidden_size=hidden, num_hidden_layers=layers,
                 num_attention_heads=heads, intermediate_size=4 * hidden, max_position_embeddings=max_positions,
                 id2label=dict(ID2TAG), label2id=dict(TAG2ID))
    if features:
        return GovBertForTokenClassification(GovBertConfig(token_features=list(features), rule_dropout=rule_dropout,
                                                           **sizes))
    return BertForTokenClassification(BertConfig(**sizes))


def build_tiny_model(out_dir: str | Path, seed: int = 0, hidden: int = 32, layers: int = 2, heads: int = 2,
                     max_positions: int = 128, winning_tag: str | None = None) -> Path:
    """Save a tiny classifier to ``out_dir``; ``winning_tag`` makes that tag win on every token.

    Zeroing the classifier weight and biasing one tag gives a model whose output is known in
    advance, which entity-level tests need; without it the tags are random but deterministic.
    """
    import torch

    model = tiny_classifier(seed, hidden, layers, heads, max_positions).eval()
    if winning_tag is not None:
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.zero_()
            model.classifier.bias[TAG2ID[winning_tag]] = 5.0
    out = Path(out_dir)
    model.save_pretrained(out)
    save_tokenizer(build_tokenizer(), out)
    return out
