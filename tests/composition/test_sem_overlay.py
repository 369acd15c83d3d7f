"""SEM/cAFM overlay: control points, registration from the images, site classification."""
from __future__ import annotations

import numpy as np
import pytest
from skimage.transform import SimilarityTransform

from scprobe.composition import analyze_composition
from scprobe.composition.overlay import (classify_sites, m_to_px, overlay_sem, parse_control_points, px_to_m,
                                         register_topography, similarity_from_points)
from scprobe.errors import ParameterError

from .conftest import MAP_N, MAP_PIXEL_M, SEM_PIXEL_M, TRUTH, render_topography, world


@pytest.fixture(scope="module")
def scan(overlay_scene):
    from scprobe.io import open_scan

    return open_scan(overlay_scene["map_files"])


@pytest.fixture(scope="module")
def feature_result(overlay_scene, scan):
    sites = [{"name": k, "sem_xy_px": v["sem_xy_px"]} for k, v in overlay_scene["sites"].items()]
    return analyze_composition(sem=overlay_scene["sem"], scan=scan, sites=sites)


def test_pixel_metre_conventions():
    assert px_to_m([0, 0], 10e-9).tolist() == [[5e-9, 5e-9]]
    np.testing.assert_allclose(m_to_px(px_to_m([[3.2, 7.5]], (2.0, 4.0)), (2.0, 4.0)), [[3.2, 7.5]])


def test_control_points_recover_the_transform():
    rng = np.random.default_rng(0)
    map_px = rng.uniform(0, MAP_N, (6, 2))
    sem_px = m_to_px(TRUTH(px_to_m(map_px, MAP_PIXEL_M)), SEM_PIXEL_M)
    text = ";".join(f"{a:.6f},{b:.6f},{c:.6f},{d:.6f}" for (a, b), (c, d) in zip(sem_px, map_px))
    pts = parse_control_points(text)
    t, res = similarity_from_points(px_to_m(pts[:, 2:], MAP_PIXEL_M), px_to_m(pts[:, :2], SEM_PIXEL_M))
    assert t.scale == pytest.approx(1.02, rel=1e-6)
    assert np.rad2deg(t.rotation) == pytest.approx(12.0, abs=1e-5)
    np.testing.assert_allclose(t.translation, TRUTH.translation, atol=1e-12)
    assert res < 1e-12
    # 0.5 SEM px of noise on the clicks: residual is of that size, transform still within 1 % / 0.5 deg
    noisy = sem_px + rng.normal(0, 0.5, sem_px.shape)
    t2, res2 = similarity_from_points(px_to_m(map_px, MAP_PIXEL_M), px_to_m(noisy, SEM_PIXEL_M))
    assert abs(t2.scale / 1.02 - 1) < 0.01 and abs(np.rad2deg(t2.rotation) - 12) < 0.5
    assert 0.1 * SEM_PIXEL_M < res2 < 1.0 * SEM_PIXEL_M


def test_bad_control_points():
    with pytest.raises(ParameterError, match="4 numbers"):
        parse_control_points("1,2,3;4,5,6,7")
    with pytest.raises(ParameterError, match="numbers"):
        parse_control_points("a,b,c,d")
    with pytest.raises(ParameterError, match="at least 2"):
        similarity_from_points([[0, 0]], [[1, 1]])
    with pytest.raises(ParameterError, match="coincide"):
        similarity_from_points([[0, 0], [0, 0]], [[1, 1], [2, 2]])


def test_feature_registration_accuracy(feature_result):
    o = feature_result.overlay
    assert o.method == "features"
    assert abs(o.scale / 1.02 - 1) < 0.01  # measured 0.1 %
    assert abs(o.rotation_deg - 12.0) < 0.5  # measured 0.05 deg
    np.testing.assert_allclose(o.shift_m, TRUTH.translation, atol=SEM_PIXEL_M)
    assert o.residual_m < 0.5 * SEM_PIXEL_M
    d = o.to_dict()
    assert list(d) == ["scale", "rotation_deg", "shift_m", "residual_m", "sites"]
    assert list(d["sites"][0]) == ["name", "region", "distance_to_boundary_m"]


def test_sites_classified(feature_result, overlay_scene):
    for s in feature_result.overlay.sites:
        truth = overlay_scene["sites"][s.name]
        assert s.region == truth["region"]
        assert s.distance_to_boundary_m == pytest.approx(truth["distance_m"], abs=3 * MAP_PIXEL_M)


def test_registration_with_inverted_contrast_and_other_rotation():
    t = SimilarityTransform(scale=0.97, rotation=np.deg2rad(-100.0), translation=(4.5e-6, 3.5e-6))
    w = world((260, 260), seed=3)
    topo = render_topography(w, SEM_PIXEL_M, t, 96, 20e-9)
    got, res = register_topography(-w, SEM_PIXEL_M, topo, 20e-9, rotation_range_deg=(-130, -70))
    assert abs(got.scale / 0.97 - 1) < 0.01
    assert abs(np.rad2deg(got.rotation) + 100.0) < 0.5
    np.testing.assert_allclose(got.translation, t.translation, atol=SEM_PIXEL_M)


def test_site_outside_the_field_and_distances():
    mask = np.zeros((10, 10), bool)
    mask[:, 5:] = True
    ident = SimilarityTransform()
    out = classify_sites(ident, [("a", (2.0, 4.0)), ("b", (8.0, 4.0)), ("c", (50.0, 4.0))], mask, 1.0, 1.0)
    assert [(s.name, s.region) for s in out] == [("a", "insulating"), ("b", "conducting"), ("c", "outside")]
    # the boundary runs between pixel centres 4 and 5, at x = 4.5 px
    assert out[0].distance_to_boundary_m == pytest.approx(2.5)
    assert out[1].distance_to_boundary_m == pytest.approx(3.5)
    assert np.isnan(out[2].distance_to_boundary_m)


def test_overlay_errors(overlay_scene, scan):
    with pytest.raises(ParameterError, match="needs the cAFM scan"):
        analyze_composition(sem=overlay_scene["sem"])
    sem = np.zeros((20, 20))
    with pytest.raises(ParameterError, match="pixel size"):
        analyze_composition(sem=sem, scan=scan)
    with pytest.raises(ParameterError, match="smaller than the SEM image"):
        overlay_sem(sem, SEM_PIXEL_M, overlay_scene["topo"], overlay_scene["current"], MAP_PIXEL_M,
                    mask=overlay_scene["mask"])


def test_control_points_through_analyze(overlay_scene, scan):
    text = overlay_scene["control_points"]
    sites = [f"{k}:{v['sem_xy_px'][0]},{v['sem_xy_px'][1]}" for k, v in overlay_scene["sites"].items()]
    o = analyze_composition(sem=overlay_scene["sem"], scan=scan, control_points=text, sites=sites).overlay
    assert o.method == "control_points"
    assert o.scale == pytest.approx(1.02, rel=1e-5) and o.residual_m < 1e-11
    assert [s.region for s in o.sites] == ["insulating", "conducting"]
