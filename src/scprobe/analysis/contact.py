"""Tip-contact physics: junction resistance against the sample's own spreading resistance.

A circular contact of radius ``a`` on a half-space of resistivity ``rho`` (docs/physics.md,
"Tip and contact"):

* diffusive (Maxwell; mean free path ``l << a``): ``R_M = rho / (4 a)`` for a disc on one half-space;
* ballistic (Sharvin; ``l >> a``): ``R_S = 4 rho l / (3 pi a^2)`` (``rho l`` is a material constant,
  so ``R_S`` does not depend on the scattering);
* in between, Wexler's (1966) interpolation ``R_W = R_S + Gamma(K) R_M`` with the Knudsen ratio
  ``K = l / a`` and ``Gamma(K) = (1 + 0.83 K) / (1 + 1.33 K)`` (Nikolic and Allen 1999), which
  tends to both limits.

The regime is the larger of the two terms of ``R_W``.  ``rho`` is the *normal-state*
resistivity: on a superconducting region below its Tc the sample's spreading resistance
vanishes, so the value is what the same contact would see on the normal sample, an upper
bound of the sample's share of a measured junction resistance.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from scprobe.results import Result, quantity

#: A junction this many times the spreading resistance means the contact, not the sample, limits the current.
CONTACT_LIMITED_RATIO = 10.0


@dataclass(frozen=True)
class ContactResult(Result):
    """Spreading resistance of the tip contact in both transport regimes and what was assumed."""

    tip_radius_m: float = quantity("m")
    resistivity_ohm_m: float = quantity("Ohm m")
    mean_free_path_m: float | None = quantity("m")
    knudsen_ratio: float | None = quantity("1")
    maxwell_ohm: float = quantity("Ohm")
    sharvin_ohm: float | None = quantity("Ohm")
    wexler_ohm: float | None = quantity("Ohm")
    #: ``diffusive``, ``ballistic`` (from the mean free path) or ``diffusive (assumed)`` without one
    regime: str = quantity("")
    #: the value compared with the junction: Wexler with a mean free path, else Maxwell
    spreading_resistance_ohm: float = quantity("Ohm")
    junction_resistance_ohm: float = quantity("Ohm")
    contact_limited: bool | None = quantity("")
    assumption: str = quantity("")


def junction_resistance(bias_V: float, current_A: float) -> float:
    """``R_j = V_bias / I_tip``, Ohm (NaN when either is unknown or the current is not positive)."""
    if not (math.isfinite(bias_V) and math.isfinite(current_A)) or current_A <= 0:
        return math.nan
    return abs(bias_V) / current_A


def spreading_resistance(resistivity_ohm_m: float, tip_radius_m: float) -> float:
    """Maxwell spreading resistance of a circular contact of radius a on a half-space: ``rho / (4 a)``, Ohm."""
    return resistivity_ohm_m / (4.0 * tip_radius_m)


def sharvin_resistance(resistivity_ohm_m: float, mean_free_path_m: float, tip_radius_m: float) -> float:
    """Sharvin (ballistic) resistance of an orifice of radius a: ``4 rho l / (3 pi a^2)``, Ohm."""
    return 4.0 * resistivity_ohm_m * mean_free_path_m / (3.0 * math.pi * tip_radius_m ** 2)


def wexler_gamma(knudsen_ratio: float) -> float:
    """Wexler's weight of the Maxwell term, ``(1 + 0.83 K) / (1 + 1.33 K)``: 1 diffusive, 0.62 ballistic."""
    return (1.0 + 0.83 * knudsen_ratio) / (1.0 + 1.33 * knudsen_ratio)


def contact_limited(junction_ohm: float, spreading_ohm: float) -> bool | None:
    """True when the junction exceeds :data:`CONTACT_LIMITED_RATIO` times the spreading resistance."""
    if not (math.isfinite(junction_ohm) and math.isfinite(spreading_ohm)):
        return None
    return junction_ohm > CONTACT_LIMITED_RATIO * spreading_ohm


def contact_resistance(junction_ohm: float, resistivity_ohm_m: float, tip_radius_m: float,
                       mean_free_path_m: float | None = None) -> ContactResult:
    """Maxwell and Sharvin spreading resistances side by side, the regime, and the contact-limit verdict.

    Parameters
    ----------
    junction_ohm : float
        Measured junction resistance ``V_bias / I_tip``, Ohm.
    resistivity_ohm_m : float
        Normal-state resistivity of the sample, Ohm m.
    tip_radius_m : float
        Contact radius ``a``, m.
    mean_free_path_m : float, optional
        Electronic mean free path ``l``, m; without it the contact is taken as diffusive
        (Maxwell) and the result says so.
    """
    r_m = spreading_resistance(resistivity_ohm_m, tip_radius_m)
    if mean_free_path_m is None:
        k = r_s = r_w = None
        regime, chosen = "diffusive (assumed)", r_m
        why = "no mean free path given: diffusive (Maxwell) contact assumed"
    else:
        k = mean_free_path_m / tip_radius_m
        r_s = sharvin_resistance(resistivity_ohm_m, mean_free_path_m, tip_radius_m)
        r_w = r_s + wexler_gamma(k) * r_m
        regime = "ballistic" if r_s > wexler_gamma(k) * r_m else "diffusive"
        chosen = r_w
        why = f"Knudsen ratio l/a = {k:.3g}: {regime} (Wexler interpolation)"
    assumption = (f"{why}; rho = {resistivity_ohm_m:.3g} Ohm m is the normal-state resistivity: on a "
                  "superconducting region the sample's spreading resistance vanishes below its Tc, so this is "
                  "the normal-sample value, an upper bound of the sample's share of the junction resistance")
    return ContactResult(
        tip_radius_m=tip_radius_m, resistivity_ohm_m=resistivity_ohm_m, mean_free_path_m=mean_free_path_m,
        knudsen_ratio=k, maxwell_ohm=r_m, sharvin_ohm=r_s, wexler_ohm=r_w, regime=regime,
        spreading_resistance_ohm=chosen, junction_resistance_ohm=junction_ohm,
        contact_limited=contact_limited(junction_ohm, chosen), assumption=assumption)
