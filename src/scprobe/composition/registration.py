"""Registration of a cAFM scan into an SEM image from the image content.

Frames and pixel conventions are those of :mod:`scprobe.composition.overlay`.

The SEM grey level is modelled as a linear mix of scan channels (topography, its
slope, the conducting phase: SEM topographic, edge and phase contrast) seen through
a similarity transform.  The search (:mod:`scprobe.composition.matching`) has two
stages:

1. *Coarse, global*: masked normalised cross-correlation of each channel over a
   grid of rotations and scales on down-sampled images; every distinct local
   maximum is kept as a candidate, not only the best.
2. *Fine, local*: from each candidate the four parameters are refined by
   maximising the multiple correlation of the band-passed SEM grey levels with all
   band-passed channels at once.

The candidate with the highest correlation wins.  It is trusted when that
correlation stands well above chance (the same field turned away from the match)
and no different placement comes close to it; otherwise it is flagged, and its
residual is the size of the field, not a misleadingly small number.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.transform import SimilarityTransform, rescale

from scprobe.composition.matching import BANDPASS_PX, FineModel, bandpass, coarse_candidates
from scprobe.errors import ParameterError
from scprobe.results import Result, quantity

#: Side of the template in the coarse search, pixels ...
COARSE_TEMPLATE_PX = 32
#: ... unless that averages more than this many SEM pixels per side: topographic features (step edges,
#: pits, particles) are a few SEM pixels wide and vanish from coarser images (a 512 px scan failed at 8).
MAX_COARSE_FACTOR = 4.0
#: Number of distinct coarse candidates refined.
CANDIDATES = 4
#: SEM pixels used when refining every candidate, and when refining the best two.
SPARSE_POINTS, FINE_POINTS = 2500, 20000
#: A match is trusted when its correlation exceeds chance by this many standard deviations ...
MIN_SIGNIFICANCE = 5.0
#: ... and no different placement reaches more than this fraction of it.
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
        RMS of the local misfits of the four quadrants of the field, m in the SEM frame;
        half the field's diagonal when the match is not trusted.
    correlation : float
        Multiple correlation (0..1) of the band-passed SEM grey levels with the scan channels.
    chance_correlation : float
        Mean correlation of the same field turned 30..330 degrees away from the match.
    runner_up_correlation : float
        Correlation of the best placement that differs from the match (NaN if none).
    reliable : bool
        ``correlation`` exceeds chance by :data:`MIN_SIGNIFICANCE` standard deviations
        and the runner-up reaches at most :data:`MAX_RUNNER_UP` of it.
    """

    scale: float = quantity("1")
    rotation_deg: float = quantity("deg")
    shift_m: tuple[float, float] = quantity("m")
    residual_m: float = quantity("m")
    correlation: float = quantity("1")
    chance_correlation: float = quantity("1")
    runner_up_correlation: float = quantity("1")
    reliable: bool = quantity("")

    @property
    def transform(self) -> SimilarityTransform:
        """cAFM metres -> SEM metres."""
        return SimilarityTransform(scale=self.scale, rotation=np.deg2rad(self.rotation_deg),
                                   translation=self.shift_m)



def _normalise(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    a = np.where(np.isfinite(a), a, np.nanmean(a))
    sd = a.std()
    return (a - a.mean()) / (sd if sd > 0 else 1.0)


def scan_feature_channels(topography: np.ndarray, mask: np.ndarray | None = None) -> list[np.ndarray]:
    """Images of a scan that an SEM image may resemble.

    The topography (a plane removed), its slope (step edges and pit rims light up in
    secondary-electron images) and, when given, the conducting phase (SEM phase
    contrast): a boolean mask or a fraction 0..1 such as :func:`phase_channel`.  The
    slope is taken after removing each row's median, and both after a 3-line median
    across the scan lines, since AFM row offsets and single-line scars would otherwise
    appear as edges that the SEM image does not have.
    """
    topo = np.asarray(topography, dtype=float)
    topo = np.where(np.isfinite(topo), topo, np.nanmean(topo))
    yy, xx = np.mgrid[0:topo.shape[0], 0:topo.shape[1]]
    a = np.column_stack([xx.ravel(), yy.ravel(), np.ones(topo.size)])
    coef, *_ = np.linalg.lstsq(a, topo.ravel(), rcond=None)
    levelled = topo - (a @ coef).reshape(topo.shape)
    rows = ndimage.median_filter(levelled - np.median(levelled, axis=1, keepdims=True), size=(3, 1))
    gy, gx = np.gradient(ndimage.gaussian_filter(rows, 1.0))
    out = [_normalise(ndimage.median_filter(levelled, size=(3, 1))), _normalise(np.hypot(gy, gx))]
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
    level = float(np.percentile(cur[sel], 10)) if sel.any() else 0.0
    if not level > 0:
        return mask.astype(float)
    return np.clip(np.where(np.isfinite(cur), cur, 0.0) / level, 0.0, 1.0)


def _coarse_search(sem_n, channels, sem_pixel_size_m, dy, dx, scale_range, rotation_range_deg):
    """Candidate starts ``p = (ln scale, rad, x, y)`` (see :class:`FineModel`) and the coarse angle step."""
    tmpls = [_normalise(rescale(c, (dy / sem_pixel_size_m, dx / sem_pixel_size_m), anti_aliasing=True, order=1))
             for c in channels]
    ty, tx = tmpls[0].shape
    if ty >= sem_n.shape[0] or tx >= sem_n.shape[1] or min(ty, tx) < 8:
        raise ParameterError(f"the cAFM field ({tx} x {ty} SEM px) must be smaller than the SEM image "
                             f"({sem_n.shape[1]} x {sem_n.shape[0]} px) and at least 8 SEM px wide")
    f = min(max(1.0, min(ty, tx) / COARSE_TEMPLATE_PX), MAX_COARSE_FACTOR)
    sem_c = _normalise(rescale(sem_n, 1 / f, anti_aliasing=True, order=1)) if f > 1 else sem_n
    coarse = [_normalise(rescale(t, 1 / f, anti_aliasing=True, order=1)) if f > 1 else t for t in tmpls]
    r = 0.5 * min(coarse[0].shape)
    lo, hi = np.sort(rotation_range_deg)
    angles = np.deg2rad(np.arange(lo, hi + 1e-9, np.rad2deg(1.0 / r)))
    s_lo, s_hi = np.sort(scale_range)
    scales = np.geomspace(s_lo, s_hi, max(1, int(np.ceil(np.log(s_hi / s_lo) / np.log(1.06))) + 1))
    found = coarse_candidates(sem_c, coarse, scales, angles, 0.25 * r, CANDIDATES)
    # coarse pixel (row, col) has its centre at ((col, row) + 0.5) * f SEM pixel units from the corner
    starts = [np.array([np.log(s), a, (col + 0.5) * f, (row + 0.5) * f]) for _, s, a, (row, col) in found]
    return starts, 1.0 / r, f


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
    if not np.min(scale_range) > 0:
        raise ParameterError(f"scale_range must be positive, got {scale_range}")
    channels = [_normalise(topography), *(_normalise(c) for c in extra_channels)]
    sem_n = _normalise(sem)
    starts, coarse_step_rad, f = _coarse_search(sem_n, channels, sem_pixel_size_m, dy, dx, scale_range,
                                                rotation_range_deg)
    per_px = (sem_pixel_size_m / dy, sem_pixel_size_m / dx)
    model = FineModel(bandpass(sem_n), sem_pixel_size_m, [bandpass(c, per_px) for c in channels], (dy, dx))
    margin = BANDPASS_PX[1] / 2

    refined = [model.refine(p, model.pixels(p, margin, SPARSE_POINTS), (0.02, coarse_step_rad, f), 1e-3)
               for p in starts]
    refined.sort(key=lambda c: -c[1])
    finals = []
    for p, _ in refined[:2]:
        for steps, tol in (((0.005, np.deg2rad(0.3), 0.5), 1e-4), ((0.002, np.deg2rad(0.1), 0.2), 1e-5)):
            p, rho = model.refine(p, model.pixels(p, margin, FINE_POINTS), steps, tol)
        finals.append((p, rho))
    finals += [(p, model.correlation(p, model.pixels(p, margin, FINE_POINTS))) for p, _ in refined[2:]]
    finals.sort(key=lambda c: -c[1])
    best, rho = finals[0]
    runner_up = max((c for p, c in finals[1:] if _distinct(model, p, best)), default=np.nan)

    # chance: the same SEM pixels (a disc inside the field) against the field turned away from the match
    centre = np.array([model.nx, model.ny]) / 2 - 0.5
    radius = 0.5 * min(model.nx, model.ny) - margin * sem_pixel_size_m / min(dx, dy)
    disc = model.pixel_set(model.pixels(best, 0.0, FINE_POINTS,
                                        where=lambda xy: np.hypot(*(xy - centre).T) <= radius))
    turned = [model.correlation(best + [0, np.deg2rad(t), 0, 0], disc) for t in range(30, 331, 15)]
    chance, spread = float(np.mean(turned)), float(np.std(turned))
    significance = (model.correlation(best, disc) - chance) / max(spread, 1e-3)
    reliable = bool(significance >= MIN_SIGNIFICANCE and not runner_up > MAX_RUNNER_UP * rho)

    t = model.transform(best)
    residual = _quadrant_residual(model, best, margin)
    if not reliable:
        residual = max(residual, 0.5 * float(np.hypot(model.nx * dx, model.ny * dy)) * t.scale)
    return Registration(float(t.scale), float((np.rad2deg(t.rotation) + 180.0) % 360.0 - 180.0),
                        (float(t.translation[0]), float(t.translation[1])), residual, float(rho), chance,
                        float(runner_up), reliable)


def _distinct(model: FineModel, p, best) -> bool:
    """Whether two placements put some corner of the field more than a quarter of its side apart."""
    corners = np.array([[0, 0], [model.nx, 0], [0, model.ny], [model.nx, model.ny]]) - 0.5
    corners_m = (corners + 0.5) * np.array([model.dx, model.dy])
    d = model.transform(p)(corners_m) - model.transform(best)(corners_m)
    return float(np.hypot(*d.T).max()) > 0.25 * min(model.nx * model.dx, model.ny * model.dy)


def _quadrant_residual(model: FineModel, p, margin: float) -> float:
    """RMS (m) of the shifts that best align each quadrant of the field on its own."""
    pixels = model.pixels(p, margin, FINE_POINTS)
    coef = model.coefficients(p, pixels)
    xy = model.scan_px(p, pixels)
    right, low = xy[:, 0] >= (model.nx - 1) / 2, xy[:, 1] >= (model.ny - 1) / 2
    shifts = [model.local_shift_px(p, pixels[(right == qx) & (low == qy)], coef)
              for qy in (False, True) for qx in (False, True)]
    return float(np.sqrt(np.mean(np.sum(np.square(shifts), axis=1)))) * model.sem_px


def register_topography(sem: np.ndarray, sem_pixel_size_m: float, topography: np.ndarray,
                        map_pixel_size_m, *, extra_channels=(), scale_range=(0.9, 1.1),
                        rotation_range_deg=(-180.0, 180.0)) -> tuple[SimilarityTransform, float]:
    """:func:`register_scan` reduced to ``(transform, residual_m)`` (cAFM metres -> SEM metres)."""
    reg = register_scan(sem, sem_pixel_size_m, topography, map_pixel_size_m, extra_channels=extra_channels,
                        scale_range=scale_range, rotation_range_deg=rotation_range_deg)
    return reg.transform, reg.residual_m
