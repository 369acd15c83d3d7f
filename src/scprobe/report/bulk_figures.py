"""Figures of the bulk analyses: Fig. 1 (rho, chi, C, M(H) panels) and Fig. S2 (C/T vs T^2 with the Debye fit).

Modelled on Fig. 1 and Fig. S2 of the published study (docs/physics.md, "Reference numbers").
Inputs are the result objects of :mod:`scprobe.bulk`; every axis states its unit (laboratory units with SI beside them
where the instrument's unit is CGS).
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from scprobe.bulk import BulkResult, HeatCapacityResult
from scprobe.report._style import BLUE as _BLUE
from scprobe.report._style import GREY as _GREY
from scprobe.report._style import RED as _RED
from scprobe.report._style import PanelGrid, new_figure, panel_letter, save_figure, styled

__all__ = ["FIGURE_NAMES", "bulk_figures", "figure_bulk", "figure_debye"]



def _empty(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} data", ha="center", va="center", transform=ax.transAxes, color=_GREY)
    ax.set_xticks([])
    ax.set_yticks([])


def _panel_rho(ax, r) -> None:
    T, rho = r.T_K, r.rho_ohm_m
    scale, unit = (1e8, r"$\rho$ ($\mu\Omega$ cm)") if r.is_resistivity else (1.0, r"$R$ ($\Omega$)")
    ax.plot(T, rho * scale, ".", ms=2.5, color=_BLUE, label="data")
    lo, hi = r.normal_window_K
    tn = np.linspace(max(T[0], r.tc_90_K - 2 if math.isfinite(r.tc_90_K) else T[0]), hi, 200)
    ax.plot(tn, r.rho_n(tn) * scale, "-", lw=1, color=_GREY, label=r"$\rho_0 + A T^n$")
    if math.isfinite(r.tc_onset_K):
        tc_, rc_, s_ = r.tangent
        tt = np.linspace(r.tc_10_K if math.isfinite(r.tc_10_K) else tc_ - 1, r.tc_onset_K, 20)
        ax.plot(tt, (rc_ + s_ * (tt - tc_)) * scale, "--", lw=1, color=_RED, label="steepest tangent")
        ax.axvline(r.tc_onset_K, color=_RED, lw=0.6, alpha=0.6)
    if math.isfinite(r.tc_50_K):
        span = max(5 * (r.width_K if math.isfinite(r.width_K) else 1.0), 4.0)
        inset = ax.inset_axes([0.5, 0.12, 0.45, 0.45])
        near = (T > r.tc_50_K - span) & (T < r.tc_50_K + span)
        inset.plot(T[near], rho[near] * scale, ".", ms=2, color=_BLUE)
        inset.tick_params(labelsize=6)
    ax.set_xlabel("T (K)")
    ax.set_ylabel(unit)
    ax.legend(loc="upper left")


def _panel_chi(ax, c) -> None:
    ax.plot(c.T_zfc_K, c.chi_zfc, "o", ms=2.5, color=_BLUE, label="ZFC")
    if c.T_fc_K.size:
        ax.plot(c.T_fc_K, c.chi_fc, "s", ms=2.5, mfc="none", color=_RED, label="FC")
    ax.axhline(-1, color=_GREY, lw=0.6, ls=":")
    if math.isfinite(c.tc_onset_K):
        ax.axvline(c.tc_onset_K, color=_GREY, lw=0.6)
    field = f", H = {c.field_Oe:g} Oe" if math.isfinite(c.field_Oe) else ""
    ax.set_title(f"N = {c.demag_factor:.3f}{field}")
    ax.set_xlabel("T (K)")
    ax.set_ylabel(r"$\chi_v$ (SI, demag. corrected)")
    ax.legend()


def _panel_hc(ax, h: HeatCapacityResult) -> None:
    T, C = h.T_K, h.C_J_molK
    if math.isfinite(h.tc_K):
        # far above Tc the lattice leaves the T^3 law and C/T - beta T^2 means nothing
        T, C = T[T <= 1.6 * h.tc_K], C[T <= 1.6 * h.tc_K]
    # the lattice beta the analysis used (the alpha-model fit's when it is good, else the Debye window's)
    beta = h.lattice_beta_J_molK4 if math.isfinite(h.lattice_beta_J_molK4) else h.beta_mJ_mol_K4 * 1e-3
    cel = (C / T - beta * T ** 2) * 1e3
    ax.plot(T, cel, ".", ms=2.5, color=_BLUE, label=r"$C/T - \beta T^2$")
    gap = h.two_gap_fit if h.gamma0_source.startswith("two-gap") else h.gap_fit
    if gap is not None:
        label = (rf"two-gap $\alpha$ model, $\Delta_0$ = {gap.small_delta0_eV * 1e3:.2f}, {gap.delta0_eV * 1e3:.2f} meV"
                 if gap is h.two_gap_fit else rf"$\alpha$ model, $\Delta_0$ = {gap.delta0_eV * 1e3:.2f} meV"
                 + (" (poor fit)" if gap.poor_fit else ""))
        ax.plot(gap.curve_T_K, (gap.curve_ct_J_molK2 - beta * gap.curve_T_K ** 2) * 1e3, "-", lw=0.9, color=_GREY,
                label=label)
    if h.branches is not None and math.isfinite(h.tc_K):
        sc, nb, (ta, tb) = h.branches
        ts, tn = np.linspace(ta - 1, h.tc_K, 50), np.linspace(h.tc_K, tb + 1, 50)
        ax.plot(np.r_[ts, h.tc_K, tn], np.r_[sc(ts), nb(h.tc_K), nb(tn)] * 1e3, "-", lw=1, color=_RED,
                label="equal-entropy step")
        ax.set_title(rf"$T_c$ = {h.tc_K:.2f} K, $\Delta C/\gamma_n T_c$ = {h.jump_ratio:.2f}")
    ax.set_xlabel("T (K)")
    ax.set_ylabel(r"$C_{el}/T$ (mJ mol$^{-1}$ K$^{-2}$)")
    ax.legend()


def _panel_mh(ax, m) -> None:
    ax.plot(m.H_Oe * 1e-4, m.M_emu_cm3, "-", lw=0.8, color=_BLUE)
    ax.axhline(0, color=_GREY, lw=0.4)
    ax.axvline(0, color=_GREY, lw=0.4)
    ax.set_xlabel(r"$\mu_0 H$ (T)")
    ax.set_ylabel(r"$M$ (emu cm$^{-3}$)")
    sec = ax.secondary_yaxis("right", functions=(lambda v: v, lambda v: v))
    sec.set_ylabel(r"$M$ (kA m$^{-1}$)")
    jc = m.jc_A_m2
    if math.isfinite(jc):
        ax.set_title(rf"Bean $J_c(0)$ = {jc:.2g} A m$^{{-2}}$ = {jc * 1e-4:.2g} A cm$^{{-2}}$")


@styled
def figure_bulk(result: BulkResult, path: str | os.PathLike) -> Path:
    """Fig. 1: (a) rho(T), (b) chi(T) ZFC/FC, (c) electronic C/T vs T, (d) M(H); written atomically.

    Panels without data say so.  ``path``'s suffix picks the format (PNG by default).
    """
    # M(H) has a second y axis (SI) on its right
    grid = PanelGrid([3.55, 3.55], [2.85, 2.85], left=0.9, right=[0.3, 0.85], top=0.38, bottom=0.5)
    fig, axes = grid.fig, grid.axes
    panels = ((result.resistivity, _panel_rho, "resistivity"), (result.susceptibility, _panel_chi, "susceptibility"),
              (result.heat_capacity, _panel_hc, "heat-capacity"), (result.magnetisation, _panel_mh, "M(H)"))
    for ax, letter, (res, draw, what) in zip(axes.flat, "abcd", panels):
        if res is None:
            _empty(ax, what)
        else:
            draw(ax, res)
        panel_letter(ax, letter)
    return save_figure(fig, path)


@styled
def figure_debye(hc: HeatCapacityResult, path: str | os.PathLike, *, t_max_K: float | None = None) -> Path:
    """Fig. S2: C/T vs T^2 with the Debye line gamma + beta T^2 and its fit window; written atomically."""
    T, C = hc.T_K, hc.C_J_molK
    lo, hi = hc.fit.window_K
    t_max = t_max_K if t_max_K is not None else hi + 2.0
    sel = T <= t_max
    fig = new_figure(6.0, 4.4)
    ax = fig.subplots()
    ax.plot(T[sel] ** 2, C[sel] / T[sel] * 1e3, "o", ms=3, mfc="none", color=_BLUE, label="data")
    x = np.linspace(0, t_max ** 2, 100)
    ax.plot(x, hc.gamma_mJ_mol_K2 + hc.beta_mJ_mol_K4 * x, "-", color=_RED, lw=1,
            label=rf"$\gamma$ + $\beta T^2$ ({lo:g}-{hi:g} K)")
    ax.axvspan(lo ** 2, hi ** 2, color=_RED, alpha=0.08)
    theta = f", $\\theta_D$ = {hc.debye_temperature_K:.0f} K" if math.isfinite(hc.debye_temperature_K) else ""
    ax.set_title(rf"$\gamma$ = {hc.gamma_mJ_mol_K2:.3f} $\pm$ {hc.gamma_err_mJ_mol_K2:.1g} mJ mol$^{{-1}}$K$^{{-2}}$, "
                 rf"$\beta$ = {hc.beta_mJ_mol_K4:.3f} mJ mol$^{{-1}}$K$^{{-4}}${theta}")
    ax.set_xlim(0, t_max ** 2)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(r"$T^2$ (K$^2$)")
    ax.set_ylabel(r"$C/T$ (mJ mol$^{-1}$ K$^{-2}$)")
    ax.legend()
    return save_figure(fig, path)


#: File names of the bulk figures (the same from ``scprobe run`` and ``scprobe bulk --out``).
FIGURE_NAMES = {"bulk": "fig1_bulk.png", "debye": "figS2_debye.png"}


def bulk_figures(result: BulkResult, outdir: str | os.PathLike) -> list[Path]:
    """Fig. 1 and, with heat-capacity data, Fig. S2 into ``outdir``; the paths written."""
    outdir = Path(outdir)
    written = [figure_bulk(result, outdir / FIGURE_NAMES["bulk"])]
    if result.heat_capacity is not None:
        written.append(figure_debye(result.heat_capacity, outdir / FIGURE_NAMES["debye"]))
    return written
