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

import numpy as np
import xarray as xr

from scprobe.errors import ParameterError
from scprobe.process._channels import as_field, map_channel

SCAR_TYPES = ("both", "positive", "negative")
_BLOCK_ROWS = 32  # keeps the block's temporaries in cache


def _vertical_rms(z: np.ndarray) -> float:
    total = 0.0
    for i0 in range(0, z.shape[0] - 1, _BLOCK_ROWS):
        i1 = min(i0 + _BLOCK_ROWS, z.shape[0] - 1)
        d = z[i0:i1] - z[i0 + 1:i1 + 1]
        total += float(np.einsum("ij,ij->", d, d))
    return float(np.sqrt(total / z.size))


def _mark_positive(z: np.ndarray, hard: float, soft: float, min_len: int, max_width: int) -> np.ndarray:
    ny, nx = z.shape
    width = min(max_width, ny - 2)
    if min_len > nx or width < 1:
        return np.zeros(z.shape, dtype=bool)
    rms = _vertical_rms(z)
    if rms == 0.0:
        return np.zeros(z.shape, dtype=bool)
    soft_step, hard_step = soft * rms, hard * rms
    # A marked pixel always stands >= soft_step above the scar's surroundings, so only
    # "candidate" and "definite" (>= hard_step) need to be kept, as booleans.
    low = np.zeros(z.shape, dtype=bool)
    high = np.zeros(z.shape, dtype=bool)
    n_start = ny - (width + 1)
    for i0 in range(0, n_start, _BLOCK_ROWS):
        i1 = min(i0 + _BLOCK_ROWS, n_start)
        base = z[i0:i1]
        found = np.zeros(base.shape, dtype=bool)
        top = z[i0 + 1:i1 + 1].copy()
        for k in range(1, width + 1):
            if k > 1:
                np.minimum(top, z[i0 + k:i1 + k], out=top)
            bottom = np.maximum(base, z[i0 + k + 1:i1 + k + 1])
            first = (top - bottom) >= soft_step
            if k > 1:
                first &= ~found
            if not first.any():
                continue
            found |= first
            bottom += hard_step
            for kk in range(1, k + 1):
                low[i0 + kk:i1 + kk] |= first
                high[i0 + kk:i1 + kk] |= first & (z[i0 + kk:i1 + kk] >= bottom)
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
    if kind in ("both", "positive"):
        mask |= _mark_positive(z, hard, soft, int(min_len), int(max_width))
    if kind in ("both", "negative"):
        mask |= _mark_positive(-z, hard, soft, int(min_len), int(max_width))
    return mask


def laplace_fill(z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Copy of ``z`` whose ``mask`` pixels solve the discrete Laplace equation.

    Unmasked finite neighbours are the boundary values; image borders are
    zero-flux.  Masked pixels with no finite pixel in their connected region keep NaN.
    """
    # imported here: scprobe.process is imported by every map analysis, scipy.sparse's solvers cost ~0.05 s
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components
    from scipy.sparse.linalg import spsolve

    z = as_field(z)
    mask = np.asarray(mask, dtype=bool) | ~np.isfinite(z)
    out = z.copy()
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return out
    ny, nx = z.shape
    number = np.full(z.size, -1, dtype=np.int64)
    number[idx] = np.arange(idx.size)
    iy, ix = np.divmod(idx, nx)
    rows, cols = [], []
    diag = np.zeros(idx.size)
    rhs = np.zeros(idx.size)
    n_known = np.zeros(idx.size)
    zflat, mflat = z.ravel(), mask.ravel()
    for dy, dx in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        jy, jx = iy + dy, ix + dx
        inside = (jy >= 0) & (jy < ny) & (jx >= 0) & (jx < nx)
        nb = np.where(inside, jy * nx + jx, 0)
        diag += inside
        unknown = inside & mflat[nb]
        known = inside & ~unknown
        rows.append(np.flatnonzero(unknown))
        cols.append(number[nb[unknown]])
        rhs[known] += zflat[nb[known]]
        n_known += known
    vals = [-np.ones(r.size) for r in rows] + [diag]
    rows.append(np.arange(idx.size))
    cols.append(np.arange(idx.size))
    a = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(idx.size, idx.size))
    # A masked region with no known neighbour makes the system singular: leave it NaN.
    _, comp = connected_components(a, directed=False)
    solvable = (np.bincount(comp, weights=n_known) > 0)[comp]
    sub = np.flatnonzero(solvable)
    filled = out.ravel()
    if sub.size:
        filled[idx[sub]] = spsolve(a[sub][:, sub].tocsc(), rhs[sub])
    filled[idx[~solvable]] = np.nan
    return out


def remove_scars_array(z: np.ndarray, **kwargs) -> np.ndarray:
    """``z`` with scars (see :func:`mark_scars`) replaced by Laplace interpolation; NaN voids stay NaN."""
    z = as_field(z)
    scars = mark_scars(z, **kwargs)
    if not scars.any():
        return z.copy()
    filled = laplace_fill(z, scars)
    return np.where(np.isfinite(z), filled, np.nan)


def remove_scars(scan: xr.Dataset, channel: str = "topography", *, hard: float = 0.666, soft: float = 0.25,
                 min_len: int = 16, max_width: int = 4, kind: str = "both") -> xr.Dataset:
    """Remove horizontal scars from every trace of ``channel`` (Gwyddion *Remove Scars*).

    Parameters are those of :func:`mark_scars`.  Returns a new Scan with a
    ``scars`` history entry; the input is not modified.
    """
    params = {"hard": hard, "soft": soft, "min_len": int(min_len), "max_width": int(max_width), "kind": kind}
    return map_channel(scan, channel, lambda z: remove_scars_array(z, **params), "scars", params)
