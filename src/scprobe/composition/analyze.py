"""The composition stage in one call: needles, comparison, SEM overlay and EDX."""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from scprobe.analysis import label_regions, region_mask, region_table
from scprobe.composition.edx import EdxHomogeneity, edx_homogeneity
from scprobe.composition.overlay import OverlayResult, m_to_px, overlay_sem, px_to_m
from scprobe.composition.ranging import compile_ranges
from scprobe.composition.sites import RatioComparison, SiteComposition, compare_sites, site_composition
from scprobe.errors import ParameterError
from scprobe.io.apt import IonData, RangeTable, read_ions, read_ranges
from scprobe.io.images import Image, element_from_filename, read_edx_map, read_tiff
from scprobe.results import Result, field_units, internal
from scprobe.scan import channel, pixel_size

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompositionResult(Result):
    """Everything the composition stage reports.

    JSON keys: ``sites`` (list of :class:`SiteComposition`), ``comparisons`` (list of
    :class:`RatioComparison`), ``edx`` ({element: :class:`EdxHomogeneity`}) and
    ``overlay`` (:class:`OverlayResult` or null).
    """

    sites: list[SiteComposition] = field(default_factory=list)
    comparisons: list[RatioComparison] = field(default_factory=list)
    edx: dict[str, EdxHomogeneity] = field(default_factory=dict)
    overlay: OverlayResult | None = None
    site_names: list[str] = internal(())

    def units(self) -> dict:
        """Declared units, nested like ``to_dict()`` (the EDX results per element)."""
        return {"sites": field_units(self.sites), "comparisons": field_units(self.comparisons),
                "edx": {el: e.units() for el, e in self.edx.items()},
                "overlay": None if self.overlay is None else self.overlay.units()}


def _site_entries(sites) -> list[tuple[str, tuple[float, float] | None, str | None]]:
    """(name, sem_xy_px or None, apt path or None) from study tables, tuples or 'name:x,y' strings."""
    out = []
    for i, s in enumerate(sites):
        if isinstance(s, Mapping):
            xy = s.get("sem_xy_px")
            name, apt = str(s.get("name", f"site{i + 1}")), s.get("apt")
        elif isinstance(s, str):
            name, sep, rest = s.partition(":")
            try:
                xy = tuple(float(v) for v in rest.split(","))
            except ValueError:
                xy = ()
            if not sep or len(xy) != 2:
                raise ParameterError(f"site must be 'name:x,y' (SEM pixels), got {s!r}")
            apt = None
        else:
            try:
                name, xy = s
            except (TypeError, ValueError):
                raise ParameterError(f"site must be a table, (name, (x, y)) or 'name:x,y'; got {s!r}") from None
            apt = None
        if xy is not None:
            xy = tuple(float(v) for v in xy)
            if len(xy) != 2 or not all(np.isfinite(xy)):
                raise ParameterError(f"site {name!r}: sem_xy_px must be two finite numbers, got {xy!r}")
        out.append((name, xy, None if apt is None else os.fspath(apt)))
    return out


def region_size_m(mask: np.ndarray, pixel_size_m: tuple[float, float], min_px: int = 4) -> float:
    """Median equivalent diameter of the connected conducting regions (>= ``min_px`` px), m; NaN if none."""
    labels, n = label_regions(mask, connectivity=1)
    table = region_table(labels, n, np.zeros(labels.shape), pixel_size_m)
    diam = table["equivalent_diameter_m"][table["area_px"] >= min_px]
    return float(np.median(diam)) if diam.size else float("nan")


def _edx_field_mask(shape, edx_pixel_m: float, overlay: OverlayResult, map_shape) -> np.ndarray:
    """EDX pixels whose centres fall inside the cAFM field (EDX map in the SEM frame)."""
    gy, gx = np.mgrid[0:shape[0], 0:shape[1]]
    sem_m = px_to_m(np.column_stack([gx.ravel(), gy.ravel()]), edx_pixel_m)
    mp = m_to_px(overlay.transform.inverse(sem_m), overlay.map_pixel_size_m)
    ny, nx = map_shape
    inside = (mp[:, 0] >= -0.5) & (mp[:, 0] <= nx - 0.5) & (mp[:, 1] >= -0.5) & (mp[:, 1] <= ny - 0.5)
    return inside.reshape(shape)


def analyze_composition(*, apt=(), ranges=None, sem=None, sem_pixel_size_m=None, scan=None, control_points=None,
                        sites=(), edx=(), edx_elements=None, cap_threshold_at_pct=None, threshold_A=None,
                        scale_range=(0.9, 1.1), rotation_range_deg=(-180.0, 180.0)) -> CompositionResult:
    """Composition per atom-probe site, site comparison, SEM/cAFM overlay and EDX homogeneity.

    Parameters
    ----------
    apt : sequence of path or IonData
        ``.pos`` / ``.epos`` needles, reported in this order; when empty, the ``apt``
        entries of ``sites`` are used.
    ranges : path or RangeTable
        ``.rrng`` / ``.rng`` range file (required with ``apt``).
    sem : path, Image or ndarray, optional
        SEM image of an area containing the cAFM field.
    sem_pixel_size_m : float, optional
        SEM pixel size, m; overrides the file's (required when the file has none).
    scan : xarray.Dataset, optional
        The cAFM Scan: topography is registered into the SEM image, current gives the
        conducting mask (:func:`scprobe.analysis.region_mask`, the one ``scprobe map``
        reports; ``threshold_A`` makes it plain ``current > threshold_A``).
    control_points : str or array (n, 4), optional
        ``xs,ys,xm,ym`` per point (SEM px, cAFM px); default: register from the images.
    sites : sequence
        Lift-out sites: study tables ``{name, apt, sem_xy_px}``, ``(name, (x, y))`` or
        ``"name:x,y"`` (SEM pixels).
    edx : sequence of path or Image
        EDX element count maps (TIFF or CSV).
    edx_elements : sequence of str or "Fe,Se,Te", optional
        Element of each map (default: from the file names, ``EDX_Fe.csv``).
    cap_threshold_at_pct : float, optional
        O level (at.%) ending the apex cap (default: automatic).
    threshold_A : float, optional
        Conduction threshold of the map, A (default: :func:`scprobe.analysis.region_mask`'s
        noise detection and half-maximum extent).
    scale_range, rotation_range_deg
        Search ranges of the feature registration (see
        :func:`~scprobe.composition.registration.register_topography`).

    Notes
    -----
    EDX maps are taken to cover the SEM image's field when their pixel size is not
    in the file and their aspect ratio matches the SEM image's.  With the overlay,
    the dispersion test then uses bins of the median conducting-region diameter that
    lie wholly inside the cAFM field; otherwise single pixels of the whole map.
    """
    logger.info("analyze_composition: %d needles", len(apt))
    entries = _site_entries(sites)
    apt = list(apt) or [e[2] for e in entries if e[2] is not None]
    site_results: list[SiteComposition] = []
    if apt:
        if ranges is None:
            raise ParameterError("atom-probe files need a range file (ranges=, --ranges)")
        table = ranges if isinstance(ranges, RangeTable) else read_ranges(ranges)
        compiled = compile_ranges(table)
        for a in apt:
            ions = a if isinstance(a, IonData) else read_ions(a)
            site_results.append(site_composition(ions, compiled, cap_threshold_at_pct=cap_threshold_at_pct))
    comparisons = compare_sites(site_results)

    overlay = None
    sem_img = None
    if sem is not None:
        sem_img = sem if isinstance(sem, Image) else (
            Image("<array>", np.asarray(sem, dtype=float), None) if isinstance(sem, np.ndarray) else read_tiff(sem))
        p_sem = sem_pixel_size_m if sem_pixel_size_m is not None else sem_img.pixel_size_m
        if p_sem is None:
            raise ParameterError(f"{sem_img.path}: no pixel size in the file; give sem_pixel_size_m (--sem-pixel-size-m)")
        sem_img = Image(sem_img.path, sem_img.data, float(p_sem), sem_img.metadata)
        if scan is None:
            raise ParameterError("the SEM overlay needs the cAFM scan (scan=, --map)")
        overlay = _overlay(sem_img, scan, control_points, entries, threshold_A, scale_range, rotation_range_deg)

    edx_results = _edx(edx, edx_elements, sem_img, overlay)
    names = [e[0] for e in entries] if len(entries) == len(site_results) else \
        [os.path.splitext(os.path.basename(s.file))[0] for s in site_results]
    return CompositionResult(site_results, comparisons, edx_results, overlay, names)


def _overlay(sem_img: Image, scan, control_points, entries, threshold_A, scale_range, rotation_range_deg):
    current = np.asarray(channel(scan, "current").values, dtype=float)
    topo = np.asarray(channel(scan, "topography").values, dtype=float)
    # the same conducting pixels as every other stage: a lift-out site's distance to the boundary
    # is measured to the boundary that the map, compare and transport report
    mask = region_mask(current, pixel_size(scan), threshold_A).mask
    placed = [(n, xy) for n, xy, _ in entries if xy is not None]
    return overlay_sem(sem_img.data, sem_img.pixel_size_m, topo, current, pixel_size(scan), mask=mask,
                       control_points=control_points, sites=placed, scale_range=scale_range,
                       rotation_range_deg=rotation_range_deg)


def _edx(edx, edx_elements, sem_img: Image | None, overlay: OverlayResult | None) -> dict[str, EdxHomogeneity]:
    maps = [m if isinstance(m, Image) else read_edx_map(m) for m in edx]
    if not maps:
        return {}
    if isinstance(edx_elements, str):
        edx_elements = [e.strip() for e in edx_elements.split(",") if e.strip()]
    if edx_elements is not None:
        if len(edx_elements) != len(maps):
            raise ParameterError(f"{len(edx_elements)} EDX element names for {len(maps)} maps")
        elements = list(edx_elements)
    else:
        elements = [element_from_filename(m.path) for m in maps]
        missing = [m.path for m, e in zip(maps, elements) if e is None]
        if missing:
            raise ParameterError(f"no element symbol in EDX file name {missing[0]!r}; give --edx-elements")
    if len(set(elements)) != len(elements):
        raise ParameterError(f"EDX elements repeat: {elements}")
    out = {}
    for el, m in zip(elements, maps):
        edx_px = m.pixel_size_m
        if edx_px is None and sem_img is not None:
            ratio = np.array(sem_img.data.shape) / np.array(m.data.shape)
            if abs(ratio[0] / ratio[1] - 1) < 0.02:  # same field as the SEM image
                edx_px = sem_img.pixel_size_m * float(ratio.mean())
        bin_px, field_mask = 1, None
        if overlay is not None and edx_px is not None:
            size = region_size_m(overlay.mask, overlay.map_pixel_size_m)
            if np.isfinite(size):
                bin_px = max(1, int(round(size / edx_px)))
            field_mask = _edx_field_mask(m.data.shape, edx_px, overlay, overlay.mask.shape)
            # too few whole bins inside the cAFM field: test the whole map instead
            if field_mask.sum() < 4 * bin_px ** 2:
                field_mask = None
        out[el] = edx_homogeneity(m.data, bin_px=bin_px, mask=field_mask)
    return out


