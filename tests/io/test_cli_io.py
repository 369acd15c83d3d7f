"""``scprobe info`` and ``scprobe export`` on real and written files."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from scprobe.io import bcr, gwy, nc, open_scan, read_channels
from scprobe.io.png import to_rgba
from scprobe.scan import channel


@pytest.fixture
def daisy(tmp_path):
    rng = np.random.default_rng(4)
    cur = 10 ** rng.uniform(-12, -6, (20, 30))
    cur[0, 0] = np.nan
    for d in ("fwd", "bwd"):
        bcr.write(cur, tmp_path / f"m1-current-{d}.bcrf", (2e-7, 3e-7), "A", header={"bias": "0.1"})
        bcr.write(rng.normal(0, 1e-9, (20, 30)), tmp_path / f"m1-topo-{d}.bcrf", (2e-7, 3e-7), "m")
    return tmp_path


def test_info_json_on_real_files(cli, data_dir):
    spm = data_dir / "spm"
    code, out, err = cli("info", spm / "bcrf-1.bcrf", "--json")
    assert code == 0 and err == ""
    (res,) = json.loads(out)["files"]
    assert res["format"] == "bcr" and res["kind"] == "image"
    (c,) = res["channels"]
    assert c["shape"] == [600, 960] and c["unit"] == "m" and c["quantity"] == "topography"
    assert c["size_m"] == pytest.approx([0.001110878, 0.001777404])
    assert c["pixel_size_m"] == pytest.approx([0.001110878 / 600, 0.001777404 / 960])
    assert c["min"] == pytest.approx(4.936861e-05, rel=1.2e-7)
    assert res["metadata"]["zunit"] == "um"
    code, out, _ = cli("info", spm / "A151216.123306-02602.sxm", spm / "di-5.di", "--json")
    files = json.loads(out)["files"]
    assert [f["format"] for f in files] == ["sxm", "nanoscope"]
    assert len(files[0]["channels"]) == 18 and files[1]["channels"][0]["unit"] == "m"


def test_info_human_output(cli, data_dir):
    code, out, _ = cli("info", data_dir / "spm" / "spot_1-1000nm.ibw")
    assert code == 0 and "format: ibw" in out and "HeightTrace" in out and "256 x 256 px" in out


GWY_TITLES = ["current (forward)", "current (backward)", "topography (forward)", "topography (backward)"]


def test_export_gwy(cli, daisy, tmp_path):
    code, out, _ = cli("export", daisy / "m1-current-bwd.bcrf", "--to", "gwy", "--out", tmp_path / "o" / "m1.gwy",
                       "--json")
    assert code == 0
    res = json.loads(out)
    assert res["output"].endswith("m1.gwy") and res["channels"] == GWY_TITLES
    chans = read_channels(tmp_path / "o" / "m1.gwy")
    assert [f"{c.name} ({c.direction})" for c in chans] == GWY_TITLES
    assert chans[0].unit == "A" and chans[0].void_count == 1 and chans[3].size_m == pytest.approx((2e-7, 3e-7))


def test_exported_gwy_opens_in_gwyddion(cli, daisy, tmp_path, gwy_view):
    cli("export", daisy / "m1-current-bwd.bcrf", "--to", "gwy", "--out", tmp_path / "m1.gwy")
    view, _ = gwy_view(tmp_path / "m1.gwy")
    assert [c["title"] for c in view["channels"]] == GWY_TITLES
    assert view["channels"][0]["si_unit_z"] == "A" and view["channels"][0]["mask"]["n_masked"] == 1
    assert view["channels"][3]["si_unit_z"] == "m" and view["channels"][3]["xreal"] == pytest.approx(3e-7)


def test_export_nc_and_png(cli, daisy, tmp_path):
    src = daisy / "m1-current-bwd.bcrf"
    scan = open_scan(src)
    code, _, _ = cli("export", src, "--to", "nc", "--out", tmp_path / "m1.nc", "--channel", "current")
    back = nc.read_scan(tmp_path / "m1.nc")
    assert list(back.data_vars) == ["current"] and back.attrs["bias_V"] == pytest.approx(0.1)
    np.testing.assert_array_equal(back["current"].values, scan["current"].values)

    code, out, _ = cli("export", tmp_path / "m1.nc", "--to", "png", "--out", tmp_path / "m1.png",
                       "--direction", "backward", "--json")
    assert code == 0 and json.loads(out)["channels"] == ["current (backward)"]
    img = np.asarray(Image.open(tmp_path / "m1.png"))
    assert img.shape == (20, 30, 4)
    assert tuple(img[0, 0, :3]) == (127, 127, 127)  # the void pixel is grey
    code, _, err = cli("export", src, "--to", "png", "--channel", "deflection", "--out", tmp_path / "x.png")
    assert code == 2 and "no channel 'deflection'" in err and not (tmp_path / "x.png").exists()


def test_png_current_is_log_scaled():
    a = np.array([[1e-9] + [1e-12] * 50 + [1e-6] * 50])
    log = to_rgba(a, log=True, cmap="inferno")
    lin = to_rgba(a, log=False, cmap="inferno")
    # on a log scale 1 nA sits half way between 1 pA and 1 uA; linearly it is at the bottom
    from matplotlib import colormaps

    mid = np.array(colormaps["inferno"](0.5, bytes=True))
    assert np.abs(log[0, 0].astype(int) - mid).max() <= 3
    assert np.array_equal(lin[0, 0], lin[0, 1])


def test_gwy_channels_round_trip_through_export(cli, daisy, tmp_path):
    scan = open_scan(daisy / "m1-topo-fwd.bcrf")
    gwy.write(scan, tmp_path / "a.gwy")
    code, _, _ = cli("export", tmp_path / "a.gwy", "--to", "nc", "--out", tmp_path / "a.nc")
    back = nc.read_scan(tmp_path / "a.nc")
    np.testing.assert_array_equal(channel(back, "topography", "backward").values,
                                  channel(scan, "topography", "backward").values)


def test_export_never_overwrites_its_input(cli, daisy):
    src = daisy / "m1-current-fwd.bcrf"
    before = src.read_bytes()
    code, _, err = cli("export", src, "--to", "gwy", "--out", src)
    assert code == 2 and "refusing to overwrite" in err and src.read_bytes() == before
