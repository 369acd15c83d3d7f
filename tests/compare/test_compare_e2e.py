"""End to end on the simulator's study: shifts, re-cooling overlap, metastable spots, local Tc vs truth.json."""
from __future__ import annotations

import json

import numpy as np
import pytest

from scprobe.analysis.map import analyze_map
from scprobe.compare import compare_scans, register, temperature_series
from scprobe.errors import ParameterError
from scprobe.io import open_scan
from scprobe.simulate import simulate_study


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare_sim")
    # denser metastable dots than the default: the 20 K scan holds ~40 (some merged by the PSF)
    simulate_study(out, seed=4, size=192, dot_density_per_um2=60.0)
    truth = json.loads((out / "truth.json").read_text())
    scans = {k: open_scan(out / v["files"][0]) for k, v in truth["scans"].items()}
    return out, truth, scans


def test_shifts_against_truth(study):
    _, truth, scans = study
    for label in ("8K", "20K", "30K", "8K-recooled"):
        r = register(scans["1.5K"], scans[label])
        assert np.abs(np.array(r.shift_px) - truth["scans"][label]["shift_px"]).max() < 0.2, label
        assert r.same_area, label


def test_recooling_overlap(study):
    _, truth, scans = study
    r = compare_scans(scans["8K"], scans["8K-recooled"])
    rc = truth["recooling"]
    assert abs(r.overlap.jaccard - rc["jaccard"]) < 0.02
    assert abs(r.overlap.retained - rc["retained"]) < 0.03
    assert abs(r.overlap.gained - rc["gained"]) < 0.03


def test_metastable_spots(study):
    out, truth, scans = study
    ref = np.load(out / truth["scans"]["1.5K"]["mask_file"])
    r = compare_scans(scans["20K"], scans["20K"], reference_mask=ref)
    spots = truth["scans"]["20K"]["spots"]
    assert r.directions == ("forward", "backward")
    assert r.spots.count_a == spots["count_forward"]
    assert abs(r.spots.persistence - spots["persistence"]) < 0.1
    assert abs(r.spots.diameter_m / spots["diameter_m"] - 1) < 0.25
    assert abs(r.spots.inside_reference_fraction - spots["fraction_in_1p5K_mask"]) < 0.1
    # the 1.5 K scan itself as reference: registered onto the 20 K scan first (measured: exact)
    r = compare_scans(scans["20K"], scans["20K"], reference_mask=scans["1.5K"])
    assert abs(r.spots.inside_reference_fraction - spots["fraction_in_1p5K_mask"]) < 0.05


def test_different_areas_are_not_compared(study):
    _, truth, scans = study
    r = compare_scans(scans["1.5K"], scans["B-1.5K"])
    assert not r.comparable and r.note.startswith("not comparable: pixel sizes differ")
    d = r.to_dict()
    assert d["comparable"] is False and d["overlap"] is None and d["spots"] is None
    assert r.units()["overlap"]["jaccard"] == "1"
    forced = compare_scans(scans["1.5K"], scans["B-1.5K"], force=True)
    assert forced.comparable and forced.overlap.jaccard < 0.3


def test_no_spots_without_dots(study):
    """8 K: no metastable dots in the truth, so no spot in either trace (border pieces of regions are flagged)."""
    _, truth, scans = study
    assert "spots" not in truth["scans"]["8K"] or not truth["scans"]["8K"]["spots"]["count_forward"]
    r = compare_scans(scans["8K"], scans["8K"])
    assert r.spots.count_a == 0 and r.spots.count_b == 0
    assert np.all(r.spots_a.significance >= 4.75)
    one_trace = scans["8K"].sel(direction="forward")
    with pytest.raises(ParameterError, match="backward"):
        compare_scans(one_trace, one_trace)


def test_local_tc_within_one_step(study):
    out, truth, scans = study
    res = temperature_series([scans[k] for k in ("1.5K", "8K", "20K", "30K")])
    t = np.array(res.temperatures_K)
    # the simulator's metastable dots (20 K) are fluctuations, not a local Tc of 20 K
    assert res.map_tc_lower_K == 8.0 and res.map_tc_upper_K == 20.0
    assert res.fluctuations.reference_K == 8.0 and res.fluctuations.temperatures_K == [20.0]
    assert res.fluctuations.pixels + res.fluctuations.also_below_pixels == int(res.masks[2].sum())
    assert np.nanmax(res.tc_lower_map) == 8.0 and res.local_tc.tc_lower_K.p90 <= 8.0
    tc = np.load(out / truth["local_tc"]["tc_map_file"])[res.common]
    conducting = tc > t[0]
    k_true = np.searchsorted(t, tc, side="left") - 1  # index of the highest T below the local Tc
    k_est = np.where(np.isfinite(res.tc_lower_map), np.searchsorted(t, np.nan_to_num(res.tc_lower_map)), -1)
    assert (np.abs(k_est - k_true)[conducting] <= 1).mean() >= 0.95
    frac_true = [truth["scans"][k]["conducting_fraction"] for k in ("1.5K", "8K", "20K", "30K")]
    # non-increasing; where no local Tc lies between two temperatures (1.5 and 8 K here) the true masks
    # are equal and the measured fractions differ by edge noise only (measured 6e-5, 2 px)
    assert np.all(np.diff(res.conducting_fraction) <= 5e-4) and res.conducting_fraction[-1] < frac_true[0]
    # the same mask as ``scprobe map``: identical on the same pixels; the common-area crop
    # (shifts up to 4 px on 192 px) moves the fraction by 0.0035 (measured)
    maps = [analyze_map(scans[k]) for k in ("1.5K", "8K", "20K", "30K")]
    assert res.conducting_fraction[0] == pytest.approx(maps[0].mask[res.common].mean(), abs=1e-9)
    assert np.abs(np.array(res.conducting_fraction) - [m.conducting_fraction for m in maps]).max() < 0.005
