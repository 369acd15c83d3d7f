"""Metastable spots: detection, diameter, persistence between forward and backward traces."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.compare import compare_scans, detect_spots, match_spots
from scprobe.errors import ParameterError


@pytest.mark.parametrize("seed,n,persistent", [(3, 30, 18), (4, 24, 6), (5, 20, 20)])
def test_persistence_and_diameter(synth, seed, n, persistent):
    scan, truth = synth.metastable_scan(n_spots=n, persistent=persistent, seed=seed)
    r = compare_scans(scan, scan)
    assert r.directions == ("forward", "backward")
    assert r.registration.shift_px == pytest.approx(tuple(truth["drift"]), abs=0.2)
    assert r.registration.same_area
    d = r.to_dict()["spots"]
    assert d["count_a"] == n and d["count_b"] == n
    assert abs(d["persistence"] - truth["persistence"]) < 0.1  # measured: exact
    assert abs(d["diameter_m"] / truth["diameter_m"] - 1) < 0.25  # measured 74 nm for 75 nm
    assert r.to_dict()["topography_rms_m"] < 0.1e-9


def test_inside_reference_fraction(synth):
    scan, truth = synth.metastable_scan(seed=6)
    ref = np.zeros((160, 160), bool)
    ref[:, :80] = True  # left half conducts at low temperature
    r = compare_scans(scan, scan, reference_mask=ref)
    expected = np.mean(np.rint(truth["fwd"][:, 1]) < 80)
    assert r.spots.inside_reference_fraction == pytest.approx(expected, abs=0.05)
    with pytest.raises(ParameterError, match="reference mask"):
        compare_scans(scan, scan, reference_mask=np.ones((10, 10), bool))


def test_detect_spots_skips_regions_and_noise():
    rng = np.random.default_rng(1)
    cur = rng.normal(0, 1e-11, (100, 100))
    cur[10:60, 10:60] = 5e-6  # a region, not a spot
    yy, xx = np.mgrid[0:100, 0:100]
    cur[np.hypot(yy - 80, xx - 80) <= 2.5] = 1e-6  # a 5 px spot
    spots = detect_spots(cur, (15e-9, 15e-9), spot_diameter_m=75e-9)
    assert len(spots) == 1
    assert spots.centres_px[0] == pytest.approx([80, 80], abs=0.1)
    assert spots.diameters_px[0] * 15e-9 == pytest.approx(75e-9, rel=0.15)
    with pytest.raises(ParameterError):
        detect_spots(cur, spot_diameter_m=-1.0)


def test_match_spots_one_to_one():
    a = np.array([[0.0, 0.0], [10.0, 10.0], [20.0, 0.0]])
    b = np.array([[0.5, 0.0], [0.0, 0.6], [30.0, 30.0]])
    m = match_spots(a, b, 2.0)
    assert m.tolist() == [[0, 0]]
    assert match_spots(a, np.empty((0, 2)), 2.0).shape == (0, 2)


def test_weak_spots_beside_strong_region(synth):
    # 0.2 uA dots in a map whose strong region carries 5 uA: detected with the noise threshold
    # of the conducting mask (a cut at 0.3 of the strong current would drop them all)
    rng = np.random.default_rng(7)
    shape = (128, 128)
    yy, xx = np.mgrid[0:128, 0:128]
    cur = np.where((yy < 40) & (xx < 40), 5e-6, 0.0)
    centres = [(90.0, 20.0), (90.0, 60.0), (90.0, 100.0), (30.0, 100.0), (60.0, 80.0)]
    for cy, cx in centres:
        cur = cur + 2e-7 * (np.hypot(yy - cy, xx - cx) <= 2.5)
    cur = cur + rng.normal(0, 2e-11, shape)
    z = synth.crop(synth.terraces(shape, rng), shape)
    scan = synth.scan(z, cur, temperature_K=20.0, backward=(z, cur))
    r = compare_scans(scan, scan)
    assert r.spots.count_a == len(centres) and r.spots.persistence == 1.0
    found = r.spots_a.centres_px[r.spot_keep_a]
    assert np.sort(found[:, 1]) == pytest.approx(sorted(c[1] for c in centres), abs=0.1)
