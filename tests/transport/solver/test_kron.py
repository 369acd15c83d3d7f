"""scprobe.transport.solver.kron: exact elimination of every other pixel (the Schur complement)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from scprobe.transport import build_network
from scprobe.transport.solver.kron import independent_low_degree_set, kron_reduction


def _grounded(net, ground=-1):
    nodes = np.arange(net.n_nodes)
    free = np.delete(nodes, ground)
    return net.laplacian.tocsr()[free][:, free].tocsr()


def test_grid_eliminates_the_checkerboard():
    net = build_network(np.ones((6, 9)))
    elim = independent_low_degree_set(net.laplacian.tocsr())
    iy, ix = np.divmod(np.arange(54), 9)
    assert np.array_equal(elim, (iy + ix) % 2 == 0)  # raster order: greedy MIS is the checkerboard


def test_superconducting_cluster_node_is_kept_and_set_is_independent():
    sc = np.zeros((12, 12), bool)
    sc[3:8, 2:9] = True
    net = build_network(np.ones((12, 12)), sc)
    a = net.laplacian.tocsr()
    elim = independent_low_degree_set(a)
    assert not elim[net.node[4, 4]]  # the cluster's hub (24 neighbours)
    offdiag = a - sp.diags(a.diagonal())
    assert (offdiag[elim][:, elim]).nnz == 0  # no two eliminated nodes are linked
    degree = np.diff(a.indptr) - 1
    assert degree[elim].max() <= 4
    # nor is any pixel on the cluster's perimeter: the hub gets no new links
    hub_neighbours = a[net.node[4, 4]].indices
    assert not elim[hub_neighbours].any()


def test_schur_complement_is_an_exact_network(lognormal_conductance):
    s = lognormal_conductance  # seven decades
    net = build_network(s)
    a = _grounded(net)
    red = kron_reduction(a)
    assert red is not None
    assert red.eliminated.size == pytest.approx(a.shape[0] / 2, abs=1)
    schur = red.matrix
    assert abs(schur - schur.T).max() <= 1e-12 * abs(schur).max()
    off = (schur - sp.diags(schur.diagonal())).tocoo()
    assert off.data.max() <= 0  # still an M-matrix (links of positive conductance)
    # Kron reduction of a Laplacian is a Laplacian: rows away from the ground keep zero sums
    full_rows = np.asarray(abs(a).sum(axis=1)).ravel()
    zero_sum = np.abs(a @ np.ones(a.shape[0])) <= 1e-12 * full_rows
    kept_zero = zero_sum[red.kept]
    row_sum = schur @ np.ones(schur.shape[0])
    assert np.all(np.abs(row_sum[kept_zero]) <= 1e-9 * schur.diagonal()[kept_zero])
    # reduce, solve, expand = the direct solution of the full system
    b = np.random.default_rng(3).standard_normal(a.shape[0])
    x = red.expand(spla.spsolve(schur.tocsc(), red.reduce(b)), b)
    exact = spla.spsolve(a.tocsc(), b)
    assert np.max(np.abs(x - exact)) <= 1e-8 * np.max(np.abs(exact))
    # the full residual vanishes on the eliminated unknowns, to the rounding of their rows
    rounding = (abs(a) @ np.abs(x) + np.abs(b))[red.eliminated]
    assert np.all(np.abs((b - a @ x)[red.eliminated]) <= 1e-14 * rounding)


def test_three_dimensional_grid_is_not_reduced():
    net = build_network(np.ones((12, 12, 12)))
    assert kron_reduction(_grounded(net)) is None  # degree 6: only edges and corners qualify


def test_input_matrix_is_not_modified():
    a = _grounded(build_network(np.ones((20, 20))))
    # the same matrix with every row's entries reversed (unsorted indices)
    rev = np.concatenate([np.arange(a.indptr[i + 1] - 1, a.indptr[i] - 1, -1) for i in range(a.shape[0])])
    shuffled = sp.csr_matrix((a.data[rev], a.indices[rev], a.indptr), shape=a.shape)
    before = (shuffled.data.copy(), shuffled.indices.copy())
    red = kron_reduction(shuffled)
    assert np.array_equal(shuffled.data, before[0]) and np.array_equal(shuffled.indices, before[1])
    assert abs(red.matrix - kron_reduction(a).matrix).max() == 0
