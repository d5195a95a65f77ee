"""Annotations → examples → token windows with BIO labels, as cached ``datasets.Dataset``s.

Labelling scheme: *every* token gets a tag (B- on an entity's first token, I- on the rest,
sub-tokens such as ``##3`` of ``2023`` included); only [CLS]/[SEP] get -100. This is the
documented alternative to "-100 after the first sub-token": :class:`govner.predict.predictor.Predictor`
decodes every token's tag, so the model must be trained to tag continuation sub-tokens too,
or an entity such as ``2023年`` could be cut at ``##3``. Text is width-folded exactly as the
Predictor folds it, with offsets mapped back to the original string.

A span must start at a token start and end at a token end. One that does not (``2.5`` inside
``PM2.5``, where ``pm2`` is one token) cannot be represented exactly: with
``data.unalignable: warn`` (default) it is widened to the covering tokens, counted and
listed (file, task id, offsets) in the log, metrics.json and report.md; with ``error``
training stops. Characters missing from the vocabulary become [UNK] tokens that keep their
offsets, so spans stay aligned around them.

Long sentences are cut into overlapping windows with :func:`govner.modeling.windows.make_windows`,
exactly as prediction does, so no sentence is truncated.

With per-token features (``rule_tags``, ``word_tags``: see :mod:`govner.modeling.model`) each window
also carries one column per feature, computed exactly as the Predictor computes them.
"""
from __future__ import annotations

import glob
import hashlib
import json
import logging
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml

from govner.errors import GovnerError
from govner.modeling.projection import bio_tags  # noqa: F401  (the one projection; re-exported for callers)
from govner.schema import LABEL_CODES, TAG2ID
from govner.modeling.windows import make_windows

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
#: bump when the feature layout changes so stale caches are never reused
#: (4: features computed on the width-folded text, as the Predictor computes them)
FEATURES_VERSION = 4


@dataclass
class Example:
    file: str
    task_id: Any
    doc_id: str
    sent_idx: int
    text: str
    spans: list[tuple[int, int, str]]  # Python offsets, end exclusive


@dataclass
class Unaligned:
    file: str
    task_id: Any
    start: int
    end: int
    label: str
    text: str
    widened_to: tuple[int, int]

    def __str__(self) -> str:
        return (f"{self.file}: task {self.task_id}: {self.label} span [{self.start}, {self.end}) "
                f"{self.text!r} is not on token boundaries (widened to {list(self.widened_to)})")


@dataclass
class AlignmentReport:
    spans: int = 0
    unaligned: list[Unaligned] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.unaligned)} of {self.spans} spans not on token boundaries"


# --- reading annotations ----------------------------------------------------------------

def expand_files(patterns: Iterable[str]) -> list[Path]:
    out: list[Path] = []
    for pat in patterns:
        hits = sorted(glob.glob(pat)) if any(c in pat for c in "*?[") else [pat]
        hits = [h for h in hits if not h.endswith("splits.yaml")]
        if not hits:
            raise GovnerError(f"{pat}: no annotation files match")
        for h in hits:
            if not Path(h).is_file():
                raise GovnerError(f"{h}: annotation file not found")
            out.append(Path(h))
    return out


def read_examples(path: str | Path) -> list[Example]:
    """One example per task with a live annotation (empty annotations are negatives).

    The file goes through the one annotation reader (:mod:`govner.labelstudio.reader`):
    overlapping spans, spans whose ``text`` differs from ``data.text[start:end]`` and any
    malformed task stop here, naming file, task and span, instead of training on shifted or
    overwritten tags.
    """
    from govner.labelstudio.convert import records_from_tasks
    from govner.labelstudio.reader import read_annotation_file

    path = Path(path)
    tasks = read_annotation_file(path)
    try:
        records = records_from_tasks(tasks, utf16=False)
    except GovnerError as exc:
        raise GovnerError(f"{path}: {exc}") from None
    out = []
    for r in records:
        doc_id = r.data.get("doc_id")
        if doc_id is None:
            raise GovnerError(f"{path}: task {r.task_id}: data.doc_id is missing (needed for splits)")
        out.append(Example(str(path), r.task_id, str(doc_id), r.data.get("sent_idx", 0), r.text,
                           [(e["start"], e["end"], e["label"]) for e in r.spans]))
    return out


def load_examples(patterns: Iterable[str]) -> list[Example]:
    return [ex for f in expand_files(patterns) for ex in read_examples(f)]


def read_splits(path: str | Path) -> dict[str, str]:
    """doc_id → split name, from ``{train: [doc_ids], dev: [...], test: [...]}``; every error names the file."""
    from govner.text.read import read_text_file

    path = Path(path)
    if not path.is_file():
        raise GovnerError(f"{path}: splits file not found")
    try:
        raw = yaml.safe_load(read_text_file(path, allow_empty=True)) or {}
    except yaml.YAMLError as exc:
        raise GovnerError(f"{path}: not valid YAML: {exc}") from None
    except RecursionError:
        raise GovnerError(f"{path}: YAML nested too deeply to be a splits file") from None
    if not isinstance(raw, dict):
        raise GovnerError(f"{path}: expected a mapping {{train: [...], dev: [...], test: [...]}}")
    owner: dict[str, str] = {}
    for name, docs in raw.items():
        if name not in SPLITS:
            raise GovnerError(f"{path}: {name}: unknown split; expected {', '.join(SPLITS)}")
        if docs is None:
            continue
        if not isinstance(docs, list):
            raise GovnerError(f"{path}: {name}: expected a list of document ids, got {docs!r:.60}")
        for doc in docs:
            if not isinstance(doc, (str, int)) or isinstance(doc, bool):
                raise GovnerError(f"{path}: {name}: document ids are strings, got {doc!r:.60}")
            doc = str(doc)
            if doc in owner and owner[doc] != name:
                raise GovnerError(f"{path}: document {doc} is in both {owner[doc]} and {name}")
            owner[doc] = name
    return owner


def split_examples(examples: list[Example], splits_path: str | Path) -> dict[str, list[Example]]:
    owner = read_splits(splits_path)
    out: dict[str, list[Example]] = {s: [] for s in SPLITS}
    missing = sorted({ex.doc_id for ex in examples if ex.doc_id not in owner})
    if missing:
        log.warning("%s: %d documents are in no split and are left out: %s", splits_path, len(missing),
                    ", ".join(missing[:10]))
    for ex in examples:
        if ex.doc_id in owner:
            out[owner[ex.doc_id]].append(ex)
    return out


def select_split(examples: list[Example], splits_path: str | Path, split: str) -> list[Example]:
    if split == "all":
        return examples
    if split not in SPLITS:
        raise GovnerError(f"--split {split}: expected one of {', '.join(SPLITS)} or all")
    return split_examples(examples, splits_path)[split]


# --- tokens and tags -------------------------------------------------------------------

@dataclass
class Tokens:
    """A sentence as the model sees it: ids, and each token's span in the *original* text.

    ``folded``/``folded_spans`` are the width-folded text the model reads and the token spans
    in it: per-token features (rule tags) are computed on them, at training and at prediction
    alike, so ``５．２％`` gives the rules what ``5.2%`` gives them.
    """

    input_ids: list[int]
    spans: list[tuple[int, int]]
    folded: str = ""
    folded_spans: list[tuple[int, int]] = field(default_factory=list)


def tokenize(tokenizer, text: str) -> Tokens:
    """Tokenise exactly as :class:`govner.predict.predictor.Predictor` does (same width folding).

    ``verbose=False``: the "sequence length is longer than the specified maximum" warning
    is for callers that feed the model whole sequences; here every sequence is windowed.
    """
    from govner.text.clean import normalize_width_with_map

    folded, index = normalize_width_with_map(text)
    enc = tokenizer(folded, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    folded_spans = [tuple(o) for o in enc["offset_mapping"]]
    spans = folded_spans if index is None else [(index[s], index[e - 1] + 1) for s, e in folded_spans]
    return Tokens(list(enc["input_ids"]), spans, folded, folded_spans)


def token_tags(ex: Example, toks: Tokens, report: AlignmentReport | None = None) -> list[str]:
    """A BIO tag per token; spans off token boundaries are widened and reported."""
    def check(start: int, end: int, label: str, covered: list[int]) -> None:
        report.spans += 1
        # no covered token: only whitespace or characters the tokenizer drops
        widened = (toks.spans[covered[0]][0], toks.spans[covered[-1]][1]) if covered else (start, start)
        if widened != (start, end):
            report.unaligned.append(Unaligned(ex.file, ex.task_id, start, end, label, ex.text[start:end], widened))

    return bio_tags(ex.spans, toks.spans, check if report is not None else None)


# --- features ---------------------------------------------------------------------------

def window_features(tokenizer, toks: Tokens, tags: list[str], max_length: int, stride: int,
                    extra: dict[str, list[int]] | None = None) -> list[dict]:
    """[CLS] window [SEP] per window; [CLS]/[SEP] labelled -100, every real token labelled.

    ``extra``: per-token feature ids by feature name; [CLS]/[SEP] get the feature's "none" id.
    """
    from govner.modeling.model import FEATURES

    feats = []
    for w in make_windows(len(toks.input_ids), max_length - 2, stride):
        ids = [tokenizer.cls_token_id] + toks.input_ids[w.start:w.end] + [tokenizer.sep_token_id]
        labels = [-100] + [TAG2ID[t] for t in tags[w.start:w.end]] + [-100]
        feat = {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels, "window_start": w.start}
        for name, values in (extra or {}).items():
            none = FEATURES[name].none
            feat[name] = [none] + values[w.start:w.end] + [none]
        feats.append(feat)
    return feats


def encode_examples(examples: list[Example], tokenizer, max_length: int, stride: int,
                    report: AlignmentReport, features: Sequence[str] = ()) -> list[dict]:
    from tqdm import tqdm

    from govner.modeling.model import FEATURES

    rows = []
    for i, ex in enumerate(tqdm(examples, desc="tokenising", unit="sent", disable=len(examples) < 2000)):
        toks = tokenize(tokenizer, ex.text)
        extra = {name: FEATURES[name].tags(toks.folded, toks.folded_spans) for name in features}
        for f in window_features(tokenizer, toks, token_tags(ex, toks, report), max_length, stride, extra):
            rows.append({"example": i, **f})
    return rows


def _tokenizer_fingerprint(tokenizer) -> str:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    text = backend.to_str() if backend is not None else json.dumps(sorted(tokenizer.get_vocab().items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(examples: list[Example], tokenizer, max_length: int, stride: int,
                 features: Sequence[str] = ()) -> str:
    from govner.modeling.model import FEATURES

    h = hashlib.sha256()
    versions = [[name, FEATURES[name].version] for name in features]
    h.update(json.dumps([FEATURES_VERSION, max_length, stride, versions, _tokenizer_fingerprint(tokenizer)]).encode())
    from govner.text.clean import normalize_width_with_map

    for ex in examples:  # the folded text too: a change in width folding must not hit a stale cache
        row = [ex.text, normalize_width_with_map(ex.text)[0], ex.spans]
        h.update(json.dumps(row, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()[:20]


def build_dataset(examples: list[Example], tokenizer, max_length: int, stride: int,
                  cache_dir: str | Path | None, report: AlignmentReport, features: Sequence[str] = ()):
    """A ``datasets.Dataset`` of windows, cached under ``cache_dir/<content hash>``.

    The alignment report is cached beside it, so a cache hit still reports every span.
    """
    from datasets import Dataset, load_from_disk

    key = content_hash(examples, tokenizer, max_length, stride, features)
    target = Path(cache_dir) / key if cache_dir else None
    if target is not None and (target / "alignment.json").is_file():
        cached = json.loads((target / "alignment.json").read_text(encoding="utf-8"))
        report.spans += cached["spans"]
        report.unaligned += [Unaligned(**{**u, "widened_to": tuple(u["widened_to"])})
                             for u in cached["unaligned"]]
        return load_from_disk(str(target))
    local = AlignmentReport()
    rows = encode_examples(examples, tokenizer, max_length, stride, local, features)
    empty = {"example": [], "input_ids": [], "attention_mask": [], "window_start": [], "labels": [],
             **{name: [] for name in features}}
    ds = Dataset.from_list(rows) if rows else Dataset.from_dict(empty)
    report.spans += local.spans
    report.unaligned += local.unaligned
    if target is not None and rows:  # datasets cannot load back an empty saved dataset
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=target.parent))
        ds.save_to_disk(str(tmp / "ds"))
        (tmp / "ds" / "alignment.json").write_text(json.dumps(
            {"spans": local.spans, "unaligned": [asdict(u) for u in local.unaligned]}, ensure_ascii=False),
            encoding="utf-8")
        try:
            (tmp / "ds").rename(target)  # atomic: a concurrent builder (DDP rank) may have won
        except OSError:
            pass
        shutil.rmtree(tmp, ignore_errors=True)
        return load_from_disk(str(target))
    return ds


def check_alignment(report: AlignmentReport, policy: str, shown: int = 10) -> None:
    """Warn about (or refuse) spans that had to be widened; never silent."""
    if not report.unaligned:
        return
    lines = "\n  ".join(str(u) for u in report.unaligned[:shown])
    more = f"\n  ... and {len(report.unaligned) - shown} more" if len(report.unaligned) > shown else ""
    msg = f"{report.summary()}:\n  {lines}{more}"
    if policy == "error":
        raise GovnerError(msg + "\n(set data.unalignable: warn to widen them instead)")
    log.warning(msg)


def swap_mentions(examples: list[Example], copies: int, seed: int) -> list[Example]:
    """``copies`` extra versions of each training sentence with entity mentions swapped.

    Each span is replaced, with probability 1/2, by another mention of the same label seen
    in training (a project name by a project name, a value by a value). The model then
    cannot lean on memorised names and numbers of the seed documents: what it must learn is
    the context, which is what carries over to other provinces' reports.
    """
    import random

    if copies <= 0:
        return []
    pool: dict[str, list[str]] = {}
    for ex in examples:
        for s, e, label in ex.spans:
            pool.setdefault(label, []).append(ex.text[s:e])
    rng = random.Random(seed)
    out = []
    for ex in examples:
        if not ex.spans:
            continue
        for c in range(copies):
            parts, spans, pos, shift = [], [], 0, 0
            for s, e, label in sorted(ex.spans):
                new = rng.choice(pool[label]) if rng.random() < 0.5 else ex.text[s:e]
                parts += [ex.text[pos:s], new]
                start = s + shift
                spans.append((start, start + len(new), label))
                shift += len(new) - (e - s)
                pos = e
            parts.append(ex.text[pos:])
            out.append(Example(ex.file, f"{ex.task_id}+swap{c}", ex.doc_id, ex.sent_idx, "".join(parts), spans))
    return out


def label_counts(examples: list[Example]) -> dict[str, int]:
    counts = {c: 0 for c in LABEL_CODES}
    for ex in examples:
        for _, _, label in ex.spans:
            counts[label] = counts.get(label, 0) + 1
    return counts


class TokenBatchCollator:
    """``DataCollatorForTokenClassification`` that also pads the per-token feature columns.

    The stock collator hands every column but ``labels`` to the tokenizer's ``pad``, which
    knows nothing of them; they are padded here with each feature's "none" id.
    """

    def __init__(self, tokenizer, pad_to_multiple_of: int | None = 8):
        from transformers import DataCollatorForTokenClassification

        self.base = DataCollatorForTokenClassification(tokenizer, pad_to_multiple_of=pad_to_multiple_of)

    def __call__(self, features: list[dict]) -> dict:
        from govner.modeling.model import FEATURES, pad_feature

        features = [dict(f) for f in features]  # popping must not change the caller's rows
        names = [name for name in FEATURES if features and name in features[0]]
        extra = {name: [f.pop(name) for f in features] for name in names}
        batch = self.base(features)
        for name, rows in extra.items():
            batch[name] = pad_feature(rows, batch["input_ids"].shape[1], FEATURES[name].none)
        return batch
