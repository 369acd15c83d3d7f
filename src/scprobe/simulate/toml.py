"""Minimal TOML writer for study.toml (Python's ``tomllib`` only reads TOML).

Supports what a study file needs: strings, bools, ints, floats, lists of scalars,
tables and arrays of tables.  Output is deterministic (keys in insertion order).
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping

from scprobe.errors import ParameterError


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(f"TOML cannot hold the non-finite number {value!r}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + " }"
    raise ParameterError(f"cannot write {type(value).__name__} to TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _is_table_array(value) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _table(lines: list[str], table: Mapping, prefix: str) -> None:
    for k, v in table.items():
        if not isinstance(v, Mapping) and not _is_table_array(v):
            lines.append(f"{_key(k)} = {_scalar(v)}")
    for k, v in table.items():
        name = f"{prefix}.{_key(k)}" if prefix else _key(k)
        if isinstance(v, Mapping):
            lines.extend(["", f"[{name}]"])
            _table(lines, v, name)
        elif _is_table_array(v):
            for item in v:
                lines.extend(["", f"[[{name}]]"])
                _table(lines, item, name)


def dumps(doc: Mapping) -> str:
    """TOML text of ``doc`` (a mapping of scalars, lists, tables and arrays of tables)."""
    lines: list[str] = []
    _table(lines, doc, "")
    return "\n".join(lines).lstrip("\n") + "\n"
