"""Result objects: small frozen dataclasses whose ``to_dict()`` gives the JSON keys.

Analyses return results; figures take results; the command line prints
``result.to_dict()``.  :func:`jsonable` turns numpy scalars and arrays, paths and
non-finite floats (as ``null``) into plain JSON values, so every result prints
as strict JSON.
"""
from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np


def jsonable(obj: Any) -> Any:
    """Convert ``obj`` recursively into values :func:`json.dumps` accepts (NaN -> None)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return jsonable(obj.to_dict())
        return jsonable({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return obj


def internal(default: Any = dataclasses.MISSING):
    """A result field kept for figures and later stages (arrays, fits) but left out of ``to_dict()``."""
    return dataclasses.field(default=default, repr=False, compare=False, metadata={"json": False})


class Result:
    """Mixin for frozen result dataclasses: ``to_dict()`` returns the JSON-ready fields not marked :func:`internal`."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.metadata.get("json", True)}
