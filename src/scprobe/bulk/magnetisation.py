"""M(H) hysteresis loops: loop width, Bean critical current density, symmetry check.

Bean critical state for a rectangular slab with the field perpendicular to its a x b face
(a <= b): J_c = 20 dM / (a (1 - a / (3 b))) with dM = M_up - M_down in emu/cm^3 and a, b in cm
giving A/cm^2 (C. P. Bean, Rev. Mod. Phys. 36, 31 (1964); E. M. Gyorgy et al., Appl. Phys.
Lett. 55, 283 (1989)); docs/physics.md.  Output here is SI: A/m^2 (1e5 A/cm^2 = 1e9 A/m^2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scprobe.results import Result, internal
from scprobe.errors import FormatError, ParameterError
from scprobe.io.qd import QDFile, column, find_column

__all__ = ["MagnetisationResult", "bean_jc", "split_loop", "analyze_loop", "load_mh"]

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


@dataclass(frozen=True)
class MagnetisationResult(Result):
    """Bean analysis of an M(H) loop (A/m^2; jc_curve holds field_Oe, mu0H_T and jc_A_m2 lists)."""

    jc_A_m2: float
    jc_curve: dict
    symmetric: bool
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
    return MagnetisationResult(jc_A_m2=jc0, jc_curve=curve, symmetric=bool(dev <= symmetry_tolerance),
                               symmetry_deviation=dev, H_Oe=H, M_emu_cm3=M)


def load_mh(qd: QDFile) -> tuple[np.ndarray, np.ndarray]:
    """Field (Oe) and moment (emu) of a VSM/MPMS M(H) file."""
    from scprobe.bulk.susceptibility import FIELD_COLUMNS, MOMENT_COLUMNS

    H = column(qd, FIELD_COLUMNS)
    name = find_column(qd, MOMENT_COLUMNS, with_data=True)
    if name is None:
        raise FormatError(qd.path, f"no magnetic moment column with data (one of {list(MOMENT_COLUMNS)})")
    return H, column(qd, [name])
