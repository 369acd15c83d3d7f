"""process.rows on large fields: the blocked, two-thread row medians equal the plain definition."""
from __future__ import annotations

import numpy as np

from scprobe.process.rows import _THREADED_PIXELS, align_rows_array, row_shifts, upper_median


def _field(ny=1100, nx=1001, seed=5):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((ny, nx)) + rng.standard_normal(ny)[:, None]
    z[17, ::3] = np.nan   # rows with voids take the NaN-aware path inside a block
    z[600, :] = np.nan    # a row without finite pixels
    return z


def test_threaded_medians_match_the_definition():
    z = _field()
    assert z.size >= _THREADED_PIXELS
    s = row_shifts(z, "median")
    ref = upper_median(z, axis=1)
    ref = np.where(np.isfinite(ref), ref, np.nanmean(ref))
    np.testing.assert_array_equal(s, ref - ref.mean())
    d = upper_median(z[1:] - z[:-1], axis=1)
    cum = np.concatenate([[0.0], np.cumsum(np.where(np.isfinite(d), d, 0.0))])
    i = np.arange(cum.size, dtype=float)
    np.testing.assert_allclose(row_shifts(z, "mediandiff"), cum - np.polyval(np.polyfit(i, cum, 1), i),
                               rtol=0, atol=1e-12)


def test_input_is_not_modified_and_offsets_are_removed():
    z = _field(ny=1024, nx=1024)
    before = z.copy()
    out = align_rows_array(z, "median")
    np.testing.assert_array_equal(z, before)
    med = upper_median(out, axis=1)
    ok = np.isfinite(med)
    assert np.ptp(med[ok]) < 1e-12  # every row's median is the same after alignment


def test_sampled_selection_is_exact_on_awkward_rows():
    """The bracketed selection of long rows returns exactly ``sorted[n // 2]``, also where a
    bracket misses (sorted, tied, periodic, heavy-tailed rows) and next to the plain-partition length."""
    rng = np.random.default_rng(8)
    n = 4096
    rows = [rng.standard_normal((40, n)),
            rng.integers(0, 4, (40, n)).astype(float),           # ties everywhere
            rng.standard_normal((20, n + 904)) ** 7,              # heavy tails, length not a multiple of the stride
            np.sort(rng.standard_normal((20, n)), axis=1),        # the strided sample is not random
            np.sort(rng.standard_normal((20, n)), axis=1)[:, ::-1],
            np.tile(np.r_[np.zeros(8), np.ones(8)], (20, n // 16)),  # periodic with the sampling stride
            np.where(np.arange(n) % 8 == 0, 10.0, 0.0) + rng.standard_normal((20, n)),  # every sample misses
            np.where(np.arange(n) % 8 == 0, 10.0, 0.0) * (np.arange(20) % 2)[:, None]
            + rng.standard_normal((20, n)),                       # every other row's sample misses
            np.zeros((4, 2048)), rng.standard_normal((9, 2047)), rng.standard_normal((9, 2049))]
    for z in rows:
        want = np.sort(z, axis=1)[:, z.shape[1] // 2]
        got = upper_median(z, axis=1)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(row_shifts(z, "median"), want - want.mean())
