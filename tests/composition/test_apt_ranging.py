"""Ranging: vectorised assignment, molecular decomposition, contradictory ranges."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scprobe.composition.ranging import (UNRANGED, assign_species, atom_counts, compile_ranges, ion_counts,
                                         mass_spectrum)
from scprobe.errors import FormatError
from scprobe.io.apt import IonRange, RangeTable, read_ranges


def table(*ranges):
    return RangeTable("mem.rrng", "rrng", (), tuple(IonRange(lo, hi, ion, atoms) for lo, hi, ion, atoms in ranges))


FE = (("Fe", 1),)
TE = (("Te", 1),)
FETE = (("Fe", 1), ("Te", 1))


def test_assignment_matches_brute_force():
    t = table((27.8, 28.2, "Fe", FE), (55.7, 56.3, "Fe", FE), (64.7, 65.3, "Te", TE), (92.7, 93.3, "FeTe", FETE),
              (129.7, 130.3, "Te", TE))
    c = compile_ranges(t)
    rng = np.random.default_rng(0)
    m = np.concatenate([rng.uniform(0, 140, 20000), [27.8, 28.2, 56.3, 0.0, 140.0]])
    got = assign_species(m, c)
    want = np.full(m.size, UNRANGED)
    for r in t.ranges:
        want[(m >= r.low_Da) & (m <= r.high_Da)] = c.ions.index(r.ion)
    np.testing.assert_array_equal(got, want)
    assert got[-5:].tolist() == [0, 0, 0, UNRANGED, UNRANGED]


def test_molecular_ions_decompose_into_atoms():
    c = compile_ranges(table((55.7, 56.3, "Fe", FE), (92.7, 93.3, "FeTe", FETE), (129.7, 130.3, "Te", TE)))
    m = np.array([56.0] * 5 + [93.0] * 3 + [130.0] * 2 + [10.0] * 7)
    s = assign_species(m, c)
    ions = ion_counts(s, c)
    assert dict(zip(c.ions, ions.tolist())) == {"Fe": 5, "FeTe": 3, "Te": 2}
    assert dict(zip(c.elements, atom_counts(ions, c).tolist())) == {"Fe": 8.0, "Te": 5.0}
    assert np.count_nonzero(s == UNRANGED) == 7


def test_same_ion_overlaps_merge_different_ions_are_rejected():
    c = compile_ranges(table((10.0, 11.0, "Fe", FE), (10.5, 12.0, "Fe", FE), (10.0, 11.0, "Fe", FE)))
    assert c.low_Da.tolist() == [10.0] and c.high_Da.tolist() == [12.0]
    with pytest.raises(FormatError, match="ranges overlap: Fe 10-11 Da and Te 10.5-12 Da"):
        compile_ranges(table((10.0, 11.0, "Fe", FE), (10.5, 12.0, "Te", TE)))
    with pytest.raises(FormatError, match="two decompositions"):
        compile_ranges(table((10.0, 11.0, "X", FE), (20.0, 21.0, "X", TE)))
    # touching ranges are fine: the shared edge goes to the upper range
    c = compile_ranges(table((10.0, 11.0, "Fe", FE), (11.0, 12.0, "Te", TE)))
    assert assign_species(np.array([11.0]), c).tolist() == [1]


def test_real_range_files_compile(data_dir):
    # VAlN repeats its range set with slightly different limits: same-ion overlaps merge
    c = compile_ranges(read_ranges(data_dir / "apt" / "VAlN_film_plan-view_700C.rrng"))
    assert set(c.chemical_elements) == {"N", "Al", "V", "Ar", "C", "O"}
    assert np.all(c.low_Da[1:] >= c.high_Da[:-1])
    c2 = compile_ranges(read_ranges(data_dir / "apt" / "apt-tools_rangefile.rrng"))
    assert "59" in c2.elements and "59" not in c2.chemical_elements
    row = c2.atoms_per_ion[c2.ions.index("Ca2CO3")]
    assert dict(zip(c2.elements, row)) | {} == {**dict.fromkeys(c2.elements, 0.0), "Ca": 2.0, "C": 1.0, "O": 3.0}


def test_mass_spectrum_counts():
    edges, counts = mass_spectrum(np.array([0.01, 0.03, 0.03, 1.99]), bin_Da=0.02, max_Da=2.0)
    assert edges.size == 101 and counts.sum() == 4
    assert counts[0] == 1 and counts[1] == 2 and counts[99] == 1


@given(st.lists(st.tuples(st.floats(0.5, 200.0), st.floats(0.01, 3.0), st.integers(0, 3)), min_size=1, max_size=12),
       st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_assignment_property(spec, seed):
    """Any set of ranges without cross-ion overlaps: searchsorted assignment == brute force."""
    ions = ["Fe", "Te", "FeTe", "O"]
    atoms = [FE, TE, FETE, (("O", 1),)]
    ranges = [(lo, lo + w, ions[k], atoms[k]) for lo, w, k in spec]
    t = table(*ranges)
    try:
        c = compile_ranges(t)
    except FormatError:
        # a genuine overlap of two different ions must be the reason
        assert any(a[2] != b[2] and a[0] < b[1] and b[0] < a[1] for a in ranges for b in ranges)
        return
    m = np.random.default_rng(seed).uniform(0, 210, 2000)
    got = assign_species(m, c)
    hit = np.full(m.size, UNRANGED)
    for lo, hi, ion, _ in ranges:
        sel = (m >= lo) & (m <= hi)
        hit[sel] = c.ions.index(ion)
    np.testing.assert_array_equal(got, hit)
