"""Registration of a cAFM scan into an SEM image from the image content.

Frames and pixel conventions are those of :mod:`scprobe.composition.overlay`.  The
search is a masked normalised cross-correlation (FFT) over rotation and scale on
down-sampled images, for each scan channel that the SEM contrast may follow
(topography, its slope, the conducting mask); the best candidate is refined at full
resolution by maximising the multiple correlation of the SEM grey levels with all
channels at once.
"""
from __future__ import annotations

import numpy as np
from scipy import fft as sfft
from scipy import ndimage, optimize
from skimage.transform import SimilarityTransform, rescale

from scprobe.errors import ParameterError

#: Side of the template in the coarse search, pixels.
COARSE_TEMPLATE_PX = 32


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


def _normalise(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    a = np.where(np.isfinite(a), a, np.nanmean(a))
    sd = a.std()
    return (a - a.mean()) / (sd if sd > 0 else 1.0)


def _coarse_search(sem: np.ndarray, tmpls, scales, angles_rad):
    """Best (|ncc|, sign, scale, angle, centre_yx) of any of ``tmpls`` (same shape, same pitch
    as ``sem``) rotated and scaled inside ``sem``.

    Normalised cross-correlation over the template's full rotated footprint, with local
    SEM statistics under that footprint (masked NCC), all by FFT; only positions where
    the footprint lies inside the SEM image count.
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
    best = (-1.0, 1.0, 1.0, 0.0, (0.0, 0.0))

    def corr(f_image, f_kernel):
        # full correlation; output (i, j) has the kernel centre at SEM pixel (i - half, j - half)
        return sfft.irfft2(f_image * f_kernel, shape)[:out_shape[0], :out_shape[1]]

    def spectrum(kernel):
        return sfft.rfft2(kernel[::-1, ::-1], shape)

    iy, ix = np.mgrid[0:out_shape[0], 0:out_shape[1]]
    iy, ix = iy - half, ix - half
    corners = np.array([[-tx / 2, -ty / 2], [tx / 2, -ty / 2], [tx / 2, ty / 2], [-tx / 2, ty / 2]])
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
            for t in tmpls:
                patch = ndimage.map_coordinates(t, [my, mx], order=1, mode="nearest") * foot
                patch[foot] -= patch[foot].mean()
                norm = np.sqrt((patch ** 2).sum())
                if norm == 0:
                    continue
                ncc = np.where(inside, corr(f_sem, spectrum(patch)) / (np.sqrt(var) * norm), 0.0)
                k = int(np.argmax(np.abs(ncc)))
                v = float(ncc.flat[k])
                if abs(v) > best[0]:
                    ky, kx = np.unravel_index(k, ncc.shape)
                    best = (abs(v), np.sign(v), s, a, (ky - half, kx - half))
    return best


def scan_feature_channels(topography: np.ndarray, mask: np.ndarray | None = None) -> list[np.ndarray]:
    """Images of a scan that an SEM image may resemble.

    The topography (a plane removed), its slope (step edges and pit rims light up in
    secondary-electron images) and, when given, the conducting mask (SEM phase
    contrast).  The slope is taken after removing each row's median, since AFM row
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
    if mask is not None and 0 < np.count_nonzero(mask) < np.size(mask):
        out.append(ndimage.gaussian_filter(np.asarray(mask, dtype=float), 1.0))
    return out


def register_topography(sem: np.ndarray, sem_pixel_size_m: float, topography: np.ndarray,
                        map_pixel_size_m, *, extra_channels=(), scale_range=(0.9, 1.1),
                        rotation_range_deg=(-180.0, 180.0)) -> tuple[SimilarityTransform, float]:
    """Find where a cAFM scan lies in a larger SEM image.

    Each scan channel (the topography and any ``extra_channels``) is searched for
    separately on down-sampled images; from the best one the transform is refined at
    full resolution by maximising the multiple correlation of the SEM grey levels
    with all channels at once (a least-squares mix of them), so an SEM image whose
    contrast mixes topography, edges and phase is matched as a whole.

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
    transform : SimilarityTransform
        cAFM metres -> SEM metres.
    residual_m : float
        RMS of the local misfits of the four quadrants of the field after the fit
        (phase correlation), m in the SEM frame.
    """
    from skimage.registration import phase_cross_correlation

    dy, dx = (map_pixel_size_m, map_pixel_size_m) if np.isscalar(map_pixel_size_m) else map_pixel_size_m
    if not (sem_pixel_size_m > 0 and dx > 0 and dy > 0):
        raise ParameterError("pixel sizes must be positive")
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
    s_lo, s_hi = np.sort(scale_range)
    if not s_lo > 0:
        raise ParameterError(f"scale_range must be positive, got {scale_range}")
    scales = np.geomspace(s_lo, s_hi, max(1, int(np.ceil(np.log(s_hi / s_lo) / np.log(1.04))) + 1))
    coarse = [_normalise(rescale(t, 1 / f, anti_aliasing=True, order=1)) if f > 1 else t for t in tmpls]
    _, _, s0, a0, (cy, cx) = _coarse_search(sem_c, coarse, scales, angles)
    # template pixel centres in cAFM metres; SEM samples at the transformed positions
    gy, gx = np.mgrid[0:ty, 0:tx]
    pts = np.column_stack([(gx.ravel() + 0.5) * extent[1] / tx, (gy.ravel() + 0.5) * extent[0] / ty])
    design = np.column_stack([t.ravel() for t in tmpls] + [np.ones(ty * tx)])
    centre_sem = (np.array([cx, cy]) + 0.5) * f * sem_pixel_size_m
    centre_map = extent[::-1] / 2

    def tform(p):
        s, a = np.exp(p[0]), p[1]
        rot = SimilarityTransform(scale=s, rotation=a)
        return SimilarityTransform(scale=s, rotation=a,
                                   translation=centre_sem + p[2:] * sem_pixel_size_m - rot(centre_map)[0])

    def sample(p):
        xy = m_to_px(tform(p)(pts), sem_pixel_size_m)
        return ndimage.map_coordinates(sem_n, [xy[:, 1], xy[:, 0]], order=1, mode="constant", cval=np.nan)

    def fit(v):
        ok = np.isfinite(v)
        coef, *_ = np.linalg.lstsq(design[ok], v[ok], rcond=None)
        return ok, design @ coef

    def cost(p):
        v = sample(p)
        ok, pred = fit(v)
        if ok.sum() < 0.9 * v.size or np.std(pred[ok]) == 0:
            return 1.0
        return -float(np.corrcoef(v[ok], pred[ok])[0, 1])

    p0 = np.array([np.log(s0), a0, 0.0, 0.0])
    simplex = p0 + np.vstack([np.zeros(4), np.diag([0.03, np.deg2rad(3.0), 2.0 * f, 2.0 * f])])
    res = optimize.minimize(cost, p0, method="Nelder-Mead",
                            options={"initial_simplex": simplex, "xatol": 1e-5, "fatol": 1e-7, "maxiter": 4000})
    best = tform(res.x)
    v = sample(res.x)
    _, pred = fit(v)
    warped = np.where(np.isfinite(v), v, 0.0).reshape(ty, tx)
    pred = pred.reshape(ty, tx)
    shifts = []
    for qy in (slice(0, ty // 2), slice(ty // 2, ty)):
        for qx in (slice(0, tx // 2), slice(tx // 2, tx)):
            sh = phase_cross_correlation(pred[qy, qx], warped[qy, qx], upsample_factor=20)[0]
            shifts.append(sh * extent / np.array([ty, tx]) * np.exp(res.x[0]))
    residual = float(np.sqrt(np.mean(np.sum(np.square(shifts), axis=1))))
    return best, residual
