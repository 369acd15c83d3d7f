"""What every stage of a study run shares: outputs, figures, scans, file names."""
from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xarray as xr

from scprobe.study.loader import Study
from scprobe.study.schema import slug
from scprobe.study.units import Status


@dataclass
class StageOutput:
    """What one unit of a stage (one scan, one pair, one sample) produced.

    Attributes
    ----------
    result : dict
        JSON-ready numbers (the stage result's ``to_dict()`` plus context).
    files : list of Path
        Processed data written (``.nc``, ``.gwy`` with the conducting mask).
    note : str
        Plain statement when the stage found nothing or left something out.
    units : dict
        Declared unit of each field of ``result``, nested like it (the result's ``units()``
        plus the context's); the report formats values from these only.
    objects : dict
        The result objects (with their arrays) and inputs a renderer draws the unit's figures
        from; never written to the summary.
    status : Status
        ``Status.OK``, or ``Status.NOT_COMPARABLE`` when the unit's inputs cannot be compared.
    """

    result: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    note: str = ""
    units: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict, repr=False)
    status: Status = Status.OK


class ScanCache:
    """Scans opened during one run, keyed by what is on disk.

    Several stages of a run read the same scan; opening it once saves seconds.  The
    key holds the size and modification time (ns) of every file the scan is read
    from, so a file rewritten on disk is read again, and :meth:`begin` empties the
    cache when another run starts, so nothing outlives the run that read it.
    """

    def __init__(self, maxsize: int = 16):
        self.maxsize = maxsize
        self.run_id: str | None = None
        self._scans: OrderedDict[tuple, xr.Dataset] = OrderedDict()

    def begin(self, run_id: str) -> None:
        """Start serving run ``run_id``; the scans of any other run are dropped."""
        if run_id != self.run_id:
            self._scans.clear()
            self.run_id = run_id

    def clear(self) -> None:
        self._scans.clear()
        self.run_id = None

    def open(self, files: tuple[Path, ...], temperature_K: float, bias_V: float, slow_scan: str) -> xr.Dataset:
        from scprobe.io import open_scan
        from scprobe.io.group import scan_files

        stats = []
        for f in scan_files(list(files)):
            st = f.stat()
            stats.append((os.path.realpath(f), st.st_size, st.st_mtime_ns))
        key = (tuple(stats), temperature_K, bias_V, slow_scan)
        if key in self._scans:
            self._scans.move_to_end(key)
            return self._scans[key]
        scan = open_scan(list(files), temperature_K=temperature_K, bias_V=bias_V)
        # the study file is the authority on the scan geometry when the headers do not say it
        scan = scan.assign_attrs(slow_scan=slow_scan)
        self._scans[key] = scan
        while len(self._scans) > self.maxsize:
            self._scans.popitem(last=False)
        return scan


#: The scans of the run this process is working for (see :meth:`ScanCache.begin`).
SCANS = ScanCache()


def load_scan(study: Study, label: str) -> xr.Dataset:
    """The raw Scan of the ``[[scans]]`` entry ``label`` (cached within a run; callers never modify it)."""
    s = study.scan(label)
    return SCANS.open(tuple(study.resolve(f) for f in s.files), s.temperature_K, s.bias_V, s.slow_scan)


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


def write_mask_gwy(scan: xr.Dataset, result, path: Path) -> Path:
    """``scan`` as a Gwyddion file with the conducting mask of a map ``result`` over the analysed trace.

    The one writer of the conducting mask (``scprobe run``'s ``data/<scan>.gwy`` and ``scprobe map --out``).
    """
    import numpy as np

    from scprobe.io.gwy import write as write_gwy

    # the mask belongs to the analysed trace only; Gwyddion shows it over that channel
    title = f"{result.channel} ({result.direction})" if "direction" in scan.dims else result.channel
    write_gwy(scan, path, masks={title: np.asarray(result.mask)})
    return Path(path)


def unit_slug(unit: str) -> str:
    """Folder name of a unit's figures: ``figures/<stage>/<unit_slug(unit)>/`` (``"8K|8K re"`` -> ``8K_vs_8K_re``)."""
    return slug(unit.replace("|", "_vs_"))


#: Marks a folder written by ``run_study``: a later run may clear what an earlier one wrote there.
RUN_MARKER = ".scprobe-run"
#: What a run writes in its folder (removed before the next run into the same folder).
RUN_OUTPUTS = ("summary.json", "report.html", "data", "figures", "logs")


def prepare_output(out: Path, inputs: list[tuple[str, Path]]) -> Path:
    """Make ``out`` a clean output folder of one run, refusing any folder that would lose data.

    A run owns its folder: one written by an earlier run (it holds :data:`RUN_MARKER`)
    is cleared of that run's outputs and of leftover hidden temporaries; a folder that
    holds any input of the study, or that is not empty and was not written by a run,
    is refused (naming why), so no raw file is ever replaced by a processed one.

    Raises
    ------
    ScprobeError
        ``out`` holds an input, is a file, or is someone else's non-empty folder.
    """
    import shutil

    from scprobe.errors import ScprobeError

    out = Path(out).absolute()
    real_out = os.path.realpath(out)
    for key, p in inputs:
        if os.path.commonpath([real_out, os.path.realpath(p)]) == real_out:
            raise ScprobeError(f"{out}: holds the study's input {p} ({key}); outputs go to a folder apart from "
                               "the inputs (pass another --out)")
    if out.exists() and not out.is_dir():
        raise ScprobeError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not (out / RUN_MARKER).is_file():
            raise ScprobeError(f"{out}: not empty and not written by scprobe run; choose a new or empty folder")
        for entry in out.iterdir():
            stale = entry.name in RUN_OUTPUTS or (entry.name.startswith(".") and entry.name != RUN_MARKER)
            if stale and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif stale:
                entry.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / RUN_MARKER).write_text("written by scprobe run; the next run into this folder replaces its outputs\n")
    return out
