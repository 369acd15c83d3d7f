"""Apply an array function to the traces of one channel and record it in the history; shared array helpers."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import xarray as xr

from scprobe.errors import ParameterError
from scprobe.scan import with_history

_SUBTRACT_BLOCK_ROWS = 16  # the block's plane (16 rows x 4096 px = 512 KiB) stays in cache


def map_channel(scan: xr.Dataset, channel: str, func: Callable[[np.ndarray], np.ndarray],
                step: str, params: Mapping[str, Any]) -> xr.Dataset:
    """Return a new Scan whose ``channel`` is ``func`` applied to each 2-D trace.

    The input Scan and its arrays are left untouched; ``func`` must return a new array.
    """
    if channel not in scan.data_vars:
        raise ParameterError(f"no channel {channel!r} to process; this scan has {sorted(scan.data_vars)}")
    da = scan[channel]
    data = np.asarray(da.values, dtype=float)
    if data.ndim == 2:
        new = func(data)
    else:
        new = np.stack([func(trace) for trace in data])
    out = with_history(scan, step, {"channel": channel, **params})
    out[channel] = xr.Variable(da.dims, new, attrs=dict(da.attrs))
    return out


def as_field(z: np.ndarray, name: str = "data") -> np.ndarray:
    """Validate a 2-D float array (a view, never modified)."""
    a = np.asarray(z, dtype=float)
    if a.ndim != 2:
        raise ParameterError(f"{name} must be a 2-D array, got {a.ndim} dims")
    return a


def subtract_outer(z: np.ndarray, row_term: np.ndarray, col_term: np.ndarray | None = None) -> np.ndarray:
    """New array ``z - (row_term[:, None] + col_term[None, :])`` (``z - row_term[:, None]`` without ``col_term``).

    One pass over ``z`` into the new array, row block by row block, so the background is never
    materialised at full size; the arithmetic is exactly that of the broadcast expression.
    """
    out = np.empty_like(z)
    if col_term is None:
        return np.subtract(z, row_term[:, None], out=out)
    background = np.empty((min(_SUBTRACT_BLOCK_ROWS, z.shape[0]), z.shape[1]))
    for i0 in range(0, z.shape[0], _SUBTRACT_BLOCK_ROWS):
        i1 = min(i0 + _SUBTRACT_BLOCK_ROWS, z.shape[0])
        b = background[:i1 - i0]
        np.add(row_term[i0:i1, None], col_term, out=b)
        np.subtract(z[i0:i1], b, out=out[i0:i1])
    return out
