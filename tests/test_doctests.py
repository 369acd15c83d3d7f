"""The ``Examples`` sections of the public API run as tests (small simulated data, a few seconds in all)."""
from __future__ import annotations

import doctest
import importlib

import pytest

#: Modules whose docstrings carry the examples of the top-level API (docs/design.md, "Tests").
MODULES = [
    "scprobe.io.group",            # open_scan
    "scprobe.process.steps",       # apply_steps
    "scprobe.analysis.map",        # analyze_map
    "scprobe.compare.pair",        # compare_scans
    "scprobe.transport.fourprobe",  # four_probe
    "scprobe.transport.extrapolate",  # percolate
    "scprobe.bulk.summary",        # analyze_bulk
    "scprobe.study.runner",        # run_study
    "scprobe.accessor",            # scan.scprobe
]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    module = importlib.import_module(name)
    res = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False,
                          report=False)
    assert res.attempted > 0, f"{name} has no examples"
    assert res.failed == 0, f"{res.failed} of {res.attempted} examples of {name} failed (run with -s to see them)"
