"""``scprobe export``: a scan out as .gwy (Gwyddion), .nc (xarray/NetCDF) or .png."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from scprobe.cli._app import JSON_OPTION, app, console, emit_json
from scprobe.errors import ParameterError


class Target(str, Enum):
    gwy = "gwy"
    nc = "nc"
    png = "png"


def export_scan(path: Path, to: str, out: Path | None = None, channel: str | None = None,
                direction: str = "forward", linear: bool = False) -> dict:
    """Open ``path`` (with its Daisy siblings) and write it as ``to``; returns what was written."""
    from scprobe.io import gwy, nc, open_scan
    from scprobe.io.png import write_png
    from scprobe.scan import directions

    scan = open_scan(path)
    if channel is not None and channel not in scan.data_vars:
        raise ParameterError(f"no channel {channel!r}; this scan has {sorted(scan.data_vars)}")
    target = Path(out) if out is not None else Path.cwd() / f"{Path(path).stem}.{to}"
    if target.is_dir():
        target = target / f"{Path(path).stem}.{to}"
    sources = {Path(r["path"]).resolve() for r in scan.attrs.get("source_files", [])} | {Path(path).resolve()}
    if target.resolve() in sources:
        raise ParameterError(f"{target}: refusing to overwrite an input file; pass another --out")
    if to == "png":
        name = channel or ("current" if "current" in scan.data_vars else next(iter(scan.data_vars)))
        write_png(scan, target, channel=name, direction=direction, log=False if linear else None)
        written = [f"{name} ({direction})"]
    else:
        subset = scan[[channel]] if channel else scan
        if to == "gwy":
            gwy.write(target, subset)
        else:
            nc.write_scan(subset, target)
        written = [f"{v} ({d})" if "direction" in subset[v].dims else str(v)
                   for v in subset.data_vars for d in (directions(subset) if "direction" in subset[v].dims else [None])]
    return {"input": str(path), "output": str(target), "format": to, "channels": written}


@app.command()
def export(
    file: Path = typer.Argument(..., help="Any file of a scan (Daisy siblings are picked up), a .gwy or a .nc."),
    to: Target = typer.Option(..., "--to", help="Output format."),
    out: Path = typer.Option(None, "--out", help="Output file (default: <input stem>.<format> here)."),
    channel: str = typer.Option(None, "--channel", help="Only this channel (png default: current)."),
    direction: str = typer.Option("forward", "--direction", help="Trace drawn in a PNG: forward or backward."),
    linear: bool = typer.Option(False, "--linear", help="PNG: linear colour scale also for current."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write a scan as a Gwyddion .gwy, a NetCDF .nc or a false-colour PNG."""
    res = export_scan(file, to.value, out, channel, direction, linear)
    if as_json:
        emit_json(res)
        return
    console.print(f"wrote {res['output']} ({res['format']}: {', '.join(res['channels'])})", markup=False)
