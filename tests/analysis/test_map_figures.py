"""map_figures writes every figure of a map, also for empty and topography-less maps; never a mask file."""
from __future__ import annotations

import numpy as np

from scprobe.analysis import analyze_map
from scprobe.report.map_figures import map_figures
from scprobe.scan import make_scan


def test_figures_of_a_non_square_map(synth_map, tmp_path):
    scan, _ = synth_map(shape=(90, 140), pixel_m=(12e-9, 18e-9), seed=9)
    result = analyze_map(scan)
    paths = map_figures(scan, result, tmp_path / "figs")
    assert sorted(p.name for p in paths) == ["current_histogram.png", "fig2_maps.png", "figS4_edges.png"]
    assert all(p.stat().st_size > 10000 for p in paths)


def test_figures_of_an_empty_map_without_topography(tmp_path):
    rng = np.random.default_rng(1)
    scan = make_scan({"current": 2e-11 + 2.5e-11 * rng.standard_normal((64, 80))}, 15e-9)
    result = analyze_map(scan)
    names = sorted(p.name for p in map_figures(scan, result, tmp_path))
    assert names == ["current_histogram.png", "fig2_maps.png"]
    assert not list(tmp_path.glob(".*.tmp"))
