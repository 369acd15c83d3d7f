"""Sample geometry for the bulk analyses: volume, moles, demagnetisation factor, Bean cross-section.

Units at the boundary are the laboratory's (mm, g, g/cm^3, g/mol) and say so in their names;
derived quantities are SI or carry their unit in the name.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scprobe.errors import ParameterError
from scprobe.results import Result, quantity

__all__ = ["SampleGeometry", "demag_factor_prism"]

_AXES = ("a", "b", "c")


def demag_factor_prism(dims: tuple[float, float, float], axis: str = "c") -> float:
    """Magnetometric demagnetising factor of a rectangular prism, field along one edge.

    Closed form of A. Aharoni, "Demagnetizing factors for rectangular ferromagnetic prisms",
    J. Appl. Phys. 83, 3432 (1998), eq. (1), for a prism ``2a x 2b x 2c`` magnetised along c.
    Only ratios matter, so any common length unit works.  N_a + N_b + N_c = 1; a cube gives 1/3;
    a thin plate in a perpendicular field tends to 1.

    Parameters
    ----------
    dims : (float, float, float)
        Edge lengths along the crystal axes a, b, c (any one unit, all positive).
    axis : {"a", "b", "c"}
        Axis of the applied field.

    Returns
    -------
    float
        N in 0..1 (SI convention; the CGS factor is 4 pi N).
    """
    if axis not in _AXES:
        raise ParameterError(f"field axis must be one of a, b, c, got {axis!r}")
    if len(dims) != 3 or not all(math.isfinite(d) and d > 0 for d in dims):
        raise ParameterError(f"prism dimensions must be three positive lengths, got {dims!r}")
    k = _AXES.index(axis)
    others = [d for i, d in enumerate(dims) if i != k]
    a, b, c = others[0] / 2, others[1] / 2, dims[k] / 2
    abc = math.sqrt(a * a + b * b + c * c)
    ab = math.sqrt(a * a + b * b)
    bc = math.sqrt(b * b + c * c)
    ac = math.sqrt(a * a + c * c)
    pi_d = ((b * b - c * c) / (2 * b * c) * math.log((abc - a) / (abc + a))
            + (a * a - c * c) / (2 * a * c) * math.log((abc - b) / (abc + b))
            + b / (2 * c) * math.log((ab + a) / (ab - a))
            + a / (2 * c) * math.log((ab + b) / (ab - b))
            + c / (2 * a) * math.log((bc - b) / (bc + b))
            + c / (2 * b) * math.log((ac - a) / (ac + a))
            + 2 * math.atan(a * b / (c * abc))
            + (a ** 3 + b ** 3 - 2 * c ** 3) / (3 * a * b * c)
            + (a * a + b * b - 2 * c * c) / (3 * a * b * c) * abc
            + c / (a * b) * (ac + bc)
            - (ab ** 3 + bc ** 3 + ac ** 3) / (3 * a * b * c))
    return pi_d / math.pi


def _positive(name: str, value: Any) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"sample {name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise ParameterError(f"sample {name} must be positive and finite, got {value!r}")
    return v


@dataclass(frozen=True)
class SampleGeometry(Result):
    """What the bulk analyses need to know about the crystal.

    Attributes
    ----------
    dimensions_mm : (a, b, c) or None
        Edge lengths in mm along the crystal axes.
    mass_g : float or None
        Sample mass in g.
    density_g_cm3 : float or None
        Mass density in g/cm^3 (with the mass gives the volume of an irregular crystal).
    molar_mass_g_mol : float or None
        Molar mass in g per mole of formula units.
    atoms_per_formula_unit : int or None
        n in the Debye temperature (2 for FeSe(1-x)Te(x)).
    field_axis : {"a", "b", "c"}
        Axis along which the field is applied (default c).
    """

    dimensions_mm: tuple[float, float, float] | None = quantity("mm", default=None)
    mass_g: float | None = quantity("g", default=None)
    density_g_cm3: float | None = quantity("g/cm^3", default=None)
    molar_mass_g_mol: float | None = quantity("g/mol", default=None)
    atoms_per_formula_unit: int | None = quantity("count", default=None)
    field_axis: str = quantity("", default="c")

    def __post_init__(self) -> None:
        if self.dimensions_mm is not None:
            dims = tuple(self.dimensions_mm)
            if len(dims) != 3:
                raise ParameterError(f"sample dimensions_mm needs three lengths a,b,c, got {dims!r}")
            object.__setattr__(self, "dimensions_mm",
                               tuple(_positive(f"dimensions_mm[{i}]", d) for i, d in enumerate(dims)))
        for name in ("mass_g", "density_g_cm3", "molar_mass_g_mol"):
            object.__setattr__(self, name, _positive(name, getattr(self, name)))
        n = self.atoms_per_formula_unit
        if n is not None:
            if isinstance(n, bool) or float(n) != int(n) or int(n) < 1:
                raise ParameterError(f"sample atoms_per_formula_unit must be a positive integer, got {n!r}")
            object.__setattr__(self, "atoms_per_formula_unit", int(n))
        if self.field_axis not in _AXES:
            raise ParameterError(f"sample field_axis must be a, b or c, got {self.field_axis!r}")

    @classmethod
    def from_study(cls, table: Mapping[str, Any] | Any) -> "SampleGeometry":
        """From the ``[sample]`` table of a study.toml (see notes/study_schema.md).

        Accepts the table as a dict, a pydantic model of it, or the whole study dict (its
        ``sample`` entry is used).  ``name`` and ``formula`` are descriptive and ignored.
        """
        if hasattr(table, "model_dump"):
            table = table.model_dump()
        if not isinstance(table, Mapping):
            raise ParameterError(f"[sample] must be a table, got {type(table).__name__}")
        if "sample" in table and isinstance(table["sample"], Mapping):
            table = table["sample"]
        known = {"dimensions_mm", "mass_g", "density_g_cm3", "molar_mass_g_mol", "atoms_per_formula_unit",
                 "field_axis"}
        unknown = set(table) - known - {"name", "formula"}
        if unknown:
            raise ParameterError(f"[sample] has unknown key(s) {sorted(unknown)}")
        kwargs = {k: table[k] for k in known if table.get(k) is not None}
        if "dimensions_mm" in kwargs:
            kwargs["dimensions_mm"] = tuple(kwargs["dimensions_mm"])
        return cls(**kwargs)

    def _need(self, *names: str, what: str) -> None:
        missing = [n for n in names if getattr(self, n) is None]
        if missing:
            raise ParameterError(f"{what} needs the sample's {' and '.join(missing)}")

    @property
    def volume_cm3(self) -> float:
        """Volume in cm^3: mass / density when both are known, else from the dimensions."""
        if self.mass_g is not None and self.density_g_cm3 is not None:
            return self.mass_g / self.density_g_cm3
        self._need("dimensions_mm", what="the sample volume (mass and density, or dimensions)")
        a, b, c = self.dimensions_mm
        return a * b * c * 1e-3

    @property
    def moles(self) -> float:
        """Moles of formula units: mass / molar mass."""
        self._need("mass_g", "molar_mass_g_mol", what="a molar heat capacity")
        return self.mass_g / self.molar_mass_g_mol

    @property
    def demag_factor(self) -> float:
        """Aharoni demagnetising factor along ``field_axis`` (see :func:`demag_factor_prism`)."""
        self._need("dimensions_mm", what="the demagnetisation factor")
        return demag_factor_prism(self.dimensions_mm, self.field_axis)

    @property
    def bean_cross_section_m(self) -> tuple[float, float]:
        """``(a, b)`` in m of the face perpendicular to the field, a <= b (Bean slab)."""
        self._need("dimensions_mm", what="the Bean critical-state model")
        k = _AXES.index(self.field_axis)
        a, b = sorted(d for i, d in enumerate(self.dimensions_mm) if i != k)
        return a * 1e-3, b * 1e-3
