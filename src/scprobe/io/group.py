"""Group per-channel, per-direction files into one Scan (``open_scan``).

attocube Daisy writes one file per channel and direction; a user passes any one
of them (or all, or a folder) and gets one Scan with ``topography``,
``deflection`` and ``current`` and a ``direction`` dim when both traces exist.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from xarray.core import indexing  # xarray's lazy indexing, as its backends use it

from scprobe.errors import FormatError
from scprobe.io.base import Channel, check_scan, real_path
from scprobe.io.naming import base_name, quantity_from_name, split_filename
from scprobe.io.registry import detect, image_extensions, read_channels
from scprobe.scan import file_record, make_scan

logger = logging.getLogger(__name__)

#: Relative tolerance on pixel sizes of files grouped into one scan.
PIXEL_TOLERANCE = 1e-6


def find_siblings(path: str | os.PathLike) -> list[Path]:
    """Files in the same folder that belong to the same Daisy scan as ``path``.

    Siblings share the base name and extension and differ in channel or direction
    (``scan-topo-fwd.bcrf``, ``scan-current-bwd.bcrf`` ...).  A name that does not
    follow the convention has no siblings.
    """
    p = Path(path)
    parts = split_filename(p)
    if parts is None:
        return [p]
    base = parts[0]
    out = []
    for q in sorted(p.parent.iterdir()):
        if q.is_file() and q.suffix.lower() == p.suffix.lower():
            qp = split_filename(q)
            if qp is not None and qp[0] == base:
                out.append(q)
    return out or [p]


def scan_files(paths: str | os.PathLike | Sequence[str | os.PathLike], siblings: bool = True) -> list[Path]:
    """The files :func:`open_scan` reads for ``paths``: folders expanded, siblings of a single file added.

    Each file appears once (paths that resolve to the same file, through ``..`` or a
    symlink, count once).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files = [q for q in sorted(p.iterdir()) if q.is_file() and q.suffix.lower() in image_extensions()]
            if not files:
                raise FormatError(p, "folder holds no scan files")
            out.extend(files)
        elif siblings and len(paths) == 1:
            out.extend(find_siblings(p))
        else:
            out.append(p)
    seen, unique = set(), []
    for p in out:
        if real_path(p) not in seen:
            seen.add(real_path(p))
            unique.append(p)
    return unique


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-zA-Z_]+", "_", name).strip("_").lower() or "channel"


def _assign(ch: Channel, path: Path, mapping: Mapping[str, str] | None) -> tuple[str, str]:
    parts = split_filename(path)
    file_channel = parts[1] if parts else None
    direction = ch.direction or (parts[2] if parts else None) or "forward"
    if mapping:
        for name in (ch.name, file_channel):
            if name is not None and name in mapping:
                return mapping[name], direction
    quantity = (quantity_from_name(file_channel) if file_channel else None) or ch.quantity
    quantity = quantity or quantity_from_name(ch.name)
    return quantity or _key(base_name(ch.name)), direction


class _DecodedTraces(xr.backends.BackendArray):
    """One channel's traces decoded on access: ``(direction, y, x)`` over per-direction parts, or ``(y, x)``.

    A part is a channel's data (an ndarray, or an array-like that decodes what is indexed),
    or None for a trace the files do not hold (NaN, as an eagerly opened scan has it).
    """

    def __init__(self, parts: list, shape: tuple[int, ...]):
        self.parts, self.shape, self.dtype = parts, shape, np.dtype(np.float64)

    def __getitem__(self, key):
        return indexing.explicit_indexing_adapter(key, self.shape, indexing.IndexingSupport.BASIC, self._get)

    def _trace(self, i: int, key: tuple) -> np.ndarray:
        part = self.parts[i]
        if part is None:
            return np.full(np.broadcast_to(np.nan, self.shape[-2:])[key].shape, np.nan)
        return np.asarray(part[key], dtype=np.float64)

    def _get(self, key: tuple) -> np.ndarray:
        if len(self.shape) == 2:
            return self._trace(0, key)
        picks = range(len(self.parts))[key[0]]
        if isinstance(picks, int):
            return self._trace(picks, key[1:])
        traces = [self._trace(i, key[1:]) for i in picks]
        return np.stack(traces) if traces else np.empty((0,) + self._trace(0, key[1:]).shape)


def _quantity_by_name(path: Path, mapping: Mapping[str, str] | None) -> str | None:
    """The channel a Daisy file name announces (``scan-current-fwd.bcrf`` -> ``current``), before reading it."""
    parts = split_filename(path)
    if parts is None:
        return None
    if mapping and parts[1] in mapping:
        return mapping[parts[1]]
    return quantity_from_name(parts[1])


def open_scan(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    mapping: Mapping[str, str] | None = None,
    siblings: bool = True,
    temperature_K: float | None = None,
    bias_V: float | None = None,
    decode: Collection[str] | None = None,
) -> xr.Dataset:
    """Open one scan from one or more files.

    Parameters
    ----------
    paths : path or sequence of paths
        Any one file of a scan (its Daisy siblings in the same folder are picked up),
        several files, a folder, a ``.gwy`` or a scprobe ``.nc``.
    mapping : mapping, optional
        File channel name -> model channel (``{"ch3": "current"}``), overriding aliases.
    siblings : bool
        Pick up sibling files of a single path (default True).
    temperature_K, bias_V : float, optional
        Override what the headers say (K, V).
    decode : collection of str, optional
        The channels to decode to float64 now (default: all).  The others keep the file's raw
        samples (float32 or int16: half the memory or less) and decode them when asked for, a
        slice only its pixels, to the same values (xarray's lazy indexing, as for its own
        backends): a command that analyses the current and only samples the other channels
        passes ``("current",)``.  Their provenance sha256 is taken now, from the bytes kept.
        Formats other than BCR/BCRF are always decoded now.

    Returns
    -------
    xarray.Dataset
        A Scan (see :mod:`scprobe.scan`).

    Raises
    ------
    FormatError
        Unreadable files, or files whose shapes or pixel sizes disagree.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from scprobe.simulate import simulate_study
    >>> tmp = tempfile.TemporaryDirectory()
    >>> study = simulate_study(tmp.name, seed=0, size=128)   # a small synthetic study with its truth
    >>> truth = json.loads((study.parent / "truth.json").read_text())
    >>> scan = open_scan(study.parent / "scans/A01_1p5K-current-fwd.bcrf")   # siblings come along
    >>> sorted(scan.data_vars), dict(scan.sizes)
    (['current', 'deflection', 'topography'], {'direction': 2, 'y': 128, 'x': 128})
    >>> scan["current"].attrs["units"], scan.attrs["temperature_K"]
    ('A', 1.5)
    """
    logger.info("open_scan %s", paths)
    files = scan_files(paths, siblings)
    if len(files) == 1 and detect(files[0]).name == "netcdf":
        from scprobe.io.nc import read_scan

        scan = read_scan(files[0])
        a = scan.attrs
        check_scan(files[0], pixel_size_m=(a.get("pixel_size_y_m", a.get("pixel_size_m")), a.get("pixel_size_m")),
                   temperature_K=a.get("temperature_K"), bias_V=a.get("bias_V"))
        return _override(scan, temperature_K, bias_V)
    entries: dict[tuple[str, str], tuple[Channel, Path]] = {}
    for f in files:
        lazy = decode is not None and _quantity_by_name(f, mapping) not in (None, *decode)
        for ch in read_channels(f, lazy=lazy):
            key = _assign(ch, f, mapping)
            if decode is not None and key[0] in decode and not isinstance(ch.data, np.ndarray):
                ch = dataclasses.replace(ch, data=np.asarray(ch.data))  # the name did not tell: decoded after all
            if key in entries:
                # Two files claim the same channel and direction: keep the first, name the second.
                other = entries[key][1]
                if other != f:
                    raise FormatError(f, f"channel {key[0]} ({key[1]}) is also in {other}; pass files explicitly")
                key = (f"{key[0]}_{len(entries)}", key[1])
            entries[key] = (ch, f)
    if not entries:
        raise FormatError(files[0], "no image channels found")
    first_ch, first_path = next(iter(entries.values()))
    shape = first_ch.shape
    dy, dx = first_ch.pixel_size_m
    for ch, f in entries.values():
        if ch.shape != shape:
            raise FormatError(f, f"shape {ch.shape} differs from {first_path.name} {shape}")
        cdy, cdx = ch.pixel_size_m
        if not (math.isclose(cdx, dx, rel_tol=PIXEL_TOLERANCE) and math.isclose(cdy, dy, rel_tol=PIXEL_TOLERANCE)):
            raise FormatError(f, f"pixel size {cdx:.4g} x {cdy:.4g} m differs from {first_path.name} {dx:.4g} x {dy:.4g} m")
    dirs = sorted({d for (_, d) in entries}, key=lambda d: ("forward", "backward").index(d)
                  if d in ("forward", "backward") else 2)
    names = list(dict.fromkeys(q for (q, _) in entries))
    channels, units = {}, {}
    for q in names:
        traces = [entries.get((q, d), (None, None))[0] for d in dirs]
        for ch in traces:
            if ch is not None:
                units[q] = ch.unit
        if all(ch is None or isinstance(ch.data, np.ndarray) for ch in traces):
            stack = [ch.data if ch is not None else np.full(shape, np.nan) for ch in traces]
            channels[q] = np.stack(stack) if len(dirs) > 1 else stack[0]
        else:
            channels[q] = indexing.LazilyIndexedArray(_DecodedTraces(
                [ch.data if ch is not None else None for ch in traces], ((len(dirs),) if len(dirs) > 1 else ()) + shape))
    current = entries.get(("current", "forward"), (first_ch, first_path))[0]
    md = dict(current.metadata)
    temp = temperature_K if temperature_K is not None else _first(entries, "temperature_K")
    bias = bias_V if bias_V is not None else _first(entries, "bias_V")
    check_scan(first_path, pixel_size_m=(dy, dx), temperature_K=temp, bias_V=bias)
    slow = str(md.get("slow_scan", "horizontal")).lower()
    # a reader that hashed the bytes it decoded (Channel.sha256) saves reading the file again
    hashed = {f: ch.sha256 for ch, f in entries.values() if ch.sha256}
    source = [{"path": os.fspath(f), "sha256": hashed[f]} if f in hashed else file_record(f)
              for f in dict.fromkeys(f for (_, f) in entries.values())]
    scan = make_scan(
        channels,
        pixel_size_m=dx,
        pixel_size_y_m=dy,
        directions=dirs if len(dirs) > 1 else None,
        offset_m=first_ch.offset_m,
        temperature_K=math.nan if temp is None else temp,
        bias_V=math.nan if bias is None else bias,
        slow_scan=slow if slow in ("horizontal", "vertical") else "horizontal",
        source_files=source,
        metadata=md,
        units=units,
    )
    _add_masks(scan, entries, dirs, shape)
    for (q, d), (ch, f) in entries.items():
        scan[q].attrs.setdefault("source_file", str(f))
        scan[q].attrs.setdefault("file_channel", ch.name)
        if ch.unit != scan[q].attrs.get("units"):
            scan[q].attrs["units"] = ch.unit
    if first_ch.scan_position_m is not None:
        scan.attrs["scan_position_m"] = list(first_ch.scan_position_m)
    scan.attrs["file_format"] = detect(first_path).name
    return scan


def _add_masks(scan: xr.Dataset, entries, dirs, shape) -> None:
    """Masks stored with channels (Gwyddion ``/N/mask``) become boolean variables ``<channel>_mask``."""
    for q in dict.fromkeys(q for (q, _) in entries):
        masks = [entries.get((q, d), (None, None))[0] for d in dirs]
        if all(ch is None or ch.mask is None for ch in masks):
            continue
        stack = np.stack([ch.mask if ch is not None and ch.mask is not None else np.zeros(shape, bool)
                          for ch in masks])
        dims = ("direction", "y", "x") if len(dirs) > 1 else ("y", "x")
        scan[f"{q}_mask"] = xr.Variable(dims, stack if len(dirs) > 1 else stack[0],
                                        attrs={"long_name": f"mask of {q} (True = masked)", "units": ""})


def _first(entries, key):
    for ch, f in entries.values():
        if key in ch.metadata:
            try:
                return float(ch.metadata[key])
            except (TypeError, ValueError):
                raise FormatError(f, f"{key} {ch.metadata[key]!r} is not a number") from None
    return None


def _override(scan: xr.Dataset, temperature_K, bias_V) -> xr.Dataset:
    if temperature_K is None and bias_V is None:
        return scan
    out = scan.copy()
    if temperature_K is not None:
        out.attrs["temperature_K"] = float(temperature_K)
    if bias_V is not None:
        out.attrs["bias_V"] = float(bias_V)
    return out
