"""Character vectors from gensim word2vec over the packed training tokens, for embedding init.

Why: plain MLM on two CPU cores spends its first tens of millions of tokens learning what
word2vec finds in a few minutes (which characters behave alike); starting the embedding from
those vectors lets the transformer spend its steps on context instead.
"""
from __future__ import annotations

import hashlib
import time

import numpy as np
from tqdm import tqdm

from govner.pretraining.config import PretrainConfig
from govner.pretraining.data import CLS_ID, ID_MASK, PAD_ID, SEP_ID


def _write_corpus_file(rows: np.ndarray, path) -> None:
    """One packed row per line, token ids as words ([CLS]/[SEP]/[PAD] dropped)."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="ascii") as fh:
        for i in tqdm(range(0, len(rows), 4096), desc="w2v corpus", unit="chunk", mininterval=10):
            ids = np.asarray(rows[i:i + 4096]) & ID_MASK
            lines = []
            for row in ids:
                row = row[(row != CLS_ID) & (row != SEP_ID) & (row != PAD_ID)]
                lines.append(" ".join(map(str, row.tolist())))
            fh.write("\n".join(lines) + "\n")
    tmp.replace(path)


def char_vectors(cfg: PretrainConfig, rows: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(vectors[vocab_size, hidden], found[vocab_size]) — cached by data shape and w2v settings."""
    from gensim.models import Word2Vec

    key = hashlib.sha1(repr((rows.shape, int(np.asarray(rows[:64]).sum()), cfg.hidden_size, cfg.w2v_epochs,
                             cfg.w2v_window, cfg.seed)).encode()).hexdigest()[:12]
    cache = cfg.path(cfg.cache_dir) / f"w2v-{key}"
    cache.mkdir(parents=True, exist_ok=True)
    vec_path, found_path = cache / "vectors.npy", cache / "found.npy"
    if vec_path.is_file() and found_path.is_file():
        return np.load(vec_path), np.load(found_path)
    corpus = cache / "corpus.txt"
    if not corpus.is_file():
        _write_corpus_file(rows, corpus)
    t0 = time.time()
    w2v = Word2Vec(corpus_file=str(corpus), vector_size=cfg.hidden_size, window=cfg.w2v_window, min_count=3,
                   sg=0, negative=5, workers=cfg.num_threads, epochs=cfg.w2v_epochs, seed=cfg.seed)
    vectors = np.zeros((vocab_size, cfg.hidden_size), dtype=np.float32)
    found = np.zeros(vocab_size, dtype=bool)
    for word, idx in w2v.wv.key_to_index.items():
        tid = int(word)
        if 0 <= tid < vocab_size:
            vectors[tid] = w2v.wv.vectors[idx]
            found[tid] = True
    np.save(vec_path, vectors)
    np.save(found_path, found)
    (cache / "info.txt").write_text(f"seconds={time.time() - t0:.1f} rows={len(rows)} found={int(found.sum())}\n")
    corpus.unlink(missing_ok=True)
    return vectors, found
