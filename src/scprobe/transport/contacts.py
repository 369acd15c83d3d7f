"""Contact layouts on a map: van der Pauw corners, a linear four-probe row, a bar, or explicit pixels.

A contact is a set of pixels tied by an ideal wire (one network node).  A point contact of radius
``r`` pixels covers the pixels whose centres lie within ``r`` of its centre (radius 0: one pixel).
On a 3-D grid ``(nz, ny, nx)`` contacts sit on the top surface ``z = 0``, except the current faces
of a bar, which cover the whole end faces.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scprobe.errors import ParameterError

LAYOUTS = ("vdp", "linear", "bar")
#: Order of the contacts of a four-probe measurement.
ROLES = ("I+", "I-", "V+", "V-")


@dataclass(frozen=True)
class Contacts:
    """Four contacts and the measurements made with them.

    Attributes
    ----------
    layout : str
        ``vdp``, ``linear``, ``bar`` or ``explicit``.
    names : tuple of str
        Contact names (``1``..``4`` for van der Pauw, else ``I+ I- V+ V-``).
    centres : tuple of tuple of int
        ``(y, x)`` pixel of each contact (its centre; the middle of a face for bar current contacts).
    pixels : tuple of ndarray
        Flat pixel indices covered by each contact.
    configurations : tuple of tuple of int
        Each measurement as indices into the contacts, ``(I+, I-, V+, V-)``; the first is the
        reported four-probe resistance.  Van der Pauw: ``R_A = V43 / I12`` then ``R_B = V14 / I23``.
    """

    layout: str
    names: tuple
    centres: tuple
    pixels: tuple
    configurations: tuple

    def describe(self) -> str:
        return "; ".join(f"{n}=({c[1]},{c[0]})" for n, c in zip(self.names, self.centres))


def _disk(shape: tuple, centre: tuple[int, int], radius_px: float) -> np.ndarray:
    """Flat indices of the surface pixels within ``radius_px`` of ``centre`` (y, x)."""
    ny, nx = shape[-2:]
    r = int(math.floor(radius_px))
    cy, cx = centre
    ys, xs = np.mgrid[max(cy - r, 0):min(cy + r, ny - 1) + 1, max(cx - r, 0):min(cx + r, nx - 1) + 1]
    inside = (ys - cy) ** 2 + (xs - cx) ** 2 <= radius_px ** 2
    ys, xs = ys[inside], xs[inside]
    lead = (0,) * (len(shape) - 2)
    return np.ravel_multi_index((*[np.full(ys.size, z) for z in lead], ys, xs), shape).astype(np.int64)


def _face(shape: tuple, column: int) -> np.ndarray:
    """Flat indices of the whole end face ``x = column`` (every row, every layer)."""
    grid = np.arange(math.prod(shape)).reshape(shape)
    return np.ascontiguousarray(grid[..., column]).ravel().astype(np.int64)


def parse_positions(text: str) -> list[tuple[int, int]]:
    """Parse ``"X,Y;X,Y;X,Y;X,Y"`` (pixel columns and rows) into four ``(x, y)`` pairs."""
    parts = [p for p in re.split(r"\s*;\s*", text.strip()) if p]
    pairs = []
    for p in parts:
        m = re.fullmatch(r"\s*(\d+)\s*,\s*(\d+)\s*", p)
        if not m:
            raise ParameterError(f"contacts: {p!r} is not a pixel position X,Y (non-negative integers)")
        pairs.append((int(m.group(1)), int(m.group(2))))
    if len(pairs) != 4:
        raise ParameterError(f"contacts: need four positions X,Y;X,Y;X,Y;X,Y (I+, I-, V+, V-), got {len(pairs)}")
    if len(set(pairs)) != 4:
        raise ParameterError("contacts: the four contacts must be at different pixels")
    return pairs


def make_contacts(spec: str | Sequence[tuple[int, int]], shape: tuple, *, contact_radius_px: float = 0) -> Contacts:
    """Contacts of a layout on a grid.

    Parameters
    ----------
    spec : str or sequence of (x, y)
        ``vdp`` (corners 1 = (0, 0) top-left, 2 top-right, 3 bottom-right, 4 bottom-left),
        ``linear`` (row ``ny // 2``, columns ``floor(k nx / 8)``, k = 1, 7 current, 3, 5 voltage),
        ``bar`` (current through the whole left and right edges, voltage probes on the top edge at
        columns ``floor(nx / 4)`` and ``floor(3 nx / 4)``; in 3-D on row ``ny // 2`` of the top surface), or four explicit ``(x, y)`` pixels
        ``I+, I-, V+, V-`` (the text form ``"X,Y;X,Y;X,Y;X,Y"`` is parsed by :func:`parse_positions`).
    shape : tuple of int
        Grid shape ``(ny, nx)`` or ``(nz, ny, nx)``.
    contact_radius_px : float
        Radius of point contacts, pixels (0: one pixel).

    Returns
    -------
    Contacts
    """
    if len(shape) not in (2, 3):
        raise ParameterError(f"contacts need a 2-D or 3-D grid, got shape {shape}")
    ny, nx = shape[-2:]
    if ny < 2 or nx < 8:
        raise ParameterError(f"map of {ny} x {nx} pixels is too small for four contacts")
    if not (math.isfinite(contact_radius_px) and 0 <= contact_radius_px <= min(ny, nx) / 4):
        raise ParameterError(f"contact radius must be between 0 and {min(ny, nx) / 4:g} px, got {contact_radius_px!r}")
    names = ROLES
    configs = ((0, 1, 2, 3),)
    if isinstance(spec, str) and spec.strip().lower() not in LAYOUTS:
        raise ParameterError(f"contacts: unknown layout {spec!r}; use {', '.join(LAYOUTS)} or four (x, y) pixels")
    if isinstance(spec, str):
        layout = spec.strip().lower()
        if layout == "vdp":
            centres = ((0, 0), (0, nx - 1), (ny - 1, nx - 1), (ny - 1, 0))
            names = ("1", "2", "3", "4")
            configs = ((0, 1, 3, 2), (1, 2, 0, 3))
        elif layout == "linear":
            row = ny // 2
            centres = tuple((row, (k * nx) // 8) for k in (1, 7, 3, 5))
        else:
            # 2-D: probes on the bar's top edge; 3-D: along the middle of the top surface
            row = ny // 2 if len(shape) == 3 else 0
            centres = ((ny // 2, 0), (ny // 2, nx - 1), (row, nx // 4), (row, (3 * nx) // 4))
    else:
        layout = "explicit"
        pairs = [tuple(map(int, p)) for p in spec]
        if len(pairs) != 4:
            raise ParameterError(f"contacts: need four positions (I+, I-, V+, V-), got {len(pairs)}")
        for x, y in pairs:
            if not (0 <= x < nx and 0 <= y < ny):
                raise ParameterError(f"contact ({x},{y}) lies outside the {nx} x {ny} pixel map")
        centres = tuple((y, x) for x, y in pairs)
    if len(set(centres)) != 4:
        raise ParameterError("contacts: the four contacts must be at different pixels")
    pixels = [_disk(shape, c, contact_radius_px) for c in centres]
    if layout == "bar":
        pixels[0], pixels[1] = _face(shape, 0), _face(shape, nx - 1)
    return Contacts(layout, names, centres, tuple(pixels), configs)
