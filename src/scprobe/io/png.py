"""One channel of a Scan as a false-colour PNG (pixel for pixel, no axes).

For a quick look and for ``scprobe export --to png``; publication figures with
axes and scale bars live in :mod:`scprobe.report`.  Colour maps are perceptual
(viridis for topography and other channels, inferno for current); current is on
a log scale by default because conducting and insulating regions differ by
several decades.  Void pixels (NaN) are grey.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr

from scprobe.errors import ParameterError
from scprobe.io.base import atomic_write
from scprobe.scan import channel as select_channel

CMAPS = {"current": "inferno"}
DEFAULT_CMAP = "viridis"
VOID_RGBA = (0.5, 0.5, 0.5, 1.0)


def to_rgba(values: np.ndarray, *, log: bool, cmap: str = DEFAULT_CMAP) -> np.ndarray:
    """Map a 2-D array to ``uint8`` RGBA with a perceptual colour map.

    With ``log``, the colour scale spans the positive values logarithmically
    (from their 1st percentile to their maximum); zero and negative values take
    the lowest colour.  Without it, the scale spans the 1st-99th percentile.
    NaN pixels are grey.
    """
    from matplotlib import colormaps, colors

    a = np.asarray(values, dtype=float)
    if a.ndim != 2:
        raise ParameterError(f"an image needs a 2-D array, got shape {a.shape}")
    finite = a[np.isfinite(a)]
    cm = colormaps[cmap].with_extremes(bad=VOID_RGBA)
    positive = finite[finite > 0]
    if log and positive.size:
        lo, hi = float(np.percentile(positive, 1)), float(positive.max())
        norm = colors.LogNorm(vmin=lo, vmax=hi if hi > lo else lo * 10, clip=True)
        shown = np.where(np.isfinite(a), np.maximum(a, lo), np.nan)
    else:
        lo, hi = (float(np.percentile(finite, 1)), float(np.percentile(finite, 99))) if finite.size else (0.0, 1.0)
        norm = colors.Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1.0, clip=True)
        shown = a
    return cm(norm(np.ma.masked_invalid(shown)), bytes=True)


def write_png(
    scan: xr.Dataset,
    path: str | os.PathLike,
    *,
    channel: str = "current",
    direction: str = "forward",
    log: bool | None = None,
) -> Path:
    """Write one channel and direction of ``scan`` as a PNG, one image pixel per data pixel, atomically.

    Parameters
    ----------
    scan : xarray.Dataset
        A Scan.
    path : path-like
        Destination ``.png``.
    channel, direction : str
        What to draw.
    log : bool, optional
        Log colour scale; default True for ``current``, False otherwise.
    """
    from matplotlib import image

    da = select_channel(scan, channel, direction)
    use_log = (channel == "current") if log is None else bool(log)
    rgba = to_rgba(da.transpose("y", "x").values, log=use_log, cmap=CMAPS.get(channel, DEFAULT_CMAP))
    with atomic_write(path) as fh:
        image.imsave(fh, rgba, format="png")
    return Path(path)
