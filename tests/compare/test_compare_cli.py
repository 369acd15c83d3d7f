"""``scprobe compare`` and ``scprobe series`` end to end on BCRF files, with figures."""
from __future__ import annotations

import json

import numpy as np
import pytest


@pytest.fixture(scope="module")
def files(synth, tmp_path_factory):
    root = tmp_path_factory.mktemp("compare_cli")
    a, b, truth = synth.shifted_pair(shift=(2.6, -1.3), seed=7)
    meta, _ = synth.metastable_scan(seed=8)
    scans, series_truth = synth.tc_series(shape=(96, 96), temperatures=(4, 8, 12, 30), seed=9)
    return {
        "a": synth.write_bcr(a, root / "a", "area8K"),
        "b": synth.write_bcr(b, root / "b", "area8K-recooled"),
        "meta": synth.write_bcr(meta, root / "m", "area20K"),
        "series": [synth.write_bcr(s, root / f"t{i}", f"T{i}") for i, s in enumerate(scans)],
        "truth": truth, "root": root,
    }


def test_compare_json_and_figures(cli, files, tmp_path):
    code, out, err = cli("compare", files["a"], files["b"], "--json", "--out", tmp_path)
    assert code == 0, err
    d = json.loads(out)
    for key in ("shift_px", "shift_m", "registration_confidence", "same_area", "overlap", "spots",
                "topography_rms_m"):
        assert key in d
    assert set(d["overlap"]) == {"jaccard", "retained", "lost", "gained", "boundary_shift_m"}
    assert set(d["spots"]) == {"count_a", "count_b", "diameter_m", "persistence", "inside_reference_fraction",
                               "border_a", "border_b", "confidence", "min_diameter_m"}
    assert d["comparable"] is True and d["note"] == ""
    assert np.abs(np.array(d["shift_px"]) - files["truth"]["shift"]).max() < 0.2
    assert d["same_area"] is True
    for path in d["figures"].values():
        with open(path, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "compare.json").read_text())["shift_px"] == d["shift_px"]


def test_compare_same_file_is_forward_vs_backward(cli, files, tmp_path):
    np.save(tmp_path / "ref.npy", np.ones((160, 160), bool))
    code, out, err = cli("compare", files["meta"], files["meta"], "--reference", tmp_path / "ref.npy", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["directions"] == ["forward", "backward"]
    assert d["spots"]["inside_reference_fraction"] == 1.0
    code, out, _ = cli("compare", files["meta"], files["meta"])  # human-readable table
    assert code == 0 and "persistence" in out
    from PIL import Image

    Image.fromarray(np.zeros((160, 160), np.uint8)).save(tmp_path / "ref.png")
    code, out, err = cli("compare", files["meta"], files["meta"], "--reference", tmp_path / "ref.png", "--json")
    assert code == 0, err
    assert json.loads(out)["spots"]["inside_reference_fraction"] == 0.0
    # a scan as reference: the same area, so every spot lies inside its own conducting mask
    code, out, err = cli("compare", files["meta"], files["meta"], "--reference", files["meta"], "--json")
    assert code == 0, err
    assert json.loads(out)["spots"]["inside_reference_fraction"] == 1.0


def test_compare_errors_are_one_line(cli, files, tmp_path, synth):
    other, _, _ = synth.shifted_pair(seed=77)
    far = synth.write_bcr(other, tmp_path / "far", "elsewhere")
    code, out, err = cli("compare", files["a"], far, "--json")
    assert code == 2 and out == "" and err.startswith("error: scans do not overlap")
    assert cli("compare", files["a"], far, "--force", "--json")[0] == 0
    # a scan without a backward trace is never compared with itself
    code, out, err = cli("compare", files["a"], files["a"], "--json")
    assert code == 2 and out == "" and "without a backward trace" in err and err.count("\n") == 1
    (tmp_path / "bad.npy").write_bytes(b"not an array")
    code, _, err = cli("compare", files["a"], files["b"], "--reference", tmp_path / "bad.npy")
    assert code == 2 and "bad.npy" in err and "\n" == err[-1] and err.count("\n") == 1
    code, _, err = cli("compare", files["a"], files["b"], "--directions", "up,down")
    assert code == 2 and "--directions" in err


def test_series_writes_tc_map(cli, files, tmp_path):
    code, out, err = cli("series", *files["series"], "--json", "--out", tmp_path)
    assert code == 0, err
    d = json.loads(out)
    s = d["series"]
    assert s["temperatures_K"] == [4.0, 8.0, 12.0, 30.0]
    assert s["conducting_fraction"][-1] == 0.0
    tc = np.load(s["tc_map_file"])
    assert np.nanmax(tc) <= 12.0
    import xarray as xr

    with xr.open_dataset(tmp_path / "tc_map.nc", engine="h5netcdf") as ds:
        assert np.allclose(ds["tc_lower"].values, tc, equal_nan=True)
        assert ds["tc_lower"].attrs["units"] == "K"
    from scprobe.io import gwy

    ch = gwy.read(tmp_path / "tc_map.gwy")[0]
    assert ch.unit == "K" and ch.data.shape == tc.shape
    for name in ("conducting_fraction_vs_T.png", "local_tc_map.png", "fig3_series.png", "series.json"):
        assert (tmp_path / name).stat().st_size > 0


def test_series_temperatures_from_option(cli, files, synth, tmp_path):
    scans, _ = synth.tc_series(shape=(96, 96), temperatures=(4, 8, 12), seed=10)
    paths = []
    for i, s in enumerate(scans):
        s.attrs["temperature_K"] = float("nan")
        paths.append(synth.write_bcr(s, tmp_path / f"n{i}", f"N{i}"))
    code, _, err = cli("series", *paths, "--json")
    assert code == 2 and "--temperatures" in err
    code, out, err = cli("series", *paths, "--temperatures", "4,8,12", "--json")
    assert code == 0, err
    assert json.loads(out)["series"]["temperatures_K"] == [4.0, 8.0, 12.0]
    code, _, err = cli("series", *paths, "--temperatures", "4,x,12")
    assert code == 2 and "--temperatures" in err
