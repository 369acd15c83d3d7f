"""APT needles, range file, SEM registration truth and EDX homogeneity."""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import tifffile
from scipy import ndimage

from scprobe.io import open_scan


def _ranges(path):
    ranges = []
    for line in path.read_text().splitlines():
        m = re.match(r"Range\d+=([\d.]+) ([\d.]+) Vol:[\d.]+ (\w+):(\d)", line)
        if m:
            ranges.append((float(m[1]), float(m[2]), m[3], int(m[4])))
    return ranges


def test_rrng_lists_every_element_isotope_and_charge(study):
    root = study[0].parent
    text = (root / "apt/FeSeTe.rrng").read_text()
    assert "[Ions]" in text and "[Ranges]" in text
    rng = _ranges(root / "apt/FeSeTe.rrng")
    assert {r[2] for r in rng} == {"Fe", "Se", "Te", "O"}
    assert any(r[3] == 2 for r in rng)  # O2+ molecular ion
    assert any(27.8 < r[0] < 28.0 for r in rng)  # 56Fe2+
    assert any(127.8 < r[0] < 128 for r in rng)  # 128Te+
    lows = sorted(r[:2] for r in rng)
    assert all(a[1] < b[0] for a, b in zip(lows, lows[1:]))  # no overlapping ranges


def _composition(root, name, below_cap_nm):
    ions = np.fromfile(root / f"apt/{name}.pos", dtype=">f4").reshape(-1, 4)
    rng = _ranges(root / "apt/FeSeTe.rrng")
    sel = ions[ions[:, 2] > below_cap_nm]
    atoms = dict.fromkeys(["Fe", "Se", "Te", "O"], 0)
    for lo, hi, el, k in rng:
        atoms[el] += k * int(((sel[:, 3] >= lo) & (sel[:, 3] <= hi)).sum())
    total = sum(atoms.values())
    return {el: 100 * v / total for el, v in atoms.items()}, total, ions


def test_needle_composition_below_cap(study):
    path, truth = study
    root = path.parent
    comp = truth["composition"]
    n1, total, ions = _composition(root, "needle1", 25.0)
    assert ions.shape[0] == comp["needles"]["needle1"]["ions"]
    cap = ions[ions[:, 2] < 15]
    assert ((cap[:, 3] > 15.9) & (cap[:, 3] < 16.1)).mean() > 0.2  # O-rich cap
    for name in ("needle1", "needle2"):
        measured, total, _ = _composition(root, name, 25.0)
        true = comp["needles"][name]["composition_at_pct"]
        for el in ("Fe", "Se", "Te"):
            c = true[el] / 100
            sigma = 100 * math.sqrt(c * (1 - c) / total)
            assert measured[el] == pytest.approx(true[el], abs=4 * sigma + 0.15), (name, el)
    r1 = comp["needles"]["needle1"]["fe_te_ratio"]
    r2 = comp["needles"]["needle2"]["fe_te_ratio"]
    assert r2 < r1 - 0.2  # the conducting site is Fe-depleted relative to Te
    assert comp["cap_depth_m"] == pytest.approx(20e-9)


def test_sites_lie_in_their_regions(study):
    path, truth = study
    mask = np.load(path.parent / truth["scans"]["1.5K"]["mask_file"])
    for site in truth["composition"]["sites"]:
        x, y = (int(round(v)) for v in site["scan_xy_px"])
        assert mask[y, x] == (site["region"] == "conducting")


def _sem_at(sem, t, mask_or_sel):
    """SEM grey levels at the scan pixels selected by a boolean array (through the truth transform)."""
    th = math.radians(t["rotation_deg"])
    rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    y, x = np.nonzero(mask_or_sel)
    uv = t["scale_px"] * rot @ np.stack([x, y]).astype(float) + np.array(t["shift_px"])[:, None]
    return ndimage.map_coordinates(sem, [uv[1], uv[0]], order=1)


def test_sem_shows_topography_and_not_the_phase(study):
    """Through the truth transform, particles and steps of the cAFM topography are bright in the SEM image;
    the superconducting phase has no contrast of its own (published Fig. S3)."""
    path, truth = study
    root = path.parent
    sem = tifffile.imread(root / "sem/sem_overview.tif").astype(float)
    t = truth["composition"]["sem"]
    assert t["phase_contrast"] is False
    assert t["scale_px"] == pytest.approx(15.5 / 30) and t["rotation_deg"] == pytest.approx(12.0)
    assert t["scale"] == 1.0
    mask = np.load(root / truth["scans"]["1.5K"]["mask_file"])
    inner = ndimage.binary_erosion(mask, iterations=3)
    outer = ~ndimage.binary_dilation(mask, iterations=3)
    phase, matrix = _sem_at(sem, t, inner), _sem_at(sem, t, outer)
    # no phase contrast: the difference is what terraces and particles happen to give, a small
    # fraction of one SEM grey-level unit (200 levels), far from a compositional contrast of ~50 levels
    assert abs(phase.mean() - matrix.mean()) < 8
    # topographic contrast: the highest points of the levelled topography (particles) are bright
    topo = open_scan(root / truth["scans"]["1.5K"]["files"][0])["topography"].sel(direction="forward").values
    topo = topo - ndimage.median_filter(topo, size=15)
    high = topo > np.percentile(topo, 99.5)
    assert _sem_at(sem, t, high).mean() - matrix.mean() > 15
    for site in truth["composition"]["sites"]:
        th = math.radians(t["rotation_deg"])
        rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
        assert site["sem_xy_px"] == pytest.approx(
            (t["scale_px"] * rot @ np.array(site["scan_xy_px"]) + np.array(t["shift_px"])).tolist())
    # Metric form: a scan point at (x, y) m from its corner lands at the same SEM point.
    th = math.radians(t["rotation_deg"])
    rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    xy_px = np.array([40.0, 70.0])
    sem_px = t["scale_px"] * rot @ xy_px + np.array(t["shift_px"])
    xy_m = (xy_px + 0.5) * truth["pixel_size_m"]
    sem_m = t["scale"] * rot @ xy_m + np.array(t["shift_m"])
    assert sem_m == pytest.approx((sem_px + 0.5) * t["pixel_size_m"], abs=1e-12)


def test_sem_model_ignores_the_phase():
    """The SEM grey level is a function of the topography alone."""
    import dataclasses

    from scprobe.simulate import SampleParams, sample_landscape
    from scprobe.simulate.composition import _sem_domain_image

    ls = sample_landscape(SampleParams(), seed=3, shape=(96, 128))
    flipped = dataclasses.replace(ls, mask=~ls.mask, field=-ls.field)
    assert np.array_equal(_sem_domain_image(ls, 1.0), _sem_domain_image(flipped, 1.0))


def test_edx_maps_hide_the_contrast_at_default(study):
    """Counts follow the composition landscape; at 1 um interaction volume and a typical dose the
    dispersion stays within Poisson scatter (published: EDX homogeneous)."""
    path, truth = study
    edx = truth["composition"]["edx"]
    assert edx["homogeneous"] is True and not any(edx["detectable"].values())
    assert edx["interaction_m"] == pytest.approx(1e-6)
    for f in edx["files"]:
        counts = np.loadtxt(path.parent / f, delimiter=",")
        el = f.split("_")[-1].split(".")[0]
        mean = edx["mean_counts"][el]
        assert counts.mean() == pytest.approx(mean, abs=4 * np.sqrt(mean / counts.size))
        dispersion = counts.var(ddof=1) / counts.mean()
        assert dispersion == pytest.approx(1.0, abs=4 * np.sqrt(2 / counts.size) + 0.1)
    # The composition contrast is there, only blurred: Te is enriched in the phase, Fe depleted.
    assert 0 < edx["contrast_rms"]["Fe"] < 0.1 and edx["contrast_rms"]["Te"] > edx["contrast_rms"]["Se"]


def test_edx_sees_the_contrast_with_a_small_interaction_volume(tmp_path):
    """100 nm interaction volume and a ten times longer map: the contrast becomes detectable."""
    from scprobe.simulate import simulate_study

    path = simulate_study(tmp_path, seed=1, size=128, ions_per_needle=2000, edx_interaction_m=1e-7,
                          edx_counts={"Fe": 40.0, "Se": 15.0, "Te": 25.0})
    edx = json.loads((path.parent / "truth.json").read_text())["composition"]["edx"]
    assert edx["homogeneous"] is False and edx["detectable"]["Fe"] and edx["detectable"]["Te"]
    counts = np.loadtxt(path.parent / "edx/EDX_Fe.csv", delimiter=",")
    assert counts.var(ddof=1) / counts.mean() > 1.5
