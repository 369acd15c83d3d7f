"""Smoothed-aggregation algebraic multigrid for network Laplacians, used as a CG preconditioner.

The hierarchy is pyamg's classical smoothed aggregation (Vanek, Mandel & Brezina 1996) for a
symmetric M-matrix: pyamg's standard aggregation along the strong connections
(:func:`strong_connections`: a link is weak when it is small against the largest link of either
end, as between a high- and a low-conductance region of an uncontracted map), the
constant vector as near-null space carried down the levels, one Jacobi step with
``omega = 4/3 / rho(D^-1 A)`` smoothing the tentative prolongator, and Galerkin coarse operators.
Coarsening stops at ``max_coarse`` unknowns (chosen by :func:`scprobe.transport.solver.solve.plan`),
which are solved exactly by a sparse Cholesky-like LU (SuperLU, minimum-degree ordering of
``A + A^T``, no pivoting); the finest level is always coarsened once, because an exact solve of a
whole 9-point system is slower than a two-level cycle.

The cycle is tuned to contracted maps, whose superconducting clusters are nodes joined to their
whole perimeter: on the coarse levels these hubs make rows of hundreds of entries on which a
single Gauss-Seidel sweep smooths poorly, and the coarse correction limited convergence.  So the
finest level (most of the work) gets one forward sweep before and one backward sweep after the
coarse correction, the intermediate levels two symmetric sweeps, and the coarsest level, instead
of a small pseudo-inverse under more levels, an exact solve.  In a two-level cycle (the level below
the finest is the exact one) only smoothing limits convergence, and the finest level gets a
symmetric sweep on each side; with more levels the extra sweeps do not pay.  The measurements
behind these choices are in ``docs/transport.md`` (section "Solver measurements").

It is assembled here in CSR rather than by ``pyamg.smoothed_aggregation_solver`` because, on
contracted maps of a few million nodes, that routine spends most of its set-up in an Arnoldi
estimate of ``rho`` and in 1 x 1-block BSR bookkeeping for the same iteration count, and its solve
wrapper adds two residual products to every preconditioner application.  ``rho`` is the
Gershgorin bound on the finest level and a 15-step Lanczos estimate from a fixed start vector on
the others (:func:`spectral_radius_jacobi`), so the hierarchy and every iterate are reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from pyamg.aggregation.aggregate import standard_aggregation
from pyamg.relaxation.relaxation import gauss_seidel

#: Gauss-Seidel sweeps before and after the coarse correction: finest level, finest level when the
#: next one is solved exactly (a two-level cycle), every other level.
FINE_SWEEPS = (("forward", "backward"), 1)
TWO_LEVEL_SWEEPS = (("symmetric", "symmetric"), 1)
COARSE_SWEEPS = (("symmetric", "symmetric"), 2)
MAX_LEVELS = 30
#: Jacobi weight of the prolongation smoother, in units of 1 / rho(D^-1 A) (pyamg's default).
PROLONGATION_OMEGA = 4.0 / 3.0
LANCZOS_STEPS = 15
#: Rows longer than this many times the median row are hubs (superconducting clusters), whose
#: prolongator rows are left unsmoothed (see :func:`smoothed_aggregation`).
HUB_ROW_FACTOR = 8.0
#: A link is strong when ``|a_ij| >= STRENGTH_THETA * max(max_k |a_ik|, max_k |a_jk|)`` (off the
#: diagonal; see :func:`strong_connections`).  Below 0.25, so that the 9-point stencil of a Kron-reduced uniform
#: grid (links of 1/2 and 1/4 of the row's largest) stays strong everywhere.
STRENGTH_THETA = 0.1


@dataclass(frozen=True)
class Level:
    """One level: operator ``A``, prolongator ``P`` to it from the next coarser level, ``R = P^T``."""

    A: sp.csr_matrix
    P: sp.csr_matrix | None = None
    R: sp.csr_matrix | None = None


def spectral_radius_jacobi(matrix: sp.csr_matrix, diagonal: np.ndarray) -> float:
    """Largest eigenvalue of ``D^-1 A``, for the Jacobi weight of the prolongation smoother.

    On an M-matrix (no positive off-diagonal entry: the finest level, a network Laplacian) the
    Gershgorin bound ``max_i sum_j |a_ij| / a_ii``, which is 2 there and within 1 % of the true
    value on a grid (whose graph is nearly bipartite); it costs one pass over the matrix.  Coarse
    levels have positive off-diagonal entries that make the bound loose (26 instead of 16
    iterations), so they get :func:`lanczos_spectral_radius`.
    """
    off_diagonal_positive = np.count_nonzero(matrix.data > 0) > np.count_nonzero(diagonal > 0)
    if not off_diagonal_positive:
        # sum_j |a_ij| = 2 a_ii - sum_j a_ij when no off-diagonal entry is positive
        return float(np.max(2.0 - (matrix @ np.ones(matrix.shape[1])) / diagonal))
    return lanczos_spectral_radius(matrix, diagonal)


def lanczos_spectral_radius(matrix: sp.csr_matrix, diagonal: np.ndarray, steps: int = LANCZOS_STEPS) -> float:
    """Largest eigenvalue of ``D^-1 A`` (that of ``D^-1/2 A D^-1/2``) by a short Lanczos run.

    The start vector is drawn from a fixed seed, so the estimate is the same on every call.
    """
    scale = 1.0 / np.sqrt(diagonal)
    v = np.random.default_rng(0).standard_normal(matrix.shape[0])
    v /= np.linalg.norm(v)
    v_prev = np.zeros_like(v)
    alphas, betas = [], []
    beta = 0.0
    for _ in range(min(steps, matrix.shape[0])):
        w = scale * (matrix @ (scale * v)) - beta * v_prev
        alpha = float(w @ v)
        w -= alpha * v
        beta = float(np.linalg.norm(w))
        alphas.append(alpha)
        if beta <= 1e-12 * abs(alpha):
            break
        betas.append(beta)
        v_prev, v = v, w / beta
    k = len(alphas)
    return float(scipy.linalg.eigvalsh_tridiagonal(np.array(alphas), np.array(betas[:k - 1]))[-1])


def strong_connections(matrix: sp.csr_matrix, theta: float) -> sp.csr_matrix:
    """Pattern of the strong links of a symmetric matrix, for aggregation.

    A link ``ij`` is strong when ``|a_ij| >= theta * max(m_i, m_j)``, ``m_i`` the largest
    off-diagonal magnitude of row ``i``: a symmetric form of the classical (Ruge-Stueben) measure.
    On a map that is not contracted, a pixel next to a region a thousand times more conductive is
    coupled to it by a link as small as its own: aggregates that straddle the boundary cannot
    represent the near-constant potential of the conductive region, and CG took 71 iterations
    instead of 13 at a contrast of 10^4.  Aggregating along strong links only keeps them apart.
    Magnitudes, not the signed ``-a_ij``: the positive couplings of coarse levels matter here.

    Parameters
    ----------
    matrix : scipy.sparse.csr_matrix
        Canonical CSR.
    theta : float
        Strength threshold, 0 .. 1.

    Returns
    -------
    scipy.sparse.csr_matrix
        Same shape, the strong off-diagonal links (values meaningless: only the pattern counts).
    """
    n = matrix.shape[0]
    row_length = np.diff(matrix.indptr)
    coupling = np.abs(matrix.data)
    coupling[np.repeat(np.arange(n, dtype=matrix.indices.dtype), row_length) == matrix.indices] = 0.0
    largest = np.zeros(n)
    filled = row_length > 0
    largest[filled] = np.maximum.reduceat(coupling, matrix.indptr[:-1][filled])
    bound = theta * largest
    threshold = np.repeat(bound, row_length)
    np.maximum(threshold, bound[matrix.indices], out=threshold)  # in place: a few million entries
    keep = coupling >= threshold
    del threshold
    keep &= coupling > 0  # neither the diagonal nor stored zeros
    counts = np.zeros(n, dtype=np.int64)
    counts[filled] = np.add.reduceat(keep, matrix.indptr[:-1][filled], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(matrix.indptr.dtype)
    indices = matrix.indices[keep]
    return sp.csr_matrix((np.ones(indices.size, dtype=np.int8), indices, indptr), shape=matrix.shape)


def smoothed_aggregation(matrix: sp.spmatrix, *, max_coarse: int) -> list[Level]:
    """Smoothed-aggregation hierarchy of a symmetric positive (semi-)definite M-matrix.

    Parameters
    ----------
    matrix : scipy.sparse matrix
        The finest operator (here a grounded network Laplacian, S).
    max_coarse : int
        Stop coarsening at this many unknowns; the finest level is coarsened at least once.

    Returns
    -------
    list of Level
        Finest first; the last level has no prolongator.

    Notes
    -----
    Hub rows (longer than :data:`HUB_ROW_FACTOR` times the median row: superconducting clusters)
    keep their tentative prolongator row.  Smoothed, a hub's row reaches every aggregate on its
    perimeter, and the Galerkin product then couples all those aggregates pairwise: on a
    1024 x 1024 map of superconducting stripes the first coarse level had 8.5 million entries
    on 15 164 rows against 123 000 unsmoothed, for the same number of CG iterations.  The
    constant is still interpolated exactly, since a tentative row reproduces it as a smoothed one
    does.
    """
    a = sp.csr_matrix(matrix)
    if not a.has_canonical_format:
        a = a.copy()  # sum_duplicates sorts in place, and the caller's arrays stay untouched
        a.sum_duplicates()
    candidate = np.ones(a.shape[0])
    levels: list[Level] = []
    while (a.shape[0] > max_coarse or not levels) and len(levels) < MAX_LEVELS:
        aggregates = sp.csr_matrix(standard_aggregation(strong_connections(a, STRENGTH_THETA))[0])
        n_agg = aggregates.shape[1]
        if n_agg == 0 or n_agg >= a.shape[0]:
            break
        row = np.repeat(np.arange(a.shape[0]), np.diff(aggregates.indptr))
        col = aggregates.indices
        # tentative prolongator: the candidate restricted to each aggregate, normalised
        norm = np.sqrt(np.bincount(col, candidate[row] ** 2, minlength=n_agg))
        tentative = sp.csr_matrix((candidate[row] / norm[col], col, aggregates.indptr), shape=aggregates.shape)
        diagonal = a.diagonal()
        weight = PROLONGATION_OMEGA / spectral_radius_jacobi(a, diagonal) / diagonal
        row_length = np.diff(a.indptr)
        weight[row_length > HUB_ROW_FACTOR * np.median(row_length)] = 0.0  # hubs: see Notes
        smoothing = a @ tentative
        smoothing.data *= np.repeat(weight, np.diff(smoothing.indptr))  # diag(weight) @ A T
        p = (tentative - smoothing).tocsr()
        p.eliminate_zeros()
        r = p.T.tocsr()
        levels.append(Level(a, p, r))
        a = (r @ (a @ p)).tocsr()
        a.sum_duplicates()
        candidate = norm
    levels.append(Level(a))
    return levels


def spd_factor(matrix: sp.spmatrix):
    """SuperLU factors of a symmetric positive definite matrix (``.solve(b)``).

    The minimum-degree ordering of ``A + A^T`` with the diagonal as pivots keeps the factors of a
    network Laplacian several times smaller than SuperLU's default column ordering with partial
    pivoting (33 524 coarse unknowns: 1.4 against 6.8 million entries).
    """
    return spla.splu(sp.csc_matrix(matrix, dtype=float), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                     options={"SymmetricMode": True})


class VCycle:
    """One V-cycle of a hierarchy as a symmetric positive definite preconditioner, ``z = M^-1 r``.

    The cycle runs in single precision (``dtype``): the relaxation and transfers are bound by
    memory traffic, which float32 values cut by a third (same iterations, less time), while CG
    itself, its residuals and the answer stay in double precision; a preconditioner only has to
    approximate the inverse.
    """

    def __init__(self, levels: list[Level], dtype=np.float32):
        self.dtype = np.dtype(dtype)
        self.levels = [Level(lv.A.astype(self.dtype), None if lv.P is None else lv.P.astype(self.dtype),
                             None if lv.R is None else lv.R.astype(self.dtype)) for lv in levels]
        self._coarse = spd_factor(levels[-1].A)
        finest = TWO_LEVEL_SWEEPS if len(levels) == 2 else FINE_SWEEPS
        self._sweeps = [finest] + [COARSE_SWEEPS] * (len(levels) - 2)

    def __call__(self, residual: np.ndarray) -> np.ndarray:
        return self._cycle(0, residual.astype(self.dtype)).astype(residual.dtype)

    def _cycle(self, k: int, b: np.ndarray) -> np.ndarray:
        if k == len(self.levels) - 1:
            return self._coarse.solve(b.astype(float)).astype(self.dtype)
        level = self.levels[k]
        (pre, post), sweeps = self._sweeps[k]
        x = np.zeros_like(b)
        gauss_seidel(level.A, x, b, iterations=sweeps, sweep=pre)
        x += level.P @ self._cycle(k + 1, level.R @ (b - level.A @ x))
        gauss_seidel(level.A, x, b, iterations=sweeps, sweep=post)
        return x


def preconditioned_cg(matrix: sp.csr_matrix, b: np.ndarray, precondition, *, tol: float, maxiter: int,
                      x0: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Conjugate gradients for ``A x = b`` until ``|b - A x| <= tol |b|`` (recursive residual).

    Returns the iterate and the number of iterations.
    """
    x = np.zeros_like(b) if x0 is None else x0.copy()
    r = b - matrix @ x if x0 is not None else b.copy()
    target = tol * np.linalg.norm(b)
    z = precondition(r)
    p = z.copy()
    rz = float(r @ z)
    it = 0
    while it < maxiter and np.linalg.norm(r) > target:
        q = matrix @ p
        alpha = rz / float(p @ q)
        x += alpha * p
        r -= alpha * q
        z = precondition(r)
        rz_next = float(r @ z)
        p *= rz_next / rz
        p += z
        rz = rz_next
        it += 1
    return x, it
