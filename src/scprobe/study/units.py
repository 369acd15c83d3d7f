"""Typed contracts of a study run: the units of work and their status.

A stage runs as independent units: one scan (``map``), one pair of scans (``compare``), one area
(``series``), the sample (``transport``, ``percolation``, ``bulk``, ``composition``).  A :class:`Unit`
carries its kind and labels as fields; its :attr:`Unit.key` is only the name ``summary.json`` files
it under (``"1.5K"``, ``"recool:8K|8K recooled"``, ``"fwd_bwd:20K"``, ``"area:1.5K|B 1.5K"``, ``"A"``,
``"sample"``) and is never parsed back.  A unit's and a stage's outcome is a :class:`Status`, whose
values are the JSON strings.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

#: Separator of the two labels of a pair in a unit key (a scan label may not contain it).
PAIR_SEP = "|"


class Status(str, Enum):
    """Outcome of a unit or a stage; compares equal to, and serialises as, its JSON string."""

    OK = "ok"
    SKIPPED = "skipped"
    FAILED = "failed"
    #: the unit's inputs cannot be compared (different areas): an answer, not a failure
    NOT_COMPARABLE = "not comparable"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __hash__(self) -> int:  # as its string: {"ok": ...}[Status.OK] works
        return hash(self.value)

    @classmethod
    def of_stage(cls, statuses) -> Status:
        """A stage's status from its units': failed if any failed, else ok if any ran, else not comparable
        if any was, else skipped."""
        statuses = set(statuses)
        return next((s for s in (cls.FAILED, cls.OK, cls.NOT_COMPARABLE) if s in statuses), cls.SKIPPED)


#: Unit kinds: what the labels of a unit are.
KINDS = ("scan", "recool", "fwd_bwd", "area", "series", "sample")


@dataclass(frozen=True)
class Unit:
    """One independent piece of work of a stage.

    Attributes
    ----------
    kind : str
        ``scan`` (one scan's map), ``recool`` (a scan and its re-cooled repeat), ``fwd_bwd`` (the
        forward and backward traces of one scan), ``area`` (the first area's scan and another
        area's), ``series`` (the temperature series of one area), ``sample`` (the whole sample).
    labels : tuple of str
        Scan labels (``scan``, ``fwd_bwd``: one; ``recool``, ``area``: two, reference first), the
        area (``series``), none (``sample``).
    """

    kind: str
    labels: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown unit kind {self.kind!r}")
        n = {"scan": 1, "fwd_bwd": 1, "series": 1, "recool": 2, "area": 2, "sample": 0}[self.kind]
        if len(self.labels) != n:
            raise ValueError(f"a {self.kind} unit has {n} label(s), got {self.labels!r}")
        object.__setattr__(self, "labels", tuple(str(v) for v in self.labels))

    @property
    def label(self) -> str:
        """The one label of a ``scan``, ``fwd_bwd`` or ``series`` unit."""
        if len(self.labels) != 1:
            raise ValueError(f"a {self.kind} unit has no single label")
        return self.labels[0]

    @property
    def key(self) -> str:
        """The unit's name in ``summary.json`` (stable: reports and tests refer to it)."""
        if self.kind in ("scan", "series"):
            return self.labels[0]
        if self.kind == "sample":
            return "sample"
        return f"{self.kind}:{PAIR_SEP.join(self.labels)}"

    def __str__(self) -> str:
        return self.key


#: The single unit of the stages that work on the whole sample.
SAMPLE = Unit("sample")
