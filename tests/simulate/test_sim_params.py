"""Impossible parameters are ParameterErrors naming the field; the CLI turns them into exit 2."""
from __future__ import annotations

import json

import pytest

from scprobe.errors import ParameterError
from scprobe.simulate import (BulkParams, CompositionParams, InstrumentParams, SampleParams, simulate_study,
                              study_params)


@pytest.mark.parametrize("make, field", [
    (lambda: SampleParams(pixel_size_m=-15e-9), "pixel_size_m"),
    (lambda: SampleParams(area_fraction=1.2), "area_fraction"),
    (lambda: SampleParams(tc_K=31.0), "tc_K"),
    (lambda: SampleParams(state_probabilities=(0.5, 0.6)), "state_probabilities"),
    (lambda: SampleParams(dot_persistence=-0.1), "dot_persistence"),
    (lambda: SampleParams(low_tc_range_K=(9.0, 20.0)), "low_tc_range_K"),
    (lambda: InstrumentParams(noise_rms_A=0.0), "noise_rms_A"),
    (lambda: InstrumentParams(slow_scan="diagonal"), "slow_scan"),
    (lambda: InstrumentParams(drift_px=-1), "drift_px"),
    (lambda: BulkParams(tc_K=35.0), "tc_K"),
    (lambda: BulkParams(meissner_fraction=1.5), "meissner_fraction"),
    (lambda: BulkParams(gamma0_mJ_mol_K2=30.0), "gamma0_mJ_mol_K2"),
    (lambda: CompositionParams(cap_oxygen_at_pct=120.0), "cap_oxygen_at_pct"),
    (lambda: CompositionParams(matrix_at_pct={"Fe": 50.0, "Se": 20.0, "Te": 20.0, "O": 0.0}), "matrix_at_pct"),
    (lambda: CompositionParams(edx_interaction_m=0.0), "edx_interaction_m"),
    (lambda: InstrumentParams(area_b_slow_scan="diagonal"), "area_b_slow_scan"),
    (lambda: SampleParams(area_b_stripes=9), "area_b_stripes"),
])
def test_impossible_values_raise(make, field):
    with pytest.raises(ParameterError, match=field):
        make()


def test_overrides_route_to_their_part():
    sp = study_params(64, tc_K=12.0, noise_rms_A=5e-11, jc_A_m2=2e9, pixel_size_m=20e-9)
    assert sp.sample.tc_K == 12.0 and sp.bulk.tc_K == 12.0
    assert sp.instrument.noise_rms_A == 5e-11
    assert sp.bulk.jc_A_m2 == 2e9
    assert sp.sample.pixel_size_m == sp.instrument.pixel_size_m == 20e-9


@pytest.mark.parametrize("kwargs, match", [
    ({"no_such_parameter": 1}, "no_such_parameter"),
    ({"sample": SampleParams()}, "sample"),
    ({"area_fraction": 2.0}, "area_fraction"),
])
def test_bad_overrides(tmp_path, kwargs, match):
    with pytest.raises(ParameterError, match=match):
        simulate_study(tmp_path / "s", size=64, **kwargs)
    assert not (tmp_path / "s" / "study.toml").exists()


@pytest.mark.parametrize("size", [0, -5, 16, 2048])
def test_bad_size(tmp_path, size):
    with pytest.raises(ParameterError, match="size"):
        simulate_study(tmp_path, size=size)


def test_bad_seed(tmp_path):
    with pytest.raises(ParameterError, match="seed"):
        simulate_study(tmp_path, seed=-1, size=64)


def test_cli_json(cli, tmp_path):
    code, out, err = cli("simulate", tmp_path / "s", "--seed", "3", "--size", "64", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) == {"study_file", "truth_file", "files", "seconds"}
    assert doc["files"] == 74
    assert doc["study_file"].endswith("study.toml") and doc["truth_file"].endswith("truth.json")
    truth = json.loads((tmp_path / "s" / "truth.json").read_text())
    assert truth["seed"] == 3 and truth["size_px"] == 64


def test_cli_bad_size_is_one_line_error(cli, tmp_path):
    code, out, err = cli("simulate", tmp_path / "s", "--size", "-3", "--json")
    assert code == 2 and out == ""
    assert err.startswith("error:") and "size" in err and "Traceback" not in err


def test_progress_reports_every_step(tmp_path):
    from scprobe.simulate.study import STEPS

    steps = []
    simulate_study(tmp_path / "s", size=48, progress=steps.append, ions_per_needle=2000)
    assert len(steps) == STEPS and steps[-1] == "study.toml and truth.json"


def test_output_path_that_is_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(ParameterError, match="not a folder"):
        simulate_study(target, size=48)


def test_cli_human_output(cli, tmp_path):
    code, out, err = cli("simulate", tmp_path / "h", "--size", "48")
    assert code == 0, err
    assert "wrote" in out and "study.toml" in out


def test_vertical_slow_scan_study(tmp_path):
    import tomllib

    from scprobe.io import open_scan

    path = simulate_study(tmp_path / "v", size=48, slow_scan="vertical", ions_per_needle=2000)
    doc = tomllib.loads(path.read_text())
    assert {s["slow_scan"] for s in doc["scans"]} == {"vertical"}
    scan = open_scan(path.parent / doc["scans"][0]["files"][0])
    assert scan.attrs["slow_scan"] == "vertical"


def test_cli_set_overrides(cli, tmp_path):
    code, out, err = cli("simulate", tmp_path / "o", "--size", "48", "--set", "ions_per_needle=2000",
                         "--set", "state_currents_A=[6e-6, 2e-6]", "--set", "slow_scan=vertical", "--json")
    assert code == 0, err
    truth = json.loads((tmp_path / "o" / "truth.json").read_text())
    assert set(truth["scans"]["1.5K"]["states_A"]) <= {6e-6, 2e-6}
    code, out, err = cli("simulate", tmp_path / "p", "--size", "48", "--set", "bogus=1")
    assert code == 2 and "bogus" in err
    code, out, err = cli("simulate", tmp_path / "p", "--size", "48", "--set", "novalue")
    assert code == 2 and "NAME=VALUE" in err


@pytest.mark.parametrize("kwargs", [{"state_currents_A": 5e-6}, {"tc_K": "warm"}, {"dimensions_mm": 2.0},
                                    {"edx_pixel_size_m": "big"}])
def test_wrong_types_are_parameter_errors(kwargs):
    with pytest.raises(ParameterError):
        study_params(64, **kwargs)
