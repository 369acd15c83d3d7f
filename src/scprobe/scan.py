"""The Scan data model: one cAFM scan as an :class:`xarray.Dataset`.

Layout (see docs/design.md, "Data model"):

* dims ``y``, ``x`` and, when both traces exist, ``direction`` (``forward``,
  ``backward``); coords ``x``/``y`` in metres at pixel centres, row 0 the top row
  as Gwyddion displays the file;
* variables ``topography`` (m), ``deflection`` (V), ``current`` (A), each with
  ``attrs["units"]``; void pixels are NaN;
* attrs ``temperature_K``, ``bias_V``, ``pixel_size_m`` (fast axis, x),
  ``pixel_size_y_m``, ``slow_scan``, ``source_files`` (list of {path, sha256}),
  ``history`` (list of {step, params, version}), ``metadata`` (header keys).

Processing never changes a Scan in place: :func:`with_history` returns a new
Dataset with one more history entry.  These helpers are plain functions, so a
Scan stays an ordinary Dataset that xarray, Jupyter and netCDF understand.
"""
from __future__ import annotations

import copy
import hashlib
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from scprobe._version import __version__
from scprobe.errors import ParameterError

#: SI unit of every channel of the model.
UNITS: dict[str, str] = {"topography": "m", "deflection": "V", "current": "A"}
#: Human names used in figures and the report.
LONG_NAMES: dict[str, str] = {
    "topography": "Topography",
    "deflection": "Deflection (intensity)",
    "current": "Tip current",
}
DIRECTIONS = ("forward", "backward")
SLOW_SCAN = ("horizontal", "vertical")


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Return the hex sha256 of a file's bytes (streamed, any size)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def file_record(path: str | os.PathLike) -> dict[str, str]:
    """Provenance record ``{path, sha256}`` of one raw file."""
    return {"path": os.fspath(path), "sha256": sha256_file(path)}


def pixel_coords(n: int, pixel_size_m: float, offset_m: float = 0.0) -> np.ndarray:
    """Pixel-centre coordinates in metres: ``offset + (i + 0.5) * pixel_size``."""
    return offset_m + (np.arange(n, dtype=float) + 0.5) * pixel_size_m


def make_scan(
    channels: Mapping[str, np.ndarray],
    pixel_size_m: float,
    *,
    pixel_size_y_m: float | None = None,
    directions: Sequence[str] | None = None,
    offset_m: tuple[float, float] = (0.0, 0.0),
    temperature_K: float = math.nan,
    bias_V: float = math.nan,
    slow_scan: str = "horizontal",
    source_files: Sequence[Mapping[str, str]] = (),
    metadata: Mapping[str, Any] | None = None,
    history: Sequence[Mapping[str, Any]] = (),
    units: Mapping[str, str] | None = None,
) -> xr.Dataset:
    """Build a Scan from arrays.

    Parameters
    ----------
    channels : mapping of str to ndarray
        Channel name (``topography``, ``deflection``, ``current`` or any other) to
        data in SI units: 2-D ``(y, x)``, or 3-D ``(direction, y, x)`` when
        ``directions`` is given.  Row 0 is the top row.  A lazily indexed array
        (:class:`xarray.core.indexing.ExplicitlyIndexed`, as xarray's backends make) stays lazy.
    pixel_size_m : float
        Pixel pitch along x (fast axis), metres.
    pixel_size_y_m : float, optional
        Pixel pitch along y, metres; defaults to ``pixel_size_m``.
    directions : sequence of str, optional
        Names along the leading axis of 3-D channels, e.g. ``("forward", "backward")``.
    offset_m : (float, float)
        ``(y, x)`` position of the top-left pixel corner, metres.
    temperature_K, bias_V : float
        Sample temperature (K) and tip-sample bias (V); NaN when unknown.
    slow_scan : {"horizontal", "vertical"}
        ``horizontal`` when lines run along x and the slow axis is y.
    source_files, metadata, history
        Provenance, header keys and processing history (copied, never shared).
    units : mapping, optional
        Units of channels that are not in :data:`UNITS`.

    Returns
    -------
    xarray.Dataset
    """
    if not channels:
        raise ParameterError("a scan needs at least one channel")
    dx = float(pixel_size_m)
    dy = float(pixel_size_y_m if pixel_size_y_m is not None else pixel_size_m)
    if not (math.isfinite(dx) and dx > 0 and math.isfinite(dy) and dy > 0):
        raise ParameterError(f"pixel size must be positive and finite, got {dx!r} x {dy!r} m")
    if slow_scan not in SLOW_SCAN:
        raise ParameterError(f"slow_scan must be one of {SLOW_SCAN}, got {slow_scan!r}")
    units = {**UNITS, **(units or {})}
    shape = None
    data_vars = {}
    from xarray.core import indexing

    for name, arr in channels.items():
        a = arr if isinstance(arr, indexing.ExplicitlyIndexed) else np.asarray(arr, dtype=float)
        dims = ("direction", "y", "x") if directions is not None else ("y", "x")
        if a.ndim != len(dims):
            raise ParameterError(f"channel {name!r} has {a.ndim} dims, expected {dims}")
        if shape is None:
            shape = a.shape
        elif a.shape != shape:
            raise ParameterError(f"channel {name!r} has shape {a.shape}, others {shape}")
        data_vars[name] = xr.Variable(
            dims, a, attrs={"units": units.get(name, ""), "long_name": LONG_NAMES.get(name, name)}
        )
    ny, nx = shape[-2:]
    coords = {
        "y": ("y", pixel_coords(ny, dy, offset_m[0]), {"units": "m"}),
        "x": ("x", pixel_coords(nx, dx, offset_m[1]), {"units": "m"}),
    }
    if directions is not None:
        if len(directions) != shape[0]:
            raise ParameterError(f"{len(directions)} directions for {shape[0]} traces")
        coords["direction"] = ("direction", list(directions))
    attrs = {
        "temperature_K": float(temperature_K),
        "bias_V": float(bias_V),
        "pixel_size_m": dx,
        "pixel_size_y_m": dy,
        "slow_scan": slow_scan,
        "source_files": [dict(r) for r in source_files],
        "history": [copy.deepcopy(dict(h)) for h in history],
        "metadata": copy.deepcopy(dict(metadata or {})),
    }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def with_history(scan: xr.Dataset, step: str, params: Mapping[str, Any] | None = None) -> xr.Dataset:
    """Return a copy of ``scan`` whose ``history`` has one more entry.

    The data variables are shared (xarray copies are shallow by default); callers
    that change data build new arrays, so the input Scan is never modified.
    """
    out = scan.copy(deep=False)
    out.attrs = copy.deepcopy(dict(scan.attrs))
    out.attrs.setdefault("history", [])
    out.attrs["history"].append({"step": step, "params": dict(params or {}), "version": __version__})
    return out


def channel(scan: xr.Dataset, name: str = "current", direction: str = "forward") -> xr.DataArray:
    """One 2-D ``(y, x)`` channel of a scan, in SI units.

    Raises :class:`~scprobe.errors.ParameterError` naming the channels that do exist.
    """
    if name not in scan.data_vars:
        raise ParameterError(f"no channel {name!r}; this scan has {sorted(scan.data_vars)}")
    da = scan[name]
    if "direction" in da.dims:
        if direction not in list(da["direction"].values):
            raise ParameterError(
                f"no {direction!r} trace; this scan has {list(da['direction'].values)}"
            )
        da = da.sel(direction=direction, drop=True)
    return da


def directions(scan: xr.Dataset) -> list[str]:
    """Trace directions present in the scan (``["forward"]`` when there is no direction dim)."""
    if "direction" in scan.dims:
        return [str(d) for d in scan["direction"].values]
    return ["forward"]


def pixel_size(scan: xr.Dataset) -> tuple[float, float]:
    """``(dy, dx)`` pixel pitch in metres."""
    dx = float(scan.attrs["pixel_size_m"])
    return float(scan.attrs.get("pixel_size_y_m", dx)), dx

