"""Array checks and small numerical helpers shared by the bulk analyses."""
from __future__ import annotations

import numpy as np

from scprobe.errors import ParameterError


def clean_xy(x, y, *, xname: str, yname: str, min_points: int = 3, source: str | None = None):
    """Finite pairs of ``x`` and ``y`` sorted by ``x`` (new arrays; inputs untouched).

    Raises
    ------
    ParameterError
        Mismatched lengths or fewer than ``min_points`` finite pairs, naming the columns
        (and ``source``, the file, when given).
    """
    where = f" in {source}" if source else ""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ParameterError(f"{xname} and {yname}{where} differ in length ({x.size} vs {y.size})")
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < min_points:
        raise ParameterError(f"{yname} vs {xname}{where}: {int(ok.sum())} finite points, need at least {min_points}")
    order = np.argsort(x[ok], kind="stable")
    return x[ok][order], y[ok][order]


def local_slope(x: np.ndarray, y: np.ndarray, half: int = 2) -> np.ndarray:
    """dy/dx at each point from a least-squares line over ``2 half + 1`` neighbours (x sorted)."""
    n = x.size
    out = np.empty(n)
    for i in range(n):
        lo, hi = max(0, i - half), min(n, i + half + 1)
        xs, ys = x[lo:hi], y[lo:hi]
        dx = xs - xs.mean()
        den = float(dx @ dx)
        out[i] = float(dx @ (ys - ys.mean())) / den if den > 0 else np.nan
    return out


def crossing(x: np.ndarray, f: np.ndarray, start: int, step: int, level: float) -> float:
    """x where ``f`` first passes ``level`` walking from index ``start`` by ``step`` (linear interpolation).

    Returns NaN when ``f`` never reaches ``level`` in that direction.
    """
    i = start
    side = f[i] >= level
    while 0 <= i + step < x.size:
        j = i + step
        if (f[j] >= level) != side:
            if f[j] == f[i]:
                return float(x[j])
            return float(x[i] + (level - f[i]) * (x[j] - x[i]) / (f[j] - f[i]))
        i = j
    return float("nan")


def robust_std(v: np.ndarray) -> float:
    """Standard deviation from the median absolute deviation (Gaussian-consistent)."""
    v = np.asarray(v, dtype=float)
    if v.size == 0:
        return float("nan")
    return float(1.4826 * np.median(np.abs(v - np.median(v))))


def steepest_tangent(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Point ``(x0, y0)`` and slope of the steepest rise of y(x) (x sorted).

    Located with least-squares slopes over 5 neighbours (robust to noise and to repeated
    temperatures), then refined with 3-neighbour slopes around that point: on a coarsely
    sampled sharp step the wider window underestimates the slope and biases the tangent.
    """
    wide = local_slope(x, y, 2)
    if not np.isfinite(wide).any():
        return float("nan"), float("nan"), float("nan")
    i2 = int(np.nanargmax(wide))
    narrow = local_slope(x, y, 1)
    lo, hi = max(0, i2 - 2), min(x.size, i2 + 3)
    i = lo + int(np.nanargmax(narrow[lo:hi]))
    nb = slice(max(0, i - 1), min(x.size, i + 2))
    return float(x[nb].mean()), float(y[nb].mean()), float(narrow[i])
