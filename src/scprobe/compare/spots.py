"""Conducting spots and their persistence between two traces (metastability).

Between Tc and ~30 K the current map shows small (~75 nm) conducting dots whose
positions change between the forward and the immediately following backward
trace.  Spots are the small connected pieces of each conducting component cut at half
of the component's peak current: the size is the half-maximum area (independent
of the threshold and of the spot's current) and the position the current-weighted
centroid of that area.
Spots of the two traces are matched one-to-one within a tolerance.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from scprobe.analysis.noise import conducting_mask, default_threshold, noise_stats
from scprobe.errors import ParameterError
from scprobe.results import Result

#: Half-maximum areas wider than this many expected diameters are regions, not spots.
MAX_SPOT_FACTOR = 2.5
#: Components smaller than this fraction of the expected spot area are noise.
MIN_AREA_FRACTION = 0.1


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
    """

    centres_px: np.ndarray
    diameters_px: np.ndarray
    peaks_A: np.ndarray

    def __len__(self) -> int:
        return len(self.diameters_px)


@dataclass(frozen=True)
class SpotResult(Result):
    """Spot statistics of two traces.

    Attributes
    ----------
    count_a, count_b : int
        Spots in the common area of trace/scan a and b.
    diameter_m : float
        Median equivalent diameter of all spots, m.
    persistence : float
        ``matched / count_a`` (0..1): the fraction of the first trace's spots still
        there in the second.
    inside_reference_fraction : float or None
        Fraction (0..1) of the first trace's spots whose centre lies in the reference
        (low-T) mask; None without one.
    """

    count_a: int
    count_b: int
    diameter_m: float
    persistence: float
    inside_reference_fraction: float | None


def detect_spots(current: np.ndarray, pixel_size_m=(1.0, 1.0), *, spot_diameter_m: float = 75e-9,
                 threshold_A: float | None = None, noise_offset_A: float | None = None) -> SpotTable:
    """Small conducting spots of a current map.

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
    noise_offset_A : float, optional
        Current of non-conducting pixels, A; estimated with
        :func:`~scprobe.analysis.noise.noise_stats` when not given with ``threshold_A``.

    Returns
    -------
    SpotTable
    """
    if not (math.isfinite(spot_diameter_m) and spot_diameter_m > 0):
        raise ParameterError(f"spot diameter must be a positive length in m, got {spot_diameter_m!r}")
    cur = np.asarray(current, dtype=float)
    if threshold_A is None or noise_offset_A is None:
        noise = noise_stats(cur)
        offset = noise.noise_offset_A
        threshold_A = default_threshold(noise) if threshold_A is None else threshold_A
    else:
        offset = float(noise_offset_A)
    mask, _ = conducting_mask(cur, threshold_A)
    px = math.sqrt(pixel_size_m[0] * pixel_size_m[1])
    d_px = spot_diameter_m / px
    min_area = max(2.0, MIN_AREA_FRACTION * math.pi * d_px ** 2 / 4)
    max_area = math.pi * (MAX_SPOT_FACTOR * d_px) ** 2 / 4
    eight = np.ones((3, 3))
    labels, _ = ndimage.label(mask, structure=eight)
    centres, diameters, peaks = [], [], []
    for idx, sl in enumerate(ndimage.find_objects(labels), start=1):
        if sl is None:
            continue
        comp = labels[sl] == idx
        if comp.sum() < min_area:
            continue
        values = np.where(comp, cur[sl] - offset, 0.0)
        peak = float(values.max())
        # the half-maximum cut separates spots whose blurred tails merged at the low threshold;
        # a region stays one large piece and is rejected by its size
        halves, _ = ndimage.label(values >= 0.5 * peak, structure=eight)
        for h, hs in enumerate(ndimage.find_objects(halves), start=1):
            yy, xx = np.nonzero(halves[hs] == h)
            if not min_area <= yy.size <= max_area:
                continue
            weights = values[hs][yy, xx]
            centres.append((sl[0].start + hs[0].start + float(np.average(yy, weights=weights)),
                            sl[1].start + hs[1].start + float(np.average(xx, weights=weights))))
            diameters.append(math.sqrt(4.0 * yy.size / math.pi))
            peaks.append(float(weights.max()))
    return SpotTable(np.array(centres, dtype=float).reshape(-1, 2), np.array(diameters, dtype=float),
                     np.array(peaks, dtype=float))


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
                    reference_mask: np.ndarray | None = None) -> tuple[SpotResult, np.ndarray, np.ndarray,
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

    keep_a = np.flatnonzero(inside(spots_a.centres_px, valid))
    keep_b = np.flatnonzero(inside(spots_b_aligned.centres_px, valid))
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
                        inside_reference_fraction=inside_ref)
    return result, keep_a, keep_b, matches
