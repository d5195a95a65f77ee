"""Replaced-token detection (ELECTRA): the second pretraining objective of `govner pretrain`.

Why: masked-LM learns from the 15% of positions it masks; on two CPU cores every forward pass
is precious, and ELECTRA's discriminator learns from every position (was this token replaced
by a plausible one?). A small generator (the bottom ``generator_layers`` of the same shape,
sharing the word embeddings and the MLM head, as in the ELECTRA paper) proposes the
replacements; its own MLM loss keeps the proposals plausible. Only the discriminator is
exported: it is a plain BERT encoder, so fine-tuning loads it like any other base model.

Continuing from an MLM-pretrained model, both halves start from it: the discriminator is the
whole model and the generator its bottom layers with the trained MLM head, so neither has to
relearn the character statistics the earlier stages paid for.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from govner.pretraining.data import CLS_ID, PAD_ID, SEP_ID


class ElectraPair(nn.Module):
    """Generator + discriminator. ``disc`` is a ``BertForMaskedLM`` (what gets exported)."""

    def __init__(self, disc, generator_layers: int):
        super().__init__()
        from transformers import BertForMaskedLM

        if not 1 <= generator_layers <= disc.config.num_hidden_layers:
            raise ValueError(f"generator_layers must be 1..{disc.config.num_hidden_layers}, got {generator_layers}")
        self.disc = disc
        gen_cfg = copy.deepcopy(disc.config)
        gen_cfg.num_hidden_layers = generator_layers
        gen = BertForMaskedLM(gen_cfg)
        gen.bert.embeddings = disc.bert.embeddings  # shared, as in ELECTRA
        for i in range(generator_layers):
            gen.bert.encoder.layer[i].load_state_dict(disc.bert.encoder.layer[i].state_dict())
        gen.cls.load_state_dict(disc.cls.state_dict())
        gen.cls.predictions.decoder.weight = disc.bert.embeddings.word_embeddings.weight
        self.gen = gen
        h = disc.config.hidden_size
        self.rtd_head = nn.Sequential(nn.Linear(h, h), nn.GELU(), nn.Linear(h, 1))


def rtd_loss(pair: ElectraPair, inputs: torch.Tensor, labels: torch.Tensor, use_bf16: bool,
             gen: torch.Generator, rtd_weight: float) -> tuple[torch.Tensor, dict]:
    """(loss, stats). ``inputs``/``labels`` as :func:`govner.pretraining.data.mask_whole_words` gives them."""
    device_type = inputs.device.type
    sel = labels != -100
    original = torch.where(sel, labels, inputs)
    with torch.autocast(device_type=device_type, dtype=torch.bfloat16, enabled=use_bf16):
        g_hidden = pair.gen.bert(input_ids=inputs).last_hidden_state
        g_logits = pair.gen.cls(g_hidden[sel]).float()
    target = labels[sel]
    gen_loss = F.cross_entropy(g_logits, target)
    with torch.no_grad():
        probs = torch.softmax(g_logits.detach(), dim=-1)
        sampled = torch.multinomial(probs.cpu(), 1, generator=gen).squeeze(-1).to(inputs.device)
    corrupted = original.clone()
    corrupted[sel] = sampled
    replaced = (corrupted != original).float()
    real = (original != PAD_ID) & (original != CLS_ID) & (original != SEP_ID)
    with torch.autocast(device_type=device_type, dtype=torch.bfloat16, enabled=use_bf16):
        d_hidden = pair.disc.bert(input_ids=corrupted).last_hidden_state
        d_logits = pair.rtd_head(d_hidden).squeeze(-1).float()
    disc_loss = F.binary_cross_entropy_with_logits(d_logits[real], replaced[real])
    loss = gen_loss + rtd_weight * disc_loss
    pred = d_logits[real] > 0
    stats = {
        "gen_loss": float(gen_loss.detach()), "gen_correct": int((g_logits.argmax(-1) == target).sum()),
        "masked": int(target.numel()), "rtd_loss": float(disc_loss.detach()),
        "rtd_correct": int((pred == (replaced[real] > 0)).sum()), "rtd_tokens": int(real.sum()),
        "replaced": int(replaced[real].sum()),
    }
    return loss, stats
