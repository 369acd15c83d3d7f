"""``analyze_map``: everything scprobe says about one current map.

Pipeline: noise floor -> detection threshold -> conducting mask at half the
local plateau (see :mod:`scprobe.analysis.regions`; or the plain threshold when
one is given) -> edge fits (their sigma
sets the plateau and erosion radii) -> regions and spots -> conductance states
on plateau pixels -> contact physics -> artefact checks.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from scprobe.analysis.artefacts import ArtefactChecks, artefact_checks
from scprobe.analysis.contact import ContactResult, contact_resistance, junction_resistance
from scprobe.analysis.edges import WIDTH_PER_SIGMA, EdgeCrossSection, EdgeFits, edge_cross_section
from scprobe.analysis.mask import region_mask
from scprobe.analysis.noise import validate_threshold
from scprobe.analysis.regions import MIN_REGION_M2, classify_regions, label_regions, region_table
from scprobe.analysis.psf import fit_dot
from scprobe.analysis.states import Mixture, conductance_states, plateau_pixels
from scprobe.errors import ParameterError, UnitError
from scprobe.results import Result, field_units, internal, quantity
from scprobe.scan import channel as get_channel
from scprobe.scan import pixel_size

logger = logging.getLogger(__name__)

_DEFAULT_SIGMA_PX = 1.0


#: Largest number of spots whose point-spread-function fit enters the junction resistance.
MAX_FITTED_SPOTS = 50


@dataclass(frozen=True)
class State(Result):
    """One conductance state: its plateau current and its share of the plateau pixels."""

    current_A: float = quantity("A")
    fraction: float = quantity("1")


@dataclass(frozen=True)
class Region(Result):
    """One connected conducting area (4-connected) of the mask: geometry and current.

    ``peak_current_A`` is the plateau current of a spot recovered by the point-spread-function
    fit (:mod:`scprobe.analysis.psf`; None for regions and border spots); the junction
    resistance uses it when present, else the mean current.
    """

    label: int = quantity("")
    kind: str = quantity("")
    area_m2: float = quantity("m^2")
    area_px: int = quantity("count")
    equivalent_diameter_m: float = quantity("m")
    major_axis_m: float = quantity("m")
    minor_axis_m: float = quantity("m")
    elongation: float = quantity("1")
    orientation_deg: float = quantity("deg")
    centroid_m: list = quantity("m")
    mean_current_A: float = quantity("A")
    max_current_A: float = quantity("A")
    peak_current_A: float | None = quantity("A")
    junction_resistance_ohm: float = quantity("Ohm")
    touches_border: bool = quantity("")


@dataclass(frozen=True)
class Regions(Result):
    """Regions and spots of a map, largest first."""

    count: int = quantity("count")
    n_islands: int = quantity("count")
    n_stripes: int = quantity("count")
    n_spots: int = quantity("count")
    min_region_m2: float = quantity("m^2")
    items: list = quantity("", default_factory=list)

    def units(self) -> dict:
        out = field_units(self)
        out["items"] = field_units(Region(*([None] * len(dataclasses.fields(Region)))))
        return out


@dataclass(frozen=True)
class EdgeWidth(Result):
    """10-90 % widths of the fitted region edges, m (None without edges)."""

    median: float | None = quantity("m")
    p10: float | None = quantity("m")
    p90: float | None = quantity("m")
    n_profiles: int = quantity("count")
    fast_axis: float | None = quantity("m")
    slow_axis: float | None = quantity("m")


@dataclass(frozen=True, eq=False)
class MapResult(Result):
    """Result of :func:`analyze_map`; ``to_dict()`` gives the JSON keys (SI units), ``units()`` their units.

    Typed parts: ``regions`` (:class:`Regions` of :class:`Region`), ``states`` (list of
    :class:`State`), ``edge_width_m`` (:class:`EdgeWidth`), ``artefacts``
    (:class:`~scprobe.analysis.artefacts.ArtefactChecks`), ``contact``
    (:class:`~scprobe.analysis.contact.ContactResult`, with a resistivity).
    ``reference_note`` is non-empty when the map has no non-conducting reference
    (``conducting_fraction`` is then None: unknown, not zero).

    ``mask`` (conducting pixels), ``detected`` (above threshold), ``labels``
    (4-connected regions and spots, 0 = background), ``plateau``, ``edges`` and
    ``mixture`` are kept for figures and later stages but not put in the JSON.
    """

    file: str | None = quantity("")
    channel: str = quantity("")
    direction: str = quantity("")
    shape: list = quantity("count")
    pixel_size_m: float = quantity("m")
    pixel_size_y_m: float = quantity("m")
    temperature_K: float = quantity("K")
    bias_V: float = quantity("V")
    processing: list = quantity("")
    noise_offset_A: float = quantity("A")
    noise_rms_A: float = quantity("A")
    noise_floor_A: float = quantity("A")
    threshold_A: float = quantity("A")
    boundary: str = quantity("")
    conducting_fraction: float | None = quantity("1")
    above_threshold_fraction: float = quantity("1")
    reference_note: str = quantity("")
    contrast_decades: float = quantity("1")
    regions: Regions = None
    states: list = quantity("", default_factory=list)
    edge_width_m: EdgeWidth = None
    #: the published measurement: box-averaged cross-section of one boundary (None: no boundary fits a box)
    edge_cross_section: EdgeCrossSection | None = None
    junction_resistance_ohm: float = quantity("Ohm", default=math.nan)
    #: where the junction resistance comes from: ``state`` (top conductance state), ``spots``
    #: (median PSF-fitted spot current), ``mask`` (median conducting current) or ``none``
    junction_source: str = quantity("", default="none")
    spreading_resistance_ohm: float | None = quantity("Ohm", default=None)
    contact_limited: bool | None = quantity("", default=None)
    tip_radius_m: float = quantity("m", default=10e-9)
    resistivity_ohm_m: float | None = quantity("Ohm m", default=None)
    contact: ContactResult | None = None
    artefacts: ArtefactChecks = None
    saturated_fraction: float = quantity("1", default=0.0)
    mask: np.ndarray = internal(None)
    detected: np.ndarray = internal(None)
    labels: np.ndarray = internal(None)
    plateau: np.ndarray = internal(None)
    edges: EdgeFits | None = internal(None)
    mixture: Mixture | None = internal(None)

    def units(self) -> dict:
        out = field_units(self)
        out["states"] = field_units(State(0.0, 0.0))
        out["regions"] = self.regions.units()
        out["artefacts"] = {name: c.units() for name, c in self.artefacts.items()} | {"all_pass": ""}
        # declared even when no boundary fits a box (the value is then null)
        out["edge_cross_section"] = {f.name: f.metadata["unit"] for f in dataclasses.fields(EdgeCrossSection)
                                     if "unit" in f.metadata}
        return out


def _validate(scan, channel, direction, threshold_A, tip_radius_m, resistivity_ohm_m, saturation_A, force,
              mean_free_path_m=None):
    da = get_channel(scan, channel, direction)
    unit = str(da.attrs.get("units", scan[channel].attrs.get("units", "")))
    if unit != "A" and not force:
        raise UnitError(f"channel {channel!r} has unit {unit or '(none)'!r}, not a current in A; "
                        "pass force=True (--force) to analyse it anyway")
    validate_threshold(threshold_A)  # before the map is read: a bad option fails fast
    if not (math.isfinite(tip_radius_m) and tip_radius_m > 0):
        raise ParameterError(f"tip radius must be positive, got {tip_radius_m!r} m")
    if resistivity_ohm_m is not None and not (math.isfinite(resistivity_ohm_m) and resistivity_ohm_m > 0):
        raise ParameterError(f"resistivity must be positive, got {resistivity_ohm_m!r} Ohm m")
    if mean_free_path_m is not None and not (math.isfinite(mean_free_path_m) and mean_free_path_m > 0):
        raise ParameterError(f"mean free path must be a positive length, got {mean_free_path_m!r} m")
    if saturation_A is not None and not (math.isfinite(saturation_A) and saturation_A > 0):
        raise ParameterError(f"saturation current must be positive, got {saturation_A!r} A")
    cur = np.asarray(da.values, dtype=float)
    if min(cur.shape) < 4:
        raise ParameterError(f"map of {cur.shape[1]} x {cur.shape[0]} px is too small (at least 4 x 4)")
    n_valid = int(np.count_nonzero(np.isfinite(cur)))
    if n_valid < 16:
        raise ParameterError(f"channel {channel!r} has {n_valid} valid pixels; nothing to analyse")
    lo, hi = float(np.nanmin(cur)), float(np.nanmax(cur))
    if lo == hi:
        raise ParameterError(f"channel {channel!r} is constant ({lo:.4g} {unit}); nothing to analyse")
    return cur, n_valid


def _spot_peaks(cur, table, kind, noise, sigma_px, pixel_size_m):
    """PSF-fitted plateau current of every spot not cut by the border (None elsewhere), A."""
    peaks = [None] * kind.size
    spots = np.flatnonzero((kind == "spot") & ~table["touches_border"])
    # the biggest spots first: a bounded number of fits is enough for a median
    spots = spots[np.argsort(-table["area_px"][spots], kind="stable")][:MAX_FITTED_SPOTS]
    dy, dx = pixel_size_m
    for k in spots:
        centre = (table["centroid_y_m"][k] / dy - 0.5, table["centroid_x_m"][k] / dx - 0.5)
        half = int(np.ceil(table["equivalent_diameter_m"][k] / min(dy, dx) / 2 + 3 * (sigma_px or 1.0))) + 1
        fit = fit_dot(cur, centre, offset_A=noise.noise_offset_A, sigma_px=sigma_px, half_width_px=half)
        if fit is not None and fit.level_A > 0:
            peaks[k] = fit.level_A
    return peaks


def analyze_map(scan: xr.Dataset, *, channel: str = "current", direction: str = "forward",
                threshold_A: float | None = None, tip_radius_m: float = 10e-9,
                resistivity_ohm_m: float | None = None, mean_free_path_m: float | None = None,
                saturation_A: float | None = None,
                force: bool = False, boundary: str = "auto", min_region_m2: float = MIN_REGION_M2,
                file: str | None = None) -> MapResult:
    """Analyse one current map: noise, conducting mask, regions, states, edges, contact, artefacts.

    Parameters
    ----------
    scan : xarray.Dataset
        A Scan (see :mod:`scprobe.scan`); NaN pixels are treated as masked (never conducting).
    channel, direction : str
        The map to analyse; its unit must be A unless ``force``.
    threshold_A : float, optional
        Detection threshold, A (>= 0); default ``offset + 5 rms`` of the noise.
    tip_radius_m : float
        Tip contact radius for the spreading resistance, m.
    resistivity_ohm_m : float, optional
        Normal-state resistivity of the sample, Ohm m; enables ``contact`` (Maxwell and
        Sharvin side by side, :func:`~scprobe.analysis.contact.contact_resistance`),
        ``spreading_resistance_ohm`` and ``contact_limited``.
    mean_free_path_m : float, optional
        Electronic mean free path, m: chooses the contact regime (diffusive assumed without it).
    saturation_A : float, optional
        Amplifier limit, A; default: detected from clipping.
    force : bool
        Analyse a channel whose unit is not A.
    boundary : {"auto", "half-max", "threshold"}
        Extent of a conducting region: ``half-max`` = detected pixels above half their
        local plateau current (corrects the tip's blur: the true boundary of a sharp
        region), ``threshold`` = every pixel above ``threshold_A``.  ``auto``:
        ``threshold`` when ``threshold_A`` is given, else ``half-max``.
    min_region_m2 : float
        Smaller connected conducting areas are spots (listed, not counted as regions), m^2.
    file : str, optional
        The file the map was opened from, for the report (default: the channel's
        ``source_file`` attribute, else the scan's first source file).

    Returns
    -------
    MapResult
        ``conducting_fraction`` is the fraction of valid pixels inside the conducting
        mask (see ``boundary``; None when the map has no non-conducting reference);
        ``above_threshold_fraction`` is the plain fraction above the threshold.
        ``junction_resistance_ohm`` is ``|bias| / I`` with ``I`` the top conductance state,
        else (a map of sub-resolution dots) the median plateau current of the spots from a
        fit of the tip's point-spread function, else the median conducting current
        (``junction_source`` says which).

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from scprobe.simulate import simulate_study
    >>> tmp = tempfile.TemporaryDirectory()
    >>> study = simulate_study(tmp.name, seed=0, size=128)   # a small synthetic study with its truth
    >>> truth = json.loads((study.parent / "truth.json").read_text())
    >>> from scprobe.io import open_scan
    >>> scan = open_scan(study.parent / "scans/A01_1p5K-current-fwd.bcrf")
    >>> result = analyze_map(scan)
    >>> true = truth["scans"]["1.5K"]
    >>> abs(result.conducting_fraction - true["conducting_fraction"]) < 0.01
    True
    >>> abs(result.noise_floor_A - true["noise_floor_A"]) / true["noise_floor_A"] < 0.1
    True
    """
    logger.info("analyze_map %s (%s)", file or "scan", direction)
    cur, n_valid = _validate(scan, channel, direction, threshold_A, tip_radius_m, resistivity_ohm_m,
                             saturation_A, force, mean_free_path_m)
    dy, dx = pixel_size(scan)
    rm = region_mask(cur, (dy, dx), threshold_A, boundary)
    noise, thr, detected, mask, edges, boundary = rm.noise, rm.threshold_A, rm.detected, rm.mask, rm.edges, rm.boundary
    labels, n = label_regions(mask, connectivity=1)
    bias = float(scan.attrs.get("bias_V", math.nan))
    table = region_table(labels, n, cur, (dy, dx), bias)
    kind = classify_regions(table, min_region_m2)
    is_region = np.concatenate([[False], kind != "spot"])
    fitted_sigma = edges is not None and edges.width_m.size
    sigma_m = (float(np.median(edges.width_m)) / WIDTH_PER_SIGMA if fitted_sigma
               else _DEFAULT_SIGMA_PX * min(dx, dy))
    plateau = plateau_pixels(cur, is_region[labels], sigma_m, (dy, dx))
    state_list, mixture = conductance_states(cur, plateau)
    states = [State(st["current_A"], st["fraction"]) for st in state_list]
    ref = cur[plateau] if plateau.any() else cur[mask]
    level = float(np.median(ref)) if ref.size else math.nan
    contrast = math.log10(level / noise.noise_floor_A) if level > 0 and noise.noise_floor_A > 0 else math.nan
    # without edge fits the PSF width is fitted with each spot
    peaks = _spot_peaks(cur, table, kind, noise, sigma_m / min(dx, dy) if fitted_sigma else None, (dy, dx))
    fitted = [p for p in peaks if p is not None]
    if states:
        top, source = states[0].current_A, "state"
    elif fitted:
        top, source = float(np.median(fitted)), "spots"
    else:
        top, source = level, ("mask" if ref.size else "none")
    rj = junction_resistance(bias, top)
    contact = (contact_resistance(rj, resistivity_ohm_m, tip_radius_m, mean_free_path_m)
               if resistivity_ohm_m else None)
    checks, sat = artefact_checks(scan, cur, mask, noise, direction=direction, channel=channel,
                                  saturation_A=saturation_A, detected=detected)
    order = np.argsort(-table["area_px"], kind="stable")
    items = [Region(
        label=int(table["label"][k]), kind=str(kind[k]), area_m2=table["area_m2"][k],
        area_px=int(table["area_px"][k]), equivalent_diameter_m=table["equivalent_diameter_m"][k],
        major_axis_m=table["major_axis_m"][k], minor_axis_m=table["minor_axis_m"][k],
        elongation=table["elongation"][k], orientation_deg=table["orientation_deg"][k],
        centroid_m=[table["centroid_x_m"][k], table["centroid_y_m"][k]],
        mean_current_A=table["mean_current_A"][k], max_current_A=table["max_current_A"][k],
        peak_current_A=peaks[k],
        junction_resistance_ohm=(junction_resistance(bias, peaks[k]) if peaks[k] is not None
                                 else table["junction_resistance_ohm"][k]),
        touches_border=bool(table["touches_border"][k])) for k in order]
    regions = Regions(count=int((kind != "spot").sum()), n_islands=int((kind == "island").sum()),
                      n_stripes=int((kind == "stripe").sum()), n_spots=int((kind == "spot").sum()),
                      min_region_m2=min_region_m2, items=items)
    fast = "x" if scan.attrs.get("slow_scan", "horizontal") == "horizontal" else "y"
    sources = scan.attrs.get("source_files") or []
    return MapResult(
        file=file if file is not None else scan[channel].attrs.get(
            "source_file", str(sources[0]["path"]) if sources else None),
        channel=channel, direction=direction,
        shape=[int(s) for s in cur.shape], pixel_size_m=dx, pixel_size_y_m=dy,
        temperature_K=float(scan.attrs.get("temperature_K", math.nan)), bias_V=bias,
        processing=list(scan.attrs.get("history", [])),
        noise_offset_A=noise.noise_offset_A, noise_rms_A=noise.noise_rms_A, noise_floor_A=noise.noise_floor_A,
        threshold_A=thr, boundary=boundary,
        conducting_fraction=None if rm.reference_note else float(mask.sum()) / n_valid,
        above_threshold_fraction=float(detected.sum()) / n_valid, reference_note=rm.reference_note,
        contrast_decades=contrast, regions=regions, states=states,
        edge_width_m=EdgeWidth(**(edges if edges is not None else EdgeFits.empty()).summary(fast)),
        edge_cross_section=edge_cross_section(cur, mask, labels, dx, noise.noise_floor_A),
        junction_resistance_ohm=rj, junction_source=source,
        spreading_resistance_ohm=contact.spreading_resistance_ohm if contact else None,
        contact_limited=contact.contact_limited if contact else None,
        tip_radius_m=tip_radius_m, resistivity_ohm_m=resistivity_ohm_m, contact=contact,
        artefacts=checks, saturated_fraction=sat,
        mask=mask, detected=detected, labels=labels, plateau=plateau, edges=edges, mixture=mixture,
    )
