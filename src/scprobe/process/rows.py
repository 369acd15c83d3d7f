"""Row alignment: remove the offsets between scan lines.

Follows Gwyddion's *Align Rows* (``modules/process/linematch.c``, horizontal
rows, no mask):

* ``median``: shift of row i = upper median ``sorted[n // 2]`` of the row
  (Gwyddion's ``gwy_math_median``), minus the mean shift, so the overall mean is kept;
* ``mediandiff``: shift = cumulative sum of the upper medians of the
  differences between consecutive rows, minus its least-squares line, so the
  overall tilt along y and the mean are kept;
* ``poly``: each row minus its own least-squares polynomial, plus the field's
  mean (no Gwyddion counterpart is compared).

NaN pixels are ignored; a row without finite pixels is not shifted.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import xarray as xr

from scprobe.errors import ParameterError
from scprobe.process._channels import as_field, map_channel

ROW_METHODS = ("median", "mediandiff", "poly")
_BLOCK_ROWS = 32  # rows per block: the block's buffer stays in cache
_SAMPLE = 512  # values per row sampled to bracket the median
_SAMPLED_MIN_LENGTH = 2048  # shorter rows are partitioned whole (the bracketing does not pay)
_THREADED_PIXELS = 1 << 20  # fields from this size on take the row medians in two threads
_CHUNK_ROWS = 8 * _BLOCK_ROWS  # rows per piece of work handed to a thread


def _row_upper_medians(z: np.ndarray, diff: bool) -> np.ndarray:
    """Upper median of each row of ``z`` (``diff``: of each difference ``z[i + 1] - z[i]``).

    Block by block into a reusable buffer partitioned in place, so no full-size temporary
    (difference field, partition copy) is allocated.  numpy's partition releases the GIL, so
    large fields are split between two threads (the selection, not memory, is the cost).
    """
    ny, nx = z.shape
    n = ny - 1 if diff else ny
    out = np.full(n, np.nan)
    if nx == 0 or n == 0:
        return out
    if n * nx < _THREADED_PIXELS:
        _medians_of_rows(z, diff, 0, n, out)
        return out
    # chunks handed out one at a time: a thread the scheduler holds back (a busy machine) takes
    # fewer, so the wall time never exceeds the single-thread time by more than a chunk
    chunks = [(i, min(i + _CHUNK_ROWS, n)) for i in range(0, n, _CHUNK_ROWS)]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda c: _medians_of_rows(z, diff, c[0], c[1], out), chunks))
    return out


def _medians_of_rows(z: np.ndarray, diff: bool, start: int, stop: int, out: np.ndarray) -> None:
    """Fill ``out[start:stop]`` (see :func:`_row_upper_medians`)."""
    nx = z.shape[1]
    buf = np.empty((min(_BLOCK_ROWS, stop - start), nx))
    for i0 in range(start, stop, _BLOCK_ROWS):
        i1 = min(i0 + _BLOCK_ROWS, stop)
        b = buf[:i1 - i0]
        if diff:
            np.subtract(z[i0 + 1:i1 + 1], z[i0:i1], out=b)
        else:
            b[...] = z[i0:i1]
        if np.isfinite(b).all():
            out[i0:i1] = _select_upper_medians(b)
        else:
            out[i0:i1] = upper_median(b, axis=1)


def _select_upper_medians(b: np.ndarray) -> np.ndarray:
    """``sorted(row)[n // 2]`` of each row of the finite block ``b`` (a scratch buffer: reordered).

    Long rows use the sampling idea of Floyd and Rivest's selection, vectorised over the block
    (numpy's partition costs ~10 ns per value, the steps below ~3 together): two order statistics
    of a strided sample of :data:`_SAMPLE` values bracket the median by about two standard errors;
    counting the values below and inside the bracket gives the median's rank among the ~9 % inside,
    which are gathered and partitioned instead of the whole row.  Rows whose median falls outside
    their bracket (a few %) are partitioned whole.  The result is exact either way.
    """
    rows, n = b.shape
    k = n // 2
    if n < _SAMPLED_MIN_LENGTH:
        b.partition(k, axis=1)
        return b[:, k].copy()
    sample = b[:, ::n // _SAMPLE].copy()
    m = sample.shape[1]
    centre, half = k * m // n, int(np.sqrt(m)) + 1  # the sample rank's standard error is sqrt(m) / 2
    lo, hi = max(centre - half, 0), min(centre + half, m - 1)
    sample.partition([lo, hi], axis=1)
    below = b < sample[:, lo, None]
    inside = b <= sample[:, hi, None]
    n_below = np.count_nonzero(below, axis=1)
    n_inside = np.count_nonzero(inside, axis=1) - n_below
    inside ^= below
    rank = k - n_below  # the median's rank among the row's values inside its bracket
    bracketed = (rank >= 0) & (rank < n_inside)
    out = np.empty(rows)
    missed = np.flatnonzero(~bracketed)
    if missed.size:
        out[missed] = np.partition(b[missed], k, axis=1)[:, k]
        inside[missed] = False
        n_inside[missed] = 0
        rank[missed] = 0
        if missed.size == rows:
            return out
    values = np.compress(inside.ravel(), b.ravel())  # row after row
    # One partition for all rows: row r's values are placed after top - rank[r] copies of -inf
    # (and followed by +inf), so every row's median lands at the same column ``top``.
    top = int(rank.max())
    lead = top - rank
    width = int((lead + n_inside).max())
    padded = np.empty((rows, width))
    padded[:, :top] = -np.inf
    padded[:, top:] = np.inf
    first = np.cumsum(n_inside) - n_inside  # where each row's values start in ``values``
    padded.ravel()[np.repeat(np.arange(rows) * width + lead - first, n_inside) + np.arange(values.size)] = values
    padded.partition(top, axis=1)
    out[bracketed] = padded[bracketed, top]
    return out


def upper_median(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """``sorted[n // 2]`` along ``axis`` over finite values (NaN where none)."""
    a = np.moveaxis(np.asarray(values, dtype=float), axis, -1)
    n = a.shape[-1]
    if n == 0:
        return np.full(a.shape[:-1], np.nan)
    if np.isfinite(a).all():
        return np.partition(a, n // 2, axis=-1)[..., n // 2]
    s = np.sort(a, axis=-1)  # NaN sort last
    count = np.isfinite(a).sum(axis=-1)
    pick = np.take_along_axis(s, (count // 2)[..., None], axis=-1)[..., 0]
    return np.where(count > 0, pick, np.nan)


def row_shifts(z: np.ndarray, method: str = "median") -> np.ndarray:
    """Offsets to subtract from each row, in the unit of ``z``.

    Parameters
    ----------
    z : ndarray, shape (ny, nx)
    method : {"median", "mediandiff"}
    """
    z = as_field(z)
    if method == "median":
        s = _row_upper_medians(z, diff=False)
        s = np.where(np.isfinite(s), s, np.nanmean(s) if np.isfinite(s).any() else 0.0)
        return s - s.mean()
    if method == "mediandiff":
        d = _row_upper_medians(z, diff=True)
        s = np.concatenate([[0.0], np.cumsum(np.where(np.isfinite(d), d, 0.0))])
        i = np.arange(s.size, dtype=float)
        if s.size > 1:
            s = s - np.polyval(np.polyfit(i, s, 1), i)
        return s
    raise ParameterError(f"row alignment method must be one of {ROW_METHODS}, got {method!r}")


def align_rows_array(z: np.ndarray, method: str = "median", degree: int = 1) -> np.ndarray:
    """Row-aligned copy of ``z`` (see module docstring for the methods)."""
    z = as_field(z)
    if method != "poly":
        return z - row_shifts(z, method)[:, None]
    nx = z.shape[1]
    if not 0 <= degree < nx:
        raise ParameterError(f"row polynomial degree must be 0..{nx - 1}, got {degree}")
    u = 2.0 * np.arange(nx) / max(nx - 1, 1) - 1.0
    q, _ = np.linalg.qr(np.vander(u, degree + 1, increasing=True))
    valid = np.isfinite(z)
    if valid.all():
        fit = (z @ q) @ q.T
    else:
        fit = np.empty_like(z)
        vander = np.vander(u, degree + 1, increasing=True)
        for r in range(z.shape[0]):
            ok = valid[r]
            if ok.sum() > degree:
                fit[r] = vander @ np.linalg.lstsq(vander[ok], z[r, ok], rcond=None)[0]
            else:
                fit[r] = np.nanmean(z[r]) if ok.any() else 0.0
    return z - fit + np.nanmean(z)


def align_rows(scan: xr.Dataset, channel: str = "topography", method: str = "median", *,
               degree: int = 1) -> xr.Dataset:
    """Align the scan lines of every trace of ``channel``.

    Parameters
    ----------
    scan : xarray.Dataset
        A Scan; not modified.
    channel : str
        Channel to correct (unit unchanged).
    method : {"median", "mediandiff", "poly"}
        See the module docstring.
    degree : int
        Polynomial degree for ``method="poly"``.

    Returns
    -------
    xarray.Dataset
        New Scan with a ``rows`` history entry.
    """
    if method not in ROW_METHODS:
        raise ParameterError(f"row alignment method must be one of {ROW_METHODS}, got {method!r}")
    params = {"method": method, **({"degree": int(degree)} if method == "poly" else {})}
    return map_channel(scan, channel, lambda z: align_rows_array(z, method, degree), "rows", params)
