"""Specific heat: Debye fit of C/T vs T^2, alpha-model gap, lattice subtraction, equal-entropy jump, onset,
SC electronic fraction.

docs/physics.md: at low temperature C/T = gamma + beta T^2; the Debye temperature is
theta_D = (12 pi^4 n R / (5 beta))^(1/3) (Kittel, Introduction to Solid State Physics, ch. 5;
beta = 0.393 mJ/(mol K^4) and n = 2 give 215 K).  The jump at Tc is found by the equal-entropy
construction (an idealised sharp step that conserves the entropy, i.e. the area under C_el/T,
e.g. Tallon & Loram, Physica C 349, 53 (2001)); the BCS weak-coupling value of dC/(gamma_n Tc)
is 1.43.  The superconducting electronic fraction is 1 - gamma_0/gamma_n.  The gap comes from the
alpha model (:mod:`scprobe.bulk.gap`), whose fit also separates gamma_0 and beta from the condensed
electrons' C_es/T when the Debye window is not deep enough in the superconducting state.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special
from scipy.optimize import brentq

from scprobe.results import Result, internal, quantity
from scprobe.bulk._util import clean_xy, local_slope, robust_std, steepest_tangent
from scprobe.bulk.gap import AlphaFit, alpha_model_ct, fit_alpha_model
from scprobe.errors import FormatError, ParameterError
from scprobe.io.qd import QDFile, column, column_base, column_unit, find_column

__all__ = ["DebyeFit", "HeatCapacityResult", "debye_fit", "debye_temperature_K", "equal_entropy_jump",
           "broadened_step_fit", "normal_state_lattice", "heat_capacity_onset", "analyze_heat_capacity",
           "load_heat_capacity"]

R_J_MOL_K = 8.314462618
HC_TEMPERATURE_COLUMNS = ("Sample Temp (Kelvin)", "Sample Temp (K)", "Temperature (K)", "Temperature (Kelvin)",
                          "System Temp (Kelvin)")
_HC_BASES = ("samp hc", "sample hc", "heat capacity", "specific heat", "c")
# candidate polynomial degrees of the superconducting branch of C_el/T (chosen by BIC), degree of the normal one
_DEGS_S, _DEG_N = (2, 3, 4), 1
# relative agreement of gamma_n with and without the higher lattice terms for them to be used
_GAMMA_N_AGREEMENT = 0.05
_PREFIX = {"": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9, "k": 1e3}


@dataclass(frozen=True)
class DebyeFit(Result):
    """C/T = gamma + beta T^2 over a window; J/(mol K^2), J/(mol K^4) and their standard errors."""

    gamma_J_molK2: float = quantity("J/(mol K^2)")
    beta_J_molK4: float = quantity("J/(mol K^4)")
    gamma_err_J_molK2: float = quantity("J/(mol K^2)")
    beta_err_J_molK4: float = quantity("J/(mol K^4)")
    window_K: tuple[float, float] = quantity("K")
    n_points: int = quantity("count")


def debye_temperature_K(beta_J_molK4: float, atoms_per_formula_unit: int) -> float:
    """theta_D = (12 pi^4 n R / (5 beta))^(1/3) in K (beta in J/(mol K^4), n atoms per formula unit)."""
    if not (beta_J_molK4 > 0):
        return math.nan
    return float((12 * math.pi ** 4 * atoms_per_formula_unit * R_J_MOL_K / (5 * beta_J_molK4)) ** (1 / 3))


def debye_fit(T_K, C_J_molK, window_K: tuple[float, float] = (3.0, 5.0), *, source: str | None = None) -> DebyeFit:
    """Least-squares line C/T = gamma + beta T^2 over ``window_K``.

    Parameters
    ----------
    T_K : array_like
        Temperature, K.
    C_J_molK : array_like
        Molar heat capacity, J/(mol K).
    window_K : (lo, hi)
        Temperature window of the fit, K (default 3-5 K as in the reference study).

    Returns
    -------
    DebyeFit
        gamma, beta and standard errors from the residual scatter (zero for exact data).

    Raises
    ------
    ParameterError
        lo >= hi, or fewer than 4 distinct temperatures in the window.
    """
    lo, hi = (float(v) for v in window_K)
    where = f" of {source}" if source else ""
    if not hi > lo:
        raise ParameterError(f"Debye fit window must increase (lo < hi), got {window_K}")
    T, C = clean_xy(T_K, C_J_molK, xname="temperature", yname="heat capacity", source=source)
    sel = (T >= lo) & (T <= hi)
    if np.unique(T[sel]).size < 4:
        raise ParameterError(f"Debye fit{where}: {int(sel.sum())} points in {lo:g}-{hi:g} K, need at least 4 "
                             "distinct temperatures")
    x, y = T[sel] ** 2, C[sel] / T[sel]
    A = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ coef
    dof = max(1, x.size - 2)
    cov = np.linalg.inv(A.T @ A) * float(resid @ resid) / dof
    return DebyeFit(gamma_J_molK2=float(coef[0]), beta_J_molK4=float(coef[1]),
                    gamma_err_J_molK2=float(math.sqrt(cov[0, 0])), beta_err_J_molK4=float(math.sqrt(cov[1, 1])),
                    window_K=(lo, hi), n_points=int(x.size))


def _require_branch(T, sel, need, what):
    if np.unique(T[sel]).size < need:
        raise ParameterError(f"too few heat-capacity points {what} the anomaly to fit its "
                             f"{'superconducting' if what == 'below' else 'normal'} branch "
                             f"({int(sel.sum())}, need {need})")


def _step_design(T, tc, sigma, t0, deg_s, deg_n):
    """Columns of the broadened step N(T) + (S(T) - N(T)) Phi((tc - T) / sigma), S and N polynomials in T - t0."""
    frac = special.ndtr((tc - T) / sigma)
    x = T - t0
    s_cols = [x ** i * frac for i in range(deg_s + 1)]
    n_cols = [x ** i * (1 - frac) for i in range(deg_n + 1)]
    return np.column_stack(s_cols + n_cols)


def broadened_step_fit(T, y, tc0: float, sigma0: float, *, deg_s: int = 3, deg_n: int = 1):
    """Least-squares fit of a Gaussian-broadened step between a superconducting and a normal branch.

    ``y = N(T) + (S(T) - N(T)) Phi((Tc - T) / sigma)``: a Gaussian distribution of local Tc
    (mean Tc, standard deviation sigma << Tc, so that the local branches barely differ).  S and N
    are polynomials (degrees ``deg_s``, ``deg_n``), linear parameters solved exactly for each
    (Tc, sigma) (variable projection), so only Tc and sigma are searched.  Fitting the
    rounded transition itself, rather than extrapolating branches fitted outside it, keeps
    a steeply curved superconducting branch from biasing the jump.

    Returns
    -------
    tc_K, sigma_K, S, N, rss : float, float, Polynomial, Polynomial, float
        Mean Tc (K), width (K), the two branches as polynomials in T and the residual sum of
        squares (unit of ``y`` squared).
    """
    def coefs(p):
        A = _step_design(T, p[0], p[1], tc0, deg_s, deg_n)
        c, *_ = np.linalg.lstsq(A, y, rcond=None)
        return A, c

    def resid(p):
        A, c = coefs(p)
        return A @ c - y

    span = float(T[-1] - T[0])
    sol = optimize.least_squares(resid, [tc0, sigma0], x_scale=[sigma0, sigma0],
                                 bounds=([T[0], 1e-3 * span], [T[-1], span]))
    tc, sigma = (float(v) for v in sol.x)
    _, c = coefs(sol.x)
    shift = np.polynomial.Polynomial([-tc0, 1.0])
    S = np.polynomial.Polynomial(c[:deg_s + 1])(shift)
    N = np.polynomial.Polynomial(c[deg_s + 1:])(shift)
    return tc, sigma, S, N, float(sol.fun @ sol.fun)


def equal_entropy_jump(T_K, Cel_over_T, *, gamma_n: float | None = None, above_K: float = 0.0,
                       branch_span_K: float = 1.5):
    """Idealised sharp jump of C_el/T that conserves entropy across a broadened transition.

    Equal-area construction on C_el/T vs T: a superconducting branch S(T) below the
    transition and a normal branch N(T) above it are continued into the transition region
    [T_a, T_b], and the idealised step is placed at the Tc where
    int_{T_a}^{Tc} S dT + int_{Tc}^{T_b} N dT equals the measured area, i.e. the entropy at
    T_b is conserved (e.g. Tallon & Loram, Physica C 349, 53 (2001); Bouquet et al.,
    Europhys. Lett. 56, 856 (2001)).  The branches come from :func:`broadened_step_fit`
    (a Gaussian distribution of local Tc) over the transition and ``branch_span_K`` on
    either side, so they are pinned by the data right up to Tc instead of extrapolated
    across the rounding (the degree of S, 2 to 4, by the Bayesian information criterion);
    T_a, T_b lie 4 widths sigma below and above the fitted Tc.

    Parameters
    ----------
    T_K : array_like
        Temperature, K.
    Cel_over_T : array_like
        Electronic C/T (lattice subtracted), any unit (J/(mol K^2) in this package).
    gamma_n : float, optional
        Known normal-state Sommerfeld coefficient in the unit of ``Cel_over_T``; default: the
        normal branch at Tc.
    above_K : float
        Search for the anomaly only above this temperature (e.g. the top of the Debye window).
    branch_span_K : float
        Temperature span of data beyond the rounded transition used for each branch, K.

    Returns
    -------
    tc_K, jump, gamma_n, branches : float, float, float, tuple
        Tc of the idealised step; jump = S(Tc) - N(Tc) = dC/Tc; gamma_n used; the branch
        polynomials ``(S, N)`` and the interval ``(T_a, T_b)`` for figures.

    Raises
    ------
    ParameterError
        No anomaly above ``above_K`` or too few points on either side of it.
    """
    T, y = clean_xy(T_K, Cel_over_T, xname="temperature", yname="electronic C/T", min_points=8)
    upper = np.flatnonzero(T > above_K)
    if upper.size < 8:
        raise ParameterError(f"too few heat-capacity points above {above_K:g} K to find the jump at Tc")
    # the anomaly is the steepest drop of C_el/T on warming (not the global maximum: an imperfect
    # lattice subtraction can make C_el/T rise again far above Tc); its peak is where the drop starts
    slope = local_slope(T, y)
    q = int(upper[np.argmin(slope[upper])])
    if not slope[q] < 0 or q + 2 >= T.size:
        raise ParameterError("no specific-heat anomaly (no drop of C/T on warming with data above it)")
    p = q
    while p - 1 >= upper[0] and slope[p - 1] < 0:
        p -= 1
    # the drop: where C_el/T falls steeply on warming (at least 5 % of the steepest slope)
    k = q
    while k + 1 < T.size and slope[k + 1] < 0.05 * slope[q]:
        k += 1
    j = q
    while j - 1 > p and slope[j - 1] < 0.05 * slope[q]:
        j -= 1
    noise = robust_std(np.diff(y[upper])) / math.sqrt(2)
    if not y[j] - y[k] > max(5 * noise, 0.01 * abs(y[p])):
        raise ParameterError("no specific-heat anomaly: the drop of C/T above its maximum is within the noise")
    half = max((T[k] - T[j]) / 2, 2 * float(np.median(np.diff(T))))
    lo, hi = T[q] - 3 * half - branch_span_K, T[q] + 3 * half + branch_span_K
    _require_branch(T, (T >= lo) & (T <= T[q] - 3 * half) & (T > above_K), min(_DEGS_S) + 2, "below")
    _require_branch(T, (T >= T[q] + 3 * half) & (T <= hi), _DEG_N + 2, "above")
    win = (T >= max(lo, above_K)) & (T <= hi)
    n = int(win.sum())
    degrees = [d for d in _DEGS_S if n >= d + _DEG_N + 8]
    if not degrees:
        raise ParameterError(f"too few heat-capacity points across the anomaly ({n}, need {min(_DEGS_S) + _DEG_N + 8})")
    # the curvature of the superconducting branch varies (BCS: nearly linear near Tc; steep activation:
    # a maximum just below Tc): the Bayesian information criterion decides how much of it the data carry
    fits = {d: broadened_step_fit(T[win], y[win], float(T[q]), half / 1.5, deg_s=d, deg_n=_DEG_N) for d in degrees}
    best = min(degrees, key=lambda d: n * math.log(max(fits[d][4], 1e-300) / n) + (d + _DEG_N + 4) * math.log(n))
    tc_fit, sigma, sc, nb, _ = fits[best]
    ta = max(tc_fit - 4 * sigma, float(T[win][0]))
    tb = min(tc_fit + 4 * sigma, float(T[win][-1]))
    grid = np.linspace(ta, tb, 4001)
    area = float(np.trapezoid(np.interp(grid, T, y), grid))
    s_int, n_int = sc.integ(), nb.integ()

    def excess(tc):
        return float(s_int(tc) - s_int(ta) + n_int(tb) - n_int(tc)) - area

    if not tb > ta or excess(ta) * excess(tb) > 0:
        raise ParameterError("equal-entropy construction has no solution: the anomaly is not a step up on cooling")
    tc = float(brentq(excess, ta, tb, xtol=1e-7))
    gn_tc = float(nb(tc))
    if gamma_n is None:
        gamma_n = gn_tc
    return tc, float(sc(tc)) - gn_tc, float(gamma_n), (sc, nb, (float(ta), float(tb)))


def normal_state_lattice(T_K, Cel_over_T, *, gamma_0: float, tb_K: float, top_K: float | None = None):
    """Lattice terms beyond beta T^3 from the normal state above the transition, with entropy balance.

    Fits ``C_el/T = gamma_n + delta T^4 + epsilon T^6`` (``C_el/T`` = C/T - beta T^2) between
    ``tb_K`` (above the rounded transition) and ``top_K`` (default 2 tb_K), constrained so that
    the normal-state electronic entropy gamma_n T_b equals the measured one,
    gamma_0 T_0 + int_{T_0}^{T_b} C_el/T dT (T_0 the lowest temperature; below it the Debye-fit
    law).  Above ~theta_D/50 the lattice leaves the T^3 law (Debye: -2 % at theta_D/11), which
    would otherwise tilt the normal branch and bias gamma_n and the jump; the entropy constraint
    (third law, superconducting transition of second order) fixes gamma_n that a free
    polynomial fit would trade against the lattice terms (Hardy et al., Phys. Rev. B 81,
    060501 (2010)).

    Returns
    -------
    numpy.polynomial.Polynomial or None
        ``delta T^4 + epsilon T^6`` (unit of ``Cel_over_T``), or None with fewer than 6 points
        in the window.
    """
    T, y = clean_xy(T_K, Cel_over_T, xname="temperature", yname="electronic C/T")
    top = 2 * tb_K if top_K is None else top_K
    sel = (T >= tb_K) & (T <= top)
    if np.unique(T[sel]).size < 6 or not T[0] < tb_K:
        return None
    inside = T <= tb_K
    grid_T, grid_y = np.r_[T[inside], tb_K], np.r_[y[inside], np.interp(tb_K, T, y)]
    entropy_b = gamma_0 * T[0] + float(np.trapezoid(grid_y, grid_T))
    x = T[sel]
    A = np.column_stack([x ** 4 - tb_K ** 4 / 5, x ** 6 - tb_K ** 6 / 7])
    scale = np.abs(A).max(axis=0)
    coef, *_ = np.linalg.lstsq(A / scale, y[sel] - entropy_b / tb_K, rcond=None)
    delta, epsilon = coef / scale
    return np.polynomial.Polynomial([0, 0, 0, 0, delta, 0, epsilon])


@dataclass(frozen=True)
class HeatCapacityResult(Result):
    """Specific-heat analysis; mJ/(mol K^2), mJ/(mol K^4), K, meV; fractions 0..1.

    ``gamma``/``beta``/``debye_temperature_K`` are the published procedure, a line C/T vs T^2 over
    the Debye window; ``gamma0`` is the residual of the non-superconducting electrons used for the
    electronic fraction: from the alpha-model fit when that fit is good (it separates the
    condensed electrons' C_es, which a window at T/Tc > 0.2 still contains), else the Debye line.
    """

    gamma_mJ_mol_K2: float = quantity("mJ/(mol K^2)")
    gamma_err_mJ_mol_K2: float = quantity("mJ/(mol K^2)")
    beta_mJ_mol_K4: float = quantity("mJ/(mol K^4)")
    beta_err_mJ_mol_K4: float = quantity("mJ/(mol K^4)")
    debye_temperature_K: float = quantity("K")
    tc_K: float = quantity("K")
    tc_onset_K: float = quantity("K", default=math.nan)
    jump_ratio: float = quantity("1", default=math.nan)
    gamma_n_mJ_mol_K2: float = quantity("mJ/(mol K^2)", default=math.nan)
    gamma0_mJ_mol_K2: float = quantity("mJ/(mol K^2)", default=math.nan)
    gamma0_source: str = quantity("", default="")
    sc_electronic_fraction: float = quantity("1", default=math.nan)
    delta0_meV: float = quantity("meV", default=math.nan)
    delta0_err_meV: float = quantity("meV", default=math.nan)
    gap_ratio: float = quantity("1", default=math.nan)
    gap_fit_gamma0_mJ_mol_K2: float = quantity("mJ/(mol K^2)", default=math.nan)
    gap_fit_beta_mJ_mol_K4: float = quantity("mJ/(mol K^4)", default=math.nan)
    gap_fit_misfit: float = quantity("1", default=math.nan)
    gap_fit_poor: bool | None = quantity("", default=None)
    gap_fit_criterion: str = quantity("", default="")
    debye_window_ces_mJ_mol_K2: float = quantity("mJ/(mol K^2)", default=math.nan)
    two_gap_small_meV: float = quantity("meV", default=math.nan)
    two_gap_small_err_meV: float = quantity("meV", default=math.nan)
    two_gap_large_meV: float = quantity("meV", default=math.nan)
    two_gap_large_err_meV: float = quantity("meV", default=math.nan)
    two_gap_small_weight: float = quantity("1", default=math.nan)
    two_gap_fit_misfit: float = quantity("1", default=math.nan)
    lattice_beta_J_molK4: float = internal(math.nan)
    fit: DebyeFit | None = internal(None)
    gap_fit: AlphaFit | None = internal(None)
    two_gap_fit: AlphaFit | None = internal(None)
    T_K: np.ndarray = internal(None)
    C_J_molK: np.ndarray = internal(None)
    branches: tuple | None = internal(None)


def _jump(T, cel_t, above_K, gamma_0):
    """Equal-entropy jump on C_el/T, refined with the normal-state lattice terms when entropy balance agrees."""
    tc, jump, gn, branches = equal_entropy_jump(T, cel_t, above_K=above_K)
    extra = normal_state_lattice(T, cel_t, gamma_0=gamma_0, tb_K=branches[2][1])
    if extra is not None:
        # keep the lattice terms only when entropy balance and the normal branch agree on gamma_n;
        # otherwise the data miss entropy (e.g. a curve that does not conserve it) and the terms
        # would absorb that instead of the lattice
        refined = equal_entropy_jump(T, cel_t - extra(T), above_K=above_K)
        if abs(refined[2] / gn - 1) < _GAMMA_N_AGREEMENT:
            tc, jump, gn, (sc, nb, span) = refined
            # branches on the C/T - beta T^2 scale that figures plot
            branches = (sc + extra, nb + extra, span)
    return tc, jump, gn, branches


def _steepest_drop(T, ct, above_K):
    """(T, 0.3 K) at the steepest drop of C/T on warming above ``above_K``, or None without a drop."""
    upper = np.flatnonzero(T > above_K)
    if upper.size < 8:
        return None
    slope = local_slope(T, ct)
    q = int(upper[np.argmin(slope[upper])])
    return (float(T[q]), 0.3) if slope[q] < 0 and q + 2 < T.size else None


def heat_capacity_onset(T_K, Cel_over_T, normal) -> float:
    """Onset of the specific-heat anomaly, K: where the tangent at the steepest drop of C_el/T on warming
    meets the normal branch ``normal(T)`` (the construction of the resistive onset, docs/physics.md).

    NaN when the tangent does not meet the normal branch within 5 K above the steepest point.
    """
    T, y = clean_xy(T_K, Cel_over_T, xname="temperature", yname="electronic C/T", min_points=8)
    t0, y0, slope = steepest_tangent(T, -y)
    if not slope > 0:
        return math.nan

    def gap(t):
        return float(normal(t)) + y0 + slope * (t - t0)

    hi = t0 + 5.0
    if not gap(t0) < 0 < gap(hi):
        return math.nan
    return float(brentq(gap, t0, hi, xtol=1e-6))


def analyze_heat_capacity(T_K, C_J_molK, *, window_K=(3.0, 5.0), atoms_per_formula_unit: int | None = None,
                          gamma_n_mJ_mol_K2: float | None = None, source: str | None = None) -> HeatCapacityResult:
    """Debye fit, alpha-model gap fit, equal-entropy jump, onset and superconducting electronic fraction.

    Parameters
    ----------
    T_K, C_J_molK : array_like
        Temperature (K) and molar heat capacity (J/(mol K)).
    window_K : (lo, hi)
        Debye-fit window, K.
    atoms_per_formula_unit : int, optional
        For the Debye temperature (NaN without it).
    gamma_n_mJ_mol_K2 : float, optional
        Known normal-state gamma; default the normal branch at Tc of the equal-entropy construction.

    Returns
    -------
    HeatCapacityResult
        gamma and beta of the line C/T = gamma + beta T^2 over the window, with errors, and
        theta_D; the one-gap alpha model (:func:`scprobe.bulk.gap.fit_alpha_model`) over the
        superconducting state: Delta_0 with its error, alpha, its gamma_0 and beta and the
        goodness-of-fit flag; Tc and dC/(gamma_n Tc) from the equal-entropy construction
        (:func:`equal_entropy_jump`) on C_el/T = C/T - beta T^2 - (higher lattice terms from
        :func:`normal_state_lattice` when entropy balance confirms them), beta from the gap fit
        when it is good; the onset (:func:`heat_capacity_onset`); gamma_n used and
        sc_electronic_fraction = 1 - gamma_0/gamma_n.  Tc, jump, gap and fraction are NaN when
        the data show no anomaly (or do not reach above it).
    """
    T, C = clean_xy(T_K, C_J_molK, xname="temperature", yname="heat capacity", source=source)
    fit = debye_fit(T, C, window_K, source=source)
    beta, gamma_0, source0 = fit.beta_J_molK4, fit.gamma_J_molK2, "Debye fit"
    gap = None
    tc = jump = gn = onset = math.nan
    branches = None
    try:
        tc, jump, gn, branches = _jump(T, C / T - beta * T ** 2, fit.window_K[1], gamma_0)
        ta, tb = branches[2]
        start = (tc, max((tb - ta) / 8, 0.05))
    except ParameterError:
        # the window's beta may be far off (condensed electrons in the window): start the gap fit
        # from the steepest drop of C/T itself, on which the lattice only adds a gentle rise
        start = _steepest_drop(T, C / T, fit.window_K[1])
    two = None
    if start is not None:
        try:
            gap = fit_alpha_model(T, C, tc0_K=start[0], sigma0_K=start[1])
            if gap.poor_fit:
                # one gap does not describe the data: try two bands (a multi-gap superconductor)
                two = fit_alpha_model(T, C, tc0_K=gap.tc_K, sigma0_K=gap.tc_width_K, gaps=2)
        except ParameterError:
            pass
    chosen = gap if gap is not None and not gap.poor_fit else (two if two is not None and not two.poor_fit
                                                                 else None)
    if chosen is not None or (branches is None and gap is not None):
        # a good gap fit separates C_es from the lattice: its beta and gamma_0 replace the window's;
        # when the window's beta gives no jump, a poor one still pins beta by the normal state above Tc
        beta = (chosen or gap).beta_J_molK4
        if chosen is not None:
            gamma_0 = chosen.gamma0_J_molK2
            source0 = "alpha-model fit" if chosen is gap else "two-gap alpha-model fit"
        try:
            tc, jump, gn, branches = _jump(T, C / T - beta * T ** 2, fit.window_K[1], gamma_0)
        except ParameterError:
            tc = jump = gn = math.nan
            branches = None
    if branches is not None:
        onset = heat_capacity_onset(T, C / T - beta * T ** 2, branches[1])
    if gamma_n_mJ_mol_K2 is not None:
        gn = gamma_n_mJ_mol_K2 * 1e-3
    theta = debye_temperature_K(fit.beta_J_molK4, atoms_per_formula_unit) if atoms_per_formula_unit else math.nan
    usable = gn and math.isfinite(gn)
    extra = {}
    if gap is not None:
        lo_w, hi_w = fit.window_K
        ces = alpha_model_ct([hi_w], tc_K=gap.tc_K, sigma_K=gap.tc_width_K, alpha=gap.alpha, gamma0=0.0,
                             gamma_n=gap.gamma_n_J_molK2 - gap.gamma0_J_molK2)[0]
        extra = dict(delta0_meV=gap.delta0_eV * 1e3, delta0_err_meV=gap.delta0_err_eV * 1e3, gap_ratio=gap.alpha,
                     gap_fit_gamma0_mJ_mol_K2=gap.gamma0_J_molK2 * 1e3, gap_fit_beta_mJ_mol_K4=gap.beta_J_molK4 * 1e3,
                     gap_fit_misfit=gap.rms_residual, gap_fit_poor=gap.poor_fit, gap_fit_criterion=gap.criterion,
                     debye_window_ces_mJ_mol_K2=float(ces) * 1e3)
    if two is not None:
        extra.update(two_gap_small_meV=two.small_delta0_eV * 1e3, two_gap_small_err_meV=two.small_delta0_err_eV * 1e3,
                     two_gap_large_meV=two.delta0_eV * 1e3, two_gap_large_err_meV=two.delta0_err_eV * 1e3,
                     two_gap_small_weight=two.small_weight, two_gap_fit_misfit=two.rms_residual)
    return HeatCapacityResult(
        gamma_mJ_mol_K2=fit.gamma_J_molK2 * 1e3, gamma_err_mJ_mol_K2=fit.gamma_err_J_molK2 * 1e3,
        beta_mJ_mol_K4=fit.beta_J_molK4 * 1e3, beta_err_mJ_mol_K4=fit.beta_err_J_molK4 * 1e3,
        debye_temperature_K=theta, tc_K=tc, tc_onset_K=onset, jump_ratio=jump / gn if usable else math.nan,
        gamma_n_mJ_mol_K2=gn * 1e3, gamma0_mJ_mol_K2=gamma_0 * 1e3 if math.isfinite(tc) else math.nan,
        gamma0_source=source0 if math.isfinite(tc) else "",
        sc_electronic_fraction=1 - gamma_0 / gn if usable else math.nan, **extra,
        lattice_beta_J_molK4=beta, fit=fit, gap_fit=gap, two_gap_fit=two, T_K=T, C_J_molK=C, branches=branches)


def _hc_unit(path, name: str) -> tuple[float, bool]:
    """(factor to J/K or J/(mol K), per_mole) from the column unit."""
    u = column_unit(name).lower().replace("\u00b5", "u").replace("\u03bc", "u").replace(" ", "")
    u = u.replace("mole", "mol")
    m = re.fullmatch(r"([munk]?)j/(?:\(?mol[-/*.·]?k\)?|k(?:[-/*.·]?mol)?|k/mol|mol/k)", u)
    if not m:
        raise FormatError(path, f"column {name!r}: unknown heat-capacity unit {column_unit(name)!r}")
    return _PREFIX[m.group(1)], "mol" in u


def load_heat_capacity(qd: QDFile, moles: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Temperature (K) and molar heat capacity (J/(mol K)) from a PPMS heat-capacity file.

    Per-sample columns (``Samp HC (µJ/K)``) are divided by ``moles`` (mass / molar mass);
    per-mole columns (``Samp HC (mJ/mole-K)``) are used directly.
    """
    tname = find_column(qd, HC_TEMPERATURE_COLUMNS, with_data=True) or find_column(qd, HC_TEMPERATURE_COLUMNS)
    T = column(qd, [tname] if tname else HC_TEMPERATURE_COLUMNS)
    cols = [c for c in qd.columns if column_base(c).lower() in _HC_BASES
            and qd.data[c].notna().any()]
    if not cols:
        raise FormatError(qd.path, "no heat-capacity column (e.g. 'Samp HC (µJ/K)' or 'Samp HC (mJ/mole-K)')")
    per_mol = [c for c in cols if _hc_unit(qd.path, c)[1]]
    name = per_mol[0] if per_mol else cols[0]
    factor, is_molar = _hc_unit(qd.path, name)
    C = column(qd, [name]) * factor
    if not is_molar:
        if moles is None:
            raise ParameterError(f"{qd.path}: column {name!r} is per sample; give the sample "
                                 "mass_g and molar_mass_g_mol")
        if not moles > 0:
            raise ParameterError(f"{qd.path}: sample amount must be positive, got {moles} mol")
        C = C / moles
    return T, C
