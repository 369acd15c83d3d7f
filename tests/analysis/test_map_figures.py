"""map_figures writes every figure and the mask files, also for empty and topography-less maps."""
from __future__ import annotations

import numpy as np

from scprobe.analysis import analyze_map
from scprobe.io import open_scan
from scprobe.report.map_figures import map_figures
from scprobe.scan import make_scan


def test_figures_of_a_non_square_map(synth_map, tmp_path):
    scan, _ = synth_map(shape=(90, 140), pixel_m=(12e-9, 18e-9), seed=9)
    result = analyze_map(scan)
    paths = map_figures(scan, result, tmp_path / "figs")
    assert sorted(p.name for p in paths) == sorted(f"map_{w}" for w in (
        "topography.png", "current.png", "histogram.png", "edges.png", "mask.png", "mask.npy", "mask.gwy"))
    assert all(p.stat().st_size > 10000 for p in paths if p.suffix == ".png" and "mask" not in p.name)
    assert np.array_equal(np.load(tmp_path / "figs" / "map_mask.npy"), result.mask)
    back = open_scan(tmp_path / "figs" / "map_mask.gwy")
    assert back["current"].shape == (90, 140)
    assert back.attrs["pixel_size_m"] == np.float64(18e-9) or abs(back.attrs["pixel_size_m"] - 18e-9) < 1e-15


def test_figures_of_an_empty_map_without_topography(tmp_path):
    rng = np.random.default_rng(1)
    scan = make_scan({"current": 2e-11 + 2.5e-11 * rng.standard_normal((64, 80))}, 15e-9)
    result = analyze_map(scan)
    names = sorted(p.name for p in map_figures(scan, result, tmp_path))
    assert names == ["map_current.png", "map_histogram.png", "map_mask.gwy", "map_mask.npy", "map_mask.png"]
    assert not list(tmp_path.glob(".*.tmp"))
