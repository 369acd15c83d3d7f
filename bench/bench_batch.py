"""Batch throughput: map analysis of N synthetic 512 x 512 current maps with 1 and 2 workers.

    python bench/bench_batch.py [--n 500] [--size 512] [--keep DIR]

Writes N BCRF current maps (correlated conducting islands, 0.1 nA noise), then runs
``scprobe.batch.run_batch`` in-process (1 worker) and on a local dask cluster of 2
single-threaded worker processes, each into a fresh output folder.  Prints files/s,
the per-file overhead of the batch machinery (wall time per file minus the analysis
time per file measured in-process, without batch), and the 2-worker speed-up
(target >= 1.7x).  The two result tables must be identical.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

from scprobe.batch import map_row, run_batch
from scprobe.io import bcr
from scprobe.scan import sha256_file


def write_maps(folder: Path, n: int, size: int, pixel_m: float = 15e-9) -> list[Path]:
    """``n`` synthetic current maps: thresholded smoothed noise, blurred edges, amplifier noise."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        rng = np.random.default_rng(k)
        field = ndimage.gaussian_filter(rng.normal(size=(size, size)), 12.0)
        islands = field > np.quantile(field, 0.9)
        cur = ndimage.gaussian_filter(islands * 5.5e-6, 1.0) + rng.normal(2e-11, 2.5e-11, (size, size))
        p = folder / f"bench{k:05d}-current-fwd.bcrf"
        bcr.write(cur, p, (size * pixel_m, size * pixel_m), "A")
        paths.append(p)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500, help="number of files (default 500)")
    ap.add_argument("--size", type=int, default=512, help="map side, pixels (default 512)")
    ap.add_argument("--keep", type=Path, help="keep inputs and outputs in this folder")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="scprobe-bench-batch-"))
    try:
        t0 = time.perf_counter()
        paths = write_maps(root / "maps", args.n, args.size)
        print(f"wrote {args.n} maps of {args.size} x {args.size} px in {time.perf_counter() - t0:.1f} s")
        sample = paths[: min(10, len(paths))]
        t0 = time.perf_counter()
        for p in sample:
            map_row(p.as_posix(), sha256_file(p))
        analysis_s = (time.perf_counter() - t0) / len(sample)
        pattern = [str(root / "maps" / "*.bcrf")]
        r1 = run_batch(pattern, root / "out1", workers=1)
        r2 = run_batch(pattern, root / "out2", workers=2)
        same = r1.table_csv.read_bytes() == r2.table_csv.read_bytes()
        for name, r in (("1 worker ", r1), ("2 workers", r2)):
            print(f"{name}: {r.processed} files in {r.seconds:7.1f} s = {r.processed / r.seconds:6.2f} files/s "
                  f"(failed {r.failed})")
        print(f"analysis alone: {analysis_s * 1e3:.0f} ms/file; batch overhead with 1 worker: "
              f"{(r1.seconds / r1.processed - analysis_s) * 1e3:.0f} ms/file")
        ratio = r1.seconds / r2.seconds
        print(f"speed-up with 2 workers: {ratio:.2f}x (target >= 1.7x); tables identical: {same}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
