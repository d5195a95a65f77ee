"""Reduced-precision CPU inference: ``Predictor.from_pretrained(..., quantize=...)``.

Modes (all leave the classifier head, the rule-logit bias and the embeddings in float32: they
are a sliver of the compute and they set the logits that Viterbi and the scores read):

``"bf16"``
    The encoder's weights and activations in bfloat16 (float32 accumulation in the matrix
    products). Fast only on CPUs with native bfloat16 (AVX512-BF16 or AMX: Intel Cooper Lake
    and Sapphire Rapids on, AMD Zen 4 on); elsewhere slower than float32. Each sentence's
    result does not depend on the other sentences in its batch (no shared scale).
``"int8"``
    ``torch.ao.quantization.quantize_dynamic`` on the encoder's Linear layers: int8 weights,
    activations quantised on the fly with one scale per *batch* tensor, so a sentence's
    result can depend, slightly, on its batch neighbours (about 1-2% of sentences changed an
    entity between batch size 1 and 64 on a barely trained model). For CPUs without bfloat16.
``"auto"``
    ``from_pretrained``'s default: ``"bf16"`` on a CPU with native bfloat16, float32 on any
    other CPU, and on CUDA float16 with a float32 recheck (the Predictor's own GPU rule).
``None`` / ``"none"``
    float32.

Speed and dev micro F1 of each next to float32: ``benchmarks/quantize_eval.py`` and
``benchmarks/predict_bench.py``, results in benchmarks/RESULTS.md.
"""
from __future__ import annotations

import copy
import functools
import warnings
from typing import TYPE_CHECKING

from govner.errors import GovnerError

if TYPE_CHECKING:
    import torch

QUANTIZE = ("auto", "bf16", "int8", "none", None)


@functools.cache
def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX-BF16)."""
    import torch

    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        fn = getattr(torch.cpu, probe, None)
        try:
            if fn is not None and fn():
                return True
        except Exception:  # noqa: BLE001 - a private probe that may change between torch releases
            pass
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            flags = fh.read()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def resolve_quantize(quantize: str | None, device: "torch.device") -> str | None:
    """``quantize=`` as given -> None (float32), "bf16" or "int8" for this device."""
    if quantize not in QUANTIZE:
        raise GovnerError(f"quantize must be one of auto, bf16, int8, none, got {quantize!r}")
    if quantize == "auto":
        return "bf16" if device.type == "cpu" and cpu_has_bf16() else None
    if quantize in ("bf16", "int8") and device.type != "cpu":
        raise GovnerError(f"quantize={quantize!r} is for CPU; on {device.type} the model runs in float16 with a "
                          "float32 recheck")
    return None if quantize == "none" else quantize


def apply(model, mode: str | None):
    """A copy of ``model`` in ``mode`` ("bf16", "int8"), or ``model`` itself for None."""
    if mode is None:
        return model
    if mode == "bf16":
        return encoder_bf16(model)
    if mode == "int8":
        return quantize_int8(model)
    raise GovnerError(f"unknown quantize mode {mode!r}")


def _encoder(model):
    base = getattr(model, "base_model", None)
    encoder = getattr(base, "encoder", None)
    if encoder is None:
        raise GovnerError(f"quantize: {type(model).__name__} has no .base_model.encoder (a BERT-like model is expected)")
    return encoder


def encoder_bf16(model):
    """The encoder in bfloat16 between float32 embeddings and a float32 classifier head."""
    import torch

    model = copy.deepcopy(model)
    encoder = _encoder(model).to(torch.bfloat16)

    def cast(t):
        return t.to(torch.bfloat16) if torch.is_tensor(t) and t.is_floating_point() else t

    def before(module, args, kwargs):
        return tuple(cast(a) for a in args), {k: cast(v) for k, v in kwargs.items()}

    def after(module, args, kwargs, output):
        if torch.is_tensor(output):
            return output.float()
        output.last_hidden_state = output.last_hidden_state.float()
        return output

    encoder.register_forward_pre_hook(before, with_kwargs=True)
    encoder.register_forward_hook(after, with_kwargs=True)
    return model


def quantize_int8(model):
    """The encoder's Linear layers as dynamic int8 (int8 weights, activations quantised per batch)."""
    import torch

    encoder = _encoder(model)
    inside = {id(m) for m in encoder.modules()}
    names = {name for name, mod in model.named_modules() if isinstance(mod, torch.nn.Linear) and id(mod) in inside}
    with warnings.catch_warnings():  # torch.ao.quantization's deprecation notices (still in torch 2.x)
        warnings.simplefilter("ignore")
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(model, names, dtype=torch.qint8)
