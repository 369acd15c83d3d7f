"""``scprobe bulk``: rho(T), chi(T), C(T) and M(H) from Quantum Design files, with Fig. 1 and Fig. S2."""
from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path

import typer

from scprobe.cli._app import JSON_OPTION, app, check_output, console, emit_json
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
    "heat_capacity": [("gamma_mJ_mol_K2", "gamma (Debye window)", "mJ/mol K^2"),
                      ("beta_mJ_mol_K4", "beta (Debye window)", "mJ/mol K^4"),
                      ("debye_temperature_K", "theta_D", "K"), ("tc_K", "Tc (equal entropy)", "K"),
                      ("tc_onset_K", "Tc onset", "K"), ("jump_ratio", "dC/(gamma_n Tc)", ""),
                      ("gamma_n_mJ_mol_K2", "gamma_n", "mJ/mol K^2"), ("gamma0_mJ_mol_K2", "gamma0", "mJ/mol K^2"),
                      ("sc_electronic_fraction", "1 - gamma0/gamma_n", ""), ("delta0_meV", "Delta_0 (alpha model)", "meV"),
                      ("gap_ratio", "Delta_0/(k_B Tc)", ""), ("gap_fit_misfit", "alpha-model misfit", ""),
                      ("gap_fit_poor", "one gap fits poorly", ""), ("two_gap_small_meV", "two gaps: small", "meV"),
                      ("two_gap_large_meV", "two gaps: large", "meV")],
    "magnetisation": [("jc_A_m2", "Bean Jc(0)", "A/m^2"), ("jc0_A_m2", "Kim Jc0", "A/m^2"),
                      ("jc_field_scale_T", "Kim B0", "T"), ("symmetric", "loop symmetric", "")],
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
            err = {"gamma_mJ_mol_K2": sub.get("gamma_err_mJ_mol_K2"), "beta_mJ_mol_K4": sub.get("beta_err_mJ_mol_K4"),
                   "delta0_meV": sub.get("delta0_err_meV"), "two_gap_small_meV": sub.get("two_gap_small_err_meV"),
                   "two_gap_large_meV": sub.get("two_gap_large_err_meV")}.get(key)
            if key.startswith("two_gap") and v is None:
                continue
            text = "n/a" if v is None else (str(v) if isinstance(v, bool) else f"{v:.4g}")
            if err is not None:
                text += f" ± {err:.2g}"
            if key in ("jc_A_m2", "jc0_A_m2") and v is not None:
                text += f" ({v * 1e-4:.3g} A/cm^2)"
            table.add_row(section, label, text, unit)
    console.print(table)
    console.print(d["statement"], markup=False)
    for f in figures:
        console.print(f"wrote {f}", markup=False)


#: study.toml [sample] key -> the option that gives it on the command line
_OPTIONS = {"dimensions_mm": "--dimensions-mm", "mass_g": "--mass-g", "molar_mass_g_mol": "--molar-mass-g-mol",
            "density_g_cm3": "--density-g-cm3", "atoms_per_formula_unit": "--atoms-per-formula-unit",
            "field_axis": "--field-axis", "field_Oe": "--field-oe"}
_AXES = ("a", "b", "c")


def _positive(value: float | None, option: str) -> float | None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise ParameterError(f"{option} must be a positive number, got {value:g}")
    return value


def _name_options(message: str, study: Path | None) -> str:
    """Replace the study keys in a library message by the options that set them."""
    def name(match: re.Match) -> str:
        key = match.group(0)
        return _OPTIONS[key] if study is None else f"[sample] {key} of {study} (or {_OPTIONS[key]})"

    message = re.sub(r"(?<!\w)(?:" + "|".join(_OPTIONS) + r")(?!\w)", name, message)
    return message.replace("Debye fit", "Debye fit (--debye-window-K)")


@app.command()
def bulk(
    resistivity: Path | None = typer.Option(None, "--resistivity", help="PPMS rho(T) file (.dat or CSV)."),
    susceptibility: Path | None = typer.Option(None, "--susceptibility", help="MPMS chi(T) file, ZFC then FC."),
    heat_capacity: Path | None = typer.Option(None, "--heat-capacity", help="PPMS heat-capacity file."),
    mh: Path | None = typer.Option(None, "--mh", help="M(H) loop file (VSM / MPMS)."),
    sample: Path | None = typer.Option(None, "--sample", help="study.toml: geometry from its [sample] table "
                                       "(the options below override it) and, when no file option is given, "
                                       "files and field from its [bulk] table."),
    mass_g: float | None = typer.Option(None, "--mass-g", help="Sample mass, g."),
    dimensions_mm: str | None = typer.Option(None, "--dimensions-mm", metavar="A,B,C",
                                                help="Edges a,b,c in mm."),
    molar_mass: float | None = typer.Option(None, "--molar-mass-g-mol", "--molar-mass",
                                            help="Molar mass, g/mol per formula unit."),
    density: float | None = typer.Option(None, "--density-g-cm3", "--density", help="Density, g/cm^3."),
    field_axis: str | None = typer.Option(None, "--field-axis", metavar="a|b|c", help="Crystal axis of the applied field: a, b or c "
                                          "(default c, or [sample] field_axis)."),
    atoms: int | None = typer.Option(None, "--atoms-per-formula-unit", help="Atoms per formula unit (theta_D)."),
    field_oe: float | None = typer.Option(None, "--field-oe", help="Field of the chi(T) run, Oe (default: file)."),
    bridge: int | None = typer.Option(None, "--bridge", help="Resistivity bridge/channel (default: first with data)."),
    debye_window: str = typer.Option("3,5", "--debye-window-K", metavar="LO,HI", help="C/T vs T^2 fit window lo,hi in K."),
    demag: float | None = typer.Option(None, "--demag-factor", help="Demagnetising factor N (default: Aharoni)."),
    gamma_n: float | None = typer.Option(None, "--gamma-n-mJ-mol-K2", help="Known normal-state Sommerfeld "
                                         "coefficient, mJ/(mol K^2) (default: the normal branch above Tc)."),
    out: Path | None = typer.Option(None, "--out", help="Write bulk.json, fig1_bulk.png, figS2_debye.png here."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Bulk superconducting figures: Tc criteria, shielding fraction, Debye fit, gap and jump, Bean Jc(H)."""
    check_output(out)
    from scprobe.bulk import SampleGeometry, analyze_bulk
    from scprobe.io import atomic_write
    from scprobe.results import jsonable

    if out is not None and out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out}: exists and is not a directory")
    if field_axis is not None and field_axis not in _AXES:
        raise ParameterError(f"--field-axis must be a, b or c (the crystal axis along the field), got {field_axis!r}")
    if atoms is not None and atoms < 1:
        raise ParameterError(f"--atoms-per-formula-unit must be a positive integer, got {atoms}")
    dims = _floats(dimensions_mm, "--dimensions-mm", 3)
    if dims is not None and not all(math.isfinite(d) and d > 0 for d in dims):
        raise ParameterError(f"--dimensions-mm must be three positive lengths in mm, got {dimensions_mm!r}")
    for value, option in ((mass_g, "--mass-g"), (molar_mass, "--molar-mass-g-mol"), (density, "--density-g-cm3"),
                          (field_oe, "--field-oe"), (gamma_n, "--gamma-n-mJ-mol-K2")):
        _positive(value, option)
    if demag is not None and not 0 <= demag < 1:
        raise ParameterError(f"--demag-factor must lie in [0, 1), got {demag:g}")
    window = _floats(debye_window, "--debye-window-K", 2)
    if not (0 <= window[0] < window[1] and math.isfinite(window[1])):
        raise ParameterError(f"--debye-window-K must be lo,hi with 0 <= lo < hi (K), got {debye_window!r}")
    files = {"resistivity": resistivity, "susceptibility": susceptibility, "heat_capacity": heat_capacity, "mh": mh}
    given = {"mass_g": mass_g, "dimensions_mm": dims, "molar_mass_g_mol": molar_mass, "density_g_cm3": density,
             "atoms_per_formula_unit": atoms, "field_axis": field_axis}
    given = {k: v for k, v in given.items() if v is not None}
    table: dict = {}
    if sample is not None:
        study = _study(sample)
        if not isinstance(study.get("sample"), dict):
            raise FormatError(sample, "has no [sample] table")
        table = study["sample"]
        bulk_table = study.get("bulk") or {}
        if all(v is None for v in files.values()):
            files = {k: (sample.parent / bulk_table[k]) if bulk_table.get(k) else None for k in files}
        if field_oe is None and bulk_table.get("field_Oe") is not None:
            field_oe = float(bulk_table["field_Oe"])
    if all(v is None for v in files.values()):
        raise ParameterError("no data: give --resistivity, --susceptibility, --heat-capacity or --mh "
                             "(or --sample study.toml with a [bulk] table)")
    try:
        # the options override the study's [sample] values
        geometry = SampleGeometry.from_study({**table, **given})
        result = analyze_bulk(**files, geometry=geometry, field_Oe=field_oe, debye_window_K=window, bridge=bridge,
                              demag_factor=demag, gamma_n_mJ_mol_K2=gamma_n)
    except ParameterError as exc:
        raise ParameterError(_name_options(str(exc), sample)) from exc
    d = result.to_dict()
    figures: list[str] = []
    if out is not None:
        from scprobe.report.bulk_figures import bulk_figures

        figures = [str(f) for f in bulk_figures(result, out)]
        with atomic_write(out / "bulk.json", "w") as fh:
            fh.write(json.dumps(jsonable({**d, "figures": figures}), indent=2, allow_nan=False) + "\n")
    if as_json:
        emit_json({**d, "figures": figures})
        return
    _print(d, figures)
