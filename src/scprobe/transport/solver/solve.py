"""Solving ``L v = i`` for a network Laplacian: the solver's one entry point and its policy.

A Laplacian is singular (potentials are defined up to a constant per connected piece), so one node
of the piece that carries current is grounded (``v = 0``) and removed; the reduced matrix is
symmetric positive definite.  :func:`plan` decides how a system is solved, from its size and the
dimension of the grid it comes from:

* small systems (:data:`DIRECT_MAX_UNKNOWNS` in 2-D, :data:`DIRECT_MAX_UNKNOWNS_3D` in 3-D, where
  LU factors fill in much faster) are factorised directly (SuperLU);
* larger ones first lose every other pixel node by exact elimination
  (:mod:`scprobe.transport.solver.kron`), then the rest is solved by conjugate gradients
  preconditioned by smoothed-aggregation algebraic multigrid
  (:mod:`scprobe.transport.solver.amg`), whose coarsest level is solved exactly once it has
  :data:`DIRECT_COARSE` unknowns (2-D) or :data:`DIRECT_COARSE_3D` (3-D).

The relative residual ``|i - L v| / |i|`` of every solve is measured, not assumed.

BLAS runs single-threaded inside the solver: the vectors are long but the operations (dot
products, a small dense coarse solve) are memory-bound, and threaded BLAS made every CG iteration
several times slower on a shared machine while making the rounding depend on the thread count.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import scipy.fft
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from scprobe.errors import ParameterError
from scprobe.results import Result, quantity
from scprobe.transport.solver.amg import VCycle, preconditioned_cg, smoothed_aggregation, spd_factor
from scprobe.transport.solver.kron import kron_reduction

METHODS = ("auto", "amg", "direct")
#: 2-D systems with at most this many unknowns are solved directly (SuperLU beats AMG set-up there).
DIRECT_MAX_UNKNOWNS = 40_000
#: The same for 3-D grids, whose LU factors fill in much faster.
DIRECT_MAX_UNKNOWNS_3D = 4_000
#: AMG coarsening stops at this many unknowns (2-D); that level is solved exactly.
DIRECT_COARSE = 50_000
#: The same for 3-D grids, whose coarse operators fill in like dense matrices under any ordering
#: (a 12 583-unknown coarse level of a 48^3 grid: 16 million factor entries).
DIRECT_COARSE_3D = 2_000
MAX_ITERATIONS = 200
MAX_RESTARTS = 2


@dataclass(frozen=True)
class SolveInfo(Result):
    """How a linear system was solved."""

    method: str = quantity("")
    n_unknowns: int = quantity("count")
    iterations: int = quantity("count")
    residual: float = quantity("1")


@dataclass(frozen=True)
class Plan:
    """How one system is solved: ``method`` (``direct`` or ``amg``) and the AMG coarse-level size."""

    method: str
    max_coarse: int


def plan(n_unknowns: int, *, ndim: int = 2, method: str = "auto", max_coarse: int | None = None) -> Plan:
    """The solver policy for a system of ``n_unknowns`` unknowns from an ``ndim``-D grid.

    Parameters
    ----------
    n_unknowns : int
        Unknowns of the grounded system.
    ndim : {2, 3}
        Dimension of the pixel grid the network comes from.
    method : {"auto", "amg", "direct"}
        ``auto`` is direct up to :data:`DIRECT_MAX_UNKNOWNS` (2-D) or :data:`DIRECT_MAX_UNKNOWNS_3D`
        (3-D) unknowns, AMG above.
    max_coarse : int, optional
        Overrides the coarse-level size (:data:`DIRECT_COARSE`, :data:`DIRECT_COARSE_3D`).
    """
    if method not in METHODS:
        raise ParameterError(f"solver method must be one of {METHODS}, got {method!r}")
    if ndim not in (2, 3):
        raise ParameterError(f"a network grid is 2-D or 3-D, got {ndim!r}")
    three_d = ndim == 3
    if method == "auto":
        method = "direct" if n_unknowns <= (DIRECT_MAX_UNKNOWNS_3D if three_d else DIRECT_MAX_UNKNOWNS) else "amg"
    if max_coarse is None:
        max_coarse = DIRECT_COARSE_3D if three_d else DIRECT_COARSE
    return Plan(method, int(max_coarse))


@cache
def _thread_pools() -> ThreadpoolController:
    """The thread pools of the loaded libraries, found once (at the first solve, after the imports).

    ``threadpool_limits`` scans every loaded shared object on each call (1.9 ms; 0.03 ms with the
    pools found once): twice per solve, 3 % of a percolation realisation's four-probe measurement.
    """
    return ThreadpoolController()


def _one_blas_thread():
    """Context in which BLAS runs on one thread."""
    return _thread_pools().limit(limits=1, user_api="blas")


class GroundedSolver:
    """Solver for the potentials of the ``free`` nodes of a Laplacian, the ``grounded`` ones held at 0.

    Set-up (AMG hierarchy or LU factors) happens once; :meth:`solve` takes any number of
    right-hand sides.

    Parameters
    ----------
    laplacian : scipy.sparse matrix
        Symmetric weighted Laplacian, S.
    free : ndarray of int
        The unknown nodes (every connected piece they form must contain a grounded node).
    grounded : ndarray of int
        Nodes held at 0 V; nodes that are neither free nor grounded get NaN potentials.
    ndim : {2, 3}
        Dimension of the pixel grid of the network (see :func:`plan`).
    tol : float
        Relative residual the iterative solver must reach.
    method : {"auto", "amg", "direct"}
        See :func:`plan`.
    max_coarse : int, optional
        Unknowns of the exactly solved coarsest AMG level (default: :func:`plan`'s).
    """

    def __init__(self, laplacian: sp.spmatrix, free: np.ndarray, grounded: np.ndarray, *, ndim: int = 2,
                 tol: float = 1e-10, method: str = "auto", max_coarse: int | None = None):
        if not (np.isfinite(tol) and 0 < tol < 1):
            raise ParameterError(f"solver tolerance must be in (0, 1), got {tol!r}")
        self.n_total = laplacian.shape[0]
        self.free = np.asarray(free, dtype=np.int64)
        self.grounded = np.asarray(grounded, dtype=np.int64)
        self.tol = float(tol)
        n = self.free.size
        if n and self.free[0] == 0 and self.free[-1] == n - 1 and np.all(np.diff(self.free) == 1):
            a = laplacian.tocsr()[:n, :n]  # slicing is much cheaper than fancy indexing
        else:
            a = laplacian.tocsr()[self.free][:, self.free]
        self.matrix = a.tocsr()
        self.plan = plan(n, ndim=ndim, method=method, max_coarse=max_coarse)
        self.method = self.plan.method
        self._lu = None
        self._amg = None
        self._kron = None
        if n == 0:
            return
        with _one_blas_thread():
            self._setup()

    def _setup(self) -> None:
        if self.method == "direct":
            self._lu = spd_factor(self.matrix)
        else:
            self._kron = kron_reduction(self.matrix)
            reduced = self.matrix if self._kron is None else self._kron.matrix
            self._amg = VCycle(smoothed_aggregation(reduced, max_coarse=self.plan.max_coarse))

    @property
    def n_unknowns(self) -> int:
        return int(self.free.size)

    def solve(self, injection: np.ndarray) -> tuple[np.ndarray, SolveInfo]:
        """Node potentials (V) for node injections (A); NaN outside the solved piece.

        Parameters
        ----------
        injection : ndarray
            Current injected at each node of the whole network, A (must sum to zero over the piece).

        Returns
        -------
        potential : ndarray
            Node potentials, V, the grounded node at 0; NaN on nodes of other pieces.
        info : SolveInfo
        """
        v = np.full(self.n_total, np.nan)
        v[self.grounded] = 0.0
        b = np.asarray(injection, float)[self.free]
        norm = float(np.linalg.norm(b))
        if self.free.size == 0 or norm == 0.0:
            v[self.free] = 0.0  # no net injection: the whole piece sits at ground potential
            return v, SolveInfo(self.method, self.n_unknowns, 0, 0.0)
        iterations = 1
        with _one_blas_thread():
            if self._lu is not None:
                x = self._lu.solve(b)
            else:
                x, iterations = self._iterate(b, norm)
            residual = float(np.linalg.norm(b - self.matrix @ x)) / norm
        v[self.free] = x
        return v, SolveInfo(self.method, self.n_unknowns, iterations, residual)

    def _iterate(self, b: np.ndarray, norm: float) -> tuple[np.ndarray, int]:
        """AMG-CG on the Kron-reduced system, checked against the full one."""
        kron = self._kron
        matrix = self.matrix if kron is None else kron.matrix
        reduced = b if kron is None else kron.reduce(b)
        # the full residual vanishes on eliminated unknowns and equals the reduced one elsewhere,
        # so the reduced system gets the same absolute target
        tol = self.tol * norm / max(float(np.linalg.norm(reduced)), np.finfo(float).tiny)
        y, x, iterations = None, b, 0
        # CG tests its recursively updated residual, which can drift below the true one:
        # restart from the current iterate until the true residual meets the tolerance, unless a
        # restart no longer halves it (the rounding floor of a high-contrast network lies above
        # a tight tolerance: a 10^3 contrast at 1024^2 stops near 2e-10 with any solver)
        previous = np.inf
        for _ in range(MAX_RESTARTS + 1):
            y, n = preconditioned_cg(matrix, reduced, self._amg, tol=tol, maxiter=MAX_ITERATIONS, x0=y)
            iterations += max(n, 1)
            x = y if kron is None else kron.expand(y, b)
            residual = float(np.linalg.norm(b - self.matrix @ x))
            if residual <= self.tol * norm or residual > 0.5 * previous:
                break
            previous = residual
        return x, iterations


def combine(infos: list[SolveInfo]) -> SolveInfo:
    """One summary of several solves: the worst residual and the most iterations."""
    if not infos:
        return SolveInfo("none", 0, 0, 0.0)
    return SolveInfo(infos[0].method, max(i.n_unknowns for i in infos),
                     max(i.iterations for i in infos), max(i.residual for i in infos))


def uniform_grid_potential(injection: np.ndarray, conductance: float) -> np.ndarray:
    """Exact potentials of a uniform grid network (every link ``conductance`` S) for node injections.

    The Laplacian of a grid with free (Neumann) edges is diagonalised by the type-II discrete
    cosine transform, with eigenvalues ``sum_axis 2 - 2 cos(pi k / n)``; so the solve is two
    FFTs, exact to rounding.  The zero mode (the arbitrary constant) is set to zero.

    Parameters
    ----------
    injection : ndarray, 2-D or 3-D
        Current injected at each pixel, A (sums to zero).
    conductance : float
        Link conductance, S.

    Returns
    -------
    ndarray
        Pixel potentials, V, with zero mean.
    """
    b = np.asarray(injection, dtype=float)
    lam = _grid_eigenvalues(b.shape)
    coef = scipy.fft.dctn(b, type=2, norm="ortho")
    lam.flat[0] = np.inf
    return scipy.fft.idctn(coef / (lam * conductance), type=2, norm="ortho")


def _grid_eigenvalues(shape: tuple) -> np.ndarray:
    """Eigenvalues ``sum_axis 2 - 2 cos(pi k / n)`` of the free-edge grid Laplacian (unit links)."""
    lam = np.zeros(shape)
    for axis, n in enumerate(shape):
        k = 2.0 - 2.0 * np.cos(np.pi * np.arange(n) / n)
        lam = lam + k.reshape([-1 if a == axis else 1 for a in range(len(shape))])
    return lam


def uniform_grid_transfer(shape: tuple, conductance: float, pixels) -> np.ndarray:
    """Potentials at a few pixels of a uniform grid network for unit currents into the same pixels.

    ``G[i, j]`` is the potential (V) at ``pixels[i]`` for 1 A injected at ``pixels[j]``, from the
    cosine-transform eigenbasis of :func:`uniform_grid_potential` with the zero mode left out: for
    injections ``c`` at the pixels that sum to zero, ``G @ c`` are the potentials there, exactly
    those of :func:`uniform_grid_potential`.  Each entry is one contraction of the inverse
    eigenvalues with the basis values at two pixels, so a few contacts cost a few passes over the
    grid instead of two transforms per configuration.

    Parameters
    ----------
    shape : tuple of int
        Grid, 2-D or 3-D.
    conductance : float
        Link conductance, S.
    pixels : array-like of int, (m, ndim)
        Grid coordinates of the pixels.

    Returns
    -------
    ndarray, (m, m)
        Symmetric transfer matrix, V/A (ohm).
    """
    pix = np.asarray(pixels, dtype=np.int64).reshape(-1, len(shape))
    inverse = _grid_eigenvalues(tuple(shape))
    inverse.flat[0] = np.inf
    inverse = 1.0 / (inverse * conductance)
    # orthonormal DCT-II basis along each axis at the pixels' coordinates: (n_axis, m)
    basis = []
    for axis, n in enumerate(shape):
        k = np.arange(n)[:, None]
        scale = np.where(k == 0, np.sqrt(1.0 / n), np.sqrt(2.0 / n))
        basis.append(scale * np.cos(np.pi * k * (pix[:, axis][None, :] + 0.5) / n))
    m = pix.shape[0]
    g = np.empty((m, m))
    for i in range(m):
        for j in range(i, m):
            t = inverse
            for axis in reversed(range(len(shape))):
                t = t @ (basis[axis][:, i] * basis[axis][:, j])
            g[i, j] = g[j, i] = float(t)
    return g
