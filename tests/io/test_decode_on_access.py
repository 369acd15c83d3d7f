"""open_scan(decode=...): channels not listed keep their raw samples and decode on access, to the same values."""
from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from scprobe.io import bcr, open_scan
from scprobe.io.bcr import DecodedOnAccess


def _scan_files(folder, fileformat="bcrf", little_endian=True, zmin=None):
    rng = np.random.default_rng(3)
    for trace in ("fwd", "bwd"):
        for name, unit, scale in (("topography", "m", 1e-9), ("deflection", "V", 1e-2), ("current", "A", 1e-9)):
            z = rng.normal(0, scale, (40, 56))
            z[5, 7] = np.nan  # a void pixel
            header = {"temperature": "4.2", "bias": "0.1", **({"zmin": zmin} if zmin else {})}
            bcr.write(z, folder / f"s-{name}-{trace}.bcrf", (40e-8, 56e-8), unit, fileformat=fileformat,
                      little_endian=little_endian, header=header)
    return folder / "s-current-fwd.bcrf"


@pytest.mark.parametrize("fileformat,little", [("bcrf", True), ("bcrf", False), ("bcrstm", True),
                                               ("bcrf_unicode", True)])
def test_decoded_on_access_equals_decoded_now(tmp_path, fileformat, little):
    path = _scan_files(tmp_path, fileformat, little)
    now, lazy = open_scan(path), open_scan(path, decode=("current",))
    xr.testing.assert_identical(now, lazy)  # values (NaN voids included), attrs, provenance sha256
    assert isinstance(lazy["current"].variable._data, np.ndarray)
    assert not isinstance(lazy["topography"].variable._data, np.ndarray)
    for key in ((1, slice(None, None, 3), slice(2, None, 5)), (0, 5, slice(None)), (slice(None), 5, 7)):
        np.testing.assert_array_equal(now["topography"][key].values, lazy["topography"][key].values)
    np.testing.assert_array_equal(now["deflection"].sel(direction="backward")[::4, ::4].values,
                                  lazy["deflection"].sel(direction="backward")[::4, ::4].values)


def test_raw_samples_are_kept_not_float64(tmp_path):
    path = _scan_files(tmp_path)
    ch = bcr.read(tmp_path / "s-topography-fwd.bcrf", lazy=True)[0]
    assert isinstance(ch.data, DecodedOnAccess) and ch.data.raw.dtype == np.float32 and ch.data.shape == (40, 56)
    np.testing.assert_array_equal(np.asarray(ch.data), bcr.read(tmp_path / "s-topography-fwd.bcrf")[0].data)
    assert ch.sha256 == bcr.read(tmp_path / "s-topography-fwd.bcrf")[0].sha256
    assert open_scan(path, decode=()).attrs["source_files"] == open_scan(path).attrs["source_files"]


def test_a_zmin_file_is_decoded_now_and_equal(tmp_path):
    path = _scan_files(tmp_path, zmin="3")
    assert not isinstance(bcr.read(tmp_path / "s-topography-fwd.bcrf", lazy=True)[0].data, DecodedOnAccess)
    xr.testing.assert_identical(open_scan(path), open_scan(path, decode=("current",)))


def test_map_of_a_scan_decoded_on_access_is_the_same(tmp_path):
    from scprobe.analysis import analyze_map

    path = _scan_files(tmp_path)
    a = analyze_map(open_scan(path)).to_dict()
    b = analyze_map(open_scan(path, decode=("current",))).to_dict()
    assert a == b
