"""Site-percolation thresholds, map statistics and the sample-scale extrapolation."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scprobe.errors import ParameterError
from scprobe.transport import gaussian_field, map_statistics, percolate, percolation_threshold
from scprobe.transport.percolation import indicator_to_field_length


def test_square_lattice_threshold():
    mean, err = percolation_threshold((256, 256), realizations=20, seed=0)
    assert abs(mean - 0.592746) < 0.005  # measured 0.5922 +- 0.0016
    assert err < 0.003


def test_simple_cubic_threshold():
    mean, err = percolation_threshold((48, 48, 48), realizations=10, seed=0)
    assert abs(mean - 0.3116) < 0.01  # measured 0.3104 +- 0.0034


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
    kw = dict(pixel_size_m=1e-8, sample_size_m=2e-6, realizations=4, max_cells_per_side=64)
    high = percolate(g > np.quantile(g, 0.2), **kw)
    low = percolate(g > np.quantile(g, 0.8), **kw)
    assert high.p_zero_resistance > 0.999 and high.r_ratio_median == 0.0
    assert low.p_zero_resistance < 0.001 and 0 < low.r_ratio_median < 1
    # a 2-D Gaussian excursion set percolates at one half (less in a box a few lengths long)
    assert 0.35 < low.sc_fraction_for_zero_resistance < 0.6
    assert abs(high.orientation_deg) < 5 or abs(high.orientation_deg - 180) < 5


def test_percolate_3d_percolates_at_lower_fraction(striped_field):
    g = striped_field
    mask = g > np.quantile(g, 0.75)  # 25 %: below the 2-D threshold, above the 3-D one
    kw = dict(pixel_size_m=1e-8, sample_size_m=1e-4, realizations=3)
    two = percolate(mask, dim=2, max_cells_per_side=64, **kw)
    three = percolate(mask, dim=3, max_cells_per_side=24, **kw)
    assert two.p_zero_resistance < 0.01
    assert three.p_zero_resistance_simulated == 1.0
    assert three.sc_fraction_for_zero_resistance < two.sc_fraction_for_zero_resistance


def test_percolate_extrapolates_and_is_deterministic(striped_field):
    mask = striped_field > np.quantile(striped_field, 0.6)
    kw = dict(pixel_size_m=1e-8, sample_size_m=1e-3, realizations=3, max_cells_per_side=32, seed=7)
    a, b = percolate(mask, **kw), percolate(mask, **kw)
    assert a.extrapolated and a.cells_per_side == 32
    assert a.to_dict() == b.to_dict()
    assert a.sc_fraction_for_zero_resistance_std < np.std(a.critical_fractions, ddof=1)


def test_percolate_bad_input():
    with pytest.raises(ParameterError, match="pixel_size_m"):
        percolate(np.zeros((32, 32), bool))
    with pytest.raises(ParameterError, match="dim"):
        percolate(np.zeros((32, 32), bool), pixel_size_m=1e-8, dim=4)
    with pytest.raises(ParameterError):
        percolation_threshold((1, 10), realizations=4)
