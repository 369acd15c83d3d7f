"""scprobe.transport.solver.solve: the facade's policy and the grounded solves it runs."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from scprobe.errors import ParameterError
from scprobe.transport import build_network, make_contacts
from scprobe.transport.solver import (GroundedSolver, SolveInfo, combine, plan, uniform_grid_potential,
                                     uniform_grid_transfer)
from scprobe.transport.solver import solve


def test_plan_by_size_and_dimension():
    assert plan(solve.DIRECT_MAX_UNKNOWNS) == solve.Plan("direct", solve.DIRECT_COARSE)
    assert plan(solve.DIRECT_MAX_UNKNOWNS + 1) == solve.Plan("amg", solve.DIRECT_COARSE)
    assert plan(solve.DIRECT_MAX_UNKNOWNS_3D, ndim=3) == solve.Plan("direct", solve.DIRECT_COARSE_3D)
    assert plan(solve.DIRECT_MAX_UNKNOWNS_3D + 1, ndim=3) == solve.Plan("amg", solve.DIRECT_COARSE_3D)
    assert plan(10, method="amg", max_coarse=3) == solve.Plan("amg", 3)
    with pytest.raises(ParameterError):
        plan(10, method="cholesky")
    with pytest.raises(ParameterError):
        plan(10, ndim=4)


def test_bad_tolerance_is_refused():
    net = build_network(np.ones((4, 4)))
    with pytest.raises(ParameterError):
        GroundedSolver(net.laplacian, np.arange(15), [15], tol=0.0)


def test_solve_info_declares_units():
    info = SolveInfo("amg", 10, 3, 1e-11)
    assert info.units() == {"method": "", "n_unknowns": "count", "iterations": "count", "residual": "1"}
    assert combine([info, SolveInfo("amg", 12, 2, 1e-12)]) == SolveInfo("amg", 12, 3, 1e-11)
    assert combine([]) == SolveInfo("none", 0, 0, 0.0)


@pytest.mark.parametrize("direct_coarse", [100, 500])
def test_amg_many_decades_matches_spsolve(lognormal_conductance, direct_coarse):
    # 16 384 unknowns: a smaller exactly-solved coarsest level makes the hierarchy deep enough
    # (at least 3 levels) to show multigrid convergence over seven decades of conductance
    s = lognormal_conductance  # 1e-12 .. 1e-5 S on 128 x 128
    cts = make_contacts("vdp", s.shape)
    net = build_network(s, None, cts.pixels)
    nodes = np.arange(net.n_nodes)
    solver = GroundedSolver(net.laplacian, nodes[:-1], nodes[-1:], method="amg", tol=1e-10,
                            max_coarse=direct_coarse)
    assert len(solver._amg.levels) >= 3
    inj = np.zeros(net.n_nodes)
    inj[0], inj[127] = 1.0, -1.0
    v, info = solver.solve(inj)
    exact = spla.spsolve(solver.matrix.tocsc(), inj[:-1])
    assert info.method == "amg" and info.iterations < 40 and info.residual < 1e-10
    assert np.max(np.abs(v[:-1] - exact)) / np.max(np.abs(exact)) < 1e-8


def test_amg_on_reduced_system_matches_direct(lognormal_conductance):
    net = build_network(lognormal_conductance)
    nodes = np.arange(net.n_nodes)
    inj = np.zeros(net.n_nodes)
    inj[0], inj[net.n_nodes - 1] = 1.0, -1.0  # both contacts on eliminated (even) pixels
    amg = GroundedSolver(net.laplacian, nodes[1:], nodes[:1], method="amg", tol=1e-10)
    direct = GroundedSolver(net.laplacian, nodes[1:], nodes[:1], method="direct")
    assert amg._kron is not None
    v, info = amg.solve(inj)
    w, _ = direct.solve(inj)
    assert info.residual < 1e-10 and info.iterations < 30
    assert np.max(np.abs(v - w)) <= 1e-8 * np.max(np.abs(w))


def test_three_dimensional_grid_gets_the_3d_plan():
    net = build_network(np.ones((18, 18, 18)))
    nodes = np.arange(net.n_nodes)
    solver = GroundedSolver(net.laplacian, nodes[1:], nodes[:1], ndim=3)
    assert solver.method == "amg" and solver.plan.max_coarse == solve.DIRECT_COARSE_3D
    assert solver._amg.levels[-1].A.shape[0] <= solve.DIRECT_COARSE_3D
    inj = np.zeros(net.n_nodes)
    inj[net.node[0, 0, 0]], inj[net.node[-1, -1, -1]] = 1.0, -1.0
    v, info = solver.solve(inj)
    w, _ = GroundedSolver(net.laplacian, nodes[1:], nodes[:1], ndim=3, method="direct").solve(inj)
    assert info.residual < 1e-10
    assert np.max(np.abs(v - w)) <= 1e-8 * np.max(np.abs(w))


def test_nodes_outside_the_piece_are_nan_and_zero_injection_is_ground():
    s = np.ones((5, 8))
    s[:, 4] = 0.0  # a hole column cuts the grid in two pieces
    net = build_network(s)
    left = np.unique(net.node[:, :4])
    solver = GroundedSolver(net.laplacian, left[1:], left[:1])
    inj = np.zeros(net.n_nodes)
    v, info = solver.solve(inj)
    assert info.iterations == 0 and np.all(v[left] == 0) and np.isnan(v[net.node[0, 6]])
    inj[left[3]], inj[left[-1]] = 1.0, -1.0
    v, info = solver.solve(inj)
    assert info.method == "direct" and info.residual < 1e-12 and np.isnan(v[net.node[0, 6]])


def test_dct_matches_network_on_uniform_grid():
    b = np.zeros((24, 40))
    b[3, 5], b[20, 33] = 1.0, -1.0
    v = uniform_grid_potential(b, 2.0)
    net = build_network(np.full(b.shape, 2.0))
    assert np.abs(net.laplacian @ v.ravel() - b.ravel()).max() < 1e-12
    assert abs(v.mean()) < 1e-14


@pytest.mark.parametrize("shape", [(24, 40), (6, 7, 9)])
def test_transfer_matrix_is_the_dct_solution_at_the_pixels(shape):
    rng = np.random.default_rng(0)
    pixels = np.array([[rng.integers(0, n) for n in shape] for _ in range(4)])
    c = np.array([1.0, -1.0, 0.25, -0.25])
    b = np.zeros(shape)
    for p, amps in zip(pixels, c):
        b[tuple(p)] += amps
    v = uniform_grid_potential(b, 2.0)
    g = uniform_grid_transfer(shape, 2.0, pixels)
    assert np.allclose(g, g.T, rtol=0, atol=1e-15 * np.abs(g).max())
    expected = np.array([v[tuple(p)] for p in pixels])
    assert np.max(np.abs(g @ c - expected)) <= 1e-13 * np.max(np.abs(expected))


def test_transfer_matrix_gives_the_two_point_resistance_of_a_strip():
    # a 1 x n strip of unit links is n - 1 resistors in series between its ends
    g = uniform_grid_transfer((1, 50), 1.0, [[0, 0], [0, 49]])
    assert g[0, 0] - 2 * g[0, 1] + g[1, 1] == pytest.approx(49.0, rel=1e-12)
