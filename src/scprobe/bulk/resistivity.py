"""Resistive superconducting transition: onset, 90/50/10 % criteria, zero resistance, RRR.

Definitions follow docs/physics.md (bulk superconductivity): the onset is the intersection of the
normal-state extrapolation rho_n(T) with the tangent at the steepest point of the transition;
T_90, T_50, T_10 are where rho = 0.9, 0.5, 0.1 rho_n(T); width = T_90 - T_10; RRR = rho(300 K) /
rho_n just above Tc.  The normal state is fitted by rho_n = rho_0 + A T^n (e.g. Ashcroft & Mermin,
Solid State Physics, ch. 26; n = 2 Fermi liquid, n = 1 strange/phonon-dominated metal).
"""
from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, brentq, curve_fit

from scprobe.results import Result, internal, quantity
from scprobe.bulk._util import clean_xy, crossing, local_slope, steepest_tangent
from scprobe.errors import FormatError, ParameterError
from scprobe.io.qd import QDFile, channels, column, column_base, column_unit

__all__ = ["ResistivityResult", "resistive_transition", "normal_state_fit", "load_resistivity"]

TEMPERATURE_COLUMNS = ("Temperature (K)", "Sample Temp (Kelvin)", "Temperature (Kelvin)", "Sample Temperature (K)")
_RHO_PATTERNS = ("Bridge {n} Resistivity", "Resistivity Ch{n}", "Resistivity")
_R_PATTERNS = ("Bridge {n} Resistance", "Resistance Ch{n}", "Resistance")
_RHO_UNITS = {"ohm-m": 1.0, "ohm m": 1.0, "ohm-cm": 1e-2, "ohm cm": 1e-2, "mohm-cm": 1e-5, "uohm-cm": 1e-8,
              "µohm-cm": 1e-8, "μohm-cm": 1e-8, "uohm cm": 1e-8, "µohm cm": 1e-8}
_R_UNITS = {"ohms": 1.0, "ohm": 1.0, "mohm": 1e-3, "mohms": 1e-3, "kohm": 1e3, "kohms": 1e3}


@dataclass(frozen=True)
class ResistivityResult(Result):
    """Resistive transition (temperatures in K, resistivity in Ohm m; NaN when not reached)."""

    tc_onset_K: float = quantity("K")
    tc_90_K: float = quantity("K")
    tc_50_K: float = quantity("K")
    tc_10_K: float = quantity("K")
    t_zero_K: float = quantity("K")
    width_K: float = quantity("K")
    rho0_ohm_m: float = quantity("Ohm m")
    rrr: float = quantity("1")
    normal_state_exponent: float = quantity("1")
    T_K: np.ndarray = internal(None)
    rho_ohm_m: np.ndarray = internal(None)
    normal_fit: tuple[float, float, float] = internal(None)
    normal_window_K: tuple[float, float] = internal(None)
    tangent: tuple[float, float, float] = internal(None)
    is_resistivity: bool = internal(True)

    def rho_n(self, T_K) -> np.ndarray:
        """Normal-state fit rho_0 + A T^n evaluated at ``T_K`` (Ohm m)."""
        r0, a, n = self.normal_fit
        return r0 + a * np.asarray(T_K, dtype=float) ** n


def _power_law(T, r0, a, n):
    return r0 + a * T ** n


def normal_state_fit(T_K, rho_ohm_m, window_K: tuple[float, float], *, source: str | None = None):
    """Fit rho_n(T) = rho_0 + A T^n over ``window_K``.

    Returns
    -------
    (rho_0, A, n) : tuple of float
        rho_0 in the unit of ``rho_ohm_m``, A in that unit per K^n; n dimensionless in [0.1, 6].

    Raises
    ------
    ParameterError
        Fewer than 5 points in the window, or a window with lo >= hi.
    """
    lo, hi = window_K
    if not hi > lo:
        raise ParameterError(f"normal-state window must have lo < hi, got {window_K}")
    T, rho = clean_xy(T_K, rho_ohm_m, xname="temperature", yname="resistivity", source=source)
    sel = (T >= lo) & (T <= hi)
    if sel.sum() < 5:
        where = f" of {source}" if source else ""
        raise ParameterError(f"normal-state fit{where}: {int(sel.sum())} points in {lo:.3g}-{hi:.3g} K, need 5")
    t, r = T[sel], rho[sel]
    scale = float(np.max(np.abs(r))) or 1.0
    t_ref = float(t.max())
    slope, icpt = np.polyfit(t / t_ref, r / scale, 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            p, _ = curve_fit(_power_law, t / t_ref, r / scale, p0=(icpt, slope, 1.0),
                             bounds=([-np.inf, -np.inf, 0.1], [np.inf, np.inf, 6.0]), maxfev=5000)
        r0, a, n = p
    except (RuntimeError, ValueError):
        r0, a, n = icpt, slope, 1.0
    return float(r0 * scale), float(a * scale / t_ref ** n), float(n)


def _crossing_near(T, ratio, i, level):
    step = 1 if ratio[i] < level else -1
    return crossing(T, ratio, i, step, level)


def _rho_at_300K(T, rho):
    if T[-1] >= 300.0:
        return float(np.interp(300.0, T, rho))
    if T[-1] >= 290.0:
        top = T >= T[-1] - 20.0
        k, c = np.polyfit(T[top], rho[top], 1)
        return float(k * 300.0 + c)
    return math.nan


def resistive_transition(T_K, rho_ohm_m, *, normal_window_K: tuple[float, float] | None = None,
                         source: str | None = None) -> ResistivityResult:
    """Analyse a superconducting resistive transition rho(T).

    Parameters
    ----------
    T_K : array_like
        Temperature in K (any order; warming and cooling sweeps are merged by sorting).
    rho_ohm_m : array_like
        Resistivity in Ohm m (a resistance in Ohm also works: every criterion is relative).
    normal_window_K : (lo, hi), optional
        Window of the normal-state fit; default from just above the transition to
        ``max(20 K, Tc)`` higher.
    source : str, optional
        File name for error messages.

    Returns
    -------
    ResistivityResult
        Onset by the steepest-tangent construction; T_90/T_50/T_10 against rho_n(T);
        t_zero: highest temperature below which |rho| stays under max(3 sigma, 1e-3 rho_n),
        sigma the point-to-point noise of the lowest-temperature points; width T_90 - T_10;
        rho0 = rho_n(onset); RRR = rho(300 K)/rho0 when the data reach 290 K (else NaN).

    Raises
    ------
    ParameterError
        Fewer than 10 points, or no rising transition.
    """
    T, rho = clean_xy(T_K, rho_ohm_m, xname="temperature", yname="resistivity", min_points=10, source=source)
    if np.ptp(T) < 2.0:
        raise ParameterError(f"rho(T){' of ' + source if source else ''}: temperature spans only "
                             f"{np.ptp(T):.3g} K; not a temperature sweep")
    slope = local_slope(T, rho)
    if not np.isfinite(slope).any() or np.nanmax(slope) <= 0:
        raise ParameterError(f"no superconducting transition in rho(T){' of ' + source if source else ''}")
    i_star = int(np.nanargmax(slope))
    s_max = slope[i_star]
    i_hi = i_star
    while i_hi + 1 < T.size and slope[i_hi + 1] > 0.1 * s_max:
        i_hi += 1
    i_lo = i_star
    while i_lo > 0 and slope[i_lo - 1] > 0.1 * s_max:
        i_lo -= 1
    if T[i_hi] - T[i_lo] > 0.5 * np.ptp(T) or not np.min(rho[: i_star + 1]) < 0.5 * np.max(rho[i_star:i_hi + 1]):
        raise ParameterError(f"no superconducting transition in rho(T){' of ' + source if source else ''}: "
                             "no steep drop to below half the normal-state value")
    spacing = float(np.median(np.diff(T))) if T.size > 1 else 0.0
    width_rough = max(T[i_hi] - T[i_lo], 2 * spacing)
    if normal_window_K is None:
        lo = T[i_hi] + 0.5 * width_rough
        hi = lo + max(20.0, T[i_star])
        above = np.flatnonzero(T >= lo)
        if above.size >= 5 and T[above[min(9, above.size - 1)]] > hi:
            hi = float(T[above[min(9, above.size - 1)]])
        normal_window_K = (float(lo), float(hi))
    r0, a, n = normal_state_fit(T, rho, normal_window_K, source=source)
    rho_n = r0 + a * T ** n
    if np.any(rho_n[T <= normal_window_K[1]] <= 0):
        raise ParameterError("normal-state extrapolation of rho(T) reaches zero; give normal_window_K")
    ratio = rho / rho_n
    t90, t50, t10 = (_crossing_near(T, ratio, i_star, lv) for lv in (0.9, 0.5, 0.1))
    if not (np.nanmin(ratio[: i_star + 1]) < 0.5 < np.nanmax(ratio[i_star:])):
        raise ParameterError(f"rho(T){' of ' + source if source else ''} does not fall below half its normal "
                             "value: no superconducting transition")
    t_c, r_c, s_tan = steepest_tangent(T, rho)
    gap = lambda t: r_c + s_tan * (t - t_c) - (r0 + a * t ** n)  # noqa: E731
    onset = math.nan
    t_up = t_c
    while t_up < T[-1] + 10 * width_rough:
        t_next = t_up + max(width_rough, spacing)
        if gap(t_up) <= 0 <= gap(t_next):
            onset = brentq(gap, t_up, t_next, xtol=1e-6)
            break
        t_up = t_next
    rho_scale = float(r0 + a * t50 ** n) if math.isfinite(t50) else float(np.nanmax(rho_n))
    low = T < (t10 if math.isfinite(t10) else T[i_lo])
    steps = np.diff(rho[low][: max(10, low.sum() // 2)])
    sigma = 1.4826 * float(np.median(np.abs(steps - np.median(steps)))) / math.sqrt(2) if steps.size >= 3 else 0.0
    thr = max(3 * sigma, 1e-3 * rho_scale)
    t_zero = math.nan
    if abs(rho[0]) <= thr:
        k = int(np.argmax(np.abs(rho) > thr))
        t_zero = float(T[k - 1] + (thr - abs(rho[k - 1])) * (T[k] - T[k - 1]) / (abs(rho[k]) - abs(rho[k - 1])))
    rho0 = float(r0 + a * onset ** n) if math.isfinite(onset) else math.nan
    rho300 = _rho_at_300K(T, rho)
    return ResistivityResult(
        tc_onset_K=float(onset), tc_90_K=t90, tc_50_K=t50, tc_10_K=t10, t_zero_K=t_zero,
        width_K=t90 - t10, rho0_ohm_m=rho0, rrr=rho300 / rho0 if rho0 > 0 else math.nan,
        normal_state_exponent=n, T_K=T, rho_ohm_m=rho, normal_fit=(r0, a, n),
        normal_window_K=normal_window_K, tangent=(t_c, r_c, s_tan))


def _unit_factor(name: str, table: dict[str, float]) -> float | None:
    u = re.sub(r"\s+", " ", column_unit(name).strip().lower()).replace("\u03a9", "ohm")
    return table.get(u)


def load_resistivity(qd: QDFile, bridge: int | None = 1) -> tuple[np.ndarray, np.ndarray, bool]:
    """Temperature (K) and resistivity (Ohm m) of one bridge/channel of a PPMS file.

    Looks for a resistivity column (``Bridge n Resistivity (Ohm-m)``, ``... (Ohm-cm)``,
    ``Resistivity Chn``), else a resistance column (``Bridge n Resistance (Ohms)``,
    ``Resistance Chn (Ohms)``).  ``bridge=None`` takes the first bridge holding data.

    Returns
    -------
    T_K, values, is_resistivity
        ``values`` in Ohm m when ``is_resistivity``, else a resistance in Ohm.

    Raises
    ------
    FormatError
        Naming the file and the columns looked for.
    """
    T = column(qd, TEMPERATURE_COLUMNS)
    for patterns, table, is_rho in ((_RHO_PATTERNS, _RHO_UNITS, True), (_R_PATTERNS, _R_UNITS, False)):
        for pat in patterns:
            base = pat
            if "{n}" in pat:
                nums = channels(qd, pat)
                if not nums:
                    continue
                if bridge is not None and bridge not in nums:
                    raise FormatError(qd.path, f"no data in column {pat.format(n=bridge)!r}; "
                                               f"bridges/channels with data: {nums}")
                base = pat.format(n=bridge if bridge is not None else nums[0])
            cols = [c for c in qd.columns if column_base(c).lower() == base.lower()]
            if not cols:
                continue
            factor = _unit_factor(cols[0], table)
            if factor is None:
                raise FormatError(qd.path, f"column {cols[0]!r}: unknown unit {column_unit(cols[0])!r}")
            values = column(qd, [cols[0]]) * factor
            if not np.isfinite(values).any():
                raise FormatError(qd.path, f"column {cols[0]!r} holds no data")
            return T, values, is_rho
    raise FormatError(qd.path, "no resistivity or resistance column (e.g. 'Bridge 1 Resistivity (Ohm-m)', "
                               "'Resistance Ch1 (Ohms)') in the data table")
