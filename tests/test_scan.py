"""The Scan model: make_scan validation, with_history purity, channel/direction selection."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from scprobe import __version__
from scprobe.errors import ParameterError
from scprobe.scan import (channel, directions, file_record, make_scan, pixel_coords, pixel_size, sha256_file,
                          with_history)


def _scan(**kw):
    rng = np.random.default_rng(0)
    chans = {"topography": rng.normal(0, 1e-9, (2, 6, 8)), "current": rng.uniform(0, 1e-9, (2, 6, 8))}
    return make_scan(chans, 2e-8, directions=("forward", "backward"), **kw)


def test_layout_units_and_coords():
    s = _scan(pixel_size_y_m=3e-8, offset_m=(1e-6, 2e-6), temperature_K=4.2, bias_V=0.1,
              metadata={"a": {"b": 1}}, source_files=[{"path": "x", "sha256": "0" * 64}])
    assert dict(s.sizes) == {"direction": 2, "y": 6, "x": 8}
    assert s["topography"].attrs["units"] == "m" and s["current"].attrs["units"] == "A"
    np.testing.assert_allclose(s["x"].values, 2e-6 + (np.arange(8) + 0.5) * 2e-8)  # pixel centres, metres
    np.testing.assert_allclose(s["y"].values, 1e-6 + (np.arange(6) + 0.5) * 3e-8)
    assert pixel_size(s) == (3e-8, 2e-8) and s.attrs["slow_scan"] == "horizontal"
    assert s.attrs["temperature_K"] == 4.2 and s.attrs["bias_V"] == 0.1 and s.attrs["history"] == []
    assert directions(s) == ["forward", "backward"]
    assert math.isnan(make_scan({"current": np.zeros((2, 2))}, 1e-8).attrs["temperature_K"])
    np.testing.assert_allclose(pixel_coords(3, 2.0, 1.0), [2.0, 4.0, 6.0])


def test_inputs_are_copied_not_shared():
    meta = {"nested": {"k": [1]}}
    hist = [{"step": "x", "params": {"p": [1]}}]
    s = make_scan({"current": np.ones((2, 2))}, 1e-8, metadata=meta, history=hist)
    meta["nested"]["k"].append(2)
    hist[0]["params"]["p"].append(2)
    assert s.attrs["metadata"] == {"nested": {"k": [1]}} and s.attrs["history"][0]["params"] == {"p": [1]}


@pytest.mark.parametrize("kwargs,match", [
    (dict(channels={}), "at least one channel"),
    (dict(pixel_size_m=0.0), "positive"),
    (dict(pixel_size_m=-1e-9), "positive"),
    (dict(pixel_size_m=math.nan), "positive"),
    (dict(pixel_size_y_m=math.inf), "positive"),
    (dict(slow_scan="diagonal"), "slow_scan"),
    (dict(channels={"current": np.ones(4)}), "dims"),
    (dict(channels={"current": np.ones((2, 2)), "topography": np.ones((3, 2))}), "shape"),
    (dict(channels={"current": np.ones((3, 2, 2))}, directions=("forward", "backward")), "directions"),
])
def test_make_scan_refuses_impossible_input(kwargs, match):
    args = dict(channels={"current": np.ones((2, 2))}, pixel_size_m=1e-8)
    args.update(kwargs)
    with pytest.raises(ParameterError, match=match):
        make_scan(args.pop("channels"), **args)


def test_with_history_never_mutates_input():
    s = _scan(metadata={"m": 1})
    before_attrs = copy.deepcopy(s.attrs)
    before_data = s["current"].values.copy()
    t = with_history(s, "level", {"order": 2})
    u = with_history(t, "crop", {"box": [0, 1, 2, 3]})
    assert s.attrs == before_attrs and s.attrs["history"] == []
    np.testing.assert_array_equal(s["current"].values, before_data)
    assert [h["step"] for h in u.attrs["history"]] == ["level", "crop"]
    assert t.attrs["history"] == [{"step": "level", "params": {"order": 2}, "version": __version__}]
    u.attrs["metadata"]["m"] = 99
    assert s.attrs["metadata"]["m"] == 1 and t.attrs["metadata"]["m"] == 1


def test_channel_and_direction_selection():
    s = _scan()
    fwd = channel(s, "current", "forward")
    bwd = channel(s, "current", "backward")
    assert fwd.dims == ("y", "x") and "direction" not in fwd.coords
    np.testing.assert_array_equal(bwd.values, s["current"].values[1])
    with pytest.raises(ParameterError, match="no channel 'deflection'"):
        channel(s, "deflection")
    with pytest.raises(ParameterError, match="no 'sideways' trace"):
        channel(s, "current", "sideways")
    single = make_scan({"current": np.ones((2, 3))}, 1e-8)
    assert channel(single, "current", "backward").shape == (2, 3)  # no direction dim: the one trace
    assert directions(single) == ["forward"]


def test_file_record_hashes_the_bytes(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"abc")
    rec = file_record(p)
    assert rec == {"path": str(p), "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}
    assert sha256_file(p, chunk=1) == rec["sha256"]
