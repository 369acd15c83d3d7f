"""``scprobe bulk``: JSON output, figures, study.toml input, errors."""
from __future__ import annotations

import json

import pytest


def test_cli_study_json_and_figures(cli, sim_study, tmp_path):
    toml_path, truth, _ = sim_study
    out = tmp_path / "out"
    code, stdout, stderr = cli("bulk", "--sample", toml_path, "--out", out, "--json")
    assert code == 0, stderr
    d = json.loads(stdout)
    assert abs(d["resistivity"]["tc_onset_K"] - truth["tc_onset_K"]) < 0.05
    assert abs(d["heat_capacity"]["delta0_meV"] / truth["gap_meV"] - 1) < 0.05
    assert abs(d["heat_capacity"]["gamma_n_mJ_mol_K2"] / truth["gamma_n_mJ_mol_K2"] - 1) < 0.02
    assert abs(d["magnetisation"]["jc_A_m2"] / truth["jc_A_m2"] - 1) < 0.05
    assert d["susceptibility"]["shielding_fraction"] == pytest.approx(truth["shielding_fraction"], abs=0.02)
    for name in ("fig1_bulk.png", "figS2_debye.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "bulk.json").read_text())["statement"] == d["statement"]


def test_cli_explicit_geometry_and_text_output(cli, sim_study):
    toml_path, truth, study = sim_study
    s = study["sample"]
    code, stdout, stderr = cli("bulk", "--mh", toml_path.parent / study["bulk"]["mh"],
                               "--dimensions-mm", ",".join(map(str, s["dimensions_mm"])),
                               "--mass-g", s["mass_g"], "--density", s["density_g_cm3"])
    assert code == 0, stderr
    assert "Bean Jc(0)" in stdout and "A/cm^2" in stdout


def test_cli_real_resistivity_file(cli, data_dir):
    code, stdout, stderr = cli("bulk", "--resistivity", data_dir / "qd" / "chameleon_4-probe_resistivity.dat",
                               "--json")
    assert code == 0, stderr
    assert 3.3 < json.loads(stdout)["resistivity"]["tc_50_K"] < 3.6


@pytest.mark.parametrize("args, msg", [
    ((), "no data"),
    (("--mh", "x.dat", "--mass-g", "0"), "mass_g must be positive"),
    (("--mh", "x.dat", "--dimensions-mm", "1,2"), "3 comma-separated numbers"),
    (("--resistivity", "missing.dat"), "missing.dat: no such file"),
    (("--resistivity", "missing.dat", "--bridge", "3", "--debye-window-K", "5"), "2 comma-separated"),
])
def test_cli_errors(cli, args, msg):
    code, stdout, stderr = cli("bulk", *args)
    assert code == 2
    assert stdout == ""
    assert stderr.startswith("error: ") and msg in stderr and "Traceback" not in stderr


def test_cli_sample_and_geometry_conflict(cli, sim_study):
    toml_path, _, _ = sim_study
    code, _, stderr = cli("bulk", "--sample", toml_path, "--mass-g", "0.01")
    assert code == 2 and "not both" in stderr
