"""open_scan: Daisy files (one per channel and direction) grouped into one Scan."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.errors import FormatError
from scprobe.io import asc, bcr, find_siblings, open_scan
from scprobe.scan import channel, sha256_file

SHAPE = (16, 24)
SIZE = (1.6e-6, 2.4e-6)


def _img(seed, scale):
    return np.random.default_rng(seed).uniform(0.1, 1.0, SHAPE) * scale


@pytest.fixture
def daisy(tmp_path):
    """scan7-{topo,current,amp}-{fwd,bwd}.bcrf plus an unrelated scan8 file."""
    truth = {}
    for i, (name, q, unit, scale) in enumerate([("topo", "topography", "m", 1e-8), ("current", "current", "A", 1e-9),
                                                 ("amp", "deflection", "V", 0.5)]):
        for j, d in enumerate(("fwd", "bwd")):
            truth[q, d] = _img(10 * i + j, scale)
            bcr.write(truth[q, d], tmp_path / f"scan7-{name}-{d}.bcrf", SIZE, unit,
                      header={"bias": "0.1", "temperature": "4.2"})
    bcr.write(_img(99, 1e-9), tmp_path / "scan8-current-fwd.bcrf", SIZE, "A")
    return tmp_path, truth


def test_one_file_brings_its_siblings(daisy):
    folder, truth = daisy
    assert len(find_siblings(folder / "scan7-amp-bwd.bcrf")) == 6
    scan = open_scan(folder / "scan7-current-fwd.bcrf")
    assert list(scan["direction"].values) == ["forward", "backward"]
    assert sorted(scan.data_vars) == ["current", "deflection", "topography"]
    assert {v: scan[v].attrs["units"] for v in scan.data_vars} == {"current": "A", "deflection": "V",
                                                                  "topography": "m"}
    for (q, d), arr in truth.items():
        np.testing.assert_allclose(channel(scan, q, {"fwd": "forward", "bwd": "backward"}[d]).values, arr,
                                   rtol=2.5e-7)
    assert scan.attrs["bias_V"] == pytest.approx(0.1) and scan.attrs["temperature_K"] == pytest.approx(4.2)
    assert scan.attrs["pixel_size_m"] == pytest.approx(1e-7, rel=1e-9)
    assert len(scan.attrs["source_files"]) == 6  # scan8 is not a sibling
    rec = scan.attrs["source_files"][0]
    assert rec["sha256"] == sha256_file(rec["path"])
    # coords at pixel centres, metres
    assert float(scan["x"][0]) == pytest.approx(0.5e-7) and float(scan["y"][-1]) == pytest.approx(1.6e-6 - 0.5e-7)


def test_siblings_false_and_overrides(daisy):
    folder, _ = daisy
    scan = open_scan(folder / "scan7-current-fwd.bcrf", siblings=False, temperature_K=20.0, bias_V=0.05)
    assert list(scan.data_vars) == ["current"] and "direction" not in scan.dims
    assert scan.attrs["temperature_K"] == 20.0 and scan.attrs["bias_V"] == 0.05


def test_underscore_forward_backward_names_and_asc(tmp_path):
    a, b = _img(1, 1e-9), _img(2, 1e-9)
    asc.write(a, tmp_path / "run3_cur_forward.asc", SIZE, "A", channel="cur", direction="forward")
    asc.write(b, tmp_path / "run3_cur_backward.asc", SIZE, "A", channel="cur", direction="backward")
    asc.write(a * 10, tmp_path / "run3_height_forward.asc", SIZE, "m", channel="height")
    scan = open_scan(tmp_path / "run3_cur_backward.asc")
    assert sorted(scan.data_vars) == ["current", "topography"]
    np.testing.assert_allclose(channel(scan, "current", "backward").values, b, rtol=1e-8)
    assert np.isnan(channel(scan, "topography", "backward").values).all()  # missing trace stays missing


def test_header_keys_win_over_names_and_mapping_wins_over_all(tmp_path):
    p1 = bcr.write(_img(1, 1e-9), tmp_path / "first.bcrf", SIZE, "A", header={"channel": "sc_current",
                                                                            "direction": "bwd"})
    p2 = bcr.write(_img(2, 1.0), tmp_path / "second.bcrf", SIZE, "V", header={"channel": "intensity"})
    scan = open_scan([p1, p2])
    assert sorted(scan.data_vars) == ["current", "deflection"]
    assert list(scan["direction"].values) == ["forward", "backward"]
    assert np.isnan(channel(scan, "current", "forward").values).all()
    p3 = bcr.write(_img(3, 1e-9), tmp_path / "s-ch3-fwd.bcrf", SIZE, "A")
    p4 = bcr.write(_img(4, 1e-8), tmp_path / "s-ch4-fwd.bcrf", SIZE, "m")
    scan = open_scan([p3, p4], mapping={"ch3": "current", "ch4": "topography"})
    assert sorted(scan.data_vars) == ["current", "topography"]
    scan = open_scan([p3], mapping={"ch3": "deflection"}, siblings=False)
    assert list(scan.data_vars) == ["deflection"]


@pytest.mark.parametrize("alias,quantity", [("z", "topography"), ("height", "topography"), ("topo", "topography"),
                                            ("intensity", "deflection"), ("error", "deflection"),
                                            ("amp", "deflection"), ("cur", "current"), ("sc_current", "current")])
def test_channel_aliases(tmp_path, alias, quantity):
    p = bcr.write(_img(5, 1.0), tmp_path / f"x-{alias}-fwd.bcrf", SIZE, "V")
    assert list(open_scan(p).data_vars) == [quantity]


def test_inconsistent_shapes_and_pixel_sizes_are_refused(tmp_path):
    bcr.write(_img(1, 1e-8), tmp_path / "a-topo-fwd.bcrf", SIZE, "m")
    bcr.write(np.ones((8, 24)) * 1e-9, tmp_path / "a-current-fwd.bcrf", SIZE, "A")
    with pytest.raises(FormatError, match="shape"):
        open_scan(tmp_path / "a-topo-fwd.bcrf")
    bcr.write(_img(1, 1e-8), tmp_path / "b-topo-fwd.bcrf", SIZE, "m")
    bcr.write(_img(2, 1e-9), tmp_path / "b-current-fwd.bcrf", (SIZE[0], SIZE[1] * 1.01), "A")
    with pytest.raises(FormatError, match="pixel size"):
        open_scan(tmp_path / "b-current-fwd.bcrf")


def test_folder_and_duplicate_claims(tmp_path):
    bcr.write(_img(1, 1e-8), tmp_path / "f-topo-fwd.bcrf", SIZE, "m")
    bcr.write(_img(2, 1e-9), tmp_path / "f-current-fwd.bcrf", SIZE, "A")
    assert sorted(open_scan(tmp_path).data_vars) == ["current", "topography"]
    bcr.write(_img(3, 1e-9), tmp_path / "g-cur-fwd.bcrf", SIZE, "A")
    with pytest.raises(FormatError, match="also in"):
        open_scan(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FormatError, match="no scan files"):
        open_scan(empty)
