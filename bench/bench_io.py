"""Benchmark: opening a 4096 x 4096 BCRF scan with scprobe vs ``numpy.fromfile``.

``open_scan`` parses the header, decodes to float64 SI units with voids as NaN, builds
the xarray Scan and records the file's sha256 (provenance) -- from the same bytes it
decodes, hashed in a thread meanwhile.  Peers measured in the same run, interleaved:

* ``numpy.fromfile(...) * 1.0``: the payload read and scaled into float64, what scprobe
  returns -- the peer of #20 (target: ``open_scan`` <= 1.5 x it);
* ``numpy.fromfile`` of the float32 payload alone: information, the floor of any reader;
* ``hashlib.sha256`` of the file's bytes alone: the provenance cost that overlaps the decode
  (with SHA-NI ~1.7 GB/s: the hash, not the decode, sets the pace of ``open_scan``).

Run: ``python bench/bench_io.py [--size N] [--repeat R]``; prints medians and ratios.
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from scprobe.io import bcr, open_scan


def medians(fns: dict, repeat: int) -> dict[str, float]:
    """Median time of each function; runs are interleaved so load from other processes hits all alike."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    n = args.size
    rng = np.random.default_rng(0)
    data = rng.normal(5e-9, 1e-9, (n, n))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench-current-fwd.bcrf"
        bcr.write(data, path, (1e-6, 1e-6), "A")
        _, offset, _ = bcr.read_header(path)
        fns = {
            "numpy.fromfile (float32)": lambda: np.fromfile(path, dtype="<f4", count=n * n, offset=offset),
            "numpy.fromfile * 1.0": lambda: np.fromfile(path, dtype="<f4", count=n * n, offset=offset) * 1.0,
            "sha256 of the file": lambda: hashlib.sha256(path.read_bytes()).hexdigest(),
            "scprobe open_scan": lambda: open_scan(path),
        }
        t = medians(fns, args.repeat)
        scan = open_scan(path)
        assert scan.attrs["source_files"][0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    err = float(np.max(np.abs(scan["current"].values - data)) / np.max(np.abs(data)))
    print(f"BCRF {n} x {n} float32 ({n * n * 4 / 2**20:.0f} MiB), median of {args.repeat}, interleaved")
    for name, sec in t.items():
        print(f"  {name:<28} {sec * 1e3:8.1f} ms")
    print(f"  (max relative error of open_scan vs written data {err:.1e}; provenance sha256 kept)")
    peer = t["numpy.fromfile * 1.0"]
    ratio = t["scprobe open_scan"] / peer
    print(f"  ratio open_scan / numpy.fromfile * 1.0    = {ratio:.2f}  (target <= 1.5: "
          f"{'met' if ratio <= 1.5 else 'NOT met'})")
    print(f"  ratio sha256 alone / numpy.fromfile * 1.0 = {t['sha256 of the file'] / peer:.2f}  "
          "(the floor while provenance hashes every byte)")
    print(f"  ratio open_scan / numpy.fromfile float32  = {t['scprobe open_scan'] / t['numpy.fromfile (float32)']:.2f}"
          "  (information: no float64, no provenance)")


if __name__ == "__main__":
    main()
