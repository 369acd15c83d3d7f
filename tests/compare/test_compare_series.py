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
    est = res.tc_map
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
    assert set(d) == {"temperatures_K", "conducting_fraction", "tc_map_file", "tc_K"}
    tc = d["tc_K"]
    assert sum(tc["histogram"]["pixels"]) == tc["conducting_pixels"]
    vanish = [r["vanish_K"] for r in tc["regions"]]
    finite = [v for v in vanish if v is not None]
    assert finite == sorted(finite) and tc["vanish_order"] == [r["label"] for r in tc["regions"]]
    assert res.with_tc_map_file("x.npy").to_dict()["series"]["tc_map_file"] == "x.npy"


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
