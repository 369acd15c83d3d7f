"""scprobe's own NetCDF files (``.nc``, HDF5 via h5netcdf): a Scan, losslessly.

NetCDF attributes hold numbers, strings and 1-D numeric arrays only, so every
attribute that is a dict, a list, a bool or None (``history``, ``metadata``,
``source_files``, ``scan_position_m`` ...) is stored as JSON text and its name
listed in the ``scprobe_json_attrs`` attribute; :func:`read_scan` decodes exactly
those, so ``read_scan(write_scan(scan))`` gives back equal attrs, not look-alikes.
"""
from __future__ import annotations

import errno
import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from scprobe.errors import FormatError
from scprobe.io.base import Channel, atomic_path, check_path, split_title

_JSON_KEY = "scprobe_json_attrs"
_FORMAT_KEY = "scprobe_format"
_FORMAT = "scprobe-scan-1"
#: Largest believable ratio of in-memory size to file size (compression included).
_MAX_EXPANSION = 1000
#: Room for HDF5 metadata and attributes beyond the variables' bytes.
_WRITE_MARGIN_BYTES = 1 << 20


def _encode(attrs: dict) -> dict:
    out, encoded = {}, []
    for k, v in attrs.items():
        if isinstance(v, (dict, list, tuple, bool)) or v is None:
            out[k] = json.dumps(v, allow_nan=True)
            encoded.append(k)
        elif isinstance(v, (np.generic,)):
            out[k] = v.item()
        else:
            out[k] = v
    if encoded:
        out[_JSON_KEY] = json.dumps(encoded)
    return out


def _decode(path, attrs: dict) -> dict:
    attrs = dict(attrs)
    try:
        names = json.loads(attrs.pop(_JSON_KEY, "[]"))
        if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
            raise TypeError("not a list of names")
    except (TypeError, json.JSONDecodeError) as exc:
        raise FormatError(path, f"attribute {_JSON_KEY!r} is not a JSON list of names ({exc})") from None
    for k, v in attrs.items():
        if isinstance(v, np.generic):
            attrs[k] = v.item()
    for k in names:
        try:
            attrs[k] = json.loads(attrs[k])
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise FormatError(path, f"attribute {k!r} is not valid JSON ({exc})") from None
    return attrs


def _check_free_space(scan: xr.Dataset, path: Path) -> None:
    """Refuse a write the disk cannot hold: h5py can crash the process (not raise) when the disk fills."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    need = sum(v.nbytes for v in scan.variables.values()) + _WRITE_MARGIN_BYTES
    free = shutil.disk_usage(folder).free
    if free < need:
        raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)}: writing needs about {need // 1024} KiB, "
                                    f"{free // 1024} KiB free", str(path))


def write_scan(scan: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write a Scan to ``path`` as NetCDF-4 (atomically); every attr survives a round trip.

    Raises ``OSError(ENOSPC)`` before writing when the disk has less free space than the data need.
    """
    _check_free_space(scan, Path(path))
    out = scan.copy(deep=False)
    out.attrs = _encode(dict(scan.attrs))
    out.attrs[_FORMAT_KEY] = _FORMAT
    for name in list(out.variables):
        out[name].attrs = _encode(dict(scan[name].attrs))
    with atomic_path(path) as tmp:
        out.to_netcdf(tmp, engine="h5netcdf")
    return Path(path)


def read_scan(path: str | os.PathLike) -> xr.Dataset:
    """Read a Scan written by :func:`write_scan` (or any NetCDF image with ``y``/``x`` dims)."""
    p = check_path(path)
    _check_storage(p)
    try:
        with xr.open_dataset(p, engine="h5netcdf") as ds:
            claimed = sum(v.dtype.itemsize * math.prod(v.shape) for v in ds.variables.values())
            if claimed > _MAX_EXPANSION * p.stat().st_size:
                raise FormatError(p, f"variables claim {claimed} bytes, far more than the file's "
                                     f"{p.stat().st_size}: corrupt")
            ds = ds.load()
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise FormatError(p, f"cannot read NetCDF file: {type(exc).__name__}: {exc}") from exc
    if not ({"y", "x"} <= set(ds.dims)):
        raise FormatError(p, f"NetCDF file has dims {sorted(ds.dims)}, a scan needs 'y' and 'x'")
    ds.attrs = _decode(p, ds.attrs)
    ds.attrs.pop(_FORMAT_KEY, None)
    for name in list(ds.variables):
        ds[name].attrs = _decode(p, ds[name].attrs)
    if "pixel_size_m" not in ds.attrs and ds.sizes["x"] > 1:
        ds.attrs["pixel_size_m"] = float(ds["x"][1] - ds["x"][0])
    if "direction" in ds.coords:
        ds = ds.assign_coords(direction=[str(d) for d in ds["direction"].values])
    return ds


#: A variable may claim this much memory whatever its storage (small fill-value-only variables are fine).
_SMALL_BYTES = 64 * 2**20


def _check_storage(p: Path) -> None:
    """Refuse variables whose size in memory is far beyond the bytes the file stores for them.

    A chunked HDF5 dataset that was never written stores nothing and reads as its fill
    value: a file of a few KB could make the reader allocate gigabytes.  Compression
    (zlib at most ~1000:1) is allowed for by :data:`_MAX_EXPANSION`.
    """
    import h5py

    def visit(name, obj):
        if not isinstance(obj, h5py.Dataset):
            return
        claimed = obj.dtype.itemsize * math.prod(obj.shape)
        stored = obj.id.get_storage_size()
        if claimed > _SMALL_BYTES and claimed > _MAX_EXPANSION * stored:
            raise FormatError(p, f"variable {name!r} claims {claimed} bytes but the file stores {stored} for it: "
                                 "corrupt or a decompression bomb")

    try:
        with h5py.File(p, "r") as f:
            f.visititems(visit)
    except FormatError:
        raise
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise FormatError(p, f"cannot read NetCDF file: {type(exc).__name__}: {exc}") from exc


def _size(ds: xr.Dataset, dim: str, step: float) -> tuple[float, float]:
    c = ds[dim].values.astype(float) if dim in ds.coords else (np.arange(ds.sizes[dim]) + 0.5) * step
    return step * c.size, float(c[0]) - step / 2


def read(path: str | os.PathLike) -> list[Channel]:
    """Every 2-D channel (and direction) of a scprobe NetCDF file as :class:`Channel` objects."""
    p = Path(path)
    ds = read_scan(p)
    dx = float(ds.attrs.get("pixel_size_m", 1.0))
    dy = float(ds.attrs.get("pixel_size_y_m", dx))
    if not all(math.isfinite(v) and v > 0 for v in (dx, dy)):
        raise FormatError(p, f"pixel size {dx!r} x {dy!r} m is not positive")
    yreal, yoff = _size(ds, "y", dy)
    xreal, xoff = _size(ds, "x", dx)
    meta: dict[str, Any] = {str(k): v for k, v in ds.attrs.get("metadata", {}).items()} \
        if isinstance(ds.attrs.get("metadata"), dict) else {}
    for key in ("temperature_K", "bias_V"):
        v = ds.attrs.get(key)
        if isinstance(v, (int, float)) and math.isfinite(v):
            meta[key] = float(v)
    out = []
    for name, da in ds.data_vars.items():
        if set(da.dims) - {"direction"} != {"y", "x"}:
            continue
        dirs = [str(d) for d in da["direction"].values] if "direction" in da.dims else [None]
        for d in dirs:
            arr = (da.sel(direction=d) if d else da).transpose("y", "x").values.astype(float)
            base, _ = split_title(str(name))
            out.append(Channel(name=base, data=arr, unit=str(da.attrs.get("units", "")),
                               size_m=(yreal, xreal), offset_m=(yoff, xoff), metadata=dict(meta),
                               quantity=base if base in ("topography", "deflection", "current") else None,
                               direction=d))
    if not out:
        raise FormatError(p, "NetCDF file holds no 2-D (y, x) variables")
    return out
