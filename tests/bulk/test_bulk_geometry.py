"""SampleGeometry: the [sample] table of study.toml, derived quantities, validation."""
from __future__ import annotations

import pytest

from scprobe.bulk import SampleGeometry
from scprobe.errors import ParameterError

TABLE = {"name": "sim-FeSe0.4Te0.6", "formula": "Fe(Se0.4Te0.6)", "molar_mass_g_mol": 187.7,
         "atoms_per_formula_unit": 2, "mass_g": 0.0123, "dimensions_mm": [2.0, 3.0, 0.2], "field_axis": "c",
         "density_g_cm3": 6.9}


def test_from_study_table():
    g = SampleGeometry.from_study(TABLE)
    assert g.dimensions_mm == (2.0, 3.0, 0.2)
    assert g.volume_cm3 == pytest.approx(0.0123 / 6.9)
    assert g.moles == pytest.approx(0.0123 / 187.7)
    assert g.bean_cross_section_m == pytest.approx((2e-3, 3e-3))
    assert g.demag_factor == pytest.approx(0.82806, abs=1e-5)
    assert SampleGeometry.from_study({"sample": TABLE}) == g


def test_volume_from_dimensions_and_field_axis():
    g = SampleGeometry(dimensions_mm=(2.0, 3.0, 0.2), field_axis="a")
    assert g.volume_cm3 == pytest.approx(1.2e-3)
    assert g.bean_cross_section_m == pytest.approx((0.2e-3, 3e-3))
    others = [SampleGeometry(dimensions_mm=(2.0, 3.0, 0.2), field_axis=ax).demag_factor for ax in "bc"]
    assert g.demag_factor + sum(others) == pytest.approx(1.0, abs=1e-9)
    assert g.demag_factor < 0.15 < others[1]


@pytest.mark.parametrize("kwargs, msg", [
    ({"mass_g": 0.0}, "mass_g must be positive"),
    ({"dimensions_mm": (1.0, 2.0)}, "three lengths"),
    ({"dimensions_mm": (1.0, -2.0, 1.0)}, r"dimensions_mm\[1\] must be positive"),
    ({"field_axis": "z"}, "field_axis"),
    ({"atoms_per_formula_unit": 0}, "positive integer"),
    ({"density_g_cm3": "heavy"}, "must be a number"),
])
def test_validation(kwargs, msg):
    with pytest.raises(ParameterError, match=msg):
        SampleGeometry(**kwargs)


def test_missing_quantities_are_named():
    g = SampleGeometry(mass_g=0.01)
    with pytest.raises(ParameterError, match="molar_mass_g_mol"):
        _ = g.moles
    with pytest.raises(ParameterError, match="dimensions_mm"):
        _ = g.demag_factor
    with pytest.raises(ParameterError, match="unknown key"):
        SampleGeometry.from_study({**TABLE, "colour": "grey"})
