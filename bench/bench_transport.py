"""Benchmark of the transport solver: scaling with pixel count, 2048^2 time and memory, AMG vs spsolve.

Run ``python bench/bench_transport.py [--max-size 2048]``.  The peer is
``scipy.sparse.linalg.spsolve`` (SuperLU) on the same grounded system at 1024 x 1024; both answers are
compared.  Maps are correlated random superconducting landscapes (40 % superconducting, clusters
contracted) with van der Pauw contacts; the peer comparison also runs on a normal-state map
(proportional model, correlated lognormal sheet conductance).

``four_probe`` uses a second core through forked children (``scprobe.transport.solver.parallel``), so its
wall time is what counts; cpu adds the children's.  Memory is the proportional set size (PSS) of
the process and its children, sampled every 0.25 s in a separate run: pages a child shares copy-on-write with its
parent count once, which the sum of the RSS peaks would not.
"""
from __future__ import annotations

import argparse
import os
import resource
import threading
import time

import numpy as np
import scipy.sparse.linalg as spla
from scipy import ndimage

from scprobe.transport import build_network, four_probe, make_contacts
from scprobe.transport.solver import GroundedSolver


def landscape(n: int, seed: int = 1, fraction: float = 0.4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = ndimage.gaussian_filter(rng.standard_normal((n, n)), n / 128, mode="wrap")
    return f > np.quantile(f, 1 - fraction)


def lognormal_sheet(n: int, seed: int = 1, decades: float = 1.0) -> np.ndarray:
    """Normal-state sheet conductance, S: log10 is a correlated field of standard deviation ``decades``."""
    rng = np.random.default_rng(seed)
    f = ndimage.gaussian_filter(rng.standard_normal((n, n)), n / 128, mode="wrap")
    return 10.0 ** (decades * f / f.std())


def compare_with_spsolve(label: str, sheet: np.ndarray, superconducting, repeat: int) -> None:
    """CPU seconds of AMG-CG set-up + solve and of spsolve on one grounded vdp system; medians of ``repeat``."""
    cts = make_contacts("vdp", sheet.shape)
    net = build_network(sheet, superconducting, cts.pixels)
    ground = int(np.argmax(net.laplacian.diagonal()))  # as scprobe.transport.measure grounds
    free = np.delete(np.arange(net.n_nodes), ground)
    inj = np.zeros(net.n_nodes)
    inj[net.node.ravel()[cts.pixels[0][0]]], inj[net.node.ravel()[cts.pixels[1][0]]] = 1.0, -1.0
    # both sides timed in this warm process, alternately, so drifts of the machine hit both
    t_amg, t_lu = [], []
    for _ in range(repeat):
        t = time.process_time()
        solver = GroundedSolver(net.laplacian, free, [ground], method="amg", tol=1e-10)
        v, info = solver.solve(inj)
        t_amg.append(time.process_time() - t)
        matrix = solver.matrix.tocsc()
        t = time.process_time()
        exact = spla.spsolve(matrix, inj[free])
        t_lu.append(time.process_time() - t)
    err = np.max(np.abs(v[free] - exact)) / np.max(np.abs(exact))
    amg, lu = float(np.median(t_amg)), float(np.median(t_lu))
    print(f"{label}: {free.size} unknowns; cpu seconds, median of {repeat} (all runs): AMG-CG set-up + solve "
          f"{amg:.2f} s ({' '.join(f'{x:.2f}' for x in t_amg)}; {info.iterations} iterations, residual "
          f"{info.residual:.1e}); spsolve {lu:.2f} s ({' '.join(f'{x:.2f}' for x in t_lu)}); "
          f"ratio spsolve/AMG = {lu / amg:.1f}x, worst pairing {min(t_lu) / max(t_amg):.1f}x (target >= 10x); "
          f"max relative difference {err:.1e}", flush=True)


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return sum(int(line.split()[1]) for line in f if line.startswith("Pss:"))
    except OSError:
        return 0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


class PeakPss:
    """Peak PSS (GB) of this process and its children while the ``with`` block runs."""

    def __enter__(self):
        self.peak, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        me = os.getpid()
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, _pss_kb(me) + sum(_pss_kb(c) for c in _children(me)))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def gb(self) -> float:
        return self.peak / 1e6


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-size", type=int, default=2048, help="0 skips the scaling runs")
    ap.add_argument("--peer-size", type=int, default=1024, help="0 skips the spsolve comparison")
    ap.add_argument("--min-size", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each side of the peer comparison")
    args = ap.parse_args()

    print("four_probe (vdp, classified; network + 2 AMG solves + cluster interiors + homogeneous reference)")
    print("wall = elapsed seconds; cpu = CPU seconds of the process and its forked children")
    print(f"{'pixels':>10} {'wall s':>8} {'cpu s':>8} {'wall s/Mpx':>10} {'unknowns':>9} {'iters':>6} {'residual':>9}")
    n = args.min_size
    times = []
    while n <= args.max_size:
        mask = landscape(n)
        t, c = time.perf_counter(), cpu_seconds()
        r = four_probe(mask, contacts="vdp")
        dt, dc = time.perf_counter() - t, cpu_seconds() - c
        times.append((n * n, dt))
        print(f"{n * n:>10} {dt:>8.2f} {dc:>8.2f} {dt / (n * n / 1e6):>10.2f} {r.n_unknowns:>9} {r.iterations:>6} "
              f"{r.residual:>9.1e}", flush=True)
        n *= 2
    if len(times) > 1:
        px, sec = np.array(times).T
        print(f"wall time ~ pixels^{np.polyfit(np.log(px), np.log(sec), 1)[0]:.2f}")
    if times:
        # memory in a separate run: reading smaps_rollup walks the page tables and slows the timed run
        with PeakPss() as mem:
            four_probe(mask, contacts="vdp")
        print(f"peak PSS of process + children at {mask.shape[0]}^2: {mem.gb:.2f} GB")
        print("target: 2048^2 < 20 s on 2 cores, < 4 GB")

    n = args.peer_size
    if n <= 0:
        return
    mask = landscape(n)
    compare_with_spsolve(f"{n}x{n} classified (40 % superconducting, clusters contracted)",
                         np.ones(mask.shape), mask, args.repeat)
    compare_with_spsolve(f"{n}x{n} proportional (correlated lognormal sheet, +-3 decades)",
                         lognormal_sheet(n), None, args.repeat)
    print(f"peak RSS {peak_rss_gb():.2f} GB")


if __name__ == "__main__":
    main()
