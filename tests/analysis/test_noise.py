"""analysis.noise: the noise floor of Gaussian amplifier noise under microampere regions."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.analysis.noise import FLOOR_SIGMAS, NOISE_SIGMAS, conducting_mask, default_threshold, noise_stats
from scprobe.errors import ParameterError


def _map(fraction=0.2, rms=25e-12, offset=40e-12, n=400, seed=0):
    rng = np.random.default_rng(seed)
    cur = offset + rms * rng.standard_normal((n, n))
    conducting = np.zeros((n, n), bool)
    conducting[: int(fraction * n)] = True
    cur[conducting] += 5.5e-6
    return cur, conducting


@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.45])
def test_offset_and_rms_of_the_matrix_are_recovered(fraction):
    cur, _ = _map(fraction)
    res = noise_stats(cur)
    # 160 000 samples: the median and the scaled MAD are within a few 1e-3 relative of the truth
    assert res.noise_offset_A == pytest.approx(40e-12, abs=0.5e-12)
    assert res.noise_rms_A == pytest.approx(25e-12, rel=0.02)
    assert res.noise_floor_A == pytest.approx(abs(res.noise_offset_A) + FLOOR_SIGMAS * res.noise_rms_A)


def test_threshold_and_mask_separate_regions_from_noise():
    cur, conducting = _map(0.2)
    res = noise_stats(cur)
    thr = default_threshold(res)
    assert thr == pytest.approx(res.noise_offset_A + NOISE_SIGMAS * res.noise_rms_A)
    mask, used = conducting_mask(cur, thr)
    assert used == thr
    np.testing.assert_array_equal(mask, conducting)  # 5 sigma: ~0.05 false pixels expected of 128 000


def test_bad_seed_fraction_is_a_parameter_error():
    with pytest.raises(ParameterError):
        noise_stats(np.zeros((4, 4)), seed_fraction=0.0)
