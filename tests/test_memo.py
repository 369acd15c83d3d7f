"""scprobe._memo.ContentMemo: answers kept by content, handed out as copies, bounded in bytes."""
import numpy as np

from scprobe._memo import ContentMemo


def _counting():
    calls = []

    def compute(a, k):
        calls.append(k)
        return {"sum": a * k}
    return compute, calls


def test_same_bytes_and_arguments_are_computed_once_and_copies_are_independent():
    memo, (compute, calls) = ContentMemo(2**20), _counting()
    a = np.arange(16.0)
    first = memo(compute, a, 2)
    first["sum"][:] = -1.0  # a caller changing its answer never changes the kept one
    again = memo(compute, a.copy(), 2)
    assert calls == [2]
    np.testing.assert_array_equal(again["sum"], a * 2)
    memo(compute, a, 3)
    b = a.copy()
    b[0] = 0.5
    memo(compute, b, 2)
    assert calls == [2, 3, 2]


def test_large_inputs_are_not_kept_and_the_oldest_go_beyond_the_bound():
    memo, (compute, calls) = ContentMemo(4 * 8 * 100), _counting()
    big = np.zeros(101)  # more than a quarter of the bound
    memo(compute, big, 1)
    memo(compute, big, 1)
    assert calls == [1, 1]
    small = [np.full(100, float(i)) for i in range(5)]  # 800 bytes each: four fit
    for s in small:
        memo(compute, s, 1)
    memo(compute, small[0], 1)  # forgotten (oldest), computed again
    memo(compute, small[4], 1)  # kept
    assert len(calls) == 2 + 5 + 1
    memo.clear()
    memo(compute, small[4], 1)
    assert len(calls) == 2 + 5 + 2
