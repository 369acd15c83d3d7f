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
content (:mod:`scprobe.composition.registration`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.transform import SimilarityTransform

from scprobe.composition.registration import (Registration, m_to_px, phase_channel, px_to_m, register_scan,
                                              register_topography, scan_feature_channels)
from scprobe.errors import ParameterError
from scprobe.results import Result, internal, quantity

__all__ = ["OverlayResult", "Registration", "SiteRegion", "classify_sites", "m_to_px", "overlay_sem",
           "parse_control_points", "phase_channel", "px_to_m", "register_scan", "register_topography",
           "scan_feature_channels", "similarity_from_points"]


@dataclass(frozen=True)
class SiteRegion(Result):
    """Which region of the conducting mask a lift-out site sampled.

    ``region`` is ``conducting``, ``insulating`` or ``outside`` (not in the cAFM field);
    ``distance_to_boundary_m`` is the distance to the nearest conducting/insulating
    boundary, m (NaN outside).
    """

    name: str = quantity("")
    region: str = quantity("")
    distance_to_boundary_m: float = quantity("m")
    sem_xy_px: tuple[float, float] = internal((np.nan, np.nan))
    map_xy_m: tuple[float, float] = internal((np.nan, np.nan))


@dataclass(frozen=True)
class OverlayResult(Result):
    """cAFM-to-SEM similarity transform, its residual and the lift-out sites.

    JSON keys: ``scale``, ``rotation_deg``, ``shift_m`` ([x, y]), ``residual_m``
    (RMS misfit of control points, or of local matches for feature registration;
    half the field's diagonal when a feature match is not trusted) and ``sites``.
    ``registration`` holds the confidence of a feature match (None for control points);
    ``reliable`` is False when that match cannot be trusted.
    """

    scale: float = quantity("1")
    rotation_deg: float = quantity("deg")
    shift_m: tuple[float, float] = quantity("m")
    residual_m: float = quantity("m")
    sites: list[SiteRegion]
    method: str = internal("control_points")
    sem: np.ndarray | None = internal(None)
    sem_pixel_size_m: float = internal(np.nan)
    current: np.ndarray | None = internal(None)
    mask: np.ndarray | None = internal(None)
    map_pixel_size_m: tuple[float, float] = internal((np.nan, np.nan))
    registration: Registration | None = internal(None)

    @property
    def reliable(self) -> bool:
        """False when a feature match stands too little above chance or has a close rival."""
        return self.registration is None or self.registration.reliable

    @property
    def transform(self) -> SimilarityTransform:
        """cAFM metres -> SEM metres."""
        return SimilarityTransform(scale=self.scale, rotation=np.deg2rad(self.rotation_deg),
                                   translation=self.shift_m)


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
        found from the images (:func:`register_scan` on the topography, its slope and
        the conducting phase from the current, :func:`phase_channel`).
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
        method, registration = "control_points", None
    else:
        channels = scan_feature_channels(topography, phase_channel(current, mask))
        registration = register_scan(sem, sem_pixel_size_m, channels[0], map_pixel_size_m,
                                     extra_channels=channels[1:], scale_range=scale_range,
                                     rotation_range_deg=rotation_range_deg)
        tform, residual, method = registration.transform, registration.residual_m, "features"
    regions = classify_sites(tform, sites, mask, map_pixel_size_m, sem_pixel_size_m)
    rot = float(np.rad2deg(tform.rotation))
    dy, dx = (map_pixel_size_m, map_pixel_size_m) if np.isscalar(map_pixel_size_m) else map_pixel_size_m
    return OverlayResult(float(tform.scale), (rot + 180.0) % 360.0 - 180.0,
                         (float(tform.translation[0]), float(tform.translation[1])), residual, regions,
                         method, np.asarray(sem), float(sem_pixel_size_m), np.asarray(current),
                         np.asarray(mask), (float(dy), float(dx)), registration)
