"""Registration of a cAFM scan into an SEM image from the image content.

Frames and pixel conventions are those of :mod:`scprobe.composition.overlay`.

The SEM grey level is modelled as a linear mix of scan channels (topography, its
slope, the conducting mask: SEM topographic, edge and phase contrast) seen through
a similarity transform.  The search has two stages:

1. *Coarse, global*: masked normalised cross-correlation (FFT) of each channel over
   a grid of rotations and scales on down-sampled images; every distinct local
   maximum (position, rotation, scale) is kept as a candidate, not only the best.
2. *Fine, local*: from each candidate the four parameters are refined by
   maximising the multiple correlation of the SEM grey levels with all channels at
   once (Nelder-Mead on a cubic-spline interpolant of the SEM image).

The candidate with the highest multiple correlation wins.  Its margin over the
best *different* solution and over chance (the correlation expected from noise for
the number of independent samples in the field) says whether the match can be
trusted; a match that cannot is flagged instead of being reported silently.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as sfft
from scipy import ndimage, optimize
from skimage.transform import SimilarityTransform, rescale

from scprobe.errors import ParameterError
from scprobe.results import Result, jsonable

#: Side of the template in the coarse search, pixels.
COARSE_TEMPLATE_PX = 48
#: Inner and outer widths (SEM px) of the band-pass applied before the fine match.
BANDPASS_PX = (0.7, 4.0)
#: Number of distinct coarse candidates refined.
CANDIDATES = 6
#: A match is trusted when its correlation exceeds chance by this many standard errors ...
MIN_SIGNIFICANCE = 8.0
#: ... and the best different solution reaches at most this fraction of it.
MAX_RUNNER_UP = 0.8


def px_to_m(xy_px, pixel_size_m) -> np.ndarray:
    """Continuous pixel coordinates (x, y) to metres: ``(px + 0.5) * pixel_size``.

    ``pixel_size_m`` is a float or ``(dy, dx)``."""
    dy, dx = (pixel_size_m, pixel_size_m) if np.isscalar(pixel_size_m) else pixel_size_m
    xy = np.asarray(xy_px, dtype=float).reshape(-1, 2)
    return (xy + 0.5) * np.array([dx, dy])


def m_to_px(xy_m, pixel_size_m) -> np.ndarray:
    """Inverse of :func:`px_to_m`."""
    dy, dx = (pixel_size_m, pixel_size_m) if np.isscalar(pixel_size_m) else pixel_size_m
    return np.asarray(xy_m, dtype=float).reshape(-1, 2) / np.array([dx, dy]) - 0.5


@dataclass(frozen=True)
class Registration(Result):
    """A cAFM-to-SEM similarity transform found from the images, with its confidence.

    Attributes
    ----------
    scale, rotation_deg, shift_m
        ``sem_m = scale * R(rotation) @ map_m + shift_m`` (see :mod:`~scprobe.composition.overlay`).
    residual_m : float
        RMS of the local misfits of the four quadrants of the field, m in the SEM frame
        (the size of the field when the match is not trusted).
    correlation : float
        Multiple correlation (0..1) of the SEM grey levels with the scan channels at the match.
    runner_up_correlation : float
        The same for the best solution that differs from the match (NaN if none).
    chance_correlation : float
        Correlation expected from noise alone for the field's independent samples.
    reliable : bool
        ``correlation`` exceeds chance by :data:`MIN_SIGNIFICANCE` standard errors and
        the runner-up reaches at most :data:`MAX_RUNNER_UP` of it.
    """

    scale: float
    rotation_deg: float
    shift_m: tuple[float, float]
    residual_m: float
    correlation: float
    runner_up_correlation: float
    chance_correlation: float
    reliable: bool

    @property
    def transform(self) -> SimilarityTransform:
        """cAFM metres -> SEM metres."""
        return SimilarityTransform(scale=self.scale, rotation=np.deg2rad(self.rotation_deg),
                                   translation=self.shift_m)

    def to_dict(self) -> dict:
        return {k: jsonable(getattr(self, k)) for k in
                ("scale", "rotation_deg", "shift_m", "residual_m", "correlation", "runner_up_correlation",
                 "chance_correlation", "reliable")}


def _normalise(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    a = np.where(np.isfinite(a), a, np.nanmean(a))
    sd = a.std()
    return (a - a.mean()) / (sd if sd > 0 else 1.0)


def _bandpass(image: np.ndarray) -> np.ndarray:
    """Difference of Gaussians (0.7 and 4 px): pixel noise and slow shading out, edges in."""
    return ndimage.gaussian_filter(image, BANDPASS_PX[0]) - ndimage.gaussian_filter(image, BANDPASS_PX[1])


def _coarse_candidates(sem: np.ndarray, tmpls, scales, angles_rad, separation_px: float):
    """Distinct local maxima ``(|ncc|, scale, angle, centre_yx)`` of any of ``tmpls`` (same shape,
    same pitch as ``sem``) rotated and scaled inside ``sem``, best first.

    Normalised cross-correlation over the template's full rotated footprint, with local
    SEM statistics under that footprint (masked NCC), all by FFT; only positions where
    the footprint lies inside the SEM image count.  Maxima closer than
    ``separation_px`` at a similar rotation and scale are one candidate.
    """
    ty, tx = tmpls[0].shape
    half = int(np.ceil(0.5 * np.hypot(ty, tx) * max(scales))) + 1
    size = 2 * half + 1
    H, W = sem.shape
    out_shape = (H + size - 1, W + size - 1)
    shape = tuple(sfft.next_fast_len(n, real=True) for n in out_shape)
    f_sem = sfft.rfft2(sem, shape)
    f_sem2 = sfft.rfft2(sem ** 2, shape)
    vv, uu = np.mgrid[-half:half + 1, -half:half + 1].astype(float)
    cy, cx = (ty - 1) / 2, (tx - 1) / 2

    def corr(f_image, f_kernel):
        # full correlation; output (i, j) has the kernel centre at SEM pixel (i - half, j - half)
        return sfft.irfft2(f_image * f_kernel, shape)[:out_shape[0], :out_shape[1]]

    def spectrum(kernel):
        return sfft.rfft2(kernel[::-1, ::-1], shape)

    iy, ix = np.mgrid[0:out_shape[0], 0:out_shape[1]]
    iy, ix = iy - half, ix - half
    corners = np.array([[-tx / 2, -ty / 2], [tx / 2, -ty / 2], [tx / 2, ty / 2], [-tx / 2, ty / 2]])
    peak_size = max(3, int(separation_px) | 1)
    found = []
    for s in scales:
        for a in angles_rad:
            ca, sa = np.cos(a), np.sin(a)
            # SEM offset d = s R(a) m  =>  template offset m = R(-a) d / s
            mx = (ca * uu + sa * vv) / s + cx
            my = (-sa * uu + ca * vv) / s + cy
            foot = (mx >= -0.5) & (mx <= tx - 0.5) & (my >= -0.5) & (my <= ty - 0.5)
            n = float(foot.sum())
            # centres where the rotated field's corners stay inside the SEM image
            d = s * corners @ np.array([[ca, sa], [-sa, ca]])
            inside = ((ix + d[:, 0].min() >= -0.5) & (ix + d[:, 0].max() <= W - 0.5)
                      & (iy + d[:, 1].min() >= -0.5) & (iy + d[:, 1].max() <= H - 0.5))
            if not inside.any():
                continue
            f_foot = spectrum(foot.astype(float))
            s1 = corr(f_sem, f_foot)
            var = np.maximum(corr(f_sem2, f_foot) - s1 ** 2 / n, 1e-6 * n)
            score = np.zeros(out_shape)
            for t in tmpls:
                patch = ndimage.map_coordinates(t, [my, mx], order=1, mode="nearest") * foot
                patch[foot] -= patch[foot].mean()
                norm = np.sqrt((patch ** 2).sum())
                if norm > 0:
                    score = np.maximum(score, np.abs(corr(f_sem, spectrum(patch))) / (np.sqrt(var) * norm))
            score = np.where(inside, score, 0.0)
            peaks = np.flatnonzero((score == ndimage.maximum_filter(score, peak_size)) & (score > 0))
            for k in peaks[np.argsort(score.flat[peaks])[::-1][:3]]:
                ky, kx = np.unravel_index(k, out_shape)
                found.append((float(score.flat[k]), s, a, (ky - half, kx - half)))
    found.sort(key=lambda c: -c[0])
    da = np.abs(np.diff(angles_rad)).min() if len(angles_rad) > 1 else np.pi
    ds = np.log(scales[1] / scales[0]) if len(scales) > 1 else 1.0
    kept = []
    for c in found:
        if not any(np.hypot(c[3][0] - k[3][0], c[3][1] - k[3][1]) < separation_px
                   and abs(np.angle(np.exp(1j * (c[2] - k[2])))) <= 3.5 * da
                   and abs(np.log(c[1] / k[1])) <= 1.5 * ds for k in kept):
            kept.append(c)
        if len(kept) == CANDIDATES:
            break
    return kept


def scan_feature_channels(topography: np.ndarray, mask: np.ndarray | None = None) -> list[np.ndarray]:
    """Images of a scan that an SEM image may resemble.

    The topography (a plane removed), its slope (step edges and pit rims light up in
    secondary-electron images) and, when given, the conducting phase (SEM phase
    contrast): a boolean mask or a fraction 0..1 such as :func:`phase_channel`.  The slope is taken after removing each row's median, since AFM row
    offsets would otherwise appear as edges that the SEM image does not have.
    """
    topo = np.asarray(topography, dtype=float)
    topo = np.where(np.isfinite(topo), topo, np.nanmean(topo))
    yy, xx = np.mgrid[0:topo.shape[0], 0:topo.shape[1]]
    a = np.column_stack([xx.ravel(), yy.ravel(), np.ones(topo.size)])
    coef, *_ = np.linalg.lstsq(a, topo.ravel(), rcond=None)
    levelled = topo - (a @ coef).reshape(topo.shape)
    rows = levelled - np.median(levelled, axis=1, keepdims=True)
    gy, gx = np.gradient(ndimage.gaussian_filter(rows, 1.0))
    out = [_normalise(levelled), _normalise(np.hypot(gy, gx))]
    if mask is not None and np.ptp(np.asarray(mask, dtype=float)) > 0:
        out.append(ndimage.gaussian_filter(np.asarray(mask, dtype=float), 1.0))
    return out


def phase_channel(current: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The conducting phase as a fraction 0..1 from the current, for SEM phase contrast.

    The current divided by a low percentile (10 %) of the current inside the mask
    (eroded by 3 px, away from the tip-blurred edges), clipped to 0..1: every
    conductance state is 1, the matrix 0, and the edge crosses 1/2 where the
    tip-blurred current falls to half its plateau, i.e. at the region boundary.  A
    mask thresholded at the noise floor lies several tip widths outside it, which
    would bias the scale of a registration on a few small regions.
    """
    cur = np.asarray(current, dtype=float)
    mask = np.asarray(mask, dtype=bool)
    inner = ndimage.binary_erosion(mask, iterations=3)
    sel = (inner if inner.any() else mask) & np.isfinite(cur)
    if not sel.any():
        return mask.astype(float)
    level = float(np.percentile(cur[sel], 10))
    if not level > 0:
        return mask.astype(float)
    return np.clip(np.where(np.isfinite(cur), cur, 0.0) / level, 0.0, 1.0)


def _independent_samples(tmpls) -> float:
    """Number of independent samples in the field: area over the correlation area of the channels.

    The correlation area is that of the autocorrelation's central lobe (above 1/e)."""
    ty, tx = tmpls[0].shape
    areas = []
    for t in tmpls:
        f = sfft.rfft2(t - t.mean(), (2 * ty, 2 * tx))
        ac = sfft.fftshift(sfft.irfft2(np.abs(f) ** 2, (2 * ty, 2 * tx)))
        ac /= ac.max()
        lobe, _ = ndimage.label(ac > np.exp(-1))
        areas.append(np.count_nonzero(lobe == lobe[ty, tx]))
    return max(ty * tx / max(min(areas), 1), 2.0)


def register_scan(sem: np.ndarray, sem_pixel_size_m: float, topography: np.ndarray, map_pixel_size_m, *,
                  extra_channels=(), scale_range=(0.9, 1.1),
                  rotation_range_deg=(-180.0, 180.0)) -> Registration:
    """Find where a cAFM scan lies in a larger SEM image, with a confidence measure.

    Parameters
    ----------
    sem : ndarray
        SEM image (grey levels); the cAFM field must lie inside it.
    sem_pixel_size_m : float
        SEM pixel size, m.
    topography : ndarray
        cAFM topography, any unit (NaN allowed).
    map_pixel_size_m : float or (dy, dx)
        cAFM pixel pitch, m.
    extra_channels : sequence of ndarray
        More images on the scan grid (e.g. from :func:`scan_feature_channels`).
    scale_range : (float, float)
        Range of ``scale`` searched (SEM length / cAFM length).
    rotation_range_deg : (float, float)
        Range of rotations searched, degrees.

    Returns
    -------
    Registration
    """
    dy, dx = (map_pixel_size_m, map_pixel_size_m) if np.isscalar(map_pixel_size_m) else map_pixel_size_m
    if not (sem_pixel_size_m > 0 and dx > 0 and dy > 0):
        raise ParameterError("pixel sizes must be positive")
    s_lo, s_hi = np.sort(scale_range)
    if not s_lo > 0:
        raise ParameterError(f"scale_range must be positive, got {scale_range}")
    channels = [_normalise(topography), *(_normalise(c) for c in extra_channels)]
    sem_n = _normalise(sem)
    ny, nx = channels[0].shape
    extent = np.array([ny * dy, nx * dx])
    # templates on the SEM pitch at nominal scale 1
    tmpls = [_normalise(rescale(c, (dy / sem_pixel_size_m, dx / sem_pixel_size_m), anti_aliasing=True, order=1))
             for c in channels]
    ty, tx = tmpls[0].shape
    if ty >= sem.shape[0] or tx >= sem.shape[1] or min(ty, tx) < 8:
        raise ParameterError(f"the cAFM field ({tx} x {ty} SEM px) must be smaller than the SEM image "
                             f"({sem.shape[1]} x {sem.shape[0]} px) and at least 8 SEM px wide")
    f = max(1.0, min(ty, tx) / COARSE_TEMPLATE_PX)
    sem_c = _normalise(rescale(sem_n, 1 / f, anti_aliasing=True, order=1)) if f > 1 else sem_n
    r = 0.5 * min(ty, tx) / f
    lo, hi = np.sort(rotation_range_deg)
    angles = np.deg2rad(np.arange(lo, hi + 1e-9, np.rad2deg(1.0 / r)))
    scales = np.geomspace(s_lo, s_hi, max(1, int(np.ceil(np.log(s_hi / s_lo) / np.log(1.04))) + 1))
    coarse = [_normalise(rescale(t, 1 / f, anti_aliasing=True, order=1)) if f > 1 else t for t in tmpls]
    candidates = _coarse_candidates(sem_c, coarse, scales, angles, 0.25 * r)

    # template pixel centres in cAFM metres; SEM samples at the transformed positions
    gy, gx = np.mgrid[0:ty, 0:tx]
    pts = np.column_stack([(gx.ravel() + 0.5) * extent[1] / tx, (gy.ravel() + 0.5) * extent[0] / ty])
    design = np.column_stack([_bandpass(t).ravel() for t in tmpls] + [np.ones(ty * tx)])
    spline = ndimage.spline_filter(_bandpass(sem_n), order=3)
    H, W = sem_n.shape
    centre_map = extent[::-1] / 2

    def tform(p):
        s, a = np.exp(p[0]), p[1]
        rot = SimilarityTransform(scale=s, rotation=a)
        return SimilarityTransform(scale=s, rotation=a, translation=p[2:] * sem_pixel_size_m - rot(centre_map)[0])

    def sample(p, sel=slice(None)):
        xy = m_to_px(tform(p)(pts[sel]), sem_pixel_size_m)
        v = ndimage.map_coordinates(spline, [xy[:, 1], xy[:, 0]], order=3, prefilter=False, mode="nearest")
        out = (xy[:, 0] < -0.5) | (xy[:, 0] > W - 0.5) | (xy[:, 1] < -0.5) | (xy[:, 1] > H - 0.5)
        return np.where(out, np.nan, v)

    def fit(v, sel=slice(None)):
        ok = np.isfinite(v)
        coef, *_ = np.linalg.lstsq(design[sel][ok], v[ok], rcond=None)
        return ok, design[sel] @ coef

    def correlation(p, sel=slice(None)):
        v = sample(p, sel)
        ok, pred = fit(v, sel)
        if ok.sum() < 0.9 * v.size or np.std(pred[ok]) == 0:
            return 0.0
        return float(np.corrcoef(v[ok], pred[ok])[0, 1])

    def refine(p0, sel, step, tol):
        simplex = p0 + np.vstack([np.zeros(4), np.diag([0.02, np.deg2rad(step[0]), step[1], step[1]])])
        res = optimize.minimize(lambda p: -correlation(p, sel), p0, method="Nelder-Mead",
                                options={"initial_simplex": simplex, "xatol": tol, "fatol": 1e-7, "maxiter": 3000})
        return res.x, -res.fun

    # stage 2a: every candidate on a quarter of the points, stage 2b: the best two on all of them
    sparse = ((gy.ravel() % 2 == 0) & (gx.ravel() % 2 == 0))
    starts = []
    for _, s0, a0, (cy, cx) in candidates:
        p0 = np.array([np.log(s0), a0, (cx + 0.5) * f, (cy + 0.5) * f])
        starts.append(refine(p0, sparse, (np.rad2deg(1.0 / r), f), 1e-3))
    starts.sort(key=lambda c: -c[1])
    finals = sorted([refine(p, slice(None), (0.3, 0.5), 1e-5) for p, _ in starts[:2]]
                    + [(p, correlation(p)) for p, _ in starts[2:]], key=lambda c: -c[1])
    best, rho = finals[0]
    others = [c for p, c in finals[1:] if _distinct(p, best, extent, sem_pixel_size_m)]
    runner_up = max(others, default=np.nan)

    n_eff = _independent_samples(tmpls)
    k = len(tmpls)
    chance = np.sqrt(k / (n_eff - 1))
    significance = np.arctanh(min(rho, 1 - 1e-12)) * np.sqrt(max(n_eff - k - 2, 1.0))
    reliable = bool(significance >= MIN_SIGNIFICANCE and not runner_up > MAX_RUNNER_UP * rho)
    t = tform(best)
    residual = _quadrant_residual(sample(best), fit(sample(best))[1], (ty, tx), extent * t.scale)
    if not reliable:
        residual = max(residual, float(np.hypot(*extent)) * t.scale / 2)
    return Registration(float(t.scale), float((np.rad2deg(t.rotation) + 180.0) % 360.0 - 180.0),
                        (float(t.translation[0]), float(t.translation[1])), residual, float(rho),
                        float(runner_up), float(chance), reliable)


def _distinct(p, best, extent, sem_pixel_size_m) -> bool:
    """Whether two parameter vectors put the field's corners more than 2 SEM px apart."""
    corners = np.array([[0, 0], [extent[1], 0], [0, extent[0]], [extent[1], extent[0]]]) - extent[::-1] / 2

    def place(q):
        s, a = np.exp(q[0]), q[1]
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        return s * corners @ rot.T / sem_pixel_size_m + q[2:]

    return float(np.abs(place(p) - place(best)).max()) > 2.0


def _quadrant_residual(sampled: np.ndarray, predicted: np.ndarray, shape, extent_sem_m) -> float:
    """RMS of the shifts (m) that best align each quadrant of the predicted SEM image with the sampled one."""
    from skimage.registration import phase_cross_correlation

    ty, tx = shape
    warped = np.where(np.isfinite(sampled), sampled, 0.0).reshape(ty, tx)
    pred = predicted.reshape(ty, tx)
    shifts = []
    for qy in (slice(0, ty // 2), slice(ty // 2, ty)):
        for qx in (slice(0, tx // 2), slice(tx // 2, tx)):
            sh = phase_cross_correlation(pred[qy, qx], warped[qy, qx], upsample_factor=20)[0]
            shifts.append(sh * extent_sem_m / np.array([ty, tx]))
    return float(np.sqrt(np.mean(np.sum(np.square(shifts), axis=1))))


def register_topography(sem: np.ndarray, sem_pixel_size_m: float, topography: np.ndarray,
                        map_pixel_size_m, *, extra_channels=(), scale_range=(0.9, 1.1),
                        rotation_range_deg=(-180.0, 180.0)) -> tuple[SimilarityTransform, float]:
    """:func:`register_scan` reduced to ``(transform, residual_m)`` (cAFM metres -> SEM metres)."""
    reg = register_scan(sem, sem_pixel_size_m, topography, map_pixel_size_m, extra_channels=extra_channels,
                        scale_range=scale_range, rotation_range_deg=rotation_range_deg)
    return reg.transform, reg.residual_m
