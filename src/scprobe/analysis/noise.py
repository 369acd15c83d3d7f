"""Noise floor of a current map and the conducting mask derived from it.

The non-conducting (insulating-matrix) pixels carry only the amplifier's noise
around an offset; conducting pixels sit microamperes above it.  The noise is
estimated robustly from the low-current population by iterative clipping, so
that neither conducting pixels nor a minority of edge pixels bias it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scprobe.errors import ParameterError
from scprobe.results import Result, quantity

#: Threshold = offset + NOISE_SIGMAS * rms when no threshold is given.
NOISE_SIGMAS = 5.0
#: Noise floor = |offset| + FLOOR_SIGMAS * rms: the smallest current told apart from zero.
FLOOR_SIGMAS = 3.0
_MAD_TO_SIGMA = 1.482602218505602
#: A background further than this many RMS from zero current is no insulator: the map has no
#: non-conducting reference (an amplifier offset is a few RMS at most; a plateau is hundreds).
NO_REFERENCE_SIGMAS = 20.0


@dataclass(frozen=True)
class NoiseResult(Result):
    """Noise statistics of the non-conducting pixels (amperes)."""

    noise_offset_A: float = quantity("A")
    noise_rms_A: float = quantity("A")
    noise_floor_A: float = quantity("A")
    n_noise_pixels: int = quantity("count")


def noise_stats(current: np.ndarray, *, seed_fraction: float = 0.2, clip_sigmas: float = 5.0,
                max_iter: int = 50) -> NoiseResult:
    """Offset and robust RMS of the non-conducting pixels of a current map.

    Starts from the ``seed_fraction`` lowest pixels (assumed insulating), then
    alternates median / MAD estimates with clipping at ``clip_sigmas`` until the
    selected set stops changing.  NaN pixels (voids) are ignored.

    Parameters
    ----------
    current : ndarray
        Tip current, A.
    seed_fraction : float
        Fraction (0..1) of lowest pixels used as the starting set.
    clip_sigmas : float
        Half-width of the accepted band in units of the RMS.

    Returns
    -------
    NoiseResult
        ``noise_offset_A`` (median), ``noise_rms_A`` (1.4826 MAD), ``noise_floor_A``
        (``|offset| + 3 rms``), A.
    """
    values = np.asarray(current, dtype=float).ravel()
    if not 0 < seed_fraction <= 1:
        raise ParameterError("seed_fraction must be in (0, 1]")
    # Subsample huge maps for speed: noise statistics need ~1e6 pixels, not 1.6e7.
    if values.size > 2_000_000:
        values = values[:: values.size // 1_000_000]
    values = values[np.isfinite(values)]
    if values.size < 4:
        raise ParameterError("current map has fewer than 4 valid pixels")
    k = max(4, int(seed_fraction * values.size))
    sel = np.partition(values, k - 1)[:k]
    offset = float(np.median(sel))
    rms = _MAD_TO_SIGMA * float(np.median(np.abs(sel - offset)))
    n_prev = -1
    for _ in range(max_iter):
        if rms <= 0:
            break
        band = values[np.abs(values - offset) <= clip_sigmas * rms]
        if band.size == n_prev or band.size < 4:
            break
        n_prev = band.size
        offset = float(np.median(band))
        rms = _MAD_TO_SIGMA * float(np.median(np.abs(band - offset)))
    if rms <= 0:
        # quantised or constant background: fall back to the population std
        rms = float(np.std(sel))
    return NoiseResult(offset, rms, abs(offset) + FLOOR_SIGMAS * rms, max(n_prev, k))


def reference_note(noise: NoiseResult) -> str:
    """Why the lowest-current pixels are not an insulating reference, or "" when they are.

    The automatic threshold assumes that the lowest currents are the noise of
    non-conducting pixels around zero.  When they sit more than
    :data:`NO_REFERENCE_SIGMAS` RMS from zero, every pixel carries current (a uniformly
    conducting map, or an uncorrected offset) and no pixel can be called non-conducting
    from the map alone.
    """
    off, rms = noise.noise_offset_A, noise.noise_rms_A
    if abs(off) <= NO_REFERENCE_SIGMAS * rms:
        return ""
    return (f"no non-conducting reference: the lowest currents sit at {off:.3g} A, {abs(off) / rms:.0f} RMS from "
            "zero, so every pixel carries current (a uniformly conducting map or an uncorrected offset); "
            "conducting and insulating pixels cannot be told apart without a threshold (threshold_A, --threshold-A)")


def validate_threshold(threshold_A: float | None) -> float | None:
    """The one check of a detection threshold: None (automatic) or a finite current >= 0, A."""
    if threshold_A is None:
        return None
    if isinstance(threshold_A, bool) or not isinstance(threshold_A, (int, float, np.integer, np.floating)) \
            or not (np.isfinite(threshold_A) and threshold_A >= 0):
        raise ParameterError(f"threshold must be a non-negative current in A, got {threshold_A!r}")
    return float(threshold_A)


def default_threshold(noise: NoiseResult, sigmas: float = NOISE_SIGMAS) -> float:
    """Conduction threshold from the noise: ``offset + sigmas * rms`` (A)."""
    return noise.noise_offset_A + sigmas * noise.noise_rms_A


def conducting_mask(current: np.ndarray, threshold_A: float | None = None) -> tuple[np.ndarray, float]:
    """Pixels whose current exceeds a threshold.

    Parameters
    ----------
    current : ndarray
        Tip current, A; NaN pixels are never conducting.
    threshold_A : float, optional
        Threshold in A (must be >= 0); default from :func:`noise_stats`.

    Returns
    -------
    mask : ndarray of bool
        True where ``current > threshold_A``.
    threshold_A : float
        The threshold used, A.
    """
    a = np.asarray(current, dtype=float)
    threshold_A = validate_threshold(threshold_A)
    if threshold_A is None:
        threshold_A = default_threshold(noise_stats(a))
    with np.errstate(invalid="ignore"):
        mask = a > threshold_A
    return mask, float(threshold_A)
