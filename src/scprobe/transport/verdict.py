"""The verdict: does the map, extrapolated in the sample's dimension, agree with the bulk resistivity?

Bulk zero resistance is what a superconductor is declared by.  :func:`consistency` sets it against
:func:`scprobe.transport.percolate`'s answer in the chosen dimension:

- bulk rho reaches zero and the map's statistics percolate: zero resistance is explained by a
  percolating superconducting minority, which does not show bulk superconductivity;
- bulk rho reaches zero but the map's statistics do not percolate, or bulk rho stays finite but
  they do: the map is not representative of the sample (or the percolation model is wrong);
- bulk rho stays finite and nothing percolates: consistent, no zero-resistance path;
- the map's fraction lies inside the critical fraction's interval: undecided, said so.

The statement always quotes both dimensions' critical fractions with their 95 % intervals.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scprobe.errors import ParameterError
from scprobe.results import Result, quantity

STATUSES = ("explained_by_minority", "not_representative", "consistent_resistive", "undecided")
#: Below this margin (map fraction minus critical fraction, in combined standard errors, including the
#: map's own sampling error) a decided answer is flagged as one another map could overturn.
FRAGILE_MARGIN_SIGMA = 2.0


@dataclass(frozen=True)
class Consistency(Result):
    """Bulk resistivity against the map's percolation in the chosen dimension (fractions 0..1)."""

    status: str = quantity("")
    bulk_zero_resistance: bool = quantity("")
    t_zero_K: float = quantity("K")
    dim: int = quantity("1")
    dim_reason: str = quantity("")
    area_fraction: float = quantity("1")
    area_fraction_stderr: float = quantity("1")
    percolates: str = quantity("")
    margin_sigma: float = quantity("sigma")
    critical_fraction_2d: float = quantity("1")
    critical_fraction_2d_lower: float = quantity("1")
    critical_fraction_2d_upper: float = quantity("1")
    critical_fraction_3d: float = quantity("1")
    critical_fraction_3d_lower: float = quantity("1")
    critical_fraction_3d_upper: float = quantity("1")
    p_zero_resistance: float = quantity("1")
    p_zero_resistance_lower: float = quantity("1")
    p_zero_resistance_upper: float = quantity("1")
    statement: str = quantity("")


def _num(x) -> float:
    return math.nan if x is None else float(x)


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100 * x:.1f} %"


def _interval(a: Mapping) -> str:
    return (f"{_pct(_num(a['critical_fraction']))} [{_pct(_num(a['critical_fraction_lower']))}, "
            f"{_pct(_num(a['critical_fraction_upper']))}]")


def consistency(percolation: Any, *, t_zero_K: float | None) -> Consistency:
    """Reconcile bulk zero resistance with the map's percolation.

    Parameters
    ----------
    percolation : PercolationResult or mapping
        :func:`scprobe.transport.percolate`'s result or its ``to_dict()`` (as a study stores it).
    t_zero_K : float or None
        Temperature below which the bulk resistivity is zero, K; None or NaN when it never is.

    Returns
    -------
    Consistency
    """
    p = percolation.to_dict() if isinstance(percolation, Result) else percolation
    if not isinstance(p, Mapping) or "dim_chosen" not in p:
        raise ParameterError("consistency needs a percolation result (with dim_chosen, two_d and three_d)")
    t0 = _num(t_zero_K)
    bulk_zero = math.isfinite(t0)
    dim = int(p["dim_chosen"])
    a = p["three_d"] if dim == 3 else p["two_d"]
    two, three = p["two_d"], p["three_d"]
    f = _num(p["area_fraction"])
    f_err = _num(p["area_fraction_stderr"])
    perc = a["percolates"]
    margin = _num(a["margin_sigma"])
    numbers = (f"the map's superconducting fraction is {_pct(f)} ± {_pct(f_err)}; the critical fraction for a "
               f"zero-resistance path is {_interval(two)} in 2-D and {_interval(three)} in 3-D (95 %). "
               f"{p['dim_reason']}")
    bulk = (f"Bulk rho reaches zero below {t0:.3g} K" if bulk_zero else
            "Bulk rho stays finite at every measured temperature")
    if perc == "undecided":
        status = "undecided"
        text = (f"{bulk}; whether the map's statistics percolate in {dim}-D is undecided: {numbers}. "
                "More realisations or a larger map would decide it.")
    elif bulk_zero and perc == "yes":
        status = "explained_by_minority"
        text = (f"{bulk}, and the map's statistics percolate in {dim}-D: zero resistance explained by a percolating "
                f"superconducting minority ({_pct(f)} of the surface): it does not show bulk superconductivity. "
                f"In numbers, {numbers}.")
    elif bulk_zero:
        status = "not_representative"
        text = (f"{bulk}, but the map's statistics do not percolate in {dim}-D: the map is not representative of "
                f"the sample (or the percolation model is wrong). In numbers, {numbers}.")
    elif perc == "yes":
        status = "not_representative"
        text = (f"{bulk}, yet the map's statistics percolate in {dim}-D: the map is not representative of the "
                f"sample (or the percolation model is wrong). In numbers, {numbers}.")
    else:
        status = "consistent_resistive"
        text = (f"{bulk}, and the map's statistics do not percolate in {dim}-D: consistent, no zero-resistance "
                f"path is expected. In numbers, {numbers}.")
    if status != "undecided" and math.isfinite(margin) and abs(margin) < FRAGILE_MARGIN_SIGMA:
        text += (f" The margin is {abs(margin):.1f} standard errors including the map's own sampling error, "
                 "so another map of this sample could change the answer.")
    return Consistency(
        status=status, bulk_zero_resistance=bulk_zero, t_zero_K=t0, dim=dim, dim_reason=p["dim_reason"],
        area_fraction=f, area_fraction_stderr=f_err, percolates=perc, margin_sigma=margin,
        critical_fraction_2d=_num(two["critical_fraction"]),
        critical_fraction_2d_lower=_num(two["critical_fraction_lower"]),
        critical_fraction_2d_upper=_num(two["critical_fraction_upper"]),
        critical_fraction_3d=_num(three["critical_fraction"]),
        critical_fraction_3d_lower=_num(three["critical_fraction_lower"]),
        critical_fraction_3d_upper=_num(three["critical_fraction_upper"]),
        p_zero_resistance=_num(a["p_zero_resistance"]), p_zero_resistance_lower=_num(a["p_zero_resistance_lower"]),
        p_zero_resistance_upper=_num(a["p_zero_resistance_upper"]), statement=text)
