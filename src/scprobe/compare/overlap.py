"""Overlap of two aligned conducting masks: what is retained, lost and gained.

Used for the same area imaged twice at low temperature (e.g. 8 K before and
after a 30 K excursion): the Jaccard index says how much of the conducting
landscape is reproducible, the boundary displacement how far region edges moved.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from scprobe.errors import ParameterError
from scprobe.results import Result, quantity


@dataclass(frozen=True)
class BoundaryShift(Result):
    """Distance from each boundary pixel of ``B`` to the nearest boundary pixel of ``A``."""

    median: float = quantity("m")
    p90: float = quantity("m")
    mean: float = quantity("m")
    n_pixels: int = quantity("count")


@dataclass(frozen=True)
class OverlapResult(Result):
    """Overlap statistics of conducting masks ``A`` (first) and ``B`` (second), both on the common area.

    Attributes
    ----------
    jaccard : float
        ``|A & B| / |A | B|`` (0..1).
    retained : float
        ``|A & B| / |A|``: fraction of the first mask still conducting.
    lost : float
        ``|A & ~B| / |A|`` = ``1 - retained``.
    gained : float
        ``|B & ~A| / |A|``: newly conducting area, as a fraction of the first mask's area.
    boundary_shift_m : BoundaryShift
        ``median``, ``p90``, ``mean`` (m) of the distance from each boundary pixel of
        ``B`` to the nearest boundary pixel of ``A``, and ``n_pixels`` (boundary pixels of B).
    """

    jaccard: float = quantity("1")
    retained: float = quantity("1")
    lost: float = quantity("1")
    gained: float = quantity("1")
    boundary_shift_m: BoundaryShift = None


def boundary(mask: np.ndarray) -> np.ndarray:
    """Inner boundary of a mask: pixels of the mask with a 4-neighbour outside it.

    The image border is not a boundary (it is where the scan, not the region, ends).
    """
    m = np.asarray(mask, dtype=bool)
    return m & ~ndimage.binary_erosion(m, border_value=1)


def boundary_distances(mask_a: np.ndarray, mask_b: np.ndarray, pixel_size_m=(1.0, 1.0)) -> np.ndarray:
    """Distance (m) from each boundary pixel of ``mask_b`` to the nearest boundary pixel of ``mask_a``.

    Parameters
    ----------
    mask_a, mask_b : ndarray of bool, same shape
        Aligned masks.
    pixel_size_m : (float, float)
        ``(dy, dx)`` in metres.

    Returns
    -------
    ndarray of float
        One distance per boundary pixel of ``mask_b``; empty when either mask has no boundary.
    """
    ba, bb = boundary(mask_a), boundary(mask_b)
    if not ba.any() or not bb.any():
        return np.empty(0)
    # nearest-neighbour query on boundary pixels only: the same Euclidean distance as
    # distance_transform_edt, without a transform of the whole map
    scale = np.asarray(pixel_size_m, dtype=float)
    dist, _ = cKDTree(np.argwhere(ba) * scale).query(np.argwhere(bb) * scale)
    return dist


def mask_overlap(mask_a: np.ndarray, mask_b: np.ndarray, pixel_size_m=(1.0, 1.0),
                 valid: np.ndarray | None = None) -> OverlapResult:
    """Jaccard index, retained / lost / gained fractions and boundary displacement of two masks.

    Parameters
    ----------
    mask_a, mask_b : ndarray of bool, same shape
        Conducting masks on one pixel grid (``mask_b`` already aligned to ``mask_a``).
    pixel_size_m : (float, float)
        ``(dy, dx)`` in metres, for the boundary distances.
    valid : ndarray of bool, optional
        Pixels that count (e.g. the common area of two scans); default all.

    Returns
    -------
    OverlapResult
        Fractions are NaN (JSON null) when the first mask is empty.
    """
    a = np.asarray(mask_a, dtype=bool)
    b = np.asarray(mask_b, dtype=bool)
    if a.shape != b.shape:
        raise ParameterError(f"masks have shapes {a.shape} and {b.shape}")
    if valid is not None:
        a, b = a & valid, b & valid
    n_a, n_b = int(a.sum()), int(b.sum())
    n_both = int((a & b).sum())
    n_union = n_a + n_b - n_both
    jaccard = n_both / n_union if n_union else math.nan
    retained = n_both / n_a if n_a else math.nan
    gained = (n_b - n_both) / n_a if n_a else math.nan
    d = boundary_distances(a, b, pixel_size_m)
    shift = BoundaryShift(median=float(np.median(d)) if d.size else math.nan,
                          p90=float(np.percentile(d, 90)) if d.size else math.nan,
                          mean=float(d.mean()) if d.size else math.nan, n_pixels=int(d.size))
    return OverlapResult(jaccard=jaccard, retained=retained, lost=1.0 - retained if n_a else math.nan,
                         gained=gained, boundary_shift_m=shift)


def overlap_classes(mask_a: np.ndarray, mask_b: np.ndarray) -> np.ndarray:
    """Per-pixel class for the overlap map: 0 neither, 1 retained, 2 lost, 3 gained (uint8)."""
    a = np.asarray(mask_a, dtype=bool)
    b = np.asarray(mask_b, dtype=bool)
    out = np.zeros(a.shape, dtype=np.uint8)
    out[a & b] = 1
    out[a & ~b] = 2
    out[~a & b] = 3
    return out
