"""``govner train``: fine-tune a BERT token classifier from a config file.

Plain Hugging Face ``Trainer``, so ``torchrun``/``accelerate launch`` give DDP with no code
change. Checkpoints live under ``<output_dir>/checkpoints`` (``--resume`` picks the last);
the best epoch by dev micro F1 is what ends up in ``<output_dir>``, together with the
tokenizer, the resolved config, metrics.json, report.md and the curves.
"""
from __future__ import annotations

import argparse
import logging
import shutil
import time
from pathlib import Path

from govner.training.config import TrainConfig, load_config, save_config
from govner.training.data import (AlignmentReport, Example, TokenBatchCollator, build_dataset, check_alignment, label_counts,
                         load_examples, split_examples, swap_mentions)
from govner.errors import GovnerError
from govner.fileio import follow_umask
from govner.modeling.modeldir import check_model_dir, loading
from govner.schema import ID2TAG, TAG2ID
from govner.modeling.tokenizer import build_tokenizer, load_tokenizer, save_tokenizer

log = logging.getLogger("govner.training.train")


def build_tokenizer_for(cfg: TrainConfig):
    if cfg.model.init == "random" and not cfg.model.name_or_path:
        return build_tokenizer(cfg.model.vocab)
    name = cfg.model.name_or_path
    local = Path(name).exists() or name.startswith((".", "/", "models/", "outputs/"))
    if local and not (Path(name) / "config.json").is_file():
        raise GovnerError(f"model.name_or_path: {name} is not a model directory (no config.json); "
                          f"pretrain it (govner pretrain --config configs/pretrain-small.yaml) or use "
                          f"--set model.name_or_path=bert-base-chinese")
    if local:
        check_model_dir(name, need_weights=cfg.model.init != "random")
    with loading(f"model.name_or_path: {name}", "tokenizer"):
        return load_tokenizer(name)


def build_model(cfg: TrainConfig, tokenizer):
    """Pretrained weights with a fresh head, or a randomly initialised BERT of ``model.arch``."""
    from transformers import AutoConfig, AutoModelForTokenClassification, BertConfig

    from govner.modeling.model import FEATURES, GovBertConfig, GovBertForTokenClassification, feature_names

    m = cfg.model
    kwargs = dict(num_labels=len(TAG2ID), id2label=dict(ID2TAG), label2id=dict(TAG2ID))
    if m.dropout is not None:
        kwargs.update(hidden_dropout_prob=m.dropout, attention_probs_dropout_prob=m.dropout)
    if m.init == "random" and not m.name_or_path:
        a = m.arch
        kwargs.update(vocab_size=len(tokenizer), hidden_size=a.hidden_size, num_hidden_layers=a.num_hidden_layers,
                      num_attention_heads=a.num_attention_heads, intermediate_size=a.intermediate_size,
                      max_position_embeddings=a.max_position_embeddings, pad_token_id=tokenizer.pad_token_id)
        config_dict = None
    else:  # the architecture of a known model (its weights too, unless init: random)
        with loading(f"model.name_or_path: {m.name_or_path}", "model config"):
            config_dict = AutoConfig.from_pretrained(m.name_or_path).to_dict()
    features = feature_names(m.rule_features, m.word_features)
    if features:
        if config_dict is not None and config_dict.get("model_type") not in ("bert", GovBertConfig.model_type):
            key = "model.rule_features" if m.rule_features else "model.word_features"
            raise GovnerError(f"{key}: needs a BERT-architecture model, but {m.name_or_path!r} is "
                              f"{config_dict.get('model_type')!r}; set {key}: false")
        base = {k: v for k, v in (config_dict or {}).items() if k not in ("model_type", "architectures")}
        mconf = GovBertConfig(**{**base, **kwargs, "token_features": features, "rule_dropout": m.rule_dropout,
                                 "rule_prior": m.rule_prior,
                                 "feature_versions": {name: FEATURES[name].version for name in features}})
        if m.init == "random":
            return GovBertForTokenClassification(mconf)
        with loading(f"model.name_or_path: {m.name_or_path}", "model weights"):
            model = GovBertForTokenClassification.from_pretrained(m.name_or_path, config=mconf)
        if config_dict.get("model_type") != GovBertConfig.model_type or config_dict.get("token_features") != features:
            model.reset_feature_parameters()  # the feature weights were not (all) in the checkpoint
        return model
    if m.init == "random":
        mconf = (BertConfig(**kwargs) if config_dict is None
                 else AutoConfig.from_pretrained(m.name_or_path, **kwargs))
        return AutoModelForTokenClassification.from_config(mconf)
    with loading(f"model.name_or_path: {m.name_or_path}", "model weights"):
        return AutoModelForTokenClassification.from_pretrained(m.name_or_path, **kwargs)


def _precision_flags(precision: str) -> dict:
    import torch

    if not torch.cuda.is_available():
        return {"use_cpu": True}  # half precision on CPU is slow and changes results: always fp32
    if precision == "auto":
        precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return {"bf16": precision == "bf16", "fp16": precision == "fp16"}


def training_arguments(cfg: TrainConfig, ckpt_dir: Path):
    from transformers import TrainingArguments

    t = cfg.training
    return TrainingArguments(
        output_dir=str(ckpt_dir),
        num_train_epochs=t.epochs, max_steps=t.max_steps,
        learning_rate=t.learning_rate, warmup_steps=t.warmup, weight_decay=t.weight_decay,
        per_device_train_batch_size=t.batch_size, per_device_eval_batch_size=t.eval_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps, max_grad_norm=t.max_grad_norm,
        eval_strategy="epoch", save_strategy="epoch", logging_strategy="steps",
        logging_steps=t.logging_steps, save_total_limit=t.save_total_limit,
        load_best_model_at_end=True, metric_for_best_model="micro_f1", greater_is_better=True,
        seed=t.seed, data_seed=t.seed, report_to="none", disable_tqdm=False,
        dataloader_num_workers=0, remove_unused_columns=True, label_names=["labels"],
        ddp_find_unused_parameters=False,
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
        **_precision_flags(t.precision),
    )


def _compute_metrics(eval_pred) -> dict[str, float]:
    from govner.training.metrics import trainer_metrics

    return trainer_metrics(eval_pred.predictions, eval_pred.label_ids)


def _last_checkpoint(ckpt_dir: Path) -> str | None:
    """The newest *complete* checkpoint: a kill while saving leaves one without trainer_state.json."""
    if not ckpt_dir.is_dir():
        return None
    found = []
    for d in ckpt_dir.glob("checkpoint-*"):
        if d.name.split("-")[-1].isdigit():
            if (d / "trainer_state.json").is_file():
                found.append((int(d.name.split("-")[-1]), d))
            else:
                log.warning("--resume: skipping incomplete checkpoint %s", d)
    return str(max(found)[1]) if found else None


def _datasets(cfg: TrainConfig, tokenizer, splits: dict[str, list[Example]]):
    from govner.modeling.model import feature_names

    report = AlignmentReport()
    ds = {name: build_dataset(exs, tokenizer, cfg.data.max_length, cfg.data.stride, cfg.data.cache_dir, report,
                              feature_names(cfg.model.rule_features, cfg.model.word_features))
          for name, exs in splits.items()}
    check_alignment(report, cfg.data.unalignable)
    return ds, report


def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    run_training(load_config(args.config, args.set), resume=args.resume)
    return 0


def run_training(cfg: TrainConfig, resume: bool = False,
                 splits: dict[str, list[Example]] | None = None) -> dict | None:
    """Train as ``govner train`` does; returns metrics.json's content (None on DDP ranks > 0).

    ``splits`` ({"train", "dev", "test"} → examples) replaces reading ``cfg.data`` files, for
    callers that build training sets in memory (e.g. annotation-loop simulations).
    """
    import transformers
    from transformers import EarlyStoppingCallback, Trainer

    transformers.logging.set_verbosity_warning()
    if cfg.training.num_threads:
        import torch

        torch.set_num_threads(cfg.training.num_threads)
    out = Path(cfg.output_dir)
    ckpt_dir = out / "checkpoints"
    targs = training_arguments(cfg, ckpt_dir)

    if out.exists() and not out.is_dir():
        raise GovnerError(f"output_dir {out}: is a file, not a directory")
    last = _last_checkpoint(ckpt_dir) if resume else None
    if resume and last is None:
        log.warning("--resume: no checkpoint in %s, starting from scratch", ckpt_dir)
    elif last:
        log.info("resuming from %s", last)

    if splits is None:
        splits = split_examples(load_examples(cfg.data.files), cfg.data.splits)
    for name, exs in splits.items():
        log.info("%s: %d sentences, entities %s", name, len(exs), label_counts(exs))
    if not splits["train"] or not splits["dev"]:
        raise GovnerError(f"{cfg.data.splits}: the train and dev splits must both be non-empty")
    augmented = swap_mentions(splits["train"], cfg.data.augment_copies, cfg.training.seed)
    if augmented:
        log.info("train: + %d sentences with swapped mentions", len(augmented))
    tokenizer = build_tokenizer_for(cfg)
    with targs.main_process_first(desc="tokenising"):
        ds, report = _datasets(cfg, tokenizer, {**splits, "train": splits["train"] + augmented})

    transformers.set_seed(cfg.training.seed)  # before the head (or whole model) is initialised
    model = build_model(cfg, tokenizer)
    # Only now, with the data read and the model built: a run that fails at once (a broken
    # annotation file, a missing base model) must not have destroyed an interrupted run's
    # checkpoints, which --resume could still continue.
    if not resume and ckpt_dir.is_dir() and targs.process_index == 0:
        log.info("removing old checkpoints in %s (use --resume to continue them)", ckpt_dir)
        shutil.rmtree(ckpt_dir)
    callbacks = []
    if cfg.training.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=cfg.training.early_stopping_patience))
    trainer = Trainer(
        model=model, args=targs, train_dataset=ds["train"].remove_columns(["example", "window_start"]),
        eval_dataset=ds["dev"].remove_columns(["example", "window_start"]),
        data_collator=TokenBatchCollator(tokenizer, pad_to_multiple_of=8),
        processing_class=tokenizer, compute_metrics=_compute_metrics, callbacks=callbacks,
    )
    started = time.time()
    trainer.train(resume_from_checkpoint=last)
    wall = time.time() - started
    if not trainer.is_world_process_zero():
        return None
    trainer.save_model(str(out))  # the best checkpoint (load_best_model_at_end)
    follow_umask(out)  # safetensors writes 0600
    tokenizer.model_max_length = cfg.data.max_length  # so the Predictor windows as training did
    save_tokenizer(tokenizer, out)
    save_config(cfg, out / "train_config.yaml")
    from govner.training.report import write_outputs

    return write_outputs(out, cfg, splits, trainer.state.log_history, report, wall)
