"""Every number in the JSON of map, compare and series results declares its unit, in the same nesting."""
from __future__ import annotations

import numpy as np

from scprobe.analysis import analyze_map
from scprobe.compare import compare_scans, temperature_series
from scprobe.results import UNITS


def _leaves_without_unit(d, u, path=""):
    """Paths of JSON values (numbers, text, flags) with no declared unit."""
    missing = []
    if isinstance(d, dict):
        for k, v in d.items():
            sub = u.get(k) if isinstance(u, dict) else None
            if sub is None:
                missing.append(f"{path}.{k}")
            elif isinstance(sub, str):
                assert sub in UNITS, (path, k, sub)
            else:
                missing += _leaves_without_unit(v, sub, f"{path}.{k}")
    elif isinstance(d, list) and d and isinstance(d[0], dict):
        for item in d:
            missing += _leaves_without_unit(item, u, path + "[]")
    return missing


def test_units_cover_every_field(synth):
    scan, _ = synth.metastable_scan(seed=3)
    m = analyze_map(scan, resistivity_ohm_m=3e-6, mean_free_path_m=5e-9)
    assert _leaves_without_unit(m.to_dict(), m.units()) == []
    u = m.units()
    assert u["noise_floor_A"] == "A" and u["junction_resistance_ohm"] == "Ohm" and u["conducting_fraction"] == "1"
    assert u["regions"]["items"]["area_m2"] == "m^2" and u["contact"]["sharvin_ohm"] == "Ohm"
    r = compare_scans(scan, scan)
    assert _leaves_without_unit(r.to_dict(), r.units()) == []
    scans, _ = synth.tc_series(shape=(64, 64), temperatures=(4, 8, 12))
    s = temperature_series(scans)
    assert _leaves_without_unit(s.to_dict(), s.units()) == []
    assert np.isfinite(s.local_tc.tc_lower_K.median)
