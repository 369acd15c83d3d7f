"""Tip-contact physics: junction resistance vs Maxwell spreading resistance (docs/physics.md, "Tip and contact")."""
from __future__ import annotations

import math

#: A junction this many times the spreading resistance means the contact, not the sample, limits the current.
CONTACT_LIMITED_RATIO = 10.0


def junction_resistance(bias_V: float, current_A: float) -> float:
    """``R_j = V_bias / I_tip``, Ohm (NaN when either is unknown or the current is not positive)."""
    if not (math.isfinite(bias_V) and math.isfinite(current_A)) or current_A <= 0:
        return math.nan
    return abs(bias_V) / current_A


def spreading_resistance(resistivity_ohm_m: float, tip_radius_m: float) -> float:
    """Maxwell spreading resistance of a circular contact of radius a on a half-space: ``rho / (4 a)``, Ohm."""
    return resistivity_ohm_m / (4.0 * tip_radius_m)


def contact_limited(junction_ohm: float, spreading_ohm: float) -> bool | None:
    """True when the junction exceeds :data:`CONTACT_LIMITED_RATIO` times the spreading resistance."""
    if not (math.isfinite(junction_ohm) and math.isfinite(spreading_ohm)):
        return None
    return junction_ohm > CONTACT_LIMITED_RATIO * spreading_ohm
