"""scprobe.transport.solver.amg: smoothed-aggregation hierarchy, V-cycle, preconditioned CG."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy import ndimage

from scprobe.transport import build_network
from scprobe.transport.solver.amg import (STRENGTH_THETA, VCycle, lanczos_spectral_radius, preconditioned_cg,
                                          smoothed_aggregation, spd_factor, spectral_radius_jacobi, strong_connections)


def _poisson(n):
    """2-D Dirichlet Poisson matrix on an n x n grid."""
    one = sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    return (sp.kron(one, sp.eye(n)) + sp.kron(sp.eye(n), one)).tocsr()


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
    n = 200  # 40 000 unknowns
    a = _poisson(n)
    levels = smoothed_aggregation(a, max_coarse=500)  # deep hierarchy: every level type is exercised
    assert len(levels) >= 3 and levels[-1].A.shape[0] <= 500
    b = np.random.default_rng(0).standard_normal(n * n)
    x, iterations = preconditioned_cg(a, b, VCycle(levels), tol=1e-10, maxiter=100)
    assert iterations <= 20
    assert np.linalg.norm(b - a @ x) <= 1e-10 * np.linalg.norm(b)


def test_hierarchy_is_galerkin_and_keeps_the_constant():
    a = _poisson(60)
    levels = smoothed_aggregation(a, max_coarse=100)
    for fine, coarse in zip(levels, levels[1:]):
        assert abs(fine.R - fine.P.T).max() == 0
        galerkin = (fine.R @ fine.A @ fine.P).tocsr()
        assert abs(galerkin - coarse.A).max() <= 1e-12 * abs(coarse.A).max()
    # the finest level is coarsened even when it is already below max_coarse
    assert len(smoothed_aggregation(a, max_coarse=10**6)) == 2


def test_vcycle_is_a_symmetric_preconditioner():
    # CG needs M^-1 symmetric: <M^-1 x, y> = <x, M^-1 y> (to the single precision of the cycle)
    levels = smoothed_aggregation(_poisson(40), max_coarse=50)
    m = VCycle(levels)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(1600), rng.standard_normal(1600)
    assert m(x) @ y == pytest.approx(x @ m(y), rel=1e-5)
    assert m(x).dtype == np.float64


def test_spd_factor_solves_exactly():
    a = _poisson(30)
    b = np.random.default_rng(2).standard_normal(900)
    x = spd_factor(a).solve(b)
    assert np.linalg.norm(b - a @ x) <= 1e-13 * np.linalg.norm(b)
    assert np.max(np.abs(x - spla.spsolve(a.tocsc(), b))) <= 1e-12 * np.max(np.abs(x))


def test_stripe_hubs_keep_coarse_levels_sparse():
    # long superconducting stripes: hubs of hundreds of links; smoothed prolongator rows on them
    # would couple every perimeter aggregate pairwise (70 entries a row instead of 7 here)
    f = ndimage.gaussian_filter(np.random.default_rng(2).standard_normal((256, 256)), (1, 20), mode="wrap")
    net = build_network(np.ones(f.shape), f > np.quantile(f, 0.45))
    a = net.laplacian.tocsr()[1:, 1:].tocsr()
    levels = smoothed_aggregation(a, max_coarse=2000)
    assert len(levels) >= 2
    assert all(lv.A.nnz <= 12 * lv.A.shape[0] for lv in levels)
    b = np.zeros(a.shape[0])
    b[net.node[0, -1] - 1], b[net.node[-1, 0] - 1] = 1.0, -1.0
    x, iterations = preconditioned_cg(a, b, VCycle(levels), tol=1e-10, maxiter=100)
    assert iterations <= 25
    exact = spla.spsolve(a.tocsc(), b)
    assert np.max(np.abs(x - exact)) <= 1e-8 * np.max(np.abs(exact))


def test_strong_connections_separate_high_contrast_regions():
    # a 1-D chain 0-1-2-3 whose links are 1000, 1, 1: link 1-2 is weak seen from node 1 (whose
    # largest link is 1000), so the strong pattern keeps 0-1 and 2-3 and drops it
    g = np.array([1000.0, 1.0, 1.0])
    lap = sp.diags([-g, np.r_[g, 0] + np.r_[0, g], -g], [-1, 0, 1], format="csr")
    c = strong_connections(lap, 0.1)
    assert c.toarray().astype(bool).tolist() == [[False, True, False, False], [True, False, False, False],
                                                 [False, False, False, True], [False, False, True, False]]


def test_strong_connections_keep_a_reduced_uniform_grid_whole():
    # the 9-point stencil of a Kron-reduced uniform grid: links of 1/2 and 1/4 of the largest
    from scprobe.transport.solver.kron import kron_reduction

    a = build_network(np.ones((30, 30))).laplacian.tocsr()[1:, 1:].tocsr()
    reduced = kron_reduction(a).matrix
    c = strong_connections(reduced, STRENGTH_THETA)
    assert c.nnz == reduced.nnz - reduced.shape[0]  # every off-diagonal link


def test_high_contrast_landscape_converges_like_a_uniform_one():
    # not contracted: every pixel an unknown, conductance 10^4 on a correlated landscape, 1 elsewhere;
    # aggregating across the boundaries took 71 iterations instead of 13 at 512^2
    f = ndimage.gaussian_filter(np.random.default_rng(4).standard_normal((160, 160)), 2.0, mode="wrap")
    s = np.where(f > np.quantile(f, 0.6), 1e4, 1.0)
    a = build_network(s).laplacian.tocsr()[1:, 1:].tocsr()
    levels = smoothed_aggregation(a, max_coarse=500)
    b = np.zeros(a.shape[0])
    b[0], b[-1] = 1.0, -1.0
    x, iterations = preconditioned_cg(a, b, VCycle(levels), tol=1e-9, maxiter=200)
    assert iterations <= 25
    exact = spla.spsolve(a.tocsc(), b)
    assert np.max(np.abs(x - exact)) <= 1e-6 * np.max(np.abs(exact))
