"""Contact regimes, junction resistance of sub-resolution dots, maps without an insulating reference."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from scprobe.analysis import analyze_map, region_mask
from scprobe.analysis.contact import contact_resistance, sharvin_resistance, wexler_gamma
from scprobe.analysis.psf import blurred_disc, fit_dot
from scprobe.errors import ParameterError
from scprobe.io import open_scan
from scprobe.scan import make_scan
from scprobe.transport import four_probe


def test_maxwell_and_sharvin_side_by_side():
    rho, a = 3e-6, 10e-9
    diffusive = contact_resistance(18.2e3, rho, a)
    assert diffusive.maxwell_ohm == pytest.approx(75.0) and diffusive.sharvin_ohm is None
    assert diffusive.regime == "diffusive (assumed)" and "normal-state" in diffusive.assumption
    assert diffusive.contact_limited is True
    # l = 1 nm << a: Wexler tends to Maxwell (Gamma -> 1) plus a small Sharvin term
    short = contact_resistance(18.2e3, rho, a, mean_free_path_m=1e-9)
    assert short.regime == "diffusive" and short.knudsen_ratio == pytest.approx(0.1)
    assert short.sharvin_ohm == pytest.approx(4 * rho * 1e-9 / (3 * math.pi * a * a))
    assert short.wexler_ohm == pytest.approx(short.sharvin_ohm + wexler_gamma(0.1) * 75.0)
    # l = 1 um >> a: ballistic, dominated by Sharvin
    long = contact_resistance(18.2e3, rho, a, mean_free_path_m=1e-6)
    assert long.regime == "ballistic"
    assert long.sharvin_ohm == pytest.approx(sharvin_resistance(rho, 1e-6, a))
    assert long.wexler_ohm / long.sharvin_ohm == pytest.approx(1.0, abs=0.02)
    assert wexler_gamma(0.0) == 1.0 and wexler_gamma(1e12) == pytest.approx(0.83 / 1.33)
    units = long.units()
    assert units["maxwell_ohm"] == "Ohm" and units["knudsen_ratio"] == "1" and units["regime"] == ""


def test_blurred_disc_limits():
    # centre of a disc of radius R through a Gaussian: 1 - exp(-R^2 / 2 sigma^2)
    assert blurred_disc(0.0, 2.0, 1.0) == pytest.approx(1 - math.exp(-2.0))
    # far outside: nothing; large disc: the plateau
    assert blurred_disc(20.0, 2.0, 1.0) < 1e-12 and blurred_disc(0.0, 20.0, 1.0) == pytest.approx(1.0)


def test_fit_dot_recovers_level_of_exact_blurred_disc():
    rng = np.random.default_rng(2)
    yy, xx = np.mgrid[0:21, 0:21]
    r = np.hypot(yy - 10.25, xx - 9.55)  # pixel i samples the fine grid at i + 0.55
    # convolution of a disc (R = 1.5 px) with a Gaussian (sigma = 1 px) on a 10x finer grid,
    # sampled at the pixel centres (the tip measures the current where it stands)
    fine = np.zeros((210, 210))
    fy, fx = np.mgrid[0:210, 0:210]
    fine[np.hypot((fy + 0.5) / 10 - 10.8, (fx + 0.5) / 10 - 10.1) <= 1.5] = 1.0
    img = ndimage.gaussian_filter(fine, 10.0)[5::10, 5::10]
    cur = 2e-6 * img + 1e-11 + rng.normal(0, 2e-11, img.shape)
    # a sub-resolution dot: the brightest pixel holds well below its plateau current
    assert cur.max() < 0.75 * 2e-6
    fit = fit_dot(cur, (10, 10), offset_A=1e-11, sigma_px=1.0)
    assert fit.level_A == pytest.approx(2e-6, rel=0.03)
    assert fit.radius_px == pytest.approx(1.5, rel=0.05)
    assert np.hypot(fit.centre_px[0] - 10.25, fit.centre_px[1] - 9.55) < 0.02
    assert r.min() < 1  # the window is centred on the dot


def test_junction_resistance_of_dots_against_truth(study):
    """20 K: only metastable dots conduct; R_j from their PSF-fitted current (truth 0.05 V / 1 uA)."""
    root, truth = study
    t = truth["scans"]["20K"]
    current = next(f for f in t["files"] if "current" in f and "fwd" in f)
    r = analyze_map(open_scan(root / current))
    true_rj = t["bias_V"] / t["spots"]["current_A"]
    assert r.states == [] and r.junction_source == "spots"
    assert r.junction_resistance_ohm == pytest.approx(true_rj, rel=0.03)  # measured 0.4 % at 512 px
    # the mean over the blurred spot pixels overestimates it (the old estimate)
    spots = [it for it in r.regions.items if it.kind == "spot" and not it.touches_border]
    assert np.median([t["bias_V"] / it.mean_current_A for it in spots]) > 1.1 * true_rj
    assert all(it.peak_current_A == pytest.approx(t["spots"]["current_A"], rel=0.1) for it in spots)


def test_uniformly_superconducting_map_is_flagged():
    rng = np.random.default_rng(0)
    cur = 1e-6 * (1 + 0.01 * rng.standard_normal((64, 64)))
    scan = make_scan({"current": cur}, 15e-9, bias_V=0.1)
    r = analyze_map(scan)
    assert "no non-conducting reference" in r.reference_note
    assert r.conducting_fraction is None and r.to_dict()["conducting_fraction"] is None
    with pytest.raises(ParameterError, match="no non-conducting reference"):
        four_probe(scan)
    # a given threshold is a reference: every pixel conducts
    r = analyze_map(scan, threshold_A=1e-8)
    assert r.reference_note == "" and r.conducting_fraction == 1.0
    # an ordinary map is not flagged
    cur2 = np.where(np.arange(64)[None, :] < 20, 1e-6, 0.0) + 2e-11 * rng.standard_normal((64, 64))
    assert region_mask(cur2, (15e-9, 15e-9)).reference_note == ""
