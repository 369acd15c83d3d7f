"""SEM images (TIFF) and EDX element maps (TIFF or CSV).

The SEM pixel size is taken, in this order, from FEI/Thermo metadata
(``[Scan] PixelWidth``, m), Zeiss metadata (``ap_image_pixel_size``), an ImageDescription with ``pixel_size_m`` (JSON, as
:func:`write_tiff` stores it, or ``pixel_size_m=3e-08``), or the
baseline TIFF tags ``XResolution`` + ``ResolutionUnit`` (inch or centimetre).
Without any of these the size is ``None`` and must be given by the user.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scprobe.errors import FormatError
from scprobe.io.apt import ELEMENTS
from scprobe.io.base import atomic_path, check_path, parse_unit

#: Largest image accepted (pixels); a header cannot make a reader allocate more.
MAX_PIXELS = 1 << 26
#: Largest believable ratio of decoded to stored bytes of a compressed image (zlib tops out near 1032).
MAX_EXPANSION = 1100


@dataclass(frozen=True)
class Image:
    """A 2-D image with its pixel size.

    Attributes
    ----------
    path : str
    data : ndarray, shape (ny, nx)
        float64 values (grey levels for SEM, counts for EDX); row 0 is the top row.
    pixel_size_m : float or None
        Square pixel pitch, m, when the file states it.
    metadata : dict
    """

    path: str
    data: np.ndarray
    pixel_size_m: float | None
    metadata: dict = field(default_factory=dict)


def _tiff_pixel_size(tif) -> float | None:
    fei = tif.fei_metadata
    if fei:
        for sect in ("Scan", "EScan", "Image"):
            v = fei.get(sect, {}).get("PixelWidth")
            if v:
                return float(v)
    sem = tif.sem_metadata
    if sem and "ap_image_pixel_size" in sem:
        entry = sem["ap_image_pixel_size"]
        # tifffile gives (label, value, unit) for Zeiss entries
        value, unit = (entry[1], entry[2]) if isinstance(entry, (tuple, list)) and len(entry) >= 3 else (entry, "nm")
        base, power = parse_unit(str(unit))
        if base == "m":
            return float(value) * 10.0 ** power
    page = tif.pages[0]
    desc = page.tags.get("ImageDescription")
    if desc is not None:
        try:
            meta = json.loads(desc.value)
        except (ValueError, TypeError):
            meta = None
        if isinstance(meta, dict) and "pixel_size_m" in meta:
            return float(meta["pixel_size_m"])
        found = re.search(r"pixel_size_m\s*[=:]\s*([-+0-9.eE]+)", str(desc.value))
        if found:
            return float(found.group(1))
    xres, unit = page.tags.get("XResolution"), page.tags.get("ResolutionUnit")
    if xres is not None and unit is not None:
        num, den = xres.value
        per_m = {2: 100 / 2.54, 3: 100.0}.get(int(unit.value))
        if per_m and num > 0 and den > 0 and num / den > 1:  # 1 px/unit is the "unknown" default
            return 1.0 / (num / den * per_m)
    return None


def read_tiff(path: str | os.PathLike) -> Image:
    """Read the first page of a TIFF as float64 (RGB is averaged to grey)."""
    import tifffile

    p = check_path(path)
    try:
        with tifffile.TiffFile(p) as tif:
            page = tif.pages[0]
            pixels = int(np.prod(page.shape))
            if pixels > MAX_PIXELS:
                raise FormatError(p, f"image of shape {page.shape} is too large (more than {MAX_PIXELS} pixels)")
            # checked before decoding: a few KB of zlib must not become gigabytes
            claimed = pixels * page.dtype.itemsize if page.dtype is not None else pixels
            room = p.stat().st_size * (1 if page.compression == 1 else MAX_EXPANSION)
            if claimed > room:
                raise FormatError(p, f"image of shape {page.shape} needs {claimed} bytes, more than the "
                                     f"{p.stat().st_size}-byte file can hold")
            data = page.asarray()
            pixel = _tiff_pixel_size(tif)
    except FormatError:
        raise
    except Exception as exc:  # tifffile raises many types on corrupt files
        raise FormatError(p, f"cannot read TIFF: {type(exc).__name__}: {exc}") from exc
    data = np.asarray(data, dtype=float)
    if data.ndim == 3 and data.shape[-1] in (3, 4):
        data = data[..., :3].mean(axis=-1)
    if data.ndim != 2:
        raise FormatError(p, f"expected a 2-D image, got shape {data.shape}")
    if pixel is not None and not (np.isfinite(pixel) and pixel > 0):
        raise FormatError(p, f"pixel size in the file is not a positive length: {pixel!r}")
    return Image(os.fspath(p), data, pixel)


def read_csv_map(path: str | os.PathLike) -> Image:
    """Read a numeric 2-D map from CSV/text (comma, semicolon, tab or space separated;
    non-numeric header lines are skipped)."""
    p = check_path(path)
    if p.stat().st_size > 16 * MAX_PIXELS:
        raise FormatError(p, "file too large for a text map")
    rows = []
    for no, line in enumerate(p.read_text(errors="replace").splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        tok = [t for t in re.split(r"[,;\t ]+", s) if t]
        try:
            rows.append([float(t) for t in tok])
        except ValueError:
            if rows:
                raise FormatError(p, f"line {no}: non-numeric value in the map: {s[:60]!r}") from None
    if not rows:
        raise FormatError(p, "no numeric rows")
    if len({len(r) for r in rows}) != 1:
        raise FormatError(p, f"rows have different lengths {sorted({len(r) for r in rows})}")
    return Image(os.fspath(p), np.array(rows, dtype=float), None)


def read_image(path: str | os.PathLike) -> Image:
    """Read a TIFF (``.tif``/``.tiff``) or text map (anything else) by content."""
    p = check_path(path)
    with open(p, "rb") as fh:
        head = fh.read(4)
    if head[:2] in (b"II", b"MM"):
        return read_tiff(p)
    return read_csv_map(p)


def read_edx_map(path: str | os.PathLike) -> Image:
    """An EDX element map in counts per pixel; negative or non-finite counts are an error."""
    img = read_image(path)
    if not np.all(np.isfinite(img.data)) or np.any(img.data < 0):
        raise FormatError(path, "EDX counts must be finite and non-negative")
    return img


def element_from_filename(path: str | os.PathLike) -> str | None:
    """Element symbol named in a file name (``EDX_Fe.csv`` -> ``"Fe"``), or None."""
    tokens = re.split(r"[_\-\s.]+", Path(path).stem)
    for t in reversed(tokens):
        if t in ELEMENTS:
            return t
        cap = t[:1].upper() + t[1:].lower()
        if cap in ELEMENTS and len(t) <= 2:
            return cap
    return None


def write_tiff(data: np.ndarray, path: str | os.PathLike, pixel_size_m: float | None = None) -> None:
    """Write a 2-D image as TIFF, atomically, with its pixel size in the resolution tags
    (centimetre unit) and a JSON ImageDescription."""
    import tifffile

    a = np.asarray(data)
    kwargs = {}
    if pixel_size_m is not None:
        per_cm = 0.01 / pixel_size_m
        kwargs = {"resolution": (per_cm, per_cm), "resolutionunit": "CENTIMETER",
                  "metadata": {"pixel_size_m": float(pixel_size_m)}}
    with atomic_path(path) as tmp:
        tifffile.imwrite(tmp, a, **kwargs)
