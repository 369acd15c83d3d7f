"""Processing pipelines written as text: ``"scars,rows:median,plane,poly:3,crop:0,0,256,256"``.

Steps (applied in the order given; all are off unless asked for, as in the
published analysis):

========================  ==========================================================
``scars``                 horizontal scar removal (:func:`~scprobe.process.remove_scars`)
``rows:median``           row alignment by median (also ``rows`` alone)
``rows:mediandiff``       row alignment by median of differences
``rows:polyN``            row alignment by a degree-N polynomial per row
``plane``                 full least-squares plane subtraction
``poly:N``                polynomial background of degree N (independent degrees)
``crop:x0,y0,x1,y1``      crop in pixels, end exclusive
========================  ==========================================================

Levelling (``rows``, ``plane``, ``poly``) changes only the topography by
default: levelling a current map would destroy its zero-current reference.
``scars`` and ``crop`` act on every channel.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import xarray as xr

from scprobe.errors import ParameterError
from scprobe.process.crop import crop
from scprobe.process.levelling import MAX_DEGREE, level_plane, level_poly
from scprobe.process.rows import align_rows
from scprobe.process.scars import remove_scars

logger = logging.getLogger(__name__)

LEVELLING_CHANNELS = ("topography",)
#: Every step name (as parsed and as recorded in a scan's history) with the words a methods text uses.
STEPS = {"scars": "horizontal scar removal", "rows": "row alignment", "plane": "plane levelling",
         "poly": "polynomial background subtraction", "crop": "cropping"}


def parse_steps(steps: str | Sequence[str | tuple[str, tuple]]) -> list[tuple[str, tuple]]:
    """Parse a step string or list into ``[(name, args), ...]``; raises ParameterError naming a bad step.

    Items that are already parsed ``(name, args)`` pairs pass through unchanged.
    """
    if not isinstance(steps, str) and all(isinstance(s, tuple) for s in steps):
        bad = [s for s in steps if len(s) != 2 or s[0] not in STEPS]
        if bad:
            raise ParameterError(f"unknown processing step {bad[0]!r}; use one of {', '.join(STEPS)}")
        return list(steps)
    items = [s.strip() for s in (steps.split(",") if isinstance(steps, str) else steps)]
    # crop's coordinates contain commas: re-join the three numbers that follow "crop:x0"
    merged: list[str] = []
    i = 0
    while i < len(items):
        item = items[i]
        if item.startswith("crop:") and "," not in item and isinstance(steps, str):
            item = ",".join(items[i:i + 4])
            i += 4
        else:
            i += 1
        if item:
            merged.append(item)
    return [_parse_one(s) for s in merged]


def _parse_one(step: str) -> tuple[str, tuple]:
    name, _, arg = step.partition(":")
    name = name.strip().lower()
    arg = arg.strip().lower()
    if name == "scars" and not arg:
        return "scars", ()
    if name == "plane" and not arg:
        return "plane", ()
    if name == "rows":
        if arg in ("", "median"):
            return "rows", ("median", 1)
        if arg == "mediandiff":
            return "rows", ("mediandiff", 1)
        m = re.fullmatch(r"poly(\d+)", arg)
        if m:
            return "rows", ("poly", int(m.group(1)))
    if name == "poly" and re.fullmatch(r"\d+", arg or "x"):
        if int(arg) > MAX_DEGREE:
            raise ParameterError(f"processing step {step!r}: polynomial degree must be 0..{MAX_DEGREE}")
        return "poly", (int(arg),)
    if name == "crop":
        parts = arg.split(",")
        if len(parts) == 4 and all(re.fullmatch(r"\d+", p.strip()) for p in parts):
            return "crop", tuple(int(p) for p in parts)
    raise ParameterError(
        f"unknown processing step {step!r}; use scars, rows:median|mediandiff|polyN, plane, poly:N, crop:x0,y0,x1,y1"
    )


def apply_steps(scan: xr.Dataset, steps: str | Sequence[str], *,
                channels: Sequence[str] | None = None) -> xr.Dataset:
    """Apply processing steps in order; each adds one history entry per channel it changes.

    Parameters
    ----------
    scan : xarray.Dataset
        A Scan; not modified.
    steps : str, list of str or list of (name, args)
        e.g. ``"scars,rows:median,plane"`` (see module docstring), or what :func:`parse_steps` returns.
    channels : sequence of str, optional
        Channels that ``scars``/``rows``/``plane``/``poly`` act on.  Default: scars on
        every channel, levelling on the topography only.

    Returns
    -------
    xarray.Dataset
        The processed Scan.

    Examples
    --------
    A tilted topography (m) is flat after plane levelling; the input is unchanged:

    >>> import numpy as np
    >>> from scprobe.scan import make_scan
    >>> y, x = np.mgrid[0:32, 0:48]
    >>> tilted = make_scan({"topography": 1e-9 * x + 2e-9 * y}, pixel_size_m=15e-9)
    >>> flat = apply_steps(tilted, "plane")
    >>> bool(abs(flat["topography"]).max() < 1e-18), [h["step"] for h in flat.attrs["history"]]
    (True, ['plane'])
    >>> tilted.attrs["history"]
    []
    """
    logger.info("apply_steps %s", steps)
    out = scan
    for name, args in parse_steps(steps):
        if name == "crop":
            out = crop(out, *args)
            continue
        default = list(out.data_vars) if name == "scars" else [c for c in LEVELLING_CHANNELS if c in out]
        targets = list(channels) if channels is not None else default
        if not targets:
            # levelling a current map would destroy its zero reference, so it is never the silent fallback
            raise ParameterError(f"processing step {name!r} levels the topography, and this scan has none")
        for ch in targets:
            if name == "scars":
                out = remove_scars(out, ch)
            elif name == "rows":
                out = align_rows(out, ch, args[0], degree=args[1])
            elif name == "plane":
                out = level_plane(out, ch)
            else:
                out = level_poly(out, ch, args[0])
    return out
