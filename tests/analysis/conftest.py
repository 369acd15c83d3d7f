"""Synthetic current maps with known truth for the analysis tests.

Conducting shapes are discs and capsules (stripes) whose signed distance to the
boundary is exact, so the blurred current ``level * Phi(d / sigma)`` is the exact
Gaussian-PSF image of a sharp region (PHYSICS.md, "Edges").
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import ndtr

from scprobe.scan import make_scan


def _capsule_distance(x, y, p0, p1, half_width):
    """Signed distance (m, positive inside) to a capsule around segment p0-p1."""
    (x0, y0), (x1, y1) = p0, p1
    vx, vy = x1 - x0, y1 - y0
    t = np.clip(((x - x0) * vx + (y - y0) * vy) / max(vx * vx + vy * vy, 1e-300), 0, 1)
    return half_width - np.hypot(x - (x0 + t * vx), y - (y0 + t * vy))


def synthetic_map(shape=(160, 200), pixel_m=(15e-9, 15e-9), sigma_m=20e-9, seed=0,
                  states=(5.5e-6, 3.5e-6), noise_rms=25e-12, offset=20e-12, gain_noise=0.004,
                  n_discs=6, stripe=True, saturation=None, bias=0.1, topography=True):
    """Return ``(scan, truth)``; truth has fraction, region_count, states, edge_width_m, noise_rms_A."""
    rng = np.random.default_rng(seed)
    ny, nx = shape
    dy, dx = pixel_m
    y = (np.arange(ny)[:, None] + 0.5) * dy
    x = (np.arange(nx)[None, :] + 0.5) * dx
    d = np.full(shape, -np.inf)
    level = np.zeros(shape)
    shapes = []
    if stripe:
        p0 = (0.15 * nx * dx, 0.75 * ny * dy)
        p1 = (0.85 * nx * dx, 0.88 * ny * dy)
        shapes.append(("stripe", p0, p1, 5.0 * max(dx, dy)))
    tries = 0
    while len([s for s in shapes if s[0] == "disc"]) < n_discs and tries < 5000:
        tries += 1
        r = rng.uniform(5, 10) * max(dx, dy)
        c = (rng.uniform(r + 12 * dx, nx * dx - r - 12 * dx), rng.uniform(r + 12 * dy, 0.62 * ny * dy - r))
        # keep every pair of shapes >= 12 px apart
        far = all(np.hypot(c[0] - q[1][0], c[1] - q[1][1]) > r + q[3] + 12 * max(dx, dy)
                  for q in shapes if q[0] == "disc")
        if far:
            shapes.append(("disc", c, c, r))
    for k, (_, p0, p1, hw) in enumerate(shapes):
        dk = _capsule_distance(x, y, p0, p1, hw)
        lev = states[k % len(states)]
        closer = dk > d
        level = np.where(closer, lev, level)
        d = np.maximum(d, dk)
    clean = level * ndtr(d / sigma_m)
    cur = clean * (1 + gain_noise * rng.standard_normal(shape)) + offset + noise_rms * rng.standard_normal(shape)
    if saturation is not None:
        cur = np.clip(cur, -saturation, saturation)
    channels = {"current": cur}
    if topography:
        channels["topography"] = 1e-9 * rng.standard_normal(shape) + 2e-11 * x / dx
        channels["deflection"] = 1e-3 * rng.standard_normal(shape)
    scan = make_scan(channels, pixel_size_m=dx, pixel_size_y_m=dy, temperature_K=1.5, bias_V=bias)
    truth = {"fraction": float((d > 0).mean()), "region_count": len(shapes),
             "states": sorted({states[k % len(states)] for k in range(len(shapes))}, reverse=True),
             "edge_width_m": 2.5631031310892007 * sigma_m, "noise_rms_A": noise_rms, "noise_offset_A": offset,
             "clean": clean, "inside": d > 0}
    return scan, truth


@pytest.fixture(scope="session")
def synth():
    """The default synthetic map and its truth."""
    return synthetic_map()


@pytest.fixture(scope="session")
def synth_map():
    """Factory: ``synth_map(**kwargs) -> (scan, truth)``."""
    return synthetic_map


@pytest.fixture(scope="session")
def study(tmp_path_factory):
    """A small simulated study on disk: ``(folder, truth)``."""
    from scprobe import simulate

    out = tmp_path_factory.mktemp("study")
    toml = simulate.simulate_study(out, seed=0, size=192)
    return toml.parent, json.loads((toml.parent / "truth.json").read_text())
