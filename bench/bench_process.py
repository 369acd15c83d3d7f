"""Processing steps vs Gwyddion's C (gwy-oracle time) on the same 4096 x 4096 field; prints time ratios.

Usage: python bench/bench_process.py [--size N] [--repeat R]
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


def best_of(func, z, repeat):
    func(z)  # warm-up: first-touch page faults of the output, as gwy-oracle copies its work field untimed
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        func(z)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    z = np.random.default_rng(1).standard_normal((args.size, args.size))
    exe = oracle()
    print(f"field {args.size} x {args.size}, median of {args.repeat} runs; ratio = scprobe / Gwyddion")
    print(f"{'op':<17}{'scprobe s':>11}{'gwyddion s':>12}{'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.npy"
        np.save(path, z)
        for name, (gwy_args, func) in OPS.items():
            ours = best_of(func, z, args.repeat)
            theirs = float("nan")
            if exe:
                res = subprocess.run([exe, "time", *gwy_args[:1], str(path), *gwy_args[1:], "--repeat",
                                      str(args.repeat)], capture_output=True, text=True, check=True)
                theirs = json.loads(res.stdout)["median_s"]
            print(f"{name:<17}{ours:>11.3f}{theirs:>12.3f}{ours / theirs:>8.2f}")


if __name__ == "__main__":
    main()
