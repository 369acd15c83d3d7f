"""Small simulated studies shared by the simulator tests (session-scoped: built once)."""
from __future__ import annotations

import json

import pytest

from scprobe.simulate import simulate_study

SIZE = 128
FAST = {"ions_per_needle": 20_000}


@pytest.fixture(scope="session")
def study(tmp_path_factory):
    """(study.toml path, truth dict) of a 128 px study, seed 1."""
    path = simulate_study(tmp_path_factory.mktemp("study_a"), seed=1, size=SIZE, **FAST)
    return path, json.loads((path.parent / "truth.json").read_text())


@pytest.fixture(scope="session")
def study_same_seed(tmp_path_factory):
    return simulate_study(tmp_path_factory.mktemp("study_b"), seed=1, size=SIZE, **FAST)


@pytest.fixture(scope="session")
def study_other_seed(tmp_path_factory):
    return simulate_study(tmp_path_factory.mktemp("study_c"), seed=2, size=SIZE, **FAST)
