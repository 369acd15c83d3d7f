"""Readers and writers, one module per format; ``open_scan`` builds a Scan from files.

Formats are detected by content (see :mod:`scprobe.io.registry`).  Every reader
checks sizes against the file length before it allocates, and raises
:class:`scprobe.errors.FormatError` naming the file for anything wrong with it.
"""
from scprobe.io.base import Channel, atomic_path, atomic_write, parse_unit
from scprobe.io.group import find_siblings, open_scan
from scprobe.io.registry import FORMATS, detect, read_channels

__all__ = ["Channel", "FORMATS", "atomic_path", "atomic_write", "detect", "find_siblings",
           "open_scan", "parse_unit", "read_channels"]
