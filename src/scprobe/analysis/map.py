"""``analyze_map``: everything scprobe says about one current map.

Pipeline: noise floor -> detection threshold -> conducting mask at half the
local plateau (see :mod:`scprobe.analysis.regions`; or the plain threshold when
one is given) -> edge fits (their sigma
sets the plateau and erosion radii) -> regions and spots -> conductance states
on plateau pixels -> contact physics -> artefact checks.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from scprobe.analysis.artefacts import artefact_checks
from scprobe.analysis.contact import contact_limited, junction_resistance, spreading_resistance
from scprobe.analysis.edges import WIDTH_PER_SIGMA, EdgeFits
from scprobe.analysis.mask import region_mask
from scprobe.analysis.noise import validate_threshold
from scprobe.analysis.regions import MIN_REGION_M2, classify_regions, label_regions, region_table
from scprobe.analysis.states import Mixture, conductance_states, plateau_pixels
from scprobe.errors import ParameterError, UnitError
from scprobe.results import Result, internal
from scprobe.scan import channel as get_channel
from scprobe.scan import pixel_size

logger = logging.getLogger(__name__)

_DEFAULT_SIGMA_PX = 1.0


@dataclass(frozen=True, eq=False)
class MapResult(Result):
    """Result of :func:`analyze_map`; ``to_dict()`` gives the JSON keys (SI units).

    ``mask`` (conducting pixels), ``detected`` (above threshold), ``labels``
    (4-connected regions and spots, 0 = background), ``plateau``, ``edges`` and
    ``mixture`` are kept for figures and later stages but not put in the JSON.
    """

    file: str | None
    channel: str
    direction: str
    shape: list[int]
    pixel_size_m: float
    pixel_size_y_m: float
    temperature_K: float
    bias_V: float
    processing: list[dict]
    noise_offset_A: float
    noise_rms_A: float
    noise_floor_A: float
    threshold_A: float
    boundary: str
    conducting_fraction: float
    above_threshold_fraction: float
    contrast_decades: float
    regions: dict
    states: list[dict]
    edge_width_m: dict
    junction_resistance_ohm: float
    spreading_resistance_ohm: float | None
    contact_limited: bool | None
    tip_radius_m: float
    resistivity_ohm_m: float | None
    artefacts: dict
    saturated_fraction: float
    mask: np.ndarray = internal()
    detected: np.ndarray = internal()
    labels: np.ndarray = internal()
    plateau: np.ndarray = internal()
    edges: EdgeFits | None = internal()
    mixture: Mixture | None = internal()



def _validate(scan, channel, direction, threshold_A, tip_radius_m, resistivity_ohm_m, saturation_A, force):
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


def analyze_map(scan: xr.Dataset, *, channel: str = "current", direction: str = "forward",
                threshold_A: float | None = None, tip_radius_m: float = 10e-9,
                resistivity_ohm_m: float | None = None, saturation_A: float | None = None,
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
        Tip contact radius for the Maxwell spreading resistance, m.
    resistivity_ohm_m : float, optional
        Sample resistivity, Ohm m; enables ``spreading_resistance_ohm`` and ``contact_limited``.
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
        mask (see ``boundary``); ``above_threshold_fraction`` is the plain fraction
        above the threshold.

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
                             saturation_A, force)
    dy, dx = pixel_size(scan)
    rm = region_mask(cur, (dy, dx), threshold_A, boundary)
    noise, thr, detected, mask, edges, boundary = rm.noise, rm.threshold_A, rm.detected, rm.mask, rm.edges, rm.boundary
    labels, n = label_regions(mask)
    bias = float(scan.attrs.get("bias_V", math.nan))
    table = region_table(labels, n, cur, (dy, dx), bias)
    kind = classify_regions(table, min_region_m2)
    is_region = np.concatenate([[False], kind != "spot"])
    sigma_m = (float(np.median(edges.width_m)) / WIDTH_PER_SIGMA if edges is not None and edges.width_m.size
               else _DEFAULT_SIGMA_PX * min(dx, dy))
    plateau = plateau_pixels(cur, is_region[labels], sigma_m, (dy, dx))
    states, mixture = conductance_states(cur, plateau)
    ref = cur[plateau] if plateau.any() else cur[mask]
    level = float(np.median(ref)) if ref.size else math.nan
    contrast = math.log10(level / noise.noise_floor_A) if level > 0 and noise.noise_floor_A > 0 else math.nan
    top = states[0]["current_A"] if states else level
    rj = junction_resistance(bias, top)
    rs = spreading_resistance(resistivity_ohm_m, tip_radius_m) if resistivity_ohm_m else None
    checks, sat = artefact_checks(scan, cur, mask, noise, direction=direction, channel=channel,
                                  saturation_A=saturation_A, detected=detected)
    order = np.argsort(-table["area_px"], kind="stable")
    items = [{"label": int(table["label"][k]), "kind": str(kind[k]), "area_m2": table["area_m2"][k],
              "area_px": int(table["area_px"][k]), "equivalent_diameter_m": table["equivalent_diameter_m"][k],
              "major_axis_m": table["major_axis_m"][k], "minor_axis_m": table["minor_axis_m"][k],
              "elongation": table["elongation"][k], "orientation_deg": table["orientation_deg"][k],
              "centroid_m": [table["centroid_x_m"][k], table["centroid_y_m"][k]],
              "mean_current_A": table["mean_current_A"][k], "max_current_A": table["max_current_A"][k],
              "junction_resistance_ohm": table["junction_resistance_ohm"][k],
              "touches_border": bool(table["touches_border"][k])} for k in order]
    regions = {"count": int((kind != "spot").sum()), "n_islands": int((kind == "island").sum()),
               "n_stripes": int((kind == "stripe").sum()), "n_spots": int((kind == "spot").sum()),
               "min_region_m2": min_region_m2, "items": items}
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
        threshold_A=thr, boundary=boundary, conducting_fraction=float(mask.sum()) / n_valid,
        above_threshold_fraction=float(detected.sum()) / n_valid, contrast_decades=contrast,
        regions=regions, states=states,
        edge_width_m=(edges if edges is not None else EdgeFits.empty()).summary(fast),
        junction_resistance_ohm=rj, spreading_resistance_ohm=rs,
        contact_limited=contact_limited(rj, rs) if rs is not None else None,
        tip_radius_m=tip_radius_m, resistivity_ohm_m=resistivity_ohm_m,
        artefacts=checks, saturated_fraction=sat,
        mask=mask, detected=detected, labels=labels, plateau=plateau, edges=edges, mixture=mixture,
    )
