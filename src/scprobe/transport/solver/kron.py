"""Kron reduction: exact elimination of every other pixel before the iterative solve.

A node whose neighbours are all kept can be removed from a resistor network exactly by the
star-mesh transform: its links are replaced by links between each pair of its neighbours,
``g_ij = g_i g_j / sum_k g_k``.  In matrix terms this is block Gaussian elimination of an
independent set ``e`` of nodes, whose block ``A_ee`` is diagonal, leaving the Schur complement

    S = A_kk - A_ke A_ee^-1 A_ek

on the kept nodes ``k``: again a weighted Laplacian (an M-matrix with the same row sums), so
smoothed aggregation applies to it unchanged.

On a square grid the eliminated set is the checkerboard of pixel nodes (greedy maximal independent
set in raster order), and ``S`` is a 9-point stencil on half the unknowns with about the same
number of entries as ``A``.  Its multigrid hierarchy has one level fewer: on a contracted
1024 x 1024 map (629 329 unknowns) the reduced system has 355 762 and its first coarse level is
small enough for the exact coarse solve, and a CG iteration costs half as much.  Only nodes with
at most :data:`MAX_DEGREE` neighbours, none of them a hub, are eliminated: removing a node of
degree ``d`` couples its ``d`` neighbours pairwise, so superconducting clusters (hubs joined to
their whole perimeter) and their perimeters stay, and 3-D grids (degree 6) would fill in.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from pyamg import amg_core

#: Largest number of neighbours of an eliminated node (a pixel of a 2-D grid has 4).
MAX_DEGREE = 4
#: Below this fraction of eliminated unknowns the reduction is not worth its set-up.
MIN_FRACTION = 0.2


@dataclass(frozen=True)
class KronReduction:
    """The Schur complement of a symmetric matrix on its ``kept`` unknowns.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        The Schur complement on the kept unknowns (siemens, for a network Laplacian).
    kept, eliminated : ndarray of int
        Indices of the unknowns of the full system, each ascending.
    coupling : scipy.sparse.csr_matrix
        ``A_ke``, kept rows and eliminated columns.
    diagonal : ndarray
        ``A_ee`` (diagonal).
    """

    matrix: sp.csr_matrix
    kept: np.ndarray
    eliminated: np.ndarray
    coupling: sp.csr_matrix
    diagonal: np.ndarray

    def reduce(self, b: np.ndarray) -> np.ndarray:
        """Right-hand side of the reduced system, ``b_k - A_ke A_ee^-1 b_e``."""
        return b[self.kept] - self.coupling @ (b[self.eliminated] / self.diagonal)

    def expand(self, x_kept: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Solution of the full system from that of the reduced one (back-substitution).

        The residual of the full system is zero on the eliminated unknowns and equals that of the
        reduced system on the kept ones.
        """
        x = np.empty(self.kept.size + self.eliminated.size, dtype=np.result_type(x_kept, b))
        x[self.kept] = x_kept
        x[self.eliminated] = (b[self.eliminated] - self.coupling.T @ x_kept) / self.diagonal
        return x


def independent_low_degree_set(matrix: sp.csr_matrix, max_degree: int = MAX_DEGREE) -> np.ndarray:
    """Boolean mask of a maximal independent set of ordinary nodes.

    A node is ordinary when it and each of its neighbours have at most ``max_degree`` neighbours:
    eliminating a neighbour of a hub would couple the hub to the next ring of pixels, and on maps
    of superconducting stripes that made CG take 11-40 iterations more (167 instead of 26 on
    one-pixel stripes).  Greedy in index order (pyamg's serial kernel), so a grid numbered in
    raster order gives its checkerboard.  The diagonal is not a neighbour; every row is expected
    to store its diagonal.
    """
    a = sp.csr_matrix(matrix)
    degree = np.diff(a.indptr) - 1
    hub = degree > max_degree
    pattern = sp.csr_matrix((np.ones(a.nnz), a.indices, a.indptr), shape=a.shape)
    candidate = ~hub & ((pattern @ hub.astype(float)) == 0)
    state = np.where(candidate, -1, 2).astype(a.indptr.dtype)  # 2: never considered
    amg_core.maximal_independent_set_serial(a.shape[0], a.indptr, a.indices, -1, 1, 0, state)
    return state == 1


def _columns(rows: sp.csr_matrix, take: np.ndarray, rank: np.ndarray, n_cols: int) -> sp.csr_matrix:
    """The columns ``take`` (mask over the columns of ``rows``), renumbered by ``rank``.

    ``rank`` increases along the taken columns, so sorted rows stay sorted.
    """
    select = take[rows.indices]
    indptr = np.concatenate([[0], np.cumsum(select)])[rows.indptr].astype(rows.indptr.dtype)
    return sp.csr_matrix((rows.data[select], rank[rows.indices[select]].astype(rows.indices.dtype), indptr),
                         shape=(rows.shape[0], n_cols))


def kron_reduction(matrix: sp.spmatrix, max_degree: int = MAX_DEGREE) -> KronReduction | None:
    """Eliminate an independent set of low-degree unknowns of a symmetric M-matrix exactly.

    Parameters
    ----------
    matrix : scipy.sparse matrix
        Symmetric, positive diagonal, canonical CSR preferred (a grounded network Laplacian, S).
    max_degree : int
        Largest number of neighbours of an eliminated unknown.

    Returns
    -------
    KronReduction or None
        None when fewer than :data:`MIN_FRACTION` of the unknowns could be eliminated.
    """
    a = sp.csr_matrix(matrix)
    if not a.has_canonical_format:
        a = a.copy()  # sum_duplicates sorts in place, and the caller's arrays stay untouched
        a.sum_duplicates()
    n = a.shape[0]
    eliminate = independent_low_degree_set(a, max_degree)
    n_elim = int(np.count_nonzero(eliminate))
    if n_elim < MIN_FRACTION * n:
        return None
    kept, eliminated = np.flatnonzero(~eliminate), np.flatnonzero(eliminate)
    rank = np.empty(n, dtype=np.int64)
    rank[kept] = np.arange(kept.size)
    rank[eliminated] = np.arange(n_elim)
    rows = a[kept]
    a_kk = _columns(rows, ~eliminate, rank, kept.size)
    a_ke = _columns(rows, eliminate, rank, n_elim)
    diagonal = a.diagonal()[eliminated]
    scaled = a_ke.copy()
    scaled.data = scaled.data / diagonal[scaled.indices]
    schur = (a_kk - scaled @ a_ke.T).tocsr()
    schur.sum_duplicates()
    return KronReduction(schur, kept, eliminated, a_ke, diagonal)
