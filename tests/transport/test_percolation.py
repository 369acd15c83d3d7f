"""Site-percolation thresholds, map statistics and the sample-scale extrapolation."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scprobe.errors import ParameterError
from scprobe.transport import (choose_dimension, gaussian_field, map_statistics, percolate, percolation_threshold,
                               wilson_interval)
from scprobe.transport.extrapolate import finite_size_fit
from scprobe.transport.percolation import indicator_to_field_length, spanning_counts


def test_square_lattice_threshold():
    mean, err = percolation_threshold((256, 256), realizations=20, seed=0)
    assert abs(mean - 0.592746) < 0.005  # measured 0.5922 +- 0.0016
    assert err < 0.003


def test_simple_cubic_threshold():
    mean, err = percolation_threshold((48, 48, 48), realizations=10, seed=0)
    assert abs(mean - 0.3116) < 0.01  # measured 0.3104 +- 0.0034


def _sweep(order, shape, axis):
    """Newman-Ziff: occupy sites in ``order``, union-find with occupied neighbours, stop when a
    cluster touches both end planes of ``axis`` (the reference for :func:`spanning_counts`)."""
    coords = np.unravel_index(np.arange(int(np.prod(shape))), shape)
    parent = {}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ends = {}
    for count, site in enumerate(order, start=1):
        parent[site] = site
        ends[site] = {"first"} if coords[axis][site] == 0 else {"last"} if coords[axis][site] == shape[axis] - 1 else set()
        for a in range(len(shape)):
            for step in (-1, 1):
                c = [int(x[site]) for x in coords]
                c[a] += step
                if not 0 <= c[a] < shape[a]:
                    continue
                nb = int(np.ravel_multi_index(c, shape))
                if nb in parent:
                    r1, r2 = find(nb), find(site)
                    if r1 != r2:
                        parent[r1] = r2
                        ends[r2] |= ends[r1]
        if ends[find(site)] == {"first", "last"}:
            return count
    raise AssertionError("nothing spans")


def test_spanning_counts_equal_the_sweep():
    rng = np.random.default_rng(3)
    for shape, axis in [((2, 5), 0), ((5, 2), 1), ((13, 9), 0), ((13, 9), 1), ((40, 40), 1), ((4, 6, 5), 0),
                        ((7, 7, 7), 2), ((12, 12, 12), 1)]:
        m = 3
        field = rng.standard_normal((m,) + shape).round(1)  # ties: broken by grid order
        orders = [np.argsort(-f.ravel(), kind="stable") for f in field]
        # any distinct increasing ranks work (a crop keeps the ranks of its whole grid)
        ranks = np.empty((m, int(np.prod(shape))), np.int64)
        for i, order in enumerate(orders):
            ranks[i, order] = np.cumsum(rng.integers(1, 4, order.size))
        got = spanning_counts(ranks.reshape((m,) + shape), axis)
        assert got.tolist() == [_sweep(order.tolist(), shape, axis) for order in orders]
    with pytest.raises(ParameterError):
        spanning_counts(np.zeros((1, 1, 5), np.int64), 0)


def test_map_statistics_recover_field_lengths():
    rng = np.random.default_rng(0)
    f = 0.4
    g = gaussian_field((384, 384), (12.0, 4.0), 30.0, rng)
    mask = g > np.quantile(g, 1 - f)
    st = map_statistics(mask, (2e-8, 2e-8))
    k = indicator_to_field_length(f)
    assert st.area_fraction == pytest.approx(f, abs=1e-4)
    assert st.correlation_length_along_m == pytest.approx(12.0 / k * 2e-8, rel=0.1)
    assert st.correlation_length_across_m == pytest.approx(4.0 / k * 2e-8, rel=0.1)
    assert abs(st.orientation_deg - 30.0) < 3.0


def test_indicator_length_symmetric_case():
    # f = 1/2: rho_I = (2/pi) arcsin(rho_g), so rho_g* = sin(pi / (2e))
    rho = math.sin(math.pi / (2 * math.e))
    assert indicator_to_field_length(0.5) == pytest.approx(1 / math.sqrt(-2 * math.log(rho)), rel=1e-6)


@pytest.fixture(scope="module")
def striped_field():
    return gaussian_field((256, 256), (6.0, 3.0), 0.0, np.random.default_rng(1))


def test_percolate_far_above_and_below(striped_field):
    g = striped_field
    kw = dict(pixel_size_m=1e-8, sample_size_m=5e-7, realizations=4, max_cells_per_side=64, dim=2)
    high = percolate(g > np.quantile(g, 0.2), **kw)
    low = percolate(g > np.quantile(g, 0.8), **kw)
    assert high.p_zero_resistance == 1.0 and high.two_d.r_ratio_median == 0.0 and high.percolates == "yes"
    assert low.p_zero_resistance == 0.0 and 0 < low.two_d.r_ratio_median < 1 and low.percolates == "no"
    # not extrapolated: P(zero) is a count of 4 realisations with its Wilson interval
    assert not low.two_d.extrapolated and low.p_zero_resistance_upper == pytest.approx(wilson_interval(0, 4)[1])
    assert abs(high.orientation_deg) < 5 or abs(high.orientation_deg - 180) < 5


def test_symmetric_gaussian_level_set_percolates_at_one_half():
    """A symmetric (isotropic) Gaussian level set percolates at area fraction 1/2 in 2-D (self-duality)."""
    g = gaussian_field((256, 256), (4.0, 4.0), 0.0, np.random.default_rng(3))
    res = percolate(g > 0, pixel_size_m=1e-8, sample_size_m=1e-3, realizations=8, seed=2, dim=2,
                    max_cells_per_side=128)
    a = res.two_d
    assert a.extrapolated and len(a.sizes_m) == 3
    assert a.critical_fraction_lower < 0.5 < a.critical_fraction_upper
    assert abs(a.critical_fraction - 0.5) < 0.05  # measured 0.537 [0.491, 0.582]
    assert a.critical_fraction_upper - a.critical_fraction_lower < 0.2
    # the interval is honest, not spurious: wider than the bare sampling error
    assert a.critical_fraction_upper - a.critical_fraction_lower > 2 * 1.96 * a.critical_fraction_stderr_sampling * 0.99


def test_percolate_3d_percolates_at_lower_fraction(striped_field):
    g = striped_field
    mask = g > np.quantile(g, 0.75)  # 25 %: below the 2-D threshold, above the 3-D one
    res = percolate(mask, pixel_size_m=1e-8, sample_size_m=1e-4, realizations=6, max_cells_per_side=64)
    two, three = res.two_d, res.three_d
    assert two.dim == 2 and three.dim == 3
    assert two.percolates == "no" and two.p_zero_resistance_upper < 0.01
    assert three.percolates == "yes" and three.p_zero_resistance_lower > 0.99
    assert three.critical_fraction_upper < two.critical_fraction_lower


def test_percolate_extrapolates_and_is_deterministic(striped_field):
    mask = striped_field > np.quantile(striped_field, 0.6)
    kw = dict(pixel_size_m=1e-8, sample_size_m=1e-3, realizations=3, max_cells_per_side=32, seed=7)
    a, b = percolate(mask, **kw), percolate(mask, **kw)
    assert a.two_d.extrapolated and a.two_d.cells_per_side == 32 and a.three_d.cells_per_side == 32
    assert a.to_dict() == b.to_dict()
    # sizes L, L/2, L/4; the spread of the critical fraction shrinks with the sample size
    assert a.two_d.sizes_m == pytest.approx([32 * a.two_d.cell_size_m, 16 * a.two_d.cell_size_m,
                                             8 * a.two_d.cell_size_m])
    assert a.two_d.critical_fraction_width_at_sample < np.std(a.two_d.critical_fractions, ddof=1)
    # the 2-D answer does not depend on whether the 3-D one is asked for first
    assert percolate(mask, dim=3, **kw).two_d.to_dict() == a.two_d.to_dict()


def test_every_field_declares_a_unit(striped_field):
    res = percolate(striped_field > 0.5, pixel_size_m=1e-8, sample_size_m=1e-6, realizations=2,
                    max_cells_per_side=32)
    units, values = res.units(), res.to_dict()
    assert set(units) == set(values)
    assert set(units["two_d"]) == set(values["two_d"]) and units["three_d"]["critical_fraction"] == "1"
    assert units["sample_size_m"] == "m" and units["three_d"]["zero_resistance_realizations"] == "count"


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.27753, abs=1e-5)
    lo, hi = wilson_interval(5, 10)
    assert (lo, hi) == pytest.approx((0.23659, 0.76341), abs=1e-5)
    with pytest.raises(ParameterError):
        wilson_interval(3, 2)


def test_finite_size_fit_recovers_the_limit():
    nu = 4 / 3
    sizes = np.array([64.0, 32.0, 16.0])
    means = 0.45 + 0.8 * sizes ** (-1 / nu)
    fc, a, se, fit = finite_size_fit(sizes, means, [0.01, 0.01, 0.01], nu)
    assert fc == pytest.approx(0.45, abs=1e-12) and a == pytest.approx(0.8) and fit < 1e-12 and se > 0
    with pytest.raises(ParameterError, match="three sizes"):
        finite_size_fit(sizes[:2], means[:2], [0.01, 0.01], nu)


def test_choose_dimension():
    xi = 150e-9
    assert choose_dimension(2e-4, xi)[0] == 3
    assert choose_dimension(50e-9, xi)[0] == 2
    assert choose_dimension(2 * xi, xi)[0] == 2 and choose_dimension(5 * xi, xi)[0] == 3
    d, why = choose_dimension(2e-4, xi, dim=2)
    assert d == 2 and "explicitly" in why
    d, why = choose_dimension(None, xi)
    assert d == 2 and "no sample thickness" in why


@pytest.fixture(scope="module")
def simulated_surface():
    """The simulator's superconducting landscape at its default parameters (the demo's)."""
    from scprobe.simulate.params import SampleParams
    from scprobe.simulate.sample import sample_landscape

    params = SampleParams()
    return params, sample_landscape(params, seed=0, shape=(384, 384)).mask


@pytest.mark.parametrize("thickness_m, truth", [(0.2e-3, 3), (50e-9, 2)])
def test_dimension_choice_recovers_the_simulated_truth(simulated_surface, thickness_m, truth):
    """The demo crystal (0.2 mm, SpecimenParams) is 3-D; a 50 nm film of the same surface is 2-D.

    The truth: the simulated domains have correlation lengths of 140 and 420 nm, so 0.2 mm stacks over
    a thousand of them and 50 nm is thinner than one.
    """
    params, mask = simulated_surface
    assert (thickness_m >= 10 * params.correlation_long_m) == (truth == 3)
    assert (thickness_m <= params.correlation_short_m) == (truth == 2)
    res = percolate(mask, pixel_size_m=params.pixel_size_m, sample_size_m=1e-3, thickness_m=thickness_m,
                    realizations=2, max_cells_per_side=32)
    assert res.dim_chosen == truth and f"{truth}-D" in res.dim_reason
    assert res.p_zero_resistance == res.answer(truth).p_zero_resistance


def test_percolate_bad_input():
    with pytest.raises(ParameterError, match="pixel_size_m"):
        percolate(np.zeros((32, 32), bool))
    mask = np.zeros((64, 64), bool)
    with pytest.raises(ParameterError, match="dim"):
        percolate(mask, pixel_size_m=1e-8, dim=4)
    with pytest.raises(ParameterError, match="seed"):
        percolate(mask, pixel_size_m=1e-8, seed=-1)
    for size in (1e-300, 1e-9, math.inf, 10.0):
        with pytest.raises(ParameterError, match="sample size"):
            percolate(mask, pixel_size_m=1e-8, sample_size_m=size)
    with pytest.raises(ParameterError, match="thickness"):
        percolate(mask, pixel_size_m=1e-8, thickness_m=-1.0)
    # 10000 realisations ran for over an hour without a word: refused up front
    with pytest.raises(ParameterError, match="realizations"):
        percolate(mask, pixel_size_m=1e-8, realizations=10_000)
    with pytest.raises(ParameterError):
        percolation_threshold((1, 10), realizations=4)
