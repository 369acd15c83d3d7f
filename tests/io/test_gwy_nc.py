"""Gwyddion .gwy write/read and NetCDF round trips of a Scan."""
from __future__ import annotations

import math

import gwyfile
import numpy as np
import pytest
import xarray as xr

from scprobe.errors import FormatError, ParameterError
from scprobe.io import gwy, nc, open_scan, read_channels
from scprobe.scan import channel, make_scan, with_history


@pytest.fixture
def scan():
    rng = np.random.default_rng(11)
    cur = 10 ** rng.uniform(-12, -7, (2, 20, 30))
    cur[0, 4, 5] = np.nan
    topo = rng.normal(0, 1e-9, (2, 20, 30))
    defl = rng.normal(0, 0.1, (2, 20, 30))
    s = make_scan({"topography": topo, "deflection": defl, "current": cur}, pixel_size_m=1.6e-8,
                  pixel_size_y_m=1.7e-8, directions=("forward", "backward"), offset_m=(2e-6, -1e-6),
                  temperature_K=1.5, bias_V=0.1, metadata={"scanspeed": "1000", "nested": {"a": [1, 2.5]}},
                  source_files=[{"path": "raw/s-current-fwd.bcrf", "sha256": "ab" * 32}])
    return with_history(s, "align_rows", {"method": "median", "flags": [True, None]})


def test_gwy_write_read_round_trip(tmp_path, scan):
    masks = {"current": channel(scan, "current", "forward").values > 1e-9}
    path = gwy.write(scan, tmp_path / "s.gwy", masks={"current (forward)": masks["current"]})
    chans = read_channels(path)
    titles = [f"{c.name} ({c.direction})" for c in chans]
    assert titles == [f"{v} ({d})" for v in ("topography", "deflection", "current") for d in ("forward", "backward")]
    for c in chans:
        np.testing.assert_array_equal(c.data[~np.isnan(c.data)],
                                      channel(scan, c.name, c.direction).values[~np.isnan(c.data)])
        assert c.unit == {"topography": "m", "deflection": "V", "current": "A"}[c.name]
        assert c.size_m == pytest.approx((20 * 1.7e-8, 30 * 1.6e-8), rel=1e-12)
        assert c.offset_m == pytest.approx((2e-6, -1e-6), rel=1e-12)
        assert c.metadata["temperature_K"] == 1.5 and c.metadata["scanspeed"] == "1000"
    cur_f = chans[4]
    assert cur_f.void_count == 1 and np.isnan(cur_f.data[4, 5])  # voids survive next to a user mask
    assert cur_f.mask.sum() == masks["current"].sum() + 1  # Gwyddion sees the void masked too
    back = open_scan(path)
    assert back.attrs["temperature_K"] == 1.5 and back.attrs["bias_V"] == 0.1
    assert back.attrs["pixel_size_y_m"] == pytest.approx(1.7e-8)
    assert "current_mask" in back.data_vars
    np.testing.assert_allclose(back["x"].values, scan["x"].values, rtol=1e-12)


def test_gwy_voids_come_back_as_nan(tmp_path, scan):
    back = open_scan(gwy.write(scan, tmp_path / "v.gwy"))
    assert math.isnan(float(channel(back, "current", "forward")[4, 5]))
    assert int(np.isnan(back["current"]).sum()) == 1 and "current_mask" not in back.data_vars
    xr.testing.assert_allclose(back[["topography", "deflection", "current"]], scan[["topography", "deflection",
                                                                                     "current"]], rtol=0, atol=0)


def test_gwy_file_opens_in_gwyfile(tmp_path, scan):
    path = gwy.write(scan, tmp_path / "o.gwy")
    obj = gwyfile.load(str(path))  # the reference Python parser accepts it
    assert obj["/0/data/title"] == "topography (forward)" and obj["/0/data"].data.shape == (20, 30)
    assert obj["/4/data"]["si_unit_z"]["unitstr"] == "A" and obj["/4/data"]["xreal"] == pytest.approx(4.8e-7)


def test_gwy_file_opens_in_gwyddion(tmp_path, scan, gwy_view):
    path = gwy.write(scan, tmp_path / "o.gwy", masks={"topography": channel(scan, "topography").values > 0})
    res, arrays = gwy_view(path)
    assert res["ok"] and res["n_channels"] == 6
    c = res["channels"][4]
    assert c["title"] == "current (forward)" and c["si_unit_z"] == "A" and c["si_unit_xy"] == "m"
    assert (c["yreal"], c["xreal"]) == pytest.approx((3.4e-7, 4.8e-7), rel=1e-12)
    assert (c["yoffset"], c["xoffset"]) == pytest.approx((2e-6, -1e-6), rel=1e-12)
    assert c["mask"]["n_masked"] == 1  # the void pixel
    assert res["channels"][0]["mask"]["n_masked"] == int((channel(scan, "topography").values > 0).sum())
    good = ~np.isnan(channel(scan, "current").values)
    np.testing.assert_array_equal(arrays[4][good], channel(scan, "current").values[good])
    assert res["channels"][2]["si_unit_z"] == "V" and res["channels"][0]["metadata"]["bias_V"] == "0.1"


def test_gwy_write_refuses_bad_masks(tmp_path, scan):
    with pytest.raises(ParameterError, match="mask"):
        gwy.write(scan, tmp_path / "b.gwy", masks={"current": np.zeros((3, 3), bool)})
    assert not (tmp_path / "b.gwy").exists()


def test_gwy_reader_refuses_corrupt_containers(tmp_path, data_dir):
    raw = (data_dir / "spm" / "gwyfile_test.gwy").read_bytes()
    (tmp_path / "t.gwy").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FormatError, match="corrupt"):
        read_channels(tmp_path / "t.gwy")
    (tmp_path / "o.gwy").write_bytes(b"GWYO" + raw[4:])
    with pytest.raises(FormatError, match="Gwyddion 1.x"):
        read_channels(tmp_path / "o.gwy")


def test_netcdf_round_trip_is_exact(tmp_path, scan):
    path = nc.write_scan(scan, tmp_path / "s.nc")
    back = nc.read_scan(path)
    xr.testing.assert_identical(back, scan)
    assert back.attrs["history"] == scan.attrs["history"]
    assert back.attrs["history"][0]["params"]["flags"] == [True, None]
    assert back.attrs["metadata"] == {"scanspeed": "1000", "nested": {"a": [1, 2.5]}}
    assert back.attrs["source_files"] == scan.attrs["source_files"]
    via = open_scan(path, temperature_K=3.0)
    assert via.attrs["temperature_K"] == 3.0 and via.attrs["history"] == scan.attrs["history"]
    assert scan.attrs["temperature_K"] == 1.5  # the input is untouched


def test_netcdf_channels_for_info(tmp_path, scan):
    chans = read_channels(nc.write_scan(scan, tmp_path / "c.nc"))
    assert [(c.name, c.direction) for c in chans][:2] == [("topography", "forward"), ("topography", "backward")]
    assert chans[0].size_m == pytest.approx((3.4e-7, 4.8e-7)) and chans[0].offset_m == pytest.approx((2e-6, -1e-6))


def test_netcdf_without_scan_dims_is_refused(tmp_path):
    xr.Dataset({"a": ("t", np.arange(3.0))}).to_netcdf(tmp_path / "t.nc", engine="h5netcdf")
    with pytest.raises(FormatError, match="'y' and 'x'"):
        open_scan(tmp_path / "t.nc")


def test_nc_write_refuses_a_disk_too_full(tmp_path):
    """#18: h5py crashed the process (exit 139) when the disk filled during a NetCDF write; the free
    space is now checked first, and nothing is left behind."""
    import errno
    import subprocess

    from scprobe.scan import make_scan

    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        scan = make_scan({"current": np.zeros((512, 512))}, pixel_size_m=15e-9)  # 2 MiB of float64
        with pytest.raises(OSError) as info:
            nc.write_scan(scan, mnt / "out" / "scan.nc")
        assert info.value.errno == errno.ENOSPC
        assert not any(mnt.rglob("*.nc"))
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
