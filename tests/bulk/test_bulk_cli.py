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
    (("--mh", "x.dat", "--mass-g", "0"), "--mass-g must be a positive number"),
    (("--mh", "x.dat", "--molar-mass-g-mol", "-3"), "--molar-mass-g-mol must be a positive number"),
    (("--mh", "x.dat", "--density-g-cm3", "nan"), "--density-g-cm3 must be a positive number"),
    (("--mh", "x.dat", "--dimensions-mm", "1,2,-3"), "--dimensions-mm must be three positive lengths"),
    (("--mh", "x.dat", "--atoms-per-formula-unit", "0"), "--atoms-per-formula-unit must be a positive integer"),
    (("--mh", "x.dat", "--field-axis", "z"), "--field-axis must be a, b or c"),
    (("--mh", "x.dat", "--debye-window-K", "5,3"), "--debye-window-K must be lo,hi with 0 <= lo < hi"),
    (("--mh", "x.dat", "--dimensions-mm", "1,2"), "3 comma-separated numbers"),
    (("--resistivity", "missing.dat"), "missing.dat: no such file"),
    (("--resistivity", "missing.dat", "--bridge", "3", "--debye-window-K", "5"), "2 comma-separated"),
])
def test_cli_errors(cli, args, msg):
    code, stdout, stderr = cli("bulk", *args)
    assert code == 2
    assert stdout == ""
    assert stderr.startswith("error: ") and msg in stderr and "Traceback" not in stderr


def test_cli_options_override_sample(cli, sim_study):
    """--field-axis (and every geometry option) overrides the study's [sample] table, never ignored."""
    from scprobe.bulk import demag_factor_prism

    toml_path, truth, study = sim_study
    args = ("bulk", "--sample", toml_path, "--json")
    code, stdout, stderr = cli(*args, "--field-axis", "a")
    assert code == 0, stderr
    dims = tuple(study["sample"]["dimensions_mm"])
    d = json.loads(stdout)
    assert d["susceptibility"]["demag_factor"] == pytest.approx(demag_factor_prism(dims, "a"), rel=1e-9)
    assert d["susceptibility"]["demag_factor"] != pytest.approx(truth["demag_factor"], rel=1e-3)
    code, _, stderr = cli(*args, "--field-axis", "z")
    assert code == 2 and "--field-axis must be a, b or c" in stderr


def test_cli_options_as_readme_shows(cli, sim_study):
    """Every [sample] quantity has an option: the four files and the options give the --sample result."""
    toml_path, _, study = sim_study
    s, b = study["sample"], study["bulk"]
    files = [a for k in ("resistivity", "susceptibility", "heat_capacity", "mh")
             for a in (f"--{k.replace('_', '-')}", toml_path.parent / b[k])]
    code, stdout, stderr = cli("bulk", *files, "--dimensions-mm", ",".join(map(str, s["dimensions_mm"])),
                               "--mass-g", s["mass_g"], "--molar-mass-g-mol", s["molar_mass_g_mol"],
                               "--density-g-cm3", s["density_g_cm3"],
                               "--atoms-per-formula-unit", s["atoms_per_formula_unit"], "--field-axis", "c",
                               "--field-oe", b["field_Oe"], "--json")
    assert code == 0, stderr
    explicit = json.loads(stdout)
    code, stdout, stderr = cli("bulk", "--sample", toml_path, "--json")
    assert code == 0, stderr
    from_study = json.loads(stdout)
    for key in ("resistivity", "susceptibility", "heat_capacity", "magnetisation"):
        assert explicit[key] == from_study[key]


def test_cli_errors_name_options(cli, sim_study, tmp_path):
    toml_path, _, study = sim_study
    chi = toml_path.parent / study["bulk"]["susceptibility"]
    hc = toml_path.parent / study["bulk"]["heat_capacity"]
    code, _, stderr = cli("bulk", "--susceptibility", chi)
    assert code == 2 and "--dimensions-mm" in stderr and "dimensions_mm" not in stderr
    code, _, stderr = cli("bulk", "--heat-capacity", hc)
    assert code == 2 and "--mass-g and --molar-mass-g-mol" in stderr and "mass_g" not in stderr
    taken = tmp_path / "taken"
    taken.write_text("x")
    code, _, stderr = cli("bulk", "--heat-capacity", hc, "--out", taken)
    assert code == 2 and "--out" in stderr and taken.read_text() == "x"
