"""Bulk superconductivity curves and Quantum Design ``.dat`` writers.

rho(T) (PPMS resistivity), chi(T) ZFC/FC at 10 Oe (MPMS), C(T) (PPMS heat capacity)
and an M(H) loop at 2 K (VSM), with the column names the instruments write.  Every
curve is built so that the analyses in docs/physics.md recover the parameters up to the small
measurement noise added here: a Gaussian distribution of local Tc behind rho, chi and C (its
resistive onset at ``tc_K``), the alpha-model specific heat (its BCS gap written independently of
:mod:`scprobe.bulk.gap`) and a Bean-Kim critical state for M(H).
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import integrate, optimize, special

from scprobe.io import atomic_write
from scprobe.simulate.params import EDGE_WIDTH_PER_SIGMA, BulkParams, SpecimenParams
from scprobe.simulate.sample import rng_for

R_GAS = 8.314462618  # J/(mol K)
_EPOCH = 3_900_000_000.0  # fixed time-stamp origin (s), so files are reproducible


def demag_factor_prism(a: float, b: float, c: float) -> float:
    """Magnetometric demagnetising factor of a rectangular prism, field along ``c``.

    Aharoni, J. Appl. Phys. 83, 3432 (1998), Eq. (1); ``a``, ``b``, ``c`` are the edge
    lengths (any common unit).  A cube gives 1/3.
    """
    a, b, c = a / 2, b / 2, c / 2
    r = math.sqrt(a * a + b * b + c * c)
    ab, bc, ac = math.hypot(a, b), math.hypot(b, c), math.hypot(a, c)
    pi_d = ((b * b - c * c) / (2 * b * c) * math.log((r - a) / (r + a))
            + (a * a - c * c) / (2 * a * c) * math.log((r - b) / (r + b))
            + b / (2 * c) * math.log((ab + a) / (ab - a)) + a / (2 * c) * math.log((ab + b) / (ab - b))
            + c / (2 * a) * math.log((bc - b) / (bc + b)) + c / (2 * b) * math.log((ac - a) / (ac + a))
            + 2 * math.atan(a * b / (c * r)) + (a ** 3 + b ** 3 - 2 * c ** 3) / (3 * a * b * c)
            + (a * a + b * b - 2 * c * c) / (3 * a * b * c) * r + c / (a * b) * (ac + bc)
            - (ab ** 3 + bc ** 3 + ac ** 3) / (3 * a * b * c))
    return pi_d / math.pi


def debye_temperature_K(beta_mJ_mol_K4: float, atoms_per_formula_unit: int) -> float:
    """theta_D = (12 pi^4 n R / (5 beta))^(1/3), K (docs/physics.md, specific heat)."""
    return (12 * math.pi ** 4 * atoms_per_formula_unit * R_GAS / (5 * beta_mJ_mol_K4 * 1e-3)) ** (1 / 3)


K_B_MEV_PER_K = 8.617333262e-2
_EULER_GAMMA = 0.5772156649015329
ALPHA_BCS = math.pi * math.exp(-_EULER_GAMMA)  # weak-coupling Delta_0 / (k_B Tc)


def _sigma(bp: BulkParams) -> float:
    """Standard deviation of the Gaussian distribution of local Tc, K (from the 10-90 % width)."""
    return bp.width_K / EDGE_WIDTH_PER_SIGMA


def _rho_normal(T, bp: BulkParams, mid: float):
    return bp.rho0_ohm_m * (1 + (bp.rrr - 1) * (T - mid) / (300.0 - mid))


def _tangent_onset(T: np.ndarray, y: np.ndarray, normal) -> float:
    """Steepest-tangent onset of a noise-free curve: its tangent at the steepest rise meets ``normal(T)``."""
    slope = np.gradient(y, T)
    i = int(np.argmax(slope))
    return float(optimize.brentq(lambda t: y[i] + slope[i] * (t - T[i]) - normal(t), T[i], T[-1]))


@lru_cache(maxsize=16)
def transition_midpoint_K(bp: BulkParams) -> float:
    """Mean local Tc (the resistive midpoint) that puts the resistive onset at ``bp.tc_K``, K.

    The onset is the published construction (docs/physics.md): the tangent at the steepest point of
    rho(T) meets the normal-state line; for an erf step it lies ~1.25 sigma above the midpoint.
    """
    sigma = _sigma(bp)
    T = np.linspace(bp.tc_K - 10 * sigma, bp.tc_K + 10 * sigma, 20001)

    def onset(mid):
        return _tangent_onset(T, _rho_normal(T, bp, mid) * special.ndtr((T - mid) / sigma),
                              lambda t: _rho_normal(t, bp, mid)) - bp.tc_K

    return float(optimize.brentq(onset, bp.tc_K - 4 * sigma, bp.tc_K))


def resistivity(T: np.ndarray, bp: BulkParams) -> np.ndarray:
    """rho(T), Ohm m: linear normal state (rho0 at Tc, rrr x rho0 at 300 K) times an erf step.

    The step is the fraction of local Tc below T (Gaussian, centred on
    :func:`transition_midpoint_K`), so the onset lies at ``bp.tc_K``.
    """
    mid = transition_midpoint_K(bp)
    return _rho_normal(T, bp, mid) * special.ndtr((T - mid) / _sigma(bp))


def susceptibility(T: np.ndarray, bp: BulkParams, fraction: float, demag: float) -> np.ndarray:
    """Measured (not demag-corrected) SI volume susceptibility of a branch with low-T ``fraction``."""
    mid = transition_midpoint_K(bp)
    shape = special.ndtr((mid - T) / _sigma(bp)) * (1 - 0.5 * (T / mid) ** 6)
    chi = -fraction * np.clip(shape, 0, 1) + 2e-5
    return chi / (1 + demag * chi)


def _bcs_gap_kTc(t: float, terms: int = 4000) -> float:
    """Weak-coupling BCS gap Delta(T)/(k_B Tc) at t = T/Tc from the Matsubara form of the gap equation.

    ln(1/t) = 2 pi t sum_n [1/w_n - 1/sqrt(w_n^2 + D^2)], w_n = pi t (2n + 1) (Abrikosov, Gor'kov
    and Dzyaloshinskii; energies in k_B Tc), the tail beyond ``terms`` summed to leading order.
    Written independently of :mod:`scprobe.bulk.gap`, which solves the integral form, so that
    recovering this simulator's gap tests the analysis rather than repeating it.
    """
    if t >= 1:
        return 0.0
    w = math.pi * t * (2 * np.arange(terms) + 1)
    inv_w, w2 = 1 / w, w * w  # the same for every D tried (~11 per t): computed once

    def g(D):
        s = float(np.add.reduce(inv_w - 1 / np.sqrt(w2 + D * D))) + D * D / (16 * (math.pi * t) ** 3 * terms ** 2)
        return 2 * math.pi * t * s - math.log(1 / t)

    return float(optimize.brentq(g, 1e-12, 3 * ALPHA_BCS, xtol=1e-13))


@lru_cache(maxsize=1)
def _bcs_gap_table() -> tuple[np.ndarray, np.ndarray]:
    t = np.concatenate([np.linspace(0.02, 0.9, 441), np.linspace(0.9, 1.0, 401)[1:]])
    return t, np.array([_bcs_gap_kTc(float(x)) for x in t])


@lru_cache(maxsize=16)
def condensed_specific_heat(alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Alpha model C_es/(gamma T) of the condensing electrons on a grid of t = T/Tc (0 < t < 1).

    From the BCS quasiparticle entropy S/(gamma Tc) = (6/pi^2) t int_0^inf [ln(1 + e^-w) + w f] du,
    w = sqrt(u^2 + (D/t)^2), D = (alpha/1.764) D_BCS(t) (Padamsee et al., J. Low Temp. Phys. 12,
    387 (1973)), differentiated numerically: C_es/(gamma T) = dS/dT / gamma.
    """
    t, d_bcs = _bcs_gap_table()
    D = alpha / ALPHA_BCS * d_bcs
    u = np.linspace(0.0, 70.0, 3501)[None, :]
    w = np.sqrt(u ** 2 + (D / t)[:, None] ** 2)
    ent = np.log1p(np.exp(-w)) + w / (np.exp(np.minimum(w, 700.0)) + 1)
    S = (6 / math.pi ** 2) * t * np.trapezoid(ent, u, axis=1)
    # below t = 0.02 the condensed electrons carry no entropy (exp(-alpha/t) < 1e-19 at alpha > 0.9)
    return np.r_[0.0, t], np.r_[0.0, np.gradient(S, t, edge_order=2)]


def electronic_ct(T: np.ndarray, tc_K: float, sigma_K: float, gamma0: float, gamma_n: float,
                  gaps_meV=(2.4,), weights=(1.0,)) -> np.ndarray:
    """Electronic C/T (unit of the gammas) of a sample with a Gaussian distribution of local Tc.

    ``gamma0`` of non-superconducting electrons plus ``gamma_n - gamma0`` condensing ones, split
    into bands of gaps ``gaps_meV`` (Delta_0 at the mean Tc) with ``weights`` (the two-band alpha
    model of Bouquet et al., Europhys. Lett. 56, 856 (2001)).  Each local Tc scales its gap
    (alpha fixed).  The normal part is averaged exactly, the superconducting part by
    Gauss-Legendre over the local Tc above each T (a smooth integrand; nodes over the whole
    distribution would make C(T) a staircase of a few discrete transitions).
    """
    T = np.asarray(T, dtype=float)
    x, w = np.polynomial.legendre.leggauss(64)
    lo = np.maximum(T, tc_K - 8 * sigma_K)[:, None]
    half = np.maximum(tc_K + 8 * sigma_K - lo, 0.0) / 2
    tc = lo + half * (x + 1)
    weight = half * w * np.exp(-0.5 * ((tc - tc_K) / sigma_K) ** 2) / (sigma_K * math.sqrt(2 * math.pi))
    shape = special.ndtr((T - tc_K) / sigma_K)
    for gap, share in zip(gaps_meV, weights):
        grid, ces = condensed_specific_heat(round(gap / (K_B_MEV_PER_K * tc_K), 12))
        shape = shape + share * np.sum(weight * np.interp(T[:, None] / tc, grid, ces), axis=1)
    return gamma0 + (gamma_n - gamma0) * shape


def heat_capacity(T: np.ndarray, bp: BulkParams, atoms_per_formula_unit: int) -> np.ndarray:
    """Molar specific heat C(T), J/(mol K).

    ``gamma0 T`` (non-superconducting residue) + the alpha-model C_es of the condensing
    electrons ``gamma_n - gamma0`` with gap ``bp.gap_meV`` (:func:`electronic_ct`, over the
    Gaussian local-Tc distribution of the resistive transition) + a Debye lattice whose low-T
    limit is ``beta T^3``.
    """
    T = np.asarray(T, dtype=float)
    g0, gn = bp.gamma0_mJ_mol_K2 * 1e-3, bp.gamma_n_mJ_mol_K2 * 1e-3
    ct = electronic_ct(T, transition_midpoint_K(bp), _sigma(bp), g0, gn, (bp.gap_meV,))
    theta = debye_temperature_K(bp.beta_mJ_mol_K4, atoms_per_formula_unit)
    lattice = np.array([_debye(x, theta, atoms_per_formula_unit) for x in T])
    return ct * T + lattice


def _hc_truth(bp: BulkParams) -> dict:
    """Jump, onset and alpha of the simulated specific heat (noise-free electronic C/T)."""
    mid, sigma = transition_midpoint_K(bp), _sigma(bp)
    g0, gn = bp.gamma0_mJ_mol_K2, bp.gamma_n_mJ_mol_K2
    alpha = bp.gap_meV / (K_B_MEV_PER_K * mid)
    grid, ces = condensed_specific_heat(round(alpha, 12))
    jump = (gn - g0) / gn * (ces[-1] - 1)
    T = np.linspace(mid - 8 * sigma, mid + 8 * sigma, 4001)
    ct = electronic_ct(T, mid, sigma, g0, gn, (bp.gap_meV,))
    # the onset on warming: the tangent at the steepest drop of C_el/T meets gamma_n
    onset = _tangent_onset(T, -ct, lambda t: -gn)
    return {"alpha": alpha, "jump_ratio": float(jump), "tc_onset_hc_K": onset}


def _debye(T: float, theta: float, n: int) -> float:
    x = theta / T
    val, _ = integrate.quad(lambda u: u ** 4 * math.exp(-u) / (1 - math.exp(-u)) ** 2 if u > 0 else 0.0, 0, x)
    return 9 * n * R_GAS * (T / theta) ** 3 * val


def jc_of_field(B_T, bp: BulkParams) -> np.ndarray:
    """Kim critical current density Jc(B) = Jc0 / (1 + |B|/B0), A/m^2 (Kim et al., Phys. Rev. 129, 528 (1963))."""
    return bp.jc_A_m2 / (1 + np.abs(np.asarray(B_T, dtype=float)) / bp.jc_field_scale_T)


def bean_dM_emu_cm3(bp: BulkParams, specimen: SpecimenParams, H_Oe=0.0):
    """Hysteresis width dM = M_down - M_up, emu/cm^3, of the critical state with Jc(mu0 H).

    From J_c = 2 dM / (a (1 - a / 3b)) in SI (docs/physics.md) with a <= b the edges normal
    to the field, at each field; 1 emu/cm^3 = 1000 A/m.
    """
    a, b = specimen.dimensions_mm[0] * 1e-3, specimen.dimensions_mm[1] * 1e-3
    return jc_of_field(np.asarray(H_Oe, dtype=float) * 1e-4, bp) * a * (1 - a / (3 * b)) / 2 / 1000.0


# reversible magnetisation of the mixed state (London, -ln(Hc2/H)) and the normal paramagnetism
_HC1_OE, _HC2_OE, _M_REV_EMU_CM3, _CHI_PARA = 150.0, 5.0e5, 2.0, 1e-4


def _reversible(H):
    """Odd, reversible M(H), emu/cm^3: a London term -M_rev ln(Hc2/|H|)/ln(Hc2/Hc1) above Hc1, linear below."""
    h = np.maximum(np.abs(H), _HC1_OE)
    london = -_M_REV_EMU_CM3 * np.log(_HC2_OE / h) / math.log(_HC2_OE / _HC1_OE) * np.minimum(np.abs(H) / _HC1_OE, 1)
    return np.sign(H) * london + _CHI_PARA * H / (4 * math.pi)


def mh_loop(bp: BulkParams, specimen: SpecimenParams, points_per_branch: int = 201):
    """Field (Oe) and magnetisation (emu/cm^3) of a full loop: virgin, falling, rising branch.

    Bean-Kim critical state: on a fully penetrated branch the irreversible magnetisation is
    -+ dM(H)/2 with dM from Jc(mu0 H) (:func:`bean_dM_emu_cm3`); after a field reversal by h it
    turns over as in Bean's slab, dM(H)/2 (1 - 2 (1 - x)^2) with x = h / h_p (virgin curve:
    -dM/2 (1 - (1 - 2x)^2) up to h_p/2), the reversal field h_p scaling with Jc
    (``penetration_field_Oe`` at zero field).  Plus the reversible mixed-state background.
    """
    hmax = bp.max_field_Oe
    up = np.linspace(0, hmax, points_per_branch)
    down = np.linspace(hmax, -hmax, 2 * points_per_branch - 1)[1:]
    rise = np.linspace(-hmax, hmax, 2 * points_per_branch - 1)[1:]

    def hp(H):
        return bp.penetration_field_Oe * jc_of_field(H * 1e-4, bp) / bp.jc_A_m2

    def dm(H):
        return bean_dM_emu_cm3(bp, specimen, H)

    xv = np.minimum(2 * up / hp(up), 1.0)
    m_virgin = -0.5 * dm(up) * (1 - (1 - xv) ** 2)
    xd = np.minimum((hmax - down) / hp(hmax), 1.0)
    m_down = 0.5 * dm(down) * (1 - 2 * (1 - xd) ** 2)
    xr = np.minimum((rise + hmax) / hp(hmax), 1.0)
    m_rise = -0.5 * dm(rise) * (1 - 2 * (1 - xr) ** 2)
    H = np.concatenate([up, down, rise])
    M = np.concatenate([m_virgin, m_down, m_rise]) + _reversible(H)
    return H, M


def _dat(path: Path, header_lines: list[str], columns: list[str], rows: list[list]) -> None:
    """Write a Quantum Design ``.dat`` file: ``[Header]``, INFO lines, ``[Data]``, CSV."""
    def fmt(v):
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return ""
        if isinstance(v, str):
            return v
        return f"{v:.9g}"

    text = "[Header]\n" + "".join(h + "\n" for h in header_lines) + "[Data]\n" + ",".join(columns) + "\n"
    text += "".join(",".join(fmt(v) for v in row) + "\n" for row in rows)
    with atomic_write(path, "wb") as fh:
        # MultiVu writes Windows text: CRLF and a single-byte code page (micro sign = 0xB5).
        fh.write(text.replace("\n", "\r\n").encode("latin-1"))


def _temperatures_rho() -> np.ndarray:
    return np.round(np.concatenate([np.arange(2, 10, 0.5), np.arange(10, 20, 0.05), np.arange(20, 300.5, 1.0)]), 4)


def write_bulk(outdir, bp: BulkParams, specimen: SpecimenParams, seed: int) -> tuple[dict, dict]:
    """Write rho(T), chi(T), C(T) and M(H) as Quantum Design files under ``outdir/bulk``.

    Returns
    -------
    toml : dict
        The ``[bulk]`` table of study.toml (paths relative to ``outdir``).
    truth : dict
        Ground truth of the bulk curves (see :mod:`scprobe.simulate`).
    """
    out = Path(outdir)
    a_mm, b_mm, c_mm = specimen.dimensions_mm
    vol = specimen.volume_cm3
    mass_mg = specimen.mass_g * 1e3
    demag = demag_factor_prism(a_mm, b_mm, c_mm)
    info = [f"INFO,{specimen.name},SAMPLE_MATERIAL", f"INFO,{mass_mg:.4f},SAMPLE_MASS",
            f"INFO,{vol:.6g},SAMPLE_VOLUME", f"INFO,{specimen.molar_mass_g_mol},SAMPLE_MOLECULAR_WEIGHT",
            f"INFO,{a_mm} x {b_mm} x {c_mm} mm (a x b x c),SAMPLE_SIZE", "INFO,rectangular prism,SAMPLE_SHAPE"]

    rng = rng_for(seed, "bulk", "rho")
    T = _temperatures_rho()
    rho = resistivity(T, bp) * (1 + 2e-4 * rng.standard_normal(T.size)) + 2e-11 * rng.standard_normal(T.size)
    length_mm, cross_mm2 = 1.0, a_mm * c_mm
    ohm = rho * length_mm * 1e-3 / (cross_mm2 * 1e-6)
    hdr = ["TITLE,Resistivity vs temperature (warming)", "FILEOPENTIME,3900000000.00,08/01/2025,9:00 AM",
           "BYAPP, Resistivity, 2.1, 1.0", "INFO, APPNAME, PPMS MultiVu Application, 1.5.11",
           f"INFO, {specimen.name}, Sample1 Name", f"INFO, {cross_mm2:g}, Sample1 Cross Section",
           f"INFO, {length_mm:g}, Sample1 Length", "INFO, Ohm-m, Sample1 Units", *info,
           "DATATYPE, TIME, 2", "DATATYPE, COMMENT, 1"]
    cols = ["Comment", "Time Stamp (sec)", "Status (code)", "Temperature (K)", "Magnetic Field (Oe)",
            "Sample Position (deg)", "Bridge 1 Resistivity (Ohm-m)", "Bridge 1 Resistance (Ohms)",
            "Bridge 1 Excitation (uA)"]
    rows = [["", _EPOCH + 30.0 * i, 4369, t, 0.0, 0.0, r, o, 1000.0] for i, (t, r, o) in enumerate(zip(T, rho, ohm))]
    _dat(out / "bulk/rho_T.dat", hdr, cols, rows)

    rng = rng_for(seed, "bulk", "chi")
    field = 10.0
    # 0.1 K steps across the transition, as an MPMS sequence would be written for a sharp one
    lo, hi = max(2.0, math.floor(bp.tc_K) - 2.0), min(25.0, math.floor(bp.tc_K) + 3.0)
    t_chi = np.round(np.concatenate([np.arange(2.0, lo, 0.25), np.arange(lo, hi, 0.1),
                                     np.arange(hi, max(25.01, bp.tc_K + 8.0), 0.25)]), 4)
    hdr = ["TITLE,MPMS DC Measurement", "BYAPP,MPMS Measurement,2.1,Summary",
           "FILEOPENTIME, 3900100000.000000 08/02/2025, 9:00:00 AM",
           "INFO, APPNAME, MPMS MultiVu Application, Revision 1.56,  Build 67",
           f"INFO, NAME, {specimen.name}", f"INFO, WEIGHT, {mass_mg:.4f}", *info,
           "INFO, COMMENT, ZFC then FC at 10 Oe, field along c"]
    cols = ["Time", "Comment", "Field (Oe)", "Temperature (K)", "Long Moment (emu)", "Long Scan Std Dev",
            "Long Algorithm", "Long Reg Fit", "Long Percent Error (%)"]
    rows = []
    for name, frac, temps in (("ZFC", bp.shielding_fraction, t_chi), ("FC", bp.meissner_fraction, t_chi[::-1])):
        chi = susceptibility(temps, bp, frac, demag)
        moment = chi * field * vol / (4 * math.pi)
        err = 1e-3 * np.abs(moment) + 2e-8
        moment = moment + err * rng.standard_normal(temps.size)
        for i, (t, m, e) in enumerate(zip(temps, moment, err)):
            rows.append([_EPOCH + 100 * len(rows), name if i == 0 else "", field, t, m, e, 3, 0.99,
                         100 * e / max(abs(m), 1e-30)])
    _dat(out / "bulk/chi_T.dat", hdr, cols, rows)

    rng = rng_for(seed, "bulk", "hc")
    t_hc = np.round(np.concatenate([np.arange(2.0, 10.0, 0.1), np.arange(10.0, 18.0, 0.05),
                                    np.arange(18.0, 30.01, 0.25)]), 4)
    moles = specimen.mass_g / specimen.molar_mass_g_mol
    c_uj = heat_capacity(t_hc, bp, specimen.atoms_per_formula_unit) * moles * 1e6
    c_err = 3e-5 * c_uj + 1e-4
    c_meas = c_uj + c_err * rng.standard_normal(t_hc.size)
    addenda = 0.05 * t_hc ** 2 + 0.5
    hdr = ["; Heat Capacity Data File", "TITLE,Heat capacity, zero field",
           "BYAPP,HeatCapacity,2.0,1.0", "FILEOPENTIME,3900200000.00,08/03/2025,9:00 AM",
           "INFO,PPMS Heat Capacity Option,APPNAME", *info, f"INFO,{mass_mg:.4f},SAMPLE_MASS_MG"]
    cols = ["Comment", "Time Stamp (sec)", "PPMS Status", "Puck Temp (Kelvin)", "System Temp (Kelvin)",
            "Field (Oersted)", "Pressure (Torr)", "Sample Temp (Kelvin)", "Temp Rise (Kelvin)",
            "Samp HC (\u00b5J/K)", "Samp HC Err (\u00b5J/K)", "Addenda HC (\u00b5J/K)", "Addenda HC Err (\u00b5J/K)",
            "Total HC (\u00b5J/K)", "Total HC Err (\u00b5J/K)"]
    rows = [["", _EPOCH + 200 * i, 0, t, t, 0.0, 1e-5, t, 0.02 * t, c, e, ad, 0.01 * ad, c + ad, e + 0.01 * ad]
            for i, (t, c, e, ad) in enumerate(zip(t_hc, c_meas, c_err, addenda))]
    _dat(out / "bulk/hc_T.dat", hdr, cols, rows)

    rng = rng_for(seed, "bulk", "mh")
    H, M = mh_loop(bp, specimen)
    moment = M * vol
    moment = moment + (1e-4 * np.abs(moment) + 1e-6) * rng.standard_normal(H.size)
    hdr = ["; VSM Data File (default extension .dat)", "TITLE,M vs H at 2 K, field along c",
           "FILEOPENTIME,3900300000.00,08/04/2025,9:00 am", "BYAPP,VSM,1.0,1.0",
           "INFO,PPMS VSM Option Release 1.3.7 Build 2,APPNAME", "INFO,0,MOMENT_UNITS", *info,
           "DATATYPE,COMMENT,1", "DATATYPE,TIME,2"]
    cols = ["Comment", "Time Stamp (sec)", "Temperature (K)", "Magnetic Field (Oe)", "Moment (emu)",
            "M. Std. Err. (emu)"]
    rows = [["", _EPOCH + 10 * i, 2.0, h, m, 1e-4 * abs(m) + 1e-6] for i, (h, m) in enumerate(zip(H, moment))]
    _dat(out / "bulk/mh_2K.dat", hdr, cols, rows)

    gamma_n = bp.gamma_n_mJ_mol_K2
    toml = {"resistivity": "bulk/rho_T.dat", "susceptibility": "bulk/chi_T.dat",
            "heat_capacity": "bulk/hc_T.dat", "mh": "bulk/mh_2K.dat", "field_Oe": field}
    mid, sigma = transition_midpoint_K(bp), _sigma(bp)
    hc = _hc_truth(bp)
    jc_fields_T = [0.0, 0.5, 1.0, 2.0, 3.0, 4.0]
    truth = {
        "tc_K": bp.tc_K, "tc_onset_K": bp.tc_K, "tc_50_K": mid, "tc_spread_K": sigma,
        "width_K": bp.width_K, "t_zero_K": mid + float(special.ndtri(1e-3)) * sigma,  # rho < 1e-3 rho_n
        "rho0_ohm_m": bp.rho0_ohm_m, "rrr": bp.rrr, "rho_300K_ohm_m": bp.rho0_ohm_m * bp.rrr,
        "shielding_fraction": bp.shielding_fraction, "meissner_fraction": bp.meissner_fraction,
        "demag_factor": demag, "chi_measured_perfect": -1 / (1 - demag), "field_Oe": field,
        "gamma_mJ_mol_K2": bp.gamma0_mJ_mol_K2, "gamma_n_mJ_mol_K2": gamma_n,
        "beta_mJ_mol_K4": bp.beta_mJ_mol_K4,
        "debye_temperature_K": debye_temperature_K(bp.beta_mJ_mol_K4, specimen.atoms_per_formula_unit),
        "gap_meV": bp.gap_meV, "alpha": hc["alpha"], "tc_onset_hc_K": hc["tc_onset_hc_K"],
        "jump_ratio": hc["jump_ratio"], "superconducting_fraction_hc": 1 - bp.gamma0_mJ_mol_K2 / gamma_n,
        "jc_A_m2": bp.jc_A_m2, "jc_A_cm2": bp.jc_A_m2 * 1e-4, "jc_field_scale_T": bp.jc_field_scale_T,
        "jc_curve": {"mu0H_T": jc_fields_T, "jc_A_m2": [float(v) for v in jc_of_field(jc_fields_T, bp)]},
        "dM_emu_cm3": float(bean_dM_emu_cm3(bp, specimen)),
        "mh_temperature_K": 2.0, "moles": moles, "volume_cm3": vol,
    }
    return toml, truth
