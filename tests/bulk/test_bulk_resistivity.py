"""Resistive transition: criteria on analytic curves, a real PPMS file, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import ndtr

from scprobe.bulk import resistive_transition
from scprobe.bulk.resistivity import load_resistivity, normal_state_fit
from scprobe.errors import FormatError, ParameterError
from scprobe.io.qd import read_qd

RHO0, A, N, TC, W = 3e-6, 1e-10, 2.0, 14.0, 0.25


def rho_n(T):
    return RHO0 + A * T ** N


def tanh_curve(T):
    return rho_n(T) * 0.5 * (1 + np.tanh((T - TC) / W))


def grid():
    return np.concatenate([np.arange(2, 10, 0.5), np.arange(10, 20, 0.02), np.arange(20, 300.5, 1.0)])


def expected_onset():
    """Steepest tangent of the exact curve intersected with the exact rho_n (fine numerics)."""
    t = np.linspace(TC - 2, TC + 2, 400001)
    d = np.gradient(tanh_curve(t), t)
    i = int(np.argmax(d))
    return brentq(lambda x: tanh_curve(t[i]) + d[i] * (x - t[i]) - rho_n(x), t[i], t[i] + 3)


def test_tanh_transition_criteria():
    r = resistive_transition(grid(), tanh_curve(grid()))
    # rho / rho_n = 0.5 (1 + tanh): T_x = Tc + W atanh(2x - 1) exactly
    for got, x in ((r.tc_90_K, 0.9), (r.tc_50_K, 0.5), (r.tc_10_K, 0.1)):
        assert abs(got - (TC + W * math.atanh(2 * x - 1))) < 0.005
    assert abs(r.width_K - 2 * W * math.atanh(0.8)) < 0.01 * r.width_K
    assert abs(r.tc_onset_K - expected_onset()) < 0.02
    assert r.rho0_ohm_m == pytest.approx(rho_n(r.tc_onset_K), rel=1e-3)
    assert r.rrr == pytest.approx(rho_n(300.0) / rho_n(r.tc_onset_K), rel=1e-3)
    assert abs(r.normal_state_exponent - N) < 0.1
    assert r.t_zero_K < r.tc_10_K


def test_noisy_erf_transition_and_zero_resistance():
    rng = np.random.default_rng(1)
    T = grid()
    sigma_K, tc, noise = 1.0 / 2.5631, 14.4, 2e-11
    rho = rho_n(T) * ndtr((T - tc) / sigma_K) + noise * rng.standard_normal(T.size)
    r = resistive_transition(T, rho)
    assert abs(r.tc_50_K - tc) < 0.05
    assert abs(r.width_K - 1.0) < 0.1
    # zero resistance: rho falls below max(3 noise, 1e-3 rho_n) at this temperature
    thr = max(3 * noise, 1e-3 * rho_n(tc))
    t_thr = brentq(lambda x: rho_n(x) * ndtr((x - tc) / sigma_K) - thr, 10, tc)
    assert abs(r.t_zero_K - t_thr) < 0.1


def test_input_order_does_not_matter():
    T = grid()
    rng = np.random.default_rng(0)
    perm = rng.permutation(T.size)
    a, b = resistive_transition(T, tanh_curve(T)), resistive_transition(T[perm], tanh_curve(T)[perm])
    assert a.to_dict() == b.to_dict()


def test_real_incomplete_transition(data_dir):
    """EuSNb2Se4 (chameleon file): transition near 3.5 K that does not reach zero above 1.8 K."""
    qd = read_qd(data_dir / "qd" / "chameleon_4-probe_resistivity.dat")
    T, rho, is_rho = load_resistivity(qd, bridge=None)
    assert is_rho and T.size == 359
    r = resistive_transition(T, rho)
    assert 3.3 < r.tc_50_K < 3.6
    assert 3.9 < r.tc_onset_K < 4.4
    assert math.isnan(r.tc_10_K) and math.isnan(r.t_zero_K) and math.isnan(r.width_K)
    assert r.rho0_ohm_m == pytest.approx(8.94e-5, rel=0.01)
    assert r.rrr == pytest.approx(2.98, rel=0.02)


def test_bridge_selection_errors(data_dir):
    qd = read_qd(data_dir / "qd" / "chameleon_4-probe_resistivity.dat")
    with pytest.raises(FormatError, match=r"chameleon.*'Bridge 1 Resistivity'.*\[3\]"):
        load_resistivity(qd, bridge=1)
    mpms = read_qd(data_dir / "qd" / "quantumPPMS_sample1.dat")
    with pytest.raises(FormatError, match="sample1.dat: no resistivity or resistance column"):
        load_resistivity(mpms)


def test_resistance_channel_of_eto_file(data_dir):
    qd = read_qd(data_dir / "qd" / "AreaA_testPPMS_ETO.dat")
    T, R, is_rho = load_resistivity(qd, bridge=1)
    assert not is_rho and np.isfinite(R).sum() > 10


@pytest.mark.parametrize("T, rho, msg", [
    (np.arange(5.0), np.arange(5.0), "need at least 10"),
    (np.linspace(2, 3, 20), np.linspace(1, 2, 20), "spans only 1 K"),
    (np.linspace(2, 30, 50), np.full(50, 1e-6), "no superconducting transition"),
    (np.linspace(2, 30, 50), np.linspace(1e-6, 2e-6, 50), "no superconducting transition|normal value"),
])
def test_bad_input(T, rho, msg):
    with pytest.raises(ParameterError, match=msg):
        resistive_transition(T, rho, source="x.dat")


def test_normal_state_fit_window_errors():
    T = grid()
    with pytest.raises(ParameterError, match="lo < hi"):
        normal_state_fit(T, tanh_curve(T), (30.0, 20.0))
    with pytest.raises(ParameterError, match="0 points in 500-600 K"):
        normal_state_fit(T, tanh_curve(T), (500.0, 600.0), source="rho.dat")
