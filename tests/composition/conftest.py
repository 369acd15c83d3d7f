"""Synthetic atom-probe needles, SEM images and EDX maps with known truth."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage.transform import SimilarityTransform

from scprobe.composition.overlay import m_to_px, px_to_m
from scprobe.io.apt import IonRange, write_pos, write_rrng

#: Peak positions (Da) of each ion: singly and doubly charged isotopes, simplified.
PEAKS = {"Fe": (56.0, 28.0), "Se": (80.0, 40.0), "Te": (130.0, 65.0), "O": (16.0,), "FeTe": (93.0,)}
ATOMS = {"Fe": {"Fe": 1}, "Se": {"Se": 1}, "Te": {"Te": 1}, "O": {"O": 1}, "FeTe": {"Fe": 1, "Te": 1}}
HALF_WIDTH_DA = 0.3
PEAK_SIGMA_DA = 0.05

NEEDLE1 = {"Fe": 49.85, "Se": 19.94, "Te": 29.91, "O": 0.30}
NEEDLE2 = {"Fe": 45.2, "Se": 21.6, "Te": 32.9, "O": 0.30}


def range_list():
    return [IonRange(p - HALF_WIDTH_DA, p + HALF_WIDTH_DA, ion, tuple(ATOMS[ion].items()))
            for ion, peaks in PEAKS.items() for p in peaks]


def ion_probabilities(at_pct: dict, molecular_te_fraction: float) -> dict:
    """Ion-type probabilities that give ``at_pct`` atoms when a fraction of Te leaves as FeTe."""
    c = {k: v / 100 for k, v in at_pct.items()}
    q = molecular_te_fraction
    ions = {"Fe": c["Fe"] - q * c["Te"], "Se": c["Se"], "Te": (1 - q) * c["Te"], "O": c["O"], "FeTe": q * c["Te"]}
    total = sum(ions.values())
    return {k: v / total for k, v in ions.items()}


def make_needle(path, at_pct, *, n_ions=200_000, depth_nm=120.0, cap_nm=20.0, cap_o_at_pct=45.0,
                interface_nm=1.0, background=0.02, molecular=0.1, z_sign=1.0, seed=0):
    """Write a .pos needle: oxide cap of ``cap_nm`` over material of composition ``at_pct``."""
    rng = np.random.default_rng(seed)
    depth = np.sort(rng.uniform(0, depth_nm, n_ions))
    in_cap = rng.random(n_ions) < 1 / (1 + np.exp((depth - cap_nm) / (interface_nm / 4)))
    bulk_p = ion_probabilities(at_pct, molecular)
    rest = {k: v for k, v in at_pct.items() if k != "O"}
    scale = (100 - cap_o_at_pct) / sum(rest.values())
    cap_p = ion_probabilities({**{k: v * scale for k, v in rest.items()}, "O": cap_o_at_pct}, molecular)
    names = list(PEAKS)
    kind = np.where(in_cap, rng.choice(len(names), n_ions, p=[cap_p[k] for k in names]),
                    rng.choice(len(names), n_ions, p=[bulk_p[k] for k in names]))
    mass = np.empty(n_ions)
    for i, name in enumerate(names):
        sel = np.nonzero(kind == i)[0]
        peaks = np.array(PEAKS[name])
        mass[sel] = rng.choice(peaks, sel.size) + rng.normal(0, PEAK_SIGMA_DA, sel.size)
    bg = rng.random(n_ions) < background
    mass[bg] = rng.uniform(1, 150, bg.sum())
    r = 30 * np.sqrt(rng.random(n_ions))
    phi = rng.uniform(0, 2 * np.pi, n_ions)
    pos = np.column_stack([r * np.cos(phi), r * np.sin(phi), z_sign * depth]) * 1e-9
    write_pos(pos, mass, path)
    return {"mass": mass, "depth_nm": depth, "kind": kind, "background": bg, "in_cap": in_cap}


@pytest.fixture(scope="session")
def apt_study(tmp_path_factory):
    """Two needles (nominal and Fe-depleted) and their range file."""
    d = tmp_path_factory.mktemp("apt")
    write_rrng(range_list(), d / "FeSeTe.rrng")
    make_needle(d / "needle1.pos", NEEDLE1, seed=1)
    make_needle(d / "needle2.pos", NEEDLE2, seed=2, z_sign=-1.0)
    return d


def world(shape=(300, 300), seed=0):
    """A smooth random surface: the SEM view of a larger area."""
    rng = np.random.default_rng(seed)
    w = ndimage.gaussian_filter(rng.normal(size=shape), 3)
    return w + 0.5 * ndimage.gaussian_filter(rng.normal(size=shape), 8)


def render_topography(w, sem_pixel_m, truth: SimilarityTransform, n=128, map_pixel_m=16e-9):
    """cAFM topography: the world sampled on the cAFM grid placed by ``truth`` (cAFM m -> SEM m)."""
    gy, gx = np.mgrid[0:n, 0:n]
    pts = px_to_m(np.column_stack([gx.ravel(), gy.ravel()]), map_pixel_m)
    sp = m_to_px(truth(pts), sem_pixel_m)
    return ndimage.map_coordinates(w, [sp[:, 1], sp[:, 0]], order=3).reshape(n, n)


SEM_PIXEL_M = 30e-9
MAP_PIXEL_M = 16e-9
MAP_N = 128
TRUTH = SimilarityTransform(scale=1.02, rotation=np.deg2rad(12.0), translation=(3.0e-6, 2.5e-6))


@pytest.fixture(scope="session")
def overlay_scene(tmp_path_factory):
    """SEM image (TIFF), a cAFM scan (BCR files) placed by :data:`TRUTH`, and lift-out sites.

    The conducting regions are where a second smooth field is high; site 1 sits in an
    insulating and site 2 in a conducting pixel, both well away from a boundary.
    """
    from scprobe.io import bcr
    from scprobe.io.images import write_tiff

    d = tmp_path_factory.mktemp("overlay")
    w = world((300, 300), seed=0)
    topo = render_topography(w, SEM_PIXEL_M, TRUTH, MAP_N, MAP_PIXEL_M)
    rng = np.random.default_rng(5)
    field = ndimage.gaussian_filter(rng.normal(size=(MAP_N, MAP_N)), 10)
    mask = field > np.quantile(field, 0.6)
    current = np.where(mask, 5.5e-6, 0.0) + rng.normal(0, 2e-11, mask.shape)
    sem = 120 + 40 * w / w.std() + rng.normal(0, 4, w.shape)
    write_tiff(sem.astype(np.float32), d / "sem.tif", SEM_PIXEL_M)
    size = (MAP_N * MAP_PIXEL_M, MAP_N * MAP_PIXEL_M)
    bcr.write(topo * 1e-9, d / "scan-topo-fwd.bcrf", size, "m")
    bcr.write(current, d / "scan-current-fwd.bcrf", size, "A")
    dist_in = ndimage.distance_transform_edt(mask)
    dist_out = ndimage.distance_transform_edt(~mask)
    sites = {}
    for name, dist, region in (("needle1", dist_out, "insulating"), ("needle2", dist_in, "conducting")):
        row, col = np.unravel_index(np.argmax(dist), dist.shape)
        sem_xy = m_to_px(TRUTH(px_to_m([col, row], MAP_PIXEL_M)), SEM_PIXEL_M)[0]
        sites[name] = {"sem_xy_px": tuple(sem_xy), "region": region,
                       "distance_m": float(dist[row, col]) * MAP_PIXEL_M}
    map_px = np.array([[10.0, 10.0], [120.0, 15.0], [60.0, 110.0]])
    sem_px = m_to_px(TRUTH(px_to_m(map_px, MAP_PIXEL_M)), SEM_PIXEL_M)
    control = ";".join(f"{a:.4f},{b:.4f},{c:.4f},{e:.4f}" for (a, b), (c, e) in zip(sem_px, map_px))
    return {"dir": d, "sem": d / "sem.tif", "control_points": control, "topo": topo, "current": current, "mask": mask, "sites": sites,
            "map_files": [d / "scan-topo-fwd.bcrf", d / "scan-current-fwd.bcrf"]}
