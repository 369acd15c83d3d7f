"""Write a whole synthetic study: cAFM scans, bulk curves, composition data, study.toml, truth.json.

The scan sequence follows the published experiment: area A at 1.5 K, 8 K, 20 K and
30 K (100 mV except 20 K at 50 mV), re-cooled to 8 K at 50 mV, then an adjacent area B
at 1.5 K.  Every scan is written as Daisy writes it (one BCRF per channel and trace).
"""
from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

from scprobe._version import __version__
from scprobe.errors import ParameterError
from scprobe.io import atomic_write, bcr
from scprobe.results import jsonable
from scprobe.simulate.bulk import write_bulk
from scprobe.simulate.composition import write_composition
from scprobe.simulate.instrument import domain_span, geometric_mask, measure, on_scan_grid, scan_grid
from scprobe.simulate.params import InstrumentParams, StudyParams, study_params
from scprobe.simulate.sample import (Landscape, dot_density_per_um2, metastable_spots, recool, rng_for,
                                     sample_landscape)
from scprobe.simulate.toml import dumps as toml_dumps

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanSpec:
    """One scan of the sequence: label, file stem, temperature (K), bias (V), area, re-cooled flag."""

    label: str
    stem: str
    temperature_K: float
    bias_V: float
    area: str
    recooled: bool = False


SEQUENCE = (
    ScanSpec("1.5K", "A01_1p5K", 1.5, 0.1, "A"),
    ScanSpec("8K", "A02_8K", 8.0, 0.1, "A"),
    ScanSpec("20K", "A03_20K", 20.0, 0.05, "A"),
    ScanSpec("30K", "A04_30K", 30.0, 0.1, "A"),
    ScanSpec("8K-recooled", "A05_8K-recooled", 8.0, 0.05, "A", recooled=True),
    ScanSpec("B-1.5K", "B01_1p5K", 1.5, 0.1, "B"),
)
#: Number of progress steps of :func:`simulate_study`.
STEPS = 2 + len(SEQUENCE) + 3
_CHANNELS = (("topography", "m"), ("deflection", "V"), ("current", "A"))
_DIR_TAG = {"forward": "fwd", "backward": "bwd"}


def domain_layout(size_px: int, ratio_b: float = 1.0) -> dict:
    """Domain shape and the top-left pixel ``(y, x)`` of areas A and B (before drift).

    ``ratio_b`` is area B's scan pitch over the sample grid's; ``"B_window"`` is the
    domain window ``(y0, x0, ny, nx)`` that area B's scan covers.
    """
    n = size_px
    gap = max(8, n // 16)
    x0 = (n - gap) // 2
    b = (n // 2, x0 + n + gap)
    span = domain_span(n, ratio_b)
    return {"shape": (2 * n, 3 * n), "A": (n // 2, x0), "B": b, "gap_px": gap, "B_window": (*b, span, span)}


def area_instrument(sp: StudyParams, area: str) -> InstrumentParams:
    """The instrument settings of an area: area B has its own pixel pitch and slow-scan direction."""
    ip = sp.instrument
    if area != "B":
        return ip
    return dataclasses.replace(ip, pixel_size_m=ip.area_b_pixel_size_m, slow_scan=ip.area_b_slow_scan)


def _npy(path: Path, array: np.ndarray) -> None:
    with atomic_write(path) as fh:
        np.save(fh, array, allow_pickle=False)


def _header(spec: ScanSpec, channel: str, direction: str, sp: StudyParams, sequence: int) -> dict:
    ip = area_instrument(sp, spec.area)
    return {
        "channel": channel, "direction": _DIR_TAG[direction],
        "bias": f"{spec.bias_V:.4f}", "temperature": f"{spec.temperature_K:.3f}",
        "slow_scan": ip.slow_scan, "time/pixel": f"{ip.time_per_pixel_s * 1e3:g} ms",
        "setpoint": f"{ip.setpoint_V:g} V", "tip_radius": f"{ip.tip_radius_m * 1e9:g} nm",
        "scan_label": spec.label, "area": spec.area, "sequence": str(sequence),
        "recooled": "1" if spec.recooled else "0", "sample": sp.specimen.name,
        "date": f"2025-03-{10 + sequence:02d} 09:00:00", "software": "attocube Daisy (scprobe simulate)",
    }


def _states_present(ls: Landscape, mask: np.ndarray, grid, scale: float) -> list[float]:
    """Plateau currents (A, descending) covering at least 2 % of the mask (and 20 pixels)."""
    levels, counts = np.unique(on_scan_grid(ls.state_current_A, grid, order=0)[mask], return_counts=True)
    keep = counts >= max(20, 0.02 * mask.sum())
    return sorted((float(v) * scale for v in levels[keep]), reverse=True)


def _dot_disks(shape, spots: np.ndarray, radius_px: float) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    for cy, cx in spots:
        y0, y1 = max(0, int(cy - radius_px) - 1), min(shape[0], int(cy + radius_px) + 2)
        x0, x1 = max(0, int(cx - radius_px) - 1), min(shape[1], int(cx + radius_px) + 2)
        out[y0:y1, x0:x1] |= np.hypot(yy[y0:y1, x0:x1] - cy, xx[y0:y1, x0:x1] - cx) <= radius_px
    return out


def _scan_truth(ls: Landscape, ls_first: Landscape, spec: ScanSpec, sp: StudyParams, window, shift,
                scan_seed: int, out: Path) -> dict:
    """Ground truth of one scan; writes its geometric masks under ``out/truth``."""
    ip, p = area_instrument(sp, spec.area), sp.sample
    grid = scan_grid(ls, ip, window[:2], window[2:])
    y0, x0, ny, nx, ratio = grid
    scale = spec.bias_V / p.reference_bias_V
    regions = geometric_mask(ls, spec.temperature_K, grid)
    states = _states_present(ls, regions, grid, scale)
    t = {
        "temperature_K": spec.temperature_K, "bias_V": spec.bias_V, "area": spec.area,
        "recooled": spec.recooled, "shift_px": [int(shift[0]), int(shift[1])],
        "pixel_size_m": ip.pixel_size_m, "slow_scan": ip.slow_scan,
        "noise_rms_A": ip.noise_rms_A, "noise_offset_A": ip.noise_offset_A,
        "noise_floor_A": ip.noise_floor_A, "saturation_A": ip.saturation_A,
        "edge_width_m": ip.edge_width_m, "states_A": states,
        "edge_plateau_to_floor_m": ip.plateau_to_floor_m(states[0]) if states else None,
    }
    labels, n = ndimage.label(regions)
    t["region_count"] = int(n)
    t["region_areas_px"] = sorted((int(a) for a in np.bincount(labels.ravel())[1:]), reverse=True)
    spots = metastable_spots(ls, spec.temperature_K, scan_seed,
                             window=(y0, x0, domain_span(ny, ratio), domain_span(nx, ratio)))
    r_px = 0.5 * p.dot_diameter_m / ip.pixel_size_m
    origin = np.array([y0, x0], dtype=float)
    fwd, bwd = (spots["forward"] - origin) / ratio, (spots["backward"] - origin) / ratio
    mask = regions | _dot_disks(regions.shape, fwd, r_px)
    mask_bwd = regions | _dot_disks(regions.shape, bwd, r_px)
    if dot_density_per_um2(p, spec.temperature_K) > 0:
        first = ls_first.mask_at(SEQUENCE[0].temperature_K)
        centres = np.rint(spots["forward"]).astype(int).reshape(-1, 2)
        t["spots"] = {
            "forward_px": np.round(fwd, 3).tolist(), "backward_px": np.round(bwd, 3).tolist(),
            "count_forward": len(fwd), "count_backward": len(bwd), "diameter_m": p.dot_diameter_m,
            "current_A": p.dot_current_A * scale,
            "persistence": float(spots["persistent"].mean()) if len(fwd) else 0.0,
            "fraction_in_1p5K_mask": float(first[centres[:, 0], centres[:, 1]].mean()) if len(fwd) else 0.0,
        }
    t["conducting_fraction"] = float(mask.mean())
    t["conducting_fraction_backward"] = float(mask_bwd.mean())
    t["mask_file"] = f"truth/{spec.stem}-mask-fwd.npy"
    t["mask_backward_file"] = f"truth/{spec.stem}-mask-bwd.npy"
    _npy(out / t["mask_file"], mask)
    _npy(out / t["mask_backward_file"], mask_bwd)
    return t


def _write_scan(ls: Landscape, ls_first: Landscape, spec: ScanSpec, sp: StudyParams, window, shift, seq: int,
                seed: int, out: Path) -> tuple[list[str], dict]:
    """Measure both traces of one scan, write its six BCRF files and clean currents; return (files, truth)."""
    ip = area_instrument(sp, spec.area)
    scan_seed = int(rng_for(seed, "scan", spec.label).integers(2 ** 31))
    truth = _scan_truth(ls, ls_first, spec, sp, window, shift, scan_seed, out)
    y0, x0, ny, nx = window
    files = []
    size_m = (ny * ip.pixel_size_m, nx * ip.pixel_size_m)
    for direction in ("forward", "backward"):
        data = measure(ls, ip, spec.temperature_K, spec.bias_V, direction, scan_seed, origin_px=(y0, x0),
                       shape=(ny, nx))
        tag = _DIR_TAG[direction]
        clean_key = "current_clean_file" if direction == "forward" else "current_clean_backward_file"
        truth[clean_key] = f"truth/{spec.stem}-current-clean-{tag}.npy"
        _npy(out / truth[clean_key], data["current_clean"])
        for channel, unit in _CHANNELS:
            rel = f"scans/{spec.stem}-{channel}-{tag}.bcrf"
            bcr.write(data[channel], out / rel, size_m, unit, fileformat="bcrf",
                      header=_header(spec, channel, direction, sp, seq),
                      scan_position_m=(y0 * ip.pixel_size_m, x0 * ip.pixel_size_m))
            files.append(rel)
    truth["files"] = files
    return files, truth


def _recooling_truth(ls: Landscape, rc: Landscape, window, temperature_K: float) -> dict:
    y0, x0, ny, nx = window
    a = ls.mask_at(temperature_K)[y0:y0 + ny, x0:x0 + nx]
    b = rc.mask_at(temperature_K)[y0:y0 + ny, x0:x0 + nx]
    na = max(int(a.sum()), 1)
    return {"temperature_K": temperature_K, "jaccard": float((a & b).sum() / max((a | b).sum(), 1)),
            "retained": float((a & b).sum() / na), "lost": float((a & ~b).sum() / na),
            "gained": float((b & ~a).sum() / na),
            "note": "masks compared in sample coordinates (drift removed); fractions of the first 8 K mask area"}


def _local_tc_truth(ls: Landscape, window, out: Path) -> dict:
    y0, x0, ny, nx = window
    tc = ls.tc_map()[y0:y0 + ny, x0:x0 + nx]
    _npy(out / "truth/tc_map_A.npy", tc)
    lab = ls.labels[y0:y0 + ny, x0:x0 + nx]
    regions = []
    for label in np.unique(lab[lab > 0]):
        yy, xx = np.nonzero(lab == label)
        regions.append({"label": int(label), "tc_K": float(ls.region_tc_K[label]), "area_px": int(yy.size),
                        "centroid_px": [float(yy.mean()), float(xx.mean())]})
    return {"tc_map_file": "truth/tc_map_A.npy", "regions": regions, "tc_K": ls.params.tc_K,
            "note": "map in the frame of the first scan of area A"}


def simulate_study(outdir, seed: int = 0, size: int = 512, *, progress: Callable[[str], None] | None = None,
                   **overrides) -> Path:
    """Write a complete synthetic study into ``outdir``.

    Parameters
    ----------
    outdir : path-like
        Destination folder (created).
    seed : int
        Random seed; the same seed gives the same bytes.
    size : int
        Scan size, pixels per side (pixel pitch stays ``pixel_size_m``, default 15 nm).
    progress : callable, optional
        Called with the name of each step as it completes (:data:`STEPS` steps in all).
    **overrides
        Any field of the parameter dataclasses in :mod:`scprobe.simulate.params`, by name.

    Returns
    -------
    pathlib.Path
        Path of the written ``study.toml`` (``truth.json`` is beside it).
    """
    logger.info("simulate_study %s seed=%d size=%d", outdir, seed, size)
    sp = study_params(size, **overrides)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ParameterError(f"seed must be a non-negative int, got {seed!r}")
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"{out}: output path exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    step = progress or (lambda name: None)
    n = sp.size_px
    layout = domain_layout(n, sp.instrument.area_b_pixel_size_m / sp.sample.pixel_size_m)
    ls = sample_landscape(sp.sample, seed, layout["shape"], stripe_window=layout["B_window"])
    step("sample landscape")
    rc = recool(ls, seed)
    step("re-cooled landscape")
    drift = rng_for(seed, "drift")
    d = sp.instrument.drift_px
    scans_toml, scans_truth, first_window = [], {}, {}
    for seq, spec in enumerate(SEQUENCE, start=1):
        base = layout[spec.area]
        if spec.area not in first_window:
            shift = (0, 0)
        else:
            shift = tuple(int(v) for v in drift.integers(-d, d + 1, 2))
        window = (base[0] - shift[0], base[1] - shift[1], n, n)
        first_window.setdefault(spec.area, window)
        landscape = rc if spec.recooled else ls
        files, truth = _write_scan(landscape, ls, spec, sp, window, shift, seq, seed, out)
        scans_truth[spec.label] = truth
        step(f"scan {spec.label}")
        scans_toml.append({"label": spec.label, "files": files, "temperature_K": spec.temperature_K,
                           "bias_V": spec.bias_V, "area": spec.area, "sequence": seq, "recooled": spec.recooled,
                           "slow_scan": area_instrument(sp, spec.area).slow_scan})
    bulk_toml, bulk_truth = write_bulk(out, sp.bulk, sp.specimen, seed)
    step("bulk curves")
    comp_toml, comp_truth = write_composition(out, ls, first_window["A"], sp, seed)
    step("composition data")
    study = {
        "schema_version": 1,
        "sample": {"name": sp.specimen.name, "formula": sp.specimen.formula,
                   "molar_mass_g_mol": sp.specimen.molar_mass_g_mol,
                   "atoms_per_formula_unit": sp.specimen.atoms_per_formula_unit,
                   "mass_g": round(sp.specimen.mass_g, 9), "dimensions_mm": list(sp.specimen.dimensions_mm),
                   "field_axis": "c", "density_g_cm3": sp.specimen.density_g_cm3},
        "scans": scans_toml,
        "bulk": bulk_toml,
        "composition": comp_toml,
        "transport": {"contacts": "vdp", "model": "classified", "scan": SEQUENCE[0].label},
        # no dim: the study chooses it from the crystal's thickness and the map's correlation lengths
        "percolation": {"sample_size_m": 1e-3, "realizations": 16, "seed": seed},
    }
    truth = {
        "scprobe_version": __version__, "seed": seed, "size_px": n,
        "pixel_size_m": sp.instrument.pixel_size_m, "psf_sigma_m": sp.instrument.psf_sigma_m,
        "edge_width_m": sp.instrument.edge_width_m, "tip_radius_m": sp.instrument.tip_radius_m,
        "noise_floor_A": sp.instrument.noise_floor_A,
        "edge_plateau_to_floor_m": sp.instrument.plateau_to_floor_m(max(sp.sample.state_currents_A)),
        "area_fraction_domain": float(ls.mask.mean()),
        "scans": scans_truth,
        "recooling": _recooling_truth(ls, rc, first_window["A"], 8.0),
        "local_tc": _local_tc_truth(ls, first_window["A"], out),
        "bulk": bulk_truth,
        "composition": comp_truth,
    }
    with atomic_write(out / "truth.json", "w") as fh:
        json.dump(jsonable(truth), fh, indent=1, allow_nan=False)
    study_file = out / "study.toml"
    with atomic_write(study_file, "w") as fh:
        fh.write(toml_dumps(study))
    step("study.toml and truth.json")
    return study_file
