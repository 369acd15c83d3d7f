"""Empty, saturated, void-ridden, constant and non-current maps; parameter errors; the JSON keys."""
from __future__ import annotations

import json

import numpy as np
import pytest

from scprobe.analysis import analyze_map
from scprobe.errors import ParameterError, UnitError
from scprobe.results import jsonable
from scprobe.scan import make_scan

KEYS = {"file", "channel", "direction", "shape", "pixel_size_m", "pixel_size_y_m", "temperature_K", "bias_V",
        "processing", "noise_offset_A", "noise_rms_A", "noise_floor_A", "threshold_A", "boundary",
        "conducting_fraction",
        "above_threshold_fraction", "contrast_decades", "regions", "states", "edge_width_m",
        "junction_resistance_ohm", "spreading_resistance_ohm", "contact_limited", "tip_radius_m",
        "resistivity_ohm_m", "artefacts", "saturated_fraction", "reference_note", "junction_source", "contact",
        "edge_cross_section"}


def noise_scan(shape=(96, 128), seed=0):
    rng = np.random.default_rng(seed)
    return make_scan({"current": 2e-11 + 2.5e-11 * rng.standard_normal(shape)}, 15e-9, bias_V=0.1)


def test_json_keys_and_strict_json(synth):
    scan, _ = synth
    d = analyze_map(scan, resistivity_ohm_m=3e-6).to_dict()
    assert set(d) == KEYS
    assert set(d["edge_width_m"]) == {"median", "p10", "p90", "n_profiles", "fast_axis", "slow_axis"}
    assert {"count", "items"} <= set(d["regions"])
    assert {"current_A", "fraction"} == set(d["states"][0])
    assert d["spreading_resistance_ohm"] == pytest.approx(3e-6 / (4 * 10e-9))
    assert d["contact_limited"] is True
    json.dumps(jsonable(d), allow_nan=False)


def test_empty_map_gives_zero_fraction_and_no_states():
    d = analyze_map(noise_scan()).to_dict()
    assert d["conducting_fraction"] < 1e-3
    assert d["regions"]["count"] == 0
    assert d["states"] == []
    assert d["edge_width_m"]["n_profiles"] == 0
    assert d["noise_rms_A"] == pytest.approx(2.5e-11, rel=0.1)
    json.dumps(jsonable(d), allow_nan=False)


def test_saturated_map_is_flagged(synth_map):
    scan, _ = synth_map(states=(12e-6, 8e-6), saturation=10e-6)
    d = analyze_map(scan).to_dict()
    assert d["saturated_fraction"] > 0.01
    assert d["artefacts"]["saturation"]["pass"] is False
    assert d["artefacts"]["all_pass"] is False
    given = analyze_map(scan, saturation_A=10e-6).to_dict()
    assert given["saturated_fraction"] == pytest.approx(d["saturated_fraction"])


def test_unsaturated_map_passes(synth):
    scan, _ = synth
    assert analyze_map(scan).to_dict()["saturated_fraction"] == 0.0


def test_voids_are_masked_not_conducting(synth):
    scan, truth = synth
    cur = scan["current"].values.copy()
    cur[10:30, 20:80] = np.nan
    cur[::17, ::13] = np.nan
    holey = scan.copy()
    holey["current"] = (("y", "x"), cur, scan["current"].attrs)
    r = analyze_map(holey)
    valid = np.isfinite(cur)
    assert not r.mask[~valid].any()
    expected = truth["inside"][valid].mean()
    assert abs(r.to_dict()["conducting_fraction"] - expected) < 0.01


def test_constant_map_is_an_error():
    scan = make_scan({"current": np.full((32, 32), 1e-9)}, 15e-9)
    with pytest.raises(ParameterError, match="constant"):
        analyze_map(scan)


def test_all_nan_map_is_an_error():
    scan = make_scan({"current": np.full((32, 32), np.nan)}, 15e-9)
    with pytest.raises(ParameterError, match="valid pixels"):
        analyze_map(scan)


def test_non_current_channel_needs_force(synth):
    scan, _ = synth
    with pytest.raises(UnitError, match="not a current"):
        analyze_map(scan, channel="topography")
    d = analyze_map(scan, channel="deflection", force=True).to_dict()
    assert d["channel"] == "deflection"


@pytest.mark.parametrize("kwargs,match", [
    ({"threshold_A": -1e-9}, "threshold"), ({"threshold_A": float("nan")}, "threshold"),
    ({"tip_radius_m": 0.0}, "tip radius"), ({"resistivity_ohm_m": -1.0}, "resistivity"),
    ({"saturation_A": 0.0}, "saturation"), ({"channel": "nope"}, "no channel"), ({"boundary": "x"}, "boundary"),
])
def test_bad_parameters(synth, kwargs, match):
    scan, _ = synth
    with pytest.raises(ParameterError, match=match):
        analyze_map(scan, **kwargs)


def test_input_scan_unchanged(synth):
    scan, _ = synth
    before = scan["current"].values.copy()
    analyze_map(scan)
    assert np.array_equal(scan["current"].values, before)
