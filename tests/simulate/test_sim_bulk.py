"""The Quantum Design files hold curves from which PHYSICS.md analyses recover the truth."""
from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from scprobe.simulate.bulk import debye_temperature_K, demag_factor_prism


def _dat(path):
    raw = path.read_bytes().decode("latin-1")
    head, data = raw.split("[Data]")
    assert head.startswith("[Header]")
    return head, pd.read_csv(io.StringIO(data.lstrip()))


def _debye_mJ(T, theta_K, n=2):
    """Debye lattice heat capacity, mJ/(mol K) (its low-T limit is beta T^3)."""
    def one(temp):
        val, _ = integrate.quad(lambda u: u ** 4 * math.exp(-u) / (-math.expm1(-u)) ** 2, 1e-9, theta_K / temp)
        return 9 * n * 8.314462618e3 * (temp / theta_K) ** 3 * val
    return np.array([one(t) for t in T])


def test_demag_factor_aharoni():
    assert demag_factor_prism(1, 1, 1) == pytest.approx(1 / 3, abs=1e-12)
    # Aharoni (1998) Table I: a = b, c/a = 0.1 (thin square plate, field normal) N ~ 0.8;
    # a long bar along the field tends to 0, a wide plate to 1.
    assert demag_factor_prism(2, 3, 0.2) == pytest.approx(0.828, abs=2e-3)
    assert demag_factor_prism(1, 1, 100) < 0.01
    assert demag_factor_prism(100, 100, 1) > 0.95


def test_debye_temperature_from_beta():
    assert debye_temperature_K(0.393, 2) == pytest.approx(215, abs=0.5)


def test_resistivity_transition(study):
    path, truth = study
    b = truth["bulk"]
    head, df = _dat(path.parent / "bulk/rho_T.dat")
    assert "INFO" in head and "Sample1 Cross Section" in head
    T, rho = df["Temperature (K)"].to_numpy(), df["Bridge 1 Resistivity (Ohm-m)"].to_numpy()
    assert np.all(np.diff(T) > 0)  # measured on warming
    assert "Bridge 1 Resistance (Ohms)" in df.columns and "Magnetic Field (Oe)" in df.columns
    near = (T > 12) & (T < 17)
    t50 = np.interp(0.5 * b["rho0_ohm_m"], rho[near], T[near])
    t90 = np.interp(0.9 * b["rho0_ohm_m"], rho[near], T[near])
    t10 = np.interp(0.1 * b["rho0_ohm_m"], rho[near], T[near])
    assert t50 == pytest.approx(b["tc_50_K"], abs=0.02)
    assert t90 - t10 == pytest.approx(b["width_K"], abs=0.05)
    # the published Tc is the onset: the tangent at the steepest point meets the normal-state line
    normal = np.polyfit(T[(T > 16) & (T < 40)], rho[(T > 16) & (T < 40)], 1)
    slope = np.gradient(rho[near], T[near])
    i = int(np.argmax(slope))
    onset = (rho[near][i] - slope[i] * T[near][i] - normal[1]) / (normal[0] - slope[i])
    assert b["tc_onset_K"] == b["tc_K"] == 14.4
    assert onset == pytest.approx(b["tc_onset_K"], abs=0.08)
    # zero (below 1e-3 rho_n) within about 1 K of the onset
    assert 0.8 < b["tc_onset_K"] - b["t_zero_K"] < 1.2
    assert np.abs(rho[T < b["t_zero_K"] - 0.1]).max() < 1e-3 * b["rho0_ohm_m"]
    assert rho[T == 300][0] / np.interp(b["tc_K"] + 1.5, T, rho) == pytest.approx(b["rrr"], rel=0.01)
    assert np.abs(rho[T < 12]).max() < 1e-9


def test_susceptibility_zfc_fc(study):
    path, truth = study
    b = truth["bulk"]
    _, df = _dat(path.parent / "bulk/chi_T.dat")
    assert list(df["Comment"].dropna()) == ["ZFC", "FC"]
    start_fc = df.index[df["Comment"] == "FC"][0]
    m = df["Long Moment (emu)"].to_numpy()
    H = df["Field (Oe)"].to_numpy()
    chi = 4 * math.pi * m / (H * b["volume_cm3"])
    corrected = chi / (1 - b["demag_factor"] * chi)
    zfc, fc = corrected[:start_fc], corrected[start_fc:]
    assert zfc[0] == pytest.approx(-b["shielding_fraction"], abs=0.01)
    assert fc[-1] == pytest.approx(-b["meissner_fraction"], abs=0.01)
    assert chi[0] == pytest.approx(b["chi_measured_perfect"], rel=0.01)
    t = df["Temperature (K)"].to_numpy()
    assert np.all(np.abs(corrected[t > 17]) < 1e-3)


def test_heat_capacity_fit_recovers_gamma_beta(study):
    path, truth = study
    b = truth["bulk"]
    head, df = _dat(path.parent / "bulk/hc_T.dat")
    assert "Samp HC (\u00b5J/K)" in df.columns and "Samp HC Err (\u00b5J/K)" in df.columns
    assert b"Samp HC (\xb5J/K)" in (path.parent / "bulk/hc_T.dat").read_bytes()  # MultiVu's code page
    T = df["Sample Temp (Kelvin)"].to_numpy()
    c = df["Samp HC (\u00b5J/K)"].to_numpy() * 1e-6 / b["moles"] * 1e3  # mJ/(mol K)
    cel = c / T - _debye_mJ(T, b["debye_temperature_K"]) / T  # electronic C/T
    g0, gn = b["gamma_mJ_mol_K2"], b["gamma_n_mJ_mol_K2"]
    # low T: only the non-superconducting residue is left; the condensed electrons' C_es/T vanishes
    # exponentially, as BCS does (activation energy ~ Delta_0)
    ces = cel - g0
    assert ces[0] == pytest.approx(0.0, abs=0.03 * g0)
    t1, t2 = 2.5, 3.5
    slope = -np.log(np.interp(t2, T, ces) / np.interp(t1, T, ces)) / (1 / t2 - 1 / t1)  # K
    assert 0.7 < slope * 8.617333262e-2 / b["gap_meV"] < 1.1
    # C_es/T rises above gamma_n only near Tc (BCS: above t ~ 0.5) and falls to gamma_n above it
    above = T[(cel > gn) & (T < b["tc_K"])]
    assert above.min() > 0.55 * b["tc_50_K"]
    assert np.interp(b["tc_K"] + 1.5, T, cel) == pytest.approx(gn, rel=0.01)
    # entropy balance (third law, second-order transition): int_0^T C_el/T dT = gamma_n T above Tc
    top = T <= 16.0
    entropy = g0 * T[0] + np.trapezoid(cel[top], T[top])
    assert entropy == pytest.approx(gn * T[top][-1], rel=0.01)
    # the alpha-model jump is 12 / (7 zeta(3)) (alpha / 1.764)^2 of the condensing electrons
    assert b["alpha"] == pytest.approx(b["gap_meV"] / (8.617333262e-2 * b["tc_50_K"]))
    weak = 12 / (7 * 1.2020569031595942) * (b["alpha"] / 1.7638769) ** 2
    assert b["jump_ratio"] == pytest.approx((1 - g0 / gn) * weak, rel=2e-3)
    assert b["superconducting_fraction_hc"] == pytest.approx(1 - 0.807 / b["gamma_n_mJ_mol_K2"])


def test_mh_loop_bean_jc(study):
    path, truth = study
    b = truth["bulk"]
    _, df = _dat(path.parent / "bulk/mh_2K.dat")
    H, m = df["Magnetic Field (Oe)"].to_numpy(), df["Moment (emu)"].to_numpy()
    M = m / b["volume_cm3"]
    turn = np.argmax(H)
    bottom = turn + np.argmin(H[turn:])
    down_H, down_M = H[turn:bottom + 1][::-1], M[turn:bottom + 1][::-1]
    up_H, up_M = H[bottom:], M[bottom:]
    a, bb = 0.2, 0.3  # cm
    for h in (-30000.0, -20000.0, -5000.0, 0.0, 5000.0, 20000.0, 30000.0):
        dm = np.interp(h, down_H, down_M) - np.interp(h, up_H, up_M)
        jc = 20 * dm / (a * (1 - a / (3 * bb)))
        # Kim: Jc(B) = Jc0 / (1 + |B|/B0)
        kim = b["jc_A_cm2"] / (1 + abs(h) * 1e-4 / b["jc_field_scale_T"])
        assert jc == pytest.approx(kim, rel=0.005)
        assert np.interp(abs(h) * 1e-4, b["jc_curve"]["mu0H_T"], b["jc_curve"]["jc_A_m2"]) * 1e-4 \
            == pytest.approx(kim, rel=1e-9) or abs(h) > 4e4
    # the loop is not a rectangle: much wider at zero field than at 3 T
    w0 = np.interp(0.0, down_H, down_M) - np.interp(0.0, up_H, up_M)
    w3 = np.interp(3e4, down_H, down_M) - np.interp(3e4, up_H, up_M)
    assert w0 / w3 == pytest.approx(4.0, rel=0.01)
    # the reversible background: the loop's centre line is odd in H and non-zero
    centre = 0.5 * (np.interp(1e4, down_H, down_M) + np.interp(1e4, up_H, up_M))
    mirror = 0.5 * (np.interp(-1e4, down_H, down_M) + np.interp(-1e4, up_H, up_M))
    assert centre == pytest.approx(-mirror, abs=0.02) and abs(centre) > 0.1
