"""Write a Scan in the format its file name (or ``format``) asks for: ``.gwy``, ``.nc`` or ``.png``."""
from __future__ import annotations

import os
from pathlib import Path

from scprobe.errors import ParameterError
from scprobe.io.base import real_path

#: Formats :func:`save_scan` writes, by name and extension.
SAVE_FORMATS = ("gwy", "nc", "png")


def input_paths(scan) -> set[Path]:
    """Resolved paths of the raw files a Scan was read from (its ``source_files`` provenance)."""
    return {real_path(r["path"]) for r in scan.attrs.get("source_files", []) if r.get("path")}


def refuse_input(target: str | os.PathLike, inputs) -> None:
    """Raise :class:`ParameterError` when ``target`` is one of ``inputs``: a writer never replaces raw data."""
    if real_path(target) in {real_path(p) for p in inputs}:
        raise ParameterError(f"{target}: refusing to overwrite an input file; choose another output")


def save_scan(scan, path: str | os.PathLike, format: str | None = None, *, channel: str | None = None,
              direction: str = "forward", log: bool | None = None) -> Path:
    """Write ``scan`` to ``path`` atomically, never over one of the files it was read from.

    Parameters
    ----------
    scan : xarray.Dataset
        A Scan.
    path : path-like
        Destination file.
    format : {"gwy", "nc", "png"}, optional
        Default: from the extension of ``path``.
    channel : str, optional
        Only this channel (for ``png``: the one drawn, default ``current`` or the first).
    direction : str
        Trace drawn in a PNG (``forward`` / ``backward``).
    log : bool, optional
        PNG colour scale: log (default for current) or linear.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ParameterError
        Unknown format or channel, or ``path`` is an input of ``scan``.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt not in SAVE_FORMATS:
        raise ParameterError(f"cannot write {fmt or 'a file without extension'!r}; formats: {', '.join(SAVE_FORMATS)}")
    if channel is not None and channel not in scan.data_vars:
        raise ParameterError(f"no channel {channel!r}; this scan has {', '.join(sorted(map(str, scan.data_vars)))}")
    refuse_input(path, input_paths(scan))
    if fmt == "png":
        from scprobe.io.png import write_png

        name = channel or ("current" if "current" in scan.data_vars else next(iter(scan.data_vars)))
        return write_png(scan, path, channel=name, direction=direction, log=log)
    subset = scan[[channel]] if channel else scan
    if fmt == "gwy":
        from scprobe.io.gwy import write

        return write(subset, path)
    from scprobe.io.nc import write_scan

    return write_scan(subset, path)
