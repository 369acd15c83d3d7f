"""A tiny hand-made study (BCRF scans written with the foundation's writer) for the runner's mechanics."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scprobe.io import bcr

PIXEL_M = 15e-9


def write_scan(folder: Path, base: str, current: np.ndarray, topo: np.ndarray, *, backward=None) -> list[str]:
    """Daisy-style files for one scan; returns names relative to ``folder.parent``."""
    folder.mkdir(parents=True, exist_ok=True)
    ny, nx = current.shape
    size = (ny * PIXEL_M, nx * PIXEL_M)
    names = []
    traces = [("fwd", current, topo)] + ([("bwd", backward, topo)] if backward is not None else [])
    for d, cur, z in traces:
        for ch, data, unit in (("topo", z, "m"), ("current", cur, "A")):
            p = folder / f"{base}-{ch}-{d}.bcrf"
            bcr.write(data, p, size, unit)
            names.append(f"{folder.name}/{p.name}")
    return names


def make_study(root: Path, *, header_name: str = "tiny sample", extra: str = "") -> Path:
    """Three scans of area A (1.5 K, 20 K with both traces, re-cooled 1.5 K) and one of area B."""
    from scipy import ndimage

    rng = np.random.default_rng(0)
    n = 64
    topo = rng.normal(0, 1e-10, (n, n)).cumsum(axis=1) * 0.1

    def current(*blocks):
        """Noise plus conducting blocks ``(y0, y1, x0, x1, amps)`` blurred by a 1 px tip."""
        clean = np.zeros((n, n))
        for y0, y1, x0, x1, amps in blocks:
            clean[y0:y1, x0:x1] = amps
        return ndimage.gaussian_filter(clean, 1.0) + rng.normal(0, 1e-10, (n, n))

    cur = current((10, 30, 10, 40, 5.5e-6))
    warm = current((20, 23, 20, 23, 3e-6))
    warm_b = current()
    recool = current((11, 30, 10, 41, 5.5e-6))
    other = current((40, 60, 5, 20, 3.5e-6))
    scans = root / "scans"
    entries = [
        ("1.5K", write_scan(scans, "A1", cur, topo), 1.5, 0.1, "A", 1, False),
        ("20K", write_scan(scans, "A2", warm, topo, backward=warm_b), 20.0, 0.1, "A", 2, False),
        ("1.5K recooled", write_scan(scans, "A3", recool, topo), 1.5, 0.05, "A", 3, True),
        ("B 1.5K", write_scan(scans, "B1", other, rng.normal(0, 1e-10, (n, n))), 1.5, 0.1, "B", 4, False),
    ]
    lines = ["schema_version = 1", "", "[sample]", f'name = "{header_name}"', 'formula = "Fe(Se0.4Te0.6)"', ""]
    for label, files, t, v, area, seq, rec in entries:
        lines += ["[[scans]]", f'label = "{label}"', "files = [" + ", ".join(f'"{f}"' for f in files) + "]",
                  f"temperature_K = {t}", f"bias_V = {v}", f'area = "{area}"', f"sequence = {seq}",
                  f"recooled = {'true' if rec else 'false'}", ""]
    lines += ["[transport]", 'contacts = "vdp"', 'model = "classified"', 'scan = "1.5K"', "",
              "[percolation]", "sample_size_m = 1e-5", "realizations = 2", "dim = 2", "seed = 0", ""]
    path = root / "study.toml"
    path.write_text("\n".join(lines) + extra + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def make_tiny_study():
    """:func:`make_study`, for fixtures of wider scope."""
    return make_study


@pytest.fixture()
def tiny_study(tmp_path) -> Path:
    return make_study(tmp_path / "study")
