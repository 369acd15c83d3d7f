"""Benchmark of transport: ``four_probe`` against its own solve, the solver against CHOLMOD and
PARDISO, the huge-page switch, and the whole ``scprobe transport`` command (time and memory).

Run ``python bench/bench_transport.py [--sizes 1024,2048] [--repeat 3]``.  Every comparison runs
its sides alternately in one process, so drifts of a shared machine hit both; medians are printed
with every run.

1. ``four_probe`` on a current map (the default conducting mask of ``scprobe map``, van der Pauw
   contacts) against its own solve: the set-up and both configuration solves of the same grounded
   network, in this process.  Target: whole / solve <= 1.3 at 1024^2.
2. The solver against the peers on the same grounded matrices and right-hand side: CHOLMOD
   (scikit-sparse, needs libsuitesparse-dev) and MKL PARDISO (pypardiso) when installed, each
   factorisation + one solve; scprobe's is set-up + one solve.  Matrices: a contracted map (the
   classified model), a normal-state lognormal sheet (the proportional model), and a thresholded
   landscape that is not contracted (every pixel an unknown; high- to low-conductance contrast
   10^3).  Printed: wall seconds, relative residual, largest difference to the best peer's
   answer, and the ratio scprobe / best peer (target < 1).  The peers may use both cores (their
   BLAS / OpenMP threads); scprobe's solver runs on one.
3. The huge-page switch (``scprobe.transport.solver.pages``): ``four_probe`` with and without it.
4. ``scprobe transport`` on a 2048^2 netCDF scan in a child process: wall seconds (target < 10 s),
   CPU seconds of the command and its helpers (what a busy machine cannot inflate much), and peak
   RSS of the process tree (target < 3 GB): the largest ``ru_maxrss`` of the command and its
   forked helpers, and the peak proportional set size of the tree sampled every 0.1 s in one
   more run (the timed runs are not sampled: the sampling itself costs the two cores ~20 %).
5. ``percolate``: :func:`scprobe.transport.percolation.spanning_counts` against the Newman-Ziff
   union-find sweep it replaced (plain Python, the same counts) on 256^2 and 48^3 grids, and
   ``percolate`` on a 512^2 mask like the demo's (10 % superconducting, 16 realisations, 2-D and
   3-D): wall and CPU seconds of the calling process and of its forked helper.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy import ndimage

from scprobe.analysis.mask import region_mask
from scprobe.scan import make_scan
from scprobe.transport import build_network, four_probe, make_contacts
from scprobe.transport.solver import GroundedSolver, enable_small_pages

PIXEL_M = 20e-9
PLATEAU_A, NOISE_A = 2e-9, 2e-12
CONTRAST = 1e3


def landscape(n: int, seed: int = 1, fraction: float = 0.4) -> np.ndarray:
    """Correlated random superconducting landscape, ``fraction`` of the pixels."""
    rng = np.random.default_rng(seed)
    f = ndimage.gaussian_filter(rng.standard_normal((n, n)), n / 128, mode="wrap")
    return f > np.quantile(f, 1 - fraction)


def current_scan(n: int):
    """A current map of :func:`landscape`: plateau current on it, Gaussian noise everywhere."""
    mask = landscape(n)
    rng = np.random.default_rng(2)
    return make_scan({"current": np.where(mask, PLATEAU_A, 0.0) + NOISE_A * rng.standard_normal(mask.shape)},
                     PIXEL_M)


def lognormal_sheet(n: int, seed: int = 1, decades: float = 1.0) -> np.ndarray:
    """Normal-state sheet conductance, S: log10 is a correlated field of standard deviation ``decades``."""
    rng = np.random.default_rng(seed)
    f = ndimage.gaussian_filter(rng.standard_normal((n, n)), n / 128, mode="wrap")
    return 10.0 ** (decades * f / f.std())


def _median(xs) -> float:
    return float(np.median(xs))


def _runs(xs) -> str:
    return " ".join(f"{x:.2f}" for x in xs)


def grounded(sheet: np.ndarray, superconducting) -> tuple:
    """Network, free nodes, grounded node and vdp injection (I12), grounded as ``measure`` does."""
    cts = make_contacts("vdp", sheet.shape)
    net = build_network(sheet, superconducting, cts.pixels)
    ground = int(np.argmax(net.laplacian.diagonal()))
    free = np.delete(np.arange(net.n_nodes), ground)
    node = net.node.ravel()
    injections = []
    for ip, im, _, _ in cts.configurations[:2]:
        inj = np.zeros(net.n_nodes)
        inj[node[cts.pixels[ip][0]]] += 1.0
        inj[node[cts.pixels[im][0]]] -= 1.0
        injections.append(inj)
    return net, free, ground, injections


# -- 1. four_probe against its own solve ------------------------------------------------------------

def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def whole_against_solve(n: int, repeat: int) -> None:
    scan = current_scan(n)
    first = four_probe(scan)  # also warms the imports
    # the same network four_probe solves: its mask, contracted
    net, free, ground, injections = grounded(np.ones((n, n)), first.superconducting)
    whole, solve, whole_cpu, child_cpu, solve_cpu = [], [], [], [], []
    for _ in range(repeat):
        region_mask.cache_clear()  # every run finds its mask, as a first call in a new process does
        t, c, k = time.perf_counter(), time.process_time(), _children_cpu()
        four_probe(scan)
        whole.append(time.perf_counter() - t)
        whole_cpu.append(time.process_time() - c)
        child_cpu.append(_children_cpu() - k)
        t, c = time.perf_counter(), time.process_time()
        solver = GroundedSolver(net.laplacian, free, [ground], tol=1e-10)
        for inj in injections:
            solver.solve(inj)
        solve.append(time.perf_counter() - t)
        solve_cpu.append(time.process_time() - c)
    w, s = _median(whole), _median(solve)
    wc, kc, sc = _median(whole_cpu), _median(child_cpu), _median(solve_cpu)
    print(f"{n}^2 four_probe (current map, default mask, vdp): whole {w:.2f} s ({_runs(whole)}); "
          f"its solve (set-up + 2 configurations, one process) {s:.2f} s ({_runs(solve)}); "
          f"whole / solve = {w / s:.2f} (target <= 1.3); {first.solver.n_unknowns} unknowns, "
          f"{first.solver.iterations} iterations", flush=True)
    # under load the wall clock mostly measures the other work on the machine; the CPU seconds of
    # the calling process are four_probe's critical path when its forked helpers (the second
    # configuration, the current inside clusters) keep up on the second core
    print(f"{n}^2 four_probe CPU: calling process {wc:.2f} s ({_runs(whole_cpu)}), its forked helpers "
          f"{kc:.2f} s; the solve {sc:.2f} s ({_runs(solve_cpu)}); calling process / solve = {wc / sc:.2f}, "
          f"all processes / solve = {(wc + kc) / sc:.2f} (load average {os.getloadavg()[0]:.1f})", flush=True)


# -- 2. the solver against the peers --------------------------------------------------------------

def _peers() -> dict:
    peers = {}
    try:
        from sksparse.cholmod import cholesky

        peers["CHOLMOD"] = lambda a, b: cholesky(a.tocsc())(b)
    except ImportError:
        print("CHOLMOD not installed (apt-get install libsuitesparse-dev; pip install scikit-sparse)")
    try:
        import pypardiso

        def pardiso(a, b):
            solver = pypardiso.PyPardisoSolver(mtype=2)  # real symmetric positive definite
            upper = sp.triu(a, format="csr")  # the symmetric types take the upper triangle
            x = solver.solve(upper, b)
            solver.free_memory(everything=True)
            return x

        peers["PARDISO"] = pardiso
    except ImportError:
        print("PARDISO not installed (pip install pypardiso)")
    return peers


def against_peers(label: str, sheet: np.ndarray, superconducting, repeat: int, peers: dict) -> None:
    net, free, ground, injections = grounded(sheet, superconducting)
    inj = injections[0]
    b = inj[free]
    times: dict[str, list[float]] = {"scprobe": []}
    times.update({name: [] for name in peers})
    answers, info = {}, None
    matrix = None
    for _ in range(repeat):
        t = time.perf_counter()
        solver = GroundedSolver(net.laplacian, free, [ground], tol=1e-10)
        v, info = solver.solve(inj)
        times["scprobe"].append(time.perf_counter() - t)
        answers["scprobe"] = v[free]
        matrix = solver.matrix
        for name, peer in peers.items():
            t = time.perf_counter()
            answers[name] = peer(matrix, b)
            times[name].append(time.perf_counter() - t)
    norm = np.linalg.norm(b)
    residual = {name: float(np.linalg.norm(b - matrix @ x) / norm) for name, x in answers.items()}
    print(f"{label}: {free.size} unknowns (scprobe: {info.method}, {info.iterations} iterations)")
    for name, ts in times.items():
        print(f"  {name:8s} {_median(ts):6.2f} s ({_runs(ts)}), residual {residual[name]:.1e}")
    if peers:
        best = min(peers, key=lambda name: _median(times[name]))
        diff = np.max(np.abs(answers["scprobe"] - answers[best])) / np.max(np.abs(answers[best]))
        print(f"  scprobe / best peer ({best}) = {_median(times['scprobe']) / _median(times[best]):.2f} "
              f"(target < 1); largest difference to {best}'s answer {diff:.1e}", flush=True)


# -- 3. huge pages --------------------------------------------------------------------------------

def pages_ab(n: int, repeat: int) -> None:
    mask = landscape(n)
    runs = {True: [], False: []}
    previous = enable_small_pages(True)
    try:
        for _ in range(repeat):
            for on in (True, False):
                enable_small_pages(on)
                t = time.perf_counter()
                four_probe(mask)
                runs[on].append(time.perf_counter() - t)
    finally:
        enable_small_pages(previous)
    on, off = _median(runs[True]), _median(runs[False])
    wins = sum(a < b for a, b in zip(runs[True], runs[False]))
    print(f"{n}^2 four_probe with numpy's huge pages off {on:.2f} s ({_runs(runs[True])}), on {off:.2f} s "
          f"({_runs(runs[False])}): off / on = {on / off:.2f}, faster in {wins} of {repeat} pairs", flush=True)


# -- 4. the command line ------------------------------------------------------------------------

def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return sum(int(line.split()[1]) for line in f if line.startswith("Pss:"))
    except OSError:
        return 0


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
    return out


def command_line(n: int, repeat: int) -> None:
    from scprobe.io.nc import write_scan

    with tempfile.TemporaryDirectory() as tmp:
        path = write_scan(current_scan(n), Path(tmp) / f"map{n}.nc")
        cmd = [sys.executable, "-m", "scprobe", "transport", str(path), "--json"]
        walls, cpus, pss = [], [], []
        # the timed runs are not sampled: reading the tree's smaps every 0.1 s costs the kernel time
        # on the same two cores (it added ~1.8 s to a 8.3 s run); one more run measures the memory
        for sampled in [False] * repeat + [True]:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            peak = 0
            while proc.poll() is None:
                if sampled:
                    peak = max(peak, sum(_pss_kb(p) for p in _tree(proc.pid)))
                time.sleep(0.1 if sampled else 0.01)
            wall = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0:
                raise SystemExit(f"scprobe transport failed: {proc.stderr.read().decode()}")
            if sampled:
                pss.append(peak / 1e6)
            else:
                walls.append(wall)
                cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
    print(f"scprobe transport {n}^2 (.nc, vdp, --json): {_median(walls):.2f} s ({_runs(walls)}; target < 10 s), "
          f"CPU {_median(cpus):.2f} s over the process and its helpers ({_runs(cpus)}; load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores); "
          f"peak RSS (largest of the process and its helpers) {maxrss:.2f} GB, peak PSS of the tree "
          f"{max(pss):.2f} GB in one more run sampled every 0.1 s (target < 3 GB)", flush=True)


# -- 5. percolate -----------------------------------------------------------------------------------

def newman_ziff(rank: np.ndarray, axis: int) -> int:
    """Sites occupied in increasing ``rank`` when a cluster first joins both end planes of ``axis``:
    the plain-Python union-find sweep (the peer of ``spanning_counts``)."""
    shape = rank.shape
    order = np.argsort(rank, axis=None).tolist()
    coords = np.unravel_index(np.arange(rank.size), shape)
    stride = [int(np.prod(shape[a + 1:])) for a in range(len(shape))]
    first, last = (coords[axis] == 0).tolist(), (coords[axis] == shape[axis] - 1).tolist()
    c = [x.tolist() for x in coords]
    parent = [-1] * rank.size
    for count, site in enumerate(order, start=1):
        parent[site] = root = site
        for a in range(len(shape)):
            for step in (-1, 1):
                if not 0 <= c[a][site] + step < shape[a]:
                    continue
                r = site + step * stride[a]
                if parent[r] < 0:
                    continue
                while parent[r] != r:
                    parent[r] = parent[parent[r]]
                    r = parent[r]
                if r != root:
                    parent[r] = root
                    first[root] = first[root] or first[r]
                    last[root] = last[root] or last[r]
        if first[root] and last[root]:
            return count
    return rank.size + 1


def percolation_bench(repeat: int) -> None:
    from scprobe.transport import percolate
    from scprobe.transport.percolation import spanning_counts

    rng = np.random.default_rng(0)
    for shape in ((256, 256), (48, 48, 48)):
        ranks = np.stack([rng.permutation(int(np.prod(shape))).reshape(shape) for _ in range(4)])
        ours, peer = [], []
        for _ in range(repeat):
            c = time.process_time()
            got = spanning_counts(ranks, 0)
            ours.append(time.process_time() - c)
            c = time.process_time()
            want = [newman_ziff(r, 0) for r in ranks]
            peer.append(time.process_time() - c)
        assert got.tolist() == want, (got, want)
        print(f"spanning counts of 4 random {'x'.join(map(str, shape))} grids: spanning_counts {_median(ours):.3f} s "
              f"CPU ({_runs(ours)}), union-find sweep {_median(peer):.3f} s ({_runs(peer)}), ratio "
              f"{_median(ours) / _median(peer):.2f}; the same counts", flush=True)
    mask = landscape(512, fraction=0.104)
    walls, cpus, kids = [], [], []
    for _ in range(repeat):
        t, c, k = time.perf_counter(), time.process_time(), _children_cpu()
        percolate(mask, pixel_size_m=PIXEL_M, sample_size_m=1e-3, thickness_m=2e-4, realizations=16, seed=0)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        kids.append(_children_cpu() - k)
    print(f"percolate 512^2 mask (10 % superconducting, 16 realisations, 2-D and 3-D): wall {_median(walls):.2f} s "
          f"({_runs(walls)}), CPU {_median(cpus):.2f} s here + {_median(kids):.2f} s in the forked helper "
          f"(load average {os.getloadavg()[0]:.1f})", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1024,2048", help="map sizes (pixels per side), comma separated")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each side of every comparison")
    ap.add_argument("--skip", default="", help="sections to skip, comma separated: whole,peers,pages,cli,percolate")
    ap.add_argument("--matrices", default="contracted,lognormal,landscape",
                    help="matrices of the peer comparison, comma separated")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    skip = set(args.skip.split(","))
    matrices = set(args.matrices.split(","))
    if "whole" not in skip:
        print("== 1. four_probe against its own solve")
        for n in sizes:
            whole_against_solve(n, args.repeat)
    if "peers" not in skip:
        print("== 2. the solver against the peers (wall seconds: factorisation or set-up + one solve)")
        peers = _peers()
        for n in sizes:
            mask = landscape(n)
            if "contracted" in matrices:
                against_peers(f"{n}^2 contracted map (classified, 40 % superconducting)", np.ones(mask.shape), mask,
                              args.repeat, peers)
            if "lognormal" in matrices:
                against_peers(f"{n}^2 lognormal sheet (proportional, 1 decade rms)", lognormal_sheet(n), None,
                              args.repeat, peers)
            if "landscape" in matrices:
                against_peers(f"{n}^2 thresholded landscape, not contracted (contrast {CONTRAST:.0e})",
                              np.where(mask, CONTRAST, 1.0), None, args.repeat, peers)
    if "pages" not in skip:
        print("== 3. numpy's huge pages during four_probe")
        pages_ab(max(sizes), args.repeat)
    if "cli" not in skip:
        print("== 4. scprobe transport, whole command")
        command_line(max(sizes), args.repeat)
    if "percolate" not in skip:
        print("== 5. percolate")
        percolation_bench(args.repeat)


if __name__ == "__main__":
    main()
