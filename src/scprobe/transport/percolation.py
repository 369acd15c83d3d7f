"""Percolation: site thresholds (Newman-Ziff), map statistics, correlated Gaussian fields.

:func:`percolation_threshold` runs the Newman & Ziff (2000, 2001) sweep: sites are added in random
order and joined to occupied neighbours by union-find with path compression, until a cluster
touches both end planes along axis 0; the occupied fraction at that moment is the realisation's
threshold (the sweep is O(N) per realisation, written in plain Python lists because numba is not
available).  :func:`map_statistics` measures the area fraction and the two-point correlation of a
superconducting mask; :func:`gaussian_field` draws Gaussian random fields with the anisotropic
correlation that, thresholded to the same fraction, reproduces it (docs/physics.md, "Percolation").
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
from scipy import integrate, ndimage
from scipy.optimize import brentq
from scipy.special import ndtri

from scprobe.errors import ParameterError
from scprobe.results import Result, quantity

_INV_E = math.exp(-1.0)


def _neighbour_table(shape: tuple) -> list[list[int]]:
    """Nearest neighbours of every site of a grid (flat indices), as Python lists for the sweep."""
    n = int(np.prod(shape))
    idx = np.arange(n).reshape(shape)
    out = [[] for _ in range(n)]
    for axis in range(len(shape)):
        lo = tuple(slice(None, -1) if a == axis else slice(None) for a in range(len(shape)))
        hi = tuple(slice(1, None) if a == axis else slice(None) for a in range(len(shape)))
        for a, b in zip(idx[lo].ravel().tolist(), idx[hi].ravel().tolist()):
            out[a].append(b)
            out[b].append(a)
    return out


def first_spanning(order: np.ndarray, shape: tuple, axis: int = 0, neighbours=None) -> int:
    """Number of sites occupied, in ``order``, when a cluster first joins both end planes of ``axis``.

    Newman-Ziff sweep with union-find (path halving).  Returns ``N + 1`` when nothing spans
    (only possible for grids one site long along ``axis``, which are refused).
    """
    if shape[axis] < 2:
        raise ParameterError(f"a grid needs at least 2 sites along axis {axis} to span")
    nbrs = neighbours if neighbours is not None else _neighbour_table(shape)
    coord = np.unravel_index(np.arange(int(np.prod(shape))), shape)[axis]
    first = (coord == 0).tolist()
    last = (coord == shape[axis] - 1).tolist()
    parent = [-1] * len(nbrs)
    for count, site in enumerate(np.asarray(order).tolist(), start=1):
        parent[site] = site
        root = site
        for nb in nbrs[site]:
            if parent[nb] < 0:
                continue
            r = nb
            while parent[r] != r:
                parent[r] = parent[parent[r]]
                r = parent[r]
            if r != root:
                parent[r] = root
                first[root] = first[root] or first[r]
                last[root] = last[root] or last[r]
        if first[root] and last[root]:
            return count
    return len(nbrs) + 1


def percolation_threshold(shape, realizations: int = 20, seed: int = 0) -> tuple[float, float]:
    """Site-percolation threshold of a square (2-D) or simple cubic (3-D) grid by Newman-Ziff.

    Parameters
    ----------
    shape : tuple of int
        Grid shape; its length selects the lattice.
    realizations : int
        Number of random orders.
    seed : int
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    mean, stderr : float
        Mean over realisations of the occupied fraction at which a cluster first spans along
        axis 0, and its standard error.  On an L x L square grid the finite-size shift is below
        1e-3 for L >= 128; on a simple cubic grid of side L it is about +0.25 / L.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) not in (2, 3) or min(shape) < 2:
        raise ParameterError(f"shape must be 2-D or 3-D with every side >= 2, got {shape}")
    if realizations < 2:
        raise ParameterError("need at least 2 realizations for a standard error")
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    nbrs = _neighbour_table(shape)
    p = np.array([first_spanning(rng.permutation(n), shape, 0, nbrs) / n for _ in range(realizations)])
    return float(p.mean()), float(p.std(ddof=1) / math.sqrt(realizations))


@dataclass(frozen=True)
class MapStatistics(Result):
    """Area fraction and two-point correlation of a superconducting mask (lengths in m)."""

    area_fraction: float = quantity("1")
    correlation_length_along_m: float = quantity("m")
    correlation_length_across_m: float = quantity("m")
    orientation_deg: float = quantity("deg")


def autocorrelation(mask: np.ndarray) -> np.ndarray:
    """Normalised two-point correlation of an indicator, ``rho(dy, dx)``, centred (no wrap-around).

    ``rho = <(m(r) - f)(m(r + d) - f)> / (f (1 - f))`` over the overlapping pixels of each lag.
    """
    m = np.asarray(mask, dtype=float)
    f = m.mean()
    a = m - f
    shape = [2 * s for s in m.shape]
    spec = scipy.fft.rfftn(a, shape)
    ones = scipy.fft.rfftn(np.ones(m.shape), shape)
    num = scipy.fft.irfftn(np.abs(spec) ** 2, shape)
    cnt = scipy.fft.irfftn(np.abs(ones) ** 2, shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = num / np.maximum(cnt, 0.5) / (f * (1 - f))
    return scipy.fft.fftshift(rho)


def map_statistics(mask: np.ndarray, pixel_size_m: tuple[float, float] = (1.0, 1.0)) -> MapStatistics:
    """Area fraction, correlation lengths along and across the stripes, and stripe orientation.

    The correlation length along a direction is where the normalised indicator correlation first
    falls to 1/e; the directions are the principal axes of the correlation peak (its second
    moments over the lags where ``rho > 1/e``), ``along`` the longer.  ``orientation_deg`` is the
    angle of the along axis from +x, counter-clockwise as the map is displayed (row 0 on top).
    """
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2 or min(m.shape) < 4:
        raise ParameterError(f"map statistics need a 2-D mask of at least 4 x 4 pixels, got {m.shape}")
    f = float(m.mean())
    if f in (0.0, 1.0):
        return MapStatistics(f, math.nan, math.nan, math.nan)
    dy, dx = pixel_size_m
    rho = autocorrelation(m)
    cy, cx = (s // 2 for s in rho.shape)
    core, _ = ndimage.label(rho > _INV_E)
    peak = core == core[cy, cx]
    yy, xx = np.nonzero(peak)
    w = rho[yy, xx]
    # physical lags with y pointing up on the displayed map
    ly, lx = -(yy - cy) * dy, (xx - cx) * dx
    cov = np.array([[np.sum(w * lx * lx), np.sum(w * lx * ly)], [np.sum(w * lx * ly), np.sum(w * ly * ly)]])
    evals, evecs = np.linalg.eigh(cov)
    lengths = []
    for k in (1, 0):
        ux, uy = evecs[:, k]
        lengths.append(_decay_length(rho, (cy, cx), (ux, uy), (dy, dx)))
    ux, uy = evecs[:, 1]
    angle = math.degrees(math.atan2(uy, ux)) % 180.0
    along, across = lengths
    if across > along:  # the principal axes of the peak and the 1/e crossings can disagree for round spots
        along, across = across, along
        angle = (angle + 90.0) % 180.0
    return MapStatistics(f, along, across, angle)


def _decay_length(rho, centre, direction, pitch) -> float:
    """Distance (m) along a unit direction (x, y-up) where ``rho`` first drops to 1/e (linear interpolation)."""
    ux, uy = direction
    dy, dx = pitch
    step = 0.25 * min(dy, dx)
    rmax = 0.5 * min(rho.shape[0] * dy, rho.shape[1] * dx)
    r = np.arange(0.0, rmax, step)
    rows = centre[0] - r * uy / dy
    cols = centre[1] + r * ux / dx
    vals = ndimage.map_coordinates(rho, [rows, cols], order=1, mode="nearest")
    below = np.flatnonzero(vals <= _INV_E)
    if below.size == 0:
        return math.inf
    i = below[0]
    if i == 0:
        return 0.0
    v0, v1 = vals[i - 1], vals[i]
    return float(r[i - 1] + (v0 - _INV_E) / (v0 - v1) * step)


def indicator_to_field_length(fraction: float) -> float:
    """Ratio ``xi / l`` of the Gaussian correlation length to the 1/e length of its thresholded indicator.

    A unit Gaussian field with correlation ``exp(-r^2 / (2 xi^2))`` thresholded to an area fraction
    ``f`` has indicator correlation ``rho_I = (P11(rho) - f^2) / (f (1 - f))`` with
    ``dP11 / drho = exp(-t^2 / (1 + rho)) / (2 pi sqrt(1 - rho^2))`` (bivariate normal, threshold
    ``t``); ``rho_I = 1/e`` at ``rho*`` gives ``l = xi sqrt(-2 ln rho*)``.
    """
    if not 0 < fraction < 1:
        raise ParameterError(f"area fraction must be in (0, 1), got {fraction!r}")
    t = float(ndtri(1.0 - fraction))

    def rho_i(rho):
        val, _ = integrate.quad(lambda r: math.exp(-t * t / (1 + r)) / (2 * math.pi * math.sqrt(1 - r * r)), 0, rho)
        return val / (fraction * (1 - fraction))

    rho_star = brentq(lambda r: rho_i(r) - _INV_E, 1e-9, 1 - 1e-12)
    return 1.0 / math.sqrt(-2.0 * math.log(rho_star))


def gaussian_field(shape: tuple, lengths_px: tuple, angle_deg: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance periodic Gaussian random field with correlation ``exp(-r^2 / (2 xi^2))`` per axis.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` or ``(nz, ny, nx)``.
    lengths_px : tuple of float
        ``(xi_along, xi_across)`` in the plane, plus ``xi_z`` for 3-D, in cells.
    angle_deg : float
        Direction of ``xi_along`` from +x, counter-clockwise as displayed (row 0 on top).
    rng : numpy.random.Generator
    """
    freqs = [2 * np.pi * scipy.fft.fftfreq(n) for n in shape[:-1]] + [2 * np.pi * scipy.fft.rfftfreq(shape[-1])]
    grids = np.meshgrid(*freqs, indexing="ij", sparse=True)
    ky, kx = -grids[-2], grids[-1]  # y up on the display
    th = math.radians(angle_deg)
    k_al = kx * math.cos(th) + ky * math.sin(th)
    k_ac = -kx * math.sin(th) + ky * math.cos(th)
    expo = lengths_px[0] ** 2 * k_al ** 2 + lengths_px[1] ** 2 * k_ac ** 2
    if len(shape) == 3:
        expo = expo + lengths_px[2] ** 2 * grids[0] ** 2
    amp = np.exp(-expo / 4.0)
    noise = scipy.fft.rfftn(rng.standard_normal(shape))
    field = scipy.fft.irfftn(noise * amp, shape)
    return (field - field.mean()) / field.std()
