"""Resistor network of a map: conductances, exact contraction of zero-resistance clusters, Laplacian.

The network is defined in ``docs/transport.md``; in short:

* every pixel (2-D) or voxel (3-D) is a node, linked to its 4 (6) nearest neighbours;
* a link between pixels of sheet conductance ``s1`` and ``s2`` (S) is two half pixels in series,
  ``g = 2 s1 s2 / (s1 + s2)``; a superconducting half pixel has zero resistance, so a link from a
  matrix pixel ``s`` to a superconducting pixel has ``g = 2 s``;
* every 4-connected (6-connected) superconducting cluster is ONE node, and so is every contact
  (its pixels are tied by an ideal wire); clusters and contacts that touch are the same node;
* Kirchhoff's law is ``L v = i`` with ``L`` the weighted graph Laplacian of the nodes
  (docs/physics.md, "Resistor networks from maps").

Everything is assembled with numpy and :mod:`scipy.sparse`; no graph library is involved, so a
2048 x 2048 map costs a few hundred MB.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from scprobe.analysis.regions import label_regions
from scprobe.errors import ParameterError
from scprobe.transport.solver import GroundedSolver, SolveInfo


@dataclass(frozen=True)
class Network:
    """A contracted resistor network.

    Attributes
    ----------
    shape : tuple of int
        Pixel grid, ``(ny, nx)`` or ``(nz, ny, nx)``.
    node : ndarray of int
        Node index of every pixel (same shape as the grid).
    n_nodes : int
        Number of nodes after contraction.
    link_conductance : tuple of ndarray
        Per axis, the conductance (S) of every pixel link along that axis (the array is one shorter
        along the axis); links inside one node are ``inf`` when superconducting and carry no
        Kirchhoff equation.
    laplacian : scipy.sparse.csr_matrix
        ``n_nodes x n_nodes`` weighted Laplacian (S), parallel links summed.
    component : ndarray of int
        Connected component of every node (all zeros when the network is connected).
    superconducting : ndarray of bool
        The zero-resistance pixels that were contracted.
    """

    shape: tuple
    node: np.ndarray
    n_nodes: int
    link_conductance: tuple
    laplacian: sp.csr_matrix
    component: np.ndarray
    superconducting: np.ndarray

    @property
    def n_components(self) -> int:
        return int(self.component.max()) + 1 if self.component.size else 0


def series_conductance(s1: np.ndarray, s2: np.ndarray, sc1: np.ndarray, sc2: np.ndarray) -> np.ndarray:
    """Conductance of two half pixels in series, S.

    ``2 s1 s2 / (s1 + s2)`` for two normal pixels (0 when either is 0), ``2 s`` when the other half
    is superconducting, ``inf`` when both are.
    """
    total = s1 + s2
    g = np.multiply(s1, s2)
    g *= 2.0
    np.divide(g, total, out=g, where=total > 0)
    g[total <= 0] = 0.0
    g[sc1] = 2.0 * s2[sc1]
    g[sc2] = 2.0 * s1[sc2]
    g[sc1 & sc2] = np.inf
    return g


def _axis_pairs(shape: tuple, axis: int) -> tuple[tuple, tuple]:
    lo = tuple(slice(None, -1) if a == axis else slice(None) for a in range(len(shape)))
    hi = tuple(slice(1, None) if a == axis else slice(None) for a in range(len(shape)))
    return lo, hi


def label_clusters(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Nearest-neighbour (4 in 2-D, 6 in 3-D) clusters of a boolean mask: ``(labels, count)``, labels 1..count."""
    return label_regions(mask, connectivity=1)


def build_network(sheet_conductance: np.ndarray, superconducting: np.ndarray | None = None,
                  contacts=()) -> Network:
    """Assemble the contracted network of a map.

    Parameters
    ----------
    sheet_conductance : ndarray, 2-D or 3-D
        Sheet conductance of every pixel, S (finite, >= 0; 0 is a hole that conducts nothing).
        Ignored on superconducting pixels.
    superconducting : ndarray of bool, optional
        Zero-resistance pixels; each connected cluster becomes one node.
    contacts : sequence of ndarray
        Flat pixel indices of each contact; the pixels of one contact are tied into one node.

    Returns
    -------
    Network
    """
    s = np.asarray(sheet_conductance, dtype=float)
    if s.ndim not in (2, 3):
        raise ParameterError(f"a network needs a 2-D or 3-D map, got {s.ndim} dims")
    sc = np.zeros(s.shape, bool) if superconducting is None else np.asarray(superconducting, bool)
    if sc.shape != s.shape:
        raise ParameterError(f"superconducting mask has shape {sc.shape}, map {s.shape}")
    s = np.where(sc, 0.0, s)
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ParameterError("sheet conductances must be finite and non-negative")

    labels, n_sc = label_clusters(sc)
    node = np.empty(s.shape, dtype=np.int64)
    node[sc] = labels[sc] - 1
    node[~sc] = n_sc + np.arange(np.count_nonzero(~sc))
    n_nodes = n_sc + int(np.count_nonzero(~sc))
    node, n_nodes = _tie_contacts(node, n_nodes, contacts)

    idx = np.int32 if n_nodes < 2**31 - 1 else np.int64
    node_idx = node.astype(idx)
    degree = np.zeros(s.shape)  # summed conductance of each pixel's links to other nodes, S
    links, rows, cols, vals = [], [], [], []
    for axis in range(s.ndim):
        lo, hi = _axis_pairs(s.shape, axis)
        g = series_conductance(s[lo], s[hi], sc[lo], sc[hi])
        links.append(g)
        na, nb = node_idx[lo], node_idx[hi]
        keep = (na != nb) & (g > 0)
        rows.append(na[keep])
        cols.append(nb[keep])
        vals.append(g[keep])
        external = np.where(keep, g, 0.0)
        degree[lo] += external
        degree[hi] += external
    a, b, g = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    diag = np.bincount(node_idx.ravel(), degree.ravel(), minlength=n_nodes)
    every = np.arange(n_nodes, dtype=idx)
    lap = sp.coo_matrix((np.concatenate([-g, -g, diag]), (np.concatenate([a, b, every]), np.concatenate([b, a, every]))),
                        shape=(n_nodes, n_nodes)).tocsr()
    lap.sum_duplicates()
    if a.size >= n_nodes - 1 and np.all(s[~sc] > 0):
        # every link of a grid of positive conductances exists, so the grid is one piece
        component = np.zeros(n_nodes, dtype=np.int64)
    else:
        _, component = connected_components(lap, directed=False)
    return Network(tuple(s.shape), node, n_nodes, tuple(links), lap, component.astype(np.int64), sc)


def _tie_contacts(node: np.ndarray, n_nodes: int, contacts) -> tuple[np.ndarray, int]:
    """Merge the nodes under each contact (and, transitively, contacts joined by a cluster)."""
    flat = node.ravel()
    seen = np.zeros(flat.size, bool)
    ties_a, ties_b = [], []
    for k, pix in enumerate(contacts):
        pix = np.asarray(pix, dtype=np.int64).ravel()
        if pix.size == 0:
            raise ParameterError(f"contact {k + 1} covers no pixel")
        if np.any(seen[pix]):
            raise ParameterError(f"contact {k + 1} overlaps another contact")
        seen[pix] = True
        nodes = np.unique(flat[pix])
        if nodes.size > 1:
            ties_a.append(np.full(nodes.size - 1, nodes[0]))
            ties_b.append(nodes[1:])
    if not ties_a:
        return node, n_nodes
    a, b = np.concatenate(ties_a), np.concatenate(ties_b)
    graph = sp.coo_matrix((np.ones(a.size), (a, b)), shape=(n_nodes, n_nodes))
    n_new, merged = connected_components(graph, directed=False)
    return merged[node], int(n_new)


def link_currents(net: Network, potential: np.ndarray) -> list[np.ndarray]:
    """Current through every link between different nodes, per axis (A, from the lower to the higher index).

    ``potential`` is the node potential (V), NaN on pieces without current (whose links carry
    none); links inside one node get NaN here and are filled by :func:`internal_currents`.
    """
    out = []
    for axis, g in enumerate(net.link_conductance):
        lo, hi = _axis_pairs(net.shape, axis)
        na, nb = net.node[lo], net.node[hi]
        external = na != nb
        cur = np.full(g.shape, np.nan)
        diff = potential[na[external]] - potential[nb[external]]
        cur[external] = np.where(np.isfinite(diff), g[external] * np.nan_to_num(diff), 0.0)
        out.append(cur)
    return out


class ClusterInterior:
    """The links inside contracted nodes and the solver of their Laplace problem.

    The current pattern inside a superconducting cluster is that of the limit of a very large,
    uniform conductance: a Laplace problem on the cluster's own links, driven by what flows in
    through its boundary links and by the contacts on it (each contact's pixels are tied by its
    wire, which carries the current between them).  It changes no potential or resistance.

    Construction (index maps, Laplacian, solver set-up) depends only on the network and the
    contacts, so it can run while the network itself is being solved; :meth:`currents` then
    takes the link currents of one solution.

    Parameters
    ----------
    net : Network
    contacts : sequence of ndarray
        Flat pixel indices of each contact.
    tol : float
        Relative residual of the interior solve.
    method : {"auto", "amg", "direct"}
    """

    def __init__(self, net: Network, contacts, *, tol: float = 1e-10, method: str = "auto"):
        self.net = net
        self.shape = net.shape
        self.contacts = [np.asarray(pix, dtype=np.int64).ravel() for pix in contacts]
        flat_node = net.node.ravel()
        self.inside = np.bincount(flat_node, minlength=net.n_nodes)[flat_node] > 1
        self.solver = None
        if not self.inside.any():
            return
        # unknowns: one per pixel inside a contracted node, the pixels of a contact sharing one (its
        # wire); each node is one connected piece of the internal links, grounded at its last
        # unknown, and the grounded unknowns are numbered last so the solver slices the Laplacian
        owner = np.arange(flat_node.size)
        for pix in self.contacts:
            pix = pix[self.inside[pix]]
            owner[pix] = pix[:1]
        own = np.flatnonzero(self.inside & (owner == np.arange(flat_node.size)))
        last = np.full(net.n_nodes, -1, dtype=np.int64)
        np.maximum.at(last, flat_node[own], own)
        grounded = np.zeros(flat_node.size, bool)
        grounded[last[last >= 0]] = True
        ordered = np.concatenate([own[~grounded[own]], own[grounded[own]]])
        m, n_free = ordered.size, ordered.size - int(np.count_nonzero(grounded))
        index = np.full(flat_node.size, -1, dtype=np.int64)
        index[ordered] = np.arange(m)
        self.index = index[owner].reshape(self.shape)
        rows, cols, self.links = [], [], []
        for axis in range(len(self.shape)):
            lo, hi = _axis_pairs(self.shape, axis)
            ia, ib = self.index[lo], self.index[hi]
            internal = (net.node[lo] == net.node[hi]) & (ia != ib)
            rows.append(ia[internal])
            cols.append(ib[internal])
            self.links.append(internal)
        a, c = np.concatenate(rows), np.concatenate(cols)
        degree = (np.bincount(a, minlength=m) + np.bincount(c, minlength=m)).astype(float)
        lap = sp.coo_matrix((np.concatenate([-np.ones(2 * a.size), degree]),
                             (np.concatenate([a, c, np.arange(m)]), np.concatenate([c, a, np.arange(m)]))),
                            shape=(m, m)).tocsr()
        self.solver = GroundedSolver(lap, np.arange(n_free), np.arange(n_free, m), ndim=len(self.shape),
                                     tol=tol, method=method)

    def solution_currents(self, potential: np.ndarray, injection) -> tuple[list[np.ndarray], SolveInfo]:
        """Every link current (A, per axis) of the solution with node ``potential`` (V) for contact
        ``injection`` (A): :func:`link_currents` between nodes, :meth:`currents` inside them."""
        return self.currents(link_currents(self.net, potential), injection)

    def currents(self, currents: list[np.ndarray], injection) -> tuple[list[np.ndarray], SolveInfo]:
        """Fill in the currents inside contracted nodes.

        Parameters
        ----------
        currents : list of ndarray
            Per-axis link currents from :func:`link_currents` (NaN inside nodes), A.
        injection : sequence of float
            Current each contact injects, A.

        Returns
        -------
        currents : list of ndarray
            Copies with every link current defined, A.
        info : SolveInfo
        """
        out = [np.nan_to_num(c, nan=0.0) for c in currents]
        if self.solver is None:
            return out, SolveInfo("none", 0, 0, 0.0)
        q = np.zeros(self.shape)
        for axis, ext in enumerate(out):
            lo, hi = _axis_pairs(self.shape, axis)
            q[lo] -= ext
            q[hi] += ext
        flat_index = self.index.ravel()
        b = np.bincount(flat_index[self.inside], q.ravel()[self.inside], minlength=self.solver.n_total)
        for pix, amps in zip(self.contacts, injection):
            if self.inside[pix[0]]:
                b[flat_index[pix[0]]] += amps
        phi, info = self.solver.solve(b)
        for axis, internal in enumerate(self.links):
            lo, hi = _axis_pairs(self.shape, axis)
            out[axis][internal] = phi[self.index[lo][internal]] - phi[self.index[hi][internal]]
        return out, info


def internal_currents(net: Network, currents: list[np.ndarray], contacts, injection, *,
                      tol: float = 1e-10, method: str = "auto") -> tuple[list[np.ndarray], SolveInfo]:
    """Fill in the currents inside contracted nodes: :meth:`ClusterInterior.currents`, set up for one use.

    ``contacts`` are the flat pixel indices of each contact; see :class:`ClusterInterior`.
    """
    return ClusterInterior(net, contacts, tol=tol, method=method).currents(currents, injection)
