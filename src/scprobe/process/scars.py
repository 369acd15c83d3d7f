"""Horizontal scar removal: mark short-lived line defects, refill them by Laplace interpolation.

Marking follows Gwyddion's ``gwy_data_field_mark_scars`` (libprocess/correct.c,
used by *Correct Data -> Remove Scars*): a pixel column segment of up to
``max_width`` rows that stands above both its upper and lower neighbours by at
least ``soft`` times the "vertical RMS" ``sqrt(sum (z[i] - z[i+1])^2 / (nx ny))``
is a candidate; candidate runs along the row that contain a step of at least
``hard`` are kept when at least ``min_len`` pixels long.  Negative scars are the
same on ``-z``.  The search is vectorised over rows and columns (block-wise, to
bound memory) instead of Gwyddion's per-pixel loop.

The marked pixels are replaced by the exact solution of the discrete Laplace
equation with the unmarked neighbours as boundary values (Gwyddion iterates
towards the same solution in ``gwy_data_field_laplace_solve``).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import xarray as xr

from scprobe.errors import ParameterError
from scprobe.process._channels import as_field, map_channel

SCAR_TYPES = ("both", "positive", "negative")
_BLOCK_ROWS = 32  # keeps the block's temporaries in cache
_MAX_BAND = 64  # wider bands (2-D voids) are solved by sparse LU: the banded cost grows as width^2


def _vertical_rms(z: np.ndarray) -> float:
    total = 0.0
    for i0 in range(0, z.shape[0] - 1, _BLOCK_ROWS):
        i1 = min(i0 + _BLOCK_ROWS, z.shape[0] - 1)
        d = z[i0:i1] - z[i0 + 1:i1 + 1]
        total += float(np.einsum("ij,ij->", d, d))
    return float(np.sqrt(total / z.size))


def _mark_one_sign(z: np.ndarray, sign: int, soft_step: float, hard_step: float, min_len: int,
                   width: int) -> np.ndarray:
    """Scars of ``sign * z`` (+1: standing above their surroundings, -1: below), see :func:`mark_scars`."""
    ny, nx = z.shape
    # A marked pixel always stands >= soft_step above the scar's surroundings, so only
    # "candidate" and "definite" (>= hard_step) need to be kept, as booleans.
    low = np.zeros(z.shape, dtype=bool)
    high = np.zeros(z.shape, dtype=bool)
    n_start = ny - (width + 1)
    for i0 in range(0, n_start, _BLOCK_ROWS):
        i1 = min(i0 + _BLOCK_ROWS, n_start)
        rows = i1 - i0
        w = z[i0:i1 + width + 1]  # the block's start rows and the rows a scar starting there can reach
        if sign < 0:
            w = -w  # a block-sized copy, not a negated field
        base = w[:rows]
        found = np.zeros((rows, nx), dtype=bool)
        top = w[1:rows + 1].copy()
        bottom = np.empty((rows, nx))
        for k in range(1, width + 1):
            if k > 1:
                np.minimum(top, w[k:rows + k], out=top)
            np.maximum(base, w[k + 1:rows + k + 1], out=bottom)
            first = (top - bottom) >= soft_step
            if k > 1:
                first &= ~found
            if not first.any():
                continue
            found |= first
            bottom += hard_step
            for kk in range(1, k + 1):
                low[i0 + kk:i1 + kk] |= first
                high[i0 + kk:i1 + kk] |= first & (w[kk:rows + kk] >= bottom)
    return _long_runs_with_high(low, high, min_len)


def _long_runs_with_high(low: np.ndarray, high: np.ndarray, min_len: int) -> np.ndarray:
    """Horizontal runs of ``low`` that contain a ``high`` pixel and are >= ``min_len`` long."""
    ny, nx = low.shape
    padded = np.zeros((ny, nx + 2), dtype=bool)  # a False column before and after each row
    padded[:, 1:nx + 1] = low
    flat = padded.ravel()
    # runs start and end where the value changes; the padding makes changes alternate start, end
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    starts, ends = changes[0::2], changes[1::2]
    long = (ends - starts) >= min_len  # few runs are long: test only those for a high pixel
    starts, ends = starts[long], ends[long]
    hpad = np.zeros((ny, nx + 2), dtype=bool)
    hpad[:, 1:nx + 1] = high
    # a run [start, end) holds a high pixel when one of the sorted high positions falls inside it
    high_at = np.flatnonzero(hpad.ravel())
    keep = np.searchsorted(high_at, ends) > np.searchsorted(high_at, starts)
    starts, ends = starts[keep], ends[keep]
    out = np.zeros(flat.size, dtype=bool)
    if starts.size:
        lengths = ends - starts
        out[np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
            + np.arange(lengths.sum())] = True
    return out.reshape(ny, nx + 2)[:, 1:nx + 1]


def mark_scars(z: np.ndarray, *, hard: float = 0.666, soft: float = 0.25, min_len: int = 16,
               max_width: int = 4, kind: str = "both") -> np.ndarray:
    """Boolean mask of horizontal scars (defaults are Gwyddion's module defaults).

    Parameters
    ----------
    z : ndarray, shape (ny, nx)
        Data in any unit.
    hard, soft : float
        Definite and candidate step, in units of the vertical RMS (``soft`` > ``hard`` raises ``hard``).
    min_len : int
        Minimum scar length along the row, pixels.
    max_width : int
        Maximum scar width across rows, pixels.
    kind : {"both", "positive", "negative"}
    """
    z = as_field(z)
    if kind not in SCAR_TYPES:
        raise ParameterError(f"scar type must be one of {SCAR_TYPES}, got {kind!r}")
    if soft <= 0 or min_len < 1 or max_width < 1:
        raise ParameterError("scar thresholds must be > 0, min_len and max_width >= 1")
    hard = max(hard, soft)
    mask = np.zeros(z.shape, dtype=bool)
    width = min(int(max_width), z.shape[0] - 2)
    if min_len > z.shape[1] or width < 1:
        return mask
    rms = _vertical_rms(z)  # the same for -z
    if rms == 0.0:
        return mask
    for sign, wanted in ((1, ("both", "positive")), (-1, ("both", "negative"))):
        if kind in wanted:
            mask |= _mark_one_sign(z, sign, soft * rms, hard * rms, int(min_len), width)
    return mask


def laplace_fill(z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Copy of ``z`` whose ``mask`` pixels solve the discrete Laplace equation.

    Unmasked finite neighbours are the boundary values; image borders are
    zero-flux.  Masked pixels with no finite pixel in their connected region keep NaN.

    The unknowns are numbered by (connected region, column, row): a vertical neighbour is then the
    next unknown and a horizontal one at most the region's pixels in two columns away, so each
    region's matrix is banded with a small half-bandwidth for scars (a few rows tall).  Regions are
    grouped by half-bandwidth (powers of two) and each group is solved by a banded Cholesky
    factorisation, linear in the number of unknowns; groups with a wide band (large 2-D voids)
    go to the sparse LU solver.
    """
    from threadpoolctl import threadpool_limits

    z = as_field(z)
    mask = np.asarray(mask, dtype=bool) | ~np.isfinite(z)
    out = z.copy()
    if not mask.any():
        return out
    ny, nx = z.shape
    idx = np.flatnonzero(mask)
    # masked pixels whose right neighbour is masked: in this row-major list, that neighbour is the next one
    right = np.flatnonzero((idx[:-1] + 1 == idx[1:]) & ((idx[:-1] + 1) % nx != 0))
    region = _region_labels(mask, idx, right)
    iy, ix = np.divmod(idx, nx)
    order = np.argsort(region * z.size + ix * ny + iy)
    position = np.empty(idx.size, dtype=np.int64)
    position[order] = np.arange(idx.size)
    right_of = np.full(idx.size, -1, dtype=np.int64)  # in the new order
    right_of[position[right]] = position[right + 1]
    idx, region = idx[order], region[order]
    equations = _laplace_equations(z, mask, idx, right_of)
    # a region's half-bandwidth: its farthest horizontal coupling; a region without a known
    # neighbour has a singular (pure Neumann) system and stays NaN
    band = np.zeros(region.max() + 1, dtype=np.int64)
    np.maximum.at(band, region[equations.right], equations.right_offset)
    known = np.bincount(region, weights=equations.n_known, minlength=band.size) > 0
    # groups by the next power of two, at least 2 (scipy's tridiagonal path fails on one unknown)
    width = np.left_shift(1, np.ceil(np.log2(np.maximum(band, 2))).astype(np.int64))
    group = np.where(known, width, 0)[region]
    filled = out.ravel()
    filled[idx[group == 0]] = np.nan
    with threadpool_limits(1, "blas"):  # the banded solver makes per-column BLAS calls: threads only add overhead
        for width in np.unique(group[group > 0]):
            members = np.flatnonzero(group == width)  # whole regions, in the (region, column, row) order
            filled[idx[members]] = _solve_group(equations, members, int(width))
    return out


def _region_labels(mask: np.ndarray, idx: np.ndarray, right: np.ndarray) -> np.ndarray:
    """4-connected region number (from 0) of each masked pixel ``idx`` (row-major flat indices, sorted;
    ``idx[right + 1]`` is the right neighbour of ``idx[right]``)."""
    # imported here: scprobe.process is imported by every map analysis, scipy's solvers cost ~0.05 s
    from scipy import ndimage, sparse
    from scipy.sparse.csgraph import connected_components

    if idx.size * 16 >= mask.size:
        return ndimage.label(mask)[0].ravel()[idx].astype(np.int64) - 1
    # few masked pixels: the components of their own neighbour graph cost less than labelling the image
    nx = mask.shape[1]
    below = np.minimum(np.searchsorted(idx, idx + nx), idx.size - 1)
    has_below = np.flatnonzero(idx[below] == idx + nx)
    graph = sparse.coo_matrix((np.ones(right.size + has_below.size),
                               (np.concatenate([right, has_below]), np.concatenate([right + 1, below[has_below]]))),
                              shape=(idx.size, idx.size))
    return connected_components(graph, directed=False)[1].astype(np.int64)


class _Equations(NamedTuple):
    """The 5-point Laplace equations of the unknowns (in their order): ``degree * u - (unknown
    neighbours) = rhs``; couplings from ``below`` to the next unknown, from ``right`` to ``right + right_offset``."""

    degree: np.ndarray
    rhs: np.ndarray
    n_known: np.ndarray
    below: np.ndarray
    right: np.ndarray
    right_offset: np.ndarray


def _laplace_equations(z: np.ndarray, mask: np.ndarray, idx: np.ndarray, right_of: np.ndarray) -> _Equations:
    ny, nx = z.shape
    iy, ix = np.divmod(idx, nx)
    zflat, mflat = z.ravel(), mask.ravel()
    degree = np.zeros(idx.size)
    rhs = np.zeros(idx.size)
    n_known = np.zeros(idx.size)
    couplings = {}
    for name, inside, step in (("up", iy > 0, -nx), ("below", iy < ny - 1, nx),
                               ("left", ix > 0, -1), ("right", ix < nx - 1, 1)):
        degree += inside
        nb = np.where(inside, idx + step, 0)
        unknown = inside & mflat[nb]
        known = inside & ~unknown
        rhs[known] += zflat[nb[known]]
        n_known += known
        if name in ("below", "right"):
            couplings[name] = np.flatnonzero(unknown)
    right = couplings["right"]
    return _Equations(degree, rhs, n_known, couplings["below"], right, right_of[right] - right)


def _solve_group(eq: _Equations, members: np.ndarray, width: int) -> np.ndarray:
    """Solve the equations of ``members`` (whole regions, in order) with half-bandwidth <= ``width``."""
    from scipy import sparse
    from scipy.linalg import solveh_banded
    from scipy.sparse.linalg import spsolve

    n = members.size
    local = np.full(eq.degree.size, -1, dtype=np.int64)
    local[members] = np.arange(n)
    # couplings inside the group: from p to p + 1 (below) and p + offset (right), both within a region
    below = local[eq.below]
    below = below[below >= 0]
    right = local[eq.right]
    keep = right >= 0
    right, offset = right[keep], eq.right_offset[keep]
    if width > _MAX_BAND:
        a = sparse.csc_matrix(
            (np.concatenate([eq.degree[members], -np.ones(2 * (below.size + right.size))]),
             (np.concatenate([np.arange(n), below, below + 1, right, right + offset]),
              np.concatenate([np.arange(n), below + 1, below, right + offset, right]))), shape=(n, n))
        return spsolve(a, eq.rhs[members])
    bands = np.zeros((width + 1, n))  # upper banded storage: bands[width + p - q, q] = A[p, q], p <= q
    bands[width] = eq.degree[members]
    bands[width - 1, below + 1] = -1.0
    bands[width - offset, right + offset] = -1.0
    return solveh_banded(bands, eq.rhs[members], overwrite_ab=True, check_finite=False)


def remove_scars_array(z: np.ndarray, **kwargs) -> np.ndarray:
    """``z`` with scars (see :func:`mark_scars`) replaced by Laplace interpolation; NaN voids stay NaN."""
    z = as_field(z)
    scars = mark_scars(z, **kwargs)
    if not scars.any():
        return z.copy()
    filled = laplace_fill(z, scars)
    voids = ~np.isfinite(z)
    if voids.any():
        filled[voids] = np.nan
    return filled


def remove_scars(scan: xr.Dataset, channel: str = "topography", *, hard: float = 0.666, soft: float = 0.25,
                 min_len: int = 16, max_width: int = 4, kind: str = "both") -> xr.Dataset:
    """Remove horizontal scars from every trace of ``channel`` (Gwyddion *Remove Scars*).

    Parameters are those of :func:`mark_scars`.  Returns a new Scan with a
    ``scars`` history entry; the input is not modified.
    """
    params = {"hard": hard, "soft": soft, "min_len": int(min_len), "max_width": int(max_width), "kind": kind}
    return map_channel(scan, channel, lambda z: remove_scars_array(z, **params), "scars", params)
