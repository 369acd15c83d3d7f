"""Temperature series of one area: conducting fraction vs T and the local Tc as an interval.

All scans are aligned to the first on their topography.  A pixel's local Tc is
bracketed by the measured temperatures: it conducts at ``tc_lower`` (the highest
measured temperature at which it conducts) and no longer at ``tc_upper`` (the next
measured one), so only the interval ``[tc_lower, tc_upper)`` is known, never "the" Tc.

Fluctuations.  Above the temperature at which the map conducts as a whole, small dots
appear and vanish between the forward and backward traces (metastable conduction); they
are not a local Tc.  That temperature is, by choice:

* ``bulk_tc_K`` when given (the resistive Tc of the crystal); else
* the series' own: the highest measured temperature at which the conducting mask
  still holds a *region* (a connected area of at least ``min_region_m2``, the size
  :func:`~scprobe.analysis.map.analyze_map` separates regions from spots by), so the
  series needs no other measurement.

Conduction above it is a fluctuation: the local Tc uses only the temperatures at or
below it, pixels that conduct only above it are reported as fluctuating and left out
of the local-Tc statistics.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from scprobe.analysis.mask import region_mask
from scprobe.analysis.regions import MIN_REGION_M2, label_regions
from scprobe.compare.pair import registration_channel
from scprobe.compare.registration import align, common_slices, register
from scprobe.errors import ParameterError
from scprobe.results import Result, field_units, internal, quantity
from scprobe.scan import channel, pixel_size

logger = logging.getLogger(__name__)

#: Regions (connected conducting areas at the lowest temperature) smaller than this are not listed.
MIN_REGION_PX = 9


@dataclass(frozen=True)
class TcPercentiles(Result):
    """Median and 10th / 90th percentiles of one bound of the local Tc over pixels, K."""

    median: float = quantity("K")
    p10: float = quantity("K")
    p90: float = quantity("K")

    @classmethod
    def of(cls, values: np.ndarray) -> TcPercentiles:
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        if not v.size:
            return cls(math.nan, math.nan, math.nan)
        p10, med, p90 = np.percentile(v, [10, 50, 90])
        return cls(float(med), float(p10), float(p90))


@dataclass(frozen=True)
class TcHistogram(Result):
    """Pixels per temperature bracket: ``pixels[i]`` conduct at ``temperatures_K[i]``, not at the next one."""

    temperatures_K: list = quantity("K")
    pixels: list = quantity("count")


@dataclass(frozen=True)
class RegionTc(Result):
    """Local-Tc interval of one region (connected conducting area at the lowest temperature)."""

    label: int = quantity("")
    area_m2: float = quantity("m^2")
    pixels: int = quantity("count")
    tc_lower_median_K: float = quantity("K")
    tc_lower_max_K: float = quantity("K")
    #: first measured temperature at which none of the region conducts (None: conducts at the reference top)
    tc_upper_K: float | None = quantity("K")
    histogram: list = quantity("count")


@dataclass(frozen=True)
class LocalTc(Result):
    """Local-Tc statistics of the non-fluctuating conducting pixels."""

    tc_lower_K: TcPercentiles
    tc_upper_K: TcPercentiles
    histogram: TcHistogram
    conducting_pixels: int = quantity("count")
    #: pixels still conducting at the highest temperature used: no upper bound measured
    unbounded_pixels: int = quantity("count")
    regions: list = dataclasses.field(default_factory=list)
    vanish_order: list = quantity("", default_factory=list)


@dataclass(frozen=True)
class Fluctuations(Result):
    """Conduction above the temperature at which the map conducts as a whole."""

    reference_K: float = quantity("K")
    #: ``"bulk"`` (``bulk_tc_K`` given) or ``"series"`` (highest T with a conducting region)
    reference: str = quantity("")
    temperatures_K: list = quantity("K")
    #: pixels that conduct only above ``reference_K`` (excluded from the local-Tc statistics)
    pixels: int = quantity("count")
    #: pixels that conduct below ``reference_K`` and, fluctuating, above it as well
    also_below_pixels: int = quantity("count")
    area_fraction: float = quantity("1")


@dataclass(frozen=True)
class SeriesResult(Result):
    """Temperature series on the common area of all scans (grid of the first scan).

    JSON (``to_dict()``, under ``"series"``): ``temperatures_K`` (ascending, K),
    ``conducting_fraction`` (0..1 of the measured pixels of the common area, the mask of
    :func:`~scprobe.analysis.mask.region_mask` as ``scprobe map``), ``map_tc_lower_K`` /
    ``map_tc_upper_K`` (highest temperature with a conducting region and the next measured
    one: the interval of the map as a whole), ``local_tc`` (:class:`LocalTc`),
    ``fluctuations`` (:class:`Fluctuations`), ``tc_map_file``.

    Internal (figures, files): ``shifts_px`` (each scan vs the first given, ascending T),
    ``registration_confidence``, ``threshold_A``, ``pixel_size_m`` ``(dy, dx)``, ``common``
    (common area on the first scan's grid), ``tc_lower_map`` / ``tc_upper_map`` (K; NaN
    where it never conducts at or below the reference temperature; ``tc_upper_map`` inf
    where it conducts at the highest temperature used), ``fluctuation_map`` (bool: conducts
    only above the reference), ``masks`` and ``currents`` (aligned, ascending T; A),
    ``region_labels``.
    """

    temperatures_K: tuple = quantity("K")
    conducting_fraction: tuple = quantity("1")
    map_tc_lower_K: float | None = quantity("K")
    map_tc_upper_K: float | None = quantity("K")
    local_tc: LocalTc | None = None
    fluctuations: Fluctuations | None = None
    tc_map_file: str | None = quantity("", default=None)
    shifts_px: tuple = internal(())
    registration_confidence: tuple = internal(())
    threshold_A: tuple = internal(())
    pixel_size_m: tuple = internal(())
    common: tuple = internal(())
    tc_lower_map: np.ndarray = internal(None)
    tc_upper_map: np.ndarray = internal(None)
    fluctuation_map: np.ndarray = internal(None)
    masks: np.ndarray = internal(None)
    currents: np.ndarray = internal(None)
    region_labels: np.ndarray = internal(None)

    def to_dict(self) -> dict:
        return {"series": super().to_dict()}

    def units(self) -> dict:
        return {"series": field_units(self)}

    def with_tc_map_file(self, path) -> SeriesResult:
        """A copy that records where the Tc map was written."""
        return dataclasses.replace(self, tc_map_file=str(path))


def local_tc(masks: np.ndarray, temperatures_K) -> tuple[np.ndarray, np.ndarray]:
    """Bracket the local Tc of each pixel by the measured temperatures.

    Parameters
    ----------
    masks : ndarray of bool, shape (n_T, ny, nx)
        Conducting masks on one grid, in the order of ``temperatures_K``.
    temperatures_K : sequence of float
        Strictly ascending temperatures, K.

    Returns
    -------
    tc_lower, tc_upper : ndarray, shape (ny, nx)
        Highest temperature at which the pixel conducts, and the next measured
        temperature (inf when it conducts at the highest one), K; NaN where the
        pixel never conducts.
    """
    m = np.asarray(masks, dtype=bool)
    t = np.asarray(temperatures_K, dtype=float)
    if m.ndim != 3 or m.shape[0] != t.size:
        raise ParameterError(f"need one mask per temperature: {m.shape} masks for {t.size} temperatures")
    if np.any(np.diff(t) <= 0):
        raise ParameterError("temperatures must be strictly ascending")
    conducts = m.any(axis=0)
    k = t.size - 1 - np.argmax(m[::-1], axis=0)
    upper_t = np.append(t[1:], np.inf)
    lower = np.where(conducts, t[k], np.nan)
    upper = np.where(conducts, upper_t[k], np.nan)
    return lower, upper


def whole_map_tc(masks: np.ndarray, temperatures_K, pixel_area_m2: float,
                 min_region_m2: float = MIN_REGION_M2) -> tuple[float | None, float | None]:
    """Highest temperature at which a mask holds a region (>= ``min_region_m2``), and the next one, K.

    ``(None, first T)`` when no mask holds a region; the upper value is None when the
    highest temperature still does.
    """
    t = np.asarray(temperatures_K, dtype=float)
    min_px = max(1, math.ceil(min_region_m2 / pixel_area_m2))
    top = None
    for k in range(t.size):
        labels, n = label_regions(masks[k], connectivity=1)
        if n and np.bincount(labels.ravel())[1:].max() >= min_px:
            top = k
    if top is None:
        return None, float(t[0])
    return float(t[top]), (float(t[top + 1]) if top + 1 < t.size else None)


def _region_tc(tc_lower, tc_upper, mask_low, temperatures, pixel_area_m2) -> tuple[list, np.ndarray]:
    t = np.asarray(temperatures, dtype=float)
    labels, n = label_regions(mask_low, connectivity=1)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    keep = np.flatnonzero(sizes >= MIN_REGION_PX)
    keep = keep[keep > 0]
    relabel = np.zeros(n + 1, dtype=int)
    relabel[keep] = np.arange(1, keep.size + 1)
    labels = relabel[labels]
    regions = []
    for lab in range(1, keep.size + 1):
        sel = (labels == lab) & np.isfinite(tc_lower)
        if not sel.any():
            continue
        lo, up = tc_lower[sel], tc_upper[sel]
        kmax = int(np.argmax(lo))
        regions.append(RegionTc(
            label=lab, area_m2=float((labels == lab).sum() * pixel_area_m2), pixels=int(sel.sum()),
            tc_lower_median_K=float(np.median(lo)), tc_lower_max_K=float(lo[kmax]),
            tc_upper_K=float(up[kmax]) if math.isfinite(up[kmax]) else None,
            histogram=np.bincount(np.searchsorted(t, lo), minlength=t.size).tolist()))
    regions.sort(key=lambda r: (math.inf if r.tc_upper_K is None else r.tc_upper_K, r.tc_lower_median_K, r.label))
    return regions, labels


def _local_tc_stats(tc_lower, tc_upper, mask_low, temperatures, pixel_area_m2) -> tuple[LocalTc, np.ndarray]:
    t = np.asarray(temperatures, dtype=float)
    conducting = np.isfinite(tc_lower)
    lower, upper = tc_lower[conducting], tc_upper[conducting]
    regions, labels = _region_tc(tc_lower, tc_upper, mask_low, t, pixel_area_m2)
    stats = LocalTc(
        tc_lower_K=TcPercentiles.of(lower), tc_upper_K=TcPercentiles.of(upper),
        histogram=TcHistogram(t.tolist(), np.bincount(np.searchsorted(t, lower), minlength=t.size).tolist()),
        conducting_pixels=int(lower.size), unbounded_pixels=int(np.isinf(upper).sum()),
        regions=regions, vanish_order=[r.label for r in regions])
    return stats, labels


def _temperatures(scans, temperatures_K) -> np.ndarray:
    if temperatures_K is not None:
        t = np.asarray(list(temperatures_K), dtype=float)
        if t.size != len(scans):
            raise ParameterError(f"{t.size} temperatures given for {len(scans)} scans")
    else:
        t = np.array([float(s.attrs.get("temperature_K", math.nan)) for s in scans])
        missing = np.flatnonzero(~np.isfinite(t))
        if missing.size:
            raise ParameterError(f"temperature of scan {int(missing[0]) + 1} is not in its header; "
                                 "pass temperatures_K (--temperatures T1,T2,...)")
    if not np.all(np.isfinite(t)) or np.any(t <= 0):
        raise ParameterError(f"temperatures must be positive and finite (K), got {t.tolist()}")
    if np.unique(t).size != t.size:
        raise ParameterError(f"temperatures must be distinct, got {t.tolist()}")
    return t


def temperature_series(scans, temperatures_K=None, *, threshold_A: float | None = None,
                       force: bool = False, direction: str = "forward", bulk_tc_K: float | None = None,
                       min_region_m2: float = MIN_REGION_M2) -> SeriesResult:
    """Align scans of one area to the first and bracket the local Tc of every pixel.

    Parameters
    ----------
    scans : sequence of xarray.Dataset
        Scans of one area at different temperatures (any order; at least two).
    temperatures_K : sequence of float, optional
        Temperature of each scan, K; default each scan's ``attrs["temperature_K"]``.
    threshold_A : float, optional
        Conduction threshold for all maps, A: masks are every pixel above it.  Default:
        each map's :func:`~scprobe.analysis.mask.region_mask` (noise detection,
        half-maximum extent), the mask ``scprobe map`` reports.
    force : bool
        Align even when pixel sizes differ or the overlap is doubtful.
    direction : str
        Trace to use.
    bulk_tc_K : float, optional
        Temperature above which conduction is a fluctuation, K (the crystal's resistive
        Tc); default the series' own (highest temperature with a conducting region).
    min_region_m2 : float
        Smallest connected conducting area that counts as a region, m^2 (smaller: spots).

    Returns
    -------
    SeriesResult
        ``to_dict()``: ``{"series": {temperatures_K, conducting_fraction, map_tc_lower_K,
        map_tc_upper_K, local_tc, fluctuations, tc_map_file}}``.

    Raises
    ------
    ParameterError
        Fewer than two scans, unknown or repeated temperatures, a bulk Tc that is not a
        positive temperature, or scans that do not overlap the first one.
    """
    scans = list(scans)
    logger.info("temperature_series of %d scans", len(scans))
    if len(scans) < 2:
        raise ParameterError(f"a temperature series needs at least two scans, got {len(scans)}")
    temps = _temperatures(scans, temperatures_K)
    if bulk_tc_K is not None and not (isinstance(bulk_tc_K, (int, float)) and math.isfinite(bulk_tc_K)
                                      and bulk_tc_K > 0):
        raise ParameterError(f"bulk Tc must be a positive temperature in K, got {bulk_tc_K!r}")
    first = scans[0]
    shape = tuple(min(channel(s, "current", direction).shape[i] for s in scans) for i in (0, 1))
    shifts, confidence = [], []
    for s in scans:
        if s is first:
            shifts.append((0.0, 0.0))
            confidence.append(1.0)
            continue
        reg = register(first, s, channel=registration_channel(first, s), directions=(direction, direction),
                       force=force)
        shifts.append(reg.shift_px)
        confidence.append(reg.registration_confidence)
    y0 = max(common_slices(shape, sh)[0].start for sh in shifts)
    y1 = min(common_slices(shape, sh)[0].stop for sh in shifts)
    x0 = max(common_slices(shape, sh)[1].start for sh in shifts)
    x1 = min(common_slices(shape, sh)[1].stop for sh in shifts)
    if y1 - y0 < 2 or x1 - x0 < 2:
        raise ParameterError("the scans of the series have no common area after alignment")
    common = (slice(y0, y1), slice(x0, x1))
    order = np.argsort(temps)
    masks, currents, thresholds, fractions = [], [], [], []
    for i in order:
        cur = np.asarray(channel(scans[i], "current", direction).values, dtype=float)
        # each scan's own full map gives the mask ``scprobe map`` reports; it is cropped only afterwards
        regions = region_mask(cur, pixel_size(scans[i]), threshold_A)
        crop = (slice(0, shape[0]), slice(0, shape[1]))
        with np.errstate(invalid="ignore"):
            m = align(regions.mask[crop].astype(float), shifts[i], order=1)[common] > 0.5
            # as ``scprobe map``: a fraction of the measured (finite) pixels
            measured = align(np.isfinite(cur[crop]).astype(float), shifts[i], order=1)[common] > 0.5
        masks.append(m)
        fractions.append(float(m.sum()) / max(int(measured.sum()), 1))
        currents.append(align(cur[crop], shifts[i], order=1)[common])
        thresholds.append(regions.threshold_A)
    masks = np.stack(masks)
    t_sorted = temps[order]
    dy, dx = pixel_size(first)
    map_lower, map_upper = whole_map_tc(masks, t_sorted, dy * dx, min_region_m2)
    if bulk_tc_K is not None:
        reference, source = float(bulk_tc_K), "bulk"
    else:
        reference, source = (map_lower if map_lower is not None else -math.inf), "series"
    below = t_sorted <= reference
    # brackets from the temperatures at or below the reference; the next measured one closes them
    if below.any():
        tc_lower, tc_upper = local_tc(masks[below], t_sorted[below])
        n_below = int(below.sum())
        if n_below < t_sorted.size:
            tc_upper = np.where(np.isinf(tc_upper), t_sorted[n_below], tc_upper)
    else:
        tc_lower = tc_upper = np.full(masks.shape[1:], np.nan)
    above = masks[~below].any(axis=0)
    fluct = above & ~np.isfinite(tc_lower)
    stats, labels = _local_tc_stats(tc_lower, tc_upper, masks[0], t_sorted, dy * dx)
    fluctuations = Fluctuations(
        reference_K=reference if math.isfinite(reference) else None, reference=source,
        temperatures_K=[float(t) for t, m in zip(t_sorted, masks) if t > reference and m.any()],
        pixels=int(fluct.sum()), also_below_pixels=int((above & np.isfinite(tc_lower)).sum()),
        area_fraction=float(fluct.mean()))
    return SeriesResult(
        temperatures_K=tuple(float(t) for t in t_sorted),
        conducting_fraction=tuple(fractions),
        map_tc_lower_K=map_lower, map_tc_upper_K=map_upper,
        local_tc=stats, fluctuations=fluctuations,
        shifts_px=tuple(tuple(float(v) for v in shifts[i]) for i in order),
        registration_confidence=tuple(float(confidence[i]) for i in order),
        threshold_A=tuple(thresholds),
        pixel_size_m=(dy, dx),
        common=common,
        tc_lower_map=tc_lower,
        tc_upper_map=tc_upper,
        fluctuation_map=fluct,
        masks=masks,
        currents=np.stack(currents),
        region_labels=labels,
    )


def tc_map_dataset(result: SeriesResult, scan: xr.Dataset | None = None) -> xr.Dataset:
    """The local-Tc bounds and the fluctuation mask with coordinates in metres (for .nc / .gwy export).

    Variables ``tc_lower`` and ``tc_upper`` (K; NaN where the pixel never conducts at or
    below the reference temperature, ``tc_upper`` inf where it conducts at the highest
    temperature used) and ``fluctuating`` (1 where it conducts only above it).
    """
    dy, dx = result.pixel_size_m
    sy, sx = result.common
    y0 = float(scan["y"].values[0]) - dy / 2 if scan is not None else 0.0
    x0 = float(scan["x"].values[0]) - dx / 2 if scan is not None else 0.0
    ny, nx = result.tc_lower_map.shape
    coords = {"y": ("y", y0 + (sy.start + np.arange(ny) + 0.5) * dy, {"units": "m"}),
              "x": ("x", x0 + (sx.start + np.arange(nx) + 0.5) * dx, {"units": "m"})}
    temps = list(result.temperatures_K)
    return xr.Dataset(
        {"tc_lower": (("y", "x"), result.tc_lower_map,
                      {"units": "K", "long_name": "Local Tc lower bound: highest T at which the pixel conducts"}),
         "tc_upper": (("y", "x"), result.tc_upper_map,
                      {"units": "K", "long_name": "Local Tc upper bound: next measured T, where it does not"}),
         "fluctuating": (("y", "x"), result.fluctuation_map.astype(np.uint8),
                         {"units": "1", "long_name": "Conducts only above the reference temperature"})},
        coords=coords, attrs={"temperatures_K": temps,
                              "fluctuation_reference_K": result.fluctuations.reference_K
                              if result.fluctuations.reference_K is not None else math.nan})
