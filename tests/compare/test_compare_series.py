"""Temperature series: alignment, conducting fraction vs T, local Tc map within one step."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.compare import local_tc, temperature_series
from scprobe.errors import ParameterError


@pytest.fixture(scope="module")
def series(synth):
    scans, truth = synth.tc_series()
    return scans, truth, temperature_series(scans)


def test_local_tc_within_one_step(series):
    scans, truth, res = series
    tc = truth["tc"][res.common]
    t = np.array(res.temperatures_K)
    conducting = tc > t[0]
    est = res.tc_lower_map
    within = np.abs(np.nan_to_num(est, nan=-100.0) - tc) <= np.diff(t).max()
    assert within[conducting].mean() >= 0.95  # measured 0.98
    assert np.isfinite(est[~conducting]).mean() < 0.02  # measured 0.0
    upper = res.tc_upper_map[conducting & np.isfinite(est)]
    lower = est[conducting & np.isfinite(est)]
    assert np.all(upper > lower)


def test_alignment_and_fraction(series):
    scans, truth, res = series
    order = np.argsort(truth["temperatures"])
    assert np.abs(np.array(res.shifts_px) - truth["shifts"][order]).max() < 0.2
    frac = np.array(res.conducting_fraction)
    tc = truth["tc"][res.common]
    expected = np.array([(tc > t).mean() for t in res.temperatures_K])
    assert np.abs(frac - expected).max() < 0.02
    assert np.all(np.diff(frac) <= 1e-9)


def test_dict_keys_and_regions(series):
    _, _, res = series
    d = res.to_dict()["series"]
    assert set(d) == {"temperatures_K", "conducting_fraction", "map_tc_lower_K", "map_tc_upper_K", "local_tc",
                      "fluctuations", "tc_map_file"}
    tc = d["local_tc"]
    assert set(tc["tc_lower_K"]) == {"median", "p10", "p90"} and "median" in tc["tc_upper_K"]
    assert sum(tc["histogram"]["pixels"]) == tc["conducting_pixels"]
    vanish = [r["tc_upper_K"] for r in tc["regions"]]
    finite = [v for v in vanish if v is not None]
    assert finite == sorted(finite) and tc["vanish_order"] == [r["label"] for r in tc["regions"]]
    assert res.with_tc_map_file("x.npy").to_dict()["series"]["tc_map_file"] == "x.npy"
    # every number declares its unit, in the same nesting as the JSON
    u = res.units()["series"]
    assert u["temperatures_K"] == "K" and u["conducting_fraction"] == "1" and u["map_tc_lower_K"] == "K"
    assert u["local_tc"]["tc_lower_K"]["median"] == "K" and u["local_tc"]["histogram"]["pixels"] == "count"
    assert u["local_tc"]["regions"]["tc_upper_K"] == "K" and u["fluctuations"]["pixels"] == "count"


def test_bounds_bracket_the_truth_and_fluctuations_are_separated(series):
    scans, truth, res = series
    t = np.array(res.temperatures_K)
    tc = truth["tc"][res.common]
    lo, up = res.tc_lower_map, res.tc_upper_map
    ok = np.isfinite(lo)
    # the true local Tc lies in [lower, upper) up to the half-maximum boundary pixels
    inside = (tc[ok] >= lo[ok] - 1e-9) & (tc[ok] < up[ok])
    assert inside.mean() >= 0.9
    # the map holds a region up to map_tc_lower_K; above it only small pieces conduct
    assert res.map_tc_lower_K in t and res.fluctuations.reference == "series"
    assert res.fluctuations.reference_K == res.map_tc_lower_K
    assert np.nanmax(lo) <= res.map_tc_lower_K
    above = res.masks[t > res.map_tc_lower_K].any(axis=0)
    assert res.fluctuations.pixels == int((above & ~ok).sum())
    assert res.local_tc.conducting_pixels == int(ok.sum())
    # a bulk Tc moves the reference: nothing above 10 K counts as a local Tc
    bulk = temperature_series(scans, bulk_tc_K=10.0)
    assert bulk.fluctuations.reference == "bulk" and np.nanmax(bulk.tc_lower_map) <= 10.0
    assert bulk.fluctuations.pixels >= res.fluctuations.pixels
    with pytest.raises(ParameterError, match="bulk Tc"):
        temperature_series(scans, bulk_tc_K=-1.0)


def test_local_tc_brackets():
    masks = np.array([[[1, 1, 0]], [[1, 0, 0]], [[1, 0, 0]]], bool)
    lo, up = local_tc(masks, [4.0, 8.0, 12.0])
    assert lo[0, 0] == 12.0 and np.isinf(up[0, 0])
    assert lo[0, 1] == 4.0 and up[0, 1] == 8.0
    assert np.isnan(lo[0, 2]) and np.isnan(up[0, 2])
    with pytest.raises(ParameterError):
        local_tc(masks, [8.0, 4.0, 12.0])


def test_temperatures_required(synth):
    scans, _ = synth.tc_series(temperatures=(4, 8, 12))
    for s in scans:
        s.attrs["temperature_K"] = float("nan")
    with pytest.raises(ParameterError, match="temperature"):
        temperature_series(scans)
    res = temperature_series(scans, [12.0, 4.0, 8.0])
    assert res.temperatures_K == (4.0, 8.0, 12.0)
    with pytest.raises(ParameterError, match="distinct"):
        temperature_series(scans, [4.0, 4.0, 8.0])
    with pytest.raises(ParameterError, match="at least two"):
        temperature_series(scans[:1])
