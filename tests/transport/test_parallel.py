"""The two-core path: forked children give bit-identical numbers, and failing children are replaced."""
from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.sparse as sp
from scipy import ndimage

import scprobe.transport.fourprobe as fourprobe
import scprobe.transport.parallel as parallel
from scprobe.transport.amg import (VCycle, lanczos_spectral_radius, preconditioned_cg, smoothed_aggregation,
                                  spectral_radius_jacobi)
from scprobe.transport.parallel import Forked, can_fork

needs_fork = pytest.mark.skipif(not can_fork(), reason="needs fork and two free cores")
PARENT = os.getpid()


class Box:
    def __init__(self, value, *, fail_in_child=False, die_in_child=False):
        if fail_in_child and os.getpid() != PARENT:
            raise RuntimeError("only in the child")
        self.value, self.die, self.pid = value, die_in_child, os.getpid()

    def times(self, k):
        if self.die and os.getpid() != PARENT:
            os._exit(3)
        return self.value * k, os.getpid()


@pytest.mark.parametrize("fork", [False, pytest.param(True, marks=needs_fork)])
def test_forked_calls(fork):
    box = Forked(Box, 7, fork=fork)
    try:
        value, pid = box.call("times", 3)
        assert value == 21 and (pid != PARENT) == fork
        box.submit("times", 5)
        assert box.collect()[0] == 35
        assert box.get().value == 7
    finally:
        box.close()


@needs_fork
@pytest.mark.parametrize("how", ["fail_in_child", "die_in_child"])
def test_failing_child_is_replaced_by_the_parent(how):
    box = Forked(Box, 2, fork=True, **{how: True})
    try:
        value, pid = box.call("times", 4)
    finally:
        box.close()
    assert value == 8 and pid == PARENT


def _landscape(n=192, seed=3):
    f = ndimage.gaussian_filter(np.random.default_rng(seed).standard_normal((n, n)), 3.0)
    return f > np.quantile(f, 0.6)


@needs_fork
def test_two_core_four_probe_is_bit_identical(monkeypatch):
    mask = _landscape()
    serial = fourprobe.four_probe(mask, contacts="vdp", method="amg")
    monkeypatch.setattr(parallel, "FORK_MIN_UNKNOWNS", 0)
    forked = fourprobe.four_probe(mask, contacts="vdp", method="amg")
    assert forked.method == "amg" and forked.r_a_ohm > 0
    assert forked.to_dict() == serial.to_dict()
    assert np.array_equal(forked.current_density, serial.current_density)
    assert np.array_equal(forked.potential, serial.potential, equal_nan=True)


def test_lanczos_spectral_radius_of_dirichlet_chain():
    n = 12  # Lanczos is exact once it has run n steps
    a = sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1], format="csr")
    rho = lanczos_spectral_radius(a, a.diagonal(), steps=n)
    assert rho == pytest.approx(1 + np.cos(np.pi / (n + 1)), rel=1e-10)
    # an M-matrix gets the Gershgorin bound, 2 here; positive off-diagonals send it to Lanczos
    assert spectral_radius_jacobi(a, a.diagonal()) == 2.0
    b = (a + 0.1 * sp.eye(n, k=2) + 0.1 * sp.eye(n, k=-2)).tocsr()
    assert spectral_radius_jacobi(b, b.diagonal()) == lanczos_spectral_radius(b, b.diagonal())


def test_amg_poisson_convergence():
    n = 200  # 2-D Dirichlet Poisson, 40 000 unknowns
    one = sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    a = (sp.kron(one, sp.eye(n)) + sp.kron(sp.eye(n), one)).tocsr()
    levels = smoothed_aggregation(a, max_coarse=500)  # deep hierarchy: every level type is exercised
    assert len(levels) >= 3 and levels[-1].A.shape[0] <= 500
    b = np.random.default_rng(0).standard_normal(n * n)
    x, iterations = preconditioned_cg(a, b, VCycle(levels), tol=1e-10, maxiter=100)
    assert iterations <= 20
    assert np.linalg.norm(b - a @ x) <= 1e-10 * np.linalg.norm(b)


@needs_fork
def test_two_core_percolate_is_bit_identical(monkeypatch):
    import scprobe.transport.extrapolate as extrapolate

    mask = _landscape(128, seed=4)
    kwargs = dict(sample_size_m=2e-6, pixel_size_m=20e-9, realizations=5, seed=2, max_cells_per_side=64)
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    serial = extrapolate.percolate(mask, **kwargs)
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    monkeypatch.setattr(parallel, "FORK_MIN_UNKNOWNS", 0)
    forked = extrapolate.percolate(mask, **kwargs)
    assert forked.to_dict() == serial.to_dict()
    assert len(forked.r_ratios) == 5 and np.array_equal(forked.example, serial.example)
