"""Bulk superconductivity curves and Quantum Design ``.dat`` writers.

rho(T) (PPMS resistivity), chi(T) ZFC/FC at 10 Oe (MPMS), C(T) (PPMS heat capacity)
and an M(H) loop at 2 K (VSM), with the column names the instruments write.  Every
curve is built so that the analyses in docs/physics.md recover the parameters exactly up
to the small measurement noise added here.
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy import integrate, optimize, special

from scprobe.io import atomic_write
from scprobe.simulate.params import BulkParams, SpecimenParams
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


def _sigma(bp: BulkParams) -> float:
    return bp.width_K / 2.5631031310892007


def resistivity(T: np.ndarray, bp: BulkParams) -> np.ndarray:
    """rho(T), Ohm m: linear normal state (rho0 at Tc, rrr x rho0 at 300 K) times an erf step at Tc."""
    rho_n = bp.rho0_ohm_m * (1 + (bp.rrr - 1) * (T - bp.tc_K) / (300.0 - bp.tc_K))
    return rho_n * special.ndtr((T - bp.tc_K) / _sigma(bp))


def susceptibility(T: np.ndarray, bp: BulkParams, fraction: float, demag: float) -> np.ndarray:
    """Measured (not demag-corrected) SI volume susceptibility of a branch with low-T ``fraction``."""
    shape = special.ndtr((bp.tc_K - T) / _sigma(bp)) * (1 - 0.5 * (T / bp.tc_K) ** 6)
    chi = -fraction * np.clip(shape, 0, 1) + 2e-5
    return chi / (1 + demag * chi)


@lru_cache(maxsize=16)
def _gap_exponent(r: float, p: float = 6.0) -> float:
    """B such that (1 + r) exp(-B (t^-p - 1)) conserves entropy: its integral of C/T over 0..1 is 1.

    p = 6 concentrates the condensation entropy near Tc (a steeper activation than BCS), so
    that the electronic superconducting term is negligible below Tc / 3 and a C/T vs T^2 fit
    there returns gamma0 and beta exactly.
    """
    def entropy(B):
        val, _ = integrate.quad(lambda t: (1 + r) * math.exp(-B * (t ** -p - 1)) / t, 1e-3, 1, limit=200)
        return val - 1

    return optimize.brentq(entropy, 1e-3, 50)


def heat_capacity(T: np.ndarray, bp: BulkParams, atoms_per_formula_unit: int) -> np.ndarray:
    """Molar specific heat C(T), J/(mol K).

    ``gamma0 T`` (non-superconducting residue) + superconducting electrons of the rest
    ``(gamma_n - gamma0)`` with an entropy-conserving jump at each local Tc (Gaussian
    spread of the resistive width) + a Debye lattice whose low-T limit is ``beta T^3``.
    Below ~Tc/3 the electronic superconducting part is < 1e-6 of the total, so
    ``C/T = gamma0 + beta T^2`` holds there.
    """
    T = np.asarray(T, dtype=float)
    g0, gn = bp.gamma0_mJ_mol_K2 * 1e-3, bp.gamma_n_mJ_mol_K2 * 1e-3
    gs = gn - g0
    r = bp.jump_ratio * gn / gs
    B = _gap_exponent(r)
    # Average over the Gaussian local-Tc distribution: the normal part exactly, the superconducting
    # part by Gauss-Legendre over the local Tc above each T (a smooth integrand).  Quadrature nodes
    # over the whole distribution would make C(T) a staircase of a few discrete transitions.
    sigma = _sigma(bp)
    x, w = np.polynomial.legendre.leggauss(64)
    lo = np.maximum(T, bp.tc_K - 8 * sigma)[:, None]
    half = np.maximum(bp.tc_K + 8 * sigma - lo, 0.0) / 2
    tc = lo + half * (x + 1)
    weight = half * w * np.exp(-0.5 * ((tc - bp.tc_K) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    with np.errstate(divide="ignore", over="ignore"):
        below = gs * tc * (1 + r) * np.exp(-B * (np.maximum(T[:, None] / tc, 1e-9) ** -6 - 1))
    ces = gs * T * special.ndtr((T - bp.tc_K) / sigma) + np.sum(weight * below, axis=1)
    theta = debye_temperature_K(bp.beta_mJ_mol_K4, atoms_per_formula_unit)
    lattice = np.array([_debye(x, theta, atoms_per_formula_unit) for x in T])
    return g0 * T + ces + lattice


def _debye(T: float, theta: float, n: int) -> float:
    x = theta / T
    val, _ = integrate.quad(lambda u: u ** 4 * math.exp(-u) / (1 - math.exp(-u)) ** 2 if u > 0 else 0.0, 0, x)
    return 9 * n * R_GAS * (T / theta) ** 3 * val


def bean_dM_emu_cm3(bp: BulkParams, specimen: SpecimenParams) -> float:
    """Hysteresis width dM = M_down - M_up, emu/cm^3, of the Bean critical state with ``jc_A_m2``.

    From J_c = 2 dM / (a (1 - a / 3b)) in SI (docs/physics.md) with a <= b the edges normal
    to the field; 1 emu/cm^3 = 1000 A/m.
    """
    a, b = specimen.dimensions_mm[0] * 1e-3, specimen.dimensions_mm[1] * 1e-3
    return bp.jc_A_m2 * a * (1 - a / (3 * b)) / 2 / 1000.0


def mh_loop(bp: BulkParams, specimen: SpecimenParams, points_per_branch: int = 201):
    """Field (Oe) and magnetisation (emu/cm^3) of a full loop: virgin, falling, rising branch.

    Each reversed branch relaxes to the critical state over ``penetration_field_Oe``;
    away from the turning points the falling and rising branches differ by exactly
    :func:`bean_dM_emu_cm3`.  A small paramagnetic background (chi_v = 1e-4) is added.
    """
    dm, hp, hmax = bean_dM_emu_cm3(bp, specimen), bp.penetration_field_Oe, bp.max_field_Oe
    up = np.linspace(0, hmax, points_per_branch)
    down = np.linspace(hmax, -hmax, 2 * points_per_branch - 1)[1:]
    rise = np.linspace(-hmax, hmax, 2 * points_per_branch - 1)[1:]
    m_virgin = -0.5 * dm * (1 - np.exp(-up / hp))
    m_down = -0.5 * dm + dm * (1 - np.exp(-(hmax - down) / hp))
    m_rise = 0.5 * dm - dm * (1 - np.exp(-(rise + hmax) / hp))
    H = np.concatenate([up, down, rise])
    M = np.concatenate([m_virgin, m_down, m_rise]) + 1e-4 * H / (4 * math.pi)
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
    t_chi = np.round(np.arange(2.0, 25.01, 0.25), 4)
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
    truth = {
        "tc_K": bp.tc_K, "width_K": bp.width_K, "rho0_ohm_m": bp.rho0_ohm_m, "rrr": bp.rrr,
        "rho_300K_ohm_m": bp.rho0_ohm_m * bp.rrr,
        "shielding_fraction": bp.shielding_fraction, "meissner_fraction": bp.meissner_fraction,
        "demag_factor": demag, "chi_measured_perfect": -1 / (1 - demag), "field_Oe": field,
        "gamma_mJ_mol_K2": bp.gamma0_mJ_mol_K2, "gamma_n_mJ_mol_K2": gamma_n,
        "beta_mJ_mol_K4": bp.beta_mJ_mol_K4,
        "debye_temperature_K": debye_temperature_K(bp.beta_mJ_mol_K4, specimen.atoms_per_formula_unit),
        "jump_ratio": bp.jump_ratio, "superconducting_fraction_hc": 1 - bp.gamma0_mJ_mol_K2 / gamma_n,
        "jc_A_m2": bp.jc_A_m2, "jc_A_cm2": bp.jc_A_m2 * 1e-4, "dM_emu_cm3": bean_dM_emu_cm3(bp, specimen),
        "mh_temperature_K": 2.0, "moles": moles, "volume_cm3": vol,
    }
    return toml, truth
