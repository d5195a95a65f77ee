"""Character spans onto tokens: the one projection, for gold spans and rule spans alike.

Its own module because both sides need it: training data (:mod:`govner.training.data`, gold spans to
BIO labels) and the model's rule feature (:mod:`govner.modeling.model`, rule spans to BIO inputs), and
the model must not import the training-data module (that made an import circle).
"""
from __future__ import annotations

import bisect
from typing import Iterable, Sequence


def covered_tokens(start: int, end: int, token_spans: Sequence[tuple[int, int]],
                   token_ends: Sequence[int] | None = None) -> range:
    """Indices of the tokens that overlap ``[start, end)``: a binary search, then a walk.

    Token spans come in text order and do not overlap, so their ends are sorted and the
    tokens a span covers are consecutive. ``token_ends`` (the ends as a list) saves
    rebuilding it per span.
    """
    ends = token_ends if token_ends is not None else [e for _, e in token_spans]
    first = bisect.bisect_right(ends, start)  # the first token ending after ``start``
    last = first
    while last < len(token_spans) and token_spans[last][0] < end:
        last += 1
    # a zero-width token (none in practice) ends at ``start`` yet starts before ``end``: skip it
    while first < last and not token_spans[first][1] > start:
        first += 1
    return range(first, last)


def _in_order(token_spans: Sequence[tuple[int, int]]) -> bool:
    return all(a[1] <= b[1] and a[0] <= b[0] for a, b in zip(token_spans, token_spans[1:]))


def bio_tags(spans: Iterable[tuple[int, int, str]], token_spans: Sequence[tuple[int, int]],
             on_span=None) -> list[str]:
    """A BIO tag per token for character spans: a span covers every token it overlaps.

    The one projection of spans onto tokens, for gold spans (training labels) and rule spans
    (the ``rule_tags`` model input) alike. ``on_span(start, end, label, covered)`` sees the
    token indices each span covers, for alignment reports.

    Linear in the text: each span finds its first token by binary search over the token
    ends and walks only the tokens it covers (a scan of every token per span made predicting
    on a 200,000-character text take minutes). Tokens out of text order (no tokenizer
    produces them) fall back to that scan.
    """
    tags = ["O"] * len(token_spans)
    ordered = _in_order(token_spans)
    ends = [e for _, e in token_spans] if ordered else None
    for start, end, label in spans:
        if ordered:
            covered = list(covered_tokens(start, end, token_spans, ends))
        else:
            covered = [i for i, (s, e) in enumerate(token_spans) if s < end and e > start]
        if on_span is not None:
            on_span(start, end, label, covered)
        for k, i in enumerate(covered):
            tags[i] = f"{'B' if k == 0 else 'I'}-{label}"
    return tags
