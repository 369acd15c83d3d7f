"""``scprobe map FILE``: noise floor, conducting mask, regions, states, edges and artefact checks of one map."""
from __future__ import annotations

from pathlib import Path

import typer

from scprobe.cli._app import JSON_OPTION, app, check_output, choice, console, emit_json, number


def _fmt(v, unit: str = "", digits: int = 3) -> str:
    return "-" if v is None else f"{v:.{digits}g}{(' ' + unit) if unit else ''}"


def _summary(d: dict, figures: list[Path]) -> None:
    from rich.table import Table
    from rich.text import Text

    console.print(f"{d['file']}  {d['channel']} ({d['direction']}), {d['shape'][1]} x {d['shape'][0]} px, "
                  f"pixel {d['pixel_size_m'] * 1e9:.3g} nm, T = {_fmt(d['temperature_K'], 'K')}, "
                  f"bias = {_fmt(d['bias_V'], 'V')}", style="bold")
    if d["processing"]:
        console.print("processing: " + ", ".join(h["step"] for h in d["processing"]))
    if d["reference_note"]:
        console.print(d["reference_note"], markup=False)
    t = Table(show_header=False, box=None)
    rows = [
        ("noise offset / RMS / floor", f"{_fmt(d['noise_offset_A'], 'A')} / {_fmt(d['noise_rms_A'], 'A')} / "
                                       f"{_fmt(d['noise_floor_A'], 'A')}"),
        ("threshold", f"{_fmt(d['threshold_A'], 'A')} (region boundary: {d['boundary']})"),
        ("conducting fraction", f"{_fmt(d['conducting_fraction'], digits=4)} (above threshold "
                                f"{_fmt(d['above_threshold_fraction'], digits=4)})"),
        ("contrast", _fmt(d["contrast_decades"], "decades")),
        ("regions", f"{d['regions']['count']} ({d['regions']['n_islands']} islands, {d['regions']['n_stripes']} "
                    f"stripes), {d['regions']['n_spots']} spots"),
        ("conductance states", ", ".join(f"{s['current_A'] * 1e6:.3g} uA ({100 * s['fraction']:.0f} %)"
                                         for s in d["states"]) or "none"),
        ("edge width 10-90 %", f"median {_fmt(d['edge_width_m']['median'], 'm')} (p10 "
                               f"{_fmt(d['edge_width_m']['p10'], 'm')}, p90 {_fmt(d['edge_width_m']['p90'], 'm')}, "
                               f"{d['edge_width_m']['n_profiles']} profiles)"),
        ("junction resistance", f"{_fmt(d['junction_resistance_ohm'], 'Ohm')} (from {d['junction_source']})"),
        ("spreading resistance", _fmt(d["spreading_resistance_ohm"], "Ohm")
         + ("" if d["contact"] is None else
            f" ({d['contact']['regime']}: Maxwell {_fmt(d['contact']['maxwell_ohm'], 'Ohm')}, "
            f"Sharvin {_fmt(d['contact']['sharvin_ohm'], 'Ohm')})")
         + ("" if d["contact_limited"] is None else
            ("  -> current limited by the tip contact" if d["contact_limited"] else "  -> not contact limited"))),
        ("saturated fraction", _fmt(d["saturated_fraction"], digits=3)),
    ]
    for k, v in rows:
        t.add_row(k, v)
    console.print(t)
    checks = Table(title="artefact checks", show_lines=False)
    for col in ("check", "pass", "note"):
        checks.add_column(col)
    for name, c in d["artefacts"].items():
        if isinstance(c, dict):
            mark = "n/a" if c["pass"] is None else ("yes" if c["pass"] else Text("NO", style="red"))
            checks.add_row(name, mark, c["note"])
    console.print(checks)
    for p in figures:
        console.print(f"wrote {p}")


@app.command("map")
def map_command(
    file: Path = typer.Argument(..., help="A current map (BCR/BCRF with its Daisy siblings, .gwy, .sxm, .ibw, .nc)."),
    channel: str = typer.Option("current", "--channel", help="Channel to analyse."),
    direction: str = typer.Option("forward", "--direction", callback=choice("forward", "backward"),
                                  help="Trace: forward or backward."),
    process: str = typer.Option(None, "--process",
                                help="Processing steps, e.g. scars,rows:median,plane,poly:3,crop:x0,y0,x1,y1."),
    threshold_A: float = typer.Option(None, "--threshold-A", callback=number(0),
                                      help="Detection threshold, A (default from the noise)."),
    tip_radius_m: float = typer.Option(10e-9, "--tip-radius-m", callback=number(0, open_low=True),
                                       help="Tip contact radius, m."),
    resistivity_ohm_m: float = typer.Option(None, "--resistivity-ohm-m", callback=number(0, open_low=True),
                                            help="Normal-state sample resistivity, Ohm m (Maxwell and Sharvin "
                                                 "spreading resistances)."),
    mean_free_path_m: float = typer.Option(None, "--mean-free-path-m", callback=number(0, open_low=True),
                                           help="Electronic mean free path, m: picks the contact regime "
                                                "(diffusive assumed without it)."),
    saturation_A: float = typer.Option(None, "--saturation-A", callback=number(0, open_low=True),
                                       help="Amplifier limit, A (default: detect clipping)."),
    bias_V: float = typer.Option(None, "--bias-V", callback=number(nonzero=True),
                                 help="Override the bias from the header, V."),
    force: bool = typer.Option(False, "--force", help="Analyse a channel whose unit is not A."),
    boundary: str = typer.Option("auto", "--boundary",
                                 help="Region extent: half-max (blur-corrected), threshold, or auto "
                                      "(threshold when --threshold-A is given)."),
    out: Path = typer.Option(None, "--out", help="Write figures and the mask (.png, .npy, .gwy) here."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Single current map: noise floor, conducting mask, regions, states, edges, artefact checks."""
    check_output(out)
    from scprobe.analysis import analyze_map
    from scprobe.io import open_scan

    steps = []
    if process:  # scprobe.process pulls in scipy.sparse: only when asked
        from scprobe.process import apply_steps, parse_steps

        steps = parse_steps(process)
    # the other channels are only sampled (artefact checks): decoded when asked for, from their raw samples
    scan = open_scan(file, bias_V=bias_V, decode=None if steps else (channel,))
    if steps:
        scan = apply_steps(scan, steps)
    result = analyze_map(scan, channel=channel, direction=direction, threshold_A=threshold_A,
                         tip_radius_m=tip_radius_m, resistivity_ohm_m=resistivity_ohm_m,
                         mean_free_path_m=mean_free_path_m, saturation_A=saturation_A,
                         force=force, boundary=boundary, file=str(file))
    figures: list[Path] = []
    if out is not None:
        import numpy as np

        from scprobe.io import atomic_write
        from scprobe.report.map_figures import map_figures
        from scprobe.study.common import write_mask_gwy

        figures = map_figures(scan, result, out, label=file.stem)
        # the mask as data (never as a picture): NumPy and a Gwyddion file with it over the analysed trace
        with atomic_write(out / f"{file.stem}_mask.npy") as fh:
            np.save(fh, result.mask)
        figures += [out / f"{file.stem}_mask.npy", write_mask_gwy(scan, result, out / f"{file.stem}_mask.gwy")]
    d = result.to_dict()
    if as_json:
        emit_json({**d, "figures": [str(p) for p in figures]})
        return
    _summary(d, figures)
