"""Overlay of a cAFM scan on a larger SEM image, and where the lift-out sites fall.

Frames (both in metres, x along columns, y along rows pointing down, origin at the
top-left image corner): the *cAFM frame* of the scan and the *SEM frame* of the SEM
image.  Pixel coordinates are continuous with integer values at pixel centres
(``metres = (px + 0.5) * pixel_size``), as matplotlib and scikit-image draw them.

A similarity transform maps cAFM metres to SEM metres:
``sem = scale * R(rotation) @ map + shift``.  ``scale`` is 1 when both instruments are
calibrated alike; ``rotation_deg`` turns the cAFM x axis towards the SEM y axis
(clockwise on screen, since y points down); ``shift_m`` is where the cAFM origin
lies in the SEM frame.  It is estimated from user control points (least squares,
Umeyama 1991, via :class:`skimage.transform.SimilarityTransform`) or from the image
content: a normalised cross-correlation search over rotation and scale on
down-sampled images, refined by maximising the correlation at full resolution.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import fft as sfft
from scipy import ndimage, optimize
from skimage.transform import SimilarityTransform, rescale

from scprobe.errors import ParameterError
from scprobe.results import Result, jsonable

#: Side of the template in the coarse search, pixels.
COARSE_TEMPLATE_PX = 32


@dataclass(frozen=True)
class SiteRegion(Result):
    """Which region of the conducting mask a lift-out site sampled.

    ``region`` is ``conducting``, ``insulating`` or ``outside`` (not in the cAFM field);
    ``distance_to_boundary_m`` is the distance to the nearest conducting/insulating
    boundary, m (NaN outside).
    """

    name: str
    region: str
    distance_to_boundary_m: float
    sem_xy_px: tuple[float, float] = (np.nan, np.nan)
    map_xy_m: tuple[float, float] = (np.nan, np.nan)

    def to_dict(self) -> dict:
        return {"name": self.name, "region": self.region,
                "distance_to_boundary_m": jsonable(self.distance_to_boundary_m)}


@dataclass(frozen=True)
class OverlayResult(Result):
    """cAFM-to-SEM similarity transform, its residual and the lift-out sites.

    JSON keys: ``scale``, ``rotation_deg``, ``shift_m`` ([x, y]), ``residual_m``
    (RMS misfit of control points, or of local matches for feature registration)
    and ``sites``.
    """

    scale: float
    rotation_deg: float
    shift_m: tuple[float, float]
    residual_m: float
    sites: list[SiteRegion]
    method: str = "control_points"
    sem: np.ndarray | None = field(default=None, repr=False)
    sem_pixel_size_m: float = np.nan
    current: np.ndarray | None = field(default=None, repr=False)
    mask: np.ndarray | None = field(default=None, repr=False)
    map_pixel_size_m: tuple[float, float] = (np.nan, np.nan)

    def to_dict(self) -> dict:
        return {"scale": jsonable(self.scale), "rotation_deg": jsonable(self.rotation_deg),
                "shift_m": jsonable(list(self.shift_m)), "residual_m": jsonable(self.residual_m),
                "sites": [s.to_dict() for s in self.sites]}

    @property
    def transform(self) -> SimilarityTransform:
        """cAFM metres -> SEM metres."""
        return SimilarityTransform(scale=self.scale, rotation=np.deg2rad(self.rotation_deg),
                                   translation=self.shift_m)


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


def parse_control_points(text: str) -> np.ndarray:
    """``"xs,ys,xm,ym;..."`` (SEM px then cAFM px per point) -> array (n, 4)."""
    pts = []
    for p in (p for p in text.split(";") if p.strip()):
        try:
            vals = [float(v) for v in p.split(",")]
        except ValueError:
            raise ParameterError(f"control points must be 'xs,ys,xm,ym;...' numbers, got {p!r}") from None
        if len(vals) != 4:
            raise ParameterError(f"each control point needs 4 numbers xs,ys,xm,ym; got {p!r}")
        pts.append(vals)
    if not pts:
        raise ParameterError("no control points given")
    return np.array(pts)


def similarity_from_points(map_xy_m, sem_xy_m) -> tuple[SimilarityTransform, float]:
    """Least-squares similarity transform from >= 2 point pairs; returns it and the RMS residual, m."""
    src = np.asarray(map_xy_m, dtype=float).reshape(-1, 2)
    dst = np.asarray(sem_xy_m, dtype=float).reshape(-1, 2)
    if src.shape != dst.shape or src.shape[0] < 2:
        raise ParameterError(f"need at least 2 control points, got {src.shape[0]}")
    if np.linalg.matrix_rank(src - src.mean(axis=0)) < 1 or np.allclose(src[0], src[1:]):
        raise ParameterError("control points coincide; they must span a distance")
    tform = SimilarityTransform.from_estimate(src, dst) if hasattr(SimilarityTransform, "from_estimate") \
        else _estimate(src, dst)
    if not tform or not np.all(np.isfinite(tform.params)):
        raise ParameterError("control points do not determine a similarity transform")
    res = tform(src) - dst
    return tform, float(np.sqrt(np.mean(np.sum(res ** 2, axis=1))))


def _estimate(src, dst) -> SimilarityTransform:
    t = SimilarityTransform()
    t.estimate(src, dst)
    return t


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
    f_one = sfft.rfft2(np.ones_like(sem), shape)
    vv, uu = np.mgrid[-half:half + 1, -half:half + 1].astype(float)
    cy, cx = (ty - 1) / 2, (tx - 1) / 2
    best = (-1.0, 1.0, 1.0, 0.0, (0.0, 0.0))

    def corr(f_image, kernel):
        # full correlation; output (i, j) has the kernel centre at SEM pixel (i - half, j - half)
        full = sfft.irfft2(f_image * sfft.rfft2(kernel[::-1, ::-1], shape), shape)
        return full[:out_shape[0], :out_shape[1]]

    for s in scales:
        for a in angles_rad:
            ca, sa = np.cos(a), np.sin(a)
            # SEM offset d = s R(a) m  =>  template offset m = R(-a) d / s
            mx = (ca * uu + sa * vv) / s + cx
            my = (-sa * uu + ca * vv) / s + cy
            foot = (mx >= -0.5) & (mx <= tx - 0.5) & (my >= -0.5) & (my <= ty - 0.5)
            n = float(foot.sum())
            footf = foot.astype(float)
            inside = corr(f_one, footf) > n - 0.5
            if not inside.any():
                continue
            s1 = corr(f_sem, footf)
            var = np.maximum(corr(f_sem2, footf) - s1 ** 2 / n, 1e-6 * n)
            for t in tmpls:
                patch = ndimage.map_coordinates(t, [my, mx], order=1, mode="nearest") * footf
                patch[foot] -= patch[foot].mean()
                norm = np.sqrt((patch ** 2).sum())
                if norm == 0:
                    continue
                ncc = np.where(inside, corr(f_sem, patch) / (np.sqrt(var) * norm), 0.0)
                k = int(np.argmax(np.abs(ncc)))
                v = float(ncc.flat[k])
                if abs(v) > best[0]:
                    iy, ix = np.unravel_index(k, ncc.shape)
                    best = (abs(v), np.sign(v), s, a, (iy - half, ix - half))
    return best


def scan_feature_channels(topography: np.ndarray, mask: np.ndarray | None = None) -> list[np.ndarray]:
    """Images of a scan that an SEM image may resemble.

    The topography after removing each row's median (AFM row offsets have no SEM
    counterpart), its slope (step edges and pit rims light up in secondary-electron
    images) and, when given, the conducting mask (SEM phase contrast).
    """
    topo = np.asarray(topography, dtype=float)
    topo = _normalise(topo - np.nanmedian(topo, axis=1, keepdims=True))
    gy, gx = np.gradient(ndimage.gaussian_filter(topo, 1.0))
    out = [topo, np.hypot(gy, gx)]
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


def classify_sites(transform: SimilarityTransform, sites, mask: np.ndarray, map_pixel_size_m,
                   sem_pixel_size_m: float) -> list[SiteRegion]:
    """Map lift-out sites from SEM pixels into the cAFM frame and classify them.

    Parameters
    ----------
    transform : SimilarityTransform
        cAFM metres -> SEM metres.
    sites : sequence of (name, (x_px, y_px))
        Site positions in SEM pixels.
    mask : ndarray of bool
        Conducting mask of the cAFM map.
    map_pixel_size_m : float or (dy, dx)
    sem_pixel_size_m : float

    Returns
    -------
    list of SiteRegion
        Distance to the boundary = distance from the site to the nearest pixel centre of
        the other class minus half a pixel (the boundary runs between pixels), >= 0.
    """
    dy, dx = (map_pixel_size_m, map_pixel_size_m) if np.isscalar(map_pixel_size_m) else map_pixel_size_m
    mask = np.asarray(mask, dtype=bool)
    ny, nx = mask.shape
    inv = transform.inverse
    out = []
    for name, xy in sites:
        sem_m = px_to_m(xy, sem_pixel_size_m)
        map_m = inv(sem_m)[0]
        px, py = m_to_px(map_m, (dy, dx))[0]
        col, row = int(np.round(px)), int(np.round(py))
        if not (0 <= col < nx and 0 <= row < ny):
            out.append(SiteRegion(name, "outside", np.nan, tuple(map(float, xy)), tuple(map(float, map_m))))
            continue
        inside = bool(mask[row, col])
        other = ~mask if inside else mask
        if not other.any():
            dist = np.inf
        else:
            _, (ri, ci) = ndimage.distance_transform_edt(~other, sampling=(dy, dx), return_indices=True)
            oy, ox = ri[row, col], ci[row, col]
            d = np.hypot((ox - px) * dx, (oy - py) * dy)
            dist = max(0.0, float(d - 0.5 * (dx if abs(ox - px) * dx >= abs(oy - py) * dy else dy)))
        out.append(SiteRegion(name, "conducting" if inside else "insulating", dist,
                              tuple(map(float, xy)), tuple(map(float, map_m))))
    return out


def overlay_sem(sem: np.ndarray, sem_pixel_size_m: float, topography: np.ndarray, current: np.ndarray,
                map_pixel_size_m, *, mask: np.ndarray, control_points=None, sites=(),
                scale_range=(0.9, 1.1), rotation_range_deg=(-180.0, 180.0)) -> OverlayResult:
    """Register a cAFM scan into an SEM image and classify the lift-out sites.

    Parameters
    ----------
    sem, sem_pixel_size_m
        SEM image and its pixel size, m.
    topography, current : ndarray
        cAFM channels (topography for feature registration, current for figures).
    map_pixel_size_m : float or (dy, dx)
        cAFM pixel pitch, m.
    mask : ndarray of bool
        Conducting mask of the map.
    control_points : array (n, 4) or str, optional
        ``xs, ys, xm, ym`` per point (SEM px, cAFM px); without them the transform is
        found from the images (:func:`register_topography` on the topography, its slope
        and the conducting mask).
    sites : sequence of (name, (x_px, y_px))
        Lift-out sites in SEM pixels.
    """
    if not (np.isfinite(sem_pixel_size_m) and sem_pixel_size_m > 0):
        raise ParameterError(f"SEM pixel size must be a positive length in m, got {sem_pixel_size_m!r}")
    if control_points is not None:
        pts = parse_control_points(control_points) if isinstance(control_points, str) \
            else np.asarray(control_points, dtype=float).reshape(-1, 4)
        tform, residual = similarity_from_points(px_to_m(pts[:, 2:], map_pixel_size_m),
                                                 px_to_m(pts[:, :2], sem_pixel_size_m))
        method = "control_points"
    else:
        channels = scan_feature_channels(topography, mask)
        tform, residual = register_topography(sem, sem_pixel_size_m, channels[0], map_pixel_size_m,
                                              extra_channels=channels[1:], scale_range=scale_range,
                                              rotation_range_deg=rotation_range_deg)
        method = "features"
    regions = classify_sites(tform, sites, mask, map_pixel_size_m, sem_pixel_size_m)
    rot = float(np.rad2deg(tform.rotation))
    dy, dx = (map_pixel_size_m, map_pixel_size_m) if np.isscalar(map_pixel_size_m) else map_pixel_size_m
    return OverlayResult(float(tform.scale), (rot + 180.0) % 360.0 - 180.0,
                         (float(tform.translation[0]), float(tform.translation[1])), residual, regions,
                         method, np.asarray(sem), float(sem_pixel_size_m), np.asarray(current),
                         np.asarray(mask), (float(dy), float(dx)))
