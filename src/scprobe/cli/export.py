"""``scprobe export``: a scan out as .gwy (Gwyddion), .nc (xarray/NetCDF) or .png."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from scprobe.cli._app import JSON_OPTION, app, check_output, choice, console, emit_json


class Target(str, Enum):
    gwy = "gwy"
    nc = "nc"
    png = "png"


@app.command()
def export(
    file: Path = typer.Argument(..., help="Any file of a scan (Daisy siblings are picked up), a .gwy or a .nc."),
    to: Target = typer.Option(..., "--to", help="Output format."),
    out: Path = typer.Option(None, "--out", metavar="FILE", help="Output file (default: <input stem>.<format> here)."),
    channel: str = typer.Option(None, "--channel", help="Only this channel (png default: current)."),
    direction: str = typer.Option("forward", "--direction", callback=choice("forward", "backward"),
                                  help="Trace drawn in a PNG: forward or backward."),
    linear: bool = typer.Option(False, "--linear", help="PNG: linear colour scale also for current."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write a scan as a Gwyddion .gwy, a NetCDF .nc or a false-colour PNG."""
    from scprobe.io import open_scan, save_scan
    from scprobe.scan import directions as scan_directions

    target = Path(out) if out is not None else Path.cwd() / f"{file.stem}.{to.value}"
    if target.is_dir():
        target = target / f"{file.stem}.{to.value}"
    check_output(target, folder=False)
    scan = open_scan(file)
    save_scan(scan, target, to.value, channel=channel, direction=direction, log=False if linear else None)
    if to.value == "png":
        written = [f"{channel or ('current' if 'current' in scan.data_vars else next(iter(scan.data_vars)))} "
                   f"({direction})"]
    else:
        subset = scan[[channel]] if channel else scan
        written = [f"{v} ({d})" if d else str(v) for v in subset.data_vars
                   for d in (scan_directions(subset) if "direction" in subset[v].dims else [None])]
    res = {"input": str(file), "output": str(target), "format": to.value, "channels": written}
    if as_json:
        emit_json(res)
        return
    console.print(f"wrote {res['output']} ({res['format']}: {', '.join(res['channels'])})", markup=False)
