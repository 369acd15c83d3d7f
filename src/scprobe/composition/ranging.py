"""Ranging: mass-to-charge values to ions, ions to atoms.

Ranges are compiled once into sorted, non-overlapping intervals, so every ion is
assigned with one :func:`numpy.searchsorted` (O(n log r), vectorised).  Molecular
ions are decomposed into their atoms (one FeTe ion counts one Fe and one Te atom),
which is how atom-probe compositions are reported (IVAS "decomposed" counts).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scprobe.errors import FormatError
from scprobe.io.apt import ELEMENTS, RangeTable

#: Species index of an ion outside every range.
UNRANGED = -1


@dataclass(frozen=True)
class CompiledRanges:
    """Sorted, disjoint ranges ready for vectorised assignment.

    Attributes
    ----------
    low_Da, high_Da : ndarray
        Interval limits (inclusive), Da, sorted by ``low_Da``; overlapping ranges of
        the same ion are merged.
    species : ndarray of int
        Index into ``ions`` of each interval.
    ions : tuple of str
        Ion names (``"Fe"``, ``"FeTe"``, ...), in order of first appearance.
    elements : tuple of str
        Atom names: chemical elements first (in order of appearance), then
        pseudo-atoms (labels that are not element symbols, such as unnamed ions).
    atoms_per_ion : ndarray, shape (n_ions, n_elements)
        Decomposition matrix: atoms of each element in one ion.
    """

    low_Da: np.ndarray
    high_Da: np.ndarray
    species: np.ndarray
    ions: tuple[str, ...]
    elements: tuple[str, ...]
    atoms_per_ion: np.ndarray

    @property
    def chemical_elements(self) -> tuple[str, ...]:
        """The ``elements`` that are chemical element symbols."""
        return tuple(e for e in self.elements if e in ELEMENTS)


def compile_ranges(table: RangeTable) -> CompiledRanges:
    """Sort and merge the ranges of a range file; reject contradictions.

    Overlapping or repeated ranges of the *same* ion are merged (real files repeat
    range sets); ranges of *different* ions that overlap make the assignment of the
    shared masses ambiguous and raise :class:`~scprobe.errors.FormatError`, as does an
    ion name used with two different decompositions.
    """
    if not table.ranges:
        raise FormatError(table.path, "range file has no ranges")
    ions: list[str] = []
    atoms: dict[str, tuple] = {}
    for r in table.ranges:
        if r.ion in atoms and dict(atoms[r.ion]) != dict(r.atoms):
            raise FormatError(table.path, f"ion {r.ion!r} has two decompositions: {atoms[r.ion]} and {r.atoms}")
        if r.ion not in atoms:
            atoms[r.ion] = r.atoms
            ions.append(r.ion)
    found = list(dict.fromkeys(el for ion in ions for el, _ in atoms[ion]))
    elements = [e for e in found if e in ELEMENTS] + [e for e in found if e not in ELEMENTS]
    matrix = np.zeros((len(ions), len(elements)))
    for i, ion in enumerate(ions):
        for el, n in atoms[ion]:
            matrix[i, elements.index(el)] += n
    index = {ion: i for i, ion in enumerate(ions)}
    order = sorted(table.ranges, key=lambda r: (r.low_Da, r.high_Da))
    lows, highs, spec = [], [], []
    for r in order:
        s = index[r.ion]
        if lows and r.low_Da <= highs[-1]:
            if spec[-1] == s:
                highs[-1] = max(highs[-1], r.high_Da)
                continue
            if r.low_Da < highs[-1]:
                raise FormatError(table.path, f"ranges overlap: {ions[spec[-1]]} {lows[-1]:g}-{highs[-1]:g} Da and "
                                              f"{r.ion} {r.low_Da:g}-{r.high_Da:g} Da")
        lows.append(r.low_Da)
        highs.append(r.high_Da)
        spec.append(s)
    return CompiledRanges(np.array(lows), np.array(highs), np.array(spec, dtype=np.int32),
                          tuple(ions), tuple(elements), matrix)


def assign_species(mass_to_charge_Da: np.ndarray, ranges: CompiledRanges) -> np.ndarray:
    """Ion species index of every ion (:data:`UNRANGED` = -1 outside all ranges).

    Parameters
    ----------
    mass_to_charge_Da : ndarray
        Mass-to-charge state ratios, Da.
    ranges : CompiledRanges

    Returns
    -------
    ndarray of int32, same length.
    """
    m = np.asarray(mass_to_charge_Da)
    # a sentinel interval (-inf, -inf] of species -1 in front: every ion then finds an
    # interval at or below it, and is unranged when it lies above that interval's end
    lows = np.concatenate([[-np.inf], ranges.low_Da])
    highs = np.concatenate([[-np.inf], ranges.high_Da])
    species = np.concatenate([[UNRANGED], ranges.species]).astype(np.int32)
    k = np.searchsorted(lows, m, side="right")
    k -= 1
    out = species[k]
    out[~(m <= highs[k])] = UNRANGED  # NaN m/n is unranged too
    return out


def ion_counts(species: np.ndarray, ranges: CompiledRanges) -> np.ndarray:
    """Ions per species (length ``len(ranges.ions)``); unranged ions are not counted."""
    n = len(ranges.ions)
    return np.bincount(np.asarray(species) + 1, minlength=n + 1)[1:]


def atom_counts(ion_counts_: np.ndarray, ranges: CompiledRanges) -> np.ndarray:
    """Decompose ion counts (last axis: species) into atom counts (last axis: elements)."""
    return np.asarray(ion_counts_, dtype=float) @ ranges.atoms_per_ion


def mass_spectrum(mass_to_charge_Da: np.ndarray, bin_Da: float = 0.02,
                  max_Da: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of mass-to-charge values: ``(edges_Da, counts)`` with ``bin_Da`` wide bins."""
    m = np.asarray(mass_to_charge_Da)
    top = float(np.max(m)) if max_Da is None and m.size else float(max_Da or bin_Da)
    nbins = max(1, int(np.ceil(top / bin_Da)))
    # bin index + 1, clipped so that underflow lands in 0 and overflow in nbins + 1
    t = m * (1.0 / bin_Da)
    np.floor(t, out=t)
    np.clip(t, -1, nbins, out=t)
    idx = t.astype(np.intp)
    idx += 1
    counts = np.bincount(idx, minlength=nbins + 2)[1:nbins + 1]
    return np.arange(nbins + 1) * bin_Da, counts
