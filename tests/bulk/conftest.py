"""Fixtures of the bulk tests: a simulated study and its bulk truth."""
from __future__ import annotations

import json
import tomllib

import pytest


@pytest.fixture(scope="session")
def sim_study(tmp_path_factory):
    """``(study.toml path, bulk truth dict, [sample] table)`` of a small simulated study."""
    from scprobe.simulate import simulate_study

    out = tmp_path_factory.mktemp("bulk_sim")
    toml_path = simulate_study(out, seed=3, size=64)
    truth = json.loads((out / "truth.json").read_text())["bulk"]
    with open(toml_path, "rb") as fh:
        study = tomllib.load(fh)
    return toml_path, truth, study


@pytest.fixture(scope="session")
def sim_result(sim_study):
    """``analyze_bulk`` on the simulated study's four files."""
    from scprobe.bulk import SampleGeometry, analyze_bulk

    toml_path, truth, study = sim_study
    files = {k: toml_path.parent / v for k, v in study["bulk"].items() if k != "field_Oe"}
    return analyze_bulk(**files, geometry=SampleGeometry.from_study(study["sample"]),
                        field_Oe=study["bulk"]["field_Oe"]), truth
