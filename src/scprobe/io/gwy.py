"""Gwyddion native ``.gwy`` files: read every channel, write a Scan.

Reading uses a small bounded parser of Gwyddion's serialisation format
(http://gwyddion.net/documentation/user-guide-en/gwyfile-format.html) rather
than ``gwyfile.load``: that parser copies the remaining buffer for every
component (quadratic time on large files) and loops without bound when a
corrupt string-array count points past the data, so a damaged file could hang.
Here every count is checked against the bytes that remain before anything is
allocated.  Writing uses ``gwyfile``'s objects, whose output Gwyddion opens.

Channels are ``/N/data`` (GwyDataField) with ``/N/data/title``, ``/N/meta``
(a container of strings) and ``/N/mask``.  Row 0 of a data field is the top row.
"""
from __future__ import annotations

import json
import math
import os
import re
import struct
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from scprobe.errors import FormatError, ParameterError
from scprobe.io.base import Channel, atomic_write, check_path, parse_unit, split_title
from scprobe.io.naming import quantity_from_name

MAGIC = (b"GWYP",)
_MAX_DEPTH = 64
_ARRAY_TYPES = {"C": np.dtype("u1"), "I": np.dtype("<i4"), "Q": np.dtype("<i8"), "D": np.dtype("<f8")}
_SCALAR_TYPES = {"i": "<i", "q": "<q", "d": "<d"}
#: /N/meta keys: flat indices of void pixels (NaN in a Scan), and what the mask holds.
VOID_KEY = "scprobe void pixels"
MASK_KEY = "scprobe mask"


class GwyObject(dict):
    """A deserialised Gwyddion object: its type name plus its components."""

    def __init__(self, type_name: str, components: dict):
        super().__init__(components)
        self.type_name = type_name


class _Parser:
    def __init__(self, path: Path, buf: bytes):
        self.path = path
        self.raw = buf  # bytes.find(sub, start, end) searches without copying
        self.buf = memoryview(buf)

    def fail(self, what: str):
        raise FormatError(self.path, f"corrupt .gwy file: {what}")

    def cstring(self, pos: int, end: int) -> tuple[str, int]:
        nul = self.raw.find(b"\0", pos, end)
        if nul < 0:
            self.fail(f"unterminated string at byte {pos}")
        try:
            return self.raw[pos:nul].decode("utf-8"), nul + 1
        except UnicodeDecodeError:
            self.fail(f"string at byte {pos} is not UTF-8")

    def count(self, pos: int, end: int) -> tuple[int, int]:
        if pos + 4 > end:
            self.fail(f"truncated array length at byte {pos}")
        return struct.unpack_from("<I", self.buf, pos)[0], pos + 4

    def obj(self, pos: int, end: int, depth: int) -> tuple[GwyObject, int]:
        if depth > _MAX_DEPTH:
            self.fail("objects nested too deeply")
        name, pos = self.cstring(pos, end)
        size, pos = self.count(pos, end)
        stop = pos + size
        if stop > end:
            self.fail(f"object {name!r} claims {size} bytes, only {end - pos} remain")
        comps = {}
        while pos < stop:
            key, pos = self.cstring(pos, stop)
            if pos >= stop:
                self.fail(f"component {key!r} has no type")
            code = chr(self.buf[pos])
            pos += 1
            comps[key], pos = self.value(code, pos, stop, depth)
        return GwyObject(name, comps), stop

    def value(self, code: str, pos: int, end: int, depth: int) -> tuple[Any, int]:
        if code == "o":
            return self.obj(pos, end, depth + 1)
        if code == "s":
            return self.cstring(pos, end)
        if code in "bc":
            if pos >= end:
                self.fail("truncated value")
            v = self.buf[pos]
            return (v != 0 if code == "b" else chr(v)), pos + 1
        if code in _SCALAR_TYPES:
            fmt = _SCALAR_TYPES[code]
            n = struct.calcsize(fmt)
            if pos + n > end:
                self.fail("truncated number")
            return struct.unpack_from(fmt, self.buf, pos)[0], pos + n
        if code in _ARRAY_TYPES:
            n, pos = self.count(pos, end)
            dt = _ARRAY_TYPES[code]
            if n * dt.itemsize > end - pos:
                self.fail(f"array of {n} items exceeds the {end - pos} bytes left")
            return np.frombuffer(self.buf, dtype=dt, count=n, offset=pos).copy(), pos + n * dt.itemsize
        if code == "S":
            n, pos = self.count(pos, end)
            if n > end - pos:  # each string needs at least its NUL byte
                self.fail(f"string array of {n} items exceeds the data")
            out = []
            for _ in range(n):
                s, pos = self.cstring(pos, end)
                out.append(s)
            return out, pos
        if code == "O":
            n, pos = self.count(pos, end)
            if n * 6 > end - pos:  # an object needs at least name NUL + size
                self.fail(f"object array of {n} items exceeds the data")
            out = []
            for _ in range(n):
                o, pos = self.obj(pos, end, depth + 1)
                out.append(o)
            return out, pos
        self.fail(f"unknown component type {code!r}")


def load(path: str | os.PathLike) -> GwyObject:
    """Parse a .gwy file into nested :class:`GwyObject` dicts (bounded, no third-party parser)."""
    p = check_path(path)
    buf = p.read_bytes()
    if buf[:4] not in MAGIC:
        if buf[:4] in (b"GWYO", b"GWYQ"):
            raise FormatError(p, f"old Gwyddion 1.x file ({buf[:4].decode()}); re-save it with Gwyddion 2")
        raise FormatError(p, "not a Gwyddion .gwy file (no GWYP magic)")
    top, end = _Parser(p, buf).obj(4, len(buf), 0)
    return top


def _restore_voids(path, data: np.ndarray, text: str, i: int) -> np.ndarray:
    try:
        idx = np.asarray(json.loads(text), dtype=np.int64)
    except (ValueError, TypeError):
        raise FormatError(path, f"channel {i}: metadata {VOID_KEY!r} is not a list of pixel indices") from None
    if idx.ndim != 1 or (idx.size and (idx.min() < 0 or idx.max() >= data.size)):
        raise FormatError(path, f"channel {i}: void pixel indices outside the image")
    out = data.copy()
    out.flat[idx] = np.nan
    return out


def _unit(field: Mapping, key: str) -> str:
    u = field.get(key)
    text = u.get("unitstr", "") if isinstance(u, Mapping) else ""
    # Gwyddion keeps only the base unit of a stored unit string (the prefix is dropped, values are not scaled)
    return parse_unit(text or "", default="")[0]


def _field(path, c: Mapping, where: str) -> tuple[np.ndarray, dict]:
    try:
        xres, yres = int(c["xres"]), int(c["yres"])
        data = c["data"]
    except KeyError as exc:
        raise FormatError(path, f"{where} lacks {exc.args[0]!r}") from None
    if xres < 1 or yres < 1 or not isinstance(data, np.ndarray) or data.size != xres * yres:
        raise FormatError(path, f"{where}: {xres} x {yres} pixels but {getattr(data, 'size', 0)} values")
    info = {}
    for key, default in (("xreal", 1.0), ("yreal", 1.0), ("xoff", 0.0), ("yoff", 0.0)):
        v = float(c.get(key, default))
        if not math.isfinite(v) or (key in ("xreal", "yreal") and v <= 0):
            raise FormatError(path, f"{where}: {key} = {v!r} is not a valid size")
        info[key] = v
    return data.astype(float, copy=False).reshape(yres, xres), info


def read(path: str | os.PathLike) -> list[Channel]:
    """Read every channel (``/N/data``) of a .gwy file, with title, units, sizes, metadata and mask."""
    p = Path(path)
    top = load(p)
    ids = sorted(int(m[1]) for k in top if (m := re.fullmatch(r"/(\d+)/data", k)))
    out = []
    for i in ids:
        c = top[f"/{i}/data"]
        if not isinstance(c, GwyObject) or c.type_name != "GwyDataField":
            continue
        data, info = _field(p, c, f"channel {i}")
        title = top.get(f"/{i}/data/title")
        title = title if isinstance(title, str) and title else f"channel {i}"
        meta_obj = top.get(f"/{i}/meta")
        meta = {str(k): str(v) for k, v in meta_obj.items()} if isinstance(meta_obj, Mapping) else {}
        mask = None
        m = top.get(f"/{i}/mask")
        if isinstance(m, GwyObject) and m.type_name == "GwyDataField":
            mdata, _ = _field(p, m, f"mask of channel {i}")
            if mdata.shape == data.shape:
                mask = mdata > 0.5
        if VOID_KEY in meta:
            data = _restore_voids(p, data, meta[VOID_KEY], i)
            if meta.get(MASK_KEY) == "voids":
                mask = None
        md: dict[str, Any] = {k: v for k, v in meta.items() if k not in (VOID_KEY, MASK_KEY)}
        md["title"] = title
        for key in ("temperature_K", "bias_V"):
            if key in meta:
                try:
                    md[key] = float(meta[key])
                except ValueError:
                    raise FormatError(p, f"metadata {key!r} of channel {i} is not a number: {meta[key]!r}") from None
        base, direction = split_title(title)
        out.append(Channel(
            name=base, data=data, unit=_unit(c, "si_unit_z"),
            size_m=(info["yreal"], info["xreal"]), offset_m=(info["yoff"], info["xoff"]),
            metadata=md, quantity=quantity_from_name(base), direction=direction, mask=mask,
        ))
    if not out:
        raise FormatError(p, "no image channels (/N/data) in this .gwy file")
    return out


def _entries(scan_or_channels) -> list[tuple[str, np.ndarray, str, tuple, tuple, dict]]:
    """(title, data, unit, size (y, x), offset (y, x), meta) for every channel/direction."""
    if isinstance(scan_or_channels, Sequence) and all(isinstance(c, Channel) for c in scan_or_channels):
        return [(c.name + (f" ({c.direction})" if c.direction else ""), c.data, c.unit, c.size_m, c.offset_m,
                 {k: str(v) for k, v in c.metadata.items()}) for c in scan_or_channels]
    from scprobe.scan import directions, pixel_size

    scan = scan_or_channels
    dy, dx = pixel_size(scan)
    ny, nx = scan.sizes["y"], scan.sizes["x"]
    offset = (float(scan["y"][0]) - dy / 2, float(scan["x"][0]) - dx / 2)
    meta = {str(k): str(v) for k, v in scan.attrs.get("metadata", {}).items()}
    for key in ("temperature_K", "bias_V", "slow_scan"):
        if key in scan.attrs:
            meta[key] = str(scan.attrs[key])
    meta["scprobe history"] = json.dumps(scan.attrs.get("history", []))
    out = []
    dirs = directions(scan)
    for name, da in scan.data_vars.items():
        if set(da.dims) - {"direction"} != {"y", "x"} or name.endswith("_mask"):
            continue
        for d in (dirs if "direction" in da.dims else [None]):
            arr = da.sel(direction=d).transpose("y", "x").values if d else da.transpose("y", "x").values
            title = f"{name} ({d})" if d else name
            out.append((title, arr, da.attrs.get("units", ""), (ny * dy, nx * dx), offset, meta))
    return out


def write(
    scan_or_channels,
    path: str | os.PathLike,
    masks: Mapping[str, np.ndarray] | None = None,
) -> Path:
    """Write a Scan (or a list of Channels) as a .gwy file that Gwyddion opens.

    Every channel and direction becomes one Gwyddion channel titled
    ``"current (forward)"`` etc., with SI units (``m`` laterally), real sizes,
    offsets and the scan's metadata, temperature, bias and history in ``/N/meta``.
    Void pixels (NaN) are written as the mean of the valid pixels and marked in a
    mask (Gwyddion cannot show NaN); scprobe's reader turns them back into NaN.

    Parameters
    ----------
    scan_or_channels : xarray.Dataset or list of Channel
        What to write.
    path : path-like
        Destination, written atomically.
    masks : mapping, optional
        Channel title or variable name -> boolean mask ``(y, x)`` (or
        ``(direction, y, x)`` for a variable with directions), stored as ``/N/mask``.
    """
    from gwyfile.objects import GwyContainer, GwyDataField

    entries = _entries(scan_or_channels)
    if not entries:
        raise ParameterError("nothing to write: no 2-D channels")
    masks = dict(masks or {})
    if not isinstance(scan_or_channels, Sequence):
        # masks read with the scan (``<channel>_mask``) go back out unless the caller gives others
        for name in scan_or_channels.data_vars:
            if name.endswith("_mask") and name[:-5] not in masks:
                masks[name[:-5]] = scan_or_channels[name].transpose(..., "y", "x").values
    obj = GwyContainer()
    for i, (title, data, unit, size, offset, meta) in enumerate(entries):
        a = np.asarray(data, dtype=np.float64)
        void = ~np.isfinite(a)
        filled = np.where(void, np.nanmean(a[~void]) if (~void).any() else 0.0, a) if void.any() else a
        obj[f"/{i}/data"] = GwyDataField(np.ascontiguousarray(filled), xreal=float(size[1]), yreal=float(size[0]),
                                         xoff=float(offset[1]), yoff=float(offset[0]),
                                         si_unit_xy="m", si_unit_z=unit)
        obj[f"/{i}/data/title"] = title
        obj.typecodes[f"/{i}/data/title"] = "s"
        user = _mask_for(masks, title, a.shape)
        mask = void if user is None else (void | user)
        chan_meta = {k: v for k, v in meta.items() if k not in (VOID_KEY, MASK_KEY)}
        if void.any():
            chan_meta[VOID_KEY] = json.dumps(np.flatnonzero(void).tolist())
            chan_meta[MASK_KEY] = "voids" if user is None else "voids and user mask"
        if mask.any() or user is not None:
            obj[f"/{i}/mask"] = GwyDataField(mask.astype(np.float64), xreal=float(size[1]), yreal=float(size[0]),
                                             xoff=float(offset[1]), yoff=float(offset[0]),
                                             si_unit_xy="m", si_unit_z="")
        if chan_meta:
            m = GwyContainer()
            for k, v in chan_meta.items():
                m[k] = v
                m.typecodes[k] = "s"
            obj[f"/{i}/meta"] = m
    with atomic_write(path) as fh:
        obj.tofile(fh)
    return Path(path)


def _mask_for(masks: Mapping[str, np.ndarray], title: str, shape) -> np.ndarray | None:
    base, direction = split_title(title)
    m = masks.get(title)
    if m is None and base in masks:
        m = np.asarray(masks[base])
        if m.ndim == 3:
            from scprobe.scan import DIRECTIONS

            m = m[DIRECTIONS.index(direction) if direction in DIRECTIONS else 0]
    if m is None:
        return None
    m = np.asarray(m, dtype=bool)
    if m.shape != shape:
        raise ParameterError(f"mask for {title!r} has shape {m.shape}, channel {shape}")
    return m
