"""Nanonis ``.sxm`` scans, oriented as Gwyddion's ``nanonis`` module shows them.

The header is text: ``:KEY:`` lines each followed by their value lines, up to
``:SCANIT_END:``; the data start after the ``\\x1a\\x04`` marker as big-endian
(``MSBFIRST``) float32 images of ``SCAN_PIXELS`` each, one per channel in the
``DATA_INFO`` table and per direction (``both`` = forward then backward).

Orientation (checked against Gwyddion 2.62 on a real file): a scan recorded with
``SCAN_DIR`` ``up`` is flipped vertically, and backward images are also
mirrored left-right, so row 0 is the top row and x runs left to right.  Values
are stored in the channel's SI unit already.  Gwyddion places the field at
``SCAN_OFFSET - SCAN_RANGE / 2``; the scan angle is not applied (as in Gwyddion).

A hand-written parser is used because no maintained reader gives Gwyddion's
orientation (nanonispy keeps the raw row order and does not mirror backward scans).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from scprobe.errors import FormatError
from scprobe.io.base import Channel, check_path, parse_unit, to_float, to_int
from scprobe.io.naming import quantity_from_name

_END = b":SCANIT_END:"
_DATA_MARK = b"\x1a\x04"
_MAX_HEADER = 1 << 22


def _header(path: Path) -> tuple[dict[str, str], int]:
    with open(path, "rb") as fh:
        head = fh.read(_MAX_HEADER)
    if not head.startswith(b":NANONIS_VERSION:"):
        raise FormatError(path, "not a Nanonis .sxm file (no ':NANONIS_VERSION:' header)")
    end = head.find(_END)
    if end < 0:
        raise FormatError(path, "truncated header: no ':SCANIT_END:'")
    mark = head.find(_DATA_MARK, end)
    if mark < 0:
        raise FormatError(path, "no data marker after ':SCANIT_END:'")
    text = head[:end].decode("latin-1")
    meta: dict[str, str] = {}
    for m in re.finditer(r":([^:\n]+):\n(.*?)(?=\n:[^:\n]+:\n|\Z)", text + "\n", re.S):
        meta[m[1].strip()] = m[2].strip("\n")
    return meta, mark + len(_DATA_MARK)


def _pair(path, meta, key) -> tuple[str, str]:
    parts = meta.get(key, "").split()
    if len(parts) < 2:
        raise FormatError(path, f"header field {key!r} needs two values, got {meta.get(key)!r}")
    return parts[0], parts[1]


def _channels(path, meta) -> list[tuple[str, str, str]]:
    """(name, unit, direction) for every stored image, in file order."""
    rows = [r.split("\t") for r in meta.get("DATA_INFO", "").split("\n") if r.strip()]
    if len(rows) < 2:
        raise FormatError(path, "header has no DATA_INFO channel table")
    head = [h.strip().lower() for h in rows[0] if h.strip()]
    out = []
    for r in rows[1:]:
        cells = [c.strip() for c in r if c.strip()]
        if len(cells) != len(head):
            raise FormatError(path, f"malformed DATA_INFO row {r!r}")
        rec = dict(zip(head, cells))
        dirs = {"both": ("forward", "backward"), "forward": ("forward",), "backward": ("backward",)}
        if rec.get("direction", "").lower() not in dirs:
            raise FormatError(path, f"unknown DATA_INFO direction {rec.get('direction')!r}")
        for d in dirs[rec["direction"].lower()]:
            out.append((rec.get("name", "channel"), rec.get("unit", ""), d))
    return out


def read(path: str | os.PathLike) -> list[Channel]:
    """Read every channel and direction of a Nanonis .sxm file (SI units, Gwyddion's orientation)."""
    p = check_path(path)
    meta, start = _header(p)
    sx, sy = _pair(p, meta, "SCAN_PIXELS")
    nx, ny = to_int(p, "SCAN_PIXELS", sx), to_int(p, "SCAN_PIXELS", sy)
    rx, ry = _pair(p, meta, "SCAN_RANGE")
    xreal, yreal = to_float(p, "SCAN_RANGE", rx, positive=True), to_float(p, "SCAN_RANGE", ry, positive=True)
    xoff = yoff = 0.0
    if "SCAN_OFFSET" in meta:
        ox, oy = _pair(p, meta, "SCAN_OFFSET")
        xoff = to_float(p, "SCAN_OFFSET", ox) - xreal / 2
        yoff = to_float(p, "SCAN_OFFSET", oy) - yreal / 2
    kind = meta.get("SCANIT_TYPE", "FLOAT MSBFIRST").split()
    if not kind or kind[0].upper() != "FLOAT":
        raise FormatError(p, f"unsupported SCANIT_TYPE {meta.get('SCANIT_TYPE')!r}")
    dtype = np.dtype(">f4" if "LSBFIRST" not in [k.upper() for k in kind] else "<f4")
    images = _channels(p, meta)
    need = len(images) * nx * ny * 4  # python ints: no overflow
    have = p.stat().st_size - start
    if have < need:
        raise FormatError(p, f"truncated data: {len(images)} images of {nx} x {ny} need {need} bytes, file has {have}")
    raw = np.fromfile(p, dtype=dtype, count=len(images) * nx * ny, offset=start).reshape(len(images), ny, nx)
    flip_up = meta.get("SCAN_DIR", "").strip().lower() == "up"
    md: dict[str, Any] = dict(meta)
    if "BIAS" in meta:
        md["bias_V"] = to_float(p, "BIAS", meta["BIAS"])
    if "REC_TEMP" in meta:
        md["temperature_K"] = to_float(p, "REC_TEMP", meta["REC_TEMP"])
    out = []
    for (name, unit, direction), img in zip(images, raw):
        img = img[::-1] if flip_up else img
        img = img[:, ::-1] if direction == "backward" else img
        base, power = parse_unit(unit, default="")
        data = img.astype(np.float64) * (10.0 ** power if power else 1.0)
        out.append(Channel(name=name, data=data, unit=base, size_m=(yreal, xreal), offset_m=(yoff, xoff),
                           metadata=md, quantity=quantity_from_name(name), direction=direction))
    return out
