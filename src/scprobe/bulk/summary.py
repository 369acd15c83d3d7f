"""All bulk analyses of one sample from Quantum Design files, and what they do and do not show.

The combined statement follows the argument of the published study (docs/physics.md, "Reference
numbers"): a sharp resistive transition needs only one percolating superconducting path; full ZFC shielding needs
only a closed superconducting shell; the specific heat counts the fraction of electrons at E_F
that condense, to which insulating regions contribute nothing.  None of them measures the
superconducting volume fraction or where it is: that needs a spatially resolved probe.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from scprobe.bulk.geometry import SampleGeometry
from scprobe.bulk.heat_capacity import HeatCapacityResult, analyze_heat_capacity, load_heat_capacity
from scprobe.bulk.magnetisation import MagnetisationResult, analyze_loop, load_mh
from scprobe.bulk.resistivity import ResistivityResult, load_resistivity, resistive_transition
from scprobe.bulk.susceptibility import (SusceptibilityResult, analyze_susceptibility, load_moment_T,
                                         volume_susceptibility)
from scprobe.errors import FormatError, ParameterError, ScprobeError
from scprobe.io.qd import QDFile, read_table
from scprobe.results import Result, jsonable, quantity

logger = logging.getLogger(__name__)

__all__ = ["BulkResult", "analyze_bulk", "bulk_statement"]

@dataclass(frozen=True)
class BulkResult(Result):
    """Results of the bulk analyses present (None for a measurement not given) and the statement."""

    resistivity: ResistivityResult | None = None
    susceptibility: SusceptibilityResult | None = None
    heat_capacity: HeatCapacityResult | None = None
    magnetisation: MagnetisationResult | None = None
    statement: str = quantity("", default="")
    files: dict[str, str] = quantity("", default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {k: (None if getattr(self, k) is None else getattr(self, k).to_dict())
               for k in ("resistivity", "susceptibility", "heat_capacity", "magnetisation")}
        out["statement"] = self.statement
        out["files"] = jsonable(self.files)
        return out


def _fmt(v: float, spec: str = ".2f") -> str:
    return format(v, spec) if v is not None and math.isfinite(v) else "n/a"


def bulk_statement(res: ResistivityResult | None = None, chi: SusceptibilityResult | None = None,
                   hc: HeatCapacityResult | None = None, mh: MagnetisationResult | None = None) -> str:
    """Plain-text paragraph: what the bulk data show and what they cannot show."""
    shows = []
    if res is not None:
        zero = (f"zero resistance below {_fmt(res.t_zero_K)} K" if math.isfinite(res.t_zero_K)
                else "no zero-resistance state within the data")
        shows.append(f"rho(T) drops at an onset of {_fmt(res.tc_onset_K)} K (T50 {_fmt(res.tc_50_K)} K, "
                     f"10-90 % width {_fmt(res.width_K)} K), {zero}")
    if chi is not None:
        shows.append(f"ZFC shielding fraction {_fmt(chi.shielding_fraction)} and FC Meissner fraction "
                     f"{_fmt(chi.meissner_fraction)} after demagnetisation correction (N = "
                     f"{_fmt(chi.demag_factor, '.3f')}), diamagnetic onset {_fmt(chi.tc_onset_K)} K")
    if hc is not None:
        jump = (f"the jump at {_fmt(hc.tc_K)} K (onset {_fmt(hc.tc_onset_K)} K) has dC/(gamma_n Tc) = "
                f"{_fmt(hc.jump_ratio)} (BCS 1.43) with gamma_n = {_fmt(hc.gamma_n_mJ_mol_K2)} mJ/mol K^2, and a "
                f"superconducting electronic fraction 1 - gamma0/gamma_n = {_fmt(hc.sc_electronic_fraction)} "
                f"(gamma0 = {_fmt(hc.gamma0_mJ_mol_K2, '.3f')} mJ/mol K^2 from the {hc.gamma0_source})"
                if math.isfinite(hc.tc_K) else "no specific-heat jump is found in the data")
        shows.append(f"C/T = gamma + beta T^2 over the Debye window gives gamma = {_fmt(hc.gamma_mJ_mol_K2, '.3f')} "
                     f"mJ/mol K^2 and theta_D = {_fmt(hc.debye_temperature_K, '.0f')} K; {jump}")
        if math.isfinite(hc.delta0_meV):
            gap = (f"the one-gap alpha model gives Delta_0 = {_fmt(hc.delta0_meV, '.3f')} +- {_fmt(hc.delta0_err_meV, '.2g')} meV "
                   f"(Delta_0/k_B Tc = {_fmt(hc.gap_ratio)}, BCS 1.76)")
            if hc.gap_fit_poor:
                gap += f" but fits poorly (misfit {_fmt(100 * hc.gap_fit_misfit, '.1f')} % of the condensing C/T)"
                if math.isfinite(hc.two_gap_large_meV):
                    gap += (f"; two gaps fit {'well' if hc.two_gap_fit_misfit <= 0.01 else 'poorly too'}: "
                            f"{_fmt(hc.two_gap_small_meV)} meV ({_fmt(100 * hc.two_gap_small_weight, '.0f')} %) and "
                            f"{_fmt(hc.two_gap_large_meV)} meV")
            if hc.debye_window_ces_mJ_mol_K2 > 0.05 * abs(hc.gamma0_mJ_mol_K2):
                gap += (f"; the condensed electrons still add {_fmt(hc.debye_window_ces_mJ_mol_K2)} mJ/mol K^2 to C/T "
                        "at the top of the Debye window, so that line is not gamma_0 + beta T^2")
            shows.append(gap)
    if mh is not None:
        kim = (f", falling with field as J_c0 / (1 + |B|/B0) with B0 = {_fmt(mh.jc_field_scale_T, '.3g')} T"
               if math.isfinite(mh.jc_field_scale_T) and mh.jc_fit_rms < 0.1 else "")
        shows.append(f"the M(H) loop is {'symmetric' if mh.symmetric else 'asymmetric'} with a Bean J_c(0) of "
                     f"{_fmt(mh.jc_A_m2, '.3g')} A/m^2 ({_fmt(mh.jc_A_m2 * 1e-4, '.3g')} A/cm^2){kim}")
    if not shows:
        return "No bulk data were given."
    cannot = ["These are volume averages. Zero resistance needs only one continuous superconducting path "
              "between the voltage contacts."]
    if chi is not None:
        cannot.append("Full ZFC shielding needs only a closed superconducting shell or network that screens "
                      "the interior, so it bounds the screened volume, not the superconducting volume; the "
                      "smaller FC fraction reflects pinning as much as the volume.")
    if hc is not None:
        cannot.append("The specific heat counts the fraction of electrons at the Fermi level that condense; "
                      "insulating or semiconducting regions add almost nothing to gamma, so an electronic "
                      "fraction near 1 is compatible with a much smaller superconducting volume fraction.")
    if mh is not None:
        cannot.append("The Bean J_c assumes currents flowing uniformly over the whole cross-section; in a "
                      "network it is an average over the connected paths.")
    cannot.append("Where the superconducting regions are, and how they connect, needs a spatially resolved "
                  "probe such as the cAFM maps.")
    return "Bulk data: " + "; ".join(shows) + ". " + " ".join(cannot)


def _label(src) -> str:
    return src.path if isinstance(src, QDFile) else os.fspath(src)


def _run(src, fn):
    """Run one analysis; prefix the file name to a user error that does not name it yet."""
    try:
        qd = read_table(src)
        if qd.data.empty:
            raise FormatError(qd.path, "the data table has no rows")
        return fn(qd)
    except ScprobeError as exc:
        name = _label(src)
        if name in str(exc):
            raise
        raise type(exc)(f"{name}: {exc}") from exc


def analyze_bulk(*, resistivity=None, susceptibility=None, heat_capacity=None, mh=None,
                 geometry: SampleGeometry | None = None, field_Oe: float | None = None,
                 debye_window_K: tuple[float, float] = (3.0, 5.0), bridge: int | None = 1,
                 demag_factor: float | None = None, gamma_n_mJ_mol_K2: float | None = None) -> BulkResult:
    """Analyse the bulk measurements of one sample.

    Parameters
    ----------
    resistivity, susceptibility, heat_capacity, mh : path or QDFile, optional
        PPMS rho(T); MPMS chi(T) with ZFC then FC branch; PPMS heat capacity; M(H) loop.
        Quantum Design ``.dat`` files, or CSV tables with QD column names.
    geometry : SampleGeometry, optional
        Needed for chi(T) (volume, demagnetisation), M(H) (volume, Bean cross-section) and a
        per-sample heat capacity (moles); atoms per formula unit for the Debye temperature.
    field_Oe : float, optional
        Field of the chi(T) measurement, Oe; default the median of the file's field column.
    debye_window_K : (lo, hi)
        Window of the C/T vs T^2 fit, K.
    bridge : int or None
        Resistivity bridge/channel; None = the first one holding data.
    demag_factor : float, optional
        N along the field; default from the sample dimensions (Aharoni).
    gamma_n_mJ_mol_K2 : float, optional
        Known normal-state gamma; default fitted above Tc.

    Returns
    -------
    BulkResult

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from scprobe.simulate import simulate_study
    >>> tmp = tempfile.TemporaryDirectory()
    >>> study = simulate_study(tmp.name, seed=0, size=128)   # a small synthetic study with its truth
    >>> truth = json.loads((study.parent / "truth.json").read_text())
    >>> rho = analyze_bulk(resistivity=study.parent / "bulk/rho_T.dat").resistivity
    >>> abs(rho.tc_onset_K - truth["bulk"]["tc_onset_K"]) < 0.05, abs(rho.width_K - truth["bulk"]["width_K"]) < 0.05
    (True, True)
    """
    logger.info("analyze_bulk")
    geometry = geometry or SampleGeometry()
    files: dict[str, str] = {}
    rho_r = chi_r = hc_r = mh_r = None
    if resistivity is not None:
        files["resistivity"] = _label(resistivity)

        def _rho(qd):
            T, rho, is_rho = load_resistivity(qd, bridge)
            r = resistive_transition(T, rho, source=qd.path)
            if not is_rho:
                r = dataclasses.replace(r, rho0_ohm_m=math.nan)
            return r

        rho_r = _run(resistivity, _rho)
    if susceptibility is not None:
        files["susceptibility"] = _label(susceptibility)

        def _chi(qd):
            T, m, H, comments = load_moment_T(qd)
            H_used = field_Oe
            if H_used is None:
                if H is None or not np.isfinite(H).any():
                    raise ParameterError("no field column: give the field of the chi(T) measurement (field_Oe)")
                H_used = float(np.nanmedian(H))
            N = demag_factor if demag_factor is not None else geometry.demag_factor
            chi_m = volume_susceptibility(m, H_used, geometry.volume_cm3)
            return analyze_susceptibility(T, chi_m, demag_factor=N, comments=comments, field_Oe=H_used)

        chi_r = _run(susceptibility, _chi)
    if heat_capacity is not None:
        files["heat_capacity"] = _label(heat_capacity)

        def _hc(qd):
            moles = geometry.moles if geometry.mass_g and geometry.molar_mass_g_mol else None
            T, C = load_heat_capacity(qd, moles)
            return analyze_heat_capacity(T, C, window_K=debye_window_K,
                                         atoms_per_formula_unit=geometry.atoms_per_formula_unit,
                                         gamma_n_mJ_mol_K2=gamma_n_mJ_mol_K2, source=qd.path)

        hc_r = _run(heat_capacity, _hc)
    if mh is not None:
        files["mh"] = _label(mh)

        def _mh(qd):
            H, m = load_mh(qd)
            a_m, b_m = geometry.bean_cross_section_m
            return analyze_loop(H, m / geometry.volume_cm3, a_m, b_m)

        mh_r = _run(mh, _mh)
    return BulkResult(resistivity=rho_r, susceptibility=chi_r, heat_capacity=hc_r, magnetisation=mh_r,
                      statement=bulk_statement(rho_r, chi_r, hc_r, mh_r), files=files)
