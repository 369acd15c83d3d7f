"""``scprobe info``: what a file holds, as Gwyddion would show it."""
from __future__ import annotations

from pathlib import Path

import typer

from scprobe.cli._app import JSON_OPTION, app, console, emit_json


def describe(path: Path) -> dict:
    """Format, channels (unit, shape, sizes in m) and header metadata of one file."""
    from scprobe.io import detect, read_channels

    fmt = detect(path)
    out = {"file": str(path), "format": fmt.name, "kind": fmt.kind, "channels": [], "metadata": {}}
    if fmt.kind == "table":
        # a file taken for a Quantum Design table by its extension must read as one
        from scprobe.io.qd import read_table

        qd = read_table(path)
        out["columns"] = qd.columns
        out["rows"] = int(len(qd.data))
        return out
    if fmt.kind != "image":
        return out
    chans = read_channels(path)
    for ch in chans:
        dy, dx = ch.pixel_size_m
        out["channels"].append({
            "name": ch.name, "quantity": ch.quantity, "direction": ch.direction, "unit": ch.unit,
            "shape": list(ch.shape), "size_m": list(ch.size_m), "offset_m": list(ch.offset_m),
            "pixel_size_m": [dy, dx], "void_pixels": ch.void_count,
            "scan_position_m": list(ch.scan_position_m) if ch.scan_position_m else None,
            "masked_pixels": int(ch.mask.sum()) if ch.mask is not None else None,
            "min": float(_nan(ch.data, "min")), "max": float(_nan(ch.data, "max")),
        })
    if chans:
        out["metadata"] = {k: str(v) for k, v in chans[0].metadata.items()}
    return out


def _nan(a, op):
    import numpy as np

    if np.isnan(a).all():
        return float("nan")
    return getattr(np, f"nan{op}")(a)


@app.command()
def info(files: list[Path] = typer.Argument(..., help="Files to describe."), as_json: bool = JSON_OPTION) -> None:
    """Format, channels, shape, pixel size, units and header metadata of each FILE."""
    results = [describe(f) for f in files]
    if as_json:
        emit_json({"files": results})  # one shape whatever the number of files
        return
    for r in results:
        console.print(f"{r['file']}  format: {r['format']} ({r['kind']})", style="bold")
        for c in r["channels"]:
            console.print(
                f"  {c['name']!s:<16} {c['quantity'] or '-':<11} {c['direction'] or '-':<8} "
                f"{c['shape'][1]} x {c['shape'][0]} px  {c['size_m'][1]:.4g} x {c['size_m'][0]:.4g} m  "
                f"pixel {c['pixel_size_m'][1]:.4g} m  unit {c['unit'] or '(none)'}  voids {c['void_pixels']}"
            )
        for k, v in list(r["metadata"].items())[:40]:
            console.print(f"    {k} = {v}", markup=False)
