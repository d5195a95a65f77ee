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
  token probabilities, :mod:`govner.decode`): an ``I-X`` only after ``B-X``/``I-X``, so an
  entity is never cut by one doubtful token. ``decode_bio`` then groups tags into entities;
  on a sequence that is not valid BIO it applies the repair rule: ``B-X`` always opens an X
  entity; ``I-X`` continues the open entity only if it is an X, otherwise it opens a new X
  entity; ``O`` closes (the pipeline's "simple" grouping).
* Score: the mean over the entity's tokens of the probability of each token's decoded tag.
* Edges: entity edges are token edges (a Latin word may be cut at a WordPiece); whitespace is
  never a token, and any left at an edge after mapping back is trimmed.
* Half precision (CUDA only): a float16 copy of the model runs first; any sequence in which a
  real token's top-two logit margin is below ``fp16_margin`` (0.25) is rerun in float32.
  float16 moves a small BERT's logits by about 1e-2, far below that margin, so the arg-max
  tags - hence the entities - are float32's; scores agree to about 1e-3. (Selection logic is
  unit-tested on CPU; `benchmarks/predict_bench.py --device cuda` checks the entities against
  the float32 pipeline.)
"""
from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from govner.errors import GovnerError
from govner.schema import BY_CODE, Entity, make_entity
from govner.windows import Window, make_windows

log = logging.getLogger(__name__)

if TYPE_CHECKING:
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
    from govner.text.clean import normalize_width

    folded = normalize_width(text)
    if folded == text:
        return text, None
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        for out in normalize_width(ch):
            chars.append(out)
            index.append(i)
    return "".join(chars), index


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


def check_texts(texts: object) -> list[str]:
    if texts is None:
        raise GovnerError("predict() got None; expected a string or a list of strings")
    if not isinstance(texts, (list, tuple)):
        raise GovnerError(f"predict() got {type(texts).__name__}; expected a string or a list of strings")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise GovnerError(f"predict(): texts[{i}] is {type(t).__name__}, expected str")
    return list(texts)


@dataclass
class _Encoded:
    """One input after normalisation and tokenisation; ``probs``/``dist`` filled per token."""

    original: str
    index: list[int] | None  # normalised char -> original char, None when identical
    offsets: list[tuple[int, int]]  # per token, into the normalised text
    ids: list[int]
    probs: list[float]  # per token: the top tag probability (for uncertainty)
    dist: list  # per token: the probability of every tag (for Viterbi decoding)
    features: dict[str, list[int]] = field(default_factory=dict)  # per-token inputs by name (govner.model)

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        if self.index is None:
            return start, end
        return self.index[start], self.index[end - 1] + 1


class Predictor:
    """A token classifier loaded once, predicting entities for strings of any length."""

    def __init__(self, model, tokenizer, id2label: dict, device: "str | torch.device" = "cpu",
                 max_length: int = 512, stride: int | None = None, half: bool | None = None,
                 fp16_margin: float = FP16_MARGIN):
        import copy

        import torch

        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        self.tokenizer = tokenizer
        self.tagset = TagSet.from_id2label(id2label)
        from govner.decode import allowed_transitions

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
        from govner.model import model_features

        self.features = model_features(model)
        self.model = model.to(self.device).eval()
        self.model_half = copy.deepcopy(self.model).half() if half else None
        self.fp16_margin = fp16_margin
        self.cls_id = tokenizer.cls_token_id
        self.sep_id = tokenizer.sep_token_id
        self.pad_id = tokenizer.pad_token_id or 0

    @classmethod
    def from_pretrained(cls, model_dir: str | Path, device: str = "auto", max_length: int | None = None,
                        stride: int | None = None, half: bool | None = None) -> "Predictor":
        import torch
        from transformers import AutoModelForTokenClassification

        import govner.model  # registers the feature architecture with the Auto classes
        from govner.tokenizer import load_tokenizer

        path = Path(model_dir)
        if not path.is_dir():
            raise GovnerError(f"model directory {path} not found")
        config_path = path / "config.json"
        if not config_path.is_file():
            raise GovnerError(f"{config_path} not found: {path} is not a trained model directory")
        try:
            raw = json.loads(config_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise GovnerError(f"{config_path}: invalid JSON ({exc.msg}, line {exc.lineno})") from None
        if not raw.get("id2label"):
            raise GovnerError(f"{config_path} has no id2label: cannot tell which tag each output is")
        TagSet.from_id2label({int(k): v for k, v in raw["id2label"].items()}, f"{config_path} id2label")
        dev = resolve_device(device)
        tokenizer = load_tokenizer(path)
        # float32 whatever the checkpoint's dtype (pretraining saves bf16): exact on CPU, and
        # the reference the float16 path is checked against on GPU.
        model = AutoModelForTokenClassification.from_pretrained(str(path), dtype=torch.float32)
        if isinstance(model.config, govner.model.GovBertConfig):
            for line in govner.model.stale_features(model.config):
                log.warning("%s: %s; the model was trained on other feature inputs than it now gets: "
                            "retrain it for trustworthy scores", path, line)
        limit = model.config.max_position_embeddings
        trained_length, trained_stride = training_window(path)
        if max_length is None:
            max_length = trained_length or min(limit, tokenizer.model_max_length or limit)
            stride = stride or trained_stride
        if max_length > limit:
            raise GovnerError(f"max_length {max_length} exceeds the model's {limit} positions ({config_path})")
        return cls(model, tokenizer, model.config.id2label, dev, max_length, stride, half)

    # -- public API -------------------------------------------------------------------------

    def predict(self, texts: str | Sequence[str], batch_size: int = 64) -> list[Entity] | list[list[Entity]]:
        """Entities for one string (a list of entities) or a list of strings (a list per string)."""
        if isinstance(texts, str):
            return self._predict_many([texts], batch_size)[0]
        return self._predict_many(check_texts(texts), batch_size)

    def predict_with_uncertainty(self, texts: Sequence[str], batch_size: int = 64
                                 ) -> list[tuple[list[Entity], float]]:
        """Entities and one uncertainty per text, from the same forward pass (for active learning).

        Uncertainty is the mean over the text's tokens of ``1 - max tag probability`` ("least
        confidence"): 0 when every tag is certain, up to ``1 - 1/num_tags``; 0 for a text with
        no tokens. See :mod:`govner.select` for why this measure.
        """
        docs = self._infer(check_texts(texts), batch_size)
        return [(self._entities(doc), token_uncertainty(doc.probs)) for doc in docs]

    def predict_document(self, text: str, batch_size: int = 64, max_sentence_len: int = 150) -> list[Entity]:
        """A whole report: split into sentences, predict them as a batch, offsets into ``text``."""
        from govner.text.split import split_sentences

        if not isinstance(text, str):
            raise GovnerError(f"predict_document() got {type(text).__name__}; expected a string")
        spans = split_sentences(text, max_len=max_sentence_len)
        results = self._predict_many([text[s:e] for s, e in spans], batch_size)
        out: list[Entity] = []
        for (offset, _), ents in zip(spans, results):
            for e in ents:
                out.append(make_entity(text, e["start"] + offset, e["end"] + offset, e["label"], e["score"]))
        return out

    # -- internals ----------------------------------------------------------------------------

    def _predict_many(self, texts: list[str], batch_size: int) -> list[list[Entity]]:
        return [self._entities(doc) for doc in self._infer(texts, batch_size)]

    def _infer(self, texts: list[str], batch_size: int) -> list[_Encoded]:
        if batch_size < 1:
            raise GovnerError(f"batch_size must be at least 1, got {batch_size}")
        docs = self._encode(texts)
        jobs = [(doc, w) for doc in docs if doc.ids
                for w in make_windows(len(doc.ids), self.window, self.stride)]
        jobs.sort(key=lambda job: job[1].end - job[1].start, reverse=True)
        for batch in token_batches([w.end - w.start + 2 for _, w in jobs], batch_size):
            self._run_batch([jobs[i] for i in batch])
        return docs

    def _encode(self, texts: list[str]) -> list[_Encoded]:
        normalised = [normalize_with_map(t) for t in texts]
        enc = self.tokenizer([n for n, _ in normalised], add_special_tokens=False, return_offsets_mapping=True,
                             return_attention_mask=False, return_token_type_ids=False)
        docs = [_Encoded(t, index, offsets, ids, [0.0] * len(ids), [None] * len(ids))
                for t, (_, index), ids, offsets in zip(texts, normalised, enc["input_ids"], enc["offset_mapping"])]
        if self.features:
            from govner.model import FEATURES

            for doc in docs:
                spans = [doc.to_original(s, e) for s, e in doc.offsets]
                doc.features = {name: FEATURES[name].tags(doc.original, spans) for name in self.features}
        return docs

    def _run_batch(self, jobs: list[tuple[_Encoded, Window]]) -> None:
        import torch

        width = max(w.end - w.start for _, w in jobs) + 2
        ids = torch.full((len(jobs), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(jobs), width), dtype=torch.long)
        for row, (doc, w) in enumerate(jobs):
            n = w.end - w.start
            ids[row, 0] = self.cls_id
            ids[row, 1:n + 1] = torch.tensor(doc.ids[w.start:w.end])
            ids[row, n + 1] = self.sep_id
            mask[row, :n + 2] = 1
        extra = {}
        if self.features:
            from govner.model import FEATURES, pad_feature

            for name in self.features:
                none = FEATURES[name].none
                rows = [[none] + doc.features[name][w.start:w.end] for doc, w in jobs]
                extra[name] = pad_feature(rows, width, none).to(self.device)
        dist = self._forward(ids.to(self.device), mask.to(self.device), extra).cpu()
        probs, dist = dist.max(dim=-1).values.tolist(), dist.numpy()
        for row, (doc, w) in enumerate(jobs):
            a, b = 1 + w.own_start - w.start, 1 + w.own_end - w.start
            doc.probs[w.own_start:w.own_end] = probs[row][a:b]
            doc.dist[w.own_start:w.own_end] = list(dist[row, a:b])

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

    def _entities(self, doc: _Encoded) -> list[Entity]:
        import numpy as np

        from govner.decode import viterbi

        out: list[Entity] = []
        if not doc.ids:
            return out
        dist = np.stack(doc.dist)
        tags = viterbi(np.log(np.clip(dist, 1e-12, None)), self.allowed)
        probs = [float(dist[i, t]) for i, t in enumerate(tags)]
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
        data = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("data") or {}
    except yaml.YAMLError as exc:
        raise GovnerError(f"{path}: invalid YAML ({exc})") from None
    length, stride = data.get("max_length"), data.get("stride")
    return (int(length) if length else None), (int(stride) if stride else None)


def unsure_rows(logits: "torch.Tensor", mask: "torch.Tensor", margin: float) -> "torch.Tensor":
    """Rows where some real token's best two logits are closer than ``margin`` (fp16 may flip them)."""
    top2 = logits.topk(2, dim=-1).values
    close = (top2[..., 0] - top2[..., 1]) < margin
    return (close & mask.bool()).any(dim=-1)


# -- command line -----------------------------------------------------------------------------


def _parse_jsonl(lines: Iterable[str], name: str) -> Iterator[dict]:
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise GovnerError(f"{name}:{lineno}: invalid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            raise GovnerError(f"{name}:{lineno}: expected a sentence record with a string \"text\"")
        yield rec


def _read_source(src: str) -> tuple[str, str]:
    """(name, content) of a file (UTF-8, or GBK/GB18030 as `govner prepare` accepts) or stdin."""
    from govner.text.read import decode_bytes

    if src == "-":
        return "<stdin>", sys.stdin.read()
    path = Path(src)
    if not path.is_file():
        raise GovnerError(f"{path}: input file not found")
    data = path.read_bytes()
    return str(path), decode_bytes(data, path) if data.strip() else ""


def _is_jsonl(name: str, content: str) -> bool:
    if name.endswith((".jsonl", ".json")):
        return True
    if name.endswith(".txt"):
        return False
    first = next((line for line in content.splitlines() if line.strip()), "")
    return first.lstrip().startswith("{")


def main(args) -> int:
    """`govner predict`: JSONL records in -> records with "entities"; text documents -> one line each."""
    from tqdm import tqdm

    predictor = Predictor.from_pretrained(args.model, device=args.device)
    batch = args.batch_size
    chunk = max(batch * 8, 256)
    with tqdm(unit="text", file=sys.stderr, desc="predict") as bar:
        for src in args.inputs or ["-"]:
            name, content = _read_source(src)
            if _is_jsonl(name, content):
                records = list(_parse_jsonl(content.split("\n"), name))
                for i in range(0, len(records), chunk):
                    part = records[i:i + chunk]
                    for rec, ents in zip(part, predictor.predict([r["text"] for r in part], batch_size=batch)):
                        sys.stdout.write(json.dumps({**rec, "entities": ents}, ensure_ascii=False) + "\n")
                    bar.update(len(part))
            else:
                ents = predictor.predict_document(content, batch_size=batch)
                doc_id = "stdin" if src == "-" else Path(src).stem
                sys.stdout.write(json.dumps({"doc_id": doc_id, "source": name, "entities": ents},
                                            ensure_ascii=False) + "\n")
                bar.update(1)
            sys.stdout.flush()
    return 0
