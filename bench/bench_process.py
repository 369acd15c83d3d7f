"""Processing steps vs Gwyddion's C (gwy-oracle time) on the same 4096 x 4096 field; prints time ratios.

Usage: python bench/bench_process.py [--size N] [--repeat R] [--ops plane,scars,...]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from scprobe.process import align_rows_array, poly_background, remove_scars_array, subtract_plane

SHARED = Path(os.environ.get("SCPROBE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
ORACLE_CANDIDATES = (SHARED / "tools/gwy-oracle/gwy-oracle", Path.home() / ".cache/gwy-oracle/gwy-oracle")

OPS = {
    "plane": (["plane"], lambda z: subtract_plane(z, subtract_offset=False)),
    "plane-fit": (["plane-fit"], subtract_plane),
    "poly 3": (["poly", "3"], lambda z: z - poly_background(z, 3)),
    "rows-median": (["rows-median"], lambda z: align_rows_array(z, "median")),
    "rows-mediandiff": (["rows-mediandiff"], lambda z: align_rows_array(z, "mediandiff")),
    "scars": (["scars"], remove_scars_array),
}


def oracle() -> str | None:
    for cand in ORACLE_CANDIDATES:
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which("gwy-oracle")


def once(func, z) -> float:
    t0 = time.perf_counter()
    func(z)
    return time.perf_counter() - t0


def gwyddion_once(exe, gwy_args, path) -> float:
    """One timed run of Gwyddion's routine (gwy-oracle times it internally, excluding start-up and I/O)."""
    res = subprocess.run([exe, "time", gwy_args[0], str(path), *gwy_args[1:], "--repeat", "1"],
                         capture_output=True, text=True, check=True)
    return float(json.loads(res.stdout)["median_s"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--ops", default=",".join(OPS), help="comma-separated subset of: " + ", ".join(OPS))
    args = ap.parse_args()
    z = np.random.default_rng(1).standard_normal((args.size, args.size))
    exe = oracle()
    if exe is None:
        raise SystemExit("gwy-oracle not found (bash ../shared/tools/gwy-oracle/build.sh, or set SCPROBE_SHARED)")
    print(f"field {args.size} x {args.size}; scprobe and Gwyddion timed alternately, median of {args.repeat} each;"
          " ratio = scprobe / Gwyddion")
    print("(Gwyddion works in place on a copy made untimed; scprobe returns a new array, whose page faults count)")
    print(f"{'op':<17}{'scprobe s':>11}{'gwyddion s':>12}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.npy"
        np.save(path, z)
        for name in args.ops.split(","):
            gwy_args, func = OPS[name]
            func(z)  # warm-up (imports, first calls)
            ours, theirs = [], []
            for _ in range(args.repeat):
                ours.append(once(func, z))
                theirs.append(gwyddion_once(exe, gwy_args, path))
            a, b = float(np.median(ours)), float(np.median(theirs))
            print(f"{name:<17}{a:>11.3f}{b:>12.3f}{a / b:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
