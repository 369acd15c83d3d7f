"""The renderer a study run is handed: each unit's figures from its results, then the HTML report.

The study never imports this package: ``scprobe run`` (or a caller of
:func:`scprobe.study.runner.run_study`) passes :data:`RENDERER` in.  A unit's figures go to
``figures/<stage>/<unit>/`` under the names each figure module's ``FIGURE_NAMES`` gives them, the
same names the stage commands (``scprobe map --out`` ...) use.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scprobe.report import bulk_figures, compare_figures, composition_figures, map_figures, transport_figures
from scprobe.report._preview import previews_under
from scprobe.report.html import write_report


def _map(objects: dict, outdir: Path, unit: str) -> list[Path]:
    return map_figures.map_figures(objects["scan"], objects["result"], outdir, label=unit)


def _compare(objects: dict, outdir: Path, unit: str) -> list[Path]:
    result = objects["result"]
    if objects.get("kind") == "fwd_bwd":
        return [compare_figures.spot_overlay_figure(result, outdir / compare_figures.FIGURE_NAMES["spots"])]
    return [compare_figures.aligned_maps_figure(result, outdir / compare_figures.FIGURE_NAMES["aligned"])]


def _series(objects: dict, outdir: Path, unit: str) -> list[Path]:
    result, names = objects["result"], compare_figures.FIGURE_NAMES
    return [compare_figures.series_maps_figure(result, outdir / names["series"], scans=objects.get("scans"),
                                               labels=objects.get("labels"), recooled=objects.get("recooled", ())),
            compare_figures.fraction_vs_temperature_figure(result, outdir / names["fraction"]),
            compare_figures.tc_map_figure(result, outdir / names["tc"])]


def _transport(objects: dict, outdir: Path, unit: str) -> list[Path]:
    return [transport_figures.transport_figure(objects["result"], outdir / transport_figures.FIGURE_NAMES["transport"],
                                               topography=objects.get("topography"))]


def _percolation(objects: dict, outdir: Path, unit: str) -> list[Path]:
    return [transport_figures.percolation_figure(objects["result"],
                                                 outdir / transport_figures.FIGURE_NAMES["percolation"])]


def _bulk(objects: dict, outdir: Path, unit: str) -> list[Path]:
    return bulk_figures.bulk_figures(objects["result"], outdir)


def _composition(objects: dict, outdir: Path, unit: str) -> list[Path]:
    from scprobe.io.images import read_edx_map

    result = objects["result"]
    # result.edx keeps the maps' order: its keys name the files' elements
    maps = dict(zip(result.edx, (read_edx_map(f).data for f in objects.get("edx_files", []))))
    return composition_figures.composition_figures(result, outdir, edx_maps=maps)


#: Stage name -> figure set drawn from a unit's result objects.
FIGURE_SETS = {"map": _map, "compare": _compare, "series": _series, "transport": _transport,
               "percolation": _percolation, "bulk": _bulk, "composition": _composition}


@dataclass(frozen=True)
class Renderer:
    """Draws figures and writes the report for :func:`~scprobe.study.runner.run_study` (picklable for dask)."""

    def figures(self, stage: str, unit: str, objects: dict[str, Any], outdir: str | os.PathLike,
                root: str | os.PathLike | None = None) -> list[Path]:
        """The figures of one unit from the objects its stage returned; the PNG paths written.

        With ``root`` (the run's output folder, which holds ``outdir``) each figure's report preview
        is kept in ``root/.previews`` as it is drawn, so writing the report decodes no figure again.
        """
        draw = FIGURE_SETS.get(stage)
        if draw is None or not objects:
            return []
        with previews_under(root) if root is not None else contextlib.nullcontext():
            return [Path(p) for p in draw(objects, Path(outdir), unit) if p is not None]

    def report(self, summary_file: str | os.PathLike, report_file: str | os.PathLike) -> Path:
        """``report.html`` from ``summary.json`` and the figures it lists."""
        return write_report(summary_file, report_file)


#: The renderer ``scprobe run`` and ``scprobe demo`` hand to the study.
RENDERER = Renderer()
