"""``scprobe run``, ``scprobe demo`` and ``scprobe batch``: whole studies and many files.

Exit codes: 0 when every stage that ran succeeded (skipped stages are fine), 1 when
a stage failed (its error is in summary.json and the report; the other stages'
outputs are complete), 2 for bad input (study file, options, unreachable scheduler).
"""
from __future__ import annotations

from pathlib import Path

import typer

from scprobe.cli._app import JSON_OPTION, app, check_output, console, emit_json, err_console, number, progress_enabled

WORKERS = typer.Option(1, "--workers", "-w", min=1, help="Worker processes (1 runs in this process).")
SCHEDULER = typer.Option(None, "--scheduler", help="Address of a running dask scheduler, e.g. tcp://host:8786.")


def _lines(label: str):
    """One line per finished unit on stderr (CI logs, batch jobs): ``study 3/17 map 1.5K (2.1 s)``."""
    def update(done: int, total: int, what: str = "") -> None:
        err_console.print(f"{label} {done}/{total} {what}", markup=False, highlight=False, soft_wrap=True)

    return update


def _progress(as_json: bool, label: str):
    """A rich progress bar and its ``(done, total, description)`` callback, or ``(None, None)``."""
    if not progress_enabled(as_json):
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}"), console=err_console, transient=True)
    task = bar.add_task("", total=None)

    def update(done: int, total: int, what: str = "") -> None:
        bar.update(task, completed=done, total=total, description=what)

    return bar, update


def _run_and_print(study: Path, out: Path, workers: int, scheduler: str | None, as_json: bool,
                   figures: bool = True) -> int:
    from scprobe.report.render import RENDERER
    from scprobe.study.runner import run_study

    bar, update = _progress(as_json, "study")
    kwargs = dict(workers=workers, scheduler=scheduler, figures=figures, render=RENDERER)
    if bar is not None:
        with bar:
            res = run_study(study, out, progress=update, **kwargs)
    else:  # not a terminal: a plain line per finished unit, so long runs are never silent
        res = run_study(study, out, progress=_lines("study"), **kwargs)
    if as_json:
        emit_json(res.to_dict())
    else:
        colours = {"ok": "green", "skipped": "yellow", "failed": "red"}
        for stage, status in res.stages.items():
            console.print(f"  {stage:<12} ", end="")
            console.print(status, style=colours[status])
        for key in ("homogeneous", "four_probe", "reproducible", "fluctuating"):
            console.print(f"{key}: {res.headline[key]['statement']}", soft_wrap=True)
        console.print(f"summary: {res.summary_file}  ({res.seconds:.1f} s)", markup=False, soft_wrap=True)
        console.print(str(res.report_file), markup=False, soft_wrap=True)
    return 1 if res.failed else 0


@app.command()
def run(
    study: Path = typer.Argument(..., help="study.toml describing scans, bulk and composition data."),
    out: Path = typer.Option(None, "--out", "-o", help="Output folder (default: STUDY's folder / scprobe-out)."),
    workers: int = WORKERS,
    scheduler: str = SCHEDULER,
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Write figures (off: numbers only, faster)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run every stage the study has data for: summary.json, figures, .nc/.gwy data and report.html."""
    out = check_output(out if out is not None else study.parent / "scprobe-out")
    raise typer.Exit(_run_and_print(study, out, workers, scheduler, as_json, figures))


@app.command()
def demo(
    out: Path = typer.Option(Path("scprobe-demo"), "--out", "-o", help="Folder for the simulated study and results."),
    seed: int = typer.Option(0, "--seed", callback=number(0), help="Random seed of the simulated sample."),
    size: int = typer.Option(512, "--size", callback=number(32, 1024), help="Scan size in pixels."),
    workers: int = WORKERS,
    figures: bool = typer.Option(True, "--figures/--no-figures", help="Write figures (off: numbers only, faster)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Simulate the default study, then run it; the report's path is the last line printed."""
    check_output(out)
    from scprobe.simulate import simulate_study

    if not as_json:
        console.print(f"simulating a study in {out / 'study'} (seed {seed}, {size} px) ...", markup=False)
    study = simulate_study(out / "study", seed=seed, size=size)
    raise typer.Exit(_run_and_print(Path(study), out / "results", workers, None, as_json, figures))


@app.command()
def batch(
    patterns: list[str] = typer.Argument(..., help="Files or quoted glob patterns ('maps/**/*-current-fwd.bcrf')."),
    out: Path = typer.Option(Path("scprobe-batch"), "--out", "-o", help="Output folder (rows/, results.csv/.parquet)."),
    workers: int = WORKERS,
    scheduler: str = SCHEDULER,
    threshold_A: float = typer.Option(None, "--threshold-A", callback=number(0),
                                      help="Conduction threshold for every map, A."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Map analysis of many files on dask, one row per file; re-runs skip files already done."""
    check_output(out)
    from scprobe.batch import run_batch

    bar, update = _progress(as_json, "batch")
    kwargs = dict(workers=workers, scheduler=scheduler, threshold_A=threshold_A)
    if bar is not None:
        with bar:
            res = run_batch(patterns, out, progress=lambda d, t: update(d, t), **kwargs)
    else:
        res = run_batch(patterns, out, **kwargs)
    if as_json:
        emit_json(res.to_dict())
    else:
        console.print(f"processed {res.processed} (failed {res.failed}), skipped {res.skipped} already done, "
                      f"in {res.seconds:.1f} s", markup=False)
        console.print(f"table: {res.table_csv}\n       {res.table_parquet}", markup=False, soft_wrap=True)
    # 0 every file analysed, 1 some failed (their rows say why); every file failing is an error (exit 2)
    raise typer.Exit(1 if res.failed else 0)
