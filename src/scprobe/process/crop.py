"""Crop a scan to a pixel rectangle."""
from __future__ import annotations

import xarray as xr

from scprobe.errors import ParameterError
from scprobe.scan import with_history


def crop(scan: xr.Dataset, x0: int, y0: int, x1: int, y1: int) -> xr.Dataset:
    """Keep columns ``x0 <= j < x1`` and rows ``y0 <= i < y1`` of every channel.

    Parameters
    ----------
    scan : xarray.Dataset
        A Scan; not modified.
    x0, y0, x1, y1 : int
        Pixel bounds (end exclusive), row 0 the top row.  Coordinates keep
        their physical positions.

    Returns
    -------
    xarray.Dataset
        New Scan with a ``crop`` history entry.
    """
    ny, nx = scan.sizes["y"], scan.sizes["x"]
    x0, y0, x1, y1 = (int(v) for v in (x0, y0, x1, y1))
    if not (0 <= x0 < x1 <= nx and 0 <= y0 < y1 <= ny):
        raise ParameterError(f"crop {x0},{y0},{x1},{y1} is outside the {nx} x {ny} px scan or empty")
    out = scan.isel(x=slice(x0, x1), y=slice(y0, y1))
    return with_history(out, "crop", {"x0": x0, "y0": y0, "x1": x1, "y1": y1})
