"""Image Metrology BCR / BCRF files (attocube Daisy, SPIP): read and write.

Behaviour follows Gwyddion 2.62's ``bcrfile`` module (checked against Gwyddion itself,
``tests/io/test_real_files.py``), so a file reads here exactly as it
displays in Gwyddion:

* ``bcrstm`` = int16, ``bcrf`` = float32; ``*_unicode`` variants have a UTF-16LE
  header of 2048 characters (4096 bytes) or ``headersize`` characters when given;
  plain headers are 2048 bytes.  Lines starting with ``%`` or ``#`` are comments and
  leading blanks before keys are ignored.
* ``intelmode`` (default 1) selects little-endian data.
* Voids: int16 == 32767 and float > 1.7e38, whatever ``voidpixels`` says.  They
  become NaN here (Gwyddion Laplace-fills them and keeps a mask; we never fill).
* The file is read once; its sha256 (provenance) is computed from those bytes in a
  thread while they are decoded to float64 in one pass (bench/bench_io.py compares
  ``open_scan`` with ``numpy.fromfile``).  The size in the header is checked
  against the file length before anything is allocated.
* z scaling: ``q = 10**prefix(zunit)`` with ``zunit`` defaulting to ``nm``;
  float: ``raw * q``; int16: ``raw * bit2nm * q`` when ``bit2nm > 0``, else raw
  counts.  ``zunit = A`` is ampere.  ``zmin > 0`` shifts the field so its minimum is
  ``zmin * q``.
* ``xlength``/``ylength`` with ``xunit``/``yunit`` (default nm) give the real size,
  1 um when missing; ``xoffset``/``yoffset`` are the scan position, not applied.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from scprobe.errors import FormatError, ParameterError
from scprobe.io.base import (FILE_Z_UNITS, Channel, HashingReader, atomic_write, check_path, parse_unit, to_float,
                             to_int)
from scprobe.io.naming import quantity_from_name

FORMATS = ("bcrstm", "bcrf", "bcrstm_unicode", "bcrf_unicode")
#: :func:`read` can keep the raw samples and decode on access (``lazy=True``).
SUPPORTS_LAZY = True
_ASCII_HEADER = 2048
_FLOAT_VOID = 1.7e38
_INT_VOID = 32767
_WRITE_VOID = np.float32(3.402823e38)
_MAGIC_ASCII = b"fileformat = bcr"
_MAGIC_UTF16 = "fileformat = bcr".encode("utf-16-le")


def sniff(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts like a BCR file."""
    return head.startswith(_MAGIC_ASCII) or head.startswith(_MAGIC_UTF16)


def parse_header(text: str) -> dict[str, str]:
    """``key = value`` lines of a BCR header, comments and blank values skipped."""
    meta: dict[str, str] = {}
    for line in text.replace("\r", "\n").split("\n"):
        if not line or line[0] in "%#":
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if sep and key and value:
            meta[key] = value
    return meta


def read_header(path: str | os.PathLike) -> tuple[dict[str, str], int, str]:
    """Read the header of a BCR file.

    Returns
    -------
    meta : dict
        Header keys and values.
    header_bytes : int
        Offset of the data in the file.
    fileformat : str
        One of :data:`FORMATS`.
    """
    p = check_path(path)
    with open(p, "rb") as fh:
        head = fh.read(4 * _ASCII_HEADER)
    if head.startswith(_MAGIC_UTF16):
        text = head[: 2 * _ASCII_HEADER].decode("utf-16-le", errors="replace")
        meta = parse_header(text)
        header_bytes = 2 * _ASCII_HEADER
        if "headersize" in meta:
            header_bytes = 2 * to_int(p, "headersize", meta["headersize"])
            if header_bytes > p.stat().st_size:
                raise FormatError(p, f"truncated header: headersize says {header_bytes} bytes, "
                                     f"file has {p.stat().st_size}")
            if header_bytes > len(head):
                with open(p, "rb") as fh:
                    head = fh.read(header_bytes)
            meta = parse_header(head[:header_bytes].decode("utf-16-le", errors="replace"))
    elif head.startswith(_MAGIC_ASCII):
        header_bytes = _ASCII_HEADER
        meta = parse_header(head[:header_bytes].decode("latin-1"))
    else:
        raise FormatError(p, "not a BCR/BCRF file (no 'fileformat = bcr...' header)")
    fmt = meta.get("fileformat", "")
    if fmt not in FORMATS:
        raise FormatError(p, f"unknown BCR file type {fmt!r}")
    if p.stat().st_size < header_bytes:
        raise FormatError(p, f"truncated header: file has {p.stat().st_size} bytes, header needs {header_bytes}")
    return meta, header_bytes, fmt


def _quantity(meta: Mapping[str, str], unit: str) -> str | None:
    q = quantity_from_name(meta.get("channel", ""))
    if q is None:
        q = {"A": "current", "V": "deflection", "m": "topography"}.get(unit)
    return q


_CHUNK = 1 << 18  # values per block: a raw block and its float64 result stay in cache
#: Raw blocks in rotation: the decode runs ahead of the hash thread (the hash, 1.7 GB/s with SHA-NI, is
#: the slower of the two), which then never waits for a block (2 blocks: 49 -> ~40 ms at 4096^2).
_BLOCKS = 4


def _decode_into(raw: np.ndarray, scale: float, out: np.ndarray) -> None:
    """``out[...] = raw * scale`` in double (as Gwyddion), void samples NaN.

    Voids follow Gwyddion whatever 'voidpixels' says: float > 1.7e38 (and NaN),
    int16 == 32767; found on the raw values, before scaling.
    """
    if raw.dtype.kind == "f":
        void = None if raw.max() <= _FLOAT_VOID else ~(raw <= _FLOAT_VOID)
    else:
        void = raw == _INT_VOID
        void = void if void.any() else None
    np.multiply(raw, scale, out=out, dtype=np.float64)
    if void is not None:
        out[void] = np.nan


def _decode(path: Path, header_bytes: int, count: int, dtype: np.dtype, scale: float) -> tuple[np.ndarray, str]:
    """Read the file once, block by block: float64 SI values (voids NaN) and the file's sha256.

    Each raw block is hashed in a thread while it is decoded (:class:`~scprobe.io.base.HashingReader`).
    """
    out = np.empty(count, dtype=np.float64)
    blocks = [np.empty(min(count, _CHUNK), dtype=dtype) for _ in range(_BLOCKS)]
    with HashingReader(path, buffers=_BLOCKS) as reader:
        reader.readinto(bytearray(header_bytes))
        for i, start in enumerate(range(0, count, _CHUNK)):
            raw = blocks[i % _BLOCKS][:min(_CHUNK, count - start)]
            reader.readinto(raw)
            _decode_into(raw, scale, out[start:start + raw.size])
        return out, reader.hexdigest()


def _read_raw(path: Path, header_bytes: int, count: int, dtype: np.dtype) -> tuple[np.ndarray, str]:
    """Read the file once: its raw samples (as stored, native byte order) and its sha256."""
    raw = np.empty(count, dtype=dtype)
    with HashingReader(path, buffers=count) as reader:  # every block is its own buffer: none is reused
        reader.readinto(bytearray(header_bytes))
        for start in range(0, count, 4 * _CHUNK):
            reader.readinto(raw[start:start + 4 * _CHUNK])
        sha256 = reader.hexdigest()
    return raw.astype(dtype.newbyteorder("="), copy=False), sha256


class DecodedOnAccess:
    """A channel's float64 SI values, decoded from the file's raw samples each time they are asked for.

    Holds the raw samples (float32 or int16: a half or a quarter of the float64 values'
    memory); indexing decodes only the selected pixels, ``numpy.asarray`` the whole field,
    both with exactly the operations of the eager read (:func:`_decode_into`).
    """

    def __init__(self, raw: np.ndarray, scale: float):
        self.raw, self.scale = raw, float(scale)
        self.shape, self.ndim, self.dtype = raw.shape, raw.ndim, np.dtype(np.float64)

    def __getitem__(self, key) -> np.ndarray:
        raw = self.raw[key]
        out = np.empty(raw.shape, dtype=np.float64)
        _decode_into(raw, self.scale, out)
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self[...]
        return out if dtype is None else out.astype(dtype, copy=False)


def read(path: str | os.PathLike, *, lazy: bool = False) -> list[Channel]:
    """Read a BCR/BCRF file into one :class:`~scprobe.io.base.Channel` (SI units, voids NaN).

    With ``lazy`` the channel's data is a :class:`DecodedOnAccess` over the raw samples
    (decoded when asked for; the same values), except for a ``zmin`` file (shifted by its
    minimum: decoded now).
    """
    p = Path(path)
    meta, header_bytes, fmt = read_header(p)
    nx = to_int(p, "xpixels", meta.get("xpixels"))
    ny = to_int(p, "ypixels", meta.get("ypixels"))
    is_float = fmt.startswith("bcrf")
    bpp = 4 if is_float else 2
    payload = p.stat().st_size - header_bytes
    expected = nx * ny * bpp  # python ints: no overflow however large the header claims
    if payload != expected:
        raise FormatError(
            p, f"data size mismatch: header says {nx} x {ny} x {bpp} = {expected} bytes, file has {payload}"
        )
    little = True
    if "intelmode" in meta:
        little = bool(to_int(p, "intelmode", meta["intelmode"], minimum=0))
    dtype = np.dtype(("<" if little else ">") + ("f4" if is_float else "i2"))
    zunit, zpow = parse_unit(meta.get("zunit"), "nm")
    q = 10.0 ** zpow
    if is_float:
        scale = q
    else:
        bit2nm = to_float(p, "bit2nm", meta["bit2nm"]) if "bit2nm" in meta else 0.0
        scale = bit2nm * q if bit2nm > 0 else 1.0
    zmin = to_float(p, "zmin", meta["zmin"]) if "zmin" in meta else 0.0
    # read once: provenance hashes the same bytes that are decoded
    if lazy and not zmin > 0:
        raw, sha256 = _read_raw(p, header_bytes, nx * ny, dtype)
        data = DecodedOnAccess(raw.reshape(ny, nx), scale)
    else:
        data, sha256 = _decode(p, header_bytes, nx * ny, dtype, scale)
        data = data.reshape(ny, nx)
        if zmin > 0 and not np.isnan(data).all():
            data += zmin * q - float(np.nanmin(data))

    xunit, xpow = parse_unit(meta.get("xunit"), "nm")
    yunit, ypow = parse_unit(meta.get("yunit"), "nm")
    # Gwyddion silently takes 1 um for a length <= 0; a size that is not positive is refused here instead
    xreal = yreal = 1e-6
    if "xlength" in meta:
        xreal = to_float(p, "xlength", meta["xlength"], positive=True) * 10.0 ** xpow
    if "ylength" in meta:
        yreal = to_float(p, "ylength", meta["ylength"], positive=True) * 10.0 ** ypow
    position = None
    if "xoffset" in meta or "yoffset" in meta:
        position = (
            to_float(p, "yoffset", meta.get("yoffset", "0")) * 10.0 ** ypow,
            to_float(p, "xoffset", meta.get("xoffset", "0")) * 10.0 ** xpow,
        )
    md: dict[str, Any] = dict(meta)
    if "bias" in meta:
        md["bias_V"] = to_float(p, "bias", meta["bias"])
    if "temperature" in meta:
        md["temperature_K"] = to_float(p, "temperature", meta["temperature"])
    from scprobe.io.naming import direction_from_name, split_filename

    parts = split_filename(p)
    direction = direction_from_name(meta.get("direction", "")) or (parts[2] if parts else None)
    quantity = _quantity(meta, zunit)
    if "channel" not in meta and parts is not None:
        quantity = quantity_from_name(parts[1]) or quantity
    return [
        Channel(
            name=meta.get("channel", p.stem),
            data=data,
            unit=zunit,
            size_m=(yreal, xreal),
            metadata=md,
            quantity=quantity,
            direction=direction,
            scan_position_m=position,
            sha256=sha256,
        )
    ]


def write(
    data: np.ndarray,
    path: str | os.PathLike,
    size_m: tuple[float, float],
    unit: str = "m",
    *,
    fileformat: str = "bcrf",
    header: Mapping[str, Any] | None = None,
    scan_position_m: tuple[float, float] = (0.0, 0.0),
    little_endian: bool = True,
) -> Path:
    """Write a 2-D array as a BCR/BCRF file that Gwyddion and Daisy-reading tools open.

    Parameters
    ----------
    data : ndarray, shape (ny, nx)
        Values in SI units of ``unit``; NaN is written as a void pixel.
    path : path-like
        Destination; written atomically.
    size_m : (float, float)
        ``(yreal, xreal)`` in metres.
    unit : {"m", "A", "V"}
        SI unit of ``data``; stored as ``zunit`` nm, nA or V.
    fileformat : one of :data:`FORMATS`
        ``bcrf`` (float32) or ``bcrstm`` (int16 scaled by ``bit2nm``), ``_unicode``
        for a UTF-16LE header.
    header : mapping, optional
        Extra header keys (``channel``, ``direction``, ``bias``, ``temperature``,
        timing ...), written as ``key = value`` lines.
    scan_position_m : (float, float)
        ``(y, x)`` scan offset, stored as ``yoffset``/``xoffset`` in nm.
    """
    if fileformat not in FORMATS:
        raise ParameterError(f"fileformat must be one of {FORMATS}")
    a = np.asarray(data, dtype=float)
    if a.ndim != 2 or a.size == 0:
        raise ParameterError("BCR data must be a non-empty 2-D array")
    if unit not in FILE_Z_UNITS:
        raise ParameterError(f"BCR writer supports units {sorted(FILE_Z_UNITS)}, got {unit!r}")
    zunit, q = FILE_Z_UNITS[unit]
    ny, nx = a.shape
    is_float = fileformat.startswith("bcrf")
    unicode = fileformat.endswith("_unicode")
    lines = {"fileformat": fileformat}
    if unicode:
        lines["headersize"] = str(_ASCII_HEADER)
    lines.update({"xpixels": str(nx), "ypixels": str(ny), "intelmode": "1" if little_endian else "0",
                  "xlength": f"{size_m[1] / 1e-9:.6f}", "ylength": f"{size_m[0] / 1e-9:.6f}",
                  "xoffset": f"{scan_position_m[1] / 1e-9:.6f}", "yoffset": f"{scan_position_m[0] / 1e-9:.6f}",
                  "xunit": "nm", "yunit": "nm", "zunit": zunit})
    scaled = a / q
    if is_float:
        lines["voidpixels"] = "1" if np.isnan(a).any() else "0"
        raw = np.where(np.isnan(scaled), _WRITE_VOID, scaled).astype(np.float32)
    else:
        finite = scaled[np.isfinite(scaled)]
        peak = float(np.max(np.abs(finite))) if finite.size else 1.0
        bit2nm = (peak / 32000.0) if peak > 0 else 1.0
        lines["bit2nm"] = repr(bit2nm)
        lines["voidpixels"] = "1" if np.isnan(a).any() else "0"
        raw = np.where(np.isnan(scaled), _INT_VOID, np.round(np.nan_to_num(scaled) / bit2nm)).astype(np.int16)
    for k, v in (header or {}).items():
        if "\n" in str(k) + str(v) or "=" in str(k):
            raise ParameterError(f"header key/value may not contain newlines or '=' in the key: {k!r}")
        lines[str(k)] = str(v)
    text = "".join(f"{k} = {v}\n" for k, v in lines.items())
    if unicode:
        head = text.encode("utf-16-le")
        size = 2 * _ASCII_HEADER
        pad = " ".encode("utf-16-le")
    else:
        head = text.encode("latin-1")
        size = _ASCII_HEADER
        pad = b" "
    if len(head) > size:
        raise ParameterError(f"BCR header too long ({len(head)} bytes > {size})")
    head += pad * ((size - len(head)) // len(pad))
    dtype = np.dtype(("<" if little_endian else ">") + ("f4" if is_float else "i2"))
    with atomic_write(path) as fh:
        fh.write(head)
        fh.write(raw.astype(dtype, copy=False).tobytes())
    return Path(path)

