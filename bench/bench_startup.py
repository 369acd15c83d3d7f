"""Benchmark: start-up and small-file commands of the command line, against a bare Python interpreter.

Every command pays the start-up, and ``batch`` or a shell loop pays it per call.
Targets (#20): ``scprobe --help`` and ``--version`` < 0.3 s; any command on a small
file < 1 s in total.  The small files are a 64 x 64 px simulated study
(``scprobe simulate DIR --size 64``): its scans (BCRF, Daisy siblings) and its bulk
files.  Each command runs as a subprocess, the rows interleaved so load from other
processes hits all alike; wall time is the median of R runs, CPU time (user + system
of the child) its median too.  ``python -c pass`` is the floor, ``python -c "import
xarray"`` shows what the Scan model alone costs.  Children compile to bytecode once (a
cache in a temporary folder, one untimed warm-up round), as an installed package does,
even where ``PYTHONDONTWRITEBYTECODE`` is set.

Run: ``python bench/bench_startup.py [--repeat R] [--figures]`` (``--figures``
adds ``map --out``, whose drawing belongs to the figures' own budget).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HELP_TARGET_S = 0.3
SMALL_FILE_TARGET_S = 1.0


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, env=env, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr.decode()[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--figures", action="store_true", help="also time map --out (figures)")
    args = ap.parse_args()
    cli = [sys.executable, "-m", "scprobe"]
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        study = Path(tmp) / "small"
        subprocess.run(cli + ["simulate", str(study), "--size", "64"], check=True, capture_output=True, env=env)
        scans = study / "scans"
        a1, a2 = scans / "A01_1p5K-current-fwd.bcrf", scans / "A02_8K-current-fwd.bcrf"
        out = Path(tmp) / "out"
        runs = {
            "python -c pass (floor)": ([sys.executable, "-c", "pass"], None),
            "python -c 'import xarray'": ([sys.executable, "-c", "import xarray"], None),
            "scprobe --version": (cli + ["--version"], HELP_TARGET_S),
            "scprobe --help": (cli + ["--help"], HELP_TARGET_S),
            "scprobe info SCAN": (cli + ["info", str(a1)], SMALL_FILE_TARGET_S),
            "scprobe map SCAN --json": (cli + ["map", str(a1), "--json"], SMALL_FILE_TARGET_S),
            "scprobe map SCAN": (cli + ["map", str(a1)], SMALL_FILE_TARGET_S),
            "scprobe compare SCAN1 SCAN2": (cli + ["compare", str(a1), str(a2), "--json"], SMALL_FILE_TARGET_S),
            "scprobe bulk (4 files)": (cli + ["bulk", "--sample", str(study / "study.toml"), "--json"],
                                       SMALL_FILE_TARGET_S),
            "scprobe export SCAN --to nc": (cli + ["export", str(a1), "--to", "nc", "--out",
                                                   str(out / "a.nc"), "--json"], SMALL_FILE_TARGET_S),
            "scprobe export SCAN --to gwy": (cli + ["export", str(a1), "--to", "gwy", "--out",
                                                    str(out / "a.gwy"), "--json"], SMALL_FILE_TARGET_S),
            "scprobe export SCAN --to png": (cli + ["export", str(a1), "--to", "png", "--out",
                                                    str(out / "a.png"), "--json"], SMALL_FILE_TARGET_S),
        }
        if args.figures:
            runs["scprobe map SCAN --out (figures)"] = (cli + ["map", str(a1), "--json", "--out", str(out)], None)
        for cmd, _ in runs.values():  # warm-up: bytecode compiled, files in the page cache
            timed(cmd, env)
        wall: dict[str, list[float]] = {k: [] for k in runs}
        cpu: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.repeat):
            for name, (cmd, _) in runs.items():
                w, c = timed(cmd, env)
                wall[name].append(w)
                cpu[name].append(c)
    floor = statistics.median(wall["python -c pass (floor)"])
    print(f"CLI commands on a 64 x 64 px simulated study: median of {args.repeat} interleaved runs")
    print(f"  {'command':<34} {'wall s':>7} {'CPU s':>7} {'x python':>9}  target")
    met = []
    for name, (_, target) in runs.items():
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        verdict = ""
        if target is not None:
            verdict = f"< {target:g} s  {'met' if w < target else 'NOT met'} ({w / target:.2f} of it)"
            met.append(w < target)
        print(f"  {name:<34} {w:7.3f} {c:7.3f} {w / floor:9.1f}  {verdict}")
    print(f"  {sum(met)} of {len(met)} targets met (wall time; CPU time shows the cost without other load)")


if __name__ == "__main__":
    main()
