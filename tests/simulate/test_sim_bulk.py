"""The Quantum Design files hold curves from which PHYSICS.md analyses recover the truth."""
from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from scprobe.simulate.bulk import debye_temperature_K, demag_factor_prism


def _dat(path):
    raw = path.read_bytes().decode("latin-1")
    head, data = raw.split("[Data]")
    assert head.startswith("[Header]")
    return head, pd.read_csv(io.StringIO(data.lstrip()))


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
    assert t50 == pytest.approx(b["tc_K"], abs=0.02)
    assert t90 - t10 == pytest.approx(b["width_K"], abs=0.05)
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
    sel = (T >= 3) & (T <= 5)
    beta, gamma = np.polyfit(T[sel] ** 2, c[sel] / T[sel], 1)
    assert gamma == pytest.approx(b["gamma_mJ_mol_K2"], abs=0.01)
    assert beta == pytest.approx(b["beta_mJ_mol_K4"], rel=0.003)
    # Jump at Tc: C/T rises by about jump_ratio * gamma_n across the transition.
    ct = c / T
    below = np.interp(b["tc_K"] - 1.2, T, ct)
    above = np.interp(b["tc_K"] + 1.2, T, ct)
    assert below > above
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
    for h in (-20000.0, 5000.0, 20000.0):
        dm = np.interp(h, down_H, down_M) - np.interp(h, up_H, up_M)
        a, bb = 0.2, 0.3  # cm
        jc = 20 * dm / (a * (1 - a / (3 * bb)))
        assert jc == pytest.approx(b["jc_A_cm2"], rel=0.005)
