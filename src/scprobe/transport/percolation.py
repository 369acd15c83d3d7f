"""Percolation: site thresholds, map statistics, correlated Gaussian fields.

:func:`percolation_threshold` answers what the Newman & Ziff (2000, 2001) sweep answers: sites are
added in random order until a cluster touches both end planes along axis 0, and the occupied
fraction at that moment is the realisation's threshold.  :func:`spanning_counts` finds that moment
by an exact bisection over the number of occupied sites, each step a cluster labelling in compiled
code, instead of the sweep's site-by-site union-find, which in plain Python (numba is not available)
took ten times as long.  :func:`map_statistics` measures the area fraction and the two-point
correlation of a superconducting mask; :func:`gaussian_field` draws Gaussian random fields with the
anisotropic correlation that, thresholded to the same fraction, reproduces it (docs/physics.md,
"Percolation").
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.sparse as sp
from scipy import integrate, ndimage
from scipy.optimize import brentq
from scipy.sparse.csgraph import connected_components
from scipy.special import ndtri

from scprobe.errors import ParameterError
from scprobe.results import Result, quantity

_INV_E = math.exp(-1.0)
#: Sites of the grids :func:`percolation_threshold` stacks into one call of :func:`spanning_counts`.
STACK_SITES = 2 ** 22


def _stacked(shape: tuple) -> np.ndarray:
    """Structure linking nearest neighbours within each grid of a stack (axis 0), never across grids."""
    structure = np.zeros((3,) * (len(shape) + 1), bool)
    structure[1] = ndimage.generate_binary_structure(len(shape), 1)
    return structure


def _faces(ndim: int, axis: int) -> tuple[tuple, tuple]:
    """Index expressions of the first and the last plane of grid ``axis`` in every grid of a stack."""
    first = (slice(None),) + tuple(0 if a == axis else slice(None) for a in range(ndim))
    last = (slice(None),) + tuple(-1 if a == axis else slice(None) for a in range(ndim))
    return first, last


def spanning_counts(ranks: np.ndarray, axis: int = 0) -> np.ndarray:
    """Number of sites occupied when a cluster first joins both end planes of ``axis``, per grid.

    Sites are occupied in increasing ``rank``; the answer is the count at which a nearest-neighbour
    cluster of occupied sites first touches the first and the last plane of ``axis``, as a
    Newman-Ziff sweep would stop.  Spanning is monotone in the occupied set, so the threshold is
    bracketed by bisection: first with :func:`scipy.ndimage.label` of the whole stack, until every
    bracket holds at most 1/64 of a grid's sites, then on the graph of the clusters occupied at the
    lower end and the sites inside the bracket (:func:`scipy.sparse.csgraph.connected_components`),
    which is a few per cent of the grid.  Every step is exact, so the count is the sweep's.

    Parameters
    ----------
    ranks : ndarray of int, shape (m, *grid)
        Occupation order of the sites of ``m`` grids (distinct within each grid; any integers, so
        the ranks of a larger grid restricted to a crop are valid).
    axis : int
        Grid axis (0 is the first axis after the stack axis) whose end planes must be joined.

    Returns
    -------
    ndarray of int, shape (m,)
    """
    r = np.asarray(ranks)
    shape = r.shape[1:]
    if r.ndim < 2 or not 0 <= axis < len(shape) or shape[axis] < 2:
        raise ParameterError(f"grids of shape {shape} have no two end planes along axis {axis}")
    m, nd = r.shape[0], len(shape)
    flat = r.reshape(m, -1)
    # threshold t occupies the sites of rank < t: nothing spans at the lowest rank, everything above the highest
    lo, hi = flat.min(axis=1), flat.max(axis=1) + 1
    column = (m,) + (1,) * nd
    structure = _stacked(shape)
    first, last = _faces(nd, axis)
    target = max(flat.shape[1] // 64, 1)
    while np.max(hi - lo) > target:
        mid = (lo + hi) // 2
        labels, n_labels = ndimage.label(r < mid.reshape(column), structure)
        top = np.zeros(n_labels + 1, bool)
        top[labels[first]] = True
        both = np.zeros(n_labels + 1, bool)
        both[labels[last]] = True
        both &= top
        both[0] = False
        spans = both[labels[first].reshape(m, -1)].any(axis=1)
        hi, lo = np.where(spans, mid, hi), np.where(spans, lo, mid)
    hi = _graph_bisection(r, lo, hi, structure, first, last)
    return np.count_nonzero(flat < hi[:, None], axis=1)


def _graph_bisection(r, lo, hi, structure, first, last) -> np.ndarray:
    """Finish the bisection of :func:`spanning_counts` on the graph of the bracket: the clusters
    occupied at ``lo`` (each one node, always present) and the sites of rank in ``[lo, hi)``."""
    m, nd = r.shape[0], r.ndim - 1
    column = (m,) + (1,) * nd
    clusters, n_clusters = ndimage.label(r < lo.reshape(column), structure)
    inside = (r >= lo.reshape(column)) & (r < hi.reshape(column))
    node = clusters - 1  # -1: a site that is neither occupied at lo nor in the bracket
    node[inside] = n_clusters + np.arange(np.count_nonzero(inside))
    n_nodes = n_clusters + np.count_nonzero(inside)
    # a node is present from its weight on: clusters always, bracket sites from their rank
    weight = np.concatenate([np.full(n_clusters, -1, r.dtype), r[inside]])
    grid = np.zeros(n_nodes, np.int64)
    grid[node[node >= 0]] = np.nonzero(node >= 0)[0]
    top = np.unique(node[first][node[first] >= 0])
    bottom = np.unique(node[last][node[last] >= 0])
    u, v = [], []
    for a in range(1, nd + 1):
        lower = tuple(slice(None, -1) if b == a else slice(None) for b in range(nd + 1))
        upper = tuple(slice(1, None) if b == a else slice(None) for b in range(nd + 1))
        p, q = node[lower].ravel(), node[upper].ravel()
        keep = (p >= 0) & (q >= 0) & (p != q)  # two occupied neighbours are one cluster already
        u.append(p[keep])
        v.append(q[keep])
    u, v = np.concatenate(u), np.concatenate(v)
    link = np.maximum(weight[u], weight[v])  # a link exists once both its ends are occupied
    link_grid = grid[u]
    while np.max(hi - lo) > 1:
        mid = (lo + hi) // 2
        on = link < mid[link_grid]
        graph = sp.coo_matrix((np.ones(np.count_nonzero(on), np.int8), (u[on], v[on])), shape=(n_nodes, n_nodes))
        n_comp, comp = connected_components(graph, directed=False)
        # a node outside the occupied set has no active link: alone, it touches at most one end plane
        spanning = np.zeros(n_comp, bool)
        spanning[comp[top]] = True
        at_bottom = np.zeros(n_comp, bool)
        at_bottom[comp[bottom]] = True
        spanning &= at_bottom
        spans = np.zeros(m, bool)
        spans[grid[spanning[comp]]] = True
        hi, lo = np.where(spans, mid, hi), np.where(spans, lo, mid)
    return hi


def percolation_threshold(shape, realizations: int = 20, seed: int = 0) -> tuple[float, float]:
    """Site-percolation threshold of a square (2-D) or simple cubic (3-D) grid, as a Newman-Ziff sweep finds it.

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
    batch = max(1, STACK_SITES // n)  # grids labelled at once; the stack's memory stays bounded
    counts = []
    for start in range(0, realizations, batch):
        orders = np.array([rng.permutation(n) for _ in range(min(batch, realizations - start))])
        ranks = np.empty_like(orders)
        np.put_along_axis(ranks, orders, np.arange(n)[None, :], axis=1)
        counts.append(spanning_counts(ranks.reshape((len(orders),) + shape), 0))
    p = np.concatenate(counts) / n
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
