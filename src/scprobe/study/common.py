"""What every stage of a study run shares: outputs, figures, scans, file names."""
from __future__ import annotations

import contextvars
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import xarray as xr

from scprobe.study.loader import Study


#: False while a unit runs without figures (``run_study(figures=False)``).
FIGURES: contextvars.ContextVar[bool] = contextvars.ContextVar("scprobe_study_figures", default=True)


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
        from scprobe.process import apply_steps

        scan = apply_steps(scan, steps)
    return scan


def relpaths(paths, out_dir: Path) -> list[str]:
    """Paths relative to the run's output folder, as posix strings (stable across machines)."""
    return [Path(p).resolve().relative_to(out_dir.resolve()).as_posix() for p in paths]


def figures_of(figure_set_fn, *args, **kwargs) -> tuple[list[Path], list[Path]]:
    """Call a figure-set function (one that writes several files): ``(png paths, other files)``.

    Files that are not PNG (masks as .npy or .gwy) are returned apart, so the report
    embeds only images.  Nothing is drawn while :data:`FIGURES` is off.
    """
    if not FIGURES.get():
        return [], []
    out = [Path(p) for p in (figure_set_fn(*args, **kwargs) or [])]
    return [p for p in out if p.suffix.lower() == ".png"], [p for p in out if p.suffix.lower() != ".png"]


def figure_set(calls: list[tuple]) -> list[Path]:
    """Call ``fn(*args, path, **kwargs)`` for each ``(fn, args, path[, kwargs])``; the paths written.

    Nothing is drawn while :data:`FIGURES` is off.
    """
    if not FIGURES.get():
        return []
    paths = []
    for fn, args, path, *rest in calls:
        path.parent.mkdir(parents=True, exist_ok=True)
        paths.append(Path(fn(*args, path, **(rest[0] if rest else {})) or path))
    return paths
