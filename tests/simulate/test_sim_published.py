"""The default study looks like the published one (#17): areas, stripes, edges, dots, composition, EDX.

Each test names the published number it checks; docs/simulator.md lists them side by side.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy import ndimage

from scprobe.io import open_scan
from scprobe.simulate import InstrumentParams

#: FeSeTe2 in at.%: the composition the conducting regions are "closer to".
FESETE2 = {"Fe": 25.0, "Se": 25.0, "Te": 50.0}
NOMINAL = {"Fe": 50.0, "Se": 20.0, "Te": 30.0}


def _current(root, t, direction="forward"):
    return open_scan(root / t["files"][0])["current"].sel(direction=direction).values


def test_area_b_has_two_wide_stripes_with_both_states(study):
    """Fig. 2c: two wide conducting stripes; pixels of ~5.5 and ~3.5 uA inside them."""
    path, truth = study
    root = path.parent
    t = truth["scans"]["B-1.5K"]
    assert t["pixel_size_m"] == 17e-9 and t["slow_scan"] == "vertical"
    mask = np.load(root / t["mask_file"])
    labels, n = ndimage.label(mask)
    areas = np.bincount(labels.ravel())[1:]
    stripes = np.argsort(areas)[::-1][:2] + 1
    assert n >= 2
    current = _current(root, t)
    for s in stripes:
        region = labels == s
        rows = np.flatnonzero(region.any(axis=1))
        # a stripe runs across the whole field and is several hundred nm wide
        assert rows.size > 0.9 * mask.shape[0]
        width_m = region.sum() / rows.size * t["pixel_size_m"]
        assert 400e-9 < width_m < 1000e-9
    inside = current[np.isin(labels, stripes) & ndimage.binary_erosion(mask, iterations=3)]
    for level in (5.5e-6, 3.5e-6):
        assert (np.abs(inside - level) < 0.03 * level).sum() > 20, level


def _plateau_to_floor(profile, floor):
    """Distances (px) from 90 % of the plateau to the noise floor on each rising flank of ``profile``.

    The published reading of a cross-section: the 90 % point interpolated linearly, the floor
    crossing interpolated in log(current).
    """
    out = []
    for p in (profile, profile[::-1]):
        for i in range(6, p.size - 8):
            plateau = np.median(p[i + 3:i + 7])
            if not (p[i] < 0.5 * plateau <= p[i + 1] and plateau > 1e-6 and p[i + 3:i + 7].min() > 0.8 * plateau):
                continue
            x = np.arange(i - 6, i + 7)
            seg = p[x]
            up = np.flatnonzero(seg >= 0.9 * plateau)[0]
            low = np.flatnonzero(seg < floor)
            if up == 0 or not low.size or low[-1] + 1 >= up:
                continue
            x90 = x[up - 1] + (0.9 * plateau - seg[up - 1]) / (seg[up] - seg[up - 1])
            k = low[-1]
            lo = np.log(max(seg[k], 1e-15))
            xf = x[k] + (np.log(floor) - lo) / (np.log(seg[k + 1]) - lo)
            out.append(x90 - xf)
    return out


def test_edges_fall_to_the_floor_within_50_nm(study):
    """Fig. S4: a cross-section averaged over a box along the edge falls from the plateau to
    below the noise floor within 50 nm; truth records the ideal distance next to the erf sigma."""
    path, truth = study
    root = path.parent
    ip = InstrumentParams()
    assert truth["psf_sigma_m"] == ip.psf_sigma_m
    assert truth["edge_plateau_to_floor_m"] == pytest.approx(ip.plateau_to_floor_m(5.5e-6))
    assert 30e-9 < truth["edge_plateau_to_floor_m"] < 45e-9
    t = truth["scans"]["B-1.5K"]
    assert t["noise_floor_A"] == pytest.approx(ip.noise_offset_A + 3 * ip.noise_rms_A)
    current = _current(root, t)
    box = 8  # rows averaged: ~140 nm along the near-vertical stripe edges
    d = [v for r in range(0, current.shape[0] - box, box)
         for v in _plateau_to_floor(current[r:r + box].mean(axis=0), t["noise_floor_A"])]
    assert len(d) >= 20
    measured = np.median(d) * t["pixel_size_m"]
    # the pixel-sampled reading exceeds the ideal distance by up to ~half a pixel
    assert t["edge_plateau_to_floor_m"] < measured < 50e-9


def test_20K_dots_rearrange_and_30K_is_empty(study):
    """Fig. 4: ~75 nm (5 px) metastable dots at 20 K / 50 mV differ between the traces; nothing at 30 K."""
    path, truth = study
    root = path.parent
    t20, t30 = truth["scans"]["20K"], truth["scans"]["30K"]
    assert t20["bias_V"] == 0.05 and t20["temperature_K"] == 20.0
    spots = t20["spots"]
    assert spots["diameter_m"] / t20["pixel_size_m"] == pytest.approx(5, abs=0.3)
    assert spots["count_forward"] > 0 and spots["persistence"] < 1
    assert not np.array_equal(np.load(root / t20["mask_file"]), np.load(root / t20["mask_backward_file"]))
    assert t30["conducting_fraction"] == 0 and "spots" not in t30
    assert np.abs(np.load(root / t30["current_clean_file"])).max() == 0


def test_recooled_8K_at_50mV_changes_extent_slightly(study):
    _, truth = study
    t = truth["scans"]["8K-recooled"]
    assert t["recooled"] and t["bias_V"] == 0.05 and t["temperature_K"] == 8.0
    r = truth["recooling"]
    assert 0.6 < r["jaccard"] < 0.99 and r["lost"] > 0 and r["gained"] > 0


def test_superconducting_phase_is_fe_depleted_towards_fesete2(study):
    """Fig. 5: matrix at the nominal Fe(Se0.4Te0.6); conducting site Fe/Te <= 0.8, another anion
    ratio, nearer FeSeTe2 than the nominal composition."""
    _, truth = study
    needles = truth["composition"]["needles"]
    matrix, phase = needles["needle1"], needles["needle2"]
    assert matrix["region"] == "insulating" and phase["region"] == "conducting"
    assert matrix["fe_te_ratio"] == pytest.approx(5 / 3, rel=0.02)
    assert matrix["se_te_ratio"] == pytest.approx(2 / 3, rel=0.02)
    assert phase["fe_te_ratio"] <= 0.8
    assert abs(phase["se_te_ratio"] - 2 / 3) > 0.1

    def dist(a, b):
        return np.sqrt(sum((a[el] - b[el]) ** 2 for el in b))

    comp = {el: phase["nominal_at_pct"][el] / (100 - phase["nominal_at_pct"]["O"]) * 100 for el in FESETE2}
    assert dist(comp, FESETE2) < dist(comp, NOMINAL)
    assert phase["nominal_at_pct"] == truth["composition"]["phase_at_pct"]


def test_simulate_does_not_import_analysis(tmp_path):
    """#19: the truth's noise floor comes from the instrument, not the analysis convention."""
    code = ("import sys; from scprobe.simulate import simulate_study; "
            f"simulate_study({str(tmp_path)!r}, seed=0, size=48, ions_per_needle=2000); "
            "print([m for m in sys.modules if m.startswith(('scprobe.analysis', 'scprobe.composition'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["noise_floor_A"] == pytest.approx(InstrumentParams().noise_floor_A)
