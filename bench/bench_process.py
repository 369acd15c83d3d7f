"""Processing steps vs Gwyddion's C (gwy-oracle time) on the same 4096 x 4096 field; prints time ratios.

Every step of ``scprobe.process.STEPS`` is timed; the ones gwy-oracle implements are compared with it.

What is timed (like with like, as far as the two APIs allow):

* Gwyddion (``gwy-oracle time OP IN.npy --repeat 1``, run as a subprocess): the input is read from the .npy
  once and copied into a work field before the clock starts (file loading and that copy are *not* timed);
  the clock then covers the library calls of the GUI module, which work **in place** on the already
  touched work field, plus the allocations they make (masks, shift lines); one thread (Gwyddion's OpenMP off).
* scprobe: the public array function on the in-memory array (no file loading either); it never modifies its
  input, so its time **includes allocating and first-touching the new 128 MiB result**, which Gwyddion's
  in-place timing does not (the cost of that alone is printed as "fresh array"); large fields use two threads.

The default field is white noise (``standard_normal``, seed 1), as in gwy-oracle's README; ``--field current``
or ``--field topography`` uses that channel of a map from scprobe's simulator (bench_map's sample and instrument:
line offsets, scars, noise), where scar removal has real scars to mark and fill (4.7 million pixels on the
4096^2 topography).

Usage: python bench/bench_process.py [--size N] [--repeat R] [--ops plane,scars,...] [--field random|current|topography]
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

from scprobe.process import STEPS, align_rows_array, crop, poly_background, remove_scars_array, subtract_plane
from scprobe.scan import make_scan

SHARED = Path(os.environ.get("SCPROBE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
ORACLE_CANDIDATES = (SHARED / "tools/gwy-oracle/gwy-oracle", Path("/work/shared/tools/gwy-oracle/gwy-oracle"),
                     Path.home() / ".cache/gwy-oracle/gwy-oracle")

# name: (scprobe step, gwy-oracle arguments or None when Gwyddion has no counterpart there, function of (z, scan))
OPS = {
    "plane": ("plane", ["plane-fit"], lambda z, s: subtract_plane(z)),
    "plane-gui": ("plane", ["plane"], lambda z, s: subtract_plane(z, subtract_offset=False)),
    "poly:3": ("poly", ["poly", "3"], lambda z, s: z - poly_background(z, 3)),
    "rows:median": ("rows", ["rows-median"], lambda z, s: align_rows_array(z, "median")),
    "rows:mediandiff": ("rows", ["rows-mediandiff"], lambda z, s: align_rows_array(z, "mediandiff")),
    "rows:poly1": ("rows", None, lambda z, s: align_rows_array(z, "poly", 1)),
    "scars": ("scars", ["scars"], lambda z, s: remove_scars_array(z)),
    "crop": ("crop", None, lambda z, s: crop(s, 0, 0, z.shape[1] // 2, z.shape[0] // 2)),
}
assert {step for step, _, _ in OPS.values()} == set(STEPS), "every processing step must be benchmarked"


def oracle() -> str | None:
    for cand in ORACLE_CANDIDATES:
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which("gwy-oracle")


def once(func, *args) -> tuple[float, float]:
    """Wall and CPU (all threads) seconds of one call."""
    c0, t0 = time.process_time(), time.perf_counter()
    func(*args)
    return time.perf_counter() - t0, time.process_time() - c0


def gwyddion_once(exe, gwy_args, path) -> tuple[float, bool]:
    """One timed run of Gwyddion's routine (timed inside gwy-oracle, see the module docstring)."""
    res = subprocess.run([exe, "time", gwy_args[0], str(path), *gwy_args[1:], "--repeat", "1"],
                         capture_output=True, text=True, check=True)
    out = json.loads(res.stdout)
    return float(out["median_s"]), bool(out["threads"])


def make_field(kind: str, size: int) -> np.ndarray:
    """The benchmark field: white noise, or one channel of a simulated map."""
    if kind == "random":
        return np.random.default_rng(1).standard_normal((size, size))
    from scprobe.simulate import InstrumentParams, SampleParams, measure, sample_landscape

    landscape = sample_landscape(SampleParams(), seed=1, shape=(size, size))
    return np.asarray(measure(landscape, InstrumentParams(), 1.5, 0.1, seed=1)[kind], dtype=float)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--ops", default=",".join(OPS), help="comma-separated subset of: " + ", ".join(OPS))
    ap.add_argument("--field", choices=("random", "current", "topography"), default="random")
    args = ap.parse_args()
    z = make_field(args.field, args.size)
    scan = make_scan({"topography": z}, pixel_size_m=1e-9)
    exe = oracle()
    if exe is None:
        raise SystemExit("gwy-oracle not found (bash ../shared/tools/gwy-oracle/build.sh, or set SCPROBE_SHARED)")
    print(f"{args.field} field {args.size} x {args.size} float64 ({z.nbytes / 2**20:.0f} MiB); scprobe and Gwyddion timed "
          f"alternately, median of {args.repeat} each; ratio = scprobe / Gwyddion (wall)")
    print("Gwyddion: in place on a pre-touched copy of the input (copy and file loading not timed), one thread.")
    print("scprobe: returns a new array (its allocation and page faults are timed), no file loading; cpu s counts"
          " all threads.")
    fresh = [once(np.add, z, 0.0)[0] for _ in range(args.repeat)]
    print(f"fresh array (z + 0.0 into a new array, the part Gwyddion's timing leaves out): "
          f"{np.median(fresh):.3f} s")
    print(f"{'op':<17}{'scprobe s':>11}{'cpu s':>8}{'gwyddion s':>12}{'ratio':>8}{'ratio+copy':>12}")
    print("(ratio+copy: against Gwyddion's time plus the fresh array, i.e. Gwyddion keeping its input as scprobe does)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.npy"
        np.save(path, z)
        for name in args.ops.split(","):
            _, gwy_args, func = OPS[name]
            func(z, scan)  # warm-up (imports, first calls)
            ours, cpu, theirs = [], [], []
            for _ in range(args.repeat):
                wall, c = once(func, z, scan)
                ours.append(wall)
                cpu.append(c)
                if gwy_args is not None:
                    t, threads = gwyddion_once(exe, gwy_args, path)
                    assert not threads, "gwy-oracle should time Gwyddion single-threaded"
                    theirs.append(t)
            a = float(np.median(ours))
            line = f"{name:<17}{a:>11.3f}{float(np.median(cpu)):>8.3f}"
            if theirs:
                b = float(np.median(theirs))
                line += f"{b:>12.3f}{a / b:>8.2f}{a / (b + float(np.median(fresh))):>12.2f}"
            else:
                line += f"{'-':>12}{'-':>8}  (no counterpart in gwy-oracle)"
            print(line, flush=True)


if __name__ == "__main__":
    main()
