"""analyze_bulk on the simulator's Quantum Design files against truth.json, and its error messages."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scprobe.bulk import SampleGeometry, analyze_bulk, bulk_statement
from scprobe.errors import FormatError, ParameterError


def test_resistivity_vs_truth(sim_result):
    r, truth = sim_result
    rho = r.resistivity
    # the simulator's Tc is the resistive onset (steepest tangent meets the normal state), as published
    assert truth["tc_onset_K"] == truth["tc_K"] == 14.4
    assert abs(rho.tc_onset_K - truth["tc_onset_K"]) < 0.05
    assert abs(rho.tc_50_K - truth["tc_50_K"]) < 0.05
    assert abs(rho.width_K - truth["width_K"]) < 0.1 * truth["width_K"]
    assert abs(rho.t_zero_K - truth["t_zero_K"]) < 0.1
    assert 0.8 < rho.tc_onset_K - rho.t_zero_K < 1.2  # "collapses to zero within ~1 K"
    assert rho.rho0_ohm_m == pytest.approx(truth["rho0_ohm_m"], rel=0.02)
    assert rho.rrr == pytest.approx(truth["rrr"], rel=0.02)
    assert rho.tc_90_K > rho.tc_50_K > rho.tc_10_K > rho.t_zero_K
    # erf step of standard deviation width / 2.5631: the steepest tangent reaches rho_n near T50 + sigma sqrt(pi / 2)
    sigma = truth["width_K"] / 2.5631
    assert abs(rho.tc_onset_K - (truth["tc_50_K"] + sigma * math.sqrt(math.pi / 2))) < 0.05


def test_susceptibility_vs_truth(sim_result, sim_study):
    r, truth = sim_result
    chi = r.susceptibility
    assert chi.demag_factor == pytest.approx(truth["demag_factor"], rel=1e-9)
    assert abs(chi.shielding_fraction - truth["shielding_fraction"]) < 0.02
    assert abs(chi.meissner_fraction - truth["meissner_fraction"]) < 0.02
    # the steepest-tangent onset of the simulator's own noise-free ZFC curve, on a fine grid
    from scprobe.simulate.bulk import susceptibility
    from scprobe.simulate.params import BulkParams

    bp = BulkParams(**{k: truth[k] for k in ("tc_K", "width_K", "shielding_fraction", "meissner_fraction")})
    T = np.linspace(2, 25, 230001)
    c = susceptibility(T, bp, bp.shielding_fraction, 0.0)
    d = np.gradient(c, T)
    i = int(np.argmax(d))
    onset = T[i] + (c[-1] - c[i]) / d[i]
    assert abs(chi.tc_onset_K - onset) < 0.05


def test_heat_capacity_vs_truth(sim_result):
    r, truth = sim_result
    hc = r.heat_capacity
    # the alpha-model fit separates the condensed electrons from gamma_0 and the lattice
    assert not hc.gap_fit_poor and hc.gamma0_source == "alpha-model fit"
    assert abs(hc.delta0_meV / truth["gap_meV"] - 1) < 0.05
    assert 0 < hc.delta0_err_meV < 0.1
    assert abs(hc.gap_ratio / truth["alpha"] - 1) < 0.05
    assert abs(hc.gamma0_mJ_mol_K2 / truth["gamma_mJ_mol_K2"] - 1) < 0.02
    assert abs(hc.gap_fit_beta_mJ_mol_K4 / truth["beta_mJ_mol_K4"] - 1) < 0.02
    assert abs(hc.gamma_n_mJ_mol_K2 / truth["gamma_n_mJ_mol_K2"] - 1) < 0.02
    assert abs(hc.jump_ratio / truth["jump_ratio"] - 1) < 0.05
    assert abs(hc.tc_K - truth["tc_50_K"]) < 0.05
    assert abs(hc.tc_onset_K - truth["tc_onset_hc_K"]) < 0.05 and abs(hc.tc_onset_K - truth["tc_K"]) < 0.1
    assert abs(hc.sc_electronic_fraction - truth["superconducting_fraction_hc"]) < 0.01
    # with a 2.4 meV gap the condensed electrons still carry C/T in the published 3-5 K window:
    # the line there is not gamma_0 + beta T^2, and the result says by how much
    assert hc.debye_window_ces_mJ_mol_K2 > 1.0
    assert abs(hc.gamma_mJ_mol_K2 - truth["gamma_mJ_mol_K2"]) > 1.0


def test_magnetisation_vs_truth(sim_result):
    r, truth = sim_result
    m = r.magnetisation
    assert abs(m.jc_A_m2 / truth["jc_A_m2"] - 1) < 0.05
    assert m.symmetric
    # Jc(H) from the loop width at each field against the simulator's Kim law, and its fit
    want = truth["jc_curve"]
    for sign in (1, -1):
        got = np.interp(sign * np.asarray(want["mu0H_T"]), m.jc_curve["mu0H_T"], m.jc_curve["jc_A_m2"])
        assert np.allclose(got, want["jc_A_m2"], rtol=0.02)
    assert abs(m.jc0_A_m2 / truth["jc_A_m2"] - 1) < 0.02
    assert abs(m.jc_field_scale_T / truth["jc_field_scale_T"] - 1) < 0.05
    assert m.jc_fit_rms < 0.01


def test_json_keys_and_statement(sim_result):
    r, _ = sim_result
    d = r.to_dict()
    assert set(d) == {"resistivity", "susceptibility", "heat_capacity", "magnetisation", "statement", "files"}
    assert set(d["resistivity"]) == {"tc_onset_K", "tc_90_K", "tc_50_K", "tc_10_K", "t_zero_K", "width_K",
                                     "rho0_ohm_m", "rrr", "normal_state_exponent"}
    assert "electronic fraction" in d["statement"] and "shell" in d["statement"]
    assert bulk_statement() == "No bulk data were given."


def test_errors_name_the_file(sim_study, tmp_path):
    toml_path, _, study = sim_study
    chi = toml_path.parent / study["bulk"]["susceptibility"]
    with pytest.raises(ParameterError, match=r"chi_T\.dat: .*dimensions_mm"):
        analyze_bulk(susceptibility=chi, geometry=SampleGeometry(mass_g=0.01, density_g_cm3=6.9))
    hc = toml_path.parent / study["bulk"]["heat_capacity"]
    with pytest.raises(ParameterError, match=r"hc_T\.dat: .*per sample"):
        analyze_bulk(heat_capacity=hc)
    with pytest.raises(ParameterError, match=r"hc_T\.dat: .*need at least 4"):
        analyze_bulk(heat_capacity=hc, geometry=SampleGeometry.from_study(study["sample"]),
                     debye_window_K=(3.0, 3.05))
    bad = tmp_path / "rho.dat"
    bad.write_text("[Header]\nTITLE,x\n[Data]\nComment,Temperature (K),Field (Oe)\n,2,0\n")
    with pytest.raises(FormatError, match=r"rho\.dat: no resistivity or resistance column"):
        analyze_bulk(resistivity=bad)
    with pytest.raises(FormatError, match=r"rho\.dat: no column 'Temperature \(K\)'.*"):
        bad.write_text("[Header]\nTITLE,x\n[Data]\nComment,Temp\n,2\n")
        analyze_bulk(resistivity=bad)


def test_csv_input(tmp_path):
    T = np.arange(2.0, 40.0, 0.05)
    rho = 3e-6 * 0.5 * (1 + np.tanh((T - 14.0) / 0.25))
    p = tmp_path / "rho.csv"
    p.write_text("Temperature (K),Bridge 1 Resistivity (Ohm-m)\n" + "".join(f"{t},{v}\n" for t, v in zip(T, rho)))
    r = analyze_bulk(resistivity=p).resistivity
    assert abs(r.tc_50_K - 14.0) < 0.01
    assert math.isnan(r.rrr)  # no data near 300 K


def test_real_files_in_the_wrong_role(data_dir):
    qd = data_dir / "qd"
    geo = SampleGeometry(dimensions_mm=(2.0, 3.0, 0.2), mass_g=0.01, density_g_cm3=6.0)
    with pytest.raises(FormatError, match="empty_vsm.dat: the data table has no rows"):
        analyze_bulk(mh=qd / "quantumPPMS_empty_vsm.dat", geometry=geo)
    with pytest.raises(ParameterError, match="MVSH_3K.DAT: temperature spans only"):
        analyze_bulk(susceptibility=qd / "quantumPPMS_20170620_BITHERMAL_SF_VSM_SF170517SI2_MVSH_3K.DAT",
                     geometry=geo)
    with pytest.raises(ParameterError, match="sample1.dat: .*non-zero applied field"):
        analyze_bulk(susceptibility=qd / "quantumPPMS_sample1.dat", geometry=geo)


def test_every_field_declares_its_unit(sim_result):
    r, _ = sim_result

    def keys(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict) and k not in ("jc_curve", "files"):
                yield from keys(v, prefix + k + ".")
            else:
                yield prefix + k

    assert set(keys(r.to_dict())) == set(keys(r.units()))
    u = r.units()
    assert u["heat_capacity"]["delta0_meV"] == "meV" and u["magnetisation"]["jc_field_scale_T"] == "T"
    assert u["resistivity"]["rho0_ohm_m"] == "Ohm m" and u["susceptibility"]["shielding_fraction"] == "1"
