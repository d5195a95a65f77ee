"""Entities from text with a trained token classifier: any length, exact offsets, CPU or GPU.

Why it is not the Hugging Face pipeline: the pipeline runs one sentence at a time, fails on
inputs longer than the model's positions, and tokenises text that training never saw
(full-width digits). Here all windows of all inputs are sorted by length and run in padded
batches (capped in rows and in tokens), long inputs are windowed with the same
``make_windows`` and the same ``data.max_length``/``data.stride`` as training, and every
entity is built with ``make_entity`` against the caller's own string.

Rules (documented here because they decide what users get):

* Normalisation: the text is width-folded exactly as ``govner prepare`` folds it (full-width
  digits/letters/％ to ASCII, odd spaces to " ", zero-width characters dropped), so the model
  sees what it was trained on. An index map leads back to the caller's string, so offsets
  always index the *original* input and ``entity["text"] == text[start:end]``.
* Decoding: the tags are the most probable *valid* BIO sequence (constrained Viterbi over the
  token probabilities, :mod:`govner.modeling.decode`): an ``I-X`` only after ``B-X``/``I-X``, so an
  entity is never cut by one doubtful token. ``decode_bio`` then groups tags into entities;
  on a sequence that is not valid BIO it applies the repair rule: ``B-X`` always opens an X
  entity; ``I-X`` continues the open entity only if it is an X, otherwise it opens a new X
  entity; ``O`` closes (the pipeline's "simple" grouping).
* Score: the mean over the entity's tokens of the probability of each token's decoded tag.
* Edges: entity edges are token edges (a Latin word may be cut at a WordPiece); whitespace is
  never a token, and any left at an edge after mapping back is trimmed.
* Precision on CPU: ``from_pretrained(..., quantize="auto")`` (the default) runs the encoder
  in bfloat16 on a CPU with native bfloat16 and in float32 elsewhere; "bf16", "int8" and
  "none" choose (:mod:`govner.predict.precision`; dev F1 of each next to float32 in
  benchmarks/RESULTS.md). The constructor takes a model object as it is (``quantize=None``).
* Half precision (CUDA only): a float16 copy of the model runs first; any sequence in which a
  real token's top-two logit margin is below ``fp16_margin`` (0.25) is rerun in float32.
  float16 moves a small BERT's logits by about 1e-2, far below that margin, so the arg-max
  tags - hence the entities - are float32's; scores agree to about 1e-3. (Selection logic is
  unit-tested on CPU; `benchmarks/predict_bench.py --device cuda` checks the entities against
  the float32 pipeline.)
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Sequence

from govner.errors import GovnerError
from govner.predict.precision import QUANTIZE, resolve_quantize  # noqa: F401  (QUANTIZE: the accepted quantize= values)
from govner.schema import BY_CODE, Entity, make_entity
from govner.modeling.windows import Window, make_windows

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import numpy as np
    import torch

#: Logit margin below which a float16 result is recomputed in float32.
FP16_MARGIN = 0.25


def resolve_device(spec: str | None) -> "torch.device":
    """``auto`` prefers CUDA; asking for a CUDA device that is not there is an error, not a fallback."""
    import torch

    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec == "cpu":
        return torch.device("cpu")
    if spec == "cuda" or spec.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise GovnerError(f"device {spec!r} requested but CUDA is not available "
                              f"(torch {torch.__version__}); use --device cpu or auto")
        index = 0 if spec == "cuda" else spec.split(":", 1)[1]
        if not str(index).isdigit():
            raise GovnerError(f"device {spec!r}: expected cuda:N with N a GPU index")
        count = torch.cuda.device_count()
        if int(index) >= count:
            raise GovnerError(f"device {spec!r}: only {count} CUDA device(s) visible (cuda:0..cuda:{count - 1})")
        return torch.device(f"cuda:{int(index)}")
    raise GovnerError(f"unknown device {spec!r}: expected auto, cpu, cuda or cuda:N")


def normalize_with_map(text: str) -> tuple[str, list[int] | None]:
    """The prepare-time width folding, plus for each output char its index in ``text``.

    Returns ``None`` as the map when nothing changed (the common case, kept cheap).
    """
    from govner.text.clean import normalize_width_with_map

    return normalize_width_with_map(text)


@dataclass(frozen=True)
class TagSet:
    """The model's ``id2label`` split into BIO prefix and schema label per tag id."""

    prefix: tuple[str, ...]  # "B", "I" or "O"
    label: tuple[str, ...]  # schema code, "" for O

    @classmethod
    def from_id2label(cls, id2label: dict, source: str = "id2label") -> "TagSet":
        ids = sorted(int(k) for k in id2label)
        if ids != list(range(len(ids))) or not ids:
            raise GovnerError(f"{source}: id2label must map 0..N-1 to tags, got ids {ids[:10]}")
        prefixes, labels = [], []
        for i in ids:
            tag = str(id2label[i] if i in id2label else id2label[str(i)])
            if tag == "O":
                prefixes.append("O")
                labels.append("")
                continue
            head, _, code = tag.partition("-")
            if head not in ("B", "I") or code not in BY_CODE:
                raise GovnerError(f"{source}: tag {i} is {tag!r}; expected O or B-/I- with a label "
                                  f"from {', '.join(BY_CODE)}")
            prefixes.append(head)
            labels.append(code)
        return cls(tuple(prefixes), tuple(labels))


def decode_bio(tags: Sequence[int], probs: Sequence[float], tagset: TagSet) -> list[tuple[int, int, str, float]]:
    """Token spans ``(first, last + 1, label, mean max-prob)`` under the repair rule in the module doc."""
    spans: list[tuple[int, int, str, float]] = []
    start, label, total = -1, "", 0.0
    for i, tag in enumerate(tags):
        prefix, code = tagset.prefix[tag], tagset.label[tag]
        if prefix == "I" and start >= 0 and code == label:
            total += probs[i]
            continue
        if start >= 0:
            spans.append((start, i, label, total / (i - start)))
            start = -1
        if prefix != "O":
            start, label, total = i, code, probs[i]
    if start >= 0:
        spans.append((start, len(tags), label, total / (len(tags) - start)))
    return spans


def check_text(text: object, where: str = "predict()") -> str:
    """A string that can be tokenised: a str without lone surrogates (see govner.text.read)."""
    from govner.text.read import check_text as check_unicode

    if not isinstance(text, str):
        raise GovnerError(f"{where} got {type(text).__name__}; expected a string")
    return check_unicode(text, where)


def check_sentence_record(rec: object, where: str, hint: str = "") -> dict:
    """A parsed JSONL line that is a sentence record: an object with a string ``"text"``; the one
    check of every reader of sentence JSONL (predict's files and stdin, the Ray worker, extract)."""
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
        raise GovnerError(f"{where}: expected a sentence record with a string \"text\"{hint}")
    return rec


def check_texts(texts: object, where: str = "predict()") -> list[str]:
    if texts is None:
        raise GovnerError(f"{where} got None; expected a string or a list of strings")
    if not isinstance(texts, (list, tuple)):
        raise GovnerError(f"{where} got {type(texts).__name__}; expected a string or a list of strings")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise GovnerError(f"{where}: texts[{i}] is {type(t).__name__}, expected str")
        check_text(t, f"{where}: texts[{i}]")
    return list(texts)


@dataclass
class _Encoded:
    """One input after normalisation and tokenisation; ``dist`` is filled in place per window."""

    original: str
    index: list[int] | None  # normalised char -> original char, None when identical
    offsets: list[tuple[int, int]]  # per token, into the normalised text
    ids: list[int]
    dist: "np.ndarray"  # (tokens, tags) float32: the probability of every tag (for Viterbi decoding)
    features: dict[str, list[int]] = field(default_factory=dict)  # per-token inputs by name (govner.modeling.model)
    folded: str = ""  # the normalised text the model reads (and the features are computed on)

    @property
    def probs(self) -> list[float]:
        """Per token: the top tag probability (for uncertainty)."""
        return self.dist.max(axis=1).tolist() if len(self.ids) else []

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        if self.index is None:
            return start, end
        return self.index[start], self.index[end - 1] + 1


class Predictor:
    """A token classifier loaded once, predicting entities for strings of any length."""

    def __init__(self, model, tokenizer, id2label: dict, device: "str | torch.device" = "cpu",
                 max_length: int = 512, stride: int | None = None, half: bool | None = None,
                 fp16_margin: float = FP16_MARGIN, quantize: str | None = None):
        import copy

        import torch

        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        self.tokenizer = tokenizer
        self.tagset = TagSet.from_id2label(id2label)
        from govner.modeling.decode import allowed_transitions

        self.allowed = allowed_transitions(
            [p if p == "O" else f"{p}-{c}" for p, c in zip(self.tagset.prefix, self.tagset.label)])
        if max_length < 3:
            raise GovnerError(f"max_length must leave room for [CLS] and [SEP], got {max_length}")
        self.window = max_length - 2
        self.stride = stride or max(1, self.window // 2)
        if not 0 < self.stride <= self.window:
            raise GovnerError(f"stride must be in 1..{self.window} for max_length {max_length}, got {stride}")
        if half is None:
            half = self.device.type == "cuda"
        if half and self.device.type != "cuda":
            raise GovnerError("half precision is only used on CUDA; on CPU it is slower and less exact")
        quantize = resolve_quantize(quantize, self.device)
        from govner.modeling.model import model_features

        self.features = model_features(model)
        self.model = model.to(self.device).eval()
        from govner.predict.precision import apply

        self.quantize = quantize
        self.model = apply(self.model, quantize)
        #: batch widths are rounded up to a multiple of this. oneDNN (bfloat16 on CPU) keeps
        #: compiled kernels per input shape; with every width from 3 to 128 tokens, memory kept
        #: growing with the number of sentences (+100 MiB over 60k). Multiples of 8 bound the
        #: shapes for ~4% more padding.
        self.pad_multiple = 8 if quantize == "bf16" else 1
        self.model_half = copy.deepcopy(self.model).half() if half else None
        self.fp16_margin = fp16_margin
        self.cls_id = tokenizer.cls_token_id
        self.sep_id = tokenizer.sep_token_id
        self.pad_id = tokenizer.pad_token_id or 0
        #: held around each use of the shared tokenizer and model: a batch of windows at a
        #: time, never a whole request (``govner serve-ml`` sets a fair lock here)
        self.model_lock: "contextlib.AbstractContextManager" = contextlib.nullcontext()

    @classmethod
    def from_pretrained(cls, model_dir: str | Path, device: str = "auto", max_length: int | None = None,
                        stride: int | None = None, half: bool | None = None,
                        quantize: str | None = "auto") -> "Predictor":
        """Load a trained model directory.

        ``quantize``: "auto" (default) runs the encoder in bfloat16 on a CPU that has it natively
        and in float32 on other CPUs (float16 with a float32 recheck on CUDA); "bf16" and
        "int8" (dynamic int8 Linear layers) ask for one of them on CPU; None or "none" is
        float32. :mod:`govner.predict.precision` has the details, benchmarks/RESULTS.md speed and dev F1.
        """
        import torch
        from transformers import AutoModelForTokenClassification

        import govner.modeling.model  # registers the feature architecture with the Auto classes
        from govner.modeling.modeldir import check_model_dir, loading, read_model_config
        from govner.modeling.tokenizer import load_tokenizer

        path = Path(model_dir)
        config_path = path / "config.json"
        raw = read_model_config(path)
        id2label = raw.get("id2label")
        if not id2label:
            raise GovnerError(f"{config_path} has no id2label: cannot tell which tag each output is")
        if not isinstance(id2label, dict) or not all(str(k).isdigit() for k in id2label):
            raise GovnerError(f"{config_path}: id2label must map 0..N-1 to tags")
        TagSet.from_id2label({int(k): v for k, v in id2label.items()}, f"{config_path} id2label")
        check_model_dir(path)
        dev = resolve_device(device)
        with loading(path, "tokenizer"):
            tokenizer = load_tokenizer(path)
        # float32 whatever the checkpoint's dtype (pretraining saves bf16): exact on CPU, and
        # the reference the float16 path is checked against on GPU.
        with loading(path, "model weights"):
            model = AutoModelForTokenClassification.from_pretrained(str(path), dtype=torch.float32)
        if len(tokenizer) > model.config.vocab_size:
            raise GovnerError(f"{path}: the tokenizer has {len(tokenizer)} ids but the model only "
                              f"{model.config.vocab_size} embeddings: tokenizer files from another model?")
        if isinstance(model.config, govner.modeling.model.GovBertConfig):
            for line in govner.modeling.model.stale_features(model.config):
                log.warning("%s: %s; the model was trained on other feature inputs than it now gets: "
                            "retrain it for trustworthy scores", path, line)
        limit = model.config.max_position_embeddings
        trained_length, trained_stride = training_window(path)
        if max_length is None:
            max_length = trained_length or min(limit, tokenizer.model_max_length or limit)
            stride = stride or trained_stride
        if max_length > limit:
            raise GovnerError(f"max_length {max_length} exceeds the model's {limit} positions ({config_path})")
        return cls(model, tokenizer, model.config.id2label, dev, max_length, stride, half, quantize=quantize)

    # -- public API -------------------------------------------------------------------------

    def predict(self, texts: str | Sequence[str], batch_size: int = 64) -> list[Entity] | list[list[Entity]]:
        """Entities for one string (a list of entities) or a list of strings (a list per string).

        An empty string gives ``[]``, an empty list ``[]``; a string that is not valid Unicode
        (a lone surrogate) is a GovnerError naming its index and offset.
        """
        if isinstance(texts, str):
            return self._predict_many([check_text(texts)], batch_size)[0]
        return self._predict_many(check_texts(texts), batch_size)

    def predict_with_uncertainty(self, texts: Sequence[str], batch_size: int = 64
                                 ) -> list[tuple[list[Entity], float]]:
        """Entities and one uncertainty per text, from the same forward pass (for active learning).

        Uncertainty is the mean over the text's tokens of ``1 - max tag probability`` ("least
        confidence"): 0 when every tag is certain, up to ``1 - 1/num_tags``; 0 for a text with
        no tokens. See :mod:`govner.assist.select` for why this measure.
        """
        docs = self._infer(check_texts(texts, "predict_with_uncertainty()"), batch_size)
        return [(ents, token_uncertainty(doc.probs)) for doc, ents in zip(docs, self._decode(docs))]

    def predict_document(self, text: str, batch_size: int = 64, max_sentence_len: int = 150) -> list[Entity]:
        """A whole report: split into sentences, predict them as a batch, offsets into ``text``."""
        if not isinstance(text, str):
            raise GovnerError(f"predict_document() got {type(text).__name__}; expected a string")
        return self.predict_documents([text], batch_size, max_sentence_len)[0]

    def predict_documents(self, texts: Sequence[str], batch_size: int = 64, max_sentence_len: int = 150,
                          on_forced: "Callable[[int, int, int, str], None] | None" = None) -> list[list[Entity]]:
        """Several documents at once: all their sentences go through one batched pass.

        ``on_forced(doc_index, start, end, how)`` hears of each line so long (and without a ；)
        that the splitter had to cut it at commas or by length (see govner.text.split).
        """
        from govner.text.split import split_sentences

        texts = check_texts(texts, "predict_documents()")
        if max_sentence_len < 10:
            raise GovnerError(f"max_sentence_len must be at least 10, got {max_sentence_len}")
        sentences: list[tuple[int, int, int]] = []  # (document, start, end)
        for k, text in enumerate(texts):
            forced = (lambda s, e, how, k=k: on_forced(k, s, e, how)) if on_forced else None
            sentences += [(k, s, e) for s, e in split_sentences(text, max_len=max_sentence_len, on_forced=forced)]
        results = self._predict_many([texts[k][s:e] for k, s, e in sentences], batch_size)
        out: list[list[Entity]] = [[] for _ in texts]
        for (k, offset, _), ents in zip(sentences, results):
            for e in ents:
                out[k].append(make_entity(texts[k], e["start"] + offset, e["end"] + offset, e["label"], e["score"]))
        return out

    # -- internals ----------------------------------------------------------------------------

    def _predict_many(self, texts: list[str], batch_size: int) -> list[list[Entity]]:
        return self._decode(self._infer(texts, batch_size))

    def _infer(self, texts: list[str], batch_size: int) -> list[_Encoded]:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise GovnerError(f"batch_size must be an integer of at least 1, got {batch_size!r}")
        if not texts:
            return []
        docs = self._encode(texts)
        for batch in self._plan(docs, batch_size):
            with self.model_lock:
                self._run_batch(batch)
        return docs

    def _plan(self, docs: list[_Encoded], batch_size: int) -> list[list[tuple[_Encoded, Window]]]:
        """All windows of all documents, longest first, cut into batches (:func:`token_batches`)."""
        jobs = [(doc, w) for doc in docs if doc.ids
                for w in make_windows(len(doc.ids), self.window, self.stride)]
        jobs.sort(key=lambda job: job[1].end - job[1].start, reverse=True)
        return [[jobs[i] for i in batch] for batch in token_batches([w.end - w.start + 2 for _, w in jobs], batch_size)]

    def model_inputs(self, texts: Sequence[str], batch_size: int = 64) -> list[dict]:
        """The keyword arguments of every forward pass ``predict(texts)`` makes, in order.

        For measuring the model alone (``benchmarks/predict_bench.py``: the bare forward pass
        over exactly these tensors is the limit the Predictor is compared with).
        """
        out = []
        for batch in self._plan(self._encode(check_texts(texts, "model_inputs()")), batch_size):
            ids, mask, extra = self._batch_inputs(batch)
            out.append({"input_ids": ids, "attention_mask": mask, **extra})
        return out

    def _encode(self, texts: list[str]) -> list[_Encoded]:
        import numpy as np

        normalised = [normalize_with_map(t) for t in texts]
        # verbose=False: no "sequence length is longer than the specified maximum" warning;
        # every sequence is windowed before the model sees it
        with self.model_lock:
            enc = self.tokenizer([n for n, _ in normalised], add_special_tokens=False, return_offsets_mapping=True,
                                 return_attention_mask=False, return_token_type_ids=False, verbose=False)
        tags = len(self.tagset.prefix)
        docs = [_Encoded(t, index, offsets, ids, np.zeros((len(ids), tags), dtype=np.float32), folded=folded)
                for t, (folded, index), ids, offsets
                in zip(texts, normalised, enc["input_ids"], enc["offset_mapping"])]
        if self.features:
            from govner.modeling.model import FEATURES

            for doc in docs:  # on the folded text, as training computes them (govner.training.data.Tokens)
                doc.features = {name: FEATURES[name].tags(doc.folded, doc.offsets) for name in self.features}
        return docs

    def _batch_inputs(self, jobs: list[tuple[_Encoded, Window]]) -> tuple["torch.Tensor", "torch.Tensor", dict]:
        """``input_ids``, ``attention_mask`` and feature tensors of one batch of windows, on the device."""
        import numpy as np
        import torch

        width = max(w.end - w.start for _, w in jobs) + 2
        if self.pad_multiple > 1:  # fewer distinct shapes: see pad_multiple in __init__
            width = min(self.window + 2, -(-width // self.pad_multiple) * self.pad_multiple)
        ids = np.full((len(jobs), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(jobs), width), dtype=np.int64)
        for row, (doc, w) in enumerate(jobs):
            n = w.end - w.start
            ids[row, 0] = self.cls_id
            ids[row, 1:n + 1] = doc.ids[w.start:w.end]
            ids[row, n + 1] = self.sep_id
            mask[row, :n + 2] = 1
        extra = {}
        if self.features:
            from govner.modeling.model import FEATURES, pad_feature

            for name in self.features:
                none = FEATURES[name].none
                rows = [[none] + doc.features[name][w.start:w.end] for doc, w in jobs]
                extra[name] = pad_feature(rows, width, none).to(self.device)
        return torch.from_numpy(ids).to(self.device), torch.from_numpy(mask).to(self.device), extra

    def _run_batch(self, jobs: list[tuple[_Encoded, Window]]) -> None:
        dist = self._forward(*self._batch_inputs(jobs)).cpu().numpy()
        for row, (doc, w) in enumerate(jobs):
            a = 1 + w.own_start - w.start
            doc.dist[w.own_start:w.own_end] = dist[row, a:a + w.own_end - w.own_start]

    def _forward(self, ids: "torch.Tensor", mask: "torch.Tensor", extra: dict | None = None) -> "torch.Tensor":
        """Tag probabilities (float32); float16 rows with a too-close call are redone in float32."""
        import torch

        def inputs(rows=slice(None)) -> dict:
            feats = {name: t[rows] for name, t in (extra or {}).items()}
            return {"input_ids": ids[rows], "attention_mask": mask[rows], **feats}

        with torch.inference_mode():
            if self.model_half is None:
                return self.model(**inputs()).logits.float().softmax(-1)
            logits = self.model_half(**inputs()).logits.float()
            redo = unsure_rows(logits, mask, self.fp16_margin)
            if redo.any():
                logits[redo] = self.model(**inputs(redo)).logits.float()
            return logits.softmax(-1)

    def _decode(self, docs: list[_Encoded]) -> list[list[Entity]]:
        """Entities of every document: constrained Viterbi over many documents at once.

        Documents go longest first in groups of at most 256 rows and 16,384 padded tokens
        (:func:`token_batches`), each group padded to its longest; :func:`govner.modeling.decode.viterbi_batch`
        gives exactly :func:`govner.modeling.decode.viterbi`'s paths.
        """
        import numpy as np

        from govner.modeling.decode import viterbi_batch

        out: list[list[Entity]] = [[] for _ in docs]
        order = sorted((k for k, doc in enumerate(docs) if doc.ids), key=lambda k: len(docs[k].ids), reverse=True)
        for group in token_batches([len(docs[k].ids) for k in order], 256, 64):
            ks = [order[i] for i in group]
            lengths = [len(docs[k].ids) for k in ks]
            dist = np.zeros((len(ks), lengths[0], len(self.tagset.prefix)), dtype=np.float32)
            for row, k in enumerate(ks):
                dist[row, :lengths[row]] = docs[k].dist
            paths = viterbi_batch(np.log(np.clip(dist, 1e-12, None)), lengths, self.allowed)
            for row, (k, tags) in enumerate(zip(ks, paths)):
                out[k] = self._entities(docs[k], tags, dist[row, np.arange(lengths[row]), tags].tolist())
        return out

    def _entities(self, doc: _Encoded, tags: list[int], probs: list[float]) -> list[Entity]:
        """Entities from a document's decoded tags and each tag's probability."""
        out: list[Entity] = []
        for first, stop, label, score in decode_bio(tags, probs, self.tagset):
            start, end = doc.to_original(doc.offsets[first][0], doc.offsets[stop - 1][1])
            text = doc.original
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                out.append(make_entity(text, start, end, label, score))
        return out


def token_uncertainty(probs: Sequence[float]) -> float:
    """Mean least confidence ``1 - p_max`` over tokens; 0.0 for no tokens."""
    return sum(1.0 - p for p in probs) / len(probs) if probs else 0.0


def token_batches(widths: list[int], batch_size: int, tokens_per_row: int = 128) -> Iterator[range]:
    """Consecutive batches of at most ``batch_size`` rows and ``batch_size * tokens_per_row`` padded tokens.

    ``widths`` are sorted longest first, so a batch's padded size is its first row's width
    times its rows; the token cap keeps a batch of 500-token windows from needing 4x the
    memory (attention: 16x) of a batch of ordinary sentences.
    """
    budget = batch_size * tokens_per_row
    i = 0
    while i < len(widths):
        rows = max(1, min(batch_size, budget // widths[i]))
        yield range(i, min(i + rows, len(widths)))
        i += rows


def training_window(model_dir: Path) -> tuple[int | None, int | None]:
    """``data.max_length``/``data.stride`` from the model's train_config.yaml: predict as it was trained."""
    import yaml

    path = model_dir / "train_config.yaml"
    if not path.is_file():
        return None, None
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise GovnerError(f"{path}: invalid YAML ({exc})") from None
    data = raw.get("data") if isinstance(raw, dict) else None
    data = data if isinstance(data, dict) else {}
    length, stride = data.get("max_length"), data.get("stride")
    for key, value in (("max_length", length), ("stride", stride)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise GovnerError(f"{path}: data.{key}: expected a positive integer, got {value!r}")
    return length, stride


def unsure_rows(logits: "torch.Tensor", mask: "torch.Tensor", margin: float) -> "torch.Tensor":
    """Rows where some real token's best two logits are closer than ``margin`` (fp16 may flip them)."""
    top2 = logits.topk(2, dim=-1).values
    close = (top2[..., 0] - top2[..., 1]) < margin
    return (close & mask.bool()).any(dim=-1)


# -- command line -----------------------------------------------------------------------------


def _parse_jsonl(content: str, name: str) -> list[dict]:
    from govner.fileio import numbered_jsonl

    return [check_sentence_record(rec, f"{name}:{lineno}") for lineno, rec in numbered_jsonl(content, name)]


def _read_source(src: str) -> tuple[str, str]:
    """(name, content) of a file or of stdin, decoded the same way (:func:`govner.text.read.decode_bytes`):
    UTF-8, or GBK/GB18030 as ``govner prepare`` accepts; blank input is ``""``."""
    from govner.text.read import decode_bytes, read_text_file

    if src == "-":
        return "<stdin>", decode_bytes(sys.stdin.buffer.read(), "<stdin>", allow_empty=True)
    path = Path(src)
    if not path.is_file():
        raise GovnerError(f"{path}: input file not found")
    return str(path), read_text_file(path, allow_empty=True)


def _is_jsonl(name: str, content: str) -> bool:
    if name.endswith((".jsonl", ".json")):
        return True
    if name.endswith(".txt"):
        return False
    first = next((line for line in content.splitlines() if line.strip()), "")
    return first.lstrip().startswith("{")


def _stdin_lines(content: str) -> list[str]:
    """One text per line of stdin (a final newline ends the last line, it does not add one)."""
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def _warn_forced(name: str, texts: list[str], per_line: bool) -> Callable[[int, int, int, str], None]:
    def warn(k: int, start: int, end: int, how: str) -> None:
        line = k + 1 if per_line else texts[k].count("\n", 0, start) + 1
        print(f"warning: {name}:{line}: {end - start} characters without a ； or sentence end; {how}",
              file=sys.stderr)

    return warn


def _write(record: dict) -> None:
    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")


def _jsonl_records(path: Path, name: str) -> Iterator[dict]:
    """Sentence records of a UTF-8 JSONL file, one line at a time (errors as in :func:`_parse_jsonl`)."""
    from govner.fileio import parse_json_line

    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            where = f"{name}:{lineno}"
            yield check_sentence_record(parse_json_line(raw.decode("utf-8-sig" if lineno == 1 else "utf-8"), where),
                                        where)


def _jsonl_stream(src: str) -> Iterator[dict] | None:
    """A ``.jsonl``/``.json`` file's records, streamed: memory stays flat however long the file.

    A first pass checks every line (so a bad line 90,000 fails before any output, as reading
    the whole file did), a second yields the records. None - read the whole file instead - for
    stdin, files that are not plain UTF-8 (GBK, UTF-16: :func:`_read_source` decodes those) and
    files without a record (a blank file is an empty document, as before).
    """
    if src == "-" or not src.endswith((".jsonl", ".json")):
        return None
    path = Path(src)
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: decoded whole by decode_bytes
            return None
    try:
        n = sum(1 for _ in _jsonl_records(path, str(path)))
    except UnicodeDecodeError:
        return None
    return _jsonl_records(path, str(path)) if n else None


def main(args) -> int:
    """`govner predict`: entities as JSONL on stdout, one line per input record, line or document.

    - JSONL (``.jsonl``/``.json``, or stdin whose first line starts with ``{``): each record
      comes back with ``entities`` added; offsets index its ``text``.
    - stdin otherwise: one text per line; each line comes back as
      ``{"line": N, "text": ..., "entities": [...]}`` (blank lines included, so output line N
      is input line N); a line holding a whole report is split into sentences inside.
    - any other file: one document; one ``{"doc_id", "source", "entities"}`` line, offsets
      into the file's text.
    Empty input gives no line (stdin) or a document with no entities (a blank file).
    """
    from tqdm import tqdm

    if args.batch_size < 1:
        raise GovnerError(f"--batch-size must be at least 1, got {args.batch_size}")
    predictor = Predictor.from_pretrained(args.model, device=args.device, quantize=getattr(args, "quantize", "auto"))
    batch = args.batch_size
    chunk = max(batch * 8, 256)
    with tqdm(unit="text", file=sys.stderr, desc="predict") as bar:
        for src in args.inputs or ["-"]:
            stream = _jsonl_stream(src)
            if stream is not None:  # a UTF-8 JSONL file, read in chunks: memory does not grow with it
                while part := list(itertools.islice(stream, chunk)):
                    for rec, ents in zip(part, predictor.predict([r["text"] for r in part], batch_size=batch)):
                        _write({**rec, "entities": ents})
                    bar.update(len(part))
                sys.stdout.flush()
                continue
            name, content = _read_source(src)
            if content.strip() and _is_jsonl(name, content):
                records = _parse_jsonl(content, name)
                for i in range(0, len(records), chunk):
                    part = records[i:i + chunk]
                    for rec, ents in zip(part, predictor.predict([r["text"] for r in part], batch_size=batch)):
                        _write({**rec, "entities": ents})
                    bar.update(len(part))
            elif src == "-":
                lines = _stdin_lines(content)
                for i in range(0, len(lines), chunk):
                    part = lines[i:i + chunk]
                    found = predictor.predict_documents(part, batch_size=batch,
                                                        on_forced=_warn_forced(name, part, per_line=True))
                    for k, (line, ents) in enumerate(zip(part, found)):
                        _write({"line": i + k + 1, "text": line, "entities": ents})
                    bar.update(len(part))
            else:
                ents = predictor.predict_documents([content], batch_size=batch,
                                                   on_forced=_warn_forced(name, [content], per_line=False))[0]
                _write({"doc_id": Path(src).stem, "source": name, "entities": ents})
                bar.update(1)
            sys.stdout.flush()
    return 0
