"""The conducting mask every stage shares: detection by the noise, extent at half maximum.

``map``, ``compare``, ``series`` and ``transport`` must agree on which pixels
conduct, so they all call :func:`region_mask` (see :mod:`scprobe.analysis.regions`
for why the extent is taken at half the local plateau current).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scprobe._memo import ContentMemo
from scprobe.analysis.edges import WIDTH_PER_SIGMA, EdgeFits, edge_fits
from scprobe.analysis.noise import NoiseResult, default_threshold, noise_stats, reference_note, validate_threshold
from scprobe.analysis.regions import half_max_mask
from scprobe.errors import ParameterError

BOUNDARIES = ("auto", "half-max", "threshold")
_DEFAULT_RADIUS_PX = 4


@dataclass(frozen=True, eq=False)
class RegionMask:
    """Conducting pixels of a current map and how they were found.

    Attributes
    ----------
    mask : ndarray of bool
        Conducting pixels (extent per ``boundary``).
    detected : ndarray of bool
        Pixels above ``threshold_A``.
    threshold_A : float
        Detection threshold, A.
    boundary : str
        ``half-max`` or ``threshold`` (``auto`` resolved).
    noise : NoiseResult
    edges : EdgeFits or None
        Edge fits centred on the half-maximum boundary (None without conducting pixels).
    reference_note : str
        Non-empty when the automatic threshold had no non-conducting pixels to refer to
        (:func:`~scprobe.analysis.noise.reference_note`): the mask then means nothing.
    """

    mask: np.ndarray
    detected: np.ndarray
    threshold_A: float
    boundary: str
    noise: NoiseResult
    edges: EdgeFits | None
    reference_note: str = ""

    def require_reference(self) -> None:
        """Raise ParameterError when the mask has no non-conducting reference (see ``reference_note``)."""
        if self.reference_note:
            raise ParameterError(self.reference_note)


def _radius_px(edges: EdgeFits | None, pixel_m: tuple[float, float]) -> tuple[int, int]:
    """Plateau search radius ``3 sigma + 1`` per axis (pixels); the default without edge fits."""
    if edges is None or edges.width_m.size == 0:
        return _DEFAULT_RADIUS_PX, _DEFAULT_RADIUS_PX
    sigma_m = float(np.median(edges.width_m)) / WIDTH_PER_SIGMA
    return tuple(int(np.clip(np.ceil(3.0 * sigma_m / d) + 1, 1, 40)) for d in pixel_m)


def region_mask(current: np.ndarray, pixel_size_m: tuple[float, float], threshold_A: float | None = None,
                boundary: str = "auto") -> RegionMask:
    """Conducting mask of a current map, the same in every stage.

    Parameters
    ----------
    current : ndarray
        Tip current, A; NaN pixels never conduct.
    pixel_size_m : (float, float)
        ``(dy, dx)`` pixel pitch, m.
    threshold_A : float, optional
        Detection threshold, A (>= 0); default ``offset + 5 rms`` of the noise.
    boundary : {"auto", "half-max", "threshold"}
        ``half-max``: detected pixels above half their local plateau current (the
        true boundary of a sharp region blurred by the tip); ``threshold``: every
        detected pixel.  ``auto``: ``threshold`` when ``threshold_A`` is given, else
        ``half-max``.

    Notes
    -----
    The last masks found in this process are kept, keyed by the map's bytes and the
    arguments, and a copy is returned when the same map is asked for again
    (``region_mask.cache_clear()`` forgets them).
    """
    if boundary not in BOUNDARIES:
        raise ParameterError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
    threshold_A = validate_threshold(threshold_A)
    cur = np.ascontiguousarray(current, dtype=float)
    return _KEPT(_region_mask, cur, tuple(float(p) for p in pixel_size_m), threshold_A, boundary)


#: The last masks found in this process (a study asks for the masks of the same maps in every stage).
_KEPT = ContentMemo(64 * 2**20)
#: ``region_mask.cache_clear()`` forgets the kept masks (as for :func:`functools.lru_cache`), e.g. to time it.
region_mask.cache_clear = _KEPT.clear


def _region_mask(cur: np.ndarray, pixel_size_m, threshold_A: float | None, boundary: str) -> RegionMask:
    noise = noise_stats(cur)
    thr = default_threshold(noise) if threshold_A is None else float(threshold_A)
    with np.errstate(invalid="ignore"):
        detected = cur > thr
    # edge profiles are centred on the half-maximum boundary whatever the reported mask
    halfmax = half_max_mask(cur, detected, _DEFAULT_RADIUS_PX)
    edges = edge_fits(cur, halfmax, pixel_size_m) if halfmax.any() else None
    # a wider edge response needs a wider plateau search; a narrower one is served by the default
    radius = _radius_px(edges, pixel_size_m)
    if max(radius) > _DEFAULT_RADIUS_PX:
        halfmax = half_max_mask(cur, detected, radius)
        edges = edge_fits(cur, halfmax, pixel_size_m) if halfmax.any() else None
    if boundary == "auto":
        boundary = "threshold" if threshold_A is not None else "half-max"
    mask = halfmax if boundary == "half-max" else detected
    note = reference_note(noise) if threshold_A is None else ""
    return RegionMask(mask, detected, thr, boundary, noise, edges, note)
