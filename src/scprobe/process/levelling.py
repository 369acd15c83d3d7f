"""Plane and polynomial background subtraction.

Both fit the ordinary least-squares background over all finite pixels.  The
polynomial basis is built from Vandermonde matrices in Gwyddion's normalised
coordinates ``u = 2 j / (n - 1) - 1`` and orthonormalised by QR, so that on a
complete grid the fit separates into two small matrix products (exact, fast)
and degree 11 stays well conditioned.  With voids (NaN) the weighted normal
equations are assembled from the same separable basis.

``plane`` in scprobe means *full* plane subtraction (result has zero mean),
which is Gwyddion's ``gwy_data_field_fit_plane`` + subtraction of the whole
plane (gwy-oracle ``plane-fit``).  Gwyddion's GUI *Plane Level* subtracts only
the slope about the field centre; ``subtract_offset=False`` reproduces that
(gwy-oracle ``plane``).
"""
from __future__ import annotations

import numpy as np
import xarray as xr

from scprobe.errors import ParameterError
from scprobe.process._channels import as_field, map_channel, subtract_outer

#: Gwyddion's polylevel MAX_DEGREE.
MAX_DEGREE = 11
_BLOCK_ROWS = 64


def _basis(n: int, degree: int) -> np.ndarray:
    """Orthonormal columns spanning polynomials of degree <= ``degree`` on ``n`` points."""
    if n <= degree:
        raise ParameterError(f"polynomial degree {degree} needs more than {degree} pixels per axis, got {n}")
    u = 2.0 * np.arange(n) / (n - 1) - 1.0 if n > 1 else np.zeros(1)
    q, _ = np.linalg.qr(np.vander(u, degree + 1, increasing=True))
    return q


def _terms(x_degree: int, y_degree: int, total: bool) -> np.ndarray:
    """Boolean ``(y_degree+1, x_degree+1)`` table of the fitted terms ``x^p y^q``."""
    q, p = np.mgrid[0:y_degree + 1, 0:x_degree + 1]
    return (p + q <= max(x_degree, y_degree)) if total else np.ones_like(p, dtype=bool)


def poly_background(z: np.ndarray, x_degree: int = 3, y_degree: int | None = None, *,
                    total: bool = False) -> np.ndarray:
    """Least-squares polynomial background of a 2-D field.

    Parameters
    ----------
    z : ndarray, shape (ny, nx)
        Data in any unit; NaN pixels are excluded from the fit.
    x_degree, y_degree : int
        Degrees along x (columns) and y (rows); ``y_degree`` defaults to ``x_degree``.
    total : bool
        False: all terms ``x^p y^q`` with ``p <= x_degree, q <= y_degree``
        (Gwyddion's default "independent degrees"); True: ``p + q <= max degree``.

    Returns
    -------
    ndarray
        The background, same unit and shape as ``z`` (defined on every pixel).
    """
    z = as_field(z)
    y_degree = x_degree if y_degree is None else y_degree
    for d in (x_degree, y_degree):
        if not 0 <= int(d) <= MAX_DEGREE:
            raise ParameterError(f"polynomial degree must be 0..{MAX_DEGREE}, got {d}")
    qy, qx = _basis(z.shape[0], int(y_degree)), _basis(z.shape[1], int(x_degree))
    terms = _terms(int(x_degree), int(y_degree), total)
    valid = np.isfinite(z)
    if valid.all():
        coef = qy.T @ (z @ qx)  # orthonormal separable basis: projection is the LS solution
        coef[~terms] = 0.0
    else:
        coef = _weighted_coefficients(np.where(valid, z, 0.0), valid.astype(float), qx, qy, terms)
    return (qy @ coef) @ qx.T


def _weighted_coefficients(z0, w, qx, qy, terms):
    """Normal equations of the fit restricted to finite pixels (weights 0/1)."""
    nq, np_ = qy.shape[1], qx.shape[1]
    pairs_x = (qx[:, :, None] * qx[:, None, :]).reshape(qx.shape[0], -1)
    wx = w @ pairs_x  # (ny, np*np)
    gram = np.einsum("ia,ib,ick->acbk", qy, qy, wx.reshape(-1, np_, np_), optimize=True)
    idx = np.flatnonzero(terms.ravel())
    g = gram.reshape(nq * np_, nq * np_)[np.ix_(idx, idx)]
    rhs = (qy.T @ (z0 @ qx)).ravel()[idx]
    if w.sum() < idx.size:
        raise ParameterError(f"too few valid pixels ({int(w.sum())}) for {idx.size} polynomial terms")
    sol = np.linalg.lstsq(g, rhs, rcond=None)[0]
    coef = np.zeros(nq * np_)
    coef[idx] = sol
    return coef.reshape(nq, np_)


def plane_fit(z: np.ndarray) -> tuple[float, float, float]:
    """Least-squares plane ``z ~ a + bx*j + by*i`` (j column, i row, pixel units).

    Returns ``(a, bx, by)`` in the unit of ``z`` (slopes per pixel), as
    ``gwy_data_field_fit_plane`` does.  NaN pixels are excluded.
    """
    z = as_field(z)
    ny, nx = z.shape
    j = np.arange(nx) - (nx - 1) / 2.0  # centred coordinates: the normal equations decouple
    i = np.arange(ny) - (ny - 1) / 2.0
    # per row, sum_j z and sum_j j z: one pass over memory (BLAS, a 64-row block at a time)
    weights = np.column_stack([np.ones(nx), j])
    row_moments = np.empty((ny, 2))
    for i0 in range(0, ny, _BLOCK_ROWS):
        np.matmul(z[i0:i0 + _BLOCK_ROWS], weights, out=row_moments[i0:i0 + _BLOCK_ROWS])
    if np.isfinite(row_moments).all():  # no NaN: closed form
        row_sums = row_moments[:, 0]
        bx = float(row_moments[:, 1].sum()) / (ny * float(j @ j)) if nx > 1 else 0.0
        by = float(row_sums @ i) / (nx * float(i @ i)) if ny > 1 else 0.0
        a = float(row_sums.sum()) / z.size - bx * (nx - 1) / 2.0 - by * (ny - 1) / 2.0
        return a, bx, by
    valid = np.isfinite(z)
    ii, jj = np.nonzero(valid)
    if ii.size < 3:
        raise ParameterError("plane fit needs at least 3 valid pixels")
    design = np.column_stack([np.ones(ii.size), jj, ii]).astype(float)
    a, bx, by = np.linalg.lstsq(design, z[valid], rcond=None)[0]
    return float(a), float(bx), float(by)


def subtract_plane(z: np.ndarray, *, subtract_offset: bool = True) -> np.ndarray:
    """``z`` minus its least-squares plane (a new array).

    ``subtract_offset=False`` keeps the offset as Gwyddion's *Plane Level* does:
    ``z - bx (j - nx/2) - by (i - ny/2)``.
    """
    z = as_field(z)
    a, bx, by = plane_fit(z)
    ny, nx = z.shape
    c = a if subtract_offset else -0.5 * (bx * nx + by * ny)
    return subtract_outer(z, c + by * np.arange(ny), bx * np.arange(nx))


def level_plane(scan: xr.Dataset, channel: str = "topography", *, subtract_offset: bool = True) -> xr.Dataset:
    """Subtract the least-squares plane from every trace of ``channel``.

    Parameters
    ----------
    scan : xarray.Dataset
        A Scan; not modified.
    channel : str
        Channel to level (unit unchanged).
    subtract_offset : bool
        True (default): subtract the whole plane, mean becomes 0.  False:
        Gwyddion's *Plane Level* (slope only).

    Returns
    -------
    xarray.Dataset
        New Scan with one more history entry ``plane``.
    """
    return map_channel(scan, channel, lambda z: subtract_plane(z, subtract_offset=subtract_offset),
                       "plane", {"subtract_offset": subtract_offset})


def level_poly(scan: xr.Dataset, channel: str = "topography", degree: int = 3, *,
               y_degree: int | None = None, total: bool = False) -> xr.Dataset:
    """Subtract a least-squares polynomial background (Gwyddion *Polynomial Background*).

    Parameters are those of :func:`poly_background`; returns a new Scan with a
    ``poly`` history entry.
    """
    return map_channel(scan, channel, lambda z: z - poly_background(z, degree, y_degree, total=total),
                       "poly", {"degree": int(degree), "y_degree": y_degree, "total": total})
