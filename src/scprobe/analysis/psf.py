"""Peak current of sub-resolution dots: a fit of the tip's point-spread function.

The tip images a conducting disc of radius ``R`` and current ``level`` as the disc
convolved with its Gaussian point-spread function (standard deviation ``sigma``):

``I(r) = offset + level * P(r)``, ``P(r) = 1 - Q_1(r / sigma, R / sigma)``,

the probability that a 2-D Gaussian centred at distance ``r`` from the disc's centre
falls inside it (``Q_1`` the Marcum Q-function; ``P`` is the CDF of a non-central
chi-square with 2 degrees of freedom).  For a dot a few pixels across the blurred
pixels hold less than ``level``, so a mean over them overestimates ``V / I``; the fit
recovers ``level`` (and ``R``), from which the junction resistance follows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special


@dataclass(frozen=True)
class DotFit:
    """Fitted dot: ``level_A`` (plateau current above the offset, A), ``radius_px``, ``sigma_px``,
    ``centre_px`` ``(y, x)`` in the map, ``residual_rms_A`` (A)."""

    level_A: float
    radius_px: float
    sigma_px: float
    centre_px: tuple[float, float]
    residual_rms_A: float


def blurred_disc(r_px: np.ndarray, radius_px: float, sigma_px: float) -> np.ndarray:
    """Fraction of a disc's plateau seen at distance ``r_px`` from its centre through a Gaussian PSF (0..1)."""
    # scipy.stats.ncx2.cdf, computed as it does (chndtr, the central chdtr where nc == 0) without
    # importing scipy.stats (~0.3 s, a third of a small map's whole command)
    x = (radius_px / sigma_px) ** 2
    nc = (np.asarray(r_px, dtype=float) / sigma_px) ** 2
    return np.where(nc != 0, special.chndtr(x, 2, nc), special.chdtr(2, x))


def fit_dot(current: np.ndarray, centre_px: tuple[float, float], *, offset_A: float = 0.0,
            sigma_px: float | None = None, half_width_px: int = 6) -> DotFit | None:
    """Fit :func:`blurred_disc` to the pixels around one dot.

    Parameters
    ----------
    current : ndarray
        Tip current map, A (NaN pixels are left out).
    centre_px : (float, float)
        First guess of the centre ``(y, x)``, px.
    offset_A : float
        Current of the non-conducting background, A.
    sigma_px : float, optional
        PSF standard deviation, px (from the edge fits of the regions); fitted when None.
    half_width_px : int
        The fit window is ``2 half_width_px + 1`` pixels wide.

    Returns
    -------
    DotFit or None
        None when the window holds too few valid pixels or the fit fails.
    """
    ny, nx = current.shape
    cy, cx = (int(round(c)) for c in centre_px)
    y0, y1 = max(0, cy - half_width_px), min(ny, cy + half_width_px + 1)
    x0, x1 = max(0, cx - half_width_px), min(nx, cx + half_width_px + 1)
    win = np.asarray(current[y0:y1, x0:x1], dtype=float) - offset_A
    yy, xx = np.mgrid[y0:y1, x0:x1]
    ok = np.isfinite(win)
    if ok.sum() < 9:
        return None
    yy, xx, v = yy[ok].astype(float), xx[ok].astype(float), win[ok]
    peak = float(v.max())
    if not peak > 0:
        return None
    v = v / peak  # fitted in units of the peak pixel: every parameter of order one
    s0 = 1.0 if sigma_px is None else float(sigma_px)
    r0 = max(0.5, math.sqrt(float((v > 0.5 * peak).sum()) / math.pi))

    def model(p):
        level, radius, ycen, xcen, *rest = p
        s = rest[0] if rest else sigma_px
        return level * blurred_disc(np.hypot(yy - ycen, xx - xcen), radius, s)

    p0 = [1.0, r0, float(centre_px[0]), float(centre_px[1])]
    lo = [0.0, 0.05, y0 - 0.5, x0 - 0.5]
    hi = [20.0, 3.0 * half_width_px, y1 - 0.5, x1 - 0.5]
    if sigma_px is None:
        p0.append(s0)
        lo.append(0.2)
        hi.append(float(half_width_px))
    p0 = np.clip(p0, np.asarray(lo) + 1e-9, np.asarray(hi) - 1e-9)
    from scipy import optimize  # only maps with spots fit; the import costs ~0.15 s

    try:
        fit = optimize.least_squares(lambda p: model(p) - v, p0, bounds=(lo, hi))
    except (ValueError, RuntimeError):
        return None
    if not fit.success:
        return None
    level, radius, ycen, xcen, *rest = fit.x
    return DotFit(float(level) * peak, float(radius), float(rest[0] if rest else sigma_px),
                  (float(ycen), float(xcen)), float(np.sqrt(np.mean(fit.fun ** 2))) * peak)
