"""Run every stage a study has data for: ``summary.json``, processed data and, with a renderer, figures and report.

A run is a list of independent units (one scan's map, one pair of scans, the
bulk data ...).  With one worker and no scheduler they run in this process, one
after the other, so a debugger works; otherwise they run on dask.distributed.
Each unit catches its own failure, so one failing stage never stops the others,
and the summary is assembled in a fixed order, so it is the same whatever the
number of workers.

The study never draws: stages return results, and the :class:`Renderer` passed to
:func:`run_study` (``scprobe.report.render.RENDERER`` from the command line) turns each unit's
result objects into figures, on the worker that computed them, and the summary into ``report.html``.
"""
from __future__ import annotations

import json
import logging
import os
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from scprobe._version import __version__
from scprobe.distributed import run_tasks
from scprobe.errors import ScprobeError
from scprobe.io import atomic_write
from scprobe.results import jsonable
from scprobe.scan import sha256_file
from scprobe.study import sample_stages as ss
from scprobe.study import scan_stages as sc
from scprobe.study.common import SCANS, prepare_output, relpaths, unit_slug
from scprobe.study.headline import headline
from scprobe.study.loader import Study, load_study
from scprobe.study.schema import SCHEMA_VERSION
from scprobe.study.units import Status, Unit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StageDef:
    """A stage: how to list its units and how to run one."""

    units: Callable[[Study], list[Unit]]
    run: Callable[[Study, Path, Unit], Any]
    nothing: str  # why it is skipped when the study has no data for it


#: Stages in report order.
STAGES: dict[str, StageDef] = {
    "map": StageDef(sc.map_units, sc.map_unit, "the study lists no scans"),
    "compare": StageDef(sc.compare_units, sc.compare_unit,
                        "no re-cooled scan, no scan with both traces and a single area"),
    "series": StageDef(sc.series_units, sc.series_unit, "no area was scanned at two or more temperatures"),
    "transport": StageDef(ss.transport_units, ss.transport_unit, "no [transport] table or no scan"),
    "percolation": StageDef(ss.percolation_units, ss.percolation_unit, "no [percolation] table or no scan"),
    "bulk": StageDef(ss.bulk_units, ss.bulk_unit, "no [bulk] data files"),
    "composition": StageDef(ss.composition_units, ss.composition_unit, "no [composition] data"),
}

class Renderer(Protocol):
    """What :func:`run_study` needs to draw: a unit's figures, then the report (picklable for dask)."""

    def figures(self, stage: str, unit: str, objects: dict[str, Any], outdir: Path, root: Path) -> list[Path]: ...

    def report(self, summary_file: Path, report_file: Path) -> Path: ...


SUMMARY_NAME = "summary.json"
REPORT_NAME = "report.html"


@dataclass(frozen=True)
class RunResult:
    """Outcome of :func:`run_study`.

    Attributes
    ----------
    summary_file : Path
    report_file : Path or None
        None when no report was written (no renderer, or ``report=False``).
    seconds : float
        Wall time of the whole run, s.
    stages : dict
        Stage name -> :class:`~scprobe.study.units.Status` (equal to ``"ok"``, ``"skipped"`` or ``"failed"``).
    headline : dict
        The answers the report puts first.
    """

    summary_file: Path
    report_file: Path | None
    seconds: float
    stages: dict[str, Status]
    headline: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return Status.FAILED in self.stages.values()

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"summary_file": self.summary_file, "report_file": self.report_file,
                         "seconds": self.seconds, "stages": self.stages, "headline": self.headline})


def run_unit(study_path: str, out_dir: str, stage: str, unit: Unit, render: Renderer | None = None,
             run_id: str = "") -> dict[str, Any]:
    """Run one unit (and draw its figures with ``render``); its JSON-ready outcome; never raises for a stage's errors.

    A module-level function of plain arguments, so dask can ship it to any worker.  The record
    carries ``units``: the declared unit of every result field, nested like ``result``.
    ``run_id`` names the run: scans cached for another run are dropped first.
    """
    SCANS.begin(run_id or uuid.uuid4().hex)
    out = Path(out_dir)
    t0 = time.perf_counter()
    rec: dict[str, Any] = {"status": Status.OK, "result": {}, "units": {}, "figures": [], "files": [], "note": "",
                           "error": ""}
    try:
        study = load_study(study_path)
        res = STAGES[stage].run(study, out, unit)
        fig_dir = out / "figures" / stage / unit_slug(unit.key)
        figures = render.figures(stage, unit.key, res.objects, fig_dir, root=out) if render is not None else []
        rec.update(result=jsonable(res.result), units=jsonable(res.units), figures=relpaths(figures, out),
                   files=relpaths(res.files, out), note=res.note, status=res.status)
    except Exception as exc:  # a failing stage is recorded, and the run goes on
        error = str(exc) if isinstance(exc, ScprobeError) else f"{type(exc).__name__}: {exc}"
        rec.update(status=Status.FAILED, error=error)
        log = out / "logs" / f"{stage}-{unit.key.replace('|', '~').replace(':', '-').replace('/', '_')}.txt"
        with atomic_write(log, "w") as fh:
            fh.write(traceback.format_exc())
    rec["seconds"] = time.perf_counter() - t0
    return rec


def _inputs(study: Study) -> list[dict[str, str]]:
    return [{"key": key, "path": os.path.relpath(p, study.root), "sha256": sha256_file(p)}
            for key, p in study.inputs()]


#: Submission order of the stages when units run in parallel: the longest units first, so that none
#: starts last while the other workers idle (the demo at 512 px: composition and percolation take
#: 3-7 times as long as one map; in file order they started last and set the wall time).
PARALLEL_ORDER = ("composition", "percolation", "map", "series", "transport", "bulk", "compare")


def _execute(tasks, study_path, out_dir, workers, scheduler, progress, render):
    """Run ``tasks`` [(stage, Unit)] in-process or on dask; returns {(stage, Unit): record}.

    ``progress(done, total, "<stage> <unit> (<seconds> s)")`` after each finished unit.  In
    parallel the units are submitted longest first (:data:`PARALLEL_ORDER`); the summary is
    assembled in file order whatever the order they finish in.
    """
    done: dict[tuple[str, Unit], dict] = {}
    total = len(tasks)
    run_id = uuid.uuid4().hex
    if workers > 1 or scheduler is not None:
        rank = {stage: i for i, stage in enumerate(PARALLEL_ORDER)}
        tasks = sorted(tasks, key=lambda t: rank.get(t[0], len(rank)))  # stable: file order within a stage
    tasks = [(study_path, out_dir, stage, unit, render, run_id) for stage, unit in tasks]
    for (_, _, stage, unit, _, _), rec, exc in run_tasks(run_unit, tasks, workers=workers, scheduler=scheduler):
        if exc is not None:  # the unit's workers kept dying: a failed unit, not a failed run
            rec = {"status": Status.FAILED, "result": {}, "units": {}, "figures": [], "files": [], "note": "",
                   "error": f"task lost after retries: {exc}", "seconds": 0.0}
        done[(stage, unit)] = rec
        logger.info("%s %s: %s in %.2f s", stage, unit, rec["status"], rec["seconds"])
        if progress:
            progress(len(done), total, f"{stage} {unit} ({rec['seconds']:.1f} s)")
    return done


def run_study(study_path: str | os.PathLike, out_dir: str | os.PathLike, *, workers: int = 1,
              scheduler: str | None = None, progress: Callable[[int, int, str], None] | None = None,
              render: Renderer | None = None, figures: bool = True, report: bool = True) -> RunResult:
    """Run a whole study.

    Parameters
    ----------
    study_path : path-like
        The study file (validated first; a bad file raises
        :class:`~scprobe.study.StudyError` before anything is written).
    out_dir : path-like
        Output folder: ``summary.json``, ``report.html``, ``figures/<stage>/``,
        ``data/<scan>.nc|.gwy``, ``logs/`` (tracebacks of failed units), ``.previews/`` (the
        report's 256-colour copies of the figures, made as they are drawn).
    workers : int
        1 runs in this process; more runs units on a local dask cluster of that many
        single-threaded worker processes.
    scheduler : str, optional
        Address of a running dask scheduler (``tcp://host:port``) to use instead.
        Its workers need scprobe installed and the study's files at the same paths.
    progress : callable, optional
        ``progress(done, total, description)`` after each unit; the description names the
        stage, the unit and its seconds.
    render : Renderer, optional
        Draws each unit's figures and writes ``report.html``
        (``scprobe.report.render.RENDERER``); without one the run writes numbers and data only.
    figures : bool
        Draw figures with ``render`` (off: numbers, processed data and report only; faster).
    report : bool
        Write ``report.html`` with ``render``.

    Returns
    -------
    RunResult

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from scprobe.simulate import simulate_study
    >>> tmp = tempfile.TemporaryDirectory()
    >>> study = simulate_study(tmp.name, seed=0, size=128)   # a small synthetic study with its truth
    >>> truth = json.loads((study.parent / "truth.json").read_text())
    >>> _ = (study.parent / "small.toml").write_text('''
    ... schema_version = 1
    ... [sample]
    ... name = "sim"
    ... [[scans]]
    ... label = "1.5K"
    ... files = ["scans/A01_1p5K-current-fwd.bcrf"]
    ... temperature_K = 1.5
    ... bias_V = 0.1
    ... [bulk]
    ... resistivity = "bulk/rho_T.dat"
    ... ''')
    >>> run = run_study(study.parent / "small.toml", Path(tmp.name) / "out", figures=False, report=False)
    >>> {stage: str(status) for stage, status in run.stages.items() if stage in ("map", "compare", "bulk")}
    {'map': 'ok', 'compare': 'skipped', 'bulk': 'ok'}
    >>> summary = json.loads(run.summary_file.read_text())
    >>> fraction = summary["stages"]["map"]["units"]["1.5K"]["result"]["conducting_fraction"]
    >>> abs(fraction - truth["scans"]["1.5K"]["conducting_fraction"]) < 0.01
    True
    """
    if workers < 1:
        raise ScprobeError(f"workers must be at least 1, got {workers}")
    t0 = time.perf_counter()
    study = load_study(study_path)
    out = prepare_output(Path(out_dir), study.inputs())
    tasks, skipped = [], {}
    for name, st in STAGES.items():
        units = st.units(study)
        if units:
            tasks += [(name, u) for u in units]
        else:
            skipped[name] = st.nothing
    logger.info("run_study %s: %d units on %s", study.path, len(tasks), scheduler or f"{workers} worker(s)")
    try:
        done = _execute(tasks, str(study.path), str(out), workers, scheduler, progress,
                        render if figures else None)
    finally:
        SCANS.clear()  # the scans of this run are not kept for the next one
    stages: dict[str, dict] = {}
    # wall times go under "timing" only, so two runs of one study differ nowhere else
    unit_seconds: dict[str, dict[str, float]] = {}
    for name in STAGES:
        unit_seconds[name] = {u.key: done[(s, u)].pop("seconds") for s, u in tasks if s == name}
        if name in skipped:
            stages[name] = {"status": Status.SKIPPED, "note": skipped[name], "units": {}}
            continue
        units = {u.key: done[(s, u)] for s, u in tasks if s == name}
        status = Status.of_stage(r["status"] for r in units.values())
        notes = sorted({r["note"] for r in units.values()
                        if r["status"] in (Status.SKIPPED, Status.NOT_COMPARABLE) and r["note"]})
        stages[name] = {"status": status, "note": "; ".join(notes), "units": units}
    summary = {
        "scprobe_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "study_file": str(study.path),
        "sample": study.spec.sample.model_dump(mode="json"),
        "options": study.spec.model_dump(mode="json"),
        "inputs": _inputs(study),
        "run_options": {"figures": figures},
        "stages": stages,
        "headline": headline(stages),
        "timing": {"total_seconds": time.perf_counter() - t0, "workers": workers,
                   "scheduler": scheduler, "stage_seconds": {k: sum(v.values()) for k, v in unit_seconds.items()},
                   "unit_seconds": unit_seconds},
    }
    summary_file = out / SUMMARY_NAME
    with atomic_write(summary_file, "w") as fh:
        json.dump(jsonable(summary), fh, indent=2, allow_nan=False)
        fh.write("\n")
    report_file = None
    if report and render is not None:
        report_file = render.report(summary_file, out / REPORT_NAME)
    return RunResult(summary_file, report_file, time.perf_counter() - t0,
                     {k: v["status"] for k, v in stages.items()}, summary["headline"])
