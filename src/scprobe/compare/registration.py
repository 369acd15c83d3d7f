"""Sub-pixel registration of two scans of one area from their topography.

The topography of the sample does not change between temperatures or between
the forward and backward traces, so it is the channel to align on: phase
correlation (:func:`~scprobe.compare.phasecorr.phase_correlation_shift`, skimage's
``phase_cross_correlation`` with a cheaper sub-pixel step) of the
levelled, windowed topographies gives the shift, the other channels confirm it,
and the topography residual after alignment says whether the two scans show the
same area at all.

Sign convention: ``shift_px = [dy, dx]`` is the displacement of scan ``b``
relative to scan ``a``: a feature at pixel ``p`` of ``a`` lies at ``p + shift_px``
of ``b``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
from scipy import ndimage

from scprobe._memo import ContentMemo
from scprobe.compare.phasecorr import phase_correlation_shift
from scprobe.errors import ParameterError
from scprobe.process.levelling import subtract_plane
from scprobe.process.rows import align_rows_array
from scprobe.results import Result, quantity
from scprobe.scan import channel as scan_channel
from scprobe.scan import pixel_size


def tukey(m: int, alpha: float) -> np.ndarray:
    """Symmetric Tukey (tapered cosine) window of ``m`` points: :func:`scipy.signal.windows.tukey`, the
    same operations, so the same bits, without importing scipy.signal (~0.45 s, also stats and optimize)."""
    if m <= 1:
        return np.ones(m)
    n = np.arange(0, m, dtype=np.float64)
    width = math.floor(alpha * (m - 1) / 2.0)
    n1, n2, n3 = n[:width + 1], n[width + 1:m - width - 1], n[m - width - 1:]
    w1 = 0.5 * (1 + np.cos(np.pi * (-1 + 2.0 * n1 / alpha / (m - 1))))
    w3 = 0.5 * (1 + np.cos(np.pi * (-2.0 / alpha + 1 + 2.0 * n3 / alpha / (m - 1))))
    return np.concatenate((w1, np.ones(n2.shape), w3))


#: Largest relative difference of pixel sizes that still counts as "the same pixel size".
PIXEL_SIZE_TOLERANCE = 0.02
#: Smallest common area, as a fraction of the first scan, that counts as overlapping.
MIN_OVERLAP_FRACTION = 0.25
#: Smallest correlation-peak distinctness at which a shift is believed at all.
MIN_DISTINCTNESS = 0.2
#: Residual / signal RMS ratio below which two topographies show the same area.
SAME_AREA_RATIO = 0.5
#: A confirming channel agrees within this many (binned) pixels (deflection lags by ~1 px between traces).
AGREE_PX = 2.0
#: Peak distinctness and confirming channels use images binned to at most this many pixels per side.
CONFIRM_SIZE = 512


@dataclass(frozen=True)
class RegistrationResult(Result):
    """Shift of scan ``b`` relative to scan ``a``.

    Attributes
    ----------
    shift_px : tuple of float
        ``(dy, dx)`` in pixels of ``a``.
    shift_m : tuple of float
        ``(dy, dx)`` in metres.
    registration_confidence : float
        0..1: distinctness of the topography correlation peak, reduced when
        confident other channels disagree.
    same_area : bool
        True when the topography residual after alignment is small compared with
        the topography itself.
    topography_residual_rms_m : float
        Robust RMS (1.4826 MAD) of the aligned topography difference (plane and line
        offsets removed) on the common area, m.
    peak_distinctness : float
        0..1: distinctness of the topography correlation peak alone.
    overlap_fraction : float
        Fraction (0..1) of ``a``'s pixels that ``b`` covers after the shift.
    """

    shift_px: tuple[float, float] = quantity("px")
    shift_m: tuple[float, float] = quantity("m")
    registration_confidence: float = quantity("1")
    same_area: bool = quantity("")
    topography_residual_rms_m: float = quantity("m")
    peak_distinctness: float = quantity("1", default=1.0)
    overlap_fraction: float = quantity("1", default=1.0)

    def overlap_problem(self, channel: str = "topography") -> str:
        """Why the two scans cannot be compared, or "" when they overlap and show the same area."""
        sy, sx = self.shift_px
        if self.peak_distinctness < MIN_DISTINCTNESS or self.overlap_fraction < MIN_OVERLAP_FRACTION:
            return (f"scans do not overlap: best {channel} match at shift {sy:.1f}, {sx:.1f} px covers "
                    f"{self.overlap_fraction:.0%} of the first scan with peak distinctness "
                    f"{self.peak_distinctness:.2f} (need >= {MIN_OVERLAP_FRACTION:.0%} and >= {MIN_DISTINCTNESS})")
        if not self.same_area:
            return (f"scans show different areas: after the best {channel} match (shift {sy:.1f}, {sx:.1f} px) "
                    f"the topography differs by {self.topography_residual_rms_m:.3g} m RMS, more than "
                    f"{SAME_AREA_RATIO:g} x the topography itself")
        return ""


def level(image: np.ndarray, slow_scan: str = "horizontal") -> np.ndarray:
    """``image`` minus its least-squares plane and its scan-line offsets (a new array).

    The plane is :func:`scprobe.process.levelling.subtract_plane`, the line offsets
    :func:`scprobe.process.rows.align_rows_array` (Gwyddion's median) along the scan
    lines (rows for a horizontal slow scan, else columns): tilt and z-piezo offsets
    differ from scan to scan and are not topography.  NaN pixels are ignored and stay NaN.
    """
    z = np.asarray(image, dtype=float)
    ok = np.isfinite(z)
    if ok.sum() < 3:
        return z - np.nanmean(z) if ok.any() else z.copy()
    z = subtract_plane(z)
    if slow_scan == "horizontal":
        return align_rows_array(z, "median")
    return align_rows_array(z.T, "median").T


#: Recently prepared images: a study registers the same topography (the reference scan's, a scan's
#: forward trace) against several others, each in its own compare unit.
_KEPT = ContentMemo(64 * 2**20)


def _prepare(image: np.ndarray, slow_scan: str = "horizontal", clip: tuple[float, float] = (1.0, 99.0)) -> np.ndarray:
    """Levelled, clipped, zero-mean, Tukey-windowed copy for phase correlation.

    Plane and line-offset removal and percentile clipping keep tilt, piezo jumps
    and the tallest terraces from dominating; the window keeps the non-periodic
    scan borders out of the spectrum.  The last images prepared are kept, keyed by
    their bytes, and a copy is returned when one comes again.
    """
    return _KEPT(_prepare_uncached, np.ascontiguousarray(image, dtype=float), slow_scan, tuple(clip))


def _prepare_uncached(image: np.ndarray, slow_scan: str, clip: tuple[float, float]) -> np.ndarray:
    z = level(image, slow_scan)
    ok = np.isfinite(z)
    all_ok = bool(ok.all())
    if not ok.any():
        return np.zeros(z.shape)
    sub = (z if all_ok else z[ok]).ravel()[:: max(1, z.size // 1_000_000)]
    lo, hi = np.percentile(sub[np.isfinite(sub)], clip)
    if not all_ok:
        z[~ok] = 0.0
    np.clip(z, lo, hi, out=z)
    z -= z.mean() if all_ok else z[ok].mean()
    if not all_ok:
        z[~ok] = 0.0
    z *= tukey(z.shape[0], 0.25)[:, None]
    z *= tukey(z.shape[1], 0.25)[None, :]
    return z


def _bin(image: np.ndarray, factor: int) -> np.ndarray:
    """Block means over ``factor x factor`` pixels (edges that do not fill a block are dropped)."""
    if factor == 1:
        return image
    ny, nx = (s // factor * factor for s in image.shape)
    return image[:ny, :nx].reshape(ny // factor, factor, nx // factor, factor).mean(axis=(1, 3))


def phase_shift(a: np.ndarray, b: np.ndarray, *, upsample: int = 100,
                slow_scan: str = "horizontal") -> tuple[np.ndarray, float]:
    """Sub-pixel shift of image ``b`` relative to ``a`` and the distinctness of the peak.

    Parameters
    ----------
    a, b : ndarray, same shape
        Images of one quantity (any unit); NaN pixels are treated as the mean.
    upsample : int
        Sub-pixel precision is ``1 / upsample`` px.
    slow_scan : {"horizontal", "vertical"}
        Scan lines are rows (horizontal) or columns; their offsets are removed.

    Returns
    -------
    shift_px : ndarray
        ``(dy, dx)``: a feature at ``p`` of ``a`` lies at ``p + shift_px`` of ``b``.
    distinctness : float
        ``1 - z_null / z_peak``: ``z_peak`` is the phase-correlation peak in
        standard deviations of the correlation surface, ``z_null`` the largest
        value expected from noise alone; near 1 for a clean match, 0 when no
        shift stands out.
    """
    if a.shape != b.shape:
        raise ParameterError(f"images to register have shapes {a.shape} and {b.shape}")
    pa, pb = _prepare(a, slow_scan), _prepare(b, slow_scan)
    shift = phase_correlation_shift(pa, pb, upsample)
    # the peak's distinctness does not need full resolution: judge it on binned images
    factor = max(1, math.ceil(max(pa.shape) / CONFIRM_SIZE))
    fa = scipy.fft.fft2(_bin(pa, factor))
    fb = scipy.fft.fft2(_bin(pb, factor))
    cross = fa * np.conj(fb)
    cross /= np.maximum(np.abs(cross), 100 * np.finfo(float).eps)
    surface = scipy.fft.ifft2(cross).real
    # a peak no higher than the expected maximum of a noise surface of this size
    # (sqrt(2 ln N) standard deviations, plus a margin) is no match at all
    z_peak = float(surface.max() / max(surface.std(), np.finfo(float).tiny))
    z_null = math.sqrt(2.0 * math.log(surface.size)) + 1.0
    distinct = float(np.clip(1.0 - z_null / z_peak, 0.0, 1.0)) if z_peak > 0 else 0.0
    return -np.asarray(shift, dtype=float), distinct


def common_slices(shape: tuple[int, int], shift_px) -> tuple[slice, slice]:
    """Region of ``a``'s pixel grid that ``b`` also covers after a shift ``shift_px``.

    Pixel ``p`` of ``a`` is covered when ``p + shift_px`` lies inside ``b``
    (bilinear interpolation needs both neighbours, so the bounds are conservative).
    """
    out = []
    for n, s in zip(shape, shift_px):
        s = round(float(s), 6)
        lo = max(0, math.ceil(-s))
        hi = min(n, math.floor(n - 1 - s) + 1)
        out.append(slice(lo, max(lo, hi)))
    return out[0], out[1]


def overlap_fraction(shape: tuple[int, int], shift_px) -> float:
    """Fraction (0..1) of ``a``'s pixels covered by ``b`` after the shift."""
    sy, sx = common_slices(shape, shift_px)
    return (sy.stop - sy.start) * (sx.stop - sx.start) / float(shape[0] * shape[1])


def align(image_b: np.ndarray, shift_px, *, order: int = 1) -> np.ndarray:
    """Resample ``image_b`` onto ``a``'s pixel grid (``order`` 0 nearest, 1 bilinear).

    Pixels of ``a`` that ``b`` does not cover are NaN; boolean masks come back as
    float 0/1/NaN, so threshold at 0.5 after bilinear interpolation.
    """
    b = np.asarray(image_b, dtype=float)
    out = ndimage.shift(b, -np.asarray(shift_px, dtype=float), order=order, mode="constant", cval=np.nan,
                        prefilter=False)
    sy, sx = common_slices(b.shape, shift_px)
    valid = np.zeros(b.shape, dtype=bool)
    valid[sy, sx] = True
    out[~valid] = np.nan
    return out


def pixel_size_problem(a, b) -> str:
    """Why the scans' pixel sizes are not "the same" (beyond the tolerance), or "" when they are."""
    pa, pb = pixel_size(a), pixel_size(b)
    for axis, va, vb in zip("yx", pa, pb):
        if abs(va - vb) > PIXEL_SIZE_TOLERANCE * max(va, vb):
            return (f"pixel sizes differ along {axis}: {va:.4g} m vs {vb:.4g} m (tolerance "
                    f"{PIXEL_SIZE_TOLERANCE:.0%})")
    return ""


def check_pixel_sizes(a, b, *, force: bool = False) -> None:
    """Raise ParameterError when the scans' pixel sizes differ by more than the tolerance."""
    problem = pixel_size_problem(a, b)
    if problem and not force:
        raise ParameterError(f"{problem}; resample one scan or pass force=True (--force)")


def common_shape(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crop two images to their common top-left shape."""
    ny, nx = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    return a[:ny, :nx], b[:ny, :nx]


def topography_residual(za: np.ndarray, zb: np.ndarray, shift_px,
                        slow_scan: str = "horizontal") -> tuple[float, float]:
    """Robust RMS of the aligned topography difference and the RMS of the topographies (m).

    ``zb`` is sampled (bilinear) at the positions of ``a``'s pixels in the common
    area, on a grid thinned to about 1e6 points (statistics do not need more).
    The residual is 1.4826 x the median absolute deviation of the difference, so
    short scars do not count; a plane and the line offsets are removed first, so
    piezo offsets, line jumps or a drift-induced tilt do not count as a change.
    """
    sy, sx = common_slices(za.shape, shift_px)
    step = max(1, math.ceil(math.sqrt((sy.stop - sy.start) * (sx.stop - sx.start) / 1_000_000)))
    ys = np.arange(sy.start, sy.stop, step)
    xs = np.arange(sx.start, sx.stop, step)
    if ys.size < 4 or xs.size < 4:
        return math.nan, math.nan
    yy, xx = np.meshgrid(ys + float(shift_px[0]), xs + float(shift_px[1]), indexing="ij")
    zb_s = ndimage.map_coordinates(np.asarray(zb, dtype=float), [yy, xx], order=1, mode="nearest")
    za_s = np.asarray(za, dtype=float)[np.ix_(ys, xs)]

    diff = level(za_s - zb_s, slow_scan)
    diff = diff[np.isfinite(diff)]
    if diff.size < 16:
        return math.nan, math.nan
    # robust RMS (1.4826 MAD): scars and single bad lines are artefacts, not a different area
    residual = float(1.482602218505602 * np.median(np.abs(diff - np.median(diff))))
    signal = float(np.sqrt(0.5 * (np.nanvar(level(za_s, slow_scan)) + np.nanvar(level(zb_s, slow_scan)))))
    return residual, signal


def register(a, b, *, channel: str = "topography", upsample: int = 100, directions=("forward", "forward"),
             confirm: tuple[str, ...] = ("deflection", "current"), force: bool = False) -> RegistrationResult:
    """Sub-pixel shift of scan ``b`` relative to scan ``a`` by phase correlation.

    Parameters
    ----------
    a, b : xarray.Dataset
        Scans (see :mod:`scprobe.scan`); may be the same scan with two directions.
    channel : str
        Channel to align on; topography, which does not change with temperature.
    upsample : int
        Sub-pixel precision ``1 / upsample`` px.
    directions : (str, str)
        Trace of ``a`` and of ``b`` to use.
    confirm : tuple of str
        Channels that confirm the shift when present in both scans and distinct
        enough; current only ever confirms (its pattern may really have changed).
    force : bool
        Compare even when pixel sizes differ or the scans hardly overlap.

    Returns
    -------
    RegistrationResult

    Raises
    ------
    ParameterError
        Pixel sizes differ by more than :data:`PIXEL_SIZE_TOLERANCE`, or the scans
        do not overlap (no distinct correlation peak, or common area below
        :data:`MIN_OVERLAP_FRACTION`), unless ``force``.
    """
    if upsample < 1:
        raise ParameterError(f"upsample must be a positive integer, got {upsample!r}")
    check_pixel_sizes(a, b, force=force)
    za, zb = common_shape(np.asarray(scan_channel(a, channel, directions[0]).values, dtype=float),
                          np.asarray(scan_channel(b, channel, directions[1]).values, dtype=float))
    if not (np.isfinite(za).any() and np.isfinite(zb).any()):
        raise ParameterError(f"channel {channel!r} has no valid pixels to register on")
    slow = str(a.attrs.get("slow_scan", "horizontal"))
    shift, distinct = phase_shift(za, zb, upsample=upsample, slow_scan=slow)
    n_conf = n_agree = 0
    for name in confirm:
        if name == channel or name not in a.data_vars or name not in b.data_vars:
            continue
        ca, cb = common_shape(np.asarray(scan_channel(a, name, directions[0]).values, dtype=float),
                              np.asarray(scan_channel(b, name, directions[1]).values, dtype=float))
        if name == "current":
            # current spans decades; its pattern, not its amplitude, carries the position
            ca, cb = (np.log10(np.abs(c) + 1e-12) for c in (ca, cb))
        if not (np.isfinite(ca).all() and np.isfinite(cb).all()) or np.nanstd(ca) == 0 or np.nanstd(cb) == 0:
            continue
        factor = max(1, math.ceil(max(ca.shape) / CONFIRM_SIZE))
        s_c, d_c = phase_shift(_bin(ca, factor), _bin(cb, factor), upsample=10, slow_scan=slow)
        agrees = bool(np.all(np.abs(s_c * factor - shift) <= AGREE_PX * factor))
        # a current pattern that moved is physics (metastability, re-cooling), not a failed registration
        if d_c >= 0.5 and (agrees or name != "current"):
            n_conf += 1
            n_agree += agrees
    confidence = distinct * (1 + n_agree) / (1 + n_conf)
    frac = overlap_fraction(za.shape, shift)
    dy, dx = pixel_size(a)
    if not force and (distinct < MIN_DISTINCTNESS or frac < MIN_OVERLAP_FRACTION):
        no_residual = RegistrationResult((float(shift[0]), float(shift[1])), (0.0, 0.0), 0.0, False, math.nan,
                                         distinct, frac)
        raise ParameterError(f"{no_residual.overlap_problem(channel)}; pass force=True (--force) to compare anyway")
    residual, signal = topography_residual(za, zb, shift, slow)
    same = bool(np.isfinite(residual) and signal > 0 and residual < SAME_AREA_RATIO * signal)
    return RegistrationResult(
        shift_px=(float(shift[0]), float(shift[1])),
        shift_m=(float(shift[0] * dy), float(shift[1] * dx)),
        registration_confidence=float(confidence),
        same_area=same,
        topography_residual_rms_m=residual,
        peak_distinctness=float(distinct),
        overlap_fraction=float(frac),
    )
