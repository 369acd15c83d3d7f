"""EDX homogeneity: is an element map's variation more than Poisson counting noise?

For Poisson counts in M bins the dispersion index ``D = var / mean`` satisfies
``(M - 1) D ~ chi^2(M - 1)`` (docs/physics.md, Composition).  Pixels are first summed into
bins the size of the cAFM map's regions, since a contrast between regions is what
the test should see.  The smallest detectable contrast follows from the counts per
bin: one bin differs from the mean at ``n_sigma`` when its relative contrast exceeds
``n_sigma / sqrt(mean counts per bin)``.  This states why EDX, with tens of counts
per pixel, misses a few-percent composition difference that atom probe resolves.
The dispersion test pools all M bins: it detects a relative RMS contrast ``c`` across
the bins once ``1 + mean c^2`` exceeds its critical dispersion index
``chi2_(1-alpha)(M - 1) / (M - 1)``, i.e. ``c_min = sqrt((D_crit - 1) / mean)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from scprobe.errors import ParameterError
from scprobe.results import Result, quantity

#: Homogeneous when the dispersion test's p-value exceeds this.
ALPHA = 0.01


@dataclass(frozen=True)
class EdxHomogeneity(Result):
    """Dispersion test of one element map.

    JSON keys: ``dispersion_index`` (var/mean of binned counts; 1 for Poisson),
    ``p_value`` (upper tail of chi^2(M - 1)), ``homogeneous`` (p > 0.01),
    ``min_detectable_contrast`` (relative contrast of one bin, 0..1),
    ``min_detectable_rms_contrast`` (relative RMS contrast across the bins that the
    dispersion test detects, 0..1); ``n_bins``, ``bin_px`` and ``mean_counts_per_bin``
    describe the binning.
    """

    dispersion_index: float = quantity("1")
    p_value: float = quantity("1")
    homogeneous: bool = quantity("")
    min_detectable_contrast: float = quantity("1")
    min_detectable_rms_contrast: float = quantity("1", default=np.nan)
    n_bins: int = quantity("count", default=0)
    bin_px: int = quantity("px", default=1)
    mean_counts_per_bin: float = quantity("count", default=np.nan)


def bin_counts(counts: np.ndarray, bin_px: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Sums over ``bin_px`` x ``bin_px`` blocks (edge remainders dropped); with ``mask``
    only blocks whose pixels are all inside it are kept.  Returns the 1-D bin sums."""
    a = np.asarray(counts, dtype=float)
    if bin_px < 1:
        raise ParameterError(f"bin_px must be >= 1, got {bin_px}")
    ny, nx = (a.shape[0] // bin_px) * bin_px, (a.shape[1] // bin_px) * bin_px
    if ny == 0 or nx == 0:
        raise ParameterError(f"bin of {bin_px} px is larger than the {a.shape[1]} x {a.shape[0]} px map")

    def blocks(x):
        return x[:ny, :nx].reshape(ny // bin_px, bin_px, nx // bin_px, bin_px)

    sums = blocks(a).sum(axis=(1, 3))
    if mask is None:
        return sums.ravel()
    full = blocks(np.asarray(mask, dtype=bool)).all(axis=(1, 3))
    return sums[full]


def edx_homogeneity(counts: np.ndarray, *, bin_px: int = 1, mask: np.ndarray | None = None,
                    n_sigma: float = 3.0, alpha: float = ALPHA) -> EdxHomogeneity:
    """Poisson dispersion test of an EDX counts map and its smallest detectable contrast.

    Parameters
    ----------
    counts : ndarray
        X-ray counts per pixel (non-negative).
    bin_px : int
        Bin side, pixels (the map's region size in EDX pixels).
    mask : ndarray of bool, optional
        Pixels to use (e.g. the cAFM field of view); bins must lie fully inside.
    n_sigma : float
        Detection criterion for the contrast.
    alpha : float
        Significance level; homogeneous when ``p_value > alpha``.
    """
    a = np.asarray(counts, dtype=float)
    if a.ndim != 2:
        raise ParameterError(f"EDX map must be 2-D, got shape {a.shape}")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ParameterError("EDX counts must be finite and non-negative")
    b = bin_counts(a, bin_px, mask)
    if b.size < 2:
        raise ParameterError(f"only {b.size} bin(s) of {bin_px} px: need at least 2 for a dispersion test")
    mean = float(b.mean())
    if mean <= 0:
        raise ParameterError("EDX map has no counts")
    d = float(b.var(ddof=1) / mean)
    p = float(stats.chi2.sf((b.size - 1) * d, b.size - 1))
    mdc = n_sigma / float(np.sqrt(mean))
    d_crit = float(stats.chi2.ppf(1 - alpha, b.size - 1)) / (b.size - 1)
    rms = float(np.sqrt((d_crit - 1) / mean))
    return EdxHomogeneity(d, p, bool(p > alpha), mdc, rms, int(b.size), int(bin_px), mean)
