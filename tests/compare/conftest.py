"""Synthetic scans with known shifts, masks, spots and local Tc for the compare tests.

Every field is generated on a padded canvas and shifted in Fourier space before
cropping, so the shifted scan is a genuinely different (non-periodic) window of
one surface, as in an experiment.
"""
from __future__ import annotations

import types

import numpy as np
import pytest
from scipy import ndimage

from scprobe.scan import make_scan

PIXEL_M = 15e-9
PAD = 24


def smooth_field(shape, rng, sigma):
    """Zero-mean, unit-variance Gaussian random field with correlation length ~sigma px."""
    f = ndimage.gaussian_filter(rng.normal(size=shape), sigma, mode="wrap")
    return (f - f.mean()) / f.std()


def fourier_shift(image, shift):
    """Move the content of ``image`` by ``shift`` = (dy, dx) px (periodic)."""
    return np.fft.ifft2(ndimage.fourier_shift(np.fft.fft2(image), shift)).real


def crop(canvas, shape):
    return canvas[PAD:PAD + shape[0], PAD:PAD + shape[1]]


def terraces(shape, rng):
    """Canvas of a terraced, tilted surface (m): 0.6 nm steps, 4 nm tilt, fine roughness."""
    big = (shape[0] + 2 * PAD, shape[1] + 2 * PAD)
    steps = np.floor(3 * smooth_field(big, rng, 12)) * 0.6e-9
    y, x = np.mgrid[0:big[0], 0:big[1]]
    tilt = 4e-9 * (0.6 * x / big[1] + 0.3 * y / big[0])
    rough = 0.15e-9 * smooth_field(big, rng, 1.5)
    return steps + tilt + rough


def region_field(shape, rng, sigma=8):
    """Canvas of a smooth field whose upper tail marks conducting regions."""
    big = (shape[0] + 2 * PAD, shape[1] + 2 * PAD)
    return smooth_field(big, rng, sigma)


def current_from_mask(mask, rng, on_A=5e-6, noise_A=2e-11):
    """Current map: ``on_A`` inside the mask (edges sharper than a pixel, as measured), noise outside."""
    return on_A * mask + rng.normal(0, noise_A, mask.shape)


def scan(topo, current, *, temperature_K=8.0, pixel_m=PIXEL_M, backward=None):
    """A Scan with topography, current (and deflection); ``backward`` = (topo, current)."""
    defl = 0.5 + 0.01 * ndimage.gaussian_filter(topo / 1e-9, 1.0)
    if backward is None:
        return make_scan({"topography": topo, "current": current, "deflection": defl}, pixel_m,
                         temperature_K=temperature_K, bias_V=0.1)
    tb, cb = backward
    db = 0.5 + 0.01 * ndimage.gaussian_filter(tb / 1e-9, 1.0)
    return make_scan({"topography": np.stack([topo, tb]), "current": np.stack([current, cb]),
                      "deflection": np.stack([defl, db])}, pixel_m, directions=("forward", "backward"),
                     temperature_K=temperature_K, bias_V=0.1)


def shifted_pair(shape=(128, 128), shift=(3.4, -5.7), seed=0, topo_noise_m=0.03e-9, level_b=0.8):
    """Two scans of one surface, ``b`` displaced by ``shift`` px; conducting where a smooth field
    exceeds 0.8 (``a``) or ``level_b`` (``b``, e.g. regions shrunk after re-cooling).
    Returns (a, b, truth dict)."""
    rng = np.random.default_rng(seed)
    canvas = terraces(shape, rng)
    regions = region_field(shape, rng, sigma=14)
    level = 0.8
    za = crop(canvas, shape) + rng.normal(0, topo_noise_m, shape)
    zb = crop(fourier_shift(canvas, shift), shape) + rng.normal(0, topo_noise_m, shape)
    ma = crop(regions, shape) > level
    mb = crop(fourier_shift(regions, shift), shape) > level_b
    a = scan(za, current_from_mask(ma, rng))
    b = scan(zb, current_from_mask(mb, rng))
    return a, b, {"shift": np.array(shift), "mask_a": ma, "mask_b_in_a": crop(regions, shape) > level_b}


def spot_canvas(shape, rng, n, diameter_px, taken=None):
    """Centres (canvas px) of ``n`` non-overlapping spots, at least 2 diameters apart."""
    centres = [] if taken is None else list(taken)
    out = []
    while len(out) < n:
        c = rng.uniform(PAD + diameter_px, np.array(shape) + PAD - diameter_px)
        if all(np.hypot(*(c - o)) > 2.2 * diameter_px for o in centres):
            centres.append(c)
            out.append(c)
    return np.array(out).reshape(-1, 2)


def disks(shape, centres, diameter_px, supersample=4):
    """Area coverage (0..1) of disks of ``diameter_px`` at ``centres`` (crop frame, px)."""
    ny, nx = shape
    y = (np.arange(ny * supersample) + 0.5) / supersample - 0.5
    x = (np.arange(nx * supersample) + 0.5) / supersample - 0.5
    img = np.zeros((ny * supersample, nx * supersample))
    r = diameter_px / 2
    for cy, cx in centres:
        ys = slice(max(0, int((cy - r - 1) * supersample)), int((cy + r + 2) * supersample))
        xs = slice(max(0, int((cx - r - 1) * supersample)), int((cx + r + 2) * supersample))
        yy, xx = np.meshgrid(y[ys], x[xs], indexing="ij")
        img[ys, xs] += (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    return np.clip(img.reshape(ny, supersample, nx, supersample).mean(axis=(1, 3)), 0, 1)


def metastable_scan(shape=(160, 160), n_spots=30, persistent=18, diameter_m=75e-9, seed=3,
                    drift_px=(0.0, 0.6)):
    """One scan with forward and backward traces at 20 K: ``persistent`` spots in both traces,
    the rest re-placed at random in the backward trace; backward displaced by ``drift_px``."""
    rng = np.random.default_rng(seed)
    d_px = diameter_m / PIXEL_M
    canvas = terraces(shape, rng)
    fwd = spot_canvas(shape, rng, n_spots, d_px)
    new = spot_canvas(shape, rng, n_spots - persistent, d_px, taken=fwd)
    bwd = np.concatenate([fwd[:persistent], new]) + np.array(drift_px)
    za = crop(canvas, shape) + rng.normal(0, 0.03e-9, shape)
    zb = crop(fourier_shift(canvas, drift_px), shape) + rng.normal(0, 0.03e-9, shape)

    def current(centres):
        cov = disks(shape, centres - PAD, d_px)
        return 2e-7 * ndimage.gaussian_filter(cov, 0.5) + rng.normal(0, 2e-11, shape)

    s = scan(za, current(fwd), temperature_K=20.0, backward=(zb, current(bwd)))
    return s, {"fwd": fwd - PAD, "bwd": bwd - PAD, "persistence": persistent / n_spots,
               "diameter_m": diameter_m, "drift": np.array(drift_px)}


def tc_series(shape=(128, 128), temperatures=(4, 6, 8, 10, 12, 14, 16, 18, 20, 30), seed=5,
              max_shift=2.5):
    """Scans of one area at several temperatures with a smooth local Tc field (K); each scan
    is displaced by a random sub-pixel shift.  Returns (scans, truth dict)."""
    rng = np.random.default_rng(seed)
    canvas = terraces(shape, rng)
    # conducting where the local Tc exceeds the temperature: a minority of the area, as in
    # the experiment, with Tc up to ~20 K
    tc_canvas = 5.0 + 6.0 * smooth_field(canvas.shape, rng, 10)
    shifts = [np.zeros(2)] + [rng.uniform(-max_shift, max_shift, 2) for _ in temperatures[1:]]
    scans = []
    for t, s in zip(temperatures, shifts):
        z = crop(fourier_shift(canvas, s), shape) + rng.normal(0, 0.03e-9, shape)
        mask = crop(fourier_shift(tc_canvas, s), shape) > t
        scans.append(scan(z, current_from_mask(mask, rng), temperature_K=float(t)))
    return scans, {"tc": crop(tc_canvas, shape), "shifts": np.array(shifts),
                   "temperatures": np.array(temperatures, dtype=float)}


def write_bcr(scan, folder, base):
    """Write a Scan as Daisy does (one BCRF per channel and trace); returns the forward current file."""
    from scprobe.io import bcr

    folder.mkdir(parents=True, exist_ok=True)
    ny, nx = scan.sizes["y"], scan.sizes["x"]
    px = scan.attrs["pixel_size_m"]
    dirs = [str(d) for d in scan["direction"].values] if "direction" in scan.dims else ["forward"]
    header = {} if not np.isfinite(scan.attrs["temperature_K"]) else {"temperature": scan.attrs["temperature_K"]}
    for name, unit in (("topography", "m"), ("current", "A"), ("deflection", "V")):
        for d in dirs:
            arr = scan[name].sel(direction=d).values if "direction" in scan.dims else scan[name].values
            tag = {"forward": "fwd", "backward": "bwd"}[d]
            bcr.write(arr, folder / f"{base}-{name}-{tag}.bcrf", (ny * px, nx * px), unit, header=header)
    return folder / f"{base}-current-fwd.bcrf"


@pytest.fixture(scope="session")
def synth():
    """Namespace of the synthetic-data generators above."""
    return types.SimpleNamespace(shifted_pair=shifted_pair, metastable_scan=metastable_scan, tc_series=tc_series,
                                 scan=scan, terraces=terraces, crop=crop, fourier_shift=fourier_shift,
                                 current_from_mask=current_from_mask, region_field=region_field, write_bcr=write_bcr,
                                 PIXEL_M=PIXEL_M)
