"""Benchmark: start-up of the command line, against a bare Python interpreter.

Every command pays the start-up, and ``batch`` or a shell loop pays it per call.
Targets: ``scprobe --help`` and ``--version`` < 0.3 s; ``info`` and ``map`` on a small
file < 1 s in total.  Commands run as subprocesses, interleaved, median of R.
Run: ``python bench/bench_startup.py [--repeat R]``.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from scprobe.io import bcr


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(tmp) / "small-current-fwd.bcrf"
        rng = np.random.default_rng(0)
        cur = rng.normal(0, 1e-11, (64, 64))
        cur[16:40, 16:40] += 2e-6
        bcr.write(cur, small, (64 * 15e-9, 64 * 15e-9), "A", header={"bias": "0.1", "temperature": "5"})
        cli = [sys.executable, "-m", "scprobe"]
        runs = {
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            "scprobe --version": cli + ["--version"],
            "scprobe --help": cli + ["--help"],
            "scprobe info SMALL": cli + ["info", str(small)],
            "scprobe map SMALL --json": cli + ["map", str(small), "--json"],
        }
        times: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.repeat):
            for name, cmd in runs.items():
                t0 = time.perf_counter()
                subprocess.run(cmd, capture_output=True, check=True)
                times[name].append(time.perf_counter() - t0)
    floor = statistics.median(times["python -c pass (floor)"])
    print(f"CLI start-up, median of {args.repeat} interleaved runs (64 x 64 px file)")
    for name, t in times.items():
        med = statistics.median(t)
        print(f"  {name:<26} {med:6.3f} s   ({med / floor:5.1f} x bare python)")
    print("  targets: --help/--version < 0.3 s, info/map on a small file < 1 s")


if __name__ == "__main__":
    main()
