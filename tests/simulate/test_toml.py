"""simulate.toml: the study file writer round-trips through tomllib."""
from __future__ import annotations

import math
import tomllib

from scprobe.simulate.toml import dumps


def test_round_trip_of_scalars_lists_tables_and_arrays_of_tables():
    doc = {
        "schema_version": 1,
        "sample": {"name": 'Fe(Se,Te) "#3"\\x', "mass_g": 0.0123, "dimensions_mm": [2.0, 3.0, 0.2], "ok": True},
        "scans": [{"label": "1.5K", "files": ["scans/a-current-fwd.bcrf"], "temperature_K": 1.5},
                  {"label": "8K recooled", "files": [], "temperature_K": 8.0}],
        "options": {"map": {"process": ["scars"]}, "odd key": 2},
    }
    assert tomllib.loads(dumps(doc)) == doc


def test_floats_keep_their_value():
    values = [1e-9, 0.1 + 0.2, 123456789.125, -2.5e-300]
    back = tomllib.loads(dumps({"v": values}))["v"]
    assert all(math.isclose(a, b, rel_tol=0, abs_tol=0) for a, b in zip(values, back))
