"""Annotations → examples → token windows with BIO labels, as cached ``datasets.Dataset``s.

Labelling scheme: one label per *word* (a CJK character, or a run the BERT pre-tokenizer
keeps together such as ``2023`` or ``pm2``), put on its first sub-token; later sub-tokens
and [CLS]/[SEP] get -100. A span must therefore start at a word start and end at a word
end. One that does not (``2.5`` inside ``PM2.5``) cannot be represented exactly: with
``data.unalignable: warn`` (default) it is widened to the covering words, counted and listed
(file, task id, offsets) in the report and a warning; with ``error`` training stops.

Long sentences are cut into overlapping windows with :func:`govner.windows.make_windows`,
exactly as prediction does, so no sentence is truncated.
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
from typing import Any, Iterable

import yaml

from govner.errors import GovnerError
from govner.schema import LABEL_CODES, TAG2ID
from govner.windows import make_windows

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")
#: bump when the feature layout changes so stale caches are never reused
FEATURES_VERSION = 1


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
                f"{self.text!r} is not on word boundaries (widened to {list(self.widened_to)})")


@dataclass
class AlignmentReport:
    spans: int = 0
    unaligned: list[Unaligned] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.unaligned)} of {self.spans} spans not on word boundaries"


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
    """One example per task with a live annotation (empty annotations are negatives)."""
    from govner.labelstudio.convert import records_from_tasks

    path = Path(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise GovnerError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    if not isinstance(tasks, list):
        raise GovnerError(f"{path}: expected a Label Studio JSON export (a list of tasks)")
    try:
        records = records_from_tasks(tasks, utf16=False)
    except GovnerError as exc:
        raise GovnerError(f"{path}: {exc}") from None
    out = []
    for r in records:
        doc_id = r.data.get("doc_id")
        if doc_id is None:
            raise GovnerError(f"{path}: task {r.task_id}: data.doc_id is missing (needed for splits)")
        out.append(Example(str(path), r.task_id, str(doc_id), int(r.data.get("sent_idx", 0)), r.text,
                           [(e["start"], e["end"], e["label"]) for e in r.spans]))
    return out


def load_examples(patterns: Iterable[str]) -> list[Example]:
    return [ex for f in expand_files(patterns) for ex in read_examples(f)]


def read_splits(path: str | Path) -> dict[str, str]:
    """doc_id → split name, from ``{train: [doc_ids], dev: [...], test: [...]}``."""
    path = Path(path)
    if not path.is_file():
        raise GovnerError(f"{path}: splits file not found")
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise GovnerError(f"{path}: expected a mapping {{train: [...], dev: [...], test: [...]}}")
    owner: dict[str, str] = {}
    for name, docs in raw.items():
        if name not in SPLITS:
            raise GovnerError(f"{path}: {name}: unknown split; expected {', '.join(SPLITS)}")
        for doc in docs or []:
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


# --- words: the unit that carries a label -----------------------------------------------

@dataclass
class Words:
    """A sentence's tokens grouped into words (see module docstring)."""

    input_ids: list[int]
    word_of_token: list[int]  # word index per token
    word_spans: list[tuple[int, int]]  # character span per word

    @property
    def first_token(self) -> list[bool]:
        return [i == 0 or self.word_of_token[i] != self.word_of_token[i - 1]
                for i in range(len(self.word_of_token))]


def tokenize_words(tokenizer, text: str) -> Words:
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    word_ids = enc.word_ids()
    offsets = enc["offset_mapping"]
    word_of_token: list[int] = []
    spans: list[tuple[int, int]] = []
    prev = object()
    for wid, (s, e) in zip(word_ids, offsets):
        if wid != prev:
            spans.append((s, e))
            prev = wid
        else:
            spans[-1] = (spans[-1][0], e)
        word_of_token.append(len(spans) - 1)
    return Words(list(enc["input_ids"]), word_of_token, spans)


def word_tags(ex: Example, words: Words, report: AlignmentReport | None = None) -> list[str]:
    """A BIO tag per word; spans off word boundaries are widened and reported."""
    tags = ["O"] * len(words.word_spans)
    for start, end, label in ex.spans:
        covered = [i for i, (s, e) in enumerate(words.word_spans) if s < end and e > start]
        if report is not None:
            report.spans += 1
        if not covered:  # only whitespace or characters the tokenizer drops
            if report is not None:
                report.unaligned.append(Unaligned(ex.file, ex.task_id, start, end, label,
                                                  ex.text[start:end], (start, start)))
            continue
        ws, we = words.word_spans[covered[0]][0], words.word_spans[covered[-1]][1]
        if (ws, we) != (start, end) and report is not None:
            report.unaligned.append(Unaligned(ex.file, ex.task_id, start, end, label,
                                              ex.text[start:end], (ws, we)))
        for k, i in enumerate(covered):
            tags[i] = f"{'B' if k == 0 else 'I'}-{label}"
    return tags


def word_tags_to_spans(tags: list[str], word_spans: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Strict IOB2 decoding: an I- that does not continue a same-label entity starts a new one."""
    out: list[tuple[int, int, str]] = []
    cur: list | None = None
    for tag, (s, e) in zip(tags, word_spans):
        prefix, _, label = tag.partition("-")
        if prefix == "I" and cur is not None and cur[2] == label:
            cur[1] = e
            continue
        if cur is not None:
            out.append(tuple(cur))
            cur = None
        if prefix in ("B", "I"):
            cur = [s, e, label]
    if cur is not None:
        out.append(tuple(cur))
    return out


# --- features ---------------------------------------------------------------------------

def window_features(tokenizer, words: Words, tags: list[str] | None, max_length: int,
                    stride: int) -> list[dict]:
    """[CLS] window [SEP] per window; labels on first sub-tokens only (when tags are given)."""
    n = len(words.input_ids)
    first = words.first_token
    feats = []
    for w in make_windows(n, max_length - 2, stride):
        ids = [tokenizer.cls_token_id] + words.input_ids[w.start:w.end] + [tokenizer.sep_token_id]
        feat: dict[str, Any] = {"input_ids": ids, "attention_mask": [1] * len(ids),
                                "window_start": w.start}
        if tags is not None:
            labels = [-100]
            for t in range(w.start, w.end):
                labels.append(TAG2ID[tags[words.word_of_token[t]]] if first[t] else -100)
            feat["labels"] = labels + [-100]
        feats.append(feat)
    return feats


def encode_examples(examples: list[Example], tokenizer, max_length: int, stride: int,
                    report: AlignmentReport) -> list[dict]:
    rows = []
    for i, ex in enumerate(examples):
        words = tokenize_words(tokenizer, ex.text)
        tags = word_tags(ex, words, report)
        for f in window_features(tokenizer, words, tags, max_length, stride):
            rows.append({"example": i, **f})
    return rows


def _tokenizer_fingerprint(tokenizer) -> str:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    text = backend.to_str() if backend is not None else json.dumps(sorted(tokenizer.get_vocab().items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(examples: list[Example], tokenizer, max_length: int, stride: int) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([FEATURES_VERSION, max_length, stride, _tokenizer_fingerprint(tokenizer)]).encode())
    for ex in examples:
        h.update(json.dumps([ex.text, ex.spans], ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()[:20]


def build_dataset(examples: list[Example], tokenizer, max_length: int, stride: int,
                  cache_dir: str | Path | None, report: AlignmentReport):
    """A ``datasets.Dataset`` of windows, cached under ``cache_dir/<content hash>``.

    The alignment report is cached beside it, so a cache hit still reports every span.
    """
    from datasets import Dataset, load_from_disk

    key = content_hash(examples, tokenizer, max_length, stride)
    target = Path(cache_dir) / key if cache_dir else None
    if target is not None and (target / "alignment.json").is_file():
        cached = json.loads((target / "alignment.json").read_text(encoding="utf-8"))
        report.spans += cached["spans"]
        report.unaligned += [Unaligned(**{**u, "widened_to": tuple(u["widened_to"])})
                             for u in cached["unaligned"]]
        return load_from_disk(str(target))
    local = AlignmentReport()
    rows = encode_examples(examples, tokenizer, max_length, stride, local)
    ds = Dataset.from_list(rows) if rows else Dataset.from_dict(
        {"example": [], "input_ids": [], "attention_mask": [], "window_start": [], "labels": []})
    report.spans += local.spans
    report.unaligned += local.unaligned
    if target is not None:
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


def label_counts(examples: list[Example]) -> dict[str, int]:
    counts = {c: 0 for c in LABEL_CODES}
    for ex in examples:
        for _, _, label in ex.spans:
            counts[label] = counts.get(label, 0) + 1
    return counts
