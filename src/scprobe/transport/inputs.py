"""The one way transport turns its input (a Scan, a current map or a boolean mask) into a superconducting map.

:func:`four_probe` and :func:`percolate` both call :func:`superconducting_map`, so the same input gives
the same superconducting pixels, threshold and pixel pitch in both, and the same pixels as
``scprobe map`` reports (:func:`scprobe.analysis.region_mask`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import xarray as xr

from scprobe.analysis import region_mask
from scprobe.errors import ParameterError
from scprobe.scan import channel, pixel_size


@dataclass(frozen=True)
class MapInput:
    """A map ready for transport.

    Attributes
    ----------
    current : ndarray or None
        Tip current, A (None when the input was a boolean mask).
    mask : ndarray of bool
        Superconducting pixels.
    threshold_A : float
        Current threshold that made the mask, A (NaN for a mask input).
    pixel_size_m : (float, float)
        ``(dy, dx)`` pitch, m; NaN when the input does not say it.
    """

    current: np.ndarray | None
    mask: np.ndarray
    threshold_A: float
    pixel_size_m: tuple[float, float]

    @property
    def pitch_known(self) -> bool:
        return all(math.isfinite(p) for p in self.pixel_size_m)


def _length(value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if not (math.isfinite(v) and v > 0) or isinstance(value, bool):
        raise ParameterError(f"pixel_size_m must be a positive length in m, got {value!r}")
    return v


def superconducting_map(scan_or_map, *, threshold_A: float | None = None,
                        pixel_size_m: float | None = None) -> MapInput:
    """Coerce a transport input into a current map, its superconducting mask and its pixel pitch.

    Parameters
    ----------
    scan_or_map : Scan, DataArray or ndarray
        A Scan (its forward ``current`` channel and its pixel size), a 2-D current map in A, or a
        2-D boolean superconducting mask.
    threshold_A : float, optional
        Superconducting threshold, A; default the conducting mask of
        :func:`scprobe.analysis.region_mask`.
    pixel_size_m : float, optional
        Pixel pitch of an array input, m (a Scan carries its own and refuses this).

    Returns
    -------
    MapInput
    """
    if isinstance(scan_or_map, xr.Dataset):
        if pixel_size_m is not None:
            raise ParameterError("pixel_size_m is for array inputs; a Scan carries its own pixel size")
        data, pitch = np.asarray(channel(scan_or_map, "current").values), pixel_size(scan_or_map)
    else:
        data = np.asarray(scan_or_map.values if isinstance(scan_or_map, xr.DataArray) else scan_or_map)
        if pixel_size_m is None:
            pitch = (math.nan, math.nan)
        else:
            pitch = (_length(pixel_size_m),) * 2
    if data.ndim != 2:
        raise ParameterError(f"a transport map must be 2-D, got shape {data.shape}")
    if data.dtype == bool:
        return MapInput(None, data.copy(), math.nan, pitch)
    if not np.issubdtype(data.dtype, np.number):
        raise ParameterError(f"a transport map must be numbers (A) or booleans, got dtype {data.dtype}")
    current = data.astype(float)
    # region_mask works in pixel units when the pitch is unknown
    rm = region_mask(current, pitch if all(math.isfinite(p) for p in pitch) else (1.0, 1.0), threshold_A)
    rm.require_reference()  # a map without insulating pixels is not "resistive": refuse to classify it
    return MapInput(current, rm.mask, rm.threshold_A, pitch)
