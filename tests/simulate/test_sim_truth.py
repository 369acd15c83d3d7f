"""The maps agree with truth.json: masks, states, edges, drift, spots, 30 K, local Tc, re-cooling."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import ndimage, optimize, special

from scprobe.io import open_scan
from scprobe.simulate import InstrumentParams, SampleParams, clean_current
from scprobe.simulate.params import EDGE_WIDTH_PER_SIGMA
from scprobe.simulate.sample import Landscape


def _scan(study, label):
    path, truth = study
    t = truth["scans"][label]
    return open_scan(path.parent / t["files"][0]), t, path.parent


def _load(root, t, key):
    return np.load(root / t[key])


def test_mask_fraction_matches_clean_current(study):
    scan, t, root = _scan(study, "1.5K")
    mask, clean = _load(root, t, "mask_file"), _load(root, t, "current_clean_file")
    assert t["conducting_fraction"] == pytest.approx(mask.mean())
    assert 0.03 < t["conducting_fraction"] < 0.3
    # The geometric boundary is where the current is half its local plateau.
    above = clean > 0.5 * ndimage.maximum_filter(clean, size=9)
    ring = ndimage.binary_dilation(mask) & ~ndimage.binary_erosion(mask)
    assert (above ^ mask).sum() <= 0.02 * ring.sum()
    assert abs(above.mean() - mask.mean()) / mask.mean() < 0.01


def test_region_count_matches_mask_any_connectivity(study):
    _, truth = study
    root = study[0].parent
    for t in truth["scans"].values():
        mask = _load(root, t, "mask_file")
        if "spots" in t:
            continue
        n4 = ndimage.label(mask)[1]
        n8 = ndimage.label(mask, structure=np.ones((3, 3)))[1]
        assert t["region_count"] == n4 == n8
        assert sum(t["region_areas_px"]) == mask.sum()


@pytest.mark.parametrize("label", ["1.5K", "B-1.5K"])
def test_states_present_as_plateaus(study, label):
    scan, t, root = _scan(study, label)
    current = scan["current"].sel(direction="forward").values
    interior = ndimage.binary_erosion(_load(root, t, "mask_file"), iterations=3)
    assert set(t["states_A"]) <= {5.5e-6, 3.5e-6} and t["states_A"] == sorted(t["states_A"], reverse=True)
    if label == "B-1.5K":  # the wide stripes of area B carry both conductance states (published Fig. 2c)
        assert t["states_A"] == pytest.approx([5.5e-6, 3.5e-6])
    for level in t["states_A"]:
        near = np.abs(current[interior] - level) < 0.02 * level
        assert near.mean() > 0.02, level
    # Between the plateaus (4.5 uA +- 0.3) only PSF-blurred state boundaries: few pixels.
    assert (np.abs(current[interior] - 4.5e-6) < 0.3e-6).mean() < 0.05


def test_recooled_states_scale_with_bias(study):
    _, truth = study
    t = truth["scans"]["8K-recooled"]
    assert t["bias_V"] == 0.05
    assert t["states_A"]
    for level in t["states_A"]:
        assert min(abs(level - s) for s in (2.75e-6, 1.75e-6)) < 1e-15


def _half_plane(sigma_m: float, x0_px: float, n: int = 64) -> Landscape:
    p = SampleParams()
    px = p.pixel_size_m
    x = np.broadcast_to(np.arange(n, dtype=float), (n, n))
    d = (x - x0_px) * px
    mask = d > 0
    ones = np.ones((n, n), dtype=np.int32)
    return Landscape(px, d, 0.0, mask, mask.astype(np.int32), ones, d, np.full((n, n), 5.5e-6),
                     np.array([np.nan, 14.4]), np.array([False, False]), np.zeros((n, n)), p)


def _fit_erf_width(x, y, x0=None):
    def model(x, a, b, x0, s):
        return a + b * special.erf((x - x0) / (np.sqrt(2) * s))

    with warnings.catch_warnings():
        # the width is what is wanted; its covariance may be undetermined with few points on the flank
        warnings.simplefilter("ignore", optimize.OptimizeWarning)
        popt, _ = optimize.curve_fit(model, x, y, p0=[y.mean(), np.ptp(y) / 2, x.mean() if x0 is None else x0, 1.0])
    return EDGE_WIDTH_PER_SIGMA * abs(popt[3])


def test_edge_of_instrument_is_erf_with_stated_width():
    ip = InstrumentParams()
    ls = _half_plane(ip.psf_sigma_m, 31.3)
    clean = clean_current(ls, ip, 1.5, 0.1)
    profile = clean[32]
    width_px = _fit_erf_width(np.arange(profile.size, dtype=float), profile)
    assert width_px * ls.pixel_size_m == pytest.approx(ip.edge_width_m, rel=1e-3)
    assert ip.edge_width_m == pytest.approx(2.5631 * 7e-9, rel=1e-4)
    assert 15e-9 <= ip.edge_width_m <= 25e-9


def test_edges_in_simulated_map_have_stated_width(study):
    """Fit the erf to the pixels around each edge point against their distance along the normal
    (the edge is narrower than two pixels, so interpolating between pixels would widen it)."""
    _, t, root = _scan(study, "1.5K")
    clean = _load(root, t, "current_clean_file")
    level = ndimage.maximum_filter(clean, size=9)
    gy, gx = np.gradient(ndimage.gaussian_filter(clean, 1.0))
    g = np.hypot(gy, gx)
    edge = (np.abs(clean / np.maximum(level, 1e-12) - 0.5) < 0.15) & (level > 1e-6) & (g > 0)
    ys, xs = np.nonzero(edge)
    keep = (ys > 10) & (ys < clean.shape[0] - 10) & (xs > 10) & (xs < clean.shape[1] - 10)
    ys, xs = ys[keep][::3], xs[keep][::3]
    oy, ox = np.mgrid[-5:6, -5:6]
    widths = []
    for y, x in zip(ys, xs):
        ny, nx = gy[y, x] / g[y, x], gx[y, x] / g[y, x]
        along, across = oy * ny + ox * nx, -oy * nx + ox * ny
        sel = np.abs(across) <= 1.5  # a short stretch of edge: straight to well below a pixel
        try:
            # the edge point is at half the plateau: the step is centred near along = 0
            widths.append(_fit_erf_width(along[sel], clean[y + oy[sel], x + ox[sel]], 0.0) * t["pixel_size_m"])
        except RuntimeError:
            continue
    assert len(widths) > 20
    assert np.median(widths) == pytest.approx(t["edge_width_m"], rel=0.05)


def test_noise_floor_and_nothing_conducts_at_30K(study):
    scan, t, root = _scan(study, "30K")
    current = scan["current"].values
    assert t["conducting_fraction"] == 0 and t["region_count"] == 0 and t["states_A"] == []
    assert np.std(current) == pytest.approx(t["noise_rms_A"], rel=0.03)
    assert np.median(current) == pytest.approx(t["noise_offset_A"], abs=0.03 * t["noise_rms_A"] * 10)
    assert current.max() < t["noise_offset_A"] + 6 * t["noise_rms_A"]
    assert np.abs(_load(root, t, "current_clean_file")).max() == 0


def test_drift_shift_relates_masks(study):
    _, truth = study
    root = study[0].parent
    first = _load(root, truth["scans"]["1.5K"], "mask_file")
    t8 = truth["scans"]["8K"]
    dy, dx = t8["shift_px"]
    assert max(abs(dy), abs(dx)) <= 4
    m8 = _load(root, t8, "mask_file")
    moved = np.roll(first, (dy, dx), axis=(0, 1))
    inner = (slice(8, -8), slice(8, -8))
    # Every region conducting at 8 K conducts at 1.5 K, at the drifted position.
    assert not (m8[inner] & ~moved[inner]).any()


def test_spots_at_20K_differ_between_traces(study):
    _, t, root = _scan(study, "20K")
    spots = t["spots"]
    assert t["region_count"] == 0 and t["states_A"] == []
    fwd, bwd = _load(root, t, "mask_file"), _load(root, t, "mask_backward_file")
    assert spots["count_forward"] == ndimage.label(fwd)[1]
    assert spots["count_backward"] == ndimage.label(bwd)[1]
    assert spots["count_forward"] > 0
    assert (fwd != bwd).any()
    assert 0 <= spots["persistence"] < 1
    assert spots["diameter_m"] == pytest.approx(75e-9)
    clean = _load(root, t, "current_clean_file")
    for y, x in spots["forward_px"]:
        assert clean[int(round(y)), int(round(x))] > 0.8 * spots["current_A"]
    # Dot area: a disk of ~2.5 px radius (~20 px), in the clean map above half the dot current.
    lab, n = ndimage.label(clean > 0.5 * spots["current_A"])
    areas = np.bincount(lab.ravel())[1:]
    assert np.median(areas) == pytest.approx(np.pi * 2.5 ** 2, rel=0.3)


def test_local_tc_map_and_temperature_series(study):
    path, truth = study
    root = path.parent
    tc = np.load(root / truth["local_tc"]["tc_map_file"])
    m15 = _load(root, truth["scans"]["1.5K"], "mask_file")
    assert np.array_equal(np.isfinite(tc), m15)
    assert np.nanmax(tc) < 30 and np.nanmin(tc) > 1.5
    # Pixels whose local Tc is above 8 K are exactly those of the 8 K mask (drift removed).
    dy, dx = truth["scans"]["8K"]["shift_px"]
    m8 = np.roll(_load(root, truth["scans"]["8K"], "mask_file"), (-dy, -dx), axis=(0, 1))
    inner = (slice(8, -8), slice(8, -8))
    assert m8[inner].mean() <= m15[inner].mean()
    assert np.array_equal((tc > 8)[inner], m8[inner])


def test_recooling_truth(study):
    _, truth = study
    r = truth["recooling"]
    assert 0.6 < r["jaccard"] < 0.99
    assert r["retained"] + r["lost"] == pytest.approx(1.0)
    assert r["jaccard"] == pytest.approx(r["retained"] / (1 + r["gained"]))


def test_noise_analysis_recovers_truth(study):
    """The foundation's noise estimate and default mask agree with the truth of every scan."""
    from scprobe.analysis.noise import conducting_mask, noise_stats

    path, truth = study
    for label, t in truth["scans"].items():
        scan = open_scan(path.parent / t["files"][0])
        current = scan["current"].sel(direction="forward").values
        noise = noise_stats(current)
        assert noise.noise_rms_A == pytest.approx(t["noise_rms_A"], rel=0.05), label
        assert noise.noise_offset_A == pytest.approx(t["noise_offset_A"], abs=0.1 * t["noise_rms_A"]), label
        mask, _ = conducting_mask(current)
        truth_mask = np.load(path.parent / t["mask_file"])
        # A 5-sigma threshold sits in the PSF tail: the measured mask is the geometric one plus a rim
        # (regions just outside the field also leak their tail into the border pixels).
        inner = (slice(4, -4), slice(4, -4))
        assert not (truth_mask & ~mask).any(), label
        far = ndimage.distance_transform_edt(~truth_mask) > 4
        assert (mask & far)[inner].sum() <= 3, label
