"""Compare two scans of one area: registration, overlap of conducting masks, spots.

Two uses of one function: the same area imaged twice (8 K before and after a
30 K excursion: what is reproducible?) and the forward and backward traces of
one scan above Tc (metastable spots: what fluctuates?).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from scprobe.analysis.mask import region_mask
from scprobe.compare.overlap import BoundaryShift, OverlapResult, mask_overlap
from scprobe.analysis.edges import WIDTH_PER_SIGMA
from scprobe.compare.registration import (RegistrationResult, align, common_shape, common_slices,
                                          pixel_size_problem, register)
from scprobe.compare.spots import (DEFAULT_PSF_SIGMA_PX, FWHM_PER_SIGMA, SpotResult, SpotTable, detect_spots,
                                   spot_statistics)
from scprobe.errors import ParameterError
from scprobe.results import Result, field_units
from scprobe.scan import channel, directions as scan_directions, pixel_size

logger = logging.getLogger(__name__)

#: Channels tried for registration, best first (topography does not change with temperature).
REGISTRATION_CHANNELS = ("topography", "deflection", "current")
#: Spots match when their centres are closer than this many expected diameters (15 nm for
#: 75 nm spots): centroids of one spot agree to a few nm after registration, while a spot
#: re-appearing next to a vanished one (dense fluctuating regions) is a new spot.
MATCH_TOLERANCE_DIAMETERS = 0.2


@dataclass(frozen=True)
class CompareResult(Result):
    """Everything :func:`compare_scans` found; ``to_dict()`` gives the JSON summary.

    Attributes
    ----------
    registration : RegistrationResult
    overlap : OverlapResult or None
        None when the scans are not comparable (see ``comparable``).
    spots : SpotResult or None
        None when the scans are not comparable.
    comparable : bool
        False when registration says the scans do not overlap or show different areas
        (and ``force`` was not given): no overlap or persistence numbers are computed
        (:meth:`~scprobe.compare.registration.RegistrationResult.overlap_problem`).
    note : str
        Why the scans are not comparable ("" when they are).
    directions : (str, str)
        Traces of ``a`` and ``b`` that were compared.
    threshold_A : (float, float)
        Detection thresholds of ``a`` and ``b`` (``threshold_A`` or offset + 5 rms of the noise), A.
    pixel_size_m : (float, float)
        ``(dy, dx)`` of ``a``, m.
    common : (slice, slice)
        Common area on ``a``'s pixel grid.
    mask_a, mask_b_aligned : ndarray of bool
        Conducting masks (:func:`~scprobe.analysis.mask.region_mask`) on ``a``'s grid
        (``mask_b_aligned`` False outside the common area).
    spots_a, spots_b_aligned : SpotTable or None
        Spots of both traces, centres on ``a``'s grid.
    spot_keep_a, spot_keep_b, spot_matches : ndarray or None
        Counted spots and their matched pairs (see :func:`~scprobe.compare.spots.spot_statistics`).
    scan_a, scan_b : xarray.Dataset
        The inputs, for figures (not copied; never modified).
    """

    registration: RegistrationResult
    overlap: OverlapResult | None
    spots: SpotResult | None
    directions: tuple[str, str]
    threshold_A: tuple[float, float]
    pixel_size_m: tuple[float, float]
    common: tuple[slice, slice] = field(repr=False)
    mask_a: np.ndarray = field(repr=False)
    mask_b_aligned: np.ndarray = field(repr=False)
    spots_a: SpotTable | None = field(repr=False)
    spots_b_aligned: SpotTable | None = field(repr=False)
    spot_keep_a: np.ndarray | None = field(repr=False)
    spot_keep_b: np.ndarray | None = field(repr=False)
    spot_matches: np.ndarray | None = field(repr=False)
    scan_a: xr.Dataset = field(repr=False)
    scan_b: xr.Dataset = field(repr=False)
    comparable: bool = True
    note: str = ""

    def to_dict(self) -> dict:
        reg = self.registration
        return {
            "shift_px": list(reg.shift_px),
            "shift_m": list(reg.shift_m),
            "registration_confidence": reg.registration_confidence,
            "same_area": reg.same_area,
            "comparable": self.comparable,
            "note": self.note,
            "overlap": self.overlap.to_dict() if self.overlap is not None else None,
            "spots": self.spots.to_dict() if self.spots is not None else None,
            "topography_rms_m": reg.topography_residual_rms_m if math.isfinite(reg.topography_residual_rms_m)
            else None,
        }

    def units(self) -> dict:
        reg = field_units(self.registration)
        return {"shift_px": reg["shift_px"], "shift_m": reg["shift_m"],
                "registration_confidence": reg["registration_confidence"], "same_area": "", "comparable": "",
                "note": "", "overlap": field_units(OverlapResult(0.0, 0.0, 0.0, 0.0, BoundaryShift(0.0, 0.0, 0.0, 0))),
                "spots": field_units(SpotResult(0, 0, 0.0, 0.0, None)), "topography_rms_m": "m"}

    def image_a(self, name: str) -> np.ndarray:
        """Channel ``name`` of ``a`` (the compared trace), cropped to the compared shape."""
        return np.asarray(channel(self.scan_a, name, self.directions[0]).values, dtype=float)[
            : self.mask_a.shape[0], : self.mask_a.shape[1]]

    def image_b_aligned(self, name: str) -> np.ndarray:
        """Channel ``name`` of ``b`` resampled (bilinear) onto ``a``'s grid; NaN outside the common area."""
        b = np.asarray(channel(self.scan_b, name, self.directions[1]).values, dtype=float)
        return align(b[: self.mask_a.shape[0], : self.mask_a.shape[1]], self.registration.shift_px, order=1)


def same_scan(a: xr.Dataset, b: xr.Dataset) -> bool:
    """True when ``a`` and ``b`` are one scan (same object or the same raw files)."""
    if a is b:
        return True
    fa = {r.get("sha256") for r in a.attrs.get("source_files", [])}
    fb = {r.get("sha256") for r in b.attrs.get("source_files", [])}
    return bool(fa) and fa == fb


def default_directions(a: xr.Dataset, b: xr.Dataset) -> tuple[str, str]:
    """Forward vs backward for one scan (metastability), else forward vs forward.

    Raises
    ------
    ParameterError
        ``a`` and ``b`` are one scan without a backward trace: it would be compared with itself.
    """
    if same_scan(a, b):
        if "backward" not in scan_directions(a):
            raise ParameterError("the two scans are one scan without a backward trace: comparing it with itself "
                                 "says nothing; give two different scans, or a scan with both traces")
        return "forward", "backward"
    return "forward", "forward"


def registration_channel(a: xr.Dataset, b: xr.Dataset) -> str:
    """First of :data:`REGISTRATION_CHANNELS` present in both scans."""
    name = next((c for c in REGISTRATION_CHANNELS if c in a.data_vars and c in b.data_vars), None)
    if name is None:
        raise ParameterError(f"no common channel to register on; one scan has {sorted(a.data_vars)}, "
                             f"the other {sorted(b.data_vars)}")
    return name


def reference_from_scan(a: xr.Dataset, reference: xr.Dataset, *, threshold_A: float | None = None,
                        force: bool = False, direction: str = "forward") -> np.ndarray:
    """Conducting mask of a reference (low-temperature) scan, registered onto ``a``'s pixel grid.

    The mask is :func:`~scprobe.analysis.mask.region_mask` of the reference's forward current
    (``threshold_A``, A, as there); pixels of ``a`` that the reference does not cover are False.
    """
    reg = register(a, reference, channel=registration_channel(a, reference), directions=(direction, "forward"),
                   force=force)
    cur = np.asarray(channel(reference, "current", "forward").values, dtype=float)
    mask = region_mask(cur, pixel_size(reference), threshold_A).mask.astype(float)
    shape = channel(a, "current", direction).shape
    grid = np.zeros(shape)
    ny, nx = min(shape[0], mask.shape[0]), min(shape[1], mask.shape[1])
    grid[:ny, :nx] = mask[:ny, :nx]
    with np.errstate(invalid="ignore"):
        return align(grid, reg.shift_px, order=1) > 0.5


def compare_scans(a: xr.Dataset, b: xr.Dataset, *, threshold_A: float | None = None,
                  reference_mask: np.ndarray | None = None, force: bool = False,
                  spot_diameter_m: float = 75e-9, directions: tuple[str, str] | None = None,
                  upsample: int = 100, match_tolerance_m: float | None = None) -> CompareResult:
    """Register two scans and compare their conducting masks and spots.

    Parameters
    ----------
    a, b : xarray.Dataset
        Scans of one area (see :mod:`scprobe.scan`); pass one scan twice to compare
        its forward and backward traces.
    threshold_A : float, optional
        Conduction threshold for both maps, A: masks are every pixel above it.  Default:
        each map's :func:`~scprobe.analysis.mask.region_mask` (noise detection, half-maximum extent),
        the mask ``scprobe map`` reports.
    reference_mask : ndarray of bool or xarray.Dataset, optional
        Low-temperature conducting mask on ``a``'s pixel grid, or a low-temperature
        scan of the area (registered and thresholded, see :func:`reference_from_scan`);
        the fraction of ``a``'s spots inside it is reported.
    force : bool
        Compare even when pixel sizes differ, the scans do not overlap, or registration says they
        show different areas (without it such a pair is ``comparable=False``: no overlap, no spots,
        and ``note`` says why).
    spot_diameter_m : float
        Expected spot diameter, m (paper ~75 nm).
    directions : (str, str), optional
        Traces of ``a`` and ``b``; default :func:`default_directions`.
    upsample : int
        Registration precision ``1 / upsample`` px.
    match_tolerance_m : float, optional
        Largest centre distance of the same spot in both traces, m; default
        :data:`MATCH_TOLERANCE_DIAMETERS` x ``spot_diameter_m``.

    Returns
    -------
    CompareResult
        ``to_dict()``: ``shift_px``, ``shift_m``, ``registration_confidence``,
        ``same_area``, ``comparable``, ``note``, ``overlap``, ``spots``, ``topography_rms_m``.

    Raises
    ------
    ParameterError
        Missing channels or traces, a scan without a backward trace compared with itself,
        or a reference mask of the wrong shape.

    Examples
    --------
    The same area at 8 K before and after a 30 K excursion (re-cooled):

    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from scprobe.simulate import simulate_study
    >>> tmp = tempfile.TemporaryDirectory()
    >>> study = simulate_study(tmp.name, seed=0, size=128)   # a small synthetic study with its truth
    >>> truth = json.loads((study.parent / "truth.json").read_text())
    >>> from scprobe.io import open_scan
    >>> before = open_scan(study.parent / "scans/A02_8K-current-fwd.bcrf")
    >>> after = open_scan(study.parent / "scans/A05_8K-recooled-current-fwd.bcrf")
    >>> res = compare_scans(before, after)
    >>> abs(res.overlap.jaccard - truth["recooling"]["jaccard"]) < 0.05
    True
    """
    logger.info("compare_scans")
    dirs = tuple(directions) if directions is not None else default_directions(a, b)
    if len(dirs) != 2:
        raise ParameterError(f"directions must name two traces, got {dirs!r}")
    if same_scan(a, b) and dirs[0] == dirs[1]:
        raise ParameterError(f"both sides are the {dirs[0]} trace of one scan: a trace compared with itself "
                             "says nothing")
    # the shift is measured whatever the pixel sizes and the overlap; whether the numbers may be
    # compared is decided from them
    reg = register(a, b, channel=registration_channel(a, b), upsample=upsample, directions=dirs, force=True)
    problem = "" if force else (pixel_size_problem(a, b) or reg.overlap_problem())
    ca, cb = common_shape(np.asarray(channel(a, "current", dirs[0]).values, dtype=float),
                          np.asarray(channel(b, "current", dirs[1]).values, dtype=float))
    dy, dx = pixel_size(a)
    # the same masks as ``scprobe map``, so fractions and overlaps agree between the stages
    regions_a, regions_b = region_mask(ca, (dy, dx), threshold_A), region_mask(cb, pixel_size(b), threshold_A)
    ta, tb = regions_a.threshold_A, regions_b.threshold_A
    mask_a, mask_b = regions_a.mask, regions_b.mask
    with np.errstate(invalid="ignore"):
        # bilinear resampling of the 0/1 mask and a 0.5 cut puts the boundary at sub-pixel precision
        mask_b_al = align(mask_b.astype(float), reg.shift_px, order=1) > 0.5
    common = common_slices(ca.shape, reg.shift_px)
    if problem:
        # no overlap or different areas: an overlap or a spot persistence would be a number about nothing
        return CompareResult(
            registration=reg, overlap=None, spots=None, directions=dirs, threshold_A=(ta, tb),
            pixel_size_m=(dy, dx), common=common, mask_a=mask_a, mask_b_aligned=mask_b_al,
            spots_a=None, spots_b_aligned=None, spot_keep_a=None, spot_keep_b=None, spot_matches=None,
            scan_a=a, scan_b=b, comparable=False, note=f"not comparable: {problem}")
    valid = np.zeros(ca.shape, dtype=bool)
    valid[common] = True
    overlap = mask_overlap(mask_a[common], mask_b_al[common], (dy, dx))
    if isinstance(reference_mask, xr.Dataset):
        reference_mask = reference_from_scan(a, reference_mask, threshold_A=threshold_A, force=force,
                                             direction=dirs[0])
    if reference_mask is not None:
        reference_mask = np.asarray(reference_mask, dtype=bool)
        if reference_mask.shape[:2] != tuple(channel(a, "current", dirs[0]).shape):
            raise ParameterError(f"reference mask has shape {reference_mask.shape}, the first scan "
                                 f"{tuple(channel(a, 'current', dirs[0]).shape)}")
        reference_mask = reference_mask[: ca.shape[0], : ca.shape[1]]
    # spots are found with the masks' detection threshold: their extent is each piece's own
    # half-maximum area, whatever the threshold, which only decides what is detected; a cut at a
    # fraction of the strongest current would drop every dot weaker than that when strong
    # regions share the map
    sigma_px = _psf_sigma_px(regions_a, regions_b, (dy, dx))
    spots_a = detect_spots(ca, (dy, dx), spot_diameter_m=spot_diameter_m, threshold_A=ta,
                           noise_offset_A=regions_a.noise.noise_offset_A, noise_rms_A=regions_a.noise.noise_rms_A,
                           psf_sigma_px=sigma_px)
    spots_b = detect_spots(cb, (dy, dx), spot_diameter_m=spot_diameter_m, threshold_A=tb,
                           noise_offset_A=regions_b.noise.noise_offset_A, noise_rms_A=regions_b.noise.noise_rms_A,
                           psf_sigma_px=sigma_px).shifted(reg.shift_px)
    if match_tolerance_m is None:
        match_tolerance_m = MATCH_TOLERANCE_DIAMETERS * spot_diameter_m
    if not (math.isfinite(match_tolerance_m) and match_tolerance_m > 0):
        raise ParameterError(f"match tolerance must be a positive length in m, got {match_tolerance_m!r}")
    tol = match_tolerance_m / math.sqrt(dy * dx)
    spot_res, keep_a, keep_b, matches = spot_statistics(
        spots_a, spots_b, (dy, dx), tolerance_px=tol, valid=valid, reference_mask=reference_mask,
        min_diameter_m=FWHM_PER_SIGMA * sigma_px * math.sqrt(dy * dx))
    return CompareResult(
        registration=reg, overlap=overlap, spots=spot_res, directions=dirs, threshold_A=(ta, tb),
        pixel_size_m=(dy, dx), common=common, mask_a=mask_a, mask_b_aligned=mask_b_al,
        spots_a=spots_a, spots_b_aligned=spots_b, spot_keep_a=keep_a, spot_keep_b=keep_b,
        spot_matches=matches, scan_a=a, scan_b=b,
    )


def _psf_sigma_px(regions_a, regions_b, pixel_size_m) -> float:
    """PSF standard deviation from the edge fits of either map, px (the default without edges)."""
    for rm in (regions_a, regions_b):
        if rm.edges is not None and rm.edges.width_m.size:
            return float(np.median(rm.edges.width_m)) / WIDTH_PER_SIGMA / math.sqrt(pixel_size_m[0] * pixel_size_m[1])
    return DEFAULT_PSF_SIGMA_PX
