"""Edge sharpness: error-function fits to current profiles across region boundaries.

A boundary blurred by a Gaussian point-spread function of standard deviation
sigma is an error-function step (docs/physics.md, "Edges"); each profile along a scan
axis is fitted with ``a + b erf((x - x0) / (sqrt(2) s))`` and its 10-90 % width
is ``2.5631 s``.  A profile along x crosses a boundary whose normal makes an
angle phi with x, so it sees the edge stretched by ``1 / |cos phi|``; the local
normal is measured from the mask, profiles more than :data:`MAX_TILT_DEG` off
normal are skipped and the others are projected back onto the normal.

All profiles of one axis are fitted at once (vectorised Levenberg-Marquardt),
so tens of thousands of profiles take well under a second.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.special import erf

from scprobe.results import Result, internal, quantity

#: 10-90 % width of an erf step in units of sigma: 2 sqrt(2) erfinv(0.8).
WIDTH_PER_SIGMA = 2.5631031310892007
MAX_TILT_DEG = 30.0
_GRAD_HALF = 3
_FIRST_HALF_PX = 8


@dataclass(frozen=True)
class EdgeFits:
    """Fitted edge profiles of one map (all lengths in metres).

    ``width_m`` holds every accepted 10-90 % width, ``axis`` its scan axis
    (``"x"`` or ``"y"``); ``examples`` keeps a few profiles with their fits for figures.
    """

    width_m: np.ndarray
    axis: np.ndarray
    sigma_px: float
    examples: list = field(default_factory=list)

    @classmethod
    def empty(cls) -> EdgeFits:
        """No profiles (a map without boundaries)."""
        return cls(np.zeros(0), np.zeros(0, dtype="<U1"), float("nan"))

    def summary(self, fast_axis: str) -> dict:
        """``{median, p10, p90, n_profiles, fast_axis, slow_axis}`` of the widths, m."""
        w = self.width_m
        slow = "y" if fast_axis == "x" else "x"

        def med(sel):
            return float(np.median(w[sel])) if np.any(sel) else None

        if w.size == 0:
            return {"median": None, "p10": None, "p90": None, "n_profiles": 0, "fast_axis": None, "slow_axis": None}
        return {"median": float(np.median(w)), "p10": float(np.percentile(w, 10)),
                "p90": float(np.percentile(w, 90)), "n_profiles": int(w.size),
                "fast_axis": med(self.axis == fast_axis), "slow_axis": med(self.axis == slow)}


def erf_step(x: np.ndarray, a, b, x0, s) -> np.ndarray:
    """``a + b erf((x - x0) / (sqrt(2) s))``."""
    return a + b * erf((x - x0) / (np.sqrt(2.0) * s))


def fit_erf_profiles(x: np.ndarray, y: np.ndarray, n_iter: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares erf-step fits of many profiles sampled at the same positions.

    Parameters
    ----------
    x : ndarray, shape (n,)
        Positions (any length unit), increasing.
    y : ndarray, shape (m, n)
        Profiles rising from left to right.

    Returns
    -------
    params : ndarray, shape (m, 4)
        ``a, b, x0, s`` per profile (``s`` > 0, same unit as ``x``).
    rel_rms : ndarray, shape (m,)
        RMS residual divided by ``|b|``.
    """
    y = np.asarray(y, dtype=float)
    m, n = y.shape
    k = max(1, n // 4)
    lo, hi = y[:, :k].mean(axis=1), y[:, -k:].mean(axis=1)
    a, b = 0.5 * (lo + hi), 0.5 * (hi - lo)
    above = y >= a[:, None]
    first = np.argmax(above, axis=1)
    x0 = x[np.clip(first, 0, n - 1)] - 0.5 * (x[1] - x[0])
    t = np.full(m, np.log(x[1] - x[0]))  # s = exp(t) keeps the width positive
    p = np.stack([a, b, x0, t], axis=1)
    lam = np.full(m, 1e-2)
    scale = np.maximum(np.abs(b), 1e-300)

    def residual(q):
        return (erf_step(x[None, :], q[:, :1], q[:, 1:2], q[:, 2:3], np.exp(q[:, 3:4])) - y) / scale[:, None]

    # flat or degenerate profiles overflow harmlessly: their non-finite trials are never accepted
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        r = residual(p)
        cost = (r * r).sum(axis=1)
        for _ in range(n_iter):
            s = np.exp(p[:, 3:4])
            u = (x[None, :] - p[:, 2:3]) / (np.sqrt(2.0) * s)
            g = p[:, 1:2] * (2.0 / np.sqrt(np.pi)) * np.exp(-u * u)
            jac = np.stack([np.ones_like(u), erf(u), -g / (np.sqrt(2.0) * s), -g * u], axis=2) / scale[:, None, None]
            jac_t = jac.transpose(0, 2, 1)
            jtj = jac_t @ jac
            jtr = (jac_t @ r[:, :, None])[:, :, 0]
            damp = jtj + lam[:, None, None] * np.eye(4) * np.maximum(np.diagonal(jtj, axis1=1, axis2=2), 1e-12)[:, :, None]
            try:
                step = np.linalg.solve(damp, -jtr[:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:
                # a singular profile (flat, all-saturated) must not stop the others: batched pseudo-inverse
                step = (np.linalg.pinv(damp) @ -jtr[:, :, None])[:, :, 0]
            trial = p + step
            trial[:, 3] = np.clip(trial[:, 3], np.log(1e-6 * (x[-1] - x[0])), np.log(10 * (x[-1] - x[0])))
            r_new = residual(trial)
            c_new = (r_new * r_new).sum(axis=1)
            better = np.isfinite(c_new) & (c_new < cost)
            p[better], r[better], cost[better] = trial[better], r_new[better], c_new[better]
            lam = np.where(better, lam * 0.3, lam * 10.0)
            if np.all(lam > 1e6):  # no profile can improve any more
                break
    params = p.copy()
    params[:, 3] = np.exp(p[:, 3])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        rel = np.sqrt(cost / n) * scale / np.maximum(np.abs(params[:, 1]), 1e-300)
    return params, rel


def _crossings(mask: np.ndarray, half: int):
    """Row/column of boundaries between columns j and j+1 with no other boundary within ``half``."""
    ny, nx = mask.shape
    if nx < 2 * half:
        return np.zeros(0, int), np.zeros(0, int)
    i, j = np.nonzero(mask[:, 1:] != mask[:, :-1])  # row-major: sorted by row, then column
    if i.size == 0:
        return i, j
    same_prev = np.concatenate([[False], i[1:] == i[:-1]])
    same_next = np.concatenate([i[:-1] == i[1:], [False]])
    gap_prev = np.where(same_prev, j - np.roll(j, 1), nx)
    gap_next = np.where(same_next, np.roll(j, -1) - j, nx)
    ok = (gap_prev >= half) & (gap_next >= half) & (j - half + 1 >= 0) & (j + half < nx)
    return i[ok], j[ok]


def _normal_cosine(mask: np.ndarray, i: np.ndarray, j: np.ndarray, spacing: tuple[float, float]) -> np.ndarray:
    """|cos| of the angle between the x axis and the mask's boundary normal at (i, j+0.5)."""
    h = _GRAD_HALF
    ny, nx = mask.shape
    oy, ox = np.mgrid[-h:h + 1, -h:h + 2]
    patch = mask[np.clip(i[:, None, None] + oy, 0, ny - 1), np.clip(j[:, None, None] + ox, 0, nx - 1)]
    patch = patch.astype(np.float32)
    # Gaussian-weighted centred differences around the point between columns j and j+1
    wy = np.exp(-0.5 * (oy / 1.5) ** 2) * np.exp(-0.5 * ((ox - 0.5) / 1.5) ** 2)
    gx = ((patch[:, :, 1:] - patch[:, :, :-1]) * wy[:, :-1]).sum(axis=(1, 2)) / spacing[1]
    gy = ((patch[:, 1:, :] - patch[:, :-1, :]) * wy[1:, :]).sum(axis=(1, 2)) / spacing[0]
    norm = np.hypot(gx, gy)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, np.abs(gx) / norm, 0.0)


def _axis_profiles(current, mask, half, spacing, max_profiles, rng):
    """Fit profiles along x (axis 1); returns widths (m), sigma (px) and examples."""
    i, j = _crossings(mask, half)
    if i.size > max_profiles:
        pick = np.sort(rng.choice(i.size, max_profiles, replace=False))
        i, j = i[pick], j[pick]
    if i.size == 0:
        return np.zeros(0), np.zeros(0), []
    cosn = _normal_cosine(mask, i, j, spacing)
    keep = cosn >= np.cos(np.radians(MAX_TILT_DEG))
    i, j, cosn = i[keep], j[keep], cosn[keep]
    if i.size == 0:
        return np.zeros(0), np.zeros(0), []
    offs = np.arange(-half + 1, half + 1)
    prof = current[i[:, None], j[:, None] + offs[None, :]]
    finite = np.isfinite(prof).all(axis=1)
    prof, i, j, cosn = prof[finite], i[finite], j[finite], cosn[finite]
    falling = mask[i, j]
    prof[falling] = prof[falling, ::-1]
    xpix = offs - 0.5
    params, rel = fit_erf_profiles(xpix, prof)
    s = params[:, 3]
    good = (params[:, 1] > 0) & (rel < 0.1) & (np.abs(params[:, 2]) < 1.5) & (s > 0.05) & (s < 0.75 * half)
    s, cosn, params, prof = s[good], cosn[good], params[good], prof[good]
    width = WIDTH_PER_SIGMA * s * spacing[1] * cosn
    examples = [{"x_m": xpix * spacing[1], "current_A": prof[k], "params": params[k] * [1, 1, spacing[1], spacing[1]]}
                for k in np.linspace(0, len(s) - 1, min(4, len(s))).astype(int)] if len(s) else []
    return width, s * cosn, examples


def edge_fits(current: np.ndarray, mask: np.ndarray, pixel_size_m: tuple[float, float], *,
              half_window_px: int | None = None, max_profiles: int = 2000, seed: int = 0) -> EdgeFits:
    """Fit erf steps across the boundaries of ``mask`` along both scan axes.

    Parameters
    ----------
    current : ndarray, shape (ny, nx)
        Tip current, A (NaN pixels are never used).
    mask : ndarray of bool
        Conducting pixels; profiles are centred on its boundaries.
    pixel_size_m : (float, float)
        ``(dy, dx)``, m.
    half_window_px : int, optional
        Half-length of each profile, pixels; default chosen from a first pass (4 sigma + 2).
    max_profiles : int
        Profiles fitted per axis at most (a seeded random subset beyond that).
    seed : int
        Seed of that subset.

    Returns
    -------
    EdgeFits
    """
    current = np.asarray(current, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    dy, dx = pixel_size_m

    def fit_all(half):
        rng = np.random.default_rng(seed)
        widths, axes, sig, examples = [], [], [], []
        for name, cur, msk, spacing in (("x", current, mask, (dy, dx)), ("y", current.T, mask.T, (dx, dy))):
            w, s, ex = _axis_profiles(cur, msk, half, spacing, max_profiles, rng)
            widths.append(w)
            axes.append(np.full(w.size, name))
            sig.append(s)
            examples.extend({**e, "axis": name} for e in ex)
        sig = np.concatenate(sig)
        return EdgeFits(np.concatenate(widths), np.concatenate(axes),
                        float(np.median(sig)) if sig.size else float("nan"), examples)

    first = half_window_px or _FIRST_HALF_PX
    fits = fit_all(first)
    if half_window_px is None and np.isfinite(fits.sigma_px):
        # the first pass measures sigma; refit when both plateaus need a longer window
        better = int(np.clip(np.ceil(4 * fits.sigma_px) + 2, 4, 30))
        if better > first:
            fits = fit_all(better)
    return fits

#: The published cross-section box: 2 * 3 + 1 rows averaged, 2 * 20 + 1 pixels across the boundary.
BOX_HALF_ROWS, BOX_HALF_LENGTH = 3, 20


@dataclass(frozen=True)
class EdgeCrossSection(Result):
    """A box-averaged profile across one boundary (the published study's edge measurement).

    ``plateau_to_floor_m`` is the distance from the uA plateau to the noise floor (the published
    "< 50 nm"), ``erf_width_m`` the 10-90 % width of an erf fitted to the same profile, ``box_px``
    ``[row0, row1, col0, col1, edge column]`` and ``rows`` the number of rows averaged.
    """

    plateau_to_floor_m: float = quantity("m")
    erf_width_m: float = quantity("m")
    plateau_A: float = quantity("A")
    box_px: list = quantity("px")
    rows: int = quantity("count")
    x_m: np.ndarray = internal(None)
    current_A: np.ndarray = internal(None)
    x_start_m: float = internal(math.nan)
    x_floor_m: float = internal(math.nan)
    erf_params: np.ndarray | None = internal(None)


def edge_box(current: np.ndarray, mask: np.ndarray, labels: np.ndarray):
    """A box across the right-hand boundary of the largest region: ``(row0, row1, col0, col1, edge col)``.

    None when no region has a boundary inside the map with room for the box.
    """
    lab = np.asarray(labels)
    if not (lab > 0).any():
        return None
    ids, counts = np.unique(lab[lab > 0], return_counts=True)
    ny, nx = lab.shape
    for rid in ids[np.argsort(counts)[::-1]][:5]:
        rows = np.nonzero((lab == rid).any(axis=1))[0]
        for r in rows[np.argsort(np.abs(rows - np.median(rows)))]:
            cols = np.nonzero(mask[r])[0]
            cols = cols[(lab[r, cols] == rid)]
            if cols.size < BOX_HALF_LENGTH // 2:
                continue
            e = int(cols.max())
            r0, r1 = r - BOX_HALF_ROWS, r + BOX_HALF_ROWS + 1
            c0, c1 = e - BOX_HALF_LENGTH, e + BOX_HALF_LENGTH + 1
            if r0 < 0 or r1 > ny or c0 < 0 or c1 > nx:
                continue
            # the same boundary in every row of the box: the profile is an average, not a blend of two edges
            # and a boundary across x (its normal along the profile), so the width is not stretched by a slant
            if all(mask[rr, e - 3:e + 1].all() and not mask[rr, e + 1:e + 6].any() for rr in range(r0, r1)):
                return r0, r1, c0, c1, e
    return None


def edge_cross_section(current: np.ndarray, mask: np.ndarray, labels: np.ndarray, pixel_m: float,
                       noise_floor_A: float) -> EdgeCrossSection | None:
    """The published edge measurement: a box-averaged profile across one boundary and the distance from
    its plateau to the noise floor.

    Parameters
    ----------
    current : ndarray
        Current map, A.
    mask, labels : ndarray
        Conducting mask and its region labels (as in :class:`~scprobe.analysis.MapResult`).
    pixel_m : float
        Pixel size along x (the profile's direction), m.
    noise_floor_A : float
        Noise floor, A.

    Returns
    -------
    EdgeCrossSection or None
        None when no region has a boundary across x with room for the box (:func:`edge_box`).
        The plateau is the median of the profile inside the region; ``plateau_to_floor_m`` runs from
        where the profile falls below 90 % of the plateau to where it falls below the noise floor (each
        crossing interpolated between its two samples: linearly, and in log current for the floor).
    """
    box = edge_box(current, mask, labels)
    if box is None:
        return None
    # imported here (~0.15 s): only when there is an edge to fit
    from scipy.optimize import OptimizeWarning, curve_fit

    r0, r1, c0, c1, e = box
    prof = np.nanmean(current[r0:r1, c0:c1], axis=0)
    x = (np.arange(c0, c1) - e) * pixel_m
    plateau = float(np.median(prof[x < -3 * pixel_m]))
    above = np.nonzero(prof >= 0.9 * plateau)[0]
    start = int(above.max()) if above.size else 0
    below = np.nonzero((prof <= noise_floor_A) & (np.arange(prof.size) > start))[0]
    # crossings between samples, so the distance is not a whole number of pixels: linear for the 90 %
    # level, logarithmic for the floor (the current falls by decades between two samples there)
    x_start = float(x[start])
    if start + 1 < prof.size and prof[start] > prof[start + 1]:
        x_start += pixel_m * float((prof[start] - 0.9 * plateau) / (prof[start] - prof[start + 1]))
    x_floor = math.nan
    if below.size:
        j = int(below[0])
        hi, lo = float(prof[j - 1]), max(float(prof[j]), 1e-30)
        x_floor = float(x[j])
        if hi > noise_floor_A > 0:
            x_floor = float(x[j - 1]) + pixel_m * math.log(hi / noise_floor_A) / math.log(hi / lo)
    distance = x_floor - x_start
    try:
        with warnings.catch_warnings():  # only the parameters are used, not their covariance
            warnings.simplefilter("ignore", OptimizeWarning)
            p, _ = curve_fit(erf_step, x, prof, p0=[0.0, plateau, 0.0, pixel_m], maxfev=4000)
        width = WIDTH_PER_SIGMA * abs(p[3])
    except (RuntimeError, ValueError):
        p, width = None, math.nan
    return EdgeCrossSection(plateau_to_floor_m=distance, erf_width_m=width, plateau_A=plateau, box_px=[int(v) for v in box],
                            rows=int(r1 - r0), x_m=x, current_A=prof, x_start_m=x_start, x_floor_m=x_floor,
                            erf_params=p)
