"""Pretraining data: corpus + domain text -> packed, word-flagged token sequences, and WWM masking.

Everything is tokenised and packed once into uint16 ``.npy`` files under the cache dir, so a
restart (or resume) costs seconds. Token ids fit in 15 bits (21128 < 32768); the top bit of
each uint16 marks "this token starts a jieba word", which is all whole-word masking needs.
"""
from __future__ import annotations

import glob
import hashlib
import json
import lzma
import re
import zlib
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch
from tqdm import tqdm

from govner.errors import GovnerError
from govner.pretraining.config import PretrainConfig
from govner.modeling.tokenizer import SPECIAL_IDS

WORD_START = 0x8000
ID_MASK = 0x7FFF
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = (SPECIAL_IDS[k] for k in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"))
FIRST_REAL_ID = 106  # ids below are [PAD], [unusedN], specials, <S>, <T>: never random replacements
MIN_LINE_CHARS = 8
CACHE_VERSION = 3


@dataclass
class DomainDoc:
    doc_id: str
    source: str
    lines: list[str]
    role: str  # "train" | "heldout" | "excluded"


# ---------------------------------------------------------------- text sources

def corpus_lines(pattern: str, limit: int | None = None) -> Iterator[str]:
    """Stream corpus paragraphs (one per line) from the xz shards, in shard order."""
    files = sorted(glob.glob(pattern))
    if not files:
        raise GovnerError(f"corpus_glob {pattern!r}: no files match")
    n = 0
    for path in files:
        with lzma.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if len(line) < MIN_LINE_CHARS:
                    continue
                yield line
                n += 1
                if limit is not None and n >= limit:
                    return


_TAG_RE = re.compile(r"<[^>]+>")


def _fallback_clean(path: Path) -> str:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in (".html", ".htm"):
        raw = _TAG_RE.sub("\n", raw)
    return "\n".join(ln for ln in raw.split("\n") if "|" not in ln)


def clean_report(path: Path) -> str:
    """The project's own report cleaning when present (govner.text), else a tag/metadata strip."""
    try:
        from govner.text.clean import clean_text
        from govner.text.read import read_report
    except ImportError:
        return _fallback_clean(path)
    return clean_text(read_report(path)).text


def file_documents(path: Path) -> list[tuple[str, str]]:
    """(doc_id, cleaned text) per document, with the doc ids of `govner prepare` (a compendium
    file yields one document per report, `<stem>-<place>`), so splits.yaml ids match exactly."""
    try:
        from govner.text.prepare import documents_from_file
    except ImportError:
        return [(path.stem, clean_report(path))]
    return [(d.doc_id, d.text) for d in documents_from_file(path)]


def _paragraphs(text: str) -> list[str]:
    out = []
    for ln in text.split("\n"):
        ln = re.sub(r"\s+", " ", ln).strip()
        if len(ln) >= MIN_LINE_CHARS:
            out.append(ln)
    return out


def read_splits(path: Path) -> dict[str, list[str]] | None:
    """split -> doc ids, or None when there is no splits file yet (read as training reads it)."""
    from govner.training.data import read_splits as read_doc_splits

    if not path.is_file():
        return None
    out: dict[str, list[str]] = {}
    for doc, split in read_doc_splits(path).items():
        out.setdefault(split, []).append(doc)
    return out


def _is_excluded(doc_id: str, excluded: set[str]) -> bool:
    # Without govner.text.prepare a compendium file (`004_x`) is one document holding `004_x-<town>`
    # documents: it is excluded whole if any of them is.
    return doc_id in excluded or any(d.startswith(doc_id + "-") for d in excluded)


def domain_documents(cfg: PretrainConfig) -> tuple[list[DomainDoc], str]:
    """Domain docs with their role, and a one-line note on how dev/test were excluded."""
    splits = read_splits(cfg.path(cfg.splits_path))
    excluded = set((splits or {}).get("dev", [])) | set((splits or {}).get("test", []))
    docs: list[DomainDoc] = []
    seed_files = sorted(glob.glob(str(cfg.path(cfg.seed_glob))))
    extra_files = sorted({f for g in cfg.extra_globs for f in glob.glob(str(cfg.path(g)))})
    for files, source in ((seed_files, "seeds"), (extra_files, "reports/extra")):
        for f in files:
            for doc_id, text in file_documents(Path(f)):
                if _is_excluded(doc_id, excluded):
                    role = "excluded"
                elif source == "seeds" and splits is None and cfg.seeds_without_splits == "heldout":
                    role = "heldout"
                else:
                    role = "train"
                docs.append(DomainDoc(doc_id, source, _paragraphs(text), role))
    if splits is None:
        note = (f"{cfg.splits_path} absent: no split known, so the seed documents were "
                + ("used for evaluation only (never trained on)" if cfg.seeds_without_splits == "heldout"
                   else "trained on (dev/test not excluded)"))
    else:
        names = sorted(d.doc_id for d in docs if d.role == "excluded")
        note = f"excluded the {len(excluded)} dev/test documents of {cfg.splits_path}: {', '.join(names) or 'none'}"
    return docs, note


# ---------------------------------------------------------------- tokenising

_WORKER: dict = {}


def _init_worker(vocab_path: str | None) -> None:
    import jieba

    from govner.modeling.tokenizer import build_tokenizer

    jieba.setLogLevel(60)
    jieba.initialize()
    tok = build_tokenizer(vocab_path)
    vocab = tok.get_vocab()
    is_sub = np.zeros(len(tok), dtype=bool)
    for t, i in vocab.items():
        is_sub[i] = t.startswith("##")
    _WORKER.update(tok=tok, is_sub=is_sub, jieba=jieba)


def encode_lines(lines: list[str]) -> list[np.ndarray]:
    """Token ids per line with the WORD_START bit on the first token of each jieba word."""
    tok, is_sub, jieba = _WORKER["tok"], _WORKER["is_sub"], _WORKER["jieba"]
    enc = tok(lines, add_special_tokens=False, return_offsets_mapping=True)
    out = []
    for line, ids, offs in zip(lines, enc["input_ids"], enc["offset_mapping"]):
        ids = np.asarray(ids, dtype=np.uint16)
        if len(ids) == 0:
            out.append(ids)
            continue
        bounds = np.cumsum([0] + [len(w) for w in jieba.cut(line)])
        starts = np.asarray([o[0] for o in offs])
        flag = np.isin(starts, bounds) & ~is_sub[ids]
        flag[0] = True
        out.append(ids | (flag.astype(np.uint16) << 15))
    return out


def encode_all(lines: list[str], vocab_path: str | None, workers: int, desc: str) -> list[np.ndarray]:
    chunks = [lines[i:i + 2000] for i in range(0, len(lines), 2000)]
    out: list[np.ndarray] = []
    bar = tqdm(total=len(lines), desc=desc, unit="line", mininterval=5)
    if workers <= 1 or len(chunks) <= 1:
        _init_worker(vocab_path)
        for ch in chunks:
            out.extend(encode_lines(ch))
            bar.update(len(ch))
    else:
        with get_context("fork").Pool(workers, initializer=_init_worker, initargs=(vocab_path,)) as pool:
            for ch, res in zip(chunks, pool.imap(encode_lines, chunks)):
                out.extend(res)
                bar.update(len(ch))
    bar.close()
    return out


def pack(encoded: Iterable[np.ndarray], max_len: int) -> np.ndarray:
    """RoBERTa-style full sequences: [CLS] + max_len-2 tokens of the [SEP]-joined stream + [SEP].

    Every row is full length (no padding ever reaches the model); a paragraph that does not fit
    continues in the next row; the tail shorter than a row is dropped.
    """
    sep = np.asarray([SEP_ID | WORD_START], dtype=np.uint16)
    parts = []
    for ids in encoded:
        if len(ids):
            parts.extend((ids, sep))
    body = max_len - 2
    stream = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint16)
    n = len(stream) // body
    rows = stream[: n * body].reshape(n, body)
    cls = np.full((n, 1), CLS_ID | WORD_START, dtype=np.uint16)
    end = np.full((n, 1), SEP_ID | WORD_START, dtype=np.uint16)
    return np.concatenate([cls, rows, end], axis=1)


# ---------------------------------------------------------------- the cache

@dataclass
class PackedData:
    train: np.ndarray
    eval_sets: dict[str, np.ndarray]
    meta: dict


def _cache_key(cfg: PretrainConfig, splits_text: str) -> str:
    parts = [CACHE_VERSION, cfg.corpus_glob, cfg.seed_glob, cfg.extra_globs, cfg.seeds_without_splits,
             cfg.domain_repeat, cfg.max_corpus_lines, cfg.heldout_per_mille, cfg.max_len, cfg.seed,
             cfg.eval_sequences, splits_text]
    return hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()[:12]


def _is_heldout(line: str, per_mille: int) -> bool:
    return zlib.crc32(line.encode("utf-8")) % 1000 < per_mille


def build_or_load(cfg: PretrainConfig, workers: int = 2) -> PackedData:
    splits_file = cfg.path(cfg.splits_path)
    splits_text = splits_file.read_text(encoding="utf-8") if splits_file.is_file() else ""
    cache = cfg.path(cfg.cache_dir) / f"packed-{_cache_key(cfg, splits_text)}"
    if cfg.packed_dir:
        cache = cfg.path(cfg.packed_dir)
        if not (cache / "meta.json").is_file():
            raise GovnerError(f"packed_dir {cache}: no meta.json there")
    meta_path = cache / "meta.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        train = np.load(cache / "train.npy", mmap_mode="r")
        evals = {name: np.load(cache / f"eval-{name}.npy") for name in meta["eval_sets"]}
        return PackedData(train, evals, meta)

    train_lines, held_corpus = [], []
    n_chars = 0
    for line in tqdm(corpus_lines(str(cfg.path(cfg.corpus_glob)), cfg.max_corpus_lines),
                     desc="read corpus", unit="line", mininterval=5):
        (held_corpus if _is_heldout(line, cfg.heldout_per_mille) else train_lines).append(line)
        n_chars += len(line)
    docs, note = domain_documents(cfg)
    domain_train = [ln for d in docs if d.role == "train" for ln in d.lines]
    held_domain = [ln for d in docs if d.role == "heldout" for ln in d.lines]
    if cfg.seeds_without_splits == "train" or held_domain == []:
        # No seed docs are held out: hold out a deterministic slice of the domain paragraphs instead.
        held_domain = [ln for ln in domain_train if _is_heldout(ln, 50)]
        domain_train = [ln for ln in domain_train if not _is_heldout(ln, 50)]
    domain_chars = sum(map(len, domain_train))
    corpus_count = len(train_lines)
    all_lines = train_lines + domain_train * cfg.domain_repeat
    order = np.random.default_rng(cfg.seed).permutation(len(all_lines))
    all_lines = [all_lines[i] for i in order]

    vocab = cfg.vocab_path and str(cfg.path(cfg.vocab_path))
    train = pack(encode_all(all_lines, vocab, workers, "tokenise train"), cfg.max_len)
    evals = {}
    for name, lines in (("corpus", held_corpus), ("domain", held_domain)):
        packed = pack(encode_all(lines, vocab, 1, f"tokenise eval-{name}"), cfg.max_len)
        if len(packed):
            evals[name] = packed[: cfg.eval_sequences]
    cache.mkdir(parents=True, exist_ok=True)
    for name, arr in [("train", train)] + [(f"eval-{k}", v) for k, v in evals.items()]:
        tmp = cache / f"{name}.tmp.npy"
        np.save(tmp, arr)
        tmp.replace(cache / f"{name}.npy")
    meta = {
        "corpus_lines_train": corpus_count, "corpus_lines_heldout": len(held_corpus),
        "corpus_chars": n_chars, "domain_paragraphs_train": len(domain_train),
        "domain_chars_train": domain_chars, "domain_repeat": cfg.domain_repeat,
        "domain_paragraphs_heldout": len(held_domain),
        "domain_docs": [{"doc_id": d.doc_id, "source": d.source, "role": d.role,
                         "paragraphs": len(d.lines)} for d in docs],
        "exclusion_note": note, "train_sequences": int(len(train)), "max_len": cfg.max_len,
        "eval_sets": {k: int(len(v)) for k, v in evals.items()},
    }
    tmp = cache / "meta.tmp.json"
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(meta_path)
    return PackedData(np.load(cache / "train.npy", mmap_mode="r"), evals, meta)


# ---------------------------------------------------------------- masking

def split_flags(rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    raw = torch.from_numpy(np.asarray(rows, dtype=np.int64))
    return raw & ID_MASK, (raw & WORD_START) != 0


def mask_whole_words(rows: np.ndarray, gen: torch.Generator, mask_prob: float, vocab_size: int,
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, labels) with whole-word masking: each word is chosen with ``mask_prob``, and
    every token of a chosen word is masked; per token 80% [MASK], 10% random, 10% unchanged.
    Labels are -100 where nothing is predicted. A word cut by a row start is never chosen.
    """
    ids, starts = split_flags(rows)
    special = (ids == PAD_ID) | (ids == CLS_ID) | (ids == SEP_ID)
    b, n = ids.shape
    pos = torch.arange(n).expand(b, n)
    word_start = torch.where(starts, pos, torch.zeros_like(pos)).cummax(dim=1).values
    chosen = (torch.rand(b, n, generator=gen) < mask_prob) & starts & ~special
    selected = chosen.gather(1, word_start) & ~special
    labels = torch.where(selected, ids, torch.full_like(ids, -100))
    r = torch.rand(b, n, generator=gen)
    inputs = ids.clone()
    inputs[selected & (r < 0.8)] = MASK_ID
    rand_pos = selected & (r >= 0.8) & (r < 0.9)
    inputs[rand_pos] = torch.randint(FIRST_REAL_ID, vocab_size, (int(rand_pos.sum()),), generator=gen)
    return inputs, labels
