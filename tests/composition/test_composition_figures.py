"""Composition figures: every figure is a PNG, written atomically."""
from __future__ import annotations

import pytest

from scprobe.composition import analyze_composition

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result(apt_study, overlay_scene):
    from scprobe.io import open_scan

    sites = [(k, v["sem_xy_px"]) for k, v in overlay_scene["sites"].items()]
    return analyze_composition(apt=[apt_study / "needle1.pos", apt_study / "needle2.pos"],
                               ranges=apt_study / "FeSeTe.rrng", sem=overlay_scene["sem"],
                               scan=open_scan(overlay_scene["map_files"]), control_points=overlay_scene["control_points"], sites=sites)


def test_all_figures(result, tmp_path):
    from scprobe.report.composition_figures import composition_figures

    paths = composition_figures(result, tmp_path)
    assert sorted(p.name for p in paths) == [
        "depth_profile_needle1.png", "depth_profile_needle2.png", "fig5a_sem_overlay.png",
        "fig5b_atom_map_needle1.png", "fig5b_atom_map_needle2.png", "fig5cd_composition_sites.png",
        "mass_spectrum_needle1.png", "mass_spectrum_needle2.png"]
    for p in paths:
        assert p.read_bytes()[:8] == PNG and p.stat().st_size > 10_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_site_names_come_from_the_sites(result):
    assert result.site_names == ["needle1", "needle2"]
    assert [s.region for s in result.overlay.sites] == ["insulating", "conducting"]
