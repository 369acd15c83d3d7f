"""The study file's schema (``schema_version = 1``), as pydantic models.

Types, ranges and unknown keys are checked by pydantic; checks that need the
whole file (unique labels, references between tables, files that exist) live in
:func:`semantic_errors`, which returns ``(location, message)`` pairs so the
loader can name the key and its line for every problem at once.
"""
from __future__ import annotations

import math
import os
import re
from enum import Enum
from pathlib import Path
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scprobe.errors import ParameterError

#: The schema version this scprobe reads and the simulator writes.
SCHEMA_VERSION = 1
#: What each schema version changed; a file written for an older version is told
#: every change since, so its author knows what to edit.
SCHEMA_CHANGES: dict[int, str] = {
    1: ("first released schema: tables [sample], [[scans]], [bulk], [composition] with "
        "[[composition.sites]], [transport], [percolation], [options]; lengths in SI unless "
        "the key names a unit (dimensions_mm, density_g_cm3, field_Oe)"),
}

PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
FileName = Annotated[str, Field(min_length=1)]
#: Labels and area names become file and folder names; longer ones would exceed file-name limits.
MAX_NAME_CHARS = 100
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def slug(text: str) -> str:
    """A file-name-safe form of a label (``"re-cooled 8 K"`` -> ``"re-cooled_8_K"``); never ``.`` or ``..``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "scan"


def _name(v: str, what: str) -> str:
    """A label or area name: printable, at most :data:`MAX_NAME_CHARS` characters."""
    if _CONTROL_RE.search(v):
        raise ValueError(f"{what} may not contain control characters (NUL, ESC, newline ...)")
    if len(v) > MAX_NAME_CHARS:
        raise ValueError(f"{what} is {len(v)} characters long; at most {MAX_NAME_CHARS} (it names output files)")
    return v




class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sample(_Table):
    """``[sample]``: what the crystal is; bulk analyses need its geometry."""

    name: str = Field(min_length=1)
    formula: str | None = None
    molar_mass_g_mol: PositiveFloat | None = None
    atoms_per_formula_unit: Annotated[int, Field(ge=1)] | None = None
    mass_g: PositiveFloat | None = None
    dimensions_mm: tuple[PositiveFloat, PositiveFloat, PositiveFloat] | None = None
    field_axis: Literal["a", "b", "c"] = "c"
    density_g_cm3: PositiveFloat | None = None


class ScanEntry(_Table):
    """One ``[[scans]]`` table: every file of one scan at one temperature and area."""

    label: str = Field(min_length=1)
    files: list[FileName] = Field(min_length=1)
    temperature_K: PositiveFloat
    bias_V: float = Field(allow_inf_nan=False)
    area: str = Field("A", min_length=1)
    sequence: Annotated[int, Field(ge=0)] | None = None
    recooled: bool = False
    slow_scan: Literal["horizontal", "vertical"] = "horizontal"

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        if "|" in v:
            raise ValueError("a label may not contain '|' (it separates the labels of compared pairs)")
        return _name(v, "a label")

    @field_validator("area")
    @classmethod
    def _area(cls, v: str) -> str:
        return _name(v, "an area name")

    @field_validator("bias_V")
    @classmethod
    def _nonzero_bias(cls, v: float) -> float:
        if v == 0:
            raise ValueError("bias must be non-zero (V): a current map at zero bias carries no conductance")
        return v


class Bulk(_Table):
    """``[bulk]``: Quantum Design data files."""

    resistivity: FileName | None = None
    susceptibility: FileName | None = None
    heat_capacity: FileName | None = None
    mh: FileName | None = None
    field_Oe: PositiveFloat = 10.0


class Site(_Table):
    """One ``[[composition.sites]]`` table: a lift-out site and its atom-probe needle."""

    name: str = Field(min_length=1)
    apt: FileName
    sem_xy_px: tuple[float, float] | None = None


class Composition(_Table):
    """``[composition]``: atom probe, SEM overlay and EDX maps."""

    ranges: FileName | None = None
    sem: FileName | None = None
    sem_pixel_size_m: PositiveFloat | None = None
    overlay_scan: str | None = None
    edx: list[FileName] = []
    sites: list[Site] = []


class Transport(_Table):
    """``[transport]``: simulated four-probe measurement on one scan's map."""

    #: a layout name, or the four (x, y) pixels I+, I-, V+, V- parsed from 'X,Y;X,Y;X,Y;X,Y' at load time
    contacts: str | list[tuple[int, int]] = "vdp"
    model: Literal["classified", "proportional"] = "classified"
    scan: str | None = None

    @field_validator("contacts", mode="before")
    @classmethod
    def _contacts(cls, v):
        from scprobe.transport.contacts import LAYOUTS, parse_positions

        if isinstance(v, str) and v.strip().lower() in LAYOUTS:
            return v.strip().lower()
        if not isinstance(v, str):
            raise ValueError("contacts must be vdp, linear, bar or four pixel positions 'X,Y;X,Y;X,Y;X,Y'")
        try:
            return parse_positions(v)
        except ParameterError as exc:
            raise ValueError(f"contacts must be vdp, linear, bar or four pixel positions 'X,Y;X,Y;X,Y;X,Y' "
                             f"({exc})") from None


class Percolation(_Table):
    """``[percolation]``: extrapolation of the map's statistics to the sample size."""

    sample_size_m: PositiveFloat = 1e-3
    realizations: Annotated[int, Field(ge=2, le=1000)] = 8  # transport.extrapolate.MAX_REALIZATIONS
    dim: Literal[2, 3] | None = None  # None: chosen from [sample] dimensions_mm and the map
    seed: Annotated[int, Field(ge=0)] = 0


class MapOptions(_Table):
    threshold_A: NonNegativeFloat | None = None
    channel: str = "current"
    direction: Literal["forward", "backward"] = "forward"
    process: list[str] = []

    @field_validator("process")
    @classmethod
    def _process(cls, v: list[str]) -> list[str]:
        from scprobe.process import parse_steps

        try:
            parse_steps(v)
        except ParameterError as exc:
            raise ValueError(str(exc)) from None
        return v


class ThresholdOptions(_Table):
    threshold_A: NonNegativeFloat | None = None


class CompareOptions(_Table):
    threshold_A: NonNegativeFloat | None = None
    #: labels of the scans whose forward and backward traces are compared; default: every
    #: scan with both traces, not re-cooled, warmer than the coldest scan of its area
    forward_backward: list[str] | None = None


class TransportOptions(_Table):
    threshold_A: NonNegativeFloat | None = None


class Options(_Table):
    """``[options]``: per-stage options; an absent table means the stage's defaults.

    ``inputs_outside_study = true`` allows input paths outside the study's folder
    (absolute, or through ``..``); by default they are refused, so a study cannot
    publish the path and hash of a system file in its report.
    """

    inputs_outside_study: bool = False

    map: MapOptions = MapOptions()
    compare: CompareOptions = CompareOptions()
    series: ThresholdOptions = ThresholdOptions()
    transport: TransportOptions = TransportOptions()


class StudySpec(_Table):
    """A whole study file."""

    schema_version: Literal[1]
    sample: Sample
    scans: list[ScanEntry] = []
    bulk: Bulk | None = None
    composition: Composition | None = None
    transport: Transport | None = None
    percolation: Percolation | None = None
    options: Options = Options()


Loc = tuple[str | int, ...]


class Category(str, Enum):
    """What kind of problem a study file has (callers select by category, never by message text)."""

    DUPLICATE = "duplicate"            # two scans or sites share a name
    MISSING_FILE = "missing_file"      # a data file the study names does not exist
    UNKNOWN_LABEL = "unknown_label"    # a reference to a scan label that no scan has
    INCOMPLETE = "incomplete"          # a value that another entry needs is missing
    INVALID = "invalid"                # a value that is not allowed

    def __str__(self) -> str:
        return self.value


class Problem(NamedTuple):
    """One problem of a study file: where (``loc``), what (``message``) and its :class:`Category`."""

    loc: Loc
    message: str
    category: Category


def semantic_errors(spec: StudySpec, root: Path) -> list[Problem]:
    """Problems that need the whole file: duplicate labels, dangling references, missing files.

    Parameters
    ----------
    spec : StudySpec
        The type-checked study.
    root : Path
        Folder holding the study file; relative paths are resolved against it.
    """
    errors: list[Problem] = []
    labels: dict[str, int] = {}
    slugs: dict[str, int] = {}
    for i, s in enumerate(spec.scans):
        if s.label in labels:
            errors.append(Problem(("scans", i, "label"),
                                  f"duplicate label {s.label!r} (also scans[{labels[s.label]}])", Category.DUPLICATE))
        elif slug(s.label) in slugs:
            j = slugs[slug(s.label)]
            errors.append(Problem(("scans", i, "label"), f"labels {s.label!r} and {spec.scans[j].label!r} "
                                  f"(scans[{j}]) write the same files ({slug(s.label)!r}); rename one",
                                  Category.DUPLICATE))
        labels.setdefault(s.label, i)
        slugs.setdefault(slug(s.label), i)
    areas: dict[str, str] = {}
    for i, s in enumerate(spec.scans):
        other = areas.setdefault(slug(s.area), s.area)
        if other != s.area:
            errors.append(Problem(("scans", i, "area"), f"areas {s.area!r} and {other!r} write the same files "
                                  f"({slug(s.area)!r}); rename one", Category.DUPLICATE))
    real_root = os.path.realpath(root)
    for loc, path in _file_refs(spec):
        p = root / path
        inside = os.path.commonpath([real_root, os.path.realpath(p)]) == real_root
        if not inside and not spec.options.inputs_outside_study:
            errors.append(Problem(loc, f"{path}: outside the study's folder; paths are relative to it (set "
                                  "[options] inputs_outside_study = true to allow this)", Category.INVALID))
        elif not p.is_file():
            errors.append(Problem(loc, f"file not found: {p}", Category.MISSING_FILE))
    if spec.transport and spec.transport.scan is not None and spec.transport.scan not in labels:
        errors.append(Problem(("transport", "scan"),
                              f"no scan labelled {spec.transport.scan!r}", Category.UNKNOWN_LABEL))
    for i, label in enumerate(spec.options.compare.forward_backward or []):
        if label not in labels:
            errors.append(Problem(("options", "compare", "forward_backward", i),
                                  f"no scan labelled {label!r}", Category.UNKNOWN_LABEL))
    comp = spec.composition
    if comp is not None:
        if comp.overlay_scan is not None and comp.overlay_scan not in labels:
            errors.append(Problem(("composition", "overlay_scan"),
                                  f"no scan labelled {comp.overlay_scan!r}", Category.UNKNOWN_LABEL))
        if comp.sites and comp.ranges is None:
            errors.append(Problem(("composition", "ranges"),
                                  "atom-probe sites need a range file (ranges = ...)", Category.INCOMPLETE))
        if comp.sem is not None and comp.sem_pixel_size_m is None:
            errors.append(Problem(("composition", "sem_pixel_size_m"),
                                  "an SEM image needs its pixel size in m", Category.INCOMPLETE))
        names = [s.name for s in comp.sites]
        for i, n in enumerate(names):
            if n in names[:i]:
                errors.append(Problem(("composition", "sites", i, "name"),
                                      f"duplicate site name {n!r}", Category.DUPLICATE))
    bulk = spec.bulk
    if bulk is not None:
        needs = {"susceptibility": ("mass_g", "dimensions_mm"), "mh": ("dimensions_mm",),
                 "heat_capacity": ("molar_mass_g_mol", "mass_g")}
        for key, fields in needs.items():
            if getattr(bulk, key) is None:
                continue
            for f in fields:
                if getattr(spec.sample, f) is None:
                    errors.append(Problem(("sample", f), f"needed by bulk.{key}", Category.INCOMPLETE))
    if spec.sample.dimensions_mm is not None and not all(math.isfinite(d) for d in spec.sample.dimensions_mm):
        errors.append(Problem(("sample", "dimensions_mm"), "dimensions must be finite", Category.INVALID))
    return errors


def _file_refs(spec: StudySpec) -> list[tuple[Loc, str]]:
    refs: list[tuple[Loc, str]] = []
    for i, s in enumerate(spec.scans):
        refs += [(("scans", i, "files", j), f) for j, f in enumerate(s.files)]
    if spec.bulk is not None:
        for key in ("resistivity", "susceptibility", "heat_capacity", "mh"):
            if getattr(spec.bulk, key) is not None:
                refs.append((("bulk", key), getattr(spec.bulk, key)))
    if spec.composition is not None:
        c = spec.composition
        refs += [(("composition", k), getattr(c, k)) for k in ("ranges", "sem") if getattr(c, k) is not None]
        refs += [(("composition", "edx", j), f) for j, f in enumerate(c.edx)]
        refs += [(("composition", "sites", j, "apt"), s.apt) for j, s in enumerate(c.sites)]
    return refs


def input_files(spec: StudySpec) -> list[tuple[str, str]]:
    """``(key, relative path)`` of every input file the study names, in file order."""
    return [(format_loc(loc), path) for loc, path in _file_refs(spec)]


def format_loc(loc: Loc) -> str:
    """``("scans", 2, "files", 0)`` -> ``"scans[2].files[0]"``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
