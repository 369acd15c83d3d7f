"""Readers and writers, one module per format; ``open_scan`` builds a Scan from files.

Formats are detected by content (see :mod:`scprobe.io.registry`).  Every reader
checks sizes against the file length before it allocates, and raises
:class:`scprobe.errors.FormatError` naming the file for anything wrong with it.
Names are imported on first use, so ``import scprobe.io`` stays cheap (the CLI's
start-up time depends on it).
"""
from __future__ import annotations

import importlib

_WHERE = {
    "Channel": "base", "atomic_path": "base", "atomic_write": "base", "parse_unit": "base",
    "find_siblings": "group", "open_scan": "group",
    "FORMATS": "registry", "detect": "registry", "read_channels": "registry",
    "read_mask": "mask", "save_scan": "save",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
