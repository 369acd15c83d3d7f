"""``scprobe bulk``: rho(T), chi(T), C(T) and M(H) from Quantum Design files, with Fig. 1 and Fig. S2."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import typer

from scprobe.cli._app import JSON_OPTION, app, console, emit_json
from scprobe.errors import FormatError, ParameterError


def _floats(text: str | None, name: str, count: int) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        vals = tuple(float(v) for v in text.replace(";", ",").split(","))
    except ValueError:
        raise ParameterError(f"{name} must be {count} comma-separated numbers, got {text!r}") from None
    if len(vals) != count:
        raise ParameterError(f"{name} must be {count} comma-separated numbers, got {text!r}")
    return vals


def _study(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise FormatError(path, f"cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(path, f"not valid TOML: {exc}") from None


_ROWS = {
    "resistivity": [("tc_onset_K", "Tc onset", "K"), ("tc_90_K", "T90", "K"), ("tc_50_K", "T50", "K"),
                    ("tc_10_K", "T10", "K"), ("t_zero_K", "T(rho = 0)", "K"), ("width_K", "width 10-90 %", "K"),
                    ("rho0_ohm_m", "rho0", "Ohm m"), ("rrr", "RRR", ""), ("normal_state_exponent", "n (rho0 + A T^n)", "")],
    "susceptibility": [("demag_factor", "demag. factor N", ""), ("shielding_fraction", "ZFC shielding", ""),
                       ("meissner_fraction", "FC Meissner", ""), ("tc_onset_K", "Tc onset", "K")],
    "heat_capacity": [("gamma_mJ_mol_K2", "gamma", "mJ/mol K^2"), ("beta_mJ_mol_K4", "beta", "mJ/mol K^4"),
                      ("debye_temperature_K", "theta_D", "K"), ("tc_K", "Tc (equal entropy)", "K"),
                      ("jump_ratio", "dC/(gamma_n Tc)", ""), ("sc_electronic_fraction", "1 - gamma0/gamma_n", "")],
    "magnetisation": [("jc_A_m2", "Bean Jc(0)", "A/m^2"), ("symmetric", "loop symmetric", "")],
}


def _print(d: dict, figures: list[str]) -> None:
    from rich.table import Table

    table = Table(title="bulk superconductivity", show_header=True, header_style="bold")
    for col in ("measurement", "quantity", "value", "unit"):
        table.add_column(col)
    for section, rows in _ROWS.items():
        sub = d.get(section)
        if sub is None:
            continue
        for key, label, unit in rows:
            v = sub.get(key)
            err = sub.get(key.replace("_mJ", "_err_mJ")) if key in ("gamma_mJ_mol_K2", "beta_mJ_mol_K4") else None
            text = "n/a" if v is None else (str(v) if isinstance(v, bool) else f"{v:.4g}")
            if err is not None:
                text += f" ± {err:.2g}"
            if key == "jc_A_m2" and v is not None:
                text += f" ({v * 1e-4:.3g} A/cm^2)"
            table.add_row(section, label, text, unit)
    console.print(table)
    console.print(d["statement"], markup=False)
    for f in figures:
        console.print(f"wrote {f}", markup=False)


@app.command()
def bulk(
    resistivity: Path | None = typer.Option(None, "--resistivity", help="PPMS rho(T) file (.dat or CSV)."),
    susceptibility: Path | None = typer.Option(None, "--susceptibility", help="MPMS chi(T) file, ZFC then FC."),
    heat_capacity: Path | None = typer.Option(None, "--heat-capacity", help="PPMS heat-capacity file."),
    mh: Path | None = typer.Option(None, "--mh", help="M(H) loop file (VSM / MPMS)."),
    sample: Path | None = typer.Option(None, "--sample", help="study.toml: geometry from its sample table "
                                       "and, when no file option is given, files and field from its bulk table."),
    mass_g: float | None = typer.Option(None, "--mass-g", help="Sample mass, g."),
    dimensions_mm: str | None = typer.Option(None, "--dimensions-mm", help="Edges a,b,c in mm."),
    molar_mass: float | None = typer.Option(None, "--molar-mass", help="Molar mass, g/mol per formula unit."),
    density: float | None = typer.Option(None, "--density", help="Density, g/cm^3."),
    field_axis: str = typer.Option("c", "--field-axis", help="Axis of the applied field: a, b or c."),
    atoms: int | None = typer.Option(None, "--atoms-per-formula-unit", help="Atoms per formula unit (theta_D)."),
    field_oe: float | None = typer.Option(None, "--field-oe", help="Field of the chi(T) run, Oe (default: file)."),
    bridge: int | None = typer.Option(None, "--bridge", help="Resistivity bridge/channel (default: first with data)."),
    debye_window: str = typer.Option("3,5", "--debye-window-K", help="C/T vs T^2 fit window lo,hi in K."),
    demag: float | None = typer.Option(None, "--demag-factor", help="Demagnetising factor N (default: Aharoni)."),
    out: Path | None = typer.Option(None, "--out", help="Write bulk.json, fig1_bulk.png, figS2_debye.png here."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Bulk superconducting figures: Tc criteria, shielding fraction, Debye fit and jump, Bean Jc."""
    from scprobe.bulk import SampleGeometry, analyze_bulk
    from scprobe.io import atomic_write
    from scprobe.results import jsonable

    files = {"resistivity": resistivity, "susceptibility": susceptibility, "heat_capacity": heat_capacity, "mh": mh}
    loose = {"mass_g": mass_g, "dimensions_mm": _floats(dimensions_mm, "--dimensions-mm", 3),
             "molar_mass_g_mol": molar_mass, "density_g_cm3": density, "atoms_per_formula_unit": atoms}
    if sample is not None:
        if any(v is not None for v in loose.values()):
            raise ParameterError("give either --sample study.toml or the geometry options (--mass-g ...), not both")
        study = _study(sample)
        if not isinstance(study.get("sample"), dict):
            raise FormatError(sample, "has no [sample] table")
        geometry = SampleGeometry.from_study(study["sample"])
        table = study.get("bulk") or {}
        if all(v is None for v in files.values()):
            files = {k: (sample.parent / table[k]) if table.get(k) else None for k in files}
        if field_oe is None and table.get("field_Oe") is not None:
            field_oe = float(table["field_Oe"])
    else:
        geometry = SampleGeometry(field_axis=field_axis, **{k: v for k, v in loose.items() if v is not None})
    if all(v is None for v in files.values()):
        raise ParameterError("no data: give --resistivity, --susceptibility, --heat-capacity or --mh "
                             "(or --sample study.toml with a [bulk] table)")
    window = _floats(debye_window, "--debye-window-K", 2)
    result = analyze_bulk(**files, geometry=geometry, field_Oe=field_oe, debye_window_K=window, bridge=bridge,
                          demag_factor=demag)
    d = result.to_dict()
    figures: list[str] = []
    if out is not None:
        from scprobe.report.bulk_figures import bulk_figures

        figures += [str(p) for p in bulk_figures(result, out)]
        with atomic_write(out / "bulk.json", "w") as fh:
            fh.write(json.dumps(jsonable({**d, "figures": figures}), indent=2, allow_nan=False) + "\n")
    if as_json:
        emit_json({**d, "figures": figures})
        return
    _print(d, figures)
