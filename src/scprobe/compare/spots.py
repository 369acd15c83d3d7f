"""Conducting spots and their persistence between two traces (metastability).

Between Tc and ~30 K the current map shows small (~75 nm) conducting dots whose
positions change between the forward and the immediately following backward
trace.  Spots are the small connected pieces of each conducting component cut at half
of the component's peak current: the size is the half-maximum area (independent
of the threshold and of the spot's current) and the position the current-weighted
centroid of that area.
Spots of the two traces are matched one-to-one within a tolerance.

A spot must be

* significant: its current integrated over the half-maximum area, ``S = sum(I - offset)``,
  exceeds the noise of that sum, ``rms sqrt(n)``, by the one-sided normal quantile of
  :data:`SPOT_CONFIDENCE` (4.75 sigma: about one false spot in a million candidate pieces);
* at least as large as the tip's point-spread function: an equivalent diameter of at least
  its full width at half maximum, ``2 sqrt(2 ln 2) sigma`` (a few noise pixels above the
  threshold are smaller than anything the tip can image);
* not cut by the map border: a piece touching the border may be the edge of a region outside
  the map, so it is flagged (``touches_border``) and left out of counts and persistence.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy.ndimage import find_objects as ndimage_objects
from scipy.spatial import cKDTree

from scprobe.analysis.noise import conducting_mask, default_threshold, noise_stats
from scprobe.analysis.regions import label_regions
from scprobe.errors import ParameterError
from scprobe.results import Result, quantity

#: Half-maximum areas wider than this many expected diameters are regions, not spots.
MAX_SPOT_FACTOR = 2.5
#: Components smaller than this fraction of the expected spot area are noise.
MIN_AREA_FRACTION = 0.1
#: Confidence that a spot's integrated current is not noise (one-sided).
SPOT_CONFIDENCE = 1.0 - 1e-6
#: Full width at half maximum of a Gaussian, in standard deviations.
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
#: PSF standard deviation assumed when no edge fit measured it, px.
DEFAULT_PSF_SIGMA_PX = 1.0


@dataclass(frozen=True)
class SpotTable:
    """Spots of one current map (pixel units of that map).

    Attributes
    ----------
    centres_px : ndarray, shape (n, 2)
        ``(y, x)`` current-weighted centroids, px.
    diameters_px : ndarray, shape (n,)
        Equivalent-circle diameters of the half-maximum areas, px.
    peaks_A : ndarray, shape (n,)
        Peak current above the noise offset, A.
    significance : ndarray, shape (n,)
        Integrated current over the noise of the sum, in standard deviations.
    touches_border : ndarray of bool, shape (n,)
        The half-maximum area reaches the map border (the spot may be cut).
    """

    centres_px: np.ndarray
    diameters_px: np.ndarray
    peaks_A: np.ndarray
    significance: np.ndarray
    touches_border: np.ndarray

    def __len__(self) -> int:
        return len(self.diameters_px)

    def shifted(self, shift_px) -> SpotTable:
        """The same spots with centres moved by ``-shift_px`` (onto another scan's grid)."""
        return SpotTable(self.centres_px - np.asarray(shift_px, dtype=float), self.diameters_px, self.peaks_A,
                         self.significance, self.touches_border)


@dataclass(frozen=True)
class SpotResult(Result):
    """Spot statistics of two traces.

    Attributes
    ----------
    count_a, count_b : int
        Spots in the common area of trace/scan a and b, not cut by the map border.
    border_a, border_b : int
        Spots left out because the map border cuts them.
    diameter_m : float
        Median equivalent diameter of the counted spots, m.
    persistence : float
        ``matched / count_a`` (0..1): the fraction of the first trace's spots still
        there in the second.
    inside_reference_fraction : float or None
        Fraction (0..1) of the first trace's spots whose centre lies in the reference
        (low-T) mask; None without one.
    confidence : float
        One-sided confidence (0..1) at which every counted spot's current is above the noise.
    min_diameter_m : float
        Smallest counted spot: the full width at half maximum of the tip's PSF, m.
    """

    count_a: int = quantity("count")
    count_b: int = quantity("count")
    diameter_m: float = quantity("m")
    persistence: float = quantity("1")
    inside_reference_fraction: float | None = quantity("1")
    border_a: int = quantity("count", default=0)
    border_b: int = quantity("count", default=0)
    confidence: float = quantity("1", default=SPOT_CONFIDENCE)
    min_diameter_m: float = quantity("m", default=math.nan)


def detect_spots(current: np.ndarray, pixel_size_m=(1.0, 1.0), *, spot_diameter_m: float = 75e-9,
                 threshold_A: float | None = None, noise_offset_A: float | None = None,
                 noise_rms_A: float | None = None, psf_sigma_px: float | None = None,
                 confidence: float = SPOT_CONFIDENCE) -> SpotTable:
    """Small, significant conducting spots of a current map.

    Parameters
    ----------
    current : ndarray
        Tip current, A (NaN pixels never conduct).
    pixel_size_m : (float, float)
        ``(dy, dx)`` in metres.
    spot_diameter_m : float
        Expected spot diameter, m (paper: ~75 nm); half-maximum areas wider than
        :data:`MAX_SPOT_FACTOR` times it are regions, smaller than
        :data:`MIN_AREA_FRACTION` of its area are noise.
    threshold_A : float, optional
        Conduction threshold, A; default offset + 5 rms of the noise.
    noise_offset_A, noise_rms_A : float, optional
        Current of non-conducting pixels and its RMS, A; estimated with
        :func:`~scprobe.analysis.noise.noise_stats` when not both given.
    psf_sigma_px : float, optional
        Standard deviation of the tip's point-spread function, px (edge fits); default
        :data:`DEFAULT_PSF_SIGMA_PX`.  Spots narrower than its FWHM are dropped.
    confidence : float
        One-sided confidence (0..1) that a spot's integrated current is not noise.

    Returns
    -------
    SpotTable
        Border-cut spots included and flagged (``touches_border``).
    """
    if not (math.isfinite(spot_diameter_m) and spot_diameter_m > 0):
        raise ParameterError(f"spot diameter must be a positive length in m, got {spot_diameter_m!r}")
    if not 0 < confidence < 1:
        raise ParameterError(f"spot confidence must be in (0, 1), got {confidence!r}")
    sigma = DEFAULT_PSF_SIGMA_PX if psf_sigma_px is None else float(psf_sigma_px)
    if not (math.isfinite(sigma) and sigma > 0):
        raise ParameterError(f"PSF sigma must be a positive number of pixels, got {psf_sigma_px!r}")
    cur = np.asarray(current, dtype=float)
    if threshold_A is None or noise_offset_A is None or noise_rms_A is None:
        noise = noise_stats(cur)
        offset, rms = noise.noise_offset_A, noise.noise_rms_A
        threshold_A = default_threshold(noise) if threshold_A is None else threshold_A
    else:
        offset, rms = float(noise_offset_A), float(noise_rms_A)
    mask, _ = conducting_mask(cur, threshold_A)
    px = math.sqrt(pixel_size_m[0] * pixel_size_m[1])
    d_px = spot_diameter_m / px
    min_area = max(2.0, MIN_AREA_FRACTION * math.pi * d_px ** 2 / 4, math.pi * (FWHM_PER_SIGMA * sigma) ** 2 / 4)
    max_area = math.pi * (MAX_SPOT_FACTOR * d_px) ** 2 / 4
    # scipy.stats.norm.isf(1 - confidence), as it computes it, without importing scipy.stats (~0.3 s)
    z_min = float(-special.ndtri(1.0 - confidence))
    ny, nx = cur.shape
    # pixels of one blurred dot touch at corners where noise frays its outline: 8-connected
    labels, _ = label_regions(mask, connectivity=2)
    centres, diameters, peaks, signif, border = [], [], [], [], []
    for idx, sl in enumerate(ndimage_objects(labels), start=1):
        if sl is None:
            continue
        comp = labels[sl] == idx
        if comp.sum() < min_area:
            continue
        values = np.where(comp, cur[sl] - offset, 0.0)
        peak = float(values.max())
        # the half-maximum cut separates spots whose blurred tails merged at the low threshold;
        # a region stays one large piece and is rejected by its size
        halves, _ = label_regions(values >= 0.5 * peak, connectivity=2)
        for h, hs in enumerate(ndimage_objects(halves), start=1):
            yy, xx = np.nonzero(halves[hs] == h)
            if not min_area <= yy.size <= max_area:
                continue
            weights = values[hs][yy, xx]
            z = float(weights.sum() / (rms * math.sqrt(yy.size))) if rms > 0 else math.inf
            if z < z_min:
                continue
            y_abs, x_abs = sl[0].start + hs[0].start + yy, sl[1].start + hs[1].start + xx
            centres.append((float(np.average(y_abs, weights=weights)), float(np.average(x_abs, weights=weights))))
            diameters.append(math.sqrt(4.0 * yy.size / math.pi))
            peaks.append(float(weights.max()))
            signif.append(z)
            border.append(bool(y_abs.min() == 0 or x_abs.min() == 0 or y_abs.max() == ny - 1
                               or x_abs.max() == nx - 1))
    return SpotTable(np.array(centres, dtype=float).reshape(-1, 2), np.array(diameters, dtype=float),
                     np.array(peaks, dtype=float), np.array(signif, dtype=float), np.array(border, dtype=bool))


def match_spots(centres_a: np.ndarray, centres_b: np.ndarray, tolerance_px: float) -> np.ndarray:
    """One-to-one matches of two sets of spot centres, closest pairs first.

    Parameters
    ----------
    centres_a, centres_b : ndarray, shape (n, 2)
        Centres on one pixel grid, px.
    tolerance_px : float
        Largest centre distance of a match, px.

    Returns
    -------
    ndarray of int, shape (m, 2)
        Index pairs ``(i, j)``.
    """
    ca = np.asarray(centres_a, dtype=float).reshape(-1, 2)
    cb = np.asarray(centres_b, dtype=float).reshape(-1, 2)
    if not len(ca) or not len(cb):
        return np.empty((0, 2), dtype=int)
    pairs = cKDTree(ca).sparse_distance_matrix(cKDTree(cb), tolerance_px, output_type="ndarray")
    order = np.lexsort((pairs["j"], pairs["i"], pairs["v"]))
    used_a, used_b, out = set(), set(), []
    for k in order:
        i, j = int(pairs["i"][k]), int(pairs["j"][k])
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append((i, j))
    return np.array(out, dtype=int).reshape(-1, 2)


def spot_statistics(spots_a: SpotTable, spots_b_aligned: SpotTable, pixel_size_m=(1.0, 1.0), *,
                    tolerance_px: float, valid: np.ndarray | None = None,
                    reference_mask: np.ndarray | None = None, confidence: float = SPOT_CONFIDENCE,
                    min_diameter_m: float = math.nan) -> tuple[SpotResult, np.ndarray, np.ndarray,
                                                                        np.ndarray]:
    """Counts, diameter, persistence and reference overlap of two traces' spots.

    Parameters
    ----------
    spots_a, spots_b_aligned : SpotTable
        Spots of the two traces, centres both on ``a``'s pixel grid.
    pixel_size_m : (float, float)
        ``(dy, dx)`` in metres.
    tolerance_px : float
        Largest centre distance of a match, px.
    valid : ndarray of bool, optional
        Common area on ``a``'s grid; spots whose centre lies outside it are ignored.
    reference_mask : ndarray of bool, optional
        Low-temperature conducting mask on ``a``'s grid.
    confidence, min_diameter_m : float
        The detection criteria, reported with the result.

    Returns
    -------
    result : SpotResult
    keep_a, keep_b : ndarray of int
        Indices of the spots that were counted.
    matches : ndarray, shape (m, 2)
        Matched pairs, indices into ``keep_a`` / ``keep_b``.
    """
    def inside(centres, mask):
        if mask is None:
            return np.ones(len(centres), dtype=bool)
        idx = np.rint(centres).astype(int)
        ok = ((idx[:, 0] >= 0) & (idx[:, 0] < mask.shape[0]) & (idx[:, 1] >= 0) & (idx[:, 1] < mask.shape[1]))
        out = np.zeros(len(centres), dtype=bool)
        out[ok] = mask[idx[ok, 0], idx[ok, 1]]
        return out

    keep_a = np.flatnonzero(inside(spots_a.centres_px, valid) & ~spots_a.touches_border)
    keep_b = np.flatnonzero(inside(spots_b_aligned.centres_px, valid) & ~spots_b_aligned.touches_border)
    ca, cb = spots_a.centres_px[keep_a], spots_b_aligned.centres_px[keep_b]
    matches = match_spots(ca, cb, tolerance_px)
    n = len(keep_a) + len(keep_b)
    diam = np.concatenate([spots_a.diameters_px[keep_a], spots_b_aligned.diameters_px[keep_b]])
    px = math.sqrt(pixel_size_m[0] * pixel_size_m[1])
    inside_ref = None
    if reference_mask is not None:
        inside_ref = float(inside(ca, np.asarray(reference_mask, dtype=bool)).mean()) if len(ca) else math.nan
    result = SpotResult(count_a=len(keep_a), count_b=len(keep_b),
                        diameter_m=float(np.median(diam) * px) if n else math.nan,
                        persistence=len(matches) / len(keep_a) if len(keep_a) else math.nan,
                        inside_reference_fraction=inside_ref,
                        border_a=int(spots_a.touches_border.sum()), border_b=int(spots_b_aligned.touches_border.sum()),
                        confidence=confidence, min_diameter_m=min_diameter_m)
    return result, keep_a, keep_b, matches
