"""Temperature series of one area: conducting fraction vs T and the local Tc map.

All scans are aligned to the first on their topography; the local Tc of a pixel
is bracketed by the measured temperatures: it conducts at ``tc_lower`` (the
highest temperature at which it conducts) and the transition lies below
``tc_upper`` (the next measured temperature).
"""
from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import xarray as xr
from scipy import ndimage

from scprobe.analysis.mask import region_mask
from scprobe.compare.pair import registration_channel
from scprobe.compare.registration import align, common_slices, register
from scprobe.errors import ParameterError
from scprobe.results import Result, jsonable
from scprobe.scan import channel, pixel_size

logger = logging.getLogger(__name__)

#: Regions (connected conducting areas at the lowest temperature) smaller than this are not listed.
MIN_REGION_PX = 9


@dataclass(frozen=True)
class SeriesResult(Result):
    """Temperature series on the common area of all scans (grid of the first scan).

    Attributes
    ----------
    temperatures_K : tuple of float
        Measured temperatures, ascending, K.
    conducting_fraction : tuple of float
        Conducting fraction (0..1) of the measured pixels of the common area at each
        temperature: the mask of :func:`~scprobe.analysis.mask.region_mask`, as ``scprobe map``.
    tc_K : dict
        Local-Tc statistics, K: ``median``, ``p10``, ``p90`` (of the lower bounds),
        ``histogram`` {``temperatures_K``, ``pixels``} (pixels whose Tc lies in
        ``[T_i, T_i+1)``), ``regions`` (per region: ``label``, ``area_m2``,
        ``tc_median_K``, ``tc_max_K``, ``vanish_K``, ``histogram``), ``vanish_order``
        (region labels, first to vanish first) and ``conducting_pixels``.
    tc_map_file : str or None
        Where the Tc map was written (set by the writer, :meth:`with_tc_map_file`).
    shifts_px : tuple of (float, float)
        Shift of each scan (ascending T) relative to the first scan given, px.
    registration_confidence : tuple of float
        Confidence (0..1) of each of those shifts.
    threshold_A : tuple of float
        Detection threshold of each scan (``threshold_A`` or offset + 5 rms of the noise), A.
    pixel_size_m : (float, float)
        ``(dy, dx)``, m.
    common : (slice, slice)
        Common area on the first scan's grid.
    tc_map, tc_upper_map : ndarray
        Per pixel lower / upper bound of the local Tc, K (NaN where never
        conducting; ``tc_upper_map`` is inf where it conducts at the highest T).
    masks, currents : ndarray, shape (n_T, ny, nx)
        Aligned conducting masks and currents (A), ascending T.
    region_labels : ndarray of int
        Labels of the regions in ``tc_K["regions"]`` (0 elsewhere).
    """

    temperatures_K: tuple
    conducting_fraction: tuple
    tc_K: dict
    tc_map_file: str | None
    shifts_px: tuple
    registration_confidence: tuple
    threshold_A: tuple
    pixel_size_m: tuple
    common: tuple = field(repr=False)
    tc_map: np.ndarray = field(repr=False)
    tc_upper_map: np.ndarray = field(repr=False)
    masks: np.ndarray = field(repr=False)
    currents: np.ndarray = field(repr=False)
    region_labels: np.ndarray = field(repr=False)

    def to_dict(self) -> dict:
        return {"series": {
            "temperatures_K": jsonable(list(self.temperatures_K)),
            "conducting_fraction": jsonable(list(self.conducting_fraction)),
            "tc_map_file": self.tc_map_file,
            "tc_K": jsonable(self.tc_K),
        }}

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


def _tc_statistics(tc_lower, tc_upper, mask_low, temperatures, pixel_area_m2) -> tuple[dict, np.ndarray]:
    t = np.asarray(temperatures, dtype=float)
    conducting = np.isfinite(tc_lower)
    values = tc_lower[conducting]
    k = np.searchsorted(t, values)
    stats = {
        "median": float(np.median(values)) if values.size else math.nan,
        "p10": float(np.percentile(values, 10)) if values.size else math.nan,
        "p90": float(np.percentile(values, 90)) if values.size else math.nan,
        "histogram": {"temperatures_K": t.tolist(), "pixels": np.bincount(k, minlength=t.size).tolist()},
        "conducting_pixels": int(values.size),
    }
    labels, n = ndimage.label(mask_low, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    keep = np.flatnonzero(sizes >= MIN_REGION_PX)
    keep = keep[keep > 0]
    relabel = np.zeros(n + 1, dtype=int)
    relabel[keep] = np.arange(1, keep.size + 1)
    labels = relabel[labels]
    regions = []
    for lab in range(1, keep.size + 1):
        sel = labels == lab
        lo, up = tc_lower[sel], tc_upper[sel]
        kmax = int(np.argmax(lo))
        regions.append({
            "label": lab,
            "area_m2": float(sel.sum() * pixel_area_m2),
            "tc_median_K": float(np.median(lo)),
            "tc_max_K": float(lo[kmax]),
            "vanish_K": float(up[kmax]) if math.isfinite(up[kmax]) else None,
            "histogram": np.bincount(np.searchsorted(t, lo), minlength=t.size).tolist(),
        })
    regions.sort(key=lambda r: (math.inf if r["vanish_K"] is None else r["vanish_K"], r["tc_median_K"], r["label"]))
    stats["regions"] = regions
    stats["vanish_order"] = [r["label"] for r in regions]
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
                       force: bool = False, direction: str = "forward") -> SeriesResult:
    """Align scans of one area to the first and map the local Tc.

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

    Returns
    -------
    SeriesResult
        ``to_dict()``: ``{"series": {temperatures_K, conducting_fraction, tc_map_file, tc_K}}``.

    Raises
    ------
    ParameterError
        Fewer than two scans, unknown or repeated temperatures, or scans that do
        not overlap the first one.
    """
    scans = list(scans)
    logger.info("temperature_series of %d scans", len(scans))
    if len(scans) < 2:
        raise ParameterError(f"a temperature series needs at least two scans, got {len(scans)}")
    temps = _temperatures(scans, temperatures_K)
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
    tc_lower, tc_upper = local_tc(masks, t_sorted)
    dy, dx = pixel_size(first)
    tc_stats, labels = _tc_statistics(tc_lower, tc_upper, masks[0], t_sorted, dy * dx)
    return SeriesResult(
        temperatures_K=tuple(float(t) for t in t_sorted),
        conducting_fraction=tuple(fractions),
        tc_K=tc_stats,
        tc_map_file=None,
        shifts_px=tuple(tuple(float(v) for v in shifts[i]) for i in order),
        registration_confidence=tuple(float(confidence[i]) for i in order),
        threshold_A=tuple(thresholds),
        pixel_size_m=(dy, dx),
        common=common,
        tc_map=tc_lower,
        tc_upper_map=tc_upper,
        masks=masks,
        currents=np.stack(currents),
        region_labels=labels,
    )


def tc_map_dataarray(result: SeriesResult, scan: xr.Dataset | None = None) -> xr.DataArray:
    """The local-Tc lower-bound map as a DataArray with coordinates in metres (for .nc / .gwy export)."""
    dy, dx = result.pixel_size_m
    sy, sx = result.common
    y0 = float(scan["y"].values[0]) - dy / 2 if scan is not None else 0.0
    x0 = float(scan["x"].values[0]) - dx / 2 if scan is not None else 0.0
    ny, nx = result.tc_map.shape
    return xr.DataArray(
        result.tc_map, dims=("y", "x"),
        coords={"y": ("y", y0 + (sy.start + np.arange(ny) + 0.5) * dy, {"units": "m"}),
                "x": ("x", x0 + (sx.start + np.arange(nx) + 0.5) * dx, {"units": "m"})},
        name="tc_lower", attrs={"units": "K", "long_name": "Local Tc (lower bound: highest T at which it conducts)",
                                "temperatures_K": list(result.temperatures_K)},
    )
