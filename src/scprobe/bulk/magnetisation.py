"""M(H) hysteresis loops: loop width, Bean critical current density Jc(H) and its Kim fit, symmetry check.

Bean critical state for a rectangular slab with the field perpendicular to its a x b face
(a <= b): J_c = 20 dM / (a (1 - a / (3 b))) with dM = M_up - M_down in emu/cm^3 and a, b in cm
giving A/cm^2 (C. P. Bean, Rev. Mod. Phys. 36, 31 (1964); E. M. Gyorgy et al., Appl. Phys.
Lett. 55, 283 (1989)); docs/physics.md.  Output here is SI: A/m^2 (1e5 A/cm^2 = 1e9 A/m^2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scprobe.results import Result, internal, quantity
from scprobe.errors import FormatError, ParameterError
from scprobe.io.qd import QDFile, column, find_column

__all__ = ["MagnetisationResult", "bean_jc", "kim_fit", "split_loop", "analyze_loop", "load_mh"]

OE_TO_TESLA = 1e-4  # mu0 H in T for H in Oe


def bean_jc(H_Oe, M_emu_cm3_up, M_emu_cm3_down, a_m: float, b_m: float) -> np.ndarray:
    """Bean critical current density J_c(H) in A/m^2.

    Parameters
    ----------
    H_Oe : array_like
        Applied field, Oe (the common field grid of both branches).
    M_emu_cm3_up, M_emu_cm3_down : array_like
        Upper (field decreasing) and lower (field increasing) branches, emu/cm^3, on ``H_Oe``.
    a_m, b_m : float
        Sides of the face perpendicular to the field, m, a <= b.

    Returns
    -------
    ndarray
        J_c = 20 dM / (a_cm (1 - a/(3 b))) A/cm^2, converted to A/m^2 (x 1e4).
    """
    if not (a_m > 0 and b_m > 0 and math.isfinite(a_m) and math.isfinite(b_m)):
        raise ParameterError(f"Bean slab sides must be positive, got a={a_m!r} m, b={b_m!r} m")
    if a_m > b_m:
        a_m, b_m = b_m, a_m
    H = np.asarray(H_Oe, dtype=float)
    up, down = np.asarray(M_emu_cm3_up, dtype=float), np.asarray(M_emu_cm3_down, dtype=float)
    if not (H.shape == up.shape == down.shape):
        raise ParameterError(f"field and branch arrays differ in shape: {H.shape}, {up.shape}, {down.shape}")
    a_cm = a_m * 100.0
    return 20.0 * (up - down) / (a_cm * (1 - a_m / (3 * b_m))) * 1e4


def split_loop(H_Oe) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the field-decreasing and field-increasing branches of a loop (in field order).

    The loop is cut into runs of one sweep direction; the decreasing run and the increasing
    run spanning the widest field range are the branches (the virgin curve 0 -> Hmax spans
    half as much as the return branch and is dropped).
    """
    H = np.asarray(H_Oe, dtype=float)
    d = np.sign(np.diff(H))
    for i in range(1, d.size):
        if d[i] == 0:
            d[i] = d[i - 1]
    runs, start = [], 0
    for i in range(1, d.size + 1):
        if i == d.size or d[i] != d[start]:
            runs.append((d[start], start, i + 1))
            start = i
    best = {}
    for sign, lo, hi in runs:
        span = float(np.ptp(H[lo:hi]))
        if sign != 0 and span > best.get(sign, (-1.0, None))[0]:
            best[sign] = (span, np.arange(lo, hi))
    if -1 not in best or 1 not in best:
        raise ParameterError("M(H) data are not a loop: need both a decreasing and an increasing field sweep")
    dec, inc = best[-1][1], best[1][1]
    return dec[np.argsort(H[dec], kind="stable")], inc[np.argsort(H[inc], kind="stable")]


def kim_fit(B_T, jc_A_m2, *, max_field_T: float | None = None) -> tuple[float, float, float]:
    """Kim field dependence Jc(B) = Jc0 / (1 + |B|/B0) fitted to a Jc(B) curve.

    1/Jc = 1/Jc0 + |B| / (Jc0 B0) is linear in |B|; the least squares minimise the relative misfit
    (Y. B. Kim, C. F. Hempstead, A. R. Strnad, Phys. Rev. 129, 528 (1963)).

    Parameters
    ----------
    B_T, jc_A_m2 : array_like
        Field mu0 H (T) and critical current density (A/m^2).
    max_field_T : float, optional
        Use only |B| up to this field (exclude the turning points of the loop).

    Returns
    -------
    jc0_A_m2, b0_T, rms : float
        Jc0 (A/m^2), B0 (T; inf when Jc does not fall with field) and the rms relative misfit.
    """
    B, J = np.abs(np.asarray(B_T, dtype=float)), np.asarray(jc_A_m2, dtype=float)
    ok = np.isfinite(B) & np.isfinite(J) & (J > 0)
    if max_field_T is not None:
        ok &= B <= max_field_T
    if ok.sum() < 3 or np.ptp(B[ok]) == 0:
        return math.nan, math.nan, math.nan
    B, J = B[ok], J[ok]
    (a, b), *_ = np.linalg.lstsq(np.column_stack([J, J * B]), np.ones_like(J), rcond=None)
    if not a > 0:
        return math.nan, math.nan, math.nan
    model = 1 / (a + b * B)
    rms = float(np.sqrt(np.mean((J / model - 1) ** 2)))
    return float(1 / a), float(a / b) if b > 0 else math.inf, rms


@dataclass(frozen=True)
class MagnetisationResult(Result):
    """Bean analysis of an M(H) loop; jc_curve holds field_Oe (Oe), mu0H_T (T) and jc_A_m2 (A/m^2) lists.

    ``jc_A_m2`` is the Bean Jc at zero applied field; ``jc0_A_m2`` and ``jc_field_scale_T`` the Kim fit
    Jc(B) = Jc0 / (1 + |B|/B0) of the Bean Jc over the fields where both branches are in the critical
    state (|H| up to 90 % of the loop's maximum field), ``jc_fit_rms`` its rms relative misfit.
    """

    jc_A_m2: float = quantity("A/m^2")
    jc_curve: dict = quantity("")
    symmetric: bool = quantity("")
    jc0_A_m2: float = quantity("A/m^2", default=math.nan)
    jc_field_scale_T: float = quantity("T", default=math.nan)
    jc_fit_rms: float = quantity("1", default=math.nan)
    symmetry_deviation: float = internal(math.nan)
    H_Oe: np.ndarray = internal(None)
    M_emu_cm3: np.ndarray = internal(None)


def analyze_loop(H_Oe, M_emu_cm3, a_m: float, b_m: float, *, n_grid: int = 201,
                 symmetry_tolerance: float = 0.1) -> MagnetisationResult:
    """Loop width dM(H), J_c(H) by Bean, J_c at zero field and a symmetry check.

    Parameters
    ----------
    H_Oe : array_like
        Applied field, Oe, in measurement order.
    M_emu_cm3 : array_like
        Volume magnetisation, emu/cm^3 (moment / volume).
    a_m, b_m : float
        Sides of the face perpendicular to the field, m.
    n_grid : int
        Points of the common field grid of both branches.
    symmetry_tolerance : float
        The loop is called symmetric when M_up(H) + M_down(-H) (zero for a loop symmetric under
        inversion, whatever the reversible background) stays within this fraction of max dM (rms).

    Returns
    -------
    MagnetisationResult
    """
    H = np.asarray(H_Oe, dtype=float)
    M = np.asarray(M_emu_cm3, dtype=float)
    ok = np.isfinite(H) & np.isfinite(M)
    H, M = H[ok], M[ok]
    if H.size < 10:
        raise ParameterError(f"M(H) loop has {H.size} finite points, need at least 10")
    dec, inc = split_loop(H)
    lo, hi = max(H[dec].min(), H[inc].min()), min(H[dec].max(), H[inc].max())
    if not hi > lo:
        raise ParameterError("the field-decreasing and field-increasing branches do not overlap in field")
    grid = np.linspace(lo, hi, n_grid)
    up = np.interp(grid, H[dec], M[dec])
    down = np.interp(grid, H[inc], M[inc])
    jc = bean_jc(grid, up, down, a_m, b_m)
    jc0 = float(np.interp(0.0, grid, jc)) if lo <= 0 <= hi else math.nan
    width = float(np.max(np.abs(up - down)))
    mirror = (-grid >= lo) & (-grid <= hi)
    dev = float(np.sqrt(np.mean((up[mirror] + np.interp(-grid[mirror], grid, down)) ** 2))) / width \
        if mirror.any() and width > 0 else math.nan
    curve = {"field_Oe": grid, "mu0H_T": grid * OE_TO_TESLA, "jc_A_m2": jc}
    # near the turning points the branches have not reached the critical state: the width there is not 2 Jc
    k0, b0, rms = kim_fit(grid * OE_TO_TESLA, jc, max_field_T=0.9 * max(abs(lo), abs(hi)) * OE_TO_TESLA)
    return MagnetisationResult(jc_A_m2=jc0, jc_curve=curve, symmetric=bool(dev <= symmetry_tolerance),
                               jc0_A_m2=k0, jc_field_scale_T=b0, jc_fit_rms=rms,
                               symmetry_deviation=dev, H_Oe=H, M_emu_cm3=M)


def load_mh(qd: QDFile) -> tuple[np.ndarray, np.ndarray]:
    """Field (Oe) and moment (emu) of a VSM/MPMS M(H) file."""
    from scprobe.bulk.susceptibility import FIELD_COLUMNS, MOMENT_COLUMNS

    H = column(qd, FIELD_COLUMNS)
    name = find_column(qd, MOMENT_COLUMNS, with_data=True)
    if name is None:
        raise FormatError(qd.path, f"no magnetic moment column with data (one of {list(MOMENT_COLUMNS)})")
    return H, column(qd, [name])
