"""The building blocks: erf-step fits, the mixture model with BIC, regions, noise."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr

from scprobe.analysis import (edge_fits, fit_erf_profiles, half_max_mask, label_regions, noise_stats,
                              region_table, select_mixture)
from scprobe.analysis.edges import WIDTH_PER_SIGMA
from scprobe.analysis.regions import block_filter


def test_width_per_sigma_constant():
    from scipy.special import erfinv

    assert WIDTH_PER_SIGMA == pytest.approx(2 * np.sqrt(2) * erfinv(0.8), rel=1e-12)
    assert WIDTH_PER_SIGMA == pytest.approx(2.5631, abs=1e-4)


def test_erf_fit_recovers_exact_parameters():
    x = np.arange(-8, 8) + 0.5
    rng = np.random.default_rng(1)
    true = np.column_stack([rng.uniform(1, 3, 50), rng.uniform(1, 3, 50), rng.uniform(-1, 1, 50),
                            rng.uniform(0.4, 2.5, 50)])
    from scipy.special import erf

    y = true[:, :1] + true[:, 1:2] * erf((x[None, :] - true[:, 2:3]) / (np.sqrt(2) * true[:, 3:4]))
    params, rel = fit_erf_profiles(x, y)
    assert np.allclose(params, true, rtol=1e-6, atol=1e-6)
    assert rel.max() < 1e-6


def test_edge_fits_straight_tilted_edge_corrects_projection():
    # boundary at 20 degrees from the y axis: profiles along x see it 1/cos(20) wider
    ny, nx, px, sigma = 120, 120, 10e-9, 25e-9
    yy, xx = (np.mgrid[0:ny, 0:nx] + 0.5) * px
    angle = np.radians(20)
    d = (xx - 0.6e-6) * np.cos(angle) + (yy - 0.6e-6) * np.sin(angle)
    cur = 5e-6 * ndtr(d / sigma)
    fits = edge_fits(cur, cur > 2.5e-6, (px, px))
    assert fits.width_m.size > 50
    assert np.median(fits.width_m) == pytest.approx(WIDTH_PER_SIGMA * sigma, rel=0.03)


@pytest.mark.parametrize("levels,weights", [((5.5e-6, 3.5e-6), (0.6, 0.4)), ((4e-6,), (1.0,)),
                                            ((6e-6, 3e-6, 1e-6), (0.3, 0.3, 0.4))])
def test_mixture_picks_number_of_states_by_bic(levels, weights):
    rng = np.random.default_rng(7)
    n = 20000
    counts = rng.multinomial(n, weights)
    vals = np.concatenate([lv * (1 + 0.01 * rng.standard_normal(c)) for lv, c in zip(levels, counts)])
    mix = select_mixture(np.log10(vals))
    assert len(mix.means) == len(levels)
    assert 10 ** mix.means == pytest.approx(sorted(levels, reverse=True), rel=0.01)
    assert mix.weights == pytest.approx([w for _, w in sorted(zip(levels, weights), reverse=True)], abs=0.02)


def test_regions_geometry():
    mask = np.zeros((60, 80), dtype=bool)
    mask[10:20, 10:50] = True  # 40 x 10 px bar: a stripe along x
    yy, xx = np.mgrid[0:60, 0:80]
    mask |= (yy - 40) ** 2 + (xx - 60) ** 2 <= 64  # disc of radius 8
    labels, n = label_regions(mask)
    cur = np.where(mask, 2e-6, 0.0)
    t = region_table(labels, n, cur, (20e-9, 10e-9), bias_V=0.1)
    bar = int(np.argmax(t["area_px"]))
    assert n == 2
    assert t["area_m2"][bar] == pytest.approx(400 * 200e-18)
    # physical extent: 400 nm x 200 nm rectangle: axis ratio 2, major axis along x
    assert t["elongation"][bar] == pytest.approx(2.0, rel=0.02)
    assert abs(t["orientation_deg"][bar]) < 1
    assert t["junction_resistance_ohm"][bar] == pytest.approx(0.1 / 2e-6)
    assert t["max_current_A"] == pytest.approx([2e-6, 2e-6])


def test_half_max_mask_and_block_filter():
    a = np.zeros((30, 40))
    a[10, 20] = 1.0
    blocks, by, bx = block_filter(a, 3)
    full = blocks[np.arange(30)[:, None] // by, np.arange(40)[None, :] // bx]
    near = np.abs(np.arange(30)[:, None] - 10) <= 3
    near = near & (np.abs(np.arange(40)[None, :] - 20) <= 3)
    assert (full[near] == 1.0).all()  # at least radius r
    far = (np.abs(np.arange(30)[:, None] - 10) > 6) | (np.abs(np.arange(40)[None, :] - 20) > 6)
    assert (full[far] == 0).all()  # at most about 4/3 r (+ block rounding)
    cur = np.array([[0.0, 1.0, 3.0, 4.0, 4.0]] * 5)
    assert half_max_mask(cur, cur > 0.5, 2)[0].tolist() == [False, False, True, True, True]


def test_noise_stats_ignores_conducting_pixels():
    rng = np.random.default_rng(3)
    cur = 1e-11 + 3e-11 * rng.standard_normal((200, 200))
    cur[50:120, 60:150] = 5e-6
    nr = noise_stats(cur)
    assert nr.noise_rms_A == pytest.approx(3e-11, rel=0.05)
    assert nr.noise_offset_A == pytest.approx(1e-11, abs=3e-12)
