"""The step language of ``--process`` and ``apply_steps``."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.errors import ParameterError
from scprobe.process import apply_steps, crop, parse_steps
from scprobe.scan import make_scan


@pytest.fixture()
def scan():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:40, 0:60]
    topo = 1e-9 * (0.05 * xx + 0.02 * yy) + 1e-10 * rng.standard_normal((40, 60))
    cur = 1e-9 + 1e-11 * rng.standard_normal((40, 60))
    return make_scan({"topography": topo, "current": cur}, 15e-9, pixel_size_y_m=20e-9)


def test_parse_all_steps():
    assert parse_steps("scars,rows:median,rows:mediandiff,rows:poly2,plane,poly:3,crop:1,2,30,40") == [
        ("scars", ()), ("rows", ("median", 1)), ("rows", ("mediandiff", 1)), ("rows", ("poly", 2)),
        ("plane", ()), ("poly", (3,)), ("crop", (1, 2, 30, 40))]
    assert parse_steps(["rows", "crop:0,0,5,5"]) == [("rows", ("median", 1)), ("crop", (0, 0, 5, 5))]


@pytest.mark.parametrize("bad", ["flatten", "poly:x", "rows:mean", "crop:1,2,3", "plane:2"])
def test_bad_steps_name_the_step(bad):
    with pytest.raises(ParameterError, match="processing step"):
        parse_steps(bad)


def test_apply_steps_levels_topography_only_and_records_history(scan):
    out = apply_steps(scan, "rows:median,plane,poly:2")
    assert [h["step"] for h in out.attrs["history"]] == ["rows", "plane", "poly"]
    assert abs(out["topography"].values.mean()) < 1e-20
    assert np.array_equal(out["current"].values, scan["current"].values)
    assert scan.attrs["history"] == []


def test_crop_keeps_physical_coordinates(scan):
    out = apply_steps(scan, "crop:10,5,40,25")
    assert out["current"].shape == (20, 30)
    assert out["x"].values[0] == pytest.approx(10.5 * 15e-9)
    assert out["y"].values[0] == pytest.approx(5.5 * 20e-9)
    assert out.attrs["history"][-1] == {"step": "crop", "params": {"x0": 10, "y0": 5, "x1": 40, "y1": 25},
                                        "version": out.attrs["history"][-1]["version"]}
    with pytest.raises(ParameterError, match="outside"):
        crop(scan, 0, 0, 61, 10)


def test_scars_on_every_channel_and_explicit_channels(scan):
    out = apply_steps(scan, "scars")
    assert sorted(h["params"]["channel"] for h in out.attrs["history"]) == ["current", "topography"]
    only = apply_steps(scan, "plane", channels=["current"])
    assert only.attrs["history"][0]["params"]["channel"] == "current"
    with pytest.raises(ParameterError, match="no channel"):
        apply_steps(scan, "plane", channels=["deflection"])


def test_levelling_a_scan_without_topography_is_refused():
    """#18: ``poly:99`` (or any levelling) on a current-only scan used to pass silently, changing nothing."""
    scan = make_scan({"current": np.full((16, 16), 1e-9)}, pixel_size_m=15e-9)
    with pytest.raises(ParameterError, match="polynomial degree must be 0..11"):
        parse_steps("poly:99")
    for step in ("poly:3", "plane", "rows"):
        with pytest.raises(ParameterError, match="has none"):
            apply_steps(scan, step)
    assert apply_steps(scan, "scars").attrs["history"][0]["step"] == "scars"
