"""The network definition of docs/transport.md: link conductances, contraction, contacts, currents, 3-D."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.transport import build_network, make_contacts, measure
from scprobe.transport.network import internal_currents, link_currents, series_conductance
from scprobe.transport.solver import GroundedSolver


def test_series_conductance():
    s1, s2 = np.array([1.0, 2.0, 0.0, 3.0]), np.array([3.0, 2.0, 5.0, 1.0])
    sc1 = np.array([False, False, False, True])
    sc2 = np.zeros(4, bool)
    assert series_conductance(s1, s2, sc1, sc2).tolist() == [1.5, 2.0, 0.0, 2.0]


def test_contraction_makes_one_node_per_cluster():
    sc = np.zeros((8, 8), bool)
    sc[2, 1:6] = True  # one cluster of 5 pixels
    sc[6, 6] = True  # one of 1 pixel
    net = build_network(np.ones((8, 8)), sc)
    assert net.n_nodes == 64 - 5 - 1 + 2
    assert len(set(net.node[2, 1:6].tolist())) == 1
    # the cluster node has 12 matrix neighbours, each link 2 s
    k = net.node[2, 1]
    assert net.laplacian[k, k] == pytest.approx(2.0 * 12)
    assert abs(net.laplacian.sum()) < 1e-12


def test_two_cluster_chain_series_resistance():
    # a 1 x 10 strip with a superconducting stretch: only the matrix half pixels resist
    s = np.ones((1, 10))
    sc = np.zeros((1, 10), bool)
    sc[0, 3:7] = True
    net = build_network(s, sc)
    nodes = net.node.ravel()
    inj = np.zeros(net.n_nodes)
    inj[nodes[0]], inj[nodes[9]] = 1.0, -1.0
    free = np.setdiff1d(np.arange(net.n_nodes), [nodes[9]])
    v, _ = GroundedSolver(net.laplacian, free, [nodes[9]]).solve(inj)
    # links 0-1, 1-2: 1 each; 2-3: 2 s -> 0.5; SC 3..6: 0; 6-7: 0.5; 7-8, 8-9: 1 each
    assert v[nodes[0]] - v[nodes[9]] == pytest.approx(5.0, rel=1e-12)


def test_finite_contacts_lower_vdp_resistance_and_keep_symmetry():
    shape = (96, 96)
    point = make_contacts("vdp", shape)
    pad = make_contacts("vdp", shape, contact_radius_px=4)
    assert pad.pixels[0].size == 5 + 4 + 4 + 3 + 1  # quarter disc of radius 4 at the corner
    (ra, rb), _ = measure(build_network(np.ones(shape), None, point.pixels), point)
    (pa, pb), _ = measure(build_network(np.ones(shape), None, pad.pixels), pad)
    assert pa.r_four_probe < ra.r_four_probe
    assert pa.r_four_probe == pytest.approx(pb.r_four_probe, rel=1e-8)


def test_contact_pad_joins_cluster():
    sc = np.zeros((32, 64), bool)
    sc[16, 10:31] = True  # a filament that ends under the V+ pad (x = 30..34)
    cts = make_contacts([(2, 16), (61, 16), (32, 16), (50, 16)], sc.shape, contact_radius_px=2)
    net = build_network(np.ones(sc.shape), sc, cts.pixels)
    assert net.node[16, 20] == net.node[16, 32] == net.node[14, 32]
    sc[16, 30] = False  # merely adjacent: a link of conductance 2 s, not the same node
    net = build_network(np.ones(sc.shape), sc, cts.pixels)
    assert net.node[16, 20] != net.node[16, 32]


def test_bar_3d_uniform_exact():
    shape = (4, 6, 40)
    cts = make_contacts("bar", shape)
    (r,), info = measure(build_network(np.ones(shape), None, cts.pixels), cts)
    # uniform field between the end faces: (columns between probes) / (ny nz)
    assert r.r_four_probe == pytest.approx((30 - 10) / (6 * 4), rel=1e-9)
    assert info.residual < 1e-10


def test_currents_are_conserved_through_clusters():
    rng = np.random.default_rng(4)
    sc = rng.random((40, 60)) < 0.45
    cts = make_contacts("bar", sc.shape)
    net = build_network(np.ones(sc.shape), sc, cts.pixels)
    (r,), _ = measure(net, cts)
    links, _ = internal_currents(net, link_currents(net, r.potential), cts.pixels, [1.0, -1.0, 0.0, 0.0])
    # every column boundary carries the whole drive current (ampere per ampere)
    assert np.allclose(links[1].sum(axis=0), 1.0, atol=1e-8)
