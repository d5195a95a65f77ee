from hypothesis import given, strategies as st

from govner.modeling.windows import make_windows


@given(st.integers(0, 2000), st.integers(8, 256), st.data())
def test_windows_cover_every_position_once(n, size, data):
    stride = data.draw(st.integers(1, size))
    ws = make_windows(n, size, stride)
    owned = [p for w in ws for p in range(w.own_start, w.own_end)]
    assert owned == list(range(n))
    for w in ws:
        assert 0 <= w.start <= w.own_start <= w.own_end <= w.end <= n
        assert w.end - w.start <= size


def test_short_sequence_is_one_window():
    assert len(make_windows(10, 128, 64)) == 1
