"""Full single-map analysis of a 4096 x 4096 current map (target < 5 s on 2 cores).

The map comes from the simulator (sample landscape + instrument model).  The
peer is Gwyddion's threshold grain marking on the same current map
(``gwy-oracle time mark-threshold``), the only part of the analysis Gwyddion
does in one call; the ratio printed is scprobe's full analysis over it.

Usage: python bench/bench_map.py [--size N] [--repeat R]
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

from scprobe.analysis import analyze_map
from scprobe.scan import make_scan
from scprobe.simulate import InstrumentParams, SampleParams, measure, sample_landscape

TARGET_S = 5.0
ORACLE_CANDIDATES = (Path(__file__).resolve().parents[2] / "shared/tools/gwy-oracle/gwy-oracle",
                     Path.home() / ".cache/gwy-oracle/gwy-oracle")


def oracle() -> str | None:
    for cand in ORACLE_CANDIDATES:
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which("gwy-oracle")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    sp, ip = SampleParams(), InstrumentParams()
    landscape = sample_landscape(sp, seed=1, shape=(args.size, args.size))
    traces = measure(landscape, ip, 1.5, 0.1, seed=1)
    scan = make_scan({k: traces[k] for k in ("topography", "deflection", "current")}, sp.pixel_size_m,
                     temperature_K=1.5, bias_V=0.1)
    print(f"simulated {args.size} x {args.size} map in {time.perf_counter() - t0:.1f} s")
    times, cpu = [], []
    for _ in range(args.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = analyze_map(scan)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    ours = float(np.median(times))
    d = result.to_dict()
    print(f"fraction {d['conducting_fraction']:.4f}, regions {d['regions']['count']}, "
          f"states {[round(s['current_A'] * 1e6, 3) for s in d['states']]} uA, "
          f"edge {d['edge_width_m']['median']:.3g} m ({d['edge_width_m']['n_profiles']} profiles)")
    # CPU time shows what the analysis costs when other jobs share the cores
    print(f"scprobe analyze_map: {ours:.2f} s wall, {float(np.median(cpu)):.2f} s CPU (median of {args.repeat}); "
          f"target {TARGET_S} s, ratio to target {ours / TARGET_S:.2f}")
    exe = oracle()
    if exe:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "current.npy"
            np.save(path, traces["current"])
            res = subprocess.run([exe, "time", "mark-threshold", str(d["threshold_A"]), str(path), "--no-sizes",
                                  "--repeat", str(args.repeat)], capture_output=True, text=True, check=True)
            theirs = json.loads(res.stdout)["median_s"]
        print(f"gwyddion mark-threshold alone: {theirs:.2f} s; "
              f"ratio scprobe full analysis / gwyddion {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
