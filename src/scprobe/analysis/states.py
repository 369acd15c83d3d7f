"""Conductance states: a Gaussian mixture on log10 current of plateau pixels, size chosen by BIC.

Plateau pixels are conducting pixels away from every edge (at least ``2.5 sigma``
of the edge response inside) whose relative current gradient is
small, so neither region edges nor the blurred boundaries between two states
inside a region bias the levels.  The mixture is fitted by expectation-
maximisation (a few dozen lines of numpy); the Bayesian information criterion
picks the number of components among those whose components are resolved
(means at least two standard deviations apart, weights >= 2 %).  Each state's
current is the responsibility-weighted mean of the linear current.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from scprobe.analysis.regions import block_filter

MAX_STATES = 4
MIN_WEIGHT = 0.02
MAX_SAMPLES = 200_000
HIST_BINS = 2048
MIN_PLATEAU_PX = 20


@dataclass(frozen=True)
class Mixture:
    """1-D Gaussian mixture on log10 current (decades), components sorted by mean, descending."""

    means: np.ndarray
    sds: np.ndarray
    weights: np.ndarray
    bic: float

    def responsibilities(self, v: np.ndarray) -> np.ndarray:
        logp = (np.log(self.weights)[None, :] - np.log(self.sds)[None, :]
                - 0.5 * ((v[:, None] - self.means[None, :]) / self.sds[None, :]) ** 2)
        logp -= logp.max(axis=1, keepdims=True)
        p = np.exp(logp)
        return p / p.sum(axis=1, keepdims=True)


def _histogram(v: np.ndarray, bins: int = HIST_BINS) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return np.array([lo]), np.array([float(v.size)])
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    keep = counts > 0
    return (0.5 * (edges[:-1] + edges[1:]))[keep], counts[keep].astype(float)


def fit_mixture(v: np.ndarray, k: int, n_iter: int = 500, tol: float = 1e-10) -> Mixture:
    """EM fit of a ``k``-component 1-D Gaussian mixture, initialised at quantiles (deterministic).

    The values are binned (:data:`HIST_BINS` bins over their range, far narrower than
    any state's spread), so the cost does not grow with the number of pixels.
    """
    v = np.asarray(v, dtype=float)
    x, w = _histogram(v)
    n = float(w.sum())
    means = np.quantile(v, (np.arange(k) + 0.5) / k)
    spread = max(float(np.std(v)), 1e-12)
    sds = np.full(k, spread / k)
    weights = np.full(k, 1.0 / k)
    floor = max((x[-1] - x[0]) / HIST_BINS, 1e-9)
    prev = -np.inf
    loglik = -np.inf
    for _ in range(n_iter):
        logp = (np.log(weights)[None, :] - np.log(sds)[None, :] - 0.5 * np.log(2 * np.pi)
                - 0.5 * ((x[:, None] - means[None, :]) / sds[None, :]) ** 2)
        top = logp.max(axis=1, keepdims=True)
        norm = top[:, 0] + np.log(np.exp(logp - top).sum(axis=1))
        loglik = float((w * norm).sum())
        resp = np.exp(logp - norm[:, None]) * w[:, None]
        nk = resp.sum(axis=0) + 1e-12
        weights = nk / n
        means = (resp * x[:, None]).sum(axis=0) / nk
        sds = np.sqrt(np.maximum((resp * (x[:, None] - means[None, :]) ** 2).sum(axis=0) / nk, floor ** 2))
        if loglik - prev < tol * abs(loglik):
            break
        prev = loglik
    order = np.argsort(means)[::-1]
    bic = -2 * loglik + (3 * k - 1) * np.log(n)
    return Mixture(means[order], sds[order], weights[order], float(bic))


def _resolved(m: Mixture) -> bool:
    if np.any(m.weights < MIN_WEIGHT):
        return False
    gaps = -np.diff(m.means)
    return bool(np.all(gaps >= 2 * np.maximum(m.sds[:-1], m.sds[1:])))


def select_mixture(v: np.ndarray, max_states: int = MAX_STATES) -> Mixture:
    """Lowest-BIC mixture with 1..max_states resolved components."""
    best = fit_mixture(v, 1)
    for k in range(2, max_states + 1):
        m = fit_mixture(v, k)
        if _resolved(m) and m.bic < best.bic:
            best = m
    return best


def plateau_pixels(current: np.ndarray, regions: np.ndarray, sigma_m: float,
                   pixel_size_m: tuple[float, float]) -> np.ndarray:
    """Region pixels at least ``2.5 sigma`` (else ``2 sigma``) inside every edge, with a small relative gradient.

    At ``2 sigma`` inside a blurred edge the current is within 2.3 % of the plateau;
    regions too small or too blurred for that contribute no plateau pixels.
    """
    dy, dx = pixel_size_m
    core = np.zeros(regions.shape, dtype=bool)
    iy, ix = np.nonzero(regions)
    inside = np.zeros(iy.size, dtype=bool)
    for depth, exact in ((2.5, False), (2.5, True), (2.0, True)):
        radius = (int(np.ceil(depth * sigma_m / dy)), int(np.ceil(depth * sigma_m / dx)))
        if exact:  # rectangle erosion, exact radius: only needed for small or strongly blurred regions
            eroded = ndimage.minimum_filter(regions.view(np.uint8), size=(2 * radius[0] + 1, 2 * radius[1] + 1),
                                            mode="constant")
            inside = eroded[iy, ix] > 0
        else:  # block erosion (radius r to 4/3 r): a few passes even on 4096^2 maps
            blocks, by, bx = block_filter(regions.view(np.uint8), radius, np.minimum, 0)
            inside = blocks[iy // by, ix // bx] > 0
        if inside.sum() >= MIN_PLATEAU_PX:
            break
    iy, ix = iy[inside], ix[inside]
    if iy.size == 0:
        return core
    ny, nx = current.shape
    gx = current[iy, np.minimum(ix + 1, nx - 1)] - current[iy, np.maximum(ix - 1, 0)]
    gy = current[np.minimum(iy + 1, ny - 1), ix] - current[np.maximum(iy - 1, 0), ix]
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = 0.5 * np.hypot(gx, gy) / np.abs(current[iy, ix])
    ok = np.isfinite(rel)
    if not ok.any():
        return np.zeros(regions.shape, dtype=bool)
    ok &= rel <= max(3 * float(np.median(rel[ok])), 1e-3)
    out = np.zeros(regions.shape, dtype=bool)
    out[iy[ok], ix[ok]] = True
    return out


def conductance_states(current: np.ndarray, plateau: np.ndarray, seed: int = 0):
    """States of the plateau currents.

    Returns
    -------
    states : list of dict
        ``{"current_A", "fraction"}`` per state, highest current first; fraction of plateau pixels.
    mixture : Mixture or None
        The chosen mixture on log10(current / A), for figures.
    """
    vals = current[plateau]
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size < 20:
        return [], None
    if vals.size > MAX_SAMPLES:
        vals = np.random.default_rng(seed).choice(vals, MAX_SAMPLES, replace=False)
    logv = np.log10(vals)
    mix = select_mixture(logv)
    resp = mix.responsibilities(logv)
    level = (resp * vals[:, None]).sum(axis=0) / resp.sum(axis=0)
    states = [{"current_A": float(c), "fraction": float(w)} for c, w in zip(level, mix.weights)]
    return states, mix
