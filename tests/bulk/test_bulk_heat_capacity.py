"""Specific heat: Debye fit, Debye temperature, equal-entropy jump, SC electronic fraction, units, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.ndimage import gaussian_filter1d

from scprobe.bulk import analyze_heat_capacity, debye_fit, debye_temperature_K, equal_entropy_jump
from scprobe.bulk.heat_capacity import load_heat_capacity, normal_state_lattice
from scprobe.errors import FormatError, ParameterError
from scprobe.io.qd import read_qd

G0, GN, BETA, JUMP, TC = 0.807e-3, 20e-3, 0.393e-3, 1.43, 14.4


def electronic_over_T(T, *, k=None, activation=6.0, sigma_K=0.3, step=0.01):
    """C_el/T: gamma0 residue + SC branch with jump JUMP at TC, broadened by a Gaussian Tc spread.

    ``k`` set: power-law branch GN (1 + JUMP) t^k (no residue); else an activated branch
    gamma0 + (GN - G0)(1 + r) exp(activation (1 - 1/t)) that vanishes at low T.
    """
    fine = np.arange(1.0, 40.0, step)
    t = fine / TC
    if k is not None:
        sc = GN * (1 + JUMP) * t ** k
    else:
        r = JUMP * GN / (GN - G0)
        sc = G0 + (GN - G0) * (1 + r) * np.exp(activation * (1 - 1 / np.minimum(t, 1)))
    y = gaussian_filter1d(np.where(t < 1, sc, GN), sigma_K / step, mode="nearest")
    return np.interp(T, fine, y)


def test_debye_temperature_of_reference_beta():
    assert debye_temperature_K(0.393e-3, 2) == pytest.approx(214.66, abs=0.05)
    assert round(debye_temperature_K(0.393e-3, 2)) == 215
    assert math.isnan(debye_temperature_K(-1e-4, 2))


def test_debye_fit_with_noise():
    rng = np.random.default_rng(7)
    T = np.arange(2.0, 6.0, 0.05)
    C = (G0 + BETA * T ** 2) * T * (1 + 1e-3 * rng.standard_normal(T.size))
    fit = debye_fit(T, C, (3.0, 5.0))
    assert abs(fit.gamma_J_molK2 / G0 - 1) < 0.02
    assert abs(fit.beta_J_molK4 / BETA - 1) < 0.02
    assert 0 < fit.gamma_err_J_molK2 < 0.02 * G0
    assert 39 <= fit.n_points <= 41


def test_full_analysis_on_activated_branch():
    T = np.arange(1.8, 30.0, 0.1)
    C = (electronic_over_T(T) + BETA * T ** 2) * T
    r = analyze_heat_capacity(T, C, window_K=(3.0, 5.0), atoms_per_formula_unit=2)
    assert abs(r.gamma_mJ_mol_K2 / 0.807 - 1) < 0.02
    assert abs(r.beta_mJ_mol_K4 / 0.393 - 1) < 0.02
    assert abs(r.debye_temperature_K - 214.66) < 1.0
    assert abs(r.tc_K - TC) < 0.05
    assert abs(r.jump_ratio - JUMP) < 0.05 * JUMP
    assert abs(r.sc_electronic_fraction - (1 - G0 / GN)) < 0.01
    assert {"gamma_mJ_mol_K2", "gamma_err_mJ_mol_K2", "beta_mJ_mol_K4", "beta_err_mJ_mol_K4", "debye_temperature_K",
            "tc_K", "tc_onset_K", "jump_ratio", "gamma_n_mJ_mol_K2", "gamma0_mJ_mol_K2", "sc_electronic_fraction",
            "delta0_meV", "delta0_err_meV", "gap_fit_poor"} <= set(r.to_dict())
    assert set(r.units()) == set(r.to_dict())  # every field declares its unit
    assert r.units()["delta0_meV"] == "meV" and r.units()["gamma_n_mJ_mol_K2"] == "mJ/(mol K^2)"
    # gamma_n used for the jump and the fraction is in the output
    assert r.gamma_n_mJ_mol_K2 == pytest.approx(GN * 1e3, rel=0.01)
    # this activated branch (exp(-6 (1/t - 1)), steeper than BCS) is no alpha-model curve: the gap fit
    # says so, and gamma_0 comes from the Debye line
    assert r.gap_fit_poor and r.gamma0_source == "Debye fit"
    # a known gamma_n is used as given
    known = analyze_heat_capacity(T, C, gamma_n_mJ_mol_K2=20.0)
    assert known.sc_electronic_fraction == pytest.approx(1 - 0.807 / 20.0, abs=2e-3)


@pytest.mark.parametrize("k", [1.0, 2.5])
@pytest.mark.parametrize("sigma_K", [0.1, 0.5])
def test_equal_entropy_construction(k, sigma_K):
    T = np.arange(5.0, 30.0, 0.1)
    tc, jump, gamma_n, _ = equal_entropy_jump(T, electronic_over_T(T, k=k, sigma_K=sigma_K), above_K=5.0)
    assert abs(tc - TC) < 0.05
    assert abs(jump / gamma_n - JUMP) < 0.03 * JUMP
    assert gamma_n == pytest.approx(GN, rel=1e-3)


def bcs_alpha_model(alpha=1.764):
    """Weak-coupling BCS (alpha model, Padamsee et al. 1973): t = T/Tc and C_es/(gamma_n T).

    Entropy S/(gamma_n Tc) = -(6/pi^2) alpha int_0^inf [f ln f + (1-f) ln(1-f)] dy with
    E/kTc = alpha sqrt(y^2 + delta^2) / t and delta(t) = tanh(1.74 sqrt(1/t - 1)); C/T = dS/dT.
    """
    t = np.linspace(0.05, 1.0, 951)
    y = np.linspace(0.0, 40.0, 4001)[None, :]
    delta = np.tanh(1.74 * np.sqrt(1 / t - 1))[:, None]
    f = 1 / (1 + np.exp(np.minimum(alpha / t[:, None] * np.sqrt(y ** 2 + delta ** 2), 700)))
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where((f > 0) & (f < 1), f * np.log(f) + (1 - f) * np.log1p(-f), 0.0)
    S = -(6 / math.pi ** 2) * alpha * np.trapezoid(h, y, axis=1)
    return t, np.gradient(S, t)


def distributed_tc(shape, T, sigma_K):
    """gamma_n x C_el/(gamma_n T) of a sample with a Gaussian distribution of local Tc (mean TC)."""
    z = np.linspace(-6, 6, 1201)
    w = np.exp(-z ** 2 / 2)
    t = T[None, :] / (TC + sigma_K * z)[:, None]
    local = np.where(t < 1, shape(np.minimum(t, 1.0)), 1.0)
    return GN * (w[:, None] * local).sum(axis=0) / w.sum()


def debye_lattice(T, theta_K=214.66, n=2):
    """Debye lattice C(T), J/(mol K); its low-T limit is BETA T^3 for the default theta."""
    def one(temp):
        val, _ = integrate.quad(lambda u: u ** 4 * math.exp(-u) / (-math.expm1(-u)) ** 2, 1e-9, theta_K / temp)
        return 9 * n * 8.314462618 * (temp / theta_K) ** 3 * val
    return np.array([one(temp) for temp in T])


T_PPMS = np.round(np.concatenate([np.arange(2.0, 10.0, 0.1), np.arange(10.0, 18.0, 0.05),
                                  np.arange(18.0, 30.01, 0.25)]), 4)


@pytest.fixture(scope="module")
def bcs_shape():
    t, cT = bcs_alpha_model()
    # the model's own jump, C/T just below Tc minus gamma_n (1.43 for weak coupling)
    return (lambda x: np.interp(x, t, cT, left=0.0)), float(cT[-3] - 1)


@pytest.mark.parametrize("sigma_K", [0.2, 0.5])
@pytest.mark.parametrize("shape_name", ["bcs", "two_fluid"])
def test_jump_of_broadened_bcs_and_two_fluid_curves(bcs_shape, shape_name, sigma_K):
    """Alpha-model BCS (jump 1.43) and two-fluid C_es = 3 gamma_n Tc t^3 (jump 2) with a Gaussian
    distribution of local Tc: equal-entropy jump within 5 % (measured <= 0.3 %), Tc within 0.05 K."""
    shape, jump = bcs_shape if shape_name == "bcs" else ((lambda x: 3 * x ** 2), 2.0)
    if shape_name == "bcs":
        assert jump == pytest.approx(1.43, abs=0.02)
    tc, dC_over_T, gamma_n, _ = equal_entropy_jump(T_PPMS, distributed_tc(shape, T_PPMS, sigma_K), above_K=5.0)
    assert abs(dC_over_T / gamma_n / jump - 1) < 0.01
    assert abs(tc - TC) < 0.05
    assert gamma_n == pytest.approx(GN, rel=1e-3)


def test_jump_of_noisy_bcs_curve(bcs_shape):
    """0.2 % scatter on the total C/T (1 % of the jump per point): jump within 5 %, Tc within 0.05 K."""
    shape, jump = bcs_shape
    total = distributed_tc(shape, T_PPMS, 0.35) + BETA * T_PPMS ** 2
    rng = np.random.default_rng(11)
    for _ in range(5):
        noisy = total * (1 + 2e-3 * rng.standard_normal(T_PPMS.size)) - BETA * T_PPMS ** 2
        tc, dC_over_T, gamma_n, _ = equal_entropy_jump(T_PPMS, noisy, above_K=5.0)
        assert abs(dC_over_T / gamma_n / jump - 1) < 0.05
        assert abs(tc - TC) < 0.05


def test_normal_state_lattice_terms_follow_debye():
    """Higher lattice terms from the normal state with entropy balance: residual of the T^3 law at Tc."""
    T = T_PPMS[T_PPMS > 0]
    cel = GN * np.ones_like(T)
    y = cel + debye_lattice(T) / T - BETA * T ** 2
    extra = normal_state_lattice(T, y, gamma_0=GN, tb_K=16.0)
    truth = debye_lattice(np.array([14.4, 20.0])) / np.array([14.4, 20.0]) - BETA * np.array([14.4, 20.0]) ** 2
    assert abs(extra(14.4) - truth[0]) < 0.01 * GN
    assert abs(extra(20.0) / truth[1] - 1) < 0.15


def test_jump_on_simulated_study(sim_study):
    toml_path, truth, study = sim_study
    qd = read_qd(toml_path.parent / study["bulk"]["heat_capacity"])
    T, C = load_heat_capacity(qd, study["sample"]["mass_g"] / study["sample"]["molar_mass_g_mol"])
    r = analyze_heat_capacity(T, C, atoms_per_formula_unit=study["sample"].get("atoms_per_formula_unit", 2))
    assert abs(r.jump_ratio / truth["jump_ratio"] - 1) < 0.05
    assert abs(r.tc_K - truth["tc_50_K"]) < 0.05
    assert abs(r.sc_electronic_fraction - truth["superconducting_fraction_hc"]) < 0.01


def test_no_data_above_tc_leaves_jump_nan():
    T = np.arange(2.0, 8.0, 0.1)
    r = analyze_heat_capacity(T, (G0 + BETA * T ** 2) * T)
    assert math.isnan(r.tc_K) and math.isnan(r.jump_ratio) and math.isnan(r.sc_electronic_fraction)
    assert math.isnan(r.debye_temperature_K)  # atoms per formula unit not given


@pytest.mark.parametrize("window, msg", [((5.0, 3.0), "lo < hi"), ((3.0, 3.1), "need at least 4")])
def test_bad_window(window, msg):
    T = np.arange(2.0, 6.0, 0.1)
    with pytest.raises(ParameterError, match=msg):
        debye_fit(T, (G0 + BETA * T ** 2) * T, window, source="hc.dat")


def _hc_file(tmp_path, unit):
    p = tmp_path / "hc.dat"
    rows = "".join(f",{t:.2f},{(G0 * t + BETA * t ** 3) * 1e-4 * 1e6:.9g}\r\n" for t in np.arange(2, 6, 0.1))
    p.write_text(f"[Header]\r\nTITLE,hc\r\n[Data]\r\nComment,Sample Temp (Kelvin),Samp HC ({unit})\r\n{rows}",
                 encoding="latin-1")
    return read_qd(p)


def test_per_sample_column_needs_moles(tmp_path):
    qd = _hc_file(tmp_path, "\u00b5J/K")
    T, C = load_heat_capacity(qd, moles=1e-4)
    assert C[0] == pytest.approx(G0 * 2 + BETA * 8, rel=1e-6)
    with pytest.raises(ParameterError, match="hc.dat: column 'Samp HC \\(µJ/K\\)' is per sample"):
        load_heat_capacity(qd, moles=None)


def test_unknown_unit_and_missing_column(tmp_path, data_dir):
    with pytest.raises(FormatError, match="unknown heat-capacity unit 'cal'"):
        load_heat_capacity(_hc_file(tmp_path, "cal"), moles=1.0)
    with pytest.raises(FormatError, match="sample1.dat: no heat-capacity column"):
        load_heat_capacity(read_qd(data_dir / "qd" / "quantumPPMS_sample1.dat"), moles=1.0)


@pytest.mark.parametrize("unit, factor, molar", [("mJ/mole-K", 1e-3, True), ("J/mol K", 1.0, True),
                                                 ("J/(mol K)", 1.0, True), ("\u00b5J/K", 1e-6, False),
                                                 ("mJ/K", 1e-3, False)])
def test_heat_capacity_units(tmp_path, unit, factor, molar):
    qd = _hc_file(tmp_path, unit)
    raw = qd.data.iloc[0, 2]
    T, C = load_heat_capacity(qd, moles=2.0)
    assert C[0] == pytest.approx(raw * factor / (1.0 if molar else 2.0), rel=1e-12)
