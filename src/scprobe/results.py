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


#: Units a result field may declare.  SI symbols; ``"1"`` a dimensionless number or a fraction (0..1),
#: ``"R_sq"`` a resistance in units of the matrix sheet resistance, ``"count"`` a number of things
#: (pixels, atoms, spots), ``""`` text, flags and records without a unit of their own.
UNITS = ("", "1", "count", "K", "m", "m^2", "A", "V", "Ohm", "Ohm m", "Ohm m^2", "R_sq", "s", "Hz",
         "T", "A/m", "A/m^2", "J/(mol K)", "J/(mol K^2)", "J/(mol K^4)", "mJ/(mol K^2)", "mJ/(mol K^4)",
         "eV", "meV", "Oe", "emu/cm^3", "mm", "g", "g/cm^3", "g/mol", "px", "rad", "deg", "Da",
         "sigma", "at.%")


def quantity(unit: str, default: Any = dataclasses.MISSING, **kwargs):
    """A JSON result field with a declared unit (one of :data:`UNITS`).

    The report formats the value from this declaration, never from the key's suffix.
    Extra keyword arguments go to :func:`dataclasses.field` (``default_factory`` ...).
    """
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    return dataclasses.field(default=default, metadata={"unit": unit}, **kwargs)


def field_units(obj: Any) -> Any:
    """Declared units of a result, mirroring ``to_dict()``: a unit string per field, nested for results.

    Fields without a declaration are left out (the report shows them without a unit).
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {}
        for f in dataclasses.fields(obj):
            if not f.metadata.get("json", True):
                continue
            value = getattr(obj, f.name)
            if "unit" in f.metadata:
                out[f.name] = f.metadata["unit"]
            elif dataclasses.is_dataclass(value) or isinstance(value, (list, tuple)) and value \
                    and dataclasses.is_dataclass(value[0]):
                out[f.name] = field_units(value)
        return out
    if isinstance(obj, (list, tuple)) and obj and dataclasses.is_dataclass(obj[0]):
        return field_units(obj[0])
    return {}


def internal(default: Any = dataclasses.MISSING):
    """A result field kept for figures and later stages (arrays, fits) but left out of ``to_dict()``."""
    return dataclasses.field(default=default, repr=False, compare=False, metadata={"json": False})


class Result:
    """Mixin for frozen result dataclasses: ``to_dict()`` returns the JSON-ready fields not marked :func:`internal`."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.metadata.get("json", True)}

    def units(self) -> dict[str, Any]:
        """Declared unit of every JSON field that has one (see :func:`quantity`), nested like ``to_dict()``."""
        return field_units(self)
