"""The verdict: bulk resistivity against the map's percolation, one text per case."""
from __future__ import annotations

import math

import pytest

from scprobe.errors import ParameterError
from scprobe.transport import consistency


def _answer(fc, lo, hi, percolates, margin, p):
    return {"critical_fraction": fc, "critical_fraction_lower": lo, "critical_fraction_upper": hi,
            "percolates": percolates, "margin_sigma": margin, "p_zero_resistance": p,
            "p_zero_resistance_lower": p, "p_zero_resistance_upper": p}


def _percolation(f, dim, three="yes", two="no", margin=3.0):
    return {"area_fraction": f, "area_fraction_stderr": 0.01, "dim_chosen": dim, "dim_reason": f"{dim}-D: because",
            "two_d": _answer(0.5, 0.46, 0.54, two, -10.0, 0.0 if two == "no" else 1.0),
            "three_d": _answer(0.07, 0.06, 0.08, three, margin, 1.0 if three == "yes" else 0.0)}


def test_bulk_zero_and_percolating_minority():
    c = consistency(_percolation(0.11, 3), t_zero_K=13.2)
    assert c.status == "explained_by_minority" and c.bulk_zero_resistance and c.dim == 3
    assert ("zero resistance explained by a percolating superconducting minority (11.0 % of the surface): "
            "it does not show bulk superconductivity") in c.statement
    # both dimensions' critical fractions with their intervals
    assert "50.0 % [46.0 %, 54.0 %] in 2-D" in c.statement and "7.0 % [6.0 %, 8.0 %] in 3-D" in c.statement
    assert "13.2 K" in c.statement and "could change" not in c.statement
    assert c.units()["t_zero_K"] == "K" and c.units()["margin_sigma"] == "sigma"


def test_bulk_zero_without_percolation_is_never_silent():
    c = consistency(_percolation(0.11, 2), t_zero_K=13.2)
    assert c.status == "not_representative"
    assert "do not percolate in 2-D" in c.statement and "not representative" in c.statement


def test_bulk_finite_with_percolation():
    c = consistency(_percolation(0.11, 3), t_zero_K=None)
    assert c.status == "not_representative" and not c.bulk_zero_resistance and math.isnan(c.t_zero_K)
    assert "stays finite" in c.statement and "percolate in 3-D" in c.statement and "not representative" in c.statement


def test_bulk_finite_and_nothing_percolates():
    c = consistency(_percolation(0.03, 3, three="no", margin=-5.0), t_zero_K=math.nan)
    assert c.status == "consistent_resistive" and "consistent" in c.statement


def test_undecided_and_fragile_margins_are_said():
    c = consistency(_percolation(0.075, 3, three="undecided", margin=0.4), t_zero_K=13.2)
    assert c.status == "undecided" and "undecided" in c.statement
    c = consistency(_percolation(0.09, 3, margin=1.2), t_zero_K=13.2)
    assert c.status == "explained_by_minority" and "1.2 standard errors" in c.statement


def test_consistency_of_a_result_object():
    import numpy as np

    from scprobe.transport import gaussian_field, percolate

    g = gaussian_field((128, 128), (3.0, 3.0), 0.0, np.random.default_rng(0))
    res = percolate(g > np.quantile(g, 0.75), pixel_size_m=1e-8, sample_size_m=1e-3, thickness_m=1e-3,
                    realizations=4, max_cells_per_side=32)
    c = consistency(res, t_zero_K=10.0)
    assert c.dim == 3 and c.percolates == res.three_d.percolates
    assert c.critical_fraction_2d == pytest.approx(res.two_d.critical_fraction)


def test_consistency_needs_a_percolation_result():
    with pytest.raises(ParameterError, match="percolation result"):
        consistency({"p_zero": 1.0}, t_zero_K=1.0)


def test_demo_headline_says_percolating_minority_in_3d(tmp_path):
    """The demo study (seed 0, 512 px): bulk rho reaches zero, the 0.2 mm crystal is 3-D, and the map's 10 %
    superconducting minority percolates in 3-D but not in 2-D; the headline says so with both dimensions'
    numbers and intervals."""
    import tomllib

    from scprobe.bulk import analyze_bulk
    from scprobe.io import open_scan
    from scprobe.simulate.study import simulate_study
    from scprobe.study.headline import four_probe as four_probe_answer
    from scprobe.transport import percolate

    study_file = simulate_study(tmp_path / "study", seed=0, size=512)
    spec = tomllib.loads(study_file.read_text())
    p, sample = spec["percolation"], spec["sample"]
    scan = open_scan(study_file.parent / "scans" / "A01_1p5K-current-fwd.bcrf")
    perc = percolate(scan, sample_size_m=p["sample_size_m"], realizations=p["realizations"], seed=p["seed"],
                     thickness_m=min(sample["dimensions_mm"]) * 1e-3)
    bulk = analyze_bulk(resistivity=study_file.parent / spec["bulk"]["resistivity"])
    ok = {"status": "ok"}
    stages = {"percolation": {"units": {"sample": {**ok, "result": perc.to_dict()}}},
              "bulk": {"units": {"sample": {**ok, "result": bulk.to_dict()}}}}
    answer = four_probe_answer(stages)
    c = answer["consistency"]
    assert perc.dim_chosen == 3 and c["dim"] == 3
    assert c["status"] == "explained_by_minority" and c["bulk_zero_resistance"]
    assert "zero resistance explained by a percolating superconducting minority" in answer["statement"]
    assert perc.two_d.percolates == "no" and perc.three_d.percolates == "yes"
    # the simulator's surface holds ~10 % superconductor: below the 2-D critical fraction, above the 3-D one
    assert c["critical_fraction_3d_upper"] < c["area_fraction"] < c["critical_fraction_2d_lower"]
    assert " in 2-D and " in c["statement"] and " in 3-D (95 %)" in c["statement"]
