"""Depth profiles and oxide-cap detection on synthetic needles with a known cap."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.composition.profile import depth_from_apex, depth_profile, detect_cap
from scprobe.composition.ranging import assign_species, compile_ranges
from scprobe.errors import ParameterError
from scprobe.io.apt import read_pos, read_ranges

from .conftest import NEEDLE1, make_needle


@pytest.fixture(scope="module")
def compiled(apt_study):
    return compile_ranges(read_ranges(apt_study / "FeSeTe.rrng"))


def _profile(path, compiled, **kw):
    ions = read_pos(path)
    s = assign_species(ions.mass_to_charge_Da, compiled)
    d = depth_from_apex(ions.column("z") * 1e-9)
    return depth_profile(d, s, compiled, **kw), d, s


def test_depth_is_measured_from_the_apex_for_either_z_sign():
    z = np.linspace(0, 100e-9, 1001)
    np.testing.assert_allclose(depth_from_apex(z), z)
    np.testing.assert_allclose(depth_from_apex(-z), z)
    np.testing.assert_allclose(depth_from_apex(5e-9 - z), z, atol=1e-18)


@pytest.mark.parametrize("name", ["needle1.pos", "needle2.pos"])
def test_cap_depth_within_3_nm(apt_study, compiled, name):
    prof, _, _ = _profile(apt_study / name, compiled)
    cap = detect_cap(prof)
    assert abs(cap.cap_depth_m - 20e-9) < 3e-9
    assert cap.cap_depth_m == pytest.approx(20e-9, abs=0.5e-9)  # measured: 19.95 and 19.99 nm
    assert cap.apex_at_pct == pytest.approx(45, abs=2.5)
    assert cap.bulk_at_pct == pytest.approx(0.3, abs=0.15)


def test_thin_cap_with_wide_interface_and_fixed_threshold(tmp_path, compiled):
    make_needle(tmp_path / "n.pos", NEEDLE1, n_ions=100_000, cap_nm=8.0, interface_nm=4.0, seed=7)
    prof, _, _ = _profile(tmp_path / "n.pos", compiled)
    assert abs(detect_cap(prof).cap_depth_m - 8e-9) < 3e-9
    # a lower threshold ends the cap deeper, in the interface tail
    assert detect_cap(prof, threshold_at_pct=5.0).cap_depth_m > detect_cap(prof).cap_depth_m
    with pytest.raises(ParameterError, match="cap threshold"):
        detect_cap(prof, threshold_at_pct=150)


def test_no_cap_without_oxygen_excess(tmp_path, compiled):
    make_needle(tmp_path / "clean.pos", NEEDLE1, n_ions=50_000, cap_nm=0.0, cap_o_at_pct=0.3, seed=3)
    prof, _, _ = _profile(tmp_path / "clean.pos", compiled)
    assert detect_cap(prof).cap_depth_m == 0.0
    assert detect_cap(prof, element="Xe").cap_depth_m == 0.0


def test_fixed_count_bins(apt_study, compiled):
    prof, d, s = _profile(apt_study / "needle1.pos", compiled, ions_per_bin=10_000)
    ranged = np.count_nonzero(s >= 0)
    # FeTe ions count two atoms, so check ions through the profile of ion counts per bin via depth edges
    counts, _ = np.histogram(d[s >= 0], bins=prof.depth_edges_m)
    assert counts[:-1].tolist() == pytest.approx([10_000] * (counts.size - 1), abs=1)
    assert counts.sum() == ranged
    assert np.all(np.diff(prof.depth_edges_m) > 0)


def test_fixed_depth_bins_and_fraction_errors(apt_study, compiled):
    prof, _, _ = _profile(apt_study / "needle1.pos", compiled, bin_width_m=2e-9)
    assert np.diff(prof.depth_edges_m) == pytest.approx(2e-9)
    c, err = prof.fraction("Fe")
    n = prof.atoms.sum(axis=1)
    np.testing.assert_allclose(err, np.sqrt(c * (1 - c) / n))
    deep = prof.depth_centres_m > 30e-9
    # below the cap Fe scatters around its target as the counting error says
    chi2 = np.mean(((c[deep] - 0.4985) / err[deep]) ** 2)
    assert 0.5 < chi2 < 2.0


def test_cap_step_fit_ignores_isolated_noisy_bins():
    from scprobe.composition.profile import DepthProfile

    o = np.r_[[45.0] * 20, [0.3] * 60]
    o[0] = 10.0  # a starved apex bin below threshold
    o[40] = 40.0  # one spike in the bulk
    atoms = np.column_stack([10 * o, 10 * (100 - o)])
    prof = DepthProfile(np.arange(81) * 1e-9, ("O", "Fe"), atoms)
    assert detect_cap(prof).cap_depth_m == pytest.approx(20e-9, abs=0.5e-9)
