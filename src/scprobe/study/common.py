"""What every stage of a study run shares: outputs, availability checks, scans, file names."""
from __future__ import annotations

import contextvars
import importlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import xarray as xr

from scprobe.study.loader import Study


#: False while a unit runs without figures (``run_study(figures=False)``).
FIGURES: contextvars.ContextVar[bool] = contextvars.ContextVar("scprobe_study_figures", default=True)


class StageUnavailable(Exception):
    """The stage's library code is not part of this scprobe; the stage is skipped, not failed."""


@dataclass
class StageOutput:
    """What one unit of a stage (one scan, one pair, one sample) produced.

    Attributes
    ----------
    result : dict
        JSON-ready numbers (the stage result's ``to_dict()`` plus context).
    figures : list of Path
        PNG files written.
    files : list of Path
        Processed data written (``.nc``, ``.gwy``, masks).
    note : str
        Plain statement when the stage found nothing or left something out.
    """

    result: dict[str, Any]
    figures: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    note: str = ""


def require(module: str, name: str):
    """``module.name``, or :class:`StageUnavailable` naming what is missing."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        # a missing part of scprobe itself means the stage is not in this version; anything else is a bug
        if exc.name and exc.name.split(".")[0] == "scprobe":
            raise StageUnavailable(f"{module} is not available in this scprobe ({exc.name} missing)") from None
        raise
    try:
        return getattr(mod, name)
    except AttributeError:
        raise StageUnavailable(f"{module}.{name} is not available in this scprobe") from None


def optional(module: str, name: str):
    """``module.name`` or None when that part of scprobe is absent (figures, writers)."""
    try:
        return require(module, name)
    except StageUnavailable:
        return None


def slug(text: str) -> str:
    """A file-name-safe form of a label (``"re-cooled 8 K"`` -> ``"re-cooled_8_K"``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "scan"


@lru_cache(maxsize=16)
def _open(files: tuple[Path, ...], temperature_K: float, bias_V: float, slow_scan: str) -> xr.Dataset:
    from scprobe.io import open_scan

    scan = open_scan(list(files), temperature_K=temperature_K, bias_V=bias_V)
    # the study file is the authority on the scan geometry when the headers do not say it
    return scan.assign_attrs(slow_scan=slow_scan)


def load_scan(study: Study, label: str) -> xr.Dataset:
    """The raw Scan of the ``[[scans]]`` entry ``label`` (cached; callers never modify it)."""
    s = study.scan(label)
    return _open(tuple(study.resolve(f) for f in s.files), s.temperature_K, s.bias_V, s.slow_scan)


def processed_scan(study: Study, label: str) -> xr.Dataset:
    """The scan after the study's ``options.map.process`` steps (none by default)."""
    scan = load_scan(study, label)
    steps = study.spec.options.map.process
    if steps:
        apply_steps = require("scprobe.process", "apply_steps")
        scan = apply_steps(scan, steps)
    return scan


def relpaths(paths, out_dir: Path) -> list[str]:
    """Paths relative to the run's output folder, as posix strings (stable across machines)."""
    return [Path(p).resolve().relative_to(out_dir.resolve()).as_posix() for p in paths]


def figures_of(module: str, name: str, *args, **kwargs) -> tuple[list[Path], list[Path], str]:
    """Call a figure-set function if it exists: ``(png paths, other files, note)``.

    A missing function is a note, not a failure; files that are not PNG (masks as
    .npy or .gwy) are returned apart, so the report embeds only images.
    """
    if not FIGURES.get():
        return [], [], ""
    fn = optional(f"scprobe.report.{module}", name)
    if fn is None:
        return [], [], f"figures skipped: scprobe.report.{module}.{name} is not available"
    out = [Path(p) for p in (fn(*args, **kwargs) or [])]
    return [p for p in out if p.suffix.lower() == ".png"], [p for p in out if p.suffix.lower() != ".png"], ""


def figure_set(module: str, calls: list[tuple]) -> tuple[list[Path], str]:
    """Call ``module.name(*args, path, **kwargs)`` for each ``(name, args, path[, kwargs])``.

    Missing functions become a note, not a failure.
    """
    if not FIGURES.get():
        return [], ""
    paths, missing = [], []
    for name, args, path, *rest in calls:
        fn = optional(f"scprobe.report.{module}", name)
        if fn is None:
            missing.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        paths.append(Path(fn(*args, path, **(rest[0] if rest else {})) or path))
    note = f"figures skipped: scprobe.report.{module}.{', '.join(missing)} not available" if missing else ""
    return paths, note
