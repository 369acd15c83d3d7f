"""Benchmark: reading a 4096 x 4096 BCRF file with scprobe vs ``numpy.fromfile``.

``numpy.fromfile`` of the float32 payload is the floor any reader pays; scprobe
also parses the header, converts to float64 SI units and marks void pixels.
Target: ratio <= 2.  Run: ``python bench/bench_io.py [--size N] [--repeat R]``.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from scprobe.io import bcr


def best_of(fns, repeat: int) -> list[float]:
    """Best time of each function; runs are interleaved so load from other processes hits both alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    n = args.size
    rng = np.random.default_rng(0)
    data = rng.normal(5e-9, 1e-9, (n, n))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-topo-fwd.bcrf"
        bcr.write(path, data, (1e-6, 1e-6), "m")
        _, offset, _ = bcr.read_header(path)
        t_np, t_sc = best_of([lambda: np.fromfile(path, dtype="<f4", count=n * n, offset=offset),
                              lambda: bcr.read(path)], args.repeat)
        check = bcr.read(path)[0].data
    err = float(np.max(np.abs(check - data)) / np.max(np.abs(data)))
    print(f"BCRF {n} x {n} float32 ({n * n * 4 / 2**20:.0f} MiB), best of {args.repeat}")
    print(f"  numpy.fromfile    {t_np * 1e3:8.1f} ms")
    print(f"  scprobe bcr.read  {t_sc * 1e3:8.1f} ms   (max relative error vs written data {err:.1e})")
    print(f"  ratio scprobe / numpy.fromfile = {t_sc / t_np:.2f}  (target <= 2)")


if __name__ == "__main__":
    main()
