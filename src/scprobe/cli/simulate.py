"""``scprobe simulate``: write a synthetic study (scans, bulk, composition, study.toml, truth.json)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from scprobe.cli._app import JSON_OPTION, app, check_output, console, emit_json, err_console, number, progress_enabled
from scprobe.errors import ParameterError


@app.command()
def simulate(
    outdir: Path = typer.Argument(..., help="Folder to write the study into (created)."),
    seed: int = typer.Option(0, "--seed", callback=number(0), help="Random seed; the same seed gives the same bytes."),
    size: int = typer.Option(512, "--size", callback=number(32, 1024),
                             help="Scan size in pixels per side (pixel pitch stays 15 nm)."),
    set_: list[str] = typer.Option([], "--set", help="Override a model parameter, NAME=VALUE (repeatable), "
                                   "e.g. --set area_fraction=0.2 --set state_currents_A=[5e-6,2e-6]."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Simulate a cryogenic cAFM study of a heterogeneous superconductor, with its ground truth."""
    check_output(outdir, "OUTDIR")
    from scprobe.simulate import simulate_study
    from scprobe.simulate.study import STEPS

    overrides = dict(_parse_override(item) for item in set_)
    start = time.perf_counter()
    if progress_enabled(as_json):
        from rich.progress import Progress

        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("simulating", total=STEPS)
            study_file = simulate_study(outdir, seed=seed, size=size, **overrides,
                                        progress=lambda name: bar.update(task, advance=1, description=name))
    else:
        study_file = simulate_study(outdir, seed=seed, size=size, **overrides)
    seconds = time.perf_counter() - start
    files = [p for p in study_file.parent.rglob("*") if p.is_file()]
    result = {"study_file": str(study_file), "truth_file": str(study_file.parent / "truth.json"),
              "files": len(files), "seconds": round(seconds, 3)}
    if as_json:
        emit_json(result)
        return
    console.print(f"wrote {result['files']} files in {seconds:.1f} s")
    console.print(f"  study: {result['study_file']}")
    console.print(f"  truth: {result['truth_file']}")


def _parse_override(item: str) -> tuple[str, object]:
    """``NAME=VALUE`` with VALUE as JSON (numbers, lists become tuples) or, failing that, a string."""
    name, sep, text = item.partition("=")
    if not sep or not name.strip():
        raise ParameterError(f"--set expects NAME=VALUE, got {item!r}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = text
    return name.strip(), tuple(value) if isinstance(value, list) else value
