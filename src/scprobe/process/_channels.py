"""Apply an array function to the traces of one channel and record it in the history."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import xarray as xr

from scprobe.errors import ParameterError
from scprobe.scan import with_history


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
