"""Benchmark: ranging and depth-profiling a 10-million-ion ``.pos`` file.

scprobe memory-maps the file, assigns every ion with one ``searchsorted`` over the
sorted range edges, builds the 1 nm depth profile, finds the oxide cap and gives the
composition below it (``site_composition``; target < 10 s).  The peer is the usual
script: ``ifes_apt_tc_data_modeling`` (the NOMAD/FAIRmat APT readers) to read the
m/n and z columns, then one boolean mask per range and ``numpy.histogram`` per
element for the profile; without that package, ``numpy.fromfile`` stands in for
its reader.  Both give the same atom counts (checked).
Run: ``python bench/bench_apt.py [--ions N] [--repeat R]``.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from scprobe.composition.ranging import assign_species, atom_counts, compile_ranges, ion_counts
from scprobe.composition.sites import site_composition
from scprobe.io.apt import IonRange, RangeTable, read_pos, write_rrng

ISOTOPES = {"Fe": [53.94, 55.93, 56.94, 57.93], "Se": [73.92, 75.92, 76.92, 77.92, 79.92, 81.92],
            "Te": [119.90, 121.90, 122.90, 123.90, 124.90, 125.90, 127.90, 129.91], "O": [15.99, 16.99, 17.99]}
# every isotope singly and doubly charged (O singly), plus the FeTe2+ molecular ion: 40 ranges as in a real file
PEAKS = {el: [m / q for m in ms for q in ((1,) if el == "O" else (1, 2))] for el, ms in ISOTOPES.items()}
PEAKS["FeTe"] = [92.92]
ATOMS = {"Fe": {"Fe": 1}, "Se": {"Se": 1}, "Te": {"Te": 1}, "O": {"O": 1}, "FeTe": {"Fe": 1, "Te": 1}}


def write_needle(path: Path, n: int, seed: int = 0, chunk: int = 2_000_000) -> None:
    """A 120 nm needle with a 20 nm oxide cap, written in chunks (depth order)."""
    rng = np.random.default_rng(seed)
    names = list(PEAKS)
    bulk = np.array([0.48, 0.2, 0.28, 0.004, 0.036])
    cap = np.array([0.26, 0.1, 0.15, 0.45, 0.04])
    with open(path, "wb") as fh:
        for start in range(0, n, chunk):
            k = min(chunk, n - start)
            z = np.linspace(start, start + k, k, endpoint=False) * 120.0 / n
            in_cap = z < 20.0
            kind = np.where(in_cap, rng.choice(5, k, p=cap / cap.sum()), rng.choice(5, k, p=bulk / bulk.sum()))
            m = np.empty(k)
            for i, name in enumerate(names):
                sel = kind == i
                m[sel] = rng.choice(PEAKS[name], sel.sum()) + rng.normal(0, 0.02, sel.sum())
            bg = rng.random(k) < 0.02
            m[bg] = rng.uniform(1, 150, bg.sum())
            rec = np.empty((k, 4), ">f4")
            rec[:, 0] = rng.normal(0, 15, k)
            rec[:, 1] = rng.normal(0, 15, k)
            rec[:, 2] = z
            rec[:, 3] = m
            fh.write(rec.tobytes())


def peer(path: Path, table: RangeTable, elements) -> np.ndarray:
    """Read with the peer reader, range by boolean masks, profile by numpy.histogram."""
    try:
        from ifes_apt_tc_data_modeling.pos.pos_reader import ReadPosFileFormat

        reader = ReadPosFileFormat(str(path))
        m = np.asarray(reader.get_mass_to_charge_state_ratio().magnitude)
        z = np.asarray(reader.get_reconstructed_positions().magnitude)[:, 2]
    except ImportError:
        raw = np.fromfile(path, ">f4").reshape(-1, 4)
        m, z = raw[:, 3], raw[:, 2]
    atoms = np.zeros(len(elements))
    edges = np.arange(0, float(z.max()) + 1.0, 1.0)
    profile = {el: np.zeros(edges.size - 1) for el in elements}
    for r in table.ranges:
        sel = (m >= r.low_Da) & (m <= r.high_Da)
        zs = z[sel]
        for el, k in r.atoms:
            atoms[elements.index(el)] += k * sel.sum()
            profile[el] += k * np.histogram(zs, edges)[0]
    return atoms


def best_of(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ions", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ranges = [IonRange(p - 0.1, p + 0.1, ion, tuple(ATOMS[ion].items())) for ion, ps in PEAKS.items() for p in ps]
    table = RangeTable("bench.rrng", "rrng", (), tuple(ranges))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "needle.pos"
        write_needle(path, args.ions)
        write_rrng(ranges, Path(tmp) / "bench.rrng")

        def ours():
            compiled = compile_ranges(table)
            return compiled, site_composition(read_pos(path), compiled)

        t_sc, (compiled, site) = best_of(ours, args.repeat)
        # the peer package logs to a file in the working directory on import: keep it in tmp
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            t_peer, peer_atoms = best_of(lambda: peer(path, table, list(compiled.elements)), args.repeat)
        finally:
            os.chdir(cwd)
        ions = read_pos(path)
        ours_atoms = atom_counts(ion_counts(assign_species(ions.mass_to_charge_Da, compiled), compiled), compiled)
    assert np.array_equal(ours_atoms, peer_atoms), (ours_atoms, peer_atoms)
    print(f".pos with {args.ions:,} ions ({args.ions * 16 / 2**20:.0f} MiB), {len(ranges)} ranges, best of {args.repeat}")
    print(f"  scprobe site_composition (read, range, 1 nm profile, cap, composition) {t_sc:7.2f} s  (target < 10 s)")
    print(f"  peer (reader + mask per range + histogram per element)              {t_peer:7.2f} s")
    print(f"  ratio scprobe / peer = {t_sc / t_peer:.2f}   cap {site.cap_depth_m * 1e9:.1f} nm, "
          f"Fe {site.composition_at_pct['Fe']:.2f} at.%, unranged {100 * site.unranged_fraction:.2f} %")


if __name__ == "__main__":
    main()
