"""``scprobe composition``: atom-probe composition per site, SEM overlay, EDX homogeneity."""
from __future__ import annotations

from pathlib import Path

import typer

from scprobe.cli._app import JSON_OPTION, app, check_output, console, emit_json, number
from scprobe.errors import ParameterError


@app.command()
def composition(
    apt: list[Path] = typer.Option([], "--apt", help="Atom-probe needle (.pos or .epos); repeat for each site."),
    ranges: Path = typer.Option(None, "--ranges", help="Range file (.rrng or .rng)."),
    sem: Path = typer.Option(None, "--sem", help="SEM image (TIFF) of an area containing the cAFM field."),
    sem_pixel_size_m: float = typer.Option(None, "--sem-pixel-size-m", callback=number(0, open_low=True),
                                           help="SEM pixel size in m (default: from the TIFF)."),
    map_: list[Path] = typer.Option([], "--map", help="cAFM scan: one file (siblings are found) or all its files."),
    control_points: str = typer.Option(None, "--control-points",
                                       help="'xs,ys,xm,ym;...': SEM px and cAFM px of matching points."),
    site: list[str] = typer.Option([], "--site", help="Lift-out site 'name:x,y' in SEM pixels; repeat."),
    edx: list[Path] = typer.Option([], "--edx", help="EDX element count map (TIFF or CSV); repeat."),
    edx_elements: str = typer.Option(None, "--edx-elements", help="Elements of the EDX maps, e.g. Fe,Se,Te."),
    cap_threshold_at_pct: float = typer.Option(None, "--cap-threshold-at-pct", callback=number(0, 100),
                                               help="O level (at.%) ending the apex cap (default: automatic)."),
    threshold_A: float = typer.Option(None, "--threshold-A", callback=number(0),
                                      help="Conduction threshold of the map, A."),
    out: Path = typer.Option(None, "--out", help="Folder for the figures (PNG) and composition.json."),
    as_json: bool = JSON_OPTION,
) -> None:
    """APT composition per site with counting errors, site ratios, SEM/cAFM overlay and EDX homogeneity."""
    check_output(out)
    from scprobe.composition import analyze_composition

    if not (apt or sem or edx):
        raise ParameterError("nothing to do: give --apt (with --ranges), --sem with --map, or --edx")
    scan = None
    if map_:
        from scprobe.io import open_scan

        scan = open_scan(map_ if len(map_) > 1 else map_[0])
    if site and sem is None:
        raise ParameterError("--site needs --sem (site positions are SEM pixels)")
    result = analyze_composition(apt=apt, ranges=ranges, sem=sem, sem_pixel_size_m=sem_pixel_size_m, scan=scan,
                                 control_points=control_points, sites=site, edx=edx, edx_elements=edx_elements,
                                 cap_threshold_at_pct=cap_threshold_at_pct, threshold_A=threshold_A)
    if out is not None:
        import json

        from scprobe.io import atomic_write
        from scprobe.io.images import read_edx_map
        from scprobe.report.composition_figures import composition_figures

        composition_figures(result, out, edx_maps=dict(zip(result.edx, (read_edx_map(f).data for f in edx or ()))))
        with atomic_write(Path(out) / "composition.json", "w") as fh:
            json.dump(result.to_dict(), fh, indent=2, allow_nan=False)
    if as_json:
        emit_json(result.to_dict())
        return
    _print(result, out)


def _print(result, out) -> None:
    from rich.table import Table

    if result.sites:
        els = list(dict.fromkeys(el for s in result.sites for el in s.composition_at_pct))
        t = Table(title="Composition below the apex cap (at.%, counting error)")
        for col in ("site", "ions", "unranged", "cap (nm)", *els):
            t.add_column(col)
        for s, name in zip(result.sites, result.site_names):
            t.add_row(name, f"{s.ions_total:,}", f"{100 * s.unranged_fraction:.1f} %", f"{s.cap_depth_m * 1e9:.1f}",
                      *(f"{s.composition_at_pct.get(e, 0):.2f} ± {s.composition_err_at_pct.get(e, 0):.2f}"
                        for e in els))
        console.print(t)
    for c in result.comparisons:
        vals = ", ".join(f"{v:.4f} ± {e:.4f}" for v, e in zip(c.values, c.errors))
        verdict = "significant" if c.significant else "not significant"
        console.print(f"{c.ratio}: {vals}   z = {c.z:.1f} ({verdict})")
    if result.overlay is not None:
        o = result.overlay
        console.print(f"overlay ({o.method}): scale {o.scale:.4f}, rotation {o.rotation_deg:.2f} deg, "
                      f"shift ({o.shift_m[0] * 1e6:.3f}, {o.shift_m[1] * 1e6:.3f}) um, "
                      f"residual {o.residual_m * 1e9:.1f} nm")
        for s in o.sites:
            where = "outside the cAFM field" if s.region == "outside" else \
                f"{s.region}, {s.distance_to_boundary_m * 1e9:.0f} nm from a boundary"
            console.print(f"  site {s.name}: {where}")
    for el, e in result.edx.items():
        verdict = "homogeneous" if e.homogeneous else "INHOMOGENEOUS"
        console.print(f"EDX {el}: D = {e.dispersion_index:.3f}, p = {e.p_value:.3g} ({verdict}); "
                      f"min detectable contrast {100 * e.min_detectable_contrast:.1f} % per bin, "
                      f"{100 * e.min_detectable_rms_contrast:.1f} % RMS over the map "
                      f"({e.bin_px} px bins, {e.mean_counts_per_bin:.0f} counts/bin)")
    if out is not None:
        console.print(f"figures and composition.json in {out}")
