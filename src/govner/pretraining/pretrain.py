"""`govner pretrain`: masked-LM pretraining (whole-word masking) of a small Chinese BERT.

Built to learn as much as possible per CPU-second: bf16 autocast, the MLM head applied only at
the masked positions (the 21128-way decoder is most of the cost otherwise), word embeddings
initialised from character word2vec vectors, a warmup + cosine schedule that may follow wall
time, and resumable checkpoints (model, optimizer, step, data position, elapsed time) so runs
can be stopped and continued at any point.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from govner.errors import GovnerError
from govner.fileio import follow_umask
from govner.pretraining.config import PretrainConfig, config_to_dict, load_config
from govner.pretraining.data import PackedData, build_or_load, mask_whole_words
from govner.pretraining.rtd import ElectraPair, rtd_loss
from govner.pretraining.w2v import char_vectors

CKPT_NAME = "ckpt.pt"


@dataclass
class TrainState:
    step: int = 0
    epoch: int = 0
    pos: int = 0
    elapsed: float = 0.0  # training seconds over all runs (the time-based schedule's clock)
    tokens: int = 0
    masked: int = 0
    evals: list[dict] = field(default_factory=list)
    throughput: float = 0.0  # tokens/s of the latest run
    stopped: bool = False  # the latest run ended on SIGTERM, before its step/time limit


# ---------------------------------------------------------------- model

def build_model(cfg: PretrainConfig, vocab_size: int):
    from transformers import BertForMaskedLM

    if cfg.init_from:
        model = BertForMaskedLM.from_pretrained(str(cfg.path(cfg.init_from)), dtype=torch.float32)
    else:
        torch.manual_seed(cfg.seed)
        model = BertForMaskedLM(_bert_config(cfg, vocab_size))
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = cfg.pretrain_dropout
    return model


def _bert_config(cfg: PretrainConfig, vocab_size: int):
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=cfg.hidden_size, num_hidden_layers=cfg.num_layers,
                      num_attention_heads=cfg.num_heads, intermediate_size=cfg.intermediate_size,
                      max_position_embeddings=cfg.max_position_embeddings, tie_word_embeddings=True,
                      hidden_dropout_prob=cfg.finetune_dropout, attention_probs_dropout_prob=cfg.finetune_dropout)


def init_word_embeddings(model, vectors: np.ndarray, found: np.ndarray) -> None:
    """Copy word2vec rows into the embedding, rescaled to the BERT init scale (std = initializer_range)."""
    emb = model.get_input_embeddings().weight
    vec = torch.from_numpy(vectors[found]).float()
    vec = (vec - vec.mean(0)) / vec.std() * model.config.initializer_range
    with torch.no_grad():
        emb[torch.from_numpy(np.flatnonzero(found))] = vec


def mlm_loss(model, inputs: torch.Tensor, labels: torch.Tensor, use_bf16: bool):
    """(loss, correct, n_masked): the decoder runs only on masked positions."""
    device_type = inputs.device.type
    with torch.autocast(device_type=device_type, dtype=torch.bfloat16, enabled=use_bf16):
        hidden = model.bert(input_ids=inputs).last_hidden_state
        sel = labels != -100
        logits = model.cls(hidden[sel])
    target = labels[sel]
    loss = F.cross_entropy(logits.float(), target)
    correct = int((logits.argmax(-1) == target).sum())
    return loss, correct, int(target.numel())


def lr_factor(cfg: PretrainConfig, state: TrainState) -> float:
    if state.step < cfg.warmup_steps:
        return (state.step + 1) / cfg.warmup_steps
    if cfg.time_budget_minutes:
        p = state.elapsed / (cfg.time_budget_minutes * 60)
    else:
        p = (state.step - cfg.warmup_steps) / max(1, cfg.total_steps - cfg.warmup_steps)
    p = min(max(p, 0.0), 1.0)
    shape = 0.5 * (1 + math.cos(math.pi * p)) if cfg.schedule == "cosine" else 1 - p
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * shape


def make_optimizer(cfg: PretrainConfig, model, device: torch.device):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim < 2 or "LayerNorm" in name else decay).append(p)
    groups = [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=(0.9, 0.98), eps=1e-6, fused=device.type == "cuda")


# ---------------------------------------------------------------- data order

def next_batch(data: np.ndarray, cfg: PretrainConfig, state: TrainState) -> np.ndarray:
    """The batch at the state's (epoch, pos): a per-epoch seeded permutation, so resuming is exact."""
    n = len(data)
    if n < cfg.batch_size:
        raise GovnerError(f"only {n} packed sequences, fewer than batch_size={cfg.batch_size}")
    if state.pos + cfg.batch_size > n:
        state.epoch, state.pos = state.epoch + 1, 0
    perm = np.random.default_rng([cfg.seed, state.epoch]).permutation(n)
    idx = np.sort(perm[state.pos: state.pos + cfg.batch_size])
    state.pos += cfg.batch_size
    return np.asarray(data[idx])


def step_generator(cfg: PretrainConfig, step: int) -> torch.Generator:
    return torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)


# ---------------------------------------------------------------- eval / checkpoints

@torch.no_grad()
def evaluate(model, data: PackedData, cfg: PretrainConfig, vocab_size: int, device: torch.device,
             pair: ElectraPair | None = None) -> dict:
    """Held-out MLM loss and masked-token accuracy; masks are fixed so evals are comparable.

    With the ELECTRA objective, loss/acc are the generator's (the discriminator has no trained
    MLM head), plus the discriminator's replaced-token accuracy (``rtd_acc``) on the same masks.
    """
    model.eval()
    if pair is not None:
        pair.eval()
    out = {}
    for name, rows in data.eval_sets.items():
        gen = torch.Generator().manual_seed(cfg.seed + 7)
        tot_loss, tot_ok, tot_n, rtd_ok, rtd_n = 0.0, 0, 0, 0, 0
        for i in range(0, len(rows), cfg.batch_size):
            inputs, labels = mask_whole_words(rows[i:i + cfg.batch_size], gen, cfg.mask_prob, vocab_size)
            if pair is None:
                loss, ok, n = mlm_loss(model, inputs.to(device), labels.to(device), cfg.bf16)
            else:
                _, st = rtd_loss(pair, inputs.to(device), labels.to(device), cfg.bf16, gen, cfg.rtd_weight)
                loss, ok, n = st["gen_loss"], st["gen_correct"], st["masked"]
                rtd_ok, rtd_n = rtd_ok + st["rtd_correct"], rtd_n + st["rtd_tokens"]
            tot_loss += float(loss) * n
            tot_ok += ok
            tot_n += n
        out[name] = {"loss": tot_loss / max(tot_n, 1), "acc": tot_ok / max(tot_n, 1), "masked": tot_n}
        if pair is not None:
            out[name]["rtd_acc"] = rtd_ok / max(rtd_n, 1)
    model.train()
    if pair is not None:
        pair.train()
    return out


def save_checkpoint(path: Path, model, opt, state: TrainState, cfg: PretrainConfig) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "state": state.__dict__,
                "config": config_to_dict(cfg)}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path, model, opt) -> TrainState:
    if not path.is_file():
        raise GovnerError(f"--resume: no checkpoint at {path} (checkpoint_dir)")
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optimizer"])
    return TrainState(**ck["state"])


def save_weights(model, out: Path, dtype: str) -> None:
    """save_pretrained in shards of at most 15 MB (one tensor may exceed it), loading as float32."""
    if dtype == "float16":
        import copy

        model = copy.deepcopy(model).to(torch.float16)
    model.save_pretrained(out, max_shard_size="15MB")
    follow_umask(out)  # safetensors writes 0600
    conf_path = out / "config.json"
    conf = json.loads(conf_path.read_text(encoding="utf-8"))
    conf["dtype"] = "float32"
    conf_path.write_text(json.dumps(conf, indent=2) + "\n", encoding="utf-8")


def export_model(model, tok, cfg: PretrainConfig, state: TrainState, meta: dict, command: str) -> Path:
    """Write the model dir (safetensors shards < 16 MB, tokenizer, card) atomically via a sibling dir."""
    from govner.pretraining.card import kept_section, write_card
    from govner.modeling.tokenizer import save_tokenizer

    out = cfg.path(cfg.output_dir)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    save_weights(model, tmp, cfg.export_dtype)
    save_tokenizer(tok, tmp)
    (tmp / "pretrain_state.json").write_text(json.dumps(
        {"state": state.__dict__, "data": meta, "config": config_to_dict(cfg)}, ensure_ascii=False, indent=1),
        encoding="utf-8")
    write_card(tmp / "README.md", cfg, state, meta, command, params=sum(p.numel() for p in model.parameters()),
               kept=kept_section(out / "README.md"))
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    return out


def log_jsonl(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- stages

STAGES_NAME = "earlier_stages.json"


def stage_record(config: dict, state: dict, command: str = "") -> dict:
    """One pretraining run, as the card's stage table lists it."""
    last = state["evals"][-1] if state.get("evals") else {}
    init = config.get("init_from") or ("word2vec embeddings" if config.get("w2v_init") else "random")
    return {"init": init, "steps": state["step"], "tokens": state["tokens"],
            "minutes": round(state["elapsed"] / 60, 1), "lr": config["lr"], "seed": config["seed"],
            "corpus_acc": (last.get("corpus") or {}).get("acc"), "command": command}


def earlier_stages(cfg: PretrainConfig, resume: bool) -> list[dict]:
    """The runs behind ``init_from``, so that a continued model's card counts every token it saw.

    Read from ``init_from`` when a run starts and kept in the checkpoint dir: an in-place
    continuation (``output_dir == init_from``) overwrites ``init_from`` at its first export,
    so a resumed run must not read it again.
    """
    kept = cfg.path(cfg.checkpoint_dir) / STAGES_NAME
    if resume and kept.is_file():
        return json.loads(kept.read_text(encoding="utf-8"))
    stages: list[dict] = []
    if cfg.init_from:
        saved_path = cfg.path(cfg.init_from) / "pretrain_state.json"
        if saved_path.is_file():
            saved = json.loads(saved_path.read_text(encoding="utf-8"))
            stages = saved["data"].get("earlier_stages", []) + [
                stage_record(saved["config"], saved["state"], saved["data"].get("command", ""))]
        else:  # e.g. bert-base-chinese: pretrained elsewhere
            stages = [{"init": str(cfg.init_from), "steps": None, "tokens": None, "minutes": None, "lr": None,
                       "seed": None, "corpus_acc": None, "command": "not pretrained by govner"}]
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(json.dumps(stages, ensure_ascii=False, indent=1), encoding="utf-8")
    return stages


# ---------------------------------------------------------------- the loop

def train(cfg: PretrainConfig, resume: bool = False, command: str = "") -> TrainState:
    from govner.modeling.tokenizer import build_tokenizer

    torch.set_num_threads(cfg.num_threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tok = build_tokenizer(cfg.vocab_path and cfg.path(cfg.vocab_path))
    vocab_size = len(tok)
    data = build_or_load(cfg, workers=cfg.num_threads)
    data.meta = {**data.meta, "earlier_stages": earlier_stages(cfg, resume), "command": command}
    model = build_model(cfg, vocab_size)
    ckpt = cfg.path(cfg.checkpoint_dir) / CKPT_NAME
    log_path = cfg.path(cfg.log_path)
    state = TrainState()
    if not resume and cfg.w2v_init and not cfg.init_from:
        t0 = time.time()
        vectors, found = char_vectors(cfg, data.train, vocab_size)
        init_word_embeddings(model, vectors, found)
        log_jsonl(log_path, {"event": "w2v_init", "rows": int(found.sum()), "seconds": round(time.time() - t0, 1)})
    # ELECTRA trains the pair (generator, discriminator, RTD head); the discriminator `model`
    # is what gets exported either way
    if cfg.objective == "electra":
        torch.manual_seed(cfg.seed)  # the RTD head's init: the same run whatever ran before in this process
        pair = ElectraPair(model, cfg.generator_layers)
    else:
        pair = None
    trained = pair if pair is not None else model
    trained.to(device).train()
    opt = make_optimizer(cfg, trained, device)
    if resume:
        state = load_checkpoint(ckpt, trained, opt)
    log_jsonl(log_path, {"event": "start", "resume": resume, "step": state.step, "device": str(device),
                         "train_sequences": len(data.train), "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")})

    stop = {"flag": False}

    def _on_term(signum, frame):  # finish the step, save, exit
        stop["flag"] = True

    old_handler = signal.signal(signal.SIGTERM, _on_term)
    limit = cfg.max_steps if cfg.max_steps is not None else (None if cfg.time_budget_minutes else cfg.total_steps)
    budget = cfg.time_budget_minutes * 60 if cfg.time_budget_minutes else None
    bar = tqdm(total=limit, initial=state.step, desc="pretrain", unit="step", disable=not cfg.progress,
               mininterval=10)
    last_save = time.time()
    run_step_s, run_tokens = 0.0, 0
    window: list[tuple[float, int, int]] = []
    try:
        while not stop["flag"]:
            if limit is not None and state.step >= limit:
                break
            if budget is not None and state.elapsed >= budget:
                break
            t0 = time.time()
            rows = next_batch(data.train, cfg, state)
            inputs, labels = mask_whole_words(rows, step_generator(cfg, state.step), cfg.mask_prob, vocab_size)
            torch.manual_seed(cfg.seed + state.step)  # dropout: same step, same noise, also after resume
            lr = cfg.lr * lr_factor(cfg, state)
            for g in opt.param_groups:
                g["lr"] = lr
            if pair is None:
                loss, ok, n = mlm_loss(model, inputs.to(device), labels.to(device), cfg.bf16)
            else:
                loss, st = rtd_loss(pair, inputs.to(device), labels.to(device), cfg.bf16,
                                    step_generator(cfg, state.step), cfg.rtd_weight)
                ok, n = st["rtd_correct"], st["rtd_tokens"]  # the train log's acc: RTD accuracy
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trained.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            state.step += 1
            state.tokens += rows.size
            state.masked += n
            state.elapsed += time.time() - t0
            run_step_s += time.time() - t0
            run_tokens += rows.size
            state.throughput = run_tokens / max(run_step_s, 1e-9)
            window.append((float(loss.detach()), ok, n))
            bar.update(1)
            if state.step % 10 == 0:
                l = sum(w[0] for w in window) / len(window)
                a = sum(w[1] for w in window) / max(1, sum(w[2] for w in window))
                window.clear()
                bar.set_postfix(loss=f"{l:.3f}", acc=f"{a:.3f}", lr=f"{lr:.2e}", tok_s=f"{state.throughput:.0f}")
                log_jsonl(log_path, {"event": "train", "step": state.step, "loss": round(l, 4), "acc": round(a, 4),
                                     "lr": lr, "tokens": state.tokens, "elapsed": round(state.elapsed, 1),
                                     "tokens_per_s": round(state.throughput, 1)})
            if state.step % cfg.eval_every == 0:
                ev = evaluate(model, data, cfg, vocab_size, device, pair)
                rec = {"step": state.step, "tokens": state.tokens, **ev}
                state.evals.append(rec)
                log_jsonl(log_path, {"event": "eval", **rec})
                bar.write(f"step {state.step}: " + ", ".join(
                    f"{k} loss {v['loss']:.3f} acc {v['acc']:.3f}" for k, v in ev.items()))
            if cfg.save_every_minutes and time.time() - last_save >= cfg.save_every_minutes * 60:
                save_checkpoint(ckpt, trained, opt, state, cfg)
                export_model(model, tok, cfg, state, data.meta, command)
                log_jsonl(log_path, {"event": "save", "step": state.step})
                last_save = time.time()
    finally:
        bar.close()
        signal.signal(signal.SIGTERM, old_handler)
    if not state.evals or state.evals[-1]["step"] != state.step:
        ev = evaluate(model, data, cfg, vocab_size, device, pair)
        state.evals.append({"step": state.step, "tokens": state.tokens, **ev})
        log_jsonl(log_path, {"event": "eval", **state.evals[-1]})
    save_checkpoint(ckpt, trained, opt, state, cfg)
    export_model(model, tok, cfg, state, data.meta, command)
    log_jsonl(log_path, {"event": "end", "step": state.step, "tokens": state.tokens, "stopped": stop["flag"]})
    state.stopped = stop["flag"]
    return state


def main(args) -> int:
    cfg = load_config(args.config, args.set)
    command = "govner pretrain --config " + str(args.config) + "".join(f" --set {s}" for s in args.set)
    state = train(cfg, resume=args.resume, command=command)
    last = state.evals[-1] if state.evals else {}
    print(json.dumps({"step": state.step, "tokens": state.tokens, "eval": last}, ensure_ascii=False))
    return 143 if state.stopped else 0  # stopped by SIGTERM (saved): a supervisor may --resume


if __name__ == "__main__":  # pragma: no cover
    from govner.cli import main as cli_main

    sys.exit(cli_main(["pretrain", *sys.argv[1:]]))
