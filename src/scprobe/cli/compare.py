"""``scprobe compare A B`` and ``scprobe series FILE...``: comparing maps of one area."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import typer

from scprobe.cli._app import JSON_OPTION, app, check_output, console, emit_json, number
from scprobe.errors import ParameterError

def load_reference(path: Path):
    """A reference mask file (.npy, image, .gwy with a mask) as an array, or any other scan file as a Scan.

    A scan is registered onto the first scan and thresholded by the library.
    """
    from scprobe.io import open_scan, read_channels, read_mask
    from scprobe.io.mask import MASK_IMAGE_SUFFIXES

    suffix = Path(path).suffix.lower()
    if suffix == ".npy" or suffix in MASK_IMAGE_SUFFIXES:
        return read_mask(path)
    if suffix == ".gwy" and any(c.mask is not None for c in read_channels(path)):
        return read_mask(path)
    return open_scan(path)


def _parse_directions(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(p in ("forward", "backward") for p in parts):
        raise ParameterError(f"--directions must be two of forward/backward, e.g. forward,backward; got {text!r}")
    return parts[0], parts[1]


def _parse_temperatures(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ParameterError(f"--temperatures must be comma-separated numbers in K, got {text!r}") from None


def _write_json(path: Path, obj) -> None:
    from scprobe.io import atomic_write
    from scprobe.results import jsonable

    with atomic_write(path, "w") as fh:
        json.dump(jsonable(obj), fh, indent=2, allow_nan=False)
        fh.write("\n")


def _fmt(x, scale=1.0, spec=".3g", unit=""):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x * scale:{spec}}{unit}"


@app.command()
def compare(
    a: Path = typer.Argument(..., help="Any file of the first scan (its siblings are picked up)."),
    b: Path = typer.Argument(..., help="Any file of the second scan; the same scan compares forward vs backward."),
    threshold_A: float = typer.Option(None, "--threshold-A", callback=number(0),
                                      help="Conduction threshold for both maps, A: every "
                                      "pixel above it conducts (default: the mask of `scprobe map`)."),
    reference: Path = typer.Option(None, "--reference", help="Low-T conducting mask (.npy, .png or .gwy mask) "
                                   "on the first scan's grid, or a low-T scan file (registered and thresholded)."),
    directions: str = typer.Option(None, "--directions", help="Traces of A and B, e.g. forward,backward."),
    spot_diameter_m: float = typer.Option(75e-9, "--spot-diameter-m", callback=number(0, open_low=True),
                                          help="Expected spot diameter, m."),
    match_tolerance_m: float = typer.Option(None, "--match-tolerance-m", callback=number(0, open_low=True),
                                            help="Largest centre distance of one spot "
                                            "in both traces, m (default 0.2 spot diameters)."),
    force: bool = typer.Option(False, "--force", help="Compare even if pixel sizes differ, scans hardly overlap or "
                               "show different areas."),
    out: Path = typer.Option(None, "--out", help="Folder for compare.json and the figures."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Registration shift, overlap of conducting masks and spot persistence between two scans."""
    check_output(out)
    from scprobe.compare import compare_scans
    from scprobe.io import open_scan

    scan_a = open_scan(a)
    scan_b = scan_a if os.path.realpath(a) == os.path.realpath(b) else open_scan(b)
    mask = load_reference(reference) if reference is not None else None
    result = compare_scans(scan_a, scan_b, threshold_A=threshold_A, reference_mask=mask, force=force,
                           spot_diameter_m=spot_diameter_m, directions=_parse_directions(directions),
                           match_tolerance_m=match_tolerance_m)
    if not result.comparable:  # different areas: no overlap numbers without --force
        raise ParameterError(f"{result.note.removeprefix('not comparable: ')}; pass --force to compare anyway")
    summary = {**result.to_dict(), "directions": list(result.directions), "threshold_A": list(result.threshold_A)}
    if out is not None:
        from scprobe.report import compare_figures as cf

        out = Path(out)
        summary["figures"] = {
            "aligned_maps": str(cf.aligned_maps_figure(result, out / cf.FIGURE_NAMES["aligned"])),
            "spot_overlay": str(cf.spot_overlay_figure(result, out / cf.FIGURE_NAMES["spots"])),
        }
        _write_json(out / "compare.json", summary)
    if as_json:
        emit_json(summary)
        return
    from rich.table import Table

    reg, ov, sp = result.registration, result.overlap, result.spots
    t = Table(title=f"compare {a.name} ({result.directions[0]}) vs {b.name} ({result.directions[1]})")
    t.add_column("quantity")
    t.add_column("value")
    t.add_row("shift (dy, dx)", f"{reg.shift_px[0]:.2f}, {reg.shift_px[1]:.2f} px = "
              f"{reg.shift_m[0] * 1e9:.1f}, {reg.shift_m[1] * 1e9:.1f} nm")
    t.add_row("registration confidence", f"{reg.registration_confidence:.2f}")
    residual = _fmt(reg.topography_residual_rms_m, 1e9, ".3g", " nm")
    t.add_row("same area", f"{reg.same_area} (topography residual {residual})")
    t.add_row("Jaccard", _fmt(ov.jaccard))
    t.add_row("retained / lost / gained", f"{_fmt(ov.retained)} / {_fmt(ov.lost)} / {_fmt(ov.gained)}")
    t.add_row("boundary shift median / p90", f"{_fmt(ov.boundary_shift_m.median, 1e9, '.3g', ' nm')} / "
              f"{_fmt(ov.boundary_shift_m.p90, 1e9, '.3g', ' nm')}")
    t.add_row("spots A / B", f"{sp.count_a} / {sp.count_b}, diameter {_fmt(sp.diameter_m, 1e9, '.0f', ' nm')}")
    t.add_row("spot persistence", _fmt(sp.persistence))
    if sp.inside_reference_fraction is not None:
        t.add_row("spots inside reference mask", _fmt(sp.inside_reference_fraction))
    console.print(t)
    for name, path in summary.get("figures", {}).items():
        console.print(f"  {name}: {path}", markup=False)


def _open_distinct(files: list[Path]) -> list:
    """One scan per distinct raw file set (several files of one scan count once)."""
    from scprobe.io import open_scan

    scans, seen = [], set()
    for f in files:
        scan = open_scan(f)
        key = frozenset(r.get("sha256") for r in scan.attrs.get("source_files", [])) or os.path.realpath(f)
        if key in seen:
            continue
        seen.add(key)
        scans.append(scan)
    return scans


def write_tc_map(result, scan, out: Path):
    """Write the local-Tc bounds: ``tc_map.npy`` (lower bound), ``tc_map.nc`` and ``tc_map.gwy`` (both bounds
    and the fluctuation mask); returns the result with ``tc_map_file``."""
    import numpy as np

    from scprobe.compare.series import tc_map_dataset
    from scprobe.io import atomic_path, atomic_write
    from scprobe.io.base import Channel
    from scprobe.io.gwy import write as write_gwy

    out.mkdir(parents=True, exist_ok=True)
    npy = out / "tc_map.npy"
    with atomic_write(npy) as fh:
        np.save(fh, result.tc_lower_map)
    ds = tc_map_dataset(result, scan)
    with atomic_path(out / "tc_map.nc") as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf")
    dy, dx = result.pixel_size_m
    ny, nx = result.tc_lower_map.shape
    offset = (float(ds["y"].values[0]) - dy / 2, float(ds["x"].values[0]) - dx / 2)
    meta = {"temperatures_K": ",".join(f"{t:g}" for t in result.temperatures_K)}
    write_gwy([
        Channel(name="Local Tc lower bound", data=result.tc_lower_map, unit="K", size_m=(ny * dy, nx * dx),
                offset_m=offset, metadata=meta),
        Channel(name="Local Tc upper bound", data=result.tc_upper_map, unit="K", size_m=(ny * dy, nx * dx),
                offset_m=offset, metadata=meta)], out / "tc_map.gwy")
    return result.with_tc_map_file(npy)


@app.command()
def series(
    files: list[Path] = typer.Argument(..., help="One file of each scan of the series."),
    temperatures: str = typer.Option(None, "--temperatures", help="Temperature of each scan, K: T1,T2,... "
                                     "(default: from the file headers)."),
    threshold_A: float = typer.Option(None, "--threshold-A", callback=number(0),
                                      help="Conduction threshold for all maps, A: every "
                                      "pixel above it conducts (default: the mask of `scprobe map`)."),
    force: bool = typer.Option(False, "--force", help="Align even if pixel sizes differ or scans hardly overlap."),
    out: Path = typer.Option(None, "--out", help="Folder for series.json, the Tc map (.npy, .nc, .gwy) and figures."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Temperature series: conducting fraction vs T and the local Tc map."""
    check_output(out)
    from scprobe.compare import temperature_series

    scans = _open_distinct(files)
    temps = _parse_temperatures(temperatures)
    result = temperature_series(scans, temps, threshold_A=threshold_A, force=force)
    extra = {"shift_px": [list(s) for s in result.shifts_px],
             "registration_confidence": list(result.registration_confidence),
             "threshold_A": list(result.threshold_A)}
    figures = {}
    if out is not None:
        from scprobe.report import compare_figures as cf

        out = Path(out)
        result = write_tc_map(result, scans[0], out)
        figures = {
            "fraction_vs_temperature": str(cf.fraction_vs_temperature_figure(result,
                                                                             out / cf.FIGURE_NAMES["fraction"])),
            "tc_map": str(cf.tc_map_figure(result, out / cf.FIGURE_NAMES["tc"])),
            "maps": str(cf.series_maps_figure(result, out / cf.FIGURE_NAMES["series"], scans=scans)),
        }
    summary = {**result.to_dict(), **extra}
    if figures:
        summary["figures"] = figures
        _write_json(out / "series.json", summary)
    if as_json:
        emit_json(summary)
        return
    from rich.table import Table

    t = Table(title=f"temperature series of {len(scans)} scans")
    t.add_column("T (K)")
    t.add_column("conducting")
    t.add_column("shift (px)")
    t.add_column("confidence")
    for temp, frac, sh, conf in zip(result.temperatures_K, result.conducting_fraction, result.shifts_px,
                                    result.registration_confidence):
        t.add_row(f"{temp:g}", f"{frac:.1%}", f"{sh[0]:.2f}, {sh[1]:.2f}", f"{conf:.2f}")
    console.print(t)
    tc, fl = result.local_tc, result.fluctuations
    console.print(f"local Tc lower bound: median {_fmt(tc.tc_lower_K.median)} K (p10 {_fmt(tc.tc_lower_K.p10)}, "
                  f"p90 {_fmt(tc.tc_lower_K.p90)}); upper bound: median {_fmt(tc.tc_upper_K.median)} K, "
                  f"over {tc.conducting_pixels} pixels", markup=False)
    console.print(f"map conducts as a whole between {_fmt(result.map_tc_lower_K)} K and "
                  f"{_fmt(result.map_tc_upper_K)} K; above {_fmt(fl.reference_K)} K ({fl.reference}) "
                  f"{fl.pixels} pixels conduct only as fluctuations (left out of the local Tc)", markup=False)
    if tc.vanish_order:
        first = tc.regions[0]
        console.print(f"{len(tc.regions)} regions; first to vanish: region {first.label} "
                      f"(gone by {_fmt(first.tc_upper_K)} K)", markup=False)
    if result.tc_map_file:
        console.print(f"Tc map: {result.tc_map_file}", markup=False)
    for name, path in figures.items():
        console.print(f"  {name}: {path}", markup=False)
