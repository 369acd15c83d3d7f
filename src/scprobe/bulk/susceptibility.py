"""DC susceptibility chi(T): SI volume susceptibility, demagnetisation correction, shielding and Meissner fractions.

docs/physics.md: chi_v = 4 pi M_v / H with M_v in emu/cm^3 and H in Oe (dimensionless SI volume
susceptibility); the measured chi_meas = chi / (1 + N chi), so chi = chi_meas / (1 - N chi_meas)
with N the demagnetising factor (Aharoni, J. Appl. Phys. 83, 3432 (1998), see
:func:`scprobe.bulk.geometry.demag_factor_prism`).  A perfect diamagnet has chi = -1.
The ZFC branch at the lowest temperature gives the shielding fraction -chi, the FC branch the
Meissner (flux-expulsion) fraction (e.g. Prozorov & Kogan, Phys. Rev. Appl. 10, 014030 (2018)).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scprobe.results import Result, internal, quantity
from scprobe.bulk._util import clean_xy, steepest_tangent
from scprobe.bulk.resistivity import TEMPERATURE_COLUMNS
from scprobe.errors import FormatError, ParameterError
from scprobe.io.qd import QDFile, column, find_column

__all__ = ["SusceptibilityResult", "volume_susceptibility", "demag_correct", "split_zfc_fc",
           "diamagnetic_onset", "analyze_susceptibility", "load_moment_T"]

MOMENT_COLUMNS = ("DC Moment Fixed Ctr (emu)", "DC Moment Free Ctr (emu)", "DC Moment (emu)", "Moment (emu)",
                  "Long Moment (emu)", "M-DC (emu)", "Long Moment [w/o ABS] (emu)")
FIELD_COLUMNS = ("Magnetic Field (Oe)", "Field (Oe)")


@dataclass(frozen=True)
class SusceptibilityResult(Result):
    """Demagnetisation-corrected susceptibility (fractions 0..1, temperature in K)."""

    demag_factor: float = quantity("1")
    shielding_fraction: float = quantity("1")
    meissner_fraction: float = quantity("1")
    tc_onset_K: float = quantity("K")
    T_zfc_K: np.ndarray = internal(None)
    chi_zfc: np.ndarray = internal(None)
    T_fc_K: np.ndarray = internal(None)
    chi_fc: np.ndarray = internal(None)
    field_Oe: float = internal(math.nan)


def volume_susceptibility(moment_emu, field_Oe, volume_cm3: float) -> np.ndarray:
    """chi_v = 4 pi (m / V) / H, dimensionless SI volume susceptibility.

    Parameters
    ----------
    moment_emu : array_like
        Magnetic moment in emu.
    field_Oe : float or array_like
        Applied field in Oe (non-zero).
    volume_cm3 : float
        Sample volume in cm^3.
    """
    if not (math.isfinite(volume_cm3) and volume_cm3 > 0):
        raise ParameterError(f"sample volume must be positive, got {volume_cm3!r} cm^3")
    H = np.asarray(field_Oe, dtype=float)
    if np.any(~np.isfinite(H)) or np.any(H == 0):
        raise ParameterError("susceptibility needs a finite, non-zero applied field (Oe)")
    return 4 * np.pi * (np.asarray(moment_emu, dtype=float) / volume_cm3) / H


def demag_correct(chi_measured, N: float) -> np.ndarray:
    """Intrinsic chi = chi_meas / (1 - N chi_meas) (SI, N in 0..1)."""
    if not (0 <= N < 1):
        raise ParameterError(f"demagnetisation factor must be in [0, 1), got {N!r}")
    chi_m = np.asarray(chi_measured, dtype=float)
    return chi_m / (1 - N * chi_m)


def split_zfc_fc(T_K, comments=None) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays of the ZFC and FC branches of one chi(T) file.

    With ``comments`` (the file's Comment column), a row whose comment contains ``ZFC`` or
    ``FC`` starts that branch (later rows inherit it).  Without usable comments the first
    temperature sweep is ZFC and the rest FC: the break is the first persistent reversal of the
    sweep direction or a jump much larger than the typical temperature step.
    """
    T = np.asarray(T_K, dtype=float)
    idx = np.arange(T.size)
    if comments is not None:
        labels, cur = [], None
        for c in comments:
            s = str(c).strip().upper() if isinstance(c, str) else ""
            if "ZFC" in s:
                cur = "ZFC"
            elif "FC" in s:
                cur = "FC"
            labels.append(cur)
        labels = np.array(labels, dtype=object)
        if any(lab is not None for lab in labels):
            return idx[labels == "ZFC"], idx[labels == "FC"]
    d = np.diff(T)
    if d.size == 0:
        return idx, idx[:0]
    moving = d[d != 0]
    if moving.size == 0:
        return idx, idx[:0]
    step = float(np.median(np.abs(moving)))
    direction = np.sign(np.sum(np.sign(moving[: max(3, moving.size // 10)]))) or np.sign(moving[0])
    for k in range(d.size):
        jump = step > 0 and abs(d[k]) > 10 * step
        reversal = all(np.sign(d[k:k + 3]) == -direction) and d[k:k + 3].size == 3
        if jump or reversal:
            while reversal and k > 0 and d[k - 1] == 0:
                k -= 1  # a point repeated at the turning temperature starts the new branch
            return idx[: k + 1], idx[k + 1:]
    return idx, idx[:0]


def diamagnetic_onset(T_K, chi) -> float:
    """Tc from the diamagnetic onset: steepest-tangent construction against the normal baseline.

    The baseline is the median of chi over the upper third of the temperature range; the tangent
    at the steepest rise of chi(T) is intersected with it (as for the resistive onset, docs/physics.md).
    """
    T, c = clean_xy(T_K, chi, xname="temperature", yname="susceptibility", min_points=6)
    top = T >= T[0] + 2 * (T[-1] - T[0]) / 3
    base = float(np.median(c[top]))
    t0, c0, slope = steepest_tangent(T, c)
    if not slope > 0:
        return math.nan
    return float(t0 + (base - c0) / slope)


def _lowest_T_value(T, chi, npts: int = 3) -> float:
    if T.size == 0:
        return math.nan
    order = np.argsort(T)[:npts]
    return float(np.median(chi[order]))


def analyze_susceptibility(T_K, chi_measured, *, demag_factor: float, branch=None, comments=None,
                           field_Oe: float = math.nan) -> SusceptibilityResult:
    """Shielding and Meissner fractions and Tc from a ZFC/FC chi(T) measurement.

    Parameters
    ----------
    T_K : array_like
        Temperature in K, in measurement order.
    chi_measured : array_like
        Measured SI volume susceptibility (see :func:`volume_susceptibility`), before the
        demagnetisation correction.
    demag_factor : float
        N along the field (0..1).
    branch : (zfc_index, fc_index), optional
        Branch rows; default :func:`split_zfc_fc` with ``comments``.
    comments : sequence of str, optional
        The file's Comment column.
    field_Oe : float
        Field of the measurement (for the record).

    Returns
    -------
    SusceptibilityResult
        shielding_fraction = -chi_ZFC and meissner_fraction = -chi_FC at the lowest temperature
        (median of the three lowest points) after the demagnetisation correction; NaN without FC data.
    """
    T = np.asarray(T_K, dtype=float)
    chi = demag_correct(chi_measured, demag_factor)
    if T.shape != chi.shape:
        raise ParameterError(f"temperature and susceptibility differ in length ({T.size} vs {chi.size})")
    finite_T = T[np.isfinite(T)]
    if finite_T.size and np.ptp(finite_T) < 2.0:
        raise ParameterError(f"temperature spans only {np.ptp(finite_T):.3g} K: not a chi(T) measurement")
    zfc, fc = branch if branch is not None else split_zfc_fc(T, comments)
    ok = np.isfinite(T) & np.isfinite(chi)
    zfc, fc = zfc[ok[zfc]], fc[ok[fc]]
    if zfc.size < 6:
        raise ParameterError(f"ZFC branch has {zfc.size} finite points, need at least 6")
    return SusceptibilityResult(
        demag_factor=float(demag_factor),
        shielding_fraction=-_lowest_T_value(T[zfc], chi[zfc]),
        meissner_fraction=-_lowest_T_value(T[fc], chi[fc]),
        tc_onset_K=diamagnetic_onset(T[zfc], chi[zfc]),
        T_zfc_K=T[zfc], chi_zfc=chi[zfc], T_fc_K=T[fc], chi_fc=chi[fc], field_Oe=float(field_Oe))


def load_moment_T(qd: QDFile) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list | None]:
    """Temperature (K), moment (emu), field (Oe, or None) and Comment column of an MPMS/VSM file."""
    T = column(qd, TEMPERATURE_COLUMNS)
    name = find_column(qd, MOMENT_COLUMNS, with_data=True) or find_column(qd, MOMENT_COLUMNS)
    if name is None:
        raise FormatError(qd.path, f"no magnetic moment column (one of {list(MOMENT_COLUMNS)})")
    m = column(qd, [name])
    fname = find_column(qd, FIELD_COLUMNS)
    H = column(qd, [fname]) if fname else None
    cname = find_column(qd, ["Comment"])
    comments = list(qd.data[cname]) if cname else None
    return T, m, H, comments
