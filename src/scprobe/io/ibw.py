"""Igor binary waves (``.ibw``, Asylum Research MFP-3D / Cypher), read with ``igor2``.

A 2-D wave is one image; a 3-D wave ``(nx, ny, n)`` holds ``n`` channels named
by the layer labels (``HeightTrace``, ``CurrentRetrace`` ...).  Igor stores
columns first with y pointing up, so each layer is transposed and flipped to
put row 0 at the top, as Gwyddion's ``igorfile`` module shows it (checked on a
real Cypher file).  The real size is ``sfA * n`` per axis (metres for Asylum
files).  Asylum stores one data unit for the whole wave, so the unit of each
channel comes from its name, as in Gwyddion: Height/Amplitude/ZSensor/Deflection
m, Phase deg, Current A, Potential/Voltage/Bias V; otherwise the wave's unit.
"""
from __future__ import annotations

import contextlib
import logging
import os
import struct
from typing import Any

import numpy as np

from scprobe.errors import FormatError
from scprobe.io.base import Channel, check_path, parse_unit
from scprobe.io.naming import direction_from_name, quantity_from_name

_UNIT_BY_NAME = (("phase", "deg"), ("current", "A"), ("potential", "V"), ("voltage", "V"), ("bias", "V"),
                 ("height", "m"), ("zsensor", "m"), ("amplitude", "m"), ("deflection", "m"), ("frequency", "Hz"))


@contextlib.contextmanager
def _quiet_igor2():
    """igor2 logs the whole raw buffer at ERROR level on a corrupt file; the FormatError says enough."""
    log = logging.getLogger("igor2")  # its module loggers inherit this level
    before = log.level
    log.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        log.setLevel(before)


def _text(v) -> str:
    if isinstance(v, bytes):
        return v.decode("latin-1")
    if isinstance(v, np.ndarray):
        return b"".join(x if isinstance(x, bytes) else bytes(x) for x in v.ravel()).decode("latin-1")
    return str(v)


def _note(raw) -> dict[str, str]:
    meta = {}
    for line in _text(raw).replace("\r", "\n").split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip()] = value.strip()
    return meta


def _split(label: str) -> tuple[str, str | None]:
    low = label.lower()
    for suffix in ("retrace", "trace"):
        if low.endswith(suffix) and len(label) > len(suffix):
            return label[: -len(suffix)], direction_from_name(suffix)
    return label, None


#: Binary header layout per version (Igor Technical Note 003): the byte sizes of the sections that follow it.
_HEADERS = {1: ("hlh", (1,)), 2: ("hlllh", (1, 2, 3)), 3: ("hllllh", (1, 2, 3, 4)),
            5: ("hh15l", tuple(range(2, 17)))}


def _check_sizes(p, length: int) -> None:
    """Refuse a header whose section sizes exceed the file, before igor2 allocates them (it reads the note
    with one ``read(noteSize)``, so a forged size of 2 GB would be allocated from a file of a few KB)."""
    with open(p, "rb") as fh:
        head = fh.read(64)
    for order in "<>":
        if len(head) >= 2 and struct.unpack(order + "h", head[:2])[0] in _HEADERS:
            fmt, fields = _HEADERS[struct.unpack(order + "h", head[:2])[0]]
            if len(head) < struct.calcsize(order + fmt):
                break
            values = struct.unpack(order + fmt, head[:struct.calcsize(order + fmt)])
            sizes = [values[i] for i in fields]
            if min(sizes) < 0 or struct.calcsize(order + fmt) + sum(sizes) > length:
                raise FormatError(p, f"Igor wave header claims {sum(sizes)} bytes of sections, "
                                     f"but the file holds {length}")
            return
    raise FormatError(p, "not an Igor binary wave (unknown version in the first two bytes)")


def read(path: str | os.PathLike) -> list[Channel]:
    """Read every layer of an Igor binary wave as channels (SI units, row 0 at the top)."""
    p = check_path(path)
    _check_sizes(p, os.path.getsize(p))
    from igor2 import binarywave

    with _quiet_igor2():
        wave = binarywave.load(str(p))["wave"]
    data = np.asarray(wave["wData"])
    header = wave["wave_header"]
    if data.ndim not in (2, 3) or data.size == 0:
        raise FormatError(p, f"Igor wave has shape {data.shape}; an image needs 2 or 3 dimensions")
    if not np.issubdtype(data.dtype, np.number) or np.iscomplexobj(data):
        raise FormatError(p, f"Igor wave has data type {data.dtype}, not real numbers")
    nx, ny = data.shape[:2]
    sfa = np.asarray(header.get("sfA", [1.0, 1.0]), dtype=float)
    if sfa.size < 2 or not all(np.isfinite(sfa[:2])) or not all(sfa[:2] != 0):
        raise FormatError(p, f"Igor wave has invalid pixel scale sfA = {sfa[:2]}")
    xreal, yreal = float(abs(sfa[0]) * nx), float(abs(sfa[1]) * ny)
    wave_unit = _text(wave.get("data_units") or b"") or _text(header.get("dataUnits", b""))
    md: dict[str, Any] = _note(wave.get("note", b""))
    layers = data[:, :, None] if data.ndim == 2 else data
    labels = []
    try:
        labels = [_text(x) for x in wave["labels"][2] if _text(x)]
    except (KeyError, IndexError, TypeError):
        labels = []
    bname = _text(header.get("bname", b"")) or p.stem
    out = []
    for i in range(layers.shape[2]):
        label = labels[i] if i < len(labels) else (bname if layers.shape[2] == 1 else f"{bname}_{i}")
        base, direction = _split(label)
        unit = next((u for key, u in _UNIT_BY_NAME if key in base.lower()), wave_unit)
        unit_base, power = parse_unit(unit, "")
        with np.errstate(all="ignore"):  # the file's values are what they are, inf/NaN included
            img = np.asarray(layers[:, :, i], dtype=np.float64).T[::-1]
            if power:
                img = img * 10.0 ** power
        out.append(Channel(name=label, data=np.ascontiguousarray(img), unit=unit_base, size_m=(yreal, xreal),
                           metadata=md, quantity=quantity_from_name(base), direction=direction))
    return out
