"""Benchmark: reading a large Quantum Design .dat file with scprobe vs ``pandas.read_csv``.

``pandas.read_csv`` of the data section alone (header lines skipped, column names given) is the
floor any QD reader pays; scprobe also parses the header (INFO, units, sample), detects the
encoding and converts numeric columns to float64 with empty cells as NaN.  Also times the whole
bulk analysis of a simulated study.  Target: ratio <= 2.
Run: ``python bench/bench_bulk.py [--rows N] [--repeat R]``.
"""
from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from scprobe.io.qd import read_qd


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def write_vsm(path: Path, rows: int) -> int:
    """A VSM-like file: 57 columns, a third of them empty, Latin-1 column names; returns header lines."""
    rng = np.random.default_rng(0)
    names = ["Comment", "Time Stamp (sec)", "Temperature (K)", "Magnetic Field (Oe)", "Moment (emu)",
             "M. Std. Err. (emu)"] + [f"Col {i} (\u00b5A)" for i in range(51)]
    header = ["[Header]", "TITLE,M vs H, 2 K", "BYAPP,VSM,1.0,1.0", "INFO,PPMS VSM Option,APPNAME",
              "INFO,FeSeTe,SAMPLE_MATERIAL", "[Data]", ",".join(names)]
    data = rng.normal(size=(rows, len(names) - 1))
    lines = []
    for r in data:
        cells = [f"{v:.9g}" if j % 3 else "" for j, v in enumerate(r)]
        lines.append("," + ",".join(cells))
    path.write_bytes(("\r\n".join(header + lines) + "\r\n").encode("latin-1"))
    return len(header)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vsm.dat"
        nhead = write_vsm(path, args.rows)
        names = read_qd(path).columns

        def peer():
            text = path.read_bytes().decode("latin-1")
            return pd.read_csv(io.StringIO(text), skiprows=nhead, header=None, names=names, index_col=False)

        t_pd = best_of(peer, args.repeat)
        t_sc = best_of(lambda: read_qd(path), args.repeat)
        same = np.allclose(peer().iloc[:, 1:].to_numpy(float), read_qd(path).data.iloc[:, 1:].to_numpy(float),
                           equal_nan=True)
        print(f"QD .dat {args.rows} rows x {len(names)} columns ({path.stat().st_size / 2**20:.1f} MiB), "
              f"best of {args.repeat}")
        print(f"  pandas.read_csv   {t_pd * 1e3:8.1f} ms")
        print(f"  scprobe read_qd   {t_sc * 1e3:8.1f} ms   (same values as pandas: {same})")
        print(f"  ratio scprobe / pandas = {t_sc / t_pd:.2f}  (target <= 2)")
        try:
            from scprobe.bulk import SampleGeometry, analyze_bulk
            from scprobe.simulate.bulk import write_bulk
            from scprobe.simulate.params import BulkParams, SpecimenParams
        except ImportError:
            return
        sp = SpecimenParams()
        files, _ = write_bulk(tmp, BulkParams(), sp, 0)
        geo = SampleGeometry(dimensions_mm=sp.dimensions_mm, mass_g=sp.mass_g, density_g_cm3=sp.density_g_cm3,
                             molar_mass_g_mol=sp.molar_mass_g_mol, atoms_per_formula_unit=sp.atoms_per_formula_unit)
        paths = {k: Path(tmp) / v for k, v in files.items() if k != "field_Oe"}
        t_all = best_of(lambda: analyze_bulk(**paths, geometry=geo, field_Oe=files["field_Oe"]), args.repeat)
        print(f"  analyze_bulk on the four simulated files: {t_all * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
