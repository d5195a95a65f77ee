"""Overlapping windows over a token sequence, shared by training and prediction.

Training and inference must window identically, otherwise the model learns on contexts it
never sees at predict time (or the reverse). Each window also says which of its positions
it "owns": overlapping positions are owned by the window in which they sit furthest from an
edge, so every position is predicted exactly once and always with the most context.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    start: int  # first position (inclusive) in the full sequence
    end: int  # last position (exclusive)
    own_start: int  # positions [own_start, own_end) are decided by this window
    own_end: int


def make_windows(n: int, size: int, stride: int) -> list[Window]:
    """Windows of at most ``size`` positions, each starting ``stride`` after the last.

    ``stride < size`` gives an overlap of ``size - stride`` positions; ownership splits each
    overlap at its midpoint.
    """
    if size <= 0 or stride <= 0 or stride > size:
        raise ValueError(f"need 0 < stride <= size, got size={size} stride={stride}")
    if n <= size:
        return [Window(0, n, 0, n)]
    starts = list(range(0, n - size, stride)) + [n - size]
    if len(starts) > 1 and starts[-1] == starts[-2]:
        starts.pop()
    spans = [(s, s + size) for s in starts]
    out = []
    for i, (s, e) in enumerate(spans):
        own_s = 0 if i == 0 else (spans[i - 1][1] + s) // 2
        own_e = n if i == len(spans) - 1 else (e + spans[i + 1][0]) // 2
        out.append(Window(s, e, own_s, own_e))
    return out
