"""Bruker/Veeco NanoScope files (``.di``, ``.spm``, ``.001`` ...), as Gwyddion reads them.

The header is ``\\Key: value`` text lines grouped in ``\\*Section`` blocks and
closed by ``\\*File list end``; each ``\\*Ciao image list`` section describes one
image: ``Data offset``, ``Data length``, ``Bytes/pixel`` (2 or 4, little-endian
signed), ``Samps/line`` x ``Number of lines``, ``Scan Size`` and
``@2:Z scale: V [Sens. Zsens] (0.0050354 V/LSB) 2.910461 V``.

Scaling (checked against Gwyddion 2.62 on three real files, relative error
< 1e-15): ``z = raw * zscale / 2**(8 * bytes_per_pixel) * sens`` where
``zscale`` is the last number of the ``Z scale`` line and ``sens`` the value of
the ``@Sens. NAME`` line named in brackets, with the length prefix of its unit
(``nm/V`` -> 1e-9 m).  A sensitivity without a unit leaves the value in the Z
scale's base unit, prefix dropped (``mV`` -> V, ``º`` -> deg), as Gwyddion does.
Rows are stored bottom-up, so they are flipped to make row 0 the top row.

Header keys match ignoring ASCII letter case, as in Gwyddion's ``nanoscope.c``
(its hash tables use ``gwy_ascii_strcase_equal``): v4/v5 files write
``\\Scan size``, ``\\Data offset``, later ones ``\\Scan Size``, ``\\Data Offset``.
A key repeated within a section keeps its last value, as there.  Section names
match exactly; images are read from the sections Gwyddion reads them from
(``Ciao image list``, ``AFM image list``, ``STM image list``, ``NCAFM image list``, ``Image list``).
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

_END = b"\\*File list end"
_MAX_HEADER = 1 << 22
_SCALE_RE = re.compile(r"^\s*\w\s*\[(?P<sens>[^\]]*)\]\s*(\((?P<hard>[^)]*)\))?\s*(?P<value>[-+0-9.eE]+)\s*(?P<unit>\S*)")
# "\@2:Z scale: V ..." has a colon inside the key
_KEY_RE = re.compile(r"^\\(?P<key>@\d+:[^:]*|[^:]*):(?P<value>.*)$")
_UNIT_FIX = {"~m": "um", "º": "deg", "\xba": "deg", "°": "deg"}
#: Gwyddion folds ASCII letters only (``g_ascii_tolower``), not latin-1 ones such as "É".
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_IMAGE_SECTIONS = ("Ciao image list", "AFM image list", "STM image list", "NCAFM image list", "Image list")


def fold(key: str) -> str:
    """``key`` with ASCII letters in lower case: the form header keys are compared in."""
    return key.translate(_ASCII_LOWER)


class Fields(dict):
    """Header fields of one section: keys as written, looked up ignoring ASCII case."""

    def __init__(self):
        super().__init__()
        self._folded: dict[str, str] = {}

    def __setitem__(self, key: str, value: str) -> None:
        old = self._folded.get(fold(key))
        if old is not None and old != key:
            super().__delitem__(old)  # one key whatever its case; the last value wins
        self._folded[fold(key)] = key
        super().__setitem__(key, value)

    def get(self, key: str, default=None):
        k = self._folded.get(fold(key))
        return default if k is None else super().__getitem__(k)


def _sections(path: Path) -> list[tuple[str, Fields]]:
    with open(path, "rb") as fh:
        head = fh.read(_MAX_HEADER)
    if not (head.startswith(b"\\*File list") or head.startswith(b"?*File list")):
        raise FormatError(path, "not a NanoScope file (no '\\*File list' header)")
    end = head.find(_END)
    if end < 0:
        raise FormatError(path, "truncated header: no '\\*File list end'")
    sections: list[tuple[str, Fields]] = []
    for line in head[:end].decode("latin-1").replace("\r", "\n").split("\n"):
        if line.startswith("\\*") or line.startswith("?*"):
            sections.append((line[2:].strip(), Fields()))
        elif line.startswith("\\") and sections:
            m = _KEY_RE.match(line)
            if m:
                sections[-1][1][m["key"].strip()] = m["value"].strip()
    return sections


def _unit(text: str) -> str:
    return _UNIT_FIX.get(text, text)


def _scan_size(path, value: str, nx: int, ny: int) -> tuple[float, float]:
    parts = value.split()
    nums = []
    for t in parts:
        try:
            nums.append(float(t))
        except ValueError:
            break
    if not nums or not all(v > 0 and np.isfinite(v) for v in nums):
        raise FormatError(path, f"header field 'Scan Size' is not a positive size: {value!r}")
    unit = _unit(parts[len(nums)]) if len(parts) > len(nums) else "nm"
    base, power = parse_unit(unit, "nm")
    q = 10.0 ** power
    xreal = nums[0] * q
    yreal = nums[1] * q if len(nums) > 1 else xreal * ny / nx
    return yreal, xreal


def _scale(path, image: dict[str, str], sens: dict[str, str], bpp: int) -> tuple[float, str]:
    key = next((k for k in image if fold(k).endswith("z scale") and k.startswith("@")), None)
    if key is None:
        raise FormatError(path, "image section has no '@2:Z scale' field")
    m = _SCALE_RE.match(image[key])
    if not m:
        raise FormatError(path, f"cannot parse 'Z scale' field {image[key]!r}")
    zscale = float(m["value"]) / 2.0 ** (8 * bpp)
    zunit = _unit(m["unit"] or "")
    sname = m["sens"].strip()
    s = sens.get("@" + fold(sname))
    if s is None:
        return zscale, parse_unit(zunit, "")[0]
    parts = s.split()
    if len(parts) < 2:
        raise FormatError(path, f"cannot parse sensitivity '{sname}': {s!r}")
    factor = to_float(path, sname, parts[1])
    if len(parts) > 2:
        num = _unit(parts[2].split("/")[0])
        base, power = parse_unit(num, "")
        return zscale * factor * 10.0 ** power, base
    return zscale * factor, parse_unit(zunit, "")[0]


def read(path: str | os.PathLike) -> list[Channel]:
    """Read every image of a NanoScope file (SI units, row 0 at the top)."""
    p = check_path(path)
    sections = _sections(p)
    sens: dict[str, str] = {}
    meta: dict[str, Any] = {}
    for name, fields in sections:
        for k, v in fields.items():
            if fold(k).startswith("@sens."):
                sens.setdefault(fold(k), v)
            meta.setdefault(f"{name}::{k}", v)
    size = p.stat().st_size
    total = 0  # images do not overlap, so together they cannot need more than the file holds
    out = []
    for name, fields in sections:
        if name not in _IMAGE_SECTIONS:
            continue
        nx = to_int(p, "Samps/line", fields.get("Samps/line"))
        ny = to_int(p, "Number of lines", fields.get("Number of lines"))
        bpp = to_int(p, "Bytes/pixel", fields.get("Bytes/pixel", "2"))
        if bpp not in (2, 4):
            raise FormatError(p, f"unsupported Bytes/pixel {bpp}")
        offset = to_int(p, "Data offset", fields.get("Data offset"), minimum=0)
        need = nx * ny * bpp  # python ints: no overflow however large the header claims
        if offset + need > size:
            raise FormatError(p, f"truncated data: image of {nx} x {ny} x {bpp} bytes at {offset} "
                                 f"needs {offset + need} bytes, file has {size}")
        total += need
        if total > size:
            raise FormatError(p, f"image sections claim {total} bytes of data, file has {size}")
        q, unit = _scale(p, fields, sens, bpp)
        yreal, xreal = _scan_size(p, fields.get("Scan Size", ""), nx, ny)
        raw = np.fromfile(p, dtype=f"<i{bpp}", count=nx * ny, offset=offset).reshape(ny, nx)
        data = np.multiply(raw[::-1], q, dtype=np.float64)
        m = re.search(r"\[([^\]]+)\]", next((v for k, v in fields.items() if fold(k).endswith("image data")), ""))
        title = m[1] if m else f"image {len(out)}"
        md = dict(meta)
        md.update({k: v for k, v in fields.items()})
        out.append(Channel(name=title, data=data, unit=unit, size_m=(yreal, xreal), metadata=md,
                           quantity=quantity_from_name(title)))
    if not out:
        raise FormatError(p, "no image sections ('\\*Ciao image list' ...): no images in this file")
    return out
