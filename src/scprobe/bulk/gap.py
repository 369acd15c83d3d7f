"""Superconducting gap from the electronic specific heat: the BCS alpha model and its fit.

The alpha model (H. Padamsee, J. E. Neighbor, C. A. Shiffman, J. Low Temp. Phys. 12, 387
(1973)) keeps the BCS temperature dependence of the gap, Delta(T) = Delta_0 delta(T/Tc) with
delta the weak-coupling BCS solution, but lets alpha = Delta_0 / (k_B Tc) differ from the BCS
1.764.  The electronic specific heat of the condensed electrons is then (docs/physics.md; Tinkham,
Introduction to Superconductivity, eq. 3.50)

    C_es / (gamma T) = (6 / pi^2) int_0^inf du f (1 - f) [w^2 - (dD^2/dt) / (2 t)],

with t = T/Tc, D = Delta/(k_B Tc) = alpha delta(t), w = sqrt(u^2 + (D/t)^2) and f = 1/(e^w + 1):
the temperature derivative of the BCS entropy, so that int_0^Tc C_es/T dT = gamma Tc (entropy
is conserved) and the jump at Tc is 12 / (7 zeta(3)) (alpha / 1.764)^2 (1.426 for BCS).

The fit (:func:`fit_alpha_model`) describes C/T below and just above Tc as

    C/T = gamma_0 + beta T^2 + (gamma_n - gamma_0) < C_es/(gamma T) >_Tc,

the average taken over a Gaussian distribution of local Tc (mean Tc, standard deviation
sigma), so that the rounded transition is part of the model rather than cut out of the fit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import ndimage, optimize, special

from scprobe.bulk._util import clean_xy
from scprobe.errors import ParameterError
from scprobe.results import Result, internal, quantity

__all__ = ["ALPHA_BCS", "K_B_MEV_PER_K", "AlphaFit", "bcs_gap", "alpha_model_ces", "alpha_model_ct",
           "fit_alpha_model", "POOR_FIT_RMS"]

#: Weak-coupling BCS ratio Delta_0 / (k_B Tc) = pi exp(-gamma_Euler).
ALPHA_BCS = math.pi * math.exp(-float(np.euler_gamma))
#: Boltzmann constant, meV/K.
K_B_MEV_PER_K = 8.617333262e-2
#: A one-gap fit is called poor when the rms of its residuals of C/T exceeds this fraction of the
#: condensing electrons' gamma_n - gamma_0 (see :func:`fit_alpha_model`).
POOR_FIT_RMS = 0.01

_T_GRID = np.concatenate([np.linspace(0.0, 0.9, 361)[1:], np.linspace(0.9, 1.0, 201)[1:]])
_U = np.linspace(0.0, 60.0, 3001)


#: :func:`_solve_gap_table`'s delta on :data:`_T_GRID`, stored: the solve costs 0.8 s CPU, more than all the
#: rest of ``scprobe bulk`` on small files (tests/bulk/test_bulk_gap.py checks it is the same array, bit for bit).
_GAP_FILE = Path(__file__).with_name("bcs_gap_delta.npy")


@lru_cache(maxsize=1)
def _gap_table() -> tuple[np.ndarray, np.ndarray]:
    """delta(t) = Delta(T)/Delta(0) of weak-coupling BCS on a grid of t in (0, 1], as solved by
    :func:`_solve_gap_table` (read from the package's stored copy)."""
    return _T_GRID, np.load(_GAP_FILE)


def _solve_gap_table() -> tuple[np.ndarray, np.ndarray]:
    """delta(t) = Delta(T)/Delta(0) of weak-coupling BCS on a grid of t in (0, 1].

    Solves ln(1/delta) = 2 int_0^inf f(E)/E d(epsilon) (energies in units of Delta(0),
    k_B T = t / ALPHA_BCS; Tinkham eq. 3.53 rearranged with the cut-off eliminated) by bisection
    on all t at once.  With epsilon = delta sinh(s) the integrand is f(delta cosh s / tau),
    bounded and smooth.
    """
    t = _T_GRID
    tau = (t / ALPHA_BCS)[:, None]
    lo, hi = np.zeros(t.size), np.ones(t.size)
    s = np.linspace(0.0, 1.0, 1601)[None, :]

    def residual(delta):
        d = np.maximum(delta, 1e-12)[:, None]
        top = np.arccosh(np.maximum(60.0 * tau / d, 1.0 + 1e-12))
        ss = s * top
        integral = np.trapezoid(special.expit(-d * np.cosh(ss) / tau), ss, axis=1)
        return np.log(d[:, 0]) + 2 * integral

    # residual increases with delta: negative below the solution, positive above
    for _ in range(44):
        mid = 0.5 * (lo + hi)
        pos = residual(mid) > 0
        hi = np.where(pos, mid, hi)
        lo = np.where(pos, lo, mid)
    delta = 0.5 * (lo + hi)
    delta[-1] = 0.0
    return t, delta


def bcs_gap(t) -> np.ndarray:
    """Weak-coupling BCS gap Delta(T)/Delta(0) at reduced temperature ``t`` = T/Tc (0 for t >= 1)."""
    grid, delta = _gap_table()
    t = np.asarray(t, dtype=float)
    # delta^2 is linear in t near Tc and flat near 0: interpolate the square
    out = np.sqrt(np.interp(t, np.r_[0.0, grid], np.r_[1.0, delta ** 2]))
    return np.where(t >= 1, 0.0, out)


@lru_cache(maxsize=64)
def _ces_table(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """C_es/(gamma T) of the alpha model on the reduced-temperature grid (t in (0, 1))."""
    grid, delta = _gap_table()
    d2 = alpha ** 2 * delta ** 2
    # dD^2/dt by centred differences on the non-uniform grid (one-sided at the ends)
    dd2 = np.gradient(d2, grid)
    t = grid[:-1, None]
    w = np.sqrt(_U[None, :] ** 2 + d2[:-1, None] / t ** 2)
    ff = 0.25 / np.cosh(np.minimum(w / 2, 350.0)) ** 2
    val = (6 / math.pi ** 2) * np.trapezoid(ff * (w ** 2 - dd2[:-1, None] / (2 * t)), _U, axis=1)
    # just below Tc (D -> 0): int u^2 f(1-f) du = pi^2/6 and int f(1-f) du = 1/2, so the value is
    # 1 - 3/(2 pi^2) dD^2/dt, the slope from the last interval (delta^2 is linear in t there)
    below_tc = 1 - 3 / (2 * math.pi ** 2) * dd2[-1]
    return np.r_[0.0, grid], np.r_[0.0, val, below_tc]


def alpha_model_ces(t, alpha: float = ALPHA_BCS) -> np.ndarray:
    """Electronic specific heat of the condensed electrons, C_es / (gamma T), at ``t`` = T/Tc.

    Parameters
    ----------
    t : array_like
        Reduced temperature T/Tc (>= 0).
    alpha : float
        Delta_0 / (k_B Tc); 1.764 is weak-coupling BCS.

    Returns
    -------
    ndarray
        C_es/(gamma T) (dimensionless; 1 in the normal state, t >= 1).
    """
    if not (math.isfinite(alpha) and 0.2 <= alpha <= 6.0):
        raise ParameterError(f"alpha = Delta_0/(k_B Tc) must lie in 0.2..6, got {alpha!r}")
    grid, val = _ces_table(round(float(alpha), 10))
    t = np.asarray(t, dtype=float)
    return np.where(t >= 1, 1.0, np.interp(t, grid, val))


def alpha_model_ct(T_K, *, tc_K: float, sigma_K: float, alpha: float, gamma0: float, gamma_n: float,
                   weights=None, alphas=None) -> np.ndarray:
    """Electronic C/T of a sample with a Gaussian distribution of local Tc (same unit as the gammas).

    ``gamma0 + (gamma_n - gamma0) <C_es/(gamma T)>``; with ``alphas`` and ``weights`` the condensing
    electrons are split into bands of those gaps (the two-band alpha model of F. Bouquet et al.,
    Europhys. Lett. 56, 856 (2001)), else one band of ``alpha``.
    """
    T = np.asarray(T_K, dtype=float)
    alphas = (alpha,) if alphas is None else tuple(alphas)
    weights = (1.0,) if weights is None else tuple(weights)
    shape = sum(w * _broadened(T, tc_K, sigma_K, a) for a, w in zip(alphas, weights))
    return gamma0 + (gamma_n - gamma0) * shape


_GL_X, _GL_W = np.polynomial.legendre.leggauss(48)


def _broadened(T, tc, sigma, alpha):
    """<C_es/(gamma T)> over local Tc ~ N(tc, sigma): the normal part exactly, the rest by Gauss-Legendre."""
    if sigma <= 0:
        return alpha_model_ces(T / tc, alpha)
    lo = np.maximum(T, tc - 7 * sigma)[:, None]
    half = np.maximum(tc + 7 * sigma - lo, 0.0) / 2
    tcs = lo + half * (_GL_X + 1)
    w = half * _GL_W * np.exp(-0.5 * ((tcs - tc) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    below = alpha_model_ces(np.minimum(T[:, None] / tcs, 1.0 - 1e-12), alpha)
    return special.ndtr((T - tc) / sigma) + np.sum(w * below, axis=1)


@dataclass(frozen=True)
class AlphaFit(Result):
    """Alpha-model fit of C/T below and across Tc (energies in eV, C/T in J/(mol K^2)).

    One gap: ``delta0_eV`` and ``alpha``.  Two gaps (two-band alpha model): ``delta0_eV`` and
    ``alpha`` are the larger gap, ``small_delta0_eV`` the smaller one and ``small_weight`` its share
    of the condensing electrons' gamma_n - gamma_0 (NaN for one gap).
    """

    delta0_eV: float = quantity("eV")
    delta0_err_eV: float = quantity("eV")
    alpha: float = quantity("1")
    alpha_err: float = quantity("1")
    tc_K: float = quantity("K")
    tc_width_K: float = quantity("K")
    gamma0_J_molK2: float = quantity("J/(mol K^2)")
    gamma_n_J_molK2: float = quantity("J/(mol K^2)")
    beta_J_molK4: float = quantity("J/(mol K^4)")
    rms_residual: float = quantity("1")
    poor_fit: bool = quantity("")
    criterion: str = quantity("")
    window_K: tuple[float, float] = quantity("K")
    n_points: int = quantity("count")
    small_delta0_eV: float = quantity("eV", default=math.nan)
    small_delta0_err_eV: float = quantity("eV", default=math.nan)
    small_weight: float = quantity("1", default=math.nan)
    curve_T_K: np.ndarray = internal(None)
    curve_ct_J_molK2: np.ndarray = internal(None)


def _linear(T, y, tc, sigma, alphas):
    """Variable projection: best gamma0, beta and one gamma_s per gap for (tc, sigma, alphas)."""
    shapes = [_broadened(T, tc, sigma, a) for a in alphas]
    A = np.column_stack([np.ones_like(T), T ** 2, *shapes])
    scale = np.abs(A).max(axis=0)
    coef, *_ = np.linalg.lstsq(A / scale, y, rcond=None)
    return A, coef / scale


def _scatter(y: np.ndarray) -> np.ndarray:
    """Local variance of the point-to-point scatter of ``y`` (from second differences, moving median).

    White noise of variance s^2 gives second differences of variance 6 s^2, and the median of a
    chi^2(1) variable is 0.455 of its mean; the moving median over 21 points follows scatter that
    grows with C/T while ignoring the few points where the curve itself bends.
    """
    if y.size < 7:
        return np.zeros_like(y)
    d2 = np.diff(y, 2) ** 2 / 6
    local = ndimage.median_filter(d2, size=min(21, d2.size), mode="nearest") / 0.4549
    return np.r_[local[0], local, local[-1]]


def fit_alpha_model(T_K, C_J_molK, *, tc0_K: float, sigma0_K: float, top_K: float | None = None,
                    bottom_K: float | None = None, gaps: int = 1) -> AlphaFit:
    """Fit the alpha model (one gap, or two bands) to C/T from the lowest temperature to just above Tc.

    Parameters
    ----------
    T_K, C_J_molK : array_like
        Temperature (K) and molar heat capacity (J/(mol K)).
    tc0_K, sigma0_K : float
        Starting mean and width of the local-Tc distribution (e.g. from the equal-entropy
        construction), K.
    top_K : float, optional
        Upper end of the fit, K; default tc0 + 4 sigma0 + 0.5 K (enough normal state to fix
        gamma_n while the lattice still follows beta T^3 to < 0.2 %).
    bottom_K : float, optional
        Lower end, K; default the lowest temperature.
    gaps : {1, 2}
        Number of gaps (bands with their own alpha and share of gamma_n - gamma_0).

    Returns
    -------
    AlphaFit
        Delta_0 = alpha k_B Tc with the standard error from the fit covariance (residual
        variance; Tc and alpha correlated), gamma_0, gamma_n, beta of the same fit, and the
        goodness of fit: ``rms_residual`` is the systematic misfit, sqrt(mean(r^2 - s^2)) of the
        C/T residuals r with s^2 the local variance of the data's point-to-point scatter (from
        second differences), over gamma_n - gamma_0; ``poor_fit`` when it exceeds
        :data:`POOR_FIT_RMS` (a second gap misses the shape by 3-6 % of the condensing electrons'
        C/T; a correct model stays below 0.5 % at 0.3 % scatter on C).

    Raises
    ------
    ParameterError
        Fewer than 20 points in the window, a start outside the data, or ``gaps`` not 1 or 2.
    """
    if gaps not in (1, 2):
        raise ParameterError(f"the alpha model fits 1 or 2 gaps, got {gaps!r}")
    T, C = clean_xy(T_K, C_J_molK, xname="temperature", yname="heat capacity")
    top = tc0_K + 4 * sigma0_K + 0.5 if top_K is None else float(top_K)
    bottom = float(T[0]) if bottom_K is None else float(bottom_K)
    sel = (T >= bottom) & (T <= top) & (T > 0)
    if sel.sum() < 20 or not (T[sel][0] < tc0_K < T[sel][-1]):
        raise ParameterError(f"alpha-model fit: {int(sel.sum())} heat-capacity points in {bottom:.3g}-{top:.3g} K "
                             "around the transition, need 20 spanning Tc")
    T, y = T[sel], C[sel] / T[sel]
    sigma0 = max(float(sigma0_K), 0.02)

    def resid(p):
        A, c = _linear(T, y, p[0], p[1], p[2:])
        return A @ c - y

    # start from the best alphas on a coarse grid (the misfit is not convex far from the minimum)
    if gaps == 1:
        starts = [(tc0_K, sigma0, a) for a in (1.2, 1.5, 1.764, 2.0, 2.4, 2.8, 3.3)]
    else:
        starts = [(tc0_K, sigma0, a, b) for a in (0.7, 1.0, 1.4) for b in (1.8, 2.3, 2.9)]
    p0 = min(starts, key=lambda p: float(np.sum(resid(p) ** 2)))
    span = float(T[-1] - T[0])
    sol = optimize.least_squares(resid, p0, x_scale=[sigma0, sigma0] + [0.1] * gaps,
                                 bounds=([T[0], 1e-3] + [0.3] * gaps, [T[-1], span / 4] + [5.0] * gaps))
    p = np.asarray(sol.x, dtype=float)
    order = 2 + np.argsort(p[2:])
    tc, sigma = float(p[0]), float(p[1])
    alphas = p[order]
    A, coef = _linear(T, y, tc, sigma, alphas)
    g0, beta, shares = float(coef[0]), float(coef[1]), coef[2:]
    gs = float(np.sum(shares))
    r = sol.fun
    dof = max(1, T.size - 2 - 2 * gaps - 1)
    s2 = float(r @ r) / dof
    try:
        cov = np.linalg.inv(sol.jac.T @ sol.jac) * s2
    except np.linalg.LinAlgError:
        cov = np.full((p.size, p.size), np.nan)

    def delta(i):
        """Delta_0 = alpha k_B Tc (eV) of parameter ``i`` and its error, Tc and alpha correlated."""
        g = np.zeros(p.size)
        g[0], g[i] = p[i], p[0]
        g *= K_B_MEV_PER_K * 1e-3
        return float(p[i] * p[0] * K_B_MEV_PER_K * 1e-3), float(math.sqrt(max(g @ cov @ g, 0.0)))

    d_big, e_big = delta(int(order[-1]))
    d_small, e_small = delta(int(order[0])) if gaps == 2 else (math.nan, math.nan)
    excess = math.sqrt(max(float(np.mean(r ** 2 - _scatter(y))), 0.0)) / abs(gs) if gs else math.nan
    crit = (f"poor fit when the systematic rms misfit of C/T (residual beyond the local point-to-point "
            f"scatter) exceeds {POOR_FIT_RMS:g} x (gamma_n - gamma_0) over {T[0]:.3g}-{T[-1]:.3g} K")
    grid = np.linspace(T[0], T[-1], 400)
    curve = alpha_model_ct(grid, tc_K=tc, sigma_K=sigma, alpha=float(alphas[-1]), gamma0=g0, gamma_n=g0 + gs,
                           alphas=alphas, weights=shares / gs if gs else None)
    return AlphaFit(delta0_eV=d_big, delta0_err_eV=e_big, alpha=float(alphas[-1]),
                    alpha_err=float(math.sqrt(max(cov[order[-1], order[-1]], 0.0))), tc_K=tc, tc_width_K=sigma,
                    gamma0_J_molK2=g0, gamma_n_J_molK2=g0 + gs, beta_J_molK4=beta,
                    rms_residual=excess, poor_fit=bool(not excess <= POOR_FIT_RMS), criterion=crit,
                    window_K=(float(T[0]), float(T[-1])), n_points=int(T.size),
                    small_delta0_eV=d_small, small_delta0_err_eV=e_small,
                    small_weight=float(shares[0] / gs) if gaps == 2 and gs else math.nan,
                    curve_T_K=grid, curve_ct_J_molK2=curve + beta * grid ** 2)
