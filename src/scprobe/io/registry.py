"""Which reader handles a file: detection by content (magic bytes), then by extension.

Each entry names a reader module with a ``read(path) -> list[Channel]`` function;
modules are imported only when a file of their format is read, so a broken or
heavy optional reader never slows or breaks the others.
"""
from __future__ import annotations

import importlib
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scprobe.errors import FormatError
from scprobe.io.base import check_path


@dataclass(frozen=True)
class Format:
    """A file format scprobe knows.

    Attributes
    ----------
    name : str
        Short name printed by ``scprobe info``.
    kind : {"image", "table", "apt", "range"}
        What the file holds; only ``image`` files become Scans.
    module : str
        Reader module under ``scprobe.io``.
    extensions : tuple of str
        Lower-case extensions used when the content has no magic.
    sniff : callable
        ``sniff(head: bytes) -> bool`` on the first 4 KiB.
    """

    name: str
    kind: str
    module: str
    extensions: tuple[str, ...]
    sniff: Callable[[bytes], bool]

    def reader(self):
        return importlib.import_module(f"scprobe.io.{self.module}")


def _utf16(s: str) -> bytes:
    return s.encode("utf-16-le")


def _ibw(head: bytes) -> bool:
    # Igor binary waves have no magic; the first short is the version (2, 3 or 5) in file byte order.
    return len(head) >= 2 and head[:2] in (b"\x05\x00", b"\x00\x05", b"\x02\x00", b"\x00\x02", b"\x03\x00", b"\x00\x03")


def _rng(head: bytes) -> bool:
    first = head.split(b"\n", 1)[0].split()
    return len(first) == 2 and all(t.isdigit() for t in first)


FORMATS: tuple[Format, ...] = (
    Format("bcr", "image", "bcr", (".bcr", ".bcrf"),
           lambda h: h.startswith(b"fileformat = bcr") or h.startswith(_utf16("fileformat = bcr"))),
    Format("gwy", "image", "gwy", (".gwy",), lambda h: h[:4] in (b"GWYP", b"GWYO", b"GWYQ")),
    Format("sxm", "image", "sxm", (".sxm",), lambda h: h.startswith(b":NANONIS_VERSION:")),
    Format("nanoscope", "image", "nanoscope", (".di", ".spm", ".001"),
           lambda h: h.startswith(b"\\*File list") or h.startswith(b"?*File list")),
    Format("daisy-asc", "image", "asc", (".asc",), lambda h: h.lstrip().startswith(b"# Daisy frame view snapshot")),
    Format("netcdf", "image", "nc", (".nc",),
           lambda h: h.startswith(b"\x89HDF\r\n\x1a\n") or h[:4] in (b"CDF\x01", b"CDF\x02")),
    Format("qd-dat", "table", "qd", (".dat",), lambda h: h.lstrip(b"\xef\xbb\xbf").lstrip().startswith(b"[Header]")),
    Format("rrng", "range", "apt", (".rrng",), lambda h: b"[Ions]" in h[:200]),
    Format("rng", "range", "apt", (".rng",), _rng),
    Format("ibw", "image", "ibw", (".ibw",), lambda h: False),
    Format("pos", "apt", "apt", (".pos",), lambda h: False),
    Format("epos", "apt", "apt", (".epos",), lambda h: False),
)


def detect(path: str | os.PathLike) -> Format:
    """Return the :class:`Format` of a file, by content first and extension second.

    Raises
    ------
    FormatError
        Empty, unreadable or unknown files, or a directory.
    """
    p = check_path(path)
    with open(p, "rb") as fh:
        head = fh.read(4096)
    for fmt in FORMATS:
        if fmt.sniff(head):
            return fmt
    ext = p.suffix.lower()
    for fmt in FORMATS:
        if ext in fmt.extensions:
            if fmt.name == "ibw" and not _ibw(head):
                raise FormatError(p, "not an Igor binary wave (bad version field)")
            return fmt
    raise FormatError(p, "unknown file format (no known magic bytes or extension)")


def image_extensions() -> set[str]:
    """Extensions of every image format (used to find siblings of a scan file)."""
    return {e for f in FORMATS if f.kind == "image" for e in f.extensions}


def read_channels(path: str | os.PathLike, *, lazy: bool = False) -> list:
    """Read every image channel of a file (see :class:`scprobe.io.base.Channel`).

    ``lazy``: a reader that can (``SUPPORTS_LAZY``) keeps the raw samples and decodes them on
    access; the others decode now.
    """
    fmt = detect(path)
    if fmt.kind != "image":
        raise FormatError(path, f"is a {fmt.name} file ({fmt.kind}), not an image/scan file")
    try:
        reader = fmt.reader()
        if lazy and getattr(reader, "SUPPORTS_LAZY", False):
            return reader.read(Path(path), lazy=True)
        return reader.read(Path(path))
    except FormatError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, OSError, EOFError, UnicodeDecodeError,
            OverflowError, MemoryError, AttributeError, AssertionError, struct.error, RecursionError,
            NotImplementedError, ZeroDivisionError) as exc:
        # third-party parsers raise anything on corrupt input; name the file and keep one line
        raise FormatError(path, f"cannot read {fmt.name} file: {type(exc).__name__}: {exc}") from exc
