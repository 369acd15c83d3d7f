"""The gap from the specific heat: BCS alpha model against analytic BCS results, recovery of known gaps
from generated C(T) (the simulator's independent alpha model), and the two-gap case a one-gap fit flags."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize

from scprobe.bulk import analyze_heat_capacity
from scprobe.bulk.gap import ALPHA_BCS, POOR_FIT_RMS, alpha_model_ces, bcs_gap, fit_alpha_model
from scprobe.errors import ParameterError
from scprobe.simulate import bulk as simbulk

ZETA3 = 1.2020569031595942
T_PPMS = np.round(np.concatenate([np.arange(2.0, 10.0, 0.1), np.arange(10.0, 18.0, 0.05),
                                  np.arange(18.0, 30.01, 0.25)]), 4)
TC_MID, SIGMA, G0, GN = 14.1, 0.25, 0.807e-3, 20e-3


@pytest.fixture(scope="module")
def lattice():
    theta = simbulk.debye_temperature_K(0.393, 2)
    return np.array([simbulk._debye(t, theta, 2) for t in T_PPMS])


def generated(lattice, gaps, weights=(1.0,), noise=3e-3, seed=0):
    """C(T), J/(mol K): simulator's alpha-model electrons (Gaussian local Tc) + Debye lattice, relative scatter."""
    C = simbulk.electronic_ct(T_PPMS, TC_MID, SIGMA, G0, GN, gaps, weights) * T_PPMS + lattice
    return C * (1 + noise * np.random.default_rng(seed).standard_normal(T_PPMS.size))


def test_bcs_gap_equation():
    assert ALPHA_BCS == pytest.approx(1.7638769, abs=1e-6)
    # Ginzburg-Landau limit: Delta / Delta_0 = sqrt(8 pi^2 / (7 zeta(3))) / ALPHA_BCS sqrt(1 - t) = 1.7367 sqrt(1 - t)
    gl = math.sqrt(8 * math.pi ** 2 / (7 * ZETA3)) / ALPHA_BCS
    assert bcs_gap(0.999) / math.sqrt(0.001) == pytest.approx(gl, rel=2e-3)
    assert bcs_gap(0.0) == 1.0 and bcs_gap(1.0) == 0.0 and bcs_gap(0.1) == pytest.approx(1.0, abs=1e-7)
    # the gap equation solved here by scipy quadrature, with the Debye cut-off kept (omega_D = 100 Delta_0)
    t = 0.6
    tau = t / ALPHA_BCS
    lam = 1 / math.asinh(100.0)

    def gap_eq(d):
        val, _ = integrate.quad(lambda e: math.tanh(math.hypot(e, d) / (2 * tau)) / math.hypot(e, d), 0, 100.0,
                                limit=400, points=[d, 10 * tau])
        return lam * val - 1

    assert bcs_gap(t) == pytest.approx(optimize.brentq(gap_eq, 0.1, 1.0), rel=1e-4)


def test_bcs_specific_heat():
    t = np.linspace(1e-4, 1, 200001)
    for alpha in (1.2, ALPHA_BCS, 2.4):
        # entropy balance: int_0^Tc C_es/T dT = gamma Tc
        assert np.trapezoid(alpha_model_ces(t, alpha), t) == pytest.approx(1.0, abs=2e-4)
        # jump 12 / (7 zeta(3)) = 1.426 for BCS (Muhlschlegel: C_es / (gamma Tc) = 2.43 at Tc), scaling as alpha^2
        jump = float(alpha_model_ces(1 - 1e-9, alpha)) - 1
        assert jump == pytest.approx(12 / (7 * ZETA3) * (alpha / ALPHA_BCS) ** 2, rel=2e-3)
    assert float(alpha_model_ces(1 - 1e-9)) == pytest.approx(2.43, abs=0.005)
    assert float(alpha_model_ces(1.2)) == 1.0
    # low T: C_es / (gamma Tc) -> 1.34 (Delta_0 / k_B T)^(3/2) exp(-Delta_0 / k_B T) (BCS asymptote; the
    # next order adds ~ 1.5 / d, d = Delta_0 / k_B T)
    for tt in (0.05, 0.08):
        d = ALPHA_BCS / tt
        assert tt * float(alpha_model_ces(tt)) == pytest.approx(1.344 * d ** 1.5 * math.exp(-d), rel=1.6 / d)
    # C_es / T exceeds gamma only above t ~ 0.5 (BCS)
    grid = np.linspace(0.05, 0.999, 2000)
    assert 0.5 < grid[np.argmax(alpha_model_ces(grid) > 1)] < 0.53


def test_analysis_and_simulator_alpha_models_agree():
    """Two implementations: the integral gap equation + analytic dS/dT here, Matsubara + numerical dS/dT there."""
    for alpha in (1.5, 2.0):
        grid, ces = simbulk.condensed_specific_heat(alpha)
        t = np.linspace(0.15, 0.98, 84)
        assert np.allclose(alpha_model_ces(t, alpha), np.interp(t, grid, ces), rtol=2e-3, atol=1e-5)


@pytest.mark.parametrize("gap_meV", [1.5, 2.4, 3.2])
def test_one_gap_recovered(lattice, gap_meV):
    """0.3 % scatter on C: Delta_0 within 5 % (measured <= 0.3 %), gamma_0 and gamma_n too, not flagged."""
    r = analyze_heat_capacity(T_PPMS, generated(lattice, (gap_meV,), seed=int(gap_meV * 10)),
                              atoms_per_formula_unit=2)
    assert abs(r.delta0_meV / gap_meV - 1) < 0.05
    assert 0 < r.delta0_err_meV < 0.05 * gap_meV
    assert r.gap_ratio == pytest.approx(gap_meV / (8.617333262e-2 * TC_MID), rel=0.05)
    assert not r.gap_fit_poor and r.gap_fit_misfit < POOR_FIT_RMS
    assert r.gamma0_source == "alpha-model fit"
    assert r.gamma0_mJ_mol_K2 == pytest.approx(0.807, rel=0.1)
    assert r.gamma_n_mJ_mol_K2 == pytest.approx(20.0, rel=0.02)
    assert r.sc_electronic_fraction == pytest.approx(1 - 0.807 / 20, abs=0.005)
    assert math.isnan(r.two_gap_small_meV)
    # the jump follows the gap (alpha model): 1.426 (alpha / 1.764)^2 of the condensing electrons
    alpha = gap_meV / (8.617333262e-2 * TC_MID)
    assert r.jump_ratio == pytest.approx((1 - G0 / GN) * 12 / (7 * ZETA3) * (alpha / ALPHA_BCS) ** 2, rel=0.03)


@pytest.mark.parametrize("gaps, weights", [((1.2, 2.6), (0.5, 0.5)), ((1.5, 2.8), (0.3, 0.7))])
def test_two_gaps_flagged_and_resolved(lattice, gaps, weights):
    """A one-gap fit of a two-band C(T) misses its shape by 3-6 % of the condensing electrons' C/T
    (criterion 1 %): flagged; the two-band fit then recovers both gaps within 5 %."""
    r = analyze_heat_capacity(T_PPMS, generated(lattice, gaps, weights, seed=7), atoms_per_formula_unit=2)
    assert r.gap_fit_poor and r.gap_fit_misfit > 2 * POOR_FIT_RMS
    assert "poor fit when" in r.gap_fit_criterion
    assert r.two_gap_fit_misfit < POOR_FIT_RMS and r.gamma0_source == "two-gap alpha-model fit"
    assert abs(r.two_gap_small_meV / gaps[0] - 1) < 0.05
    assert abs(r.two_gap_large_meV / gaps[1] - 1) < 0.05
    assert r.two_gap_small_weight == pytest.approx(weights[0], abs=0.05)
    assert r.gamma_n_mJ_mol_K2 == pytest.approx(20.0, rel=0.02)


def test_fit_bad_input():
    T = np.linspace(2, 20, 10)
    with pytest.raises(ParameterError, match="need 20"):
        fit_alpha_model(T, T, tc0_K=14.0, sigma0_K=0.3)
    with pytest.raises(ParameterError, match="1 or 2 gaps"):
        fit_alpha_model(T, T, tc0_K=14.0, sigma0_K=0.3, gaps=3)
    with pytest.raises(ParameterError, match="alpha"):
        alpha_model_ces([0.5], alpha=9.0)


def test_stored_gap_table_is_the_solved_one():
    """The package's stored delta(t) is what the bisection solve gives, bit for bit (regenerate with
    ``np.save(gap._GAP_FILE, gap._solve_gap_table()[1])`` after changing the solve or the grid)."""
    from scprobe.bulk import gap

    t, delta = gap._solve_gap_table()
    stored_t, stored = gap._gap_table()
    assert np.array_equal(t, stored_t) and stored.dtype == np.float64
    assert np.array_equal(delta, stored)
