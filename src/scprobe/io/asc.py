"""attocube Daisy ASCII exports (``.asc``, "Daisy frame view snapshot"): read and write.

Layout::

    # Daisy frame view snapshot
    # 2024-03-01T10:12:34
    # x-pixels: 200
    # y-pixels: 200
    # x-length: 5000
    # y-length: 5000
    # x-offset: 0
    # y-offset: 0
    # x-unit: nm
    # y-unit: nm
    # z-unit: nA
    # display:   channel sc_current fwd
    # Start of Data:
    1.234
    ...

one value per line, row by row, first row at the top (Gwyddion's ``attocube``
module reads it without a flip).  As in Gwyddion, the ``x-unit`` prefix scales
lengths and offsets (offsets are applied), the ``z-unit`` prefix scales values
(``nA`` -> A; no z-unit means a unit-less value), and the date line is optional
here.  Channel and direction come from ``display`` (``channel NAME fwd|bwd``) or
from the file name, like BCR files.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from scprobe.errors import FormatError, ParameterError
from scprobe.io.base import FILE_Z_UNITS, Channel, atomic_write, check_path, parse_unit, to_float, to_int
from scprobe.io.naming import direction_from_name, quantity_from_name

MAGIC = "# Daisy frame view snapshot"
DATA_MAGIC = "# Start of Data:"
_MIN_BYTES_PER_VALUE = 2  # a digit and a newline


def _parse(path: Path, text: str) -> tuple[dict[str, str], str]:
    if not text.lstrip("\ufeff").startswith(MAGIC):
        raise FormatError(path, "not a Daisy ASCII file (no '# Daisy frame view snapshot' line)")
    cut = text.find(DATA_MAGIC)
    if cut < 0:
        raise FormatError(path, "no '# Start of Data:' line")
    meta: dict[str, str] = {}
    for line in text[:cut].splitlines()[1:]:
        body = line.lstrip("#").strip()
        key, sep, value = body.partition(":")
        if sep and key and not key[:1].isdigit():  # the date line is not a key
            meta[key.strip()] = value.strip()
    return meta, text[cut + len(DATA_MAGIC):]


def _display(value: str | None) -> tuple[str | None, str | None]:
    """``"channel sc_topo fwd"`` -> ``("sc_topo", "forward")``."""
    words = (value or "").split()
    if words and words[0].lower() == "channel":
        words = words[1:]
    if not words:
        return None, None
    direction = direction_from_name(words[-1]) if len(words) > 1 else None
    name = " ".join(words[:-1] if direction else words)
    return name, direction


def read(path: str | os.PathLike) -> list[Channel]:
    """Read a Daisy ASCII export into one :class:`Channel` (SI units, row 0 at the top)."""
    p = check_path(path)
    nbytes = p.stat().st_size
    with open(p, "rb") as fh:
        head = fh.read(4096).decode("latin-1")
    meta, _ = _parse(p, head if DATA_MAGIC in head else head + "\n" + DATA_MAGIC)
    nx = to_int(p, "x-pixels", meta.get("x-pixels"))
    ny = to_int(p, "y-pixels", meta.get("y-pixels"))
    if nx * ny * _MIN_BYTES_PER_VALUE > nbytes:  # python ints: no overflow, no allocation yet
        raise FormatError(p, f"header says {nx} x {ny} values but the file has only {nbytes} bytes")
    meta, body = _parse(p, p.read_text(encoding="latin-1"))
    tokens = body.split()
    if len(tokens) != nx * ny:
        raise FormatError(p, f"header says {nx} x {ny} = {nx * ny} values, file has {len(tokens)}")
    try:
        raw = np.array(tokens, dtype=np.float64).reshape(ny, nx)
    except ValueError:
        bad = next(t for t in tokens if not _is_number(t))
        raise FormatError(p, f"data value {bad[:40]!r} is not a number") from None
    xunit, xpow = parse_unit(meta.get("x-unit"), "m")
    zunit, zpow = parse_unit(meta.get("z-unit"), "")
    q = 10.0 ** xpow
    xreal = abs(to_float(p, "x-length", meta.get("x-length"))) * q
    yreal = abs(to_float(p, "y-length", meta.get("y-length"))) * q
    if not (xreal > 0 and yreal > 0):
        raise FormatError(p, f"x-length/y-length must be positive, got {meta.get('x-length')}/{meta.get('y-length')}")
    xoff = to_float(p, "x-offset", meta["x-offset"]) * q if "x-offset" in meta else 0.0
    yoff = to_float(p, "y-offset", meta["y-offset"]) * q if "y-offset" in meta else 0.0
    name, direction = _display(meta.get("display"))
    md: dict[str, Any] = dict(meta)
    for key, out_key in (("bias", "bias_V"), ("temperature", "temperature_K")):
        if key in meta:
            md[out_key] = to_float(p, key, meta[key])
    data = raw * 10.0 ** zpow if zpow else raw
    name = name or p.stem
    return [Channel(name=name, data=data, unit=zunit, size_m=(yreal, xreal), offset_m=(yoff, xoff), metadata=md,
                    quantity=quantity_from_name(name), direction=direction)]


def _is_number(t: str) -> bool:
    try:
        float(t)
        return True
    except ValueError:
        return False


def write(
    data: np.ndarray,
    path: str | os.PathLike,
    size_m: tuple[float, float],
    unit: str = "m",
    *,
    channel: str = "sc_topo",
    direction: str = "forward",
    offset_m: tuple[float, float] = (0.0, 0.0),
    header: Mapping[str, Any] | None = None,
    timestamp: str = "2000-01-01T00:00:00",
) -> Path:
    """Write a 2-D array (SI units of ``unit``: m, A or V) as a Daisy ASCII export, atomically.

    Lengths are written in nm, values in nm / nA / V, NaN as ``nan``.  ``timestamp``
    (ISO 8601) fills the date line Gwyddion requires; it is fixed by default so the
    same data always give the same bytes.
    """
    a = np.asarray(data, dtype=float)
    if a.ndim != 2 or a.size == 0:
        raise ParameterError("Daisy ASCII data must be a non-empty 2-D array")
    if unit not in FILE_Z_UNITS:
        raise ParameterError(f"Daisy ASCII writer supports units {sorted(FILE_Z_UNITS)}, got {unit!r}")
    zunit, q = FILE_Z_UNITS[unit]
    ny, nx = a.shape
    d = {"forward": "fwd", "backward": "bwd"}.get(direction, direction)
    lines = [MAGIC, f"# {timestamp}", f"# x-pixels: {nx}", f"# y-pixels: {ny}",
             f"# x-length: {size_m[1] / 1e-9:.9g}", f"# y-length: {size_m[0] / 1e-9:.9g}",
             f"# x-offset: {offset_m[1] / 1e-9:.9g}", f"# y-offset: {offset_m[0] / 1e-9:.9g}",
             "# x-unit: nm", "# y-unit: nm", f"# z-unit: {zunit}"]
    lines += [f"# {k}: {v}" for k, v in (header or {}).items()]
    lines += [f"# display:   channel {channel} {d}", DATA_MAGIC]
    body = "\n".join(np.char.mod("%.9g", (a / q).ravel()))
    with atomic_write(path, "w") as fh:
        fh.write("\n".join(lines) + "\n" + body + "\n")
    return Path(path)
