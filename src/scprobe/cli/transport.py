"""``scprobe transport`` and ``scprobe percolate``: four-probe simulation on a map and its sample-scale extrapolation."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from scprobe.cli._app import JSON_OPTION, app, check_output, console, emit_json, number, progress_enabled
from scprobe.errors import ParameterError


def _write_json(path: Path, obj: dict) -> None:
    from scprobe.io import atomic_write
    from scprobe.results import jsonable

    with atomic_write(path, "w") as fh:
        fh.write(json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "-" if v is None else str(v)


@app.command()
def transport(
    file: Path = typer.Argument(..., help="Scan file (any one file of a Daisy scan, .gwy, .nc ...)."),
    contacts: str = typer.Option("vdp", "--contacts",
                                 help="vdp | linear | bar | explicit pixels X,Y;X,Y;X,Y;X,Y (I+, I-, V+, V-)."),
    model: str = typer.Option("classified", "--model", help="classified | proportional."),
    threshold_A: float | None = typer.Option(None, "--threshold-A", callback=number(0),
                                             help="Superconducting threshold, A "
                                             "(default: from the noise floor)."),
    matrix_sheet_resistance_ohm: float | None = typer.Option(
        None, "--matrix-sheet-resistance-ohm", callback=number(0, open_low=True),
        help="Matrix sheet resistance R_sq, ohm: adds values in ohm to the R_sq ones."),
    matrix_resistivity_ohm_m: float | None = typer.Option(
        None, "--matrix-resistivity-ohm-m", callback=number(0, open_low=True),
        help="Matrix resistivity, Ohm m (with --thickness-m: R_sq = rho / t)."),
    thickness_m: float | None = typer.Option(None, "--thickness-m", callback=number(0, open_low=True),
                                             help="Sample thickness, m."),
    contact_radius_px: float = typer.Option(0.0, "--contact-radius-px", callback=number(0),
                                            help="Radius of point contacts, pixels."),
    out: Path | None = typer.Option(None, "--out", help="Write transport.json and transport.png here."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Four-probe / van der Pauw measurement simulated on the map, with a verdict on zero resistance."""
    check_output(out)
    from scprobe.io import open_scan
    from scprobe.scan import channel
    from scprobe.transport import four_probe
    from scprobe.transport.solver import enable_small_pages

    enable_small_pages()  # this process is ours: numpy's huge pages off in the solver (faster set-up)

    from scprobe.transport.contacts import LAYOUTS, parse_positions

    layout = contacts.strip().lower()
    spec = layout if layout in LAYOUTS else parse_positions(contacts)
    scan = open_scan(file)
    result = four_probe(scan, contacts=spec, model=model, threshold_A=threshold_A,
                        matrix_sheet_resistance_ohm=matrix_sheet_resistance_ohm,
                        matrix_resistivity_ohm_m=matrix_resistivity_ohm_m, thickness_m=thickness_m,
                        contact_radius_px=contact_radius_px)
    d = {"file": str(file), **result.to_dict()}
    figures: list[str] = []
    if out is not None:
        from scprobe.report.transport_figures import FIGURE_NAMES, transport_figure

        topo = channel(scan, "topography").values if "topography" in scan.data_vars else None
        figures.append(str(transport_figure(result, out / FIGURE_NAMES["transport"], topography=topo)))
        d["figures"] = figures
        _write_json(out / "transport.json", d)
    if as_json:
        emit_json(d)
        return
    console.print(f"{file}  model {result.model}, contacts {result.contacts}", style="bold")
    res, conn, sol = result.resistance, result.connectivity, result.solver

    def r(rsq: float, ohm: float) -> str:
        return f"{_fmt(rsq)} R_sq" + (f" = {_fmt(ohm)} ohm" if ohm == ohm else "")

    rows = [("four-probe R", f"{r(res.r_four_probe_rsq, res.r_four_probe_ohm)}  (x{_fmt(res.r_four_probe_ratio)} "
             f"homogeneous)"), ("two-probe ratio", _fmt(res.r_two_probe_ratio))]
    if result.contacts == "vdp":
        rows += [("R_A, R_B", f"{r(res.r_a_rsq, res.r_a_ohm)}, {r(res.r_b_rsq, res.r_b_ohm)}"),
                 ("van der Pauw R_s", r(res.vdp_sheet_resistance_rsq, res.vdp_sheet_resistance_ohm))]
    rows += [("superconducting area", f"{conn.sc_fraction:.1%} (largest cluster "
              f"{conn.largest_cluster_fraction:.1%})"),
             ("spanning x / y", f"{conn.spanning_x} / {conn.spanning_y}"),
             ("current in superconductor", f"{_fmt(conn.current_fraction_in_sc)}"),
             ("solver", f"{sol.method}, {sol.n_unknowns} unknowns, {sol.iterations} iterations, "
              f"residual {sol.residual:.2g}"),
             ("verdict", result.verdict)]
    for k, v in rows:
        console.print(f"  {k:<26} {v}", markup=False)
    console.print(f"  {result.explanation}", markup=False)
    for f in figures:
        console.print(f"  figure: {f}", markup=False)


@app.command()
def percolate(
    file: Path = typer.Argument(..., help="Scan file."),
    sample_size_m: float = typer.Option(1e-3, "--sample-size-m", callback=number(0, open_low=True),
                                        help="Sample side, m."),
    thickness_m: float | None = typer.Option(
        None, "--thickness-m", callback=number(0, open_low=True),
        help="Sample thickness, m: chooses 2-D or 3-D against the map's correlation lengths."),
    realizations: int = typer.Option(16, "--realizations", callback=number(2, 10_000),
                                     help="Sample realisations per dimension."),
    dim: int | None = typer.Option(None, "--dim", help="2 (film) or 3 (bulk): overrides the choice by thickness."),
    seed: int = typer.Option(0, "--seed", help="Random seed (>= 0)."),
    out_of_plane_correlation_m: float | None = typer.Option(
        None, "--out-of-plane-correlation-m", callback=number(0, open_low=True),
        help="3-D correlation length along z, m (default: across length)."),
    threshold_A: float | None = typer.Option(None, "--threshold-A", callback=number(0),
                                             help="Superconducting threshold, A."),
    out: Path | None = typer.Option(None, "--out", help="Write percolate.json and percolation.png here."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Extrapolate the map's statistics to a sample in 2-D and 3-D: probability of zero four-probe resistance."""
    check_output(out)
    from scprobe.io import open_scan
    from scprobe.transport import percolate as run_percolate
    from scprobe.transport.solver import enable_small_pages

    enable_small_pages()  # as for `scprobe transport`
    if dim is not None and dim not in (2, 3):
        raise ParameterError(f"--dim must be 2 or 3, got {dim}")
    if seed < 0:
        raise ParameterError(f"--seed must be a non-negative integer, got {seed}")
    scan = open_scan(file)
    kwargs = dict(sample_size_m=sample_size_m, realizations=realizations, dim=dim, thickness_m=thickness_m,
                  seed=seed, out_of_plane_correlation_m=out_of_plane_correlation_m, threshold_A=threshold_A)
    if progress_enabled(as_json):
        from rich.progress import Progress

        with Progress(console=console, transient=True) as bar:
            task = bar.add_task("realisations (2-D, then 3-D)", total=2 * realizations)
            result = run_percolate(scan, **kwargs, progress=lambda: bar.advance(task))
    else:
        result = run_percolate(scan, **kwargs)
    d = {"file": str(file), **result.to_dict()}
    if out is not None:
        from scprobe.report.transport_figures import FIGURE_NAMES, percolation_figure

        d["figures"] = [str(percolation_figure(result, out / FIGURE_NAMES["percolation"]))]
        _write_json(out / "percolate.json", d)
    if as_json:
        emit_json(d)
        return
    console.print(f"{file}  sample of {sample_size_m:g} m, {realizations} realisations per dimension",
                  style="bold", markup=False)
    rows = [("area fraction", f"{result.area_fraction:.3f} ± {result.area_fraction_stderr:.3f}"),
            ("correlation along / across", f"{_fmt(result.correlation_length_along_m)} / "
             f"{_fmt(result.correlation_length_across_m)} m at {_fmt(result.orientation_deg)} deg"),
            ("dimension", result.dim_reason)]
    for a in (result.two_d, result.three_d):
        tag = f"{a.dim}-D" + (" (chosen)" if a.dim == result.dim_chosen else "")
        rows += [(f"{tag} critical fraction", f"{_fmt(a.critical_fraction)} [{_fmt(a.critical_fraction_lower)}, "
                  f"{_fmt(a.critical_fraction_upper)}] (95 %)"),
                 (f"{tag} P(zero resistance)", f"{_fmt(a.p_zero_resistance)} [{_fmt(a.p_zero_resistance_lower)}, "
                  f"{_fmt(a.p_zero_resistance_upper)}], percolates: {a.percolates} "
                  f"(margin {_fmt(a.margin_sigma)} sigma)"),
                 (f"{tag} simulated", f"{a.cells_per_side} cells of {_fmt(a.cell_size_m)} m, zero R in "
                  f"{a.zero_resistance_realizations}/{realizations}"
                  + (" (extrapolated by finite-size scaling)" if a.extrapolated else ""))]
    for k, v in rows:
        console.print(f"  {k:<30} {v}", markup=False)
    for f in d.get("figures", []):
        console.print(f"  figure: {f}", markup=False)
