"""Composition of one needle (site) with counting errors, and comparison of sites.

Counting error of an atomic fraction c from N atoms: ``sigma_c = sqrt(c (1 - c) / N)``;
two sites differ significantly in a ratio when ``|z| = |r1 - r2| / sqrt(s1^2 + s2^2) > 3``
(docs/physics.md, Composition).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from scprobe.composition.profile import CapResult, DepthProfile, depth_from_apex, depth_profile, detect_cap
from scprobe.composition.ranging import CompiledRanges, assign_species, atom_counts, ion_counts, mass_spectrum
from scprobe.errors import ParameterError
from scprobe.io.apt import IonData
from scprobe.results import Result, internal, quantity

#: A pair of sites differs significantly above this |z| (docs/physics.md).
Z_SIGNIFICANT = 3.0


@dataclass(frozen=True)
class SiteComposition(Result):
    """Composition of one atom-probe needle after the apex cap is excluded.

    JSON keys (``to_dict``): ``file``, ``ions_total``, ``unranged_fraction`` (0..1),
    ``cap_depth_m``, ``composition_at_pct`` and ``composition_err_at_pct``
    ({element: at.%}).  The other attributes feed the figures.
    """

    file: str = quantity("")
    ions_total: int = quantity("count")
    unranged_fraction: float = quantity("1")
    cap_depth_m: float = quantity("m")
    composition_at_pct: dict[str, float] = quantity("at.%")
    composition_err_at_pct: dict[str, float] = quantity("at.%")
    atoms: dict[str, float] = internal(None)
    cap: CapResult | None = internal(None)
    profile: DepthProfile | None = internal(None)
    spectrum_edges_Da: np.ndarray | None = internal(None)
    spectrum_counts: np.ndarray | None = internal(None)
    ranges: CompiledRanges | None = internal(None)


def composition_from_atoms(atoms: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """Atomic percentages and counting errors ``100 sqrt(c (1 - c) / N)`` from atom counts."""
    n = float(sum(atoms.values()))
    if n <= 0:
        raise ParameterError("no ranged atoms: composition undefined")
    c = {el: a / n for el, a in atoms.items()}
    return ({el: 100 * v for el, v in c.items()},
            {el: 100 * float(np.sqrt(v * (1 - v) / n)) for el, v in c.items()})


def site_composition(ions: IonData, ranges: CompiledRanges, *, exclude_cap: bool = True,
                     cap_element: str = "O", cap_threshold_at_pct: float | None = None,
                     bin_width_m: float = 1e-9, spectrum_bin_Da: float = 0.02) -> SiteComposition:
    """Range a needle, find its apex cap and give the composition below it.

    Parameters
    ----------
    ions : IonData
        The reconstruction (:func:`scprobe.io.apt.read_ions`).
    ranges : CompiledRanges
        Compiled range file (:func:`~scprobe.composition.ranging.compile_ranges`).
    exclude_cap : bool
        Detect the ``cap_element``-rich apex cap and leave ions above its depth out.
    cap_threshold_at_pct : float, optional
        Cap end criterion, at.% (default: halfway between apex and bulk level).
    bin_width_m : float
        Depth bin of the profile used for cap detection, m.

    Returns
    -------
    SiteComposition
        Chemical elements only in the composition (pseudo-ions such as unnamed
        ranges are counted as ranged but not reported as elements).
    """
    if ions.n_ions == 0:
        raise ParameterError(f"{ions.path}: no ions")
    m = ions.mass_to_charge_Da
    species = assign_species(m, ranges)
    edges, counts = mass_spectrum(m, spectrum_bin_Da)
    del m
    depth = depth_from_apex(ions.column("z") * 1e-9)
    profile = depth_profile(depth, species, ranges, bin_width_m=bin_width_m)
    cap = detect_cap(profile, element=cap_element, threshold_at_pct=cap_threshold_at_pct)
    cap_depth = cap.cap_depth_m if exclude_cap else 0.0
    keep = species if cap_depth <= 0 else species[depth >= cap_depth]
    atoms_v = atom_counts(ion_counts(keep, ranges), ranges)
    atoms = {el: float(a) for el, a in zip(ranges.elements, atoms_v) if el in ranges.chemical_elements}
    pct, err = composition_from_atoms(atoms)
    unranged = float(np.count_nonzero(species < 0)) / ions.n_ions
    return SiteComposition(ions.path, ions.n_ions, unranged, cap_depth, pct, err, atoms, cap, profile,
                           edges, counts, ranges)


@dataclass(frozen=True)
class RatioComparison(Result):
    """One element ratio across sites.

    ``values`` / ``errors`` per site (in site order); ``z`` is the pairwise z-score
    ``(r_j - r_i) / sqrt(s_i^2 + s_j^2)`` of largest magnitude (for two sites, site 2
    minus site 1); ``significant`` when ``|z| > 3``.
    """

    ratio: str = quantity("")
    values: list[float] = quantity("1")
    errors: list[float] = quantity("1")
    z: float = quantity("sigma")
    significant: bool = quantity("")


def ratio_with_error(a: float, b: float) -> tuple[float, float]:
    """Ratio of two atom counts of one multinomial sample and its counting error.

    ``var(ln(a / b)) = 1 / a + 1 / b`` exactly to first order (the multinomial
    covariance terms cancel), so ``sigma_r = r sqrt(1/a + 1/b)``.
    """
    if a <= 0 or b <= 0:
        return (0.0 if b > 0 else float("nan")), float("nan")
    r = a / b
    return r, r * float(np.sqrt(1 / a + 1 / b))


def major_elements(sites, min_at_pct: float = 5.0) -> list[str]:
    """Elements at or above ``min_at_pct`` at.% in every site, alphabetical."""
    common = set.intersection(*(set(s.composition_at_pct) for s in sites))
    return sorted(el for el in common if all(s.composition_at_pct[el] >= min_at_pct for s in sites))


def compare_sites(sites, *, elements=None, min_at_pct: float = 5.0,
                  z_threshold: float = Z_SIGNIFICANT) -> list[RatioComparison]:
    """Element ratios of every pair of major elements across two or more sites.

    Parameters
    ----------
    sites : sequence of SiteComposition
    elements : sequence of str, optional
        Elements to pair (default :func:`major_elements`); ratios are named
        ``"A/B"`` with A before B alphabetically (``"Fe/Te"``, ``"Se/Te"``).
    min_at_pct : float
        Major-element criterion, at.%.
    """
    sites = list(sites)
    if len(sites) < 2:
        return []
    els = sorted(elements) if elements is not None else major_elements(sites, min_at_pct)
    out = []
    for a, b in itertools.combinations(els, 2):
        vals, errs = zip(*(ratio_with_error(s.atoms.get(a, 0.0), s.atoms.get(b, 0.0)) for s in sites))
        best = 0.0
        for i, j in itertools.combinations(range(len(sites)), 2):
            den = float(np.hypot(errs[i], errs[j]))
            if den > 0 and np.isfinite(den):
                z = (vals[j] - vals[i]) / den
                if abs(z) > abs(best):
                    best = z
        out.append(RatioComparison(f"{a}/{b}", list(vals), list(errs), float(best), bool(abs(best) > z_threshold)))
    return out
