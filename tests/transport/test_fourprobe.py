"""Four-probe and van der Pauw on synthetic maps: analytic sheets, exact zeros, verdicts."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scprobe.analysis import noise_stats
from scprobe.errors import ParameterError
from scprobe.transport import build_network, four_probe, make_contacts, measure, vdp_sheet_resistance

VDP = math.log(2) / math.pi  # R_A / R_sq of a uniform square with corner contacts


@pytest.mark.parametrize("n", [128, 256])
def test_uniform_square_vdp(n):
    r = four_probe(np.zeros((n, n), bool), contacts="vdp", matrix_sheet_resistance_ohm=50.0)
    # discretisation error of point corner contacts: 1.1e-4 at 128 px, 2.8e-5 at 256 px
    assert r.r_a_ohm == pytest.approx(50.0 * VDP, rel=2e-4)
    assert r.r_b_ohm == pytest.approx(r.r_a_ohm, rel=1e-8)
    assert r.vdp_sheet_resistance_ohm == pytest.approx(50.0, rel=2e-4)
    assert r.anisotropy == pytest.approx(1.0, rel=1e-8)
    assert r.r_four_probe_ratio == pytest.approx(1.0, rel=1e-8)
    assert r.verdict == "resistive" and r.residual < 1e-9
    assert r.current_fraction_in_sc == 0.0 and r.sc_fraction == 0.0


def test_vdp_equation_solution():
    rs = 3.7
    # rectangle-like case: pick R_A, get R_B from the equation, then recover R_s
    r_a = 0.4 * rs
    r_b = -rs / math.pi * math.log(1 - math.exp(-math.pi * r_a / rs))
    assert vdp_sheet_resistance(r_a, r_b) == pytest.approx(rs, rel=1e-12)
    assert vdp_sheet_resistance(0.0, 1.0) == 0.0
    assert math.isnan(vdp_sheet_resistance(-1.0, 1.0))


def test_bar_uniform_exact():
    ny, nx = 20, 64
    r = four_probe(np.zeros((ny, nx), bool), contacts="bar")
    # face contacts make the potential exactly linear: R = (columns between probes) / ny
    assert r.r_four_probe_ohm == pytest.approx((3 * nx // 4 - nx // 4) / ny, rel=1e-10)


@pytest.mark.parametrize("method", ["direct", "amg"])
def test_reciprocity(lognormal_conductance, method):
    s = lognormal_conductance
    cts = make_contacts([(10, 20), (110, 100), (30, 90), (100, 15)], s.shape)
    net = build_network(s, None, cts.pixels)
    (fwd, rev), info = measure(net, cts, configurations=((0, 1, 2, 3), (2, 3, 0, 1)), method=method)
    assert info.residual < 1e-10
    assert fwd.r_four_probe == pytest.approx(rev.r_four_probe, rel=1e-8)


def _linear_mask(ny=64, nx=128):
    """Empty mask and the linear contact columns I+, I-, V+, V- on row ny // 2."""
    cols = [(k * nx) // 8 for k in (1, 7, 3, 5)]
    return np.zeros((ny, nx), bool), ny // 2, cols


def test_filament_between_voltage_probes_is_exact_zero():
    mask, row, (ci, co, cvp, cvm) = _linear_mask()
    mask[row, cvp:cvm + 1] = True
    r = four_probe(mask, contacts="linear")
    assert r.r_four_probe_ohm == 0.0  # exactly: both probes are one node
    assert r.verdict == "probe_short"
    assert r.voltage_probes_shorted and not r.current_contacts_connected
    assert r.r_two_probe_ratio < 1.0 and r.r_two_probe_ohm > 0


def test_bypass():
    mask, row, (ci, co, cvp, cvm) = _linear_mask()
    mask[5, ci:co + 1] = True
    mask[5:row + 1, ci] = True
    mask[5:row + 1, co] = True
    r = four_probe(mask, contacts="linear")
    assert r.r_four_probe_ohm == 0.0 and r.r_two_probe_ohm == 0.0
    assert r.verdict == "bypass"
    assert r.current_contacts_connected and not r.voltage_probes_on_path
    assert r.current_fraction_in_sc == pytest.approx(1.0)


def test_percolating_minority():
    mask, row, _ = _linear_mask()
    mask[row, :] = True
    r = four_probe(mask, contacts="linear")
    assert r.r_four_probe_ohm == 0.0 and r.verdict == "percolating_minority"
    assert r.sc_fraction == pytest.approx(1 / 64) and r.spanning_x and not r.spanning_y
    assert "1.6%" in r.explanation


def test_bulk_like_and_resistive():
    rng = np.random.default_rng(1)
    bulk = rng.random((64, 64)) < 0.9
    r = four_probe(bulk | np.pad(np.ones((62, 62), bool), 1), contacts="vdp")
    assert r.verdict == "bulk_like" and r.r_a_ohm == 0.0 and r.r_b_ohm == 0.0
    sparse = rng.random((64, 64)) < 0.3
    r = four_probe(sparse, contacts="vdp")
    assert r.verdict == "resistive" and 0 < r.r_four_probe_ratio < 1
    assert not r.spanning_x and not r.spanning_y
    assert 0 < r.current_fraction_in_sc < 1


def test_map_above_and_below_threshold_span():
    rng = np.random.default_rng(2)
    u = rng.random((128, 128))
    high = four_probe(u < 0.75, contacts="vdp")
    low = four_probe(u < 0.45, contacts="vdp")
    assert high.spanning_x and high.spanning_y
    assert not low.spanning_x and not low.spanning_y


def test_current_map_with_threshold_and_units():
    current = np.full((64, 64), 1e-12)
    current[32, :] = 5e-6
    r = four_probe(current, contacts="linear", threshold_A=1e-9, matrix_sheet_resistance_ohm=200.0)
    assert r.threshold_A == 1e-9 and r.resistance_unit == "ohm"
    assert r.verdict == "percolating_minority"
    d = r.to_dict()
    for key in ("r_four_probe_ohm", "r_four_probe_ratio", "r_two_probe_ratio", "r_a_ohm", "r_b_ohm",
                "vdp_sheet_resistance_ohm", "anisotropy", "current_contacts_connected", "voltage_probes_on_path",
                "voltage_probes_shorted", "spanning_x", "spanning_y", "sc_fraction", "largest_cluster_fraction",
                "current_fraction_in_sc", "verdict", "explanation", "residual", "iterations", "method",
                "n_unknowns", "noise_clamped_pixels"):
        assert key in d
    assert "potential" not in d and d["r_a_ohm"] is None


def test_proportional_clamps_noise():
    rng = np.random.default_rng(3)
    current = rng.normal(0.0, 1e-11, (64, 64))
    current[:, 20:44] = 1e-6
    r = four_probe(current, contacts="bar", model="proportional")
    floor = noise_stats(current).noise_floor_A
    # every noise pixel up to the 3-sigma floor, none of the conducting ones
    assert r.noise_clamped_pixels == np.count_nonzero(current <= floor)
    assert 64 * 40 - 10 <= r.noise_clamped_pixels <= 64 * 40
    assert r.verdict == "resistive" and np.isfinite(r.r_four_probe_ohm) and r.r_four_probe_ohm > 0


def test_isolated_voltage_probe_is_undefined():
    s = np.ones((32, 64))
    s[:, 40] = 0.0  # a cut: the right part is an island
    cts = make_contacts([(2, 16), (30, 16), (20, 5), (50, 5)], s.shape)
    (r,), _ = measure(build_network(s, None, cts.pixels), cts)
    assert math.isnan(r.r_four_probe) and np.isfinite(r.r_two_probe)


def test_bad_parameters():
    with pytest.raises(ParameterError, match="contact"):
        four_probe(np.zeros((32, 32), bool), contacts="1,2;3,4;5,6")
    with pytest.raises(ParameterError, match="outside"):
        four_probe(np.zeros((32, 32), bool), contacts="1,2;3,4;5,6;99,1")
    with pytest.raises(ParameterError, match="model"):
        four_probe(np.zeros((32, 32)), model="bogus")
    with pytest.raises(ParameterError, match="sheet resistance"):
        four_probe(np.zeros((32, 32), bool), matrix_sheet_resistance_ohm=-1)


def test_proportional_amg_matches_direct_on_lognormal_map(lognormal_conductance):
    current = lognormal_conductance  # read as a current map, 1e-12 .. 1e-5 A
    amg = four_probe(current, contacts="vdp", model="proportional", method="amg")
    direct = four_probe(current, contacts="vdp", model="proportional", method="direct")
    assert amg.method == "amg" and amg.residual < 1e-10 and amg.iterations < 60
    assert amg.r_a_ohm == pytest.approx(direct.r_a_ohm, rel=1e-8)
    assert amg.r_b_ohm == pytest.approx(direct.r_b_ohm, rel=1e-8)
    assert amg.noise_clamped_pixels > 0
