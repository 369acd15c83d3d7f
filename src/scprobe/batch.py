"""Map analysis over many files on dask.distributed: one row per file, resumable, worker-count independent.

Each file becomes one task (:func:`map_row`).  As each task completes, its row is
written atomically to ``OUT/rows/<key>.json``, so neither a dead worker (dask
retries its task) nor an interrupted batch loses a finished row; a re-run skips
every file whose row exists with the same input sha256 and no error.  The table
(``results.csv`` and ``results.parquet``) is assembled from the row files and
sorted by path, so it is identical whatever the number of workers.
"""
from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scprobe.distributed import run_tasks
from scprobe.errors import ParameterError, ScprobeError
from scprobe.io import atomic_path, atomic_write
from scprobe.results import Result, jsonable, quantity
from scprobe.scan import sha256_file

#: Columns every row has, in this order; the map analysis' scalar outputs follow, sorted.
LEAD_COLUMNS = ("path", "sha256", "error")
#: Task retries when a worker dies mid-task.
RETRIES = 2


@dataclass(frozen=True)
class BatchResult(Result):
    """Counts and outputs of one batch run (``seconds`` is wall time, s)."""

    processed: int = quantity("count")
    skipped: int = quantity("count")
    failed: int = quantity("count")
    table_csv: Path = quantity("")
    table_parquet: Path = quantity("")
    seconds: float = quantity("s")


def expand_inputs(patterns: Sequence[str | os.PathLike]) -> list[Path]:
    """Files matching the glob patterns (``**`` recurses), resolved, de-duplicated and sorted.

    Paths are resolved, so one file reached through ``..`` or a symbolic link is one row.

    Raises
    ------
    ParameterError
        When a pattern matches no file.
    """
    files: set[Path] = set()
    for pat in patterns:
        pat = os.fspath(pat)
        # a file that exists is itself, even when its name has glob characters ("run[old]/x.bcrf")
        literal = os.path.isfile(pat) or not glob.has_magic(pat)
        hits = [Path(pat)] if literal else [Path(p) for p in glob.glob(pat, recursive=True)]
        hits = [p for p in hits if p.is_file()]
        if not hits:
            raise ParameterError(f"no files match {pat!r}")
        files.update(p.resolve() for p in hits)
    return sorted(files, key=lambda p: p.as_posix())


def row_key(path: str | os.PathLike) -> str:
    """Name of a file's row file: a hash of its absolute path (stable, file-system safe)."""
    return hashlib.sha1(Path(path).absolute().as_posix().encode("utf-8")).hexdigest()


def _flat_metrics(d: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in d.items() if isinstance(v, (int, float, str, bool)) or v is None}
    regions = d.get("regions")
    if isinstance(regions, dict):
        row["region_count"] = regions.get("count")
    states = d.get("states")
    if isinstance(states, list):
        row["n_states"] = len(states)
        row["state_currents_A"] = ";".join(f"{s.get('current_A'):.6g}" for s in states if s.get("current_A") is not None)
    edges = d.get("edge_width_m")
    if isinstance(edges, dict):
        row["edge_width_median_m"] = edges.get("median")
    return row


def map_row(path: str, sha256: str, threshold_A: float | None = None) -> dict[str, Any]:
    """Analyse one file's current map; errors in the file become the row's ``error``, never an exception.

    A module-level function of plain arguments, so dask can run it on any worker.
    """
    row: dict[str, Any] = {"path": path, "sha256": sha256, "error": ""}
    try:
        from scprobe.analysis import analyze_map
        from scprobe.io import open_scan

        scan = open_scan(path, siblings=False)
        result = analyze_map(scan, channel="current", threshold_A=threshold_A)
        row.update(_flat_metrics(jsonable(result.to_dict())))
        row.update(temperature_K=scan.attrs.get("temperature_K"), bias_V=scan.attrs.get("bias_V"),
                   ny=int(scan.sizes["y"]), nx=int(scan.sizes["x"]),
                   pixel_size_m=float(scan.attrs["pixel_size_m"]))
    except ScprobeError as exc:
        row["error"] = str(exc)
    except Exception as exc:  # one bad file must not stop thousands of others
        row["error"] = f"{type(exc).__name__}: {exc}"
    return jsonable(row)


def _write_row(rows_dir: Path, row: dict) -> None:
    with atomic_write(rows_dir / f"{row_key(row['path'])}.json", "wb") as fh:
        fh.write(json.dumps(row, sort_keys=True, allow_nan=False).encode("utf-8"))


def _read_row(rows_dir: Path, path: Path) -> dict | None:
    try:
        return json.loads((rows_dir / f"{row_key(path)}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _run(todo, threshold_A, workers, scheduler, on_row):
    tasks = [(path, sha, threshold_A) for path, sha in todo]
    for (path, sha, _), row, exc in run_tasks(map_row, tasks, workers=workers, scheduler=scheduler,
                                              retries=RETRIES):
        if exc is not None:
            row = {"path": path, "sha256": sha, "error": f"task lost after {RETRIES} retries: {exc}"}
        on_row(row)


def assemble_table(rows: list[dict], out_dir: Path) -> tuple[Path, Path]:
    """Write ``results.csv`` and ``results.parquet`` (rows sorted by path), atomically."""
    import pandas as pd

    rows = sorted(rows, key=lambda r: r["path"])
    metrics = sorted({k for r in rows for k in r} - set(LEAD_COLUMNS))
    df = pd.DataFrame(rows, columns=[*LEAD_COLUMNS, *metrics])
    for col in df.columns:
        # one type per column whatever rows failed, so CSV and Parquet agree across runs
        if col not in LEAD_COLUMNS and df[col].map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
                                                   or v is None).all():
            df[col] = df[col].astype(float)
    df["error"] = df["error"].fillna("")
    csv, parquet = out_dir / "results.csv", out_dir / "results.parquet"
    with atomic_write(csv, "wb") as fh:
        fh.write(df.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    with atomic_path(parquet) as tmp:
        df.to_parquet(tmp, index=False)
    return csv, parquet


def run_batch(patterns: Sequence[str | os.PathLike], out_dir: str | os.PathLike, *, workers: int = 1,
              scheduler: str | None = None, threshold_A: float | None = None,
              progress: Callable[[int, int], None] | None = None) -> BatchResult:
    """Map analysis of every file matching ``patterns``.

    Parameters
    ----------
    patterns : sequence of str
        File names or glob patterns (quoted on the shell so that scprobe expands them).
    out_dir : path-like
        Receives ``rows/`` (one JSON per file), ``results.csv`` and ``results.parquet``.
    workers : int
        1 runs in this process; more starts a local dask cluster of that many
        single-threaded worker processes.
    scheduler : str, optional
        Address of a running dask scheduler; its workers must see the files at the same paths.
    threshold_A : float, optional
        Conduction threshold for every map, A; default: each map's noise-based threshold.
    progress : callable, optional
        ``progress(done, total)`` after each file (skipped files count as done).

    Returns
    -------
    BatchResult
        ``processed`` counts files analysed in this run (``failed`` of them with an
        error); ``skipped`` counts files whose row was already there.
    """
    if workers < 1:
        raise ParameterError(f"workers must be at least 1, got {workers}")
    if threshold_A is not None and not (math.isfinite(threshold_A) and threshold_A >= 0):
        raise ParameterError(f"threshold must be a non-negative current in A, got {threshold_A!r}")
    t0 = time.perf_counter()
    files = expand_inputs(patterns)
    out = Path(out_dir).absolute()
    rows_dir = out / "rows"
    created = [d for d in (out, rows_dir) if not d.exists()]
    rows_dir.mkdir(parents=True, exist_ok=True)
    todo, rows = [], []
    for f in files:
        sha = sha256_file(f)
        old = _read_row(rows_dir, f)
        if old is not None and old.get("sha256") == sha and not old.get("error"):
            rows.append(old)
        else:
            todo.append((f.as_posix(), sha))
    skipped, total = len(rows), len(files)
    if progress:
        progress(skipped, total)
    failed = 0

    def on_row(row):
        nonlocal failed
        _write_row(rows_dir, row)
        rows.append(row)
        failed += bool(row["error"])
        if progress:
            progress(len(rows), total)

    def remove_created():
        for d in reversed(created):  # only folders this call made, and only while empty
            with contextlib.suppress(OSError):
                d.rmdir()

    try:
        _run(todo, threshold_A, workers, scheduler, on_row)
    except BaseException:  # e.g. an unreachable scheduler: rows already written stay for a resume
        remove_created()
        raise
    if todo and failed == len(rows):
        # nothing could be analysed: a usage error, and nothing is left behind
        for path, _ in todo:
            (rows_dir / f"{row_key(path)}.json").unlink(missing_ok=True)
        remove_created()
        first = next(r["error"] for r in rows if r["error"])
        raise ScprobeError(f"every file failed ({failed} of {total}); the first: {first}")
    csv, parquet = assemble_table(rows, out)
    return BatchResult(len(todo), skipped, failed, csv, parquet, time.perf_counter() - t0)
