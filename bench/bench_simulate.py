"""Benchmark: time of the default study (512 px) against the 20 s budget and the raw-I/O floor.

There is no peer simulator for this study; the reference run in the same process is the
floor of any simulator that writes the same bytes: the study's files copied with numpy
(read once, written again).  Prints seconds and the ratios.

Run: ``python bench/bench_simulate.py [--size 512] [--repeat 2]``
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from scprobe.simulate import simulate_study

BUDGET_S = 20.0


def _io_floor(src: Path, dst: Path) -> float:
    files = [p for p in src.rglob("*") if p.is_file()]
    blobs = [(p.relative_to(src), np.fromfile(p, dtype=np.uint8)) for p in files]
    start = time.perf_counter()
    for rel, blob in blobs:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        blob.tofile(dst / rel)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        times = []
        for i in range(args.repeat):
            out = Path(tmp) / f"run{i}"
            start = time.perf_counter()
            simulate_study(out, seed=0, size=args.size)
            times.append(time.perf_counter() - start)
        best = min(times)
        floor = _io_floor(Path(tmp) / "run0", Path(tmp) / "copy")
        nbytes = sum(p.stat().st_size for p in (Path(tmp) / "run0").rglob("*") if p.is_file())
        shutil.rmtree(Path(tmp) / "copy", ignore_errors=True)
    print(f"simulate_study size={args.size}: best {best:.2f} s of {args.repeat} ({nbytes / 1e6:.1f} MB written)")
    print(f"raw I/O floor (same bytes): {floor:.3f} s  -> ratio simulate / floor = {best / floor:.1f}")
    print(f"budget {BUDGET_S:.0f} s -> ratio simulate / budget = {best / BUDGET_S:.2f}")


if __name__ == "__main__":
    main()
