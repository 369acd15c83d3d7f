"""Full single-map analysis of a 4096 x 4096 current map (target < 5 s on 2 cores) and its peak memory.

The map comes from the simulator (sample landscape + instrument model).  The
peer is Gwyddion's threshold grain marking on the same current map
(``gwy-oracle time mark-threshold``), the only part of the analysis Gwyddion
does in one call; the ratio printed is scprobe's full analysis over it.

Memory: ``scprobe map FILE --json`` runs in a child process on the map written as Daisy
BCRF files (topography, deflection, current: the sibling files ``map`` reads), and its
peak resident set (``VmHWM``) is printed against the input size, defined as the bytes of
the files read (three float32 BCRF files, 192 MiB at 4096^2; target <= 4x); the
resident set of a child that only imports scprobe is printed too, as the floor.

Usage: python bench/bench_map.py [--size N] [--repeat R]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from scprobe.analysis import analyze_map
from scprobe.scan import make_scan
from scprobe.simulate import InstrumentParams, SampleParams, measure, sample_landscape

TARGET_S = 5.0
#: Peak resident memory of ``scprobe map`` at most this many times the bytes of the files it reads.
TARGET_RSS_RATIO = 4.0
ORACLE_CANDIDATES = (Path(__file__).resolve().parents[2] / "shared/tools/gwy-oracle/gwy-oracle",
                     Path.home() / ".cache/gwy-oracle/gwy-oracle")


def oracle() -> str | None:
    for cand in ORACLE_CANDIDATES:
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which("gwy-oracle")


def child_peak_rss(code: str, *args: str) -> int:
    """Peak resident set of a fresh Python running ``code`` with ``args``, bytes.

    Read from the child's own ``VmHWM`` (Linux): ``ru_maxrss`` would carry the RSS of this
    (large) parent across fork and exec.
    """
    wrapper = ("import sys\n"
               f"sys.argv = ['x', *{list(args)!r}]\n"
               f"exec({code!r})\n"
               "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))")
    res = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")})
    return int(res.stdout.strip().splitlines()[-1]) * 1024


def peak_rss_of_map(scan, folder: Path) -> tuple[int, int, int]:
    """Peak RSS of ``scprobe map`` on ``scan`` written as BCRF files, of importing scprobe alone, and the
    bytes of the files ``map`` reads."""
    from scprobe.io import bcr

    px = scan.attrs["pixel_size_m"]
    ny, nx = scan.sizes["y"], scan.sizes["x"]
    for name, unit in (("topography", "m"), ("deflection", "V"), ("current", "A")):
        bcr.write(np.asarray(scan[name].values), folder / f"bench-{name}-fwd.bcrf", (ny * px, nx * px), unit,
                  header={"temperature": 1.5})
    cli = ("from scprobe.cli import run\nimport contextlib, io\n"
           "with contextlib.redirect_stdout(io.StringIO()):\n"
           "    try:\n        run()\n    except SystemExit as e:\n        assert not e.code, e.code\n")
    peak = child_peak_rss(cli, "map", str(folder / "bench-current-fwd.bcrf"), "--json")
    floor = child_peak_rss("import scprobe.cli, scprobe.analysis, scprobe.io")
    from scprobe.io.group import scan_files

    read = sum(f.stat().st_size for f in scan_files(folder / "bench-current-fwd.bcrf"))
    return peak, floor, read


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
    with tempfile.TemporaryDirectory() as tmp:
        peak, floor, size = peak_rss_of_map(scan, Path(tmp))
    print(f"scprobe map peak RSS: {peak / 2**20:.0f} MiB = {peak / size:.2f} x the input "
          f"({size / 2**20:.0f} MiB: the bytes of the 3 BCRF files read; import floor {floor / 2**20:.0f} MiB, "
          f"above it {(peak - floor) / size:.2f} x); target <= {TARGET_RSS_RATIO:g} x")
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
