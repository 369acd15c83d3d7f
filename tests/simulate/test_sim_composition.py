"""APT needles, range file, SEM registration truth and EDX homogeneity."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import tifffile
from scipy import ndimage


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


def test_sem_transform_maps_the_phase(study):
    """Sampling the SEM image at the transformed mask pixels shows the phase contrast."""
    path, truth = study
    sem = tifffile.imread(path.parent / "sem/sem_overview.tif").astype(float)
    t = truth["composition"]["sem"]
    mask = np.load(path.parent / truth["scans"]["1.5K"]["mask_file"])
    assert t["scale_px"] == pytest.approx(0.5) and t["rotation_deg"] == pytest.approx(12.0)
    assert t["scale"] == 1.0
    th = math.radians(t["rotation_deg"])
    rot = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    inner = ndimage.binary_erosion(mask, iterations=3)
    outer = ~ndimage.binary_dilation(mask, iterations=3)
    means = []
    for sel in (inner, outer):
        y, x = np.nonzero(sel)
        uv = t["scale_px"] * rot @ np.stack([x, y]).astype(float) + np.array(t["shift_px"])[:, None]
        means.append(ndimage.map_coordinates(sem, [uv[1], uv[0]], order=1).mean())
    assert means[0] - means[1] > 20
    for site in truth["composition"]["sites"]:
        assert site["sem_xy_px"] == pytest.approx(
            (t["scale_px"] * rot @ np.array(site["scan_xy_px"]) + np.array(t["shift_px"])).tolist())
    # Metric form: a scan point at (x, y) m from its corner lands at the same SEM point.
    xy_px = np.array([40.0, 70.0])
    sem_px = t["scale_px"] * rot @ xy_px + np.array(t["shift_px"])
    xy_m = (xy_px + 0.5) * 15e-9
    sem_m = t["scale"] * rot @ xy_m + np.array(t["shift_m"])
    assert sem_m == pytest.approx((sem_px + 0.5) * t["pixel_size_m"], abs=1e-12)


def test_edx_maps_are_homogeneous(study):
    path, truth = study
    edx = truth["composition"]["edx"]
    assert edx["homogeneous"] is True
    for f in edx["files"]:
        counts = np.loadtxt(path.parent / f, delimiter=",")
        el = f.split("_")[-1].split(".")[0]
        assert counts.mean() == pytest.approx(edx["mean_counts"][el], rel=0.05)
        dispersion = counts.var(ddof=1) / counts.mean()
        assert dispersion == pytest.approx(1.0, abs=0.1)
