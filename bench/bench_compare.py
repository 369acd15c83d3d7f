"""Benchmark: ``compare_scans`` of two 2048 x 2048 scans vs a plain skimage phase correlation.

Run ``python bench/bench_compare.py [SIZE]``.  Both scans show one terraced surface
with conducting regions and metastable-like spots, the second displaced by a
sub-pixel shift.  The peer is ``skimage.registration.phase_cross_correlation`` on
the raw topographies with the same upsampling (registration only: no levelling,
windowing, confirmation, masks, overlap or spots).  Prints wall and CPU times
(CPU time is what the run costs when other jobs share the cores), their ratios
and the recovered shift.  A second line times scprobe's phase correlation
(:func:`scprobe.compare.phasecorr.phase_correlation_shift`, chirp-z sub-pixel step) against
skimage's on the same raw topographies: the same shift, bit for bit.
"""
from __future__ import annotations

import sys
import time

import numpy as np
from scipy import ndimage
from skimage.registration import phase_cross_correlation

from scprobe.analysis import region_mask
from scprobe.compare import compare_scans
from scprobe.compare.phasecorr import phase_correlation_shift
from scprobe.scan import make_scan

PIXEL_M = 15e-9
PAD = 32
SHIFT = (7.37, -12.61)


def _field(shape, rng, sigma):
    f = ndimage.gaussian_filter(rng.normal(size=shape).astype(np.float32), sigma, mode="wrap")
    return (f - f.mean()) / f.std()


def _shift(img, s):
    return np.fft.irfft2(ndimage.fourier_shift(np.fft.rfft2(img), s, n=img.shape[1]), s=img.shape)


def make_pair(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    big = (n + 2 * PAD, n + 2 * PAD)
    y, x = np.mgrid[0:big[0], 0:big[1]]
    topo = np.floor(3 * _field(big, rng, 40)) * 0.6e-9 + 4e-9 * (0.6 * x + 0.3 * y) / big[1] \
        + 0.15e-9 * _field(big, rng, 1.5)
    regions = _field(big, rng, 30)
    crop = (slice(PAD, PAD + n), slice(PAD, PAD + n))
    scans = []
    for s in ((0.0, 0.0), SHIFT):
        z = (_shift(topo, s) if any(s) else topo)[crop] + rng.normal(0, 0.03e-9, (n, n))
        mask = (_shift(regions, s) if any(s) else regions)[crop] > 1.0
        cur = 5e-6 * mask + rng.normal(0, 2e-11, (n, n))
        scans.append(make_scan({"topography": z, "current": cur}, PIXEL_M, temperature_K=8.0))
    return scans


def _timed(fn):
    """(result, wall s, CPU s of this process); CPU time shows the cost when the machine is shared."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def main(n: int = 2048) -> None:
    a, b = make_pair(n)
    za, zb = a["topography"].values, b["topography"].values
    peer, ours, pc = [], [], []
    for _ in range(3):
        shift_peer, *t_peer = _timed(lambda: phase_cross_correlation(za, zb, upsample_factor=100)[0])
        peer.append(t_peer)
        shift_pc, *t_pc = _timed(lambda: phase_correlation_shift(za, zb, 100))
        pc.append(t_pc)
        region_mask.cache_clear()  # every run finds its masks (a study reuses them between stages)
        result, *t_ours = _timed(lambda: compare_scans(a, b))
        ours.append(t_ours)
    wall_peer, cpu_peer = (min(t[i] for t in peer) for i in (0, 1))
    wall_ours, cpu_ours = (min(t[i] for t in ours) for i in (0, 1))
    print(f"scan size               {n} x {n}")
    print(f"true shift              {SHIFT}")
    print(f"compare_scans shift     {result.registration.shift_px}  (confidence "
          f"{result.registration.registration_confidence:.2f}, Jaccard {result.overlap.jaccard:.4f})")
    print(f"skimage shift           {tuple(-float(v) for v in shift_peer)}")
    print(f"compare_scans           wall {wall_ours:.2f} s, CPU {cpu_ours:.2f} s "
          "(best of 3; registration + masks + overlap + spots)")
    print(f"skimage phase_cross_correlation wall {wall_peer:.2f} s, CPU {cpu_peer:.2f} s (best of 3; registration only)")
    print(f"ratio compare/skimage   wall {wall_ours / wall_peer:.2f}, CPU {cpu_ours / cpu_peer:.2f}")
    wall_pc, cpu_pc = (min(t[i] for t in pc) for i in (0, 1))
    print(f"phase_correlation_shift wall {wall_pc:.2f} s, CPU {cpu_pc:.2f} s (best of 3), shift "
          f"{'identical to' if np.array_equal(shift_pc, shift_peer) else 'DIFFERS from'} skimage's")
    print(f"ratio phase_correlation_shift/skimage wall {wall_pc / wall_peer:.2f}, CPU {cpu_pc / cpu_peer:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2048)
