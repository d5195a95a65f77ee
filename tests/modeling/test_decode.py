"""Constrained Viterbi: the most probable valid BIO path, never an entity cut by one token."""
import numpy as np
import pytest

from govner.modeling.decode import allowed_transitions, viterbi
from govner.schema import BIO_TAGS, TAG2ID

ALLOWED = allowed_transitions(list(BIO_TAGS))


def probs(*rows: dict[str, float]) -> np.ndarray:
    out = np.full((len(rows), len(BIO_TAGS)), 1e-3)
    for i, row in enumerate(rows):
        for tag, p in row.items():
            out[i, TAG2ID[tag]] = p
    return np.log(out / out.sum(axis=1, keepdims=True))


def tags(path):
    return [BIO_TAGS[i] for i in path]


def test_a_doubtful_token_does_not_cut_an_entity():
    # `50场以上`: arg-max says B-VALUE, I-INDICATOR, I-VALUE; the valid path keeps one VALUE
    lp = probs({"B-VALUE": 0.9}, {"I-INDICATOR": 0.5, "I-VALUE": 0.45}, {"I-VALUE": 0.9})
    assert tags(lp.argmax(-1)) == ["B-VALUE", "I-INDICATOR", "I-VALUE"]
    assert tags(viterbi(lp, ALLOWED)) == ["B-VALUE", "I-VALUE", "I-VALUE"]


def test_an_entity_never_starts_with_I():
    lp = probs({"I-VALUE": 0.6, "B-VALUE": 0.3}, {"O": 0.9})
    assert tags(viterbi(lp, ALLOWED)) == ["B-VALUE", "O"]


@pytest.mark.parametrize("seed", range(20))
def test_path_is_valid_and_optimal_among_valid_paths(seed):
    rng = np.random.default_rng(seed)
    lp = np.log(rng.dirichlet(np.ones(len(BIO_TAGS)), size=4))
    path = viterbi(lp, ALLOWED)
    assert ALLOWED[len(BIO_TAGS), path[0]] and all(ALLOWED[a, b] for a, b in zip(path, path[1:]))
    import itertools  # brute force over all valid paths of 4 tokens

    best = max((p for p in itertools.product(range(len(BIO_TAGS)), repeat=4)
                if ALLOWED[len(BIO_TAGS), p[0]] and all(ALLOWED[a, b] for a, b in zip(p, p[1:]))),
               key=lambda p: sum(lp[i, t] for i, t in enumerate(p)))
    assert sum(lp[i, t] for i, t in enumerate(path)) == pytest.approx(sum(lp[i, t] for i, t in enumerate(best)))


def test_empty_input():
    assert viterbi(np.zeros((0, len(BIO_TAGS))), ALLOWED) == []
