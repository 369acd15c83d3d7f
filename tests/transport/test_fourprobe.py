"""Four-probe and van der Pauw on synthetic maps: analytic sheets, exact zeros, verdicts."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scprobe.analysis import noise_stats
from scprobe.errors import ParameterError
from scprobe.transport import build_network, four_probe, make_contacts, measure, vdp_sheet_resistance
from scprobe.transport.contacts import parse_positions

VDP = math.log(2) / math.pi  # R_A / R_sq of a uniform square with corner contacts


@pytest.mark.parametrize("n", [128, 256])
def test_uniform_square_vdp(n):
    r = four_probe(np.zeros((n, n), bool), contacts="vdp", matrix_sheet_resistance_ohm=50.0)
    # discretisation error of point corner contacts: 1.1e-4 at 128 px, 2.8e-5 at 256 px
    res, conn = r.resistance, r.connectivity
    assert res.r_a_rsq == pytest.approx(VDP, rel=2e-4)
    assert res.r_a_ohm == pytest.approx(50.0 * res.r_a_rsq, rel=1e-12)
    assert res.r_b_ohm == pytest.approx(res.r_a_ohm, rel=1e-8)
    assert res.vdp_sheet_resistance_ohm == pytest.approx(50.0, rel=2e-4)
    assert res.vdp_sheet_resistance_rsq == pytest.approx(1.0, rel=2e-4)
    assert res.anisotropy == pytest.approx(1.0, rel=1e-8)
    assert res.r_four_probe_ratio == pytest.approx(1.0, rel=1e-8)
    assert r.verdict == "resistive" and r.solver.residual < 1e-9
    assert conn.current_fraction_in_sc == 0.0 and conn.sc_fraction == 0.0


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
    assert r.resistance.r_four_probe_rsq == pytest.approx((3 * nx // 4 - nx // 4) / ny, rel=1e-10)


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
    assert r.resistance.r_four_probe_rsq == 0.0  # exactly: both probes are one node
    assert r.verdict == "probe_short"
    assert r.connectivity.voltage_probes_shorted and not r.connectivity.current_contacts_connected
    assert r.resistance.r_two_probe_ratio < 1.0 and r.resistance.r_two_probe_rsq > 0


def test_bypass():
    mask, row, (ci, co, cvp, cvm) = _linear_mask()
    mask[5, ci:co + 1] = True
    mask[5:row + 1, ci] = True
    mask[5:row + 1, co] = True
    r = four_probe(mask, contacts="linear")
    assert r.resistance.r_four_probe_rsq == 0.0 and r.resistance.r_two_probe_rsq == 0.0
    assert r.verdict == "bypass"
    assert r.connectivity.current_contacts_connected and not r.connectivity.voltage_probes_on_path
    assert r.connectivity.current_fraction_in_sc == pytest.approx(1.0)


def test_percolating_minority():
    mask, row, _ = _linear_mask()
    mask[row, :] = True
    r = four_probe(mask, contacts="linear")
    assert r.resistance.r_four_probe_rsq == 0.0 and r.verdict == "percolating_minority"
    assert r.connectivity.sc_fraction == pytest.approx(1 / 64) and r.connectivity.spanning_x and not r.connectivity.spanning_y
    assert "1.6%" in r.explanation


def test_bulk_like_and_resistive():
    rng = np.random.default_rng(1)
    bulk = rng.random((64, 64)) < 0.9
    r = four_probe(bulk | np.pad(np.ones((62, 62), bool), 1), contacts="vdp")
    assert r.verdict == "bulk_like" and r.resistance.r_a_rsq == 0.0 and r.resistance.r_b_rsq == 0.0
    sparse = rng.random((64, 64)) < 0.3
    r = four_probe(sparse, contacts="vdp")
    assert r.verdict == "resistive" and 0 < r.resistance.r_four_probe_ratio < 1
    assert not r.connectivity.spanning_x and not r.connectivity.spanning_y
    assert 0 < r.connectivity.current_fraction_in_sc < 1


def test_map_above_and_below_threshold_span():
    rng = np.random.default_rng(2)
    u = rng.random((128, 128))
    high = four_probe(u < 0.75, contacts="vdp")
    low = four_probe(u < 0.45, contacts="vdp")
    assert high.connectivity.spanning_x and high.connectivity.spanning_y
    assert not low.connectivity.spanning_x and not low.connectivity.spanning_y


def test_current_map_with_threshold_and_units():
    current = np.full((64, 64), 1e-12)
    current[32, :] = 5e-6
    r = four_probe(current, contacts="linear", threshold_A=1e-9, matrix_sheet_resistance_ohm=200.0)
    assert r.threshold_A == 1e-9 and r.resistance.matrix_sheet_resistance_ohm == 200.0
    assert r.verdict == "percolating_minority"
    d, units = r.to_dict(), r.units()
    groups = {"resistance": ("r_four_probe_rsq", "r_four_probe_ohm", "r_four_probe_ratio", "r_two_probe_ratio",
                             "r_a_rsq", "r_b_rsq", "vdp_sheet_resistance_rsq", "anisotropy"),
              "connectivity": ("current_contacts_connected", "voltage_probes_on_path", "voltage_probes_shorted",
                               "spanning_x", "spanning_y", "sc_fraction", "largest_cluster_fraction",
                               "current_fraction_in_sc"),
              "solver": ("residual", "iterations", "method", "n_unknowns")}
    for group, keys in groups.items():
        assert set(keys) <= set(d[group]) and set(units[group]) == set(d[group])
    assert {"verdict", "explanation", "noise_clamped_pixels", "contact_span_m"} <= set(d)
    # every field declares its unit; resistances normalised to R_sq say so, never ohm
    assert set(units) == set(d)
    assert units["resistance"]["r_four_probe_rsq"] == "R_sq" and units["resistance"]["r_four_probe_ohm"] == "Ohm"
    assert all(u == "R_sq" for k, u in units["resistance"].items() if k.endswith("_rsq"))
    # linear contacts at columns 8 and 56: 48 px apart; without a pixel size the span is said in pixels
    assert r.contact_span_px == 48 and math.isnan(r.contact_span_m)
    assert r.explanation.startswith("Contacts at the map's scale (current contacts 48 pixels apart)")
    assert "potential" not in d and d["resistance"]["r_a_rsq"] is None


def test_proportional_clamps_noise():
    rng = np.random.default_rng(3)
    current = rng.normal(0.0, 1e-11, (64, 64))
    current[:, 20:44] = 1e-6
    r = four_probe(current, contacts="bar", model="proportional")
    floor = noise_stats(current).noise_floor_A
    # every noise pixel up to the 3-sigma floor, none of the conducting ones
    assert r.noise_clamped_pixels == np.count_nonzero(current <= floor)
    assert 64 * 40 - 10 <= r.noise_clamped_pixels <= 64 * 40
    assert r.verdict == "resistive" and np.isfinite(r.resistance.r_four_probe_rsq) and r.resistance.r_four_probe_rsq > 0


def test_isolated_voltage_probe_is_undefined():
    s = np.ones((32, 64))
    s[:, 40] = 0.0  # a cut: the right part is an island
    cts = make_contacts([(2, 16), (30, 16), (20, 5), (50, 5)], s.shape)
    (r,), _ = measure(build_network(s, None, cts.pixels), cts)
    assert math.isnan(r.r_four_probe) and np.isfinite(r.r_two_probe)


def test_bad_parameters():
    with pytest.raises(ParameterError, match="four positions"):
        parse_positions("1,2;3,4;5,6")
    with pytest.raises(ParameterError, match="non-negative"):
        parse_positions("1,2;3,4;5,6;-1,1")
    with pytest.raises(ParameterError, match="different pixels"):
        parse_positions("1,2;1,2;1,2;1,2")
    assert parse_positions(" 1,2; 3,4;5 ,6;7,8 ") == [(1, 2), (3, 4), (5, 6), (7, 8)]
    with pytest.raises(ParameterError, match="unknown layout"):
        four_probe(np.zeros((32, 32), bool), contacts="1,2;3,4;5,6;7,8")
    with pytest.raises(ParameterError, match="outside"):
        four_probe(np.zeros((32, 32), bool), contacts=[(1, 2), (3, 4), (5, 6), (99, 1)])
    with pytest.raises(ParameterError, match="model"):
        four_probe(np.zeros((32, 32)), model="bogus")
    with pytest.raises(ParameterError, match="sheet resistance"):
        four_probe(np.zeros((32, 32), bool), matrix_sheet_resistance_ohm=-1)
    with pytest.raises(ParameterError, match="thickness"):
        four_probe(np.zeros((32, 32), bool), matrix_resistivity_ohm_m=3e-6)
    with pytest.raises(ParameterError, match="not both"):
        four_probe(np.zeros((32, 32), bool), matrix_sheet_resistance_ohm=1.0, matrix_resistivity_ohm_m=3e-6,
                   thickness_m=1e-4)


def test_ohm_from_matrix_resistivity_and_thickness():
    """R_sq = rho / t: 3e-6 Ohm m over 0.2 mm is 0.015 ohm per square; a bar reads R = R_sq x length / width."""
    ny, nx = 20, 64
    r = four_probe(np.zeros((ny, nx), bool), contacts="bar", matrix_resistivity_ohm_m=3e-6, thickness_m=2e-4)
    res = r.resistance
    assert res.matrix_sheet_resistance_ohm == pytest.approx(0.015)
    assert res.r_four_probe_rsq == pytest.approx((3 * nx // 4 - nx // 4) / ny, rel=1e-10)
    assert res.r_four_probe_ohm == pytest.approx(0.015 * res.r_four_probe_rsq, rel=1e-12)
    assert "ohm" in r.explanation


def test_proportional_amg_matches_direct_on_lognormal_map(lognormal_conductance):
    current = lognormal_conductance  # read as a current map, 1e-12 .. 1e-5 A
    amg = four_probe(current, contacts="vdp", model="proportional", method="amg")
    direct = four_probe(current, contacts="vdp", model="proportional", method="direct")
    assert amg.solver.method == "amg" and amg.solver.residual < 1e-10 and amg.solver.iterations < 60
    assert amg.resistance.r_a_rsq == pytest.approx(direct.resistance.r_a_rsq, rel=1e-8)
    assert amg.resistance.r_b_rsq == pytest.approx(direct.resistance.r_b_rsq, rel=1e-8)
    assert amg.noise_clamped_pixels > 0
