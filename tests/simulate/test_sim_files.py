"""Every written file reads back: BCRF scans through scprobe and Gwyddion, study.toml, QD, APT, SEM, EDX."""
from __future__ import annotations

import tomllib

import numpy as np
import pytest
import tifffile

from scprobe.io import open_scan
from scprobe.io.bcr import read_header
from scprobe.simulate import SEQUENCE

from .conftest import SIZE

UNITS = {"topography": "m", "deflection": "V", "current": "A"}
#: What Gwyddion 2.62 (gwy-oracle dump) reported for the 128 px study, seed 1, scan 1.5K, forward.
ORACLE = {"topography": ("m", 128, 1.984e-06), "deflection": ("V", 128, 1.984e-06),
          "current": ("A", 128, 1.984e-06)}
#: Pixel pitch and slow-scan direction of each area, as published (Fig. 2a and 2c).
AREAS = {"A": (15.5e-9, "horizontal"), "B": (17e-9, "vertical")}


def test_study_toml_follows_the_schema(study):
    doc = tomllib.loads(study[0].read_text())
    assert doc["schema_version"] == 1
    assert set(doc) == {"schema_version", "sample", "scans", "bulk", "composition", "transport", "percolation"}
    assert doc["sample"]["dimensions_mm"] == [2.0, 3.0, 0.2]
    assert doc["sample"]["mass_g"] == pytest.approx(6.9 * 2.0 * 3.0 * 0.2e-3)
    assert [s["label"] for s in doc["scans"]] == [s.label for s in SEQUENCE]
    assert [s["sequence"] for s in doc["scans"]] == list(range(1, 7))
    assert [s["recooled"] for s in doc["scans"]] == [False] * 4 + [True, False]
    assert doc["bulk"]["field_Oe"] == 10.0
    assert [s["name"] for s in doc["composition"]["sites"]] == ["needle1", "needle2"]
    root = study[0].parent
    for s in doc["scans"]:
        assert len(s["files"]) == 6
        assert all((root / f).is_file() for f in s["files"])
    for key in ("resistivity", "susceptibility", "heat_capacity", "mh"):
        assert (root / doc["bulk"][key]).is_file()
    comp = doc["composition"]
    assert all((root / f).is_file() for f in [comp["ranges"], comp["sem"], *comp["edx"]])


@pytest.mark.parametrize("spec", SEQUENCE, ids=lambda s: s.label)
def test_scans_read_back_with_units_shape_and_header(study, spec):
    path, truth = study
    t = truth["scans"][spec.label]
    scan = open_scan(path.parent / t["files"][0])
    assert sorted(scan.data_vars) == ["current", "deflection", "topography"]
    assert list(scan["direction"].values) == ["forward", "backward"]
    for name, unit in UNITS.items():
        assert scan[name].attrs["units"] == unit
        assert scan[name].shape == (2, SIZE, SIZE)
        assert np.isfinite(scan[name].values).all()
    pixel, slow = AREAS[spec.area]
    assert t["pixel_size_m"] == pixel and t["slow_scan"] == slow
    assert scan.attrs["pixel_size_m"] == pytest.approx(pixel, rel=1e-6)
    assert scan.attrs["pixel_size_y_m"] == pytest.approx(pixel, rel=1e-6)
    assert scan.attrs["temperature_K"] == spec.temperature_K
    assert scan.attrs["bias_V"] == spec.bias_V
    assert scan.attrs["slow_scan"] == slow
    meta, _, fmt = read_header(path.parent / t["files"][0])
    assert fmt == "bcrf"
    assert meta["time/pixel"] == "6 ms"
    assert meta["channel"] == "topography" and meta["direction"] == "fwd"
    # Raw topography is unlevelled (tilt, line offsets): nanometres, not micrometres.
    topo = scan["topography"].values
    assert 0.5e-9 < np.ptp(topo) < 100e-9
    assert np.all(np.abs(scan["deflection"].values - 0.5) < 0.5)


def test_gwyddion_opens_scans_with_units_and_sizes(study, oracle):
    path, truth = study
    for name, (unit, res, real) in ORACLE.items():
        out = oracle("dump", path.parent / f"scans/A01_1p5K-{name}-fwd.bcrf")
        assert out["ok"] and out["detected_module"] == "bcrfile"
        ch = out["channels"][0]
        assert ch["si_unit_z"] == unit and ch["si_unit_xy"] == "m"
        assert (ch["xres"], ch["yres"]) == (res, res)
        assert ch["xreal"] == pytest.approx(real) and ch["yreal"] == pytest.approx(real)
    mine = open_scan(path.parent / "scans/A01_1p5K-current-fwd.bcrf")["current"].sel(direction="forward").values
    gwy = oracle("dump", path.parent / "scans/A01_1p5K-current-fwd.bcrf")["channels"][0]
    assert gwy["max"] == pytest.approx(float(mine.max()), rel=1e-6)
    assert gwy["mean"] == pytest.approx(float(mine.mean()), rel=1e-6)


def test_bcrf_files_match_oracle_constants(study):
    """Without Gwyddion: the header fields Gwyddion's bcrfile module reads give the same sizes."""
    path, _ = study
    for name, (unit, res, real) in ORACLE.items():
        meta, header_bytes, _ = read_header(path.parent / f"scans/A01_1p5K-{name}-fwd.bcrf")
        assert header_bytes == 2048
        assert int(meta["xpixels"]) == int(meta["ypixels"]) == res
        assert float(meta["xlength"]) * 1e-9 == pytest.approx(real)
        assert meta["zunit"] == {"m": "nm", "A": "nA", "V": "V"}[unit]


def test_truth_arrays_have_the_scan_shape(study):
    path, truth = study
    for t in truth["scans"].values():
        for key in ("mask_file", "mask_backward_file", "current_clean_file", "current_clean_backward_file"):
            a = np.load(path.parent / t[key])
            assert a.shape == (SIZE, SIZE)
        assert np.load(path.parent / t["mask_file"]).dtype == bool
    tc = np.load(path.parent / truth["local_tc"]["tc_map_file"])
    assert tc.shape == (SIZE, SIZE)


def test_sem_tiff_and_edx_maps(study):
    path, truth = study
    sem = tifffile.imread(path.parent / "sem/sem_overview.tif")
    assert sem.dtype == np.uint8 and list(sem.shape) == truth["composition"]["sem"]["shape_px"]
    assert sem.std() > 5
    # EDX pixels of ~200 nm cover the SEM field.
    n_edx = round(sem.shape[0] * truth["composition"]["sem"]["pixel_size_m"] / 200e-9)
    assert truth["composition"]["edx"]["pixel_size_m"] == pytest.approx(200e-9, rel=0.05)
    for f in truth["composition"]["edx"]["files"]:
        counts = np.loadtxt(path.parent / f, delimiter=",")
        assert counts.shape == (n_edx, n_edx)
        assert np.all(counts == np.round(counts)) and counts.min() >= 0
