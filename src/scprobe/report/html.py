"""The study report: one self-contained HTML file rendered from ``summary.json`` and the figure files.

The report reads nothing but the summary, the PNGs it lists and, for a simulated study, the
``truth.json`` beside the study file, so it can be regenerated (``write_report``) without
re-running a study.  Figures are embedded as base64 data URIs of 256-colour previews (the
full-colour files stay in ``figures/``) and the CSS is inline: the file needs no network, runs no
script and prints.  Every text from the study or from file headers goes through Jinja's
autoescaping, so a header that contains HTML or script is shown as text, never run.

Every value is formatted from the unit its result declares (the ``units`` record next to each
``result`` in the summary, see :func:`scprobe.results.quantity`), never guessed from its key.
"""
from __future__ import annotations

import base64
import json
import math
import os
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from PIL import Image

from scprobe.io import atomic_write
from scprobe.process import STEPS
from scprobe.report._preview import cached_preview, palette_png

TEMPLATES = Path(__file__).with_name("templates")

#: Declared unit (``scprobe.results.UNITS``) -> (symbol shown, takes an SI prefix, power of the prefixed unit).
UNIT_DISPLAY: dict[str, tuple[str, bool, int]] = {
    "": ("", False, 1), "1": ("", False, 1), "count": ("", False, 1), "K": ("K", False, 1),
    "m": ("m", True, 1), "m^2": ("m²", True, 2), "A": ("A", True, 1), "V": ("V", True, 1),
    "Ohm": ("Ω", True, 1), "Ohm m": ("Ω m", True, 1), "Ohm m^2": ("Ω m²", True, 1), "R_sq": ("R□", False, 1),
    "s": ("s", True, 1), "Hz": ("Hz", True, 1), "T": ("T", True, 1), "A/m": ("A/m", False, 1),
    "A/m^2": ("A/m²", False, 1), "J/(mol K)": ("J/(mol K)", True, 1), "J/(mol K^2)": ("J/(mol K²)", True, 1),
    "J/(mol K^4)": ("J/(mol K⁴)", True, 1), "eV": ("eV", True, 1), "px": ("px", False, 1),
    "rad": ("rad", False, 1), "deg": ("°", False, 1), "Da": ("Da", False, 1), "sigma": ("σ", False, 1),
    "mJ/(mol K^2)": ("mJ/(mol K²)", False, 1), "mJ/(mol K^4)": ("mJ/(mol K⁴)", False, 1), "meV": ("meV", False, 1),
    "Oe": ("Oe", False, 1), "emu/cm^3": ("emu/cm³", False, 1), "mm": ("mm", False, 1), "g": ("g", True, 1),
    "g/cm^3": ("g/cm³", False, 1), "g/mol": ("g/mol", False, 1), "at.%": ("at.%", False, 1),
}
#: Units always shown with one prefix, as the field reports them (Sommerfeld coefficients in mJ).
FIXED_PREFIX = {"J/(mol K^2)": (1e-3, "m"), "J/(mol K^4)": (1e-3, "m")}
_PREFIXES = [(1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"),
             (1e-15, "f")]
#: Records of a list-of-records table shown (the rest is in summary.json); the table is collapsed.
MAX_ROWS = 200
#: Human labels of keys whose generic label (see :func:`label_of`) would read badly.
LABELS = {
    "tc": "Tc", "rrr": "RRR", "rho0": "ρ₀", "jc": "Jc", "sc": "superconducting", "vdp": "van der Pauw",
    "rsq": "", "ohm": "", "pct": "", "at": "", "px": "", "m": "", "k": "", "a": "A", "b": "B",
    "fwd": "forward", "bwd": "backward", "p10": "10th percentile", "p90": "90th percentile", "std": "std. dev.",
    "r": "R", "r4": "R4", "fe": "Fe", "se": "Se", "te": "Te", "edx": "EDX", "sem": "SEM",
    "apt": "APT", "hc": "heat capacity", "mh": "M(H)", "dim": "dimension", "id": "ID", "bic": "BIC",
}
#: Unit suffixes dropped from a key when its label is made (the unit is shown with the value).
_SUFFIX_TOKENS = {"K", "m", "A", "V", "s", "ohm", "rsq", "px", "deg", "Da", "m2", "um", "nm", "Oe", "T", "Hz", "eV", "meV",
                  "mJ", "mol", "K2", "K4", "at", "pct", "A_m2", "A_cm2", "g", "mm", "cm3", "emu"}


def unit_symbol(unit: str) -> str:
    """The symbol a declared unit is shown with (``"R_sq"`` -> ``"R□"``; ``"1"`` and ``"count"`` -> ``""``)."""
    return UNIT_DISPLAY.get(unit, (unit, False, 1))[0]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _number(v: float, digits: int = 4) -> str:
    text = f"{v:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        text = f"{mant} × 10{str(int(exp)).translate(_SUPERSCRIPT)}"
    # a value that rounds to zero has no sign: never "-0"
    return text.lstrip("-") if re.fullmatch(r"-0(\.0*)?", text) else text


def format_value(value: Any, unit: str = "", err: Any = None) -> str:
    """A value with its declared unit: SI prefix where the unit takes one, 4 significant digits, ``± err``.

    ``unit`` is a declared unit (``scprobe.results.UNITS``); counts are shown as integers.
    """
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        items = [format_value(v, unit) for v in value]
        sym = unit_symbol(unit)
        if sym and all(i.endswith(" " + sym) and not i[:-len(sym) - 1].endswith(tuple("GMkmµnpf")) for i in items):
            items = [i[:-len(sym) - 1] for i in items[:-1]] + items[-1:]  # "1, 2 px", not "1 px, 2 px"
        return ", ".join(items) if items else "none"
    if not isinstance(value, (int, float)):
        return str(value)
    sym, prefixed, power = UNIT_DISPLAY.get(unit, (unit, False, 1))
    v = float(value)
    if not math.isfinite(v):
        return "n/a"
    if unit == "count" or (isinstance(value, int) and not sym):
        return _number(v, 12) if v.is_integer() else _number(v)
    scale, prefix = FIXED_PREFIX.get(unit, (1.0, ""))
    if prefixed and v != 0 and unit not in FIXED_PREFIX:
        # an area takes the prefix whose square leaves at least 0.01 (0.25 µm², not 250 000 nm²)
        least = 0.9995 if power == 1 else 0.01
        scale, prefix = next(((s ** power, p) for s, p in _PREFIXES if abs(v) >= (s ** power) * least),
                             (_PREFIXES[-1][0] ** power, _PREFIXES[-1][1]))
    text = _number(v / scale)
    if err is not None and isinstance(err, (int, float)) and math.isfinite(err):
        text += f" ± {_number(float(err) / scale, 2)}"
    return f"{text} {prefix}{sym}".rstrip()


def label_of(key: str) -> str:
    """A human label for a (dotted) JSON key: ``"tc_lower_K"`` -> ``"Tc lower bound"``.

    Unit suffixes are dropped (the unit is shown with the value), ``_lower`` / ``_upper`` read as
    bounds, and a nested key reads ``"parent: child"``.
    """
    parts = []
    for part in key.split("."):
        tokens = part.split("_")
        while len(tokens) > 1 and tokens[-1] in _SUFFIX_TOKENS:
            tokens.pop()
        words = ["number of"] if tokens[0] == "n" and len(tokens) > 1 else []
        for t in tokens[len(words):]:
            if t in ("lower", "upper"):
                words.append(f"{t} bound")
            elif t.lower() in LABELS:
                words.append(LABELS[t.lower()])
            else:
                words.append(t)
        text = " ".join(w for w in words if w)
        parts.append(text or part)
    text = ": ".join(parts)
    # capitalise a Latin first letter only (a Greek symbol keeps its case: ρ₀ is not Ρ₀)
    return text[:1].upper() + text[1:] if text[:1].isascii() else text


def _unit_at(units: Any, key: str) -> Any:
    """The declaration for ``key`` within a units record: a unit string (applies to all below) or a dict."""
    if isinstance(units, str):
        return units
    if isinstance(units, dict):
        return units.get(key)
    return None


def flatten(d: dict, units: Any = None, prefix: str = "") -> tuple[list[tuple[str, Any, Any]], list[tuple]]:
    """Scalars and short lists as ``(dotted key, value, unit)``; lists of records as ``(key, records, units)``.

    ``unit`` is the declared unit string or None when the field declares none.
    """
    scalars, tables = [], []
    for k, v in d.items():
        key = f"{prefix}{k}"
        u = _unit_at(units, k)
        if isinstance(v, dict):
            s, t = flatten(v, u, key + ".")
            scalars += s
            tables += t
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables.append((key, v, u))
        elif isinstance(v, list) and (len(v) > 12 or any(isinstance(x, (list, dict)) for x in v)):
            continue  # long arrays (curves, maps) belong in figures and summary.json
        else:
            scalars.append((key, v, u if isinstance(u, str) else None))
    return scalars, tables


#: Fields never shown in a unit's table (the processing history goes to the methods paragraph).
SKIP = ("history", "labels", "mask", "processing")


def quantity_rows(result: dict, units: Any = None, skip=SKIP) -> list[dict[str, Any]]:
    """Table rows ``{key, quantity, value, unit, long}``; ``*_err`` / ``*_std`` fields folded in as ``± err``."""
    scalars, _ = flatten({k: v for k, v in result.items() if k not in skip}, units)
    values = {k: (v, u) for k, v, u in scalars}
    errs = {}
    for key in list(values):
        for tag in ("_err", "_std", "_sigma"):
            if tag in key and key.replace(tag, "", 1) in values:
                errs[key.replace(tag, "", 1)] = values.pop(key)[0]
                break
    rows = []
    for key, (v, unit) in values.items():
        text = format_value(v, unit or "", errs.get(key))
        # sentences (explanations, statements) read as paragraphs, not as table cells
        rows.append({"key": key, "quantity": label_of(key), "value": text, "unit": unit,
                     "long": isinstance(v, str) and len(v) > 80})
    return rows


def record_tables(result: dict, units: Any = None, skip=SKIP) -> list[dict[str, Any]]:
    """Lists of records (regions, states, sites) as tables with human, unit-bearing headers."""
    _, tables = flatten({k: v for k, v in result.items() if k not in skip}, units)
    out = []
    for key, records, u in tables:
        cols = list(dict.fromkeys(c for r in records for c, v in r.items()
                                  if not isinstance(v, (dict, list)) or (isinstance(v, list) and len(v) <= 4)))
        col_units = {c: _unit_at(u, c) if isinstance(_unit_at(u, c), str) else None for c in cols}
        heads = [label_of(c) + (f" ({unit_symbol(col_units[c])})" if unit_symbol(col_units[c] or "") else "")
                 for c in cols]
        rows = [[_cell(r.get(c), col_units[c]) for c in cols] for r in records[:MAX_ROWS]]
        out.append({"key": key, "title": label_of(key), "columns": heads, "units": [col_units[c] for c in cols],
                    "rows": rows, "count": len(records), "more": max(0, len(records) - MAX_ROWS)})
    return out


def _cell(value: Any, unit: str | None) -> str:
    """A table cell: the value in the column's unit, which the header already names."""
    text = format_value(value, unit or "")
    sym = unit_symbol(unit or "")
    if sym and text.endswith(" " + sym):
        return text[: -len(sym) - 1]
    return text


def embed_png(path: Path, root: Path | None = None) -> str | None:
    """``data:image/png;base64,...`` of a figure as a 256-colour palette PNG; None when the file is missing.

    The preview kept when the figure was drawn (``root/.previews``, see :mod:`scprobe.report._preview`)
    is used when it is as new as the file; otherwise it is made from the file.  The full-colour files
    stay in ``figures/``.
    """
    data = cached_preview(path, root) if root is not None else None
    if data is None:
        try:
            with Image.open(path) as im:
                im.load()
                data = palette_png(im)
        except (OSError, ValueError):
            return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _image_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError):
        return 0, 0


def methods_text(summary: dict) -> list[str]:
    """The methods paragraph, from the processing history each map actually carried."""
    stages = summary.get("stages", {})
    maps = [(u, r["result"]) for u, r in stages.get("map", {}).get("units", {}).items()
            if r.get("status") == "ok"]
    paras = []
    if maps:
        groups: dict[str, list[str]] = {}
        for label, res in maps:
            steps = [h.get("step", "?") + (f" ({_params(h.get('params'))})" if h.get("params") else "")
                     for h in res.get("history", [])]
            groups.setdefault("; ".join(steps), []).append(label)
        for steps, labels in groups.items():
            applied = {s.split(" ", 1)[0].split(":", 1)[0] for s in steps.split("; ") if s}
            missing = [words for k, words in STEPS.items() if k not in applied]
            who = "the maps of " + ", ".join(labels)
            if steps:
                paras.append(f"Processing applied to {who}, in this order: {steps}. Not applied: "
                             f"{', '.join(missing) or 'none'}.")
            else:
                paras.append(f"No processing was applied to {who}: the analyses used the raw data as recorded, "
                             f"converted to SI units only ({', '.join(missing)} were not applied).")
        thresholds = sorted({f"{format_value(res.get('threshold_A'), 'A')}" for _, res in maps})
        opt = (summary.get("options", {}).get("options", {}).get("map", {}) or {}).get("threshold_A")
        how = (f"a fixed threshold of {format_value(opt, 'A')} set in the study file" if opt is not None else
               "a threshold derived from each map's noise (offset of the non-conducting pixels plus "
               "5 times their robust RMS)")
        boundaries = {res.get("boundary") for _, res in maps}
        extent = (" Each detected region extends to the pixels carrying at least half of its local plateau "
                  "current, the true boundary of a sharp region blurred by the tip; the same mask is used "
                  "for comparisons, the local Tc and transport." if "half-max" in boundaries else "")
        paras.append(f"Conduction is detected where the tip current exceeds {how}; thresholds used: "
                     f"{', '.join(thresholds)}.{extent}")
    if stages.get("compare", {}).get("status") == "ok":
        paras.append("Scans were registered on their topography (phase correlation) before masks were "
                     "compared; the topography is not otherwise altered.")
    paras.append(f"Computed with scprobe {summary.get('scprobe_version')}; every input file is listed with its "
                 "sha256 at the end of this report.")
    return paras


def _params(params: dict | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in (params or {}).items())


#: Columns of the map overview: (heading, key path, declared unit used when the summary declares none).
MAP_OVERVIEW = (("Scan", "label"), ("T", "temperature_K"), ("Bias", "bias_V"), ("Noise floor", "noise_floor_A"),
                ("Threshold", "threshold_A"), ("Conducting fraction", "conducting_fraction"),
                ("Regions", "regions.count"), ("States", "states"), ("Edge width (median)", "edge_width_m.median"))


def _get(d: Any, path: str):
    for part in path.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    return d


def _unit_of_path(units: Any, path: str) -> str:
    for part in path.split("."):
        units = _unit_at(units, part)
    return units if isinstance(units, str) else ""


def map_overview(units: dict) -> dict[str, Any] | None:
    """One row per analysed scan, in temperature order: the numbers a reader compares first."""
    recs = [r for r in units.values() if r.get("status") == "ok"]
    if not recs:
        return None
    recs.sort(key=lambda r: (str(r["result"].get("area")), bool(r["result"].get("recooled")),
                             r["result"].get("temperature_K") or 0.0))
    rows = []
    for rec in recs:
        r, u = rec["result"], rec.get("units", {})
        row = []
        for _, path in MAP_OVERVIEW:
            v = _get(r, path)
            unit = _unit_of_path(u, path)
            if path == "states":
                unit = _unit_of_path(u, "states.current_A")
                v = [s.get("current_A") for s in v] if isinstance(v, list) and v else None
                row.append(format_value(v, unit) if v else "none")
                continue
            row.append(format_value(v, unit))
        rows.append(row)
    return {"columns": [c for c, _ in MAP_OVERVIEW], "rows": rows}


# ---------------------------------------------------------------- captions
def _fmt_t(r: dict) -> str:
    t = r.get("temperature_K")
    return f"{format_value(t, 'K')}" if isinstance(t, (int, float)) else "unknown temperature"


def _scan_line(r: dict) -> str:
    bits = [_fmt_t(r)]
    if isinstance(r.get("bias_V"), (int, float)):
        bits.append(f"bias {format_value(r['bias_V'], 'V')}")
    if isinstance(r.get("pixel_size_m"), (int, float)):
        bits.append(f"pixel {format_value(r['pixel_size_m'], 'm')}")
    return ", ".join(bits)


def _states(r: dict) -> str:
    st = [s.get("current_A") for s in r.get("states") or [] if isinstance(s, dict)]
    return format_value(st, "A") if st else "none found"


def caption(stage: str, unit: str, name: str, r: dict) -> str:
    """The caption of a figure, written from the study: what it shows, of which scan, and what the colours mean."""
    base = Path(name).name
    site = re.sub(r"^(fig5b_atom_map|mass_spectrum|depth_profile)_(.+)\.png$", r"\2", base)
    labels = r.get("labels") or []
    pair = " vs ".join(dict.fromkeys(labels)) if labels else unit
    caps = {
        "fig2_maps.png": f"Fig. 2 — scan {unit} ({_scan_line(r)}): (a) topography, plane removed for display; "
                         f"(b) tip current on a linear scale, conducting regions outlined in cyan; (c) the "
                         f"conductance states ({_states(r)}) as colours over the current in grey.",
        "current_histogram.png": f"Current histogram of scan {unit} ({_fmt_t(r)}): all pixels (grey), plateau pixels "
                                 f"(orange), the fitted conductance states, the noise floor "
                                 f"({format_value(r.get('noise_floor_A'), 'A')}) and the detection threshold "
                                 f"({format_value(r.get('threshold_A'), 'A')}).",
        "figS4_edges.png": f"Fig. S4 — boundaries of scan {unit}: (a) the current near a boundary, the white box is "
                           f"averaged in (b); (b) the box-averaged cross-section (log current) with the distance "
                           f"from the plateau to the noise floor and an erf fit; (c) 10-90 % erf widths of all "
                           f"fitted profiles (median {format_value(_get(r, 'edge_width_m.median'), 'm')}).",
        "figS5_traces.png": f"Fig. S5 — scan {unit} ({_scan_line(r)}): forward (left) and backward (right) "
                            f"topography, deflection and current as recorded, no processing.",
        "fig3_series.png": f"Fig. 3 — area {r.get('area', unit)}: topography (top) and current (bottom) of "
                           f"{', '.join(labels) or 'each temperature'} with one linear current scale for all maps; "
                           f"re-cooled scans of the area, if any, last.",
        "conducting_fraction_vs_T.png": f"Conducting fraction of area {r.get('area', unit)} on the area common to "
                                        f"all scans, against temperature.",
        "local_tc_map.png": f"Local Tc of area {r.get('area', unit)} as an interval: (a) the lower bound per pixel "
                            f"(highest temperature at which it conducts; it does not at the next one), grey: never "
                            f"conducting; (b) pixels per interval.",
        "fig3_aligned_maps.png": (f"Scans {pair} registered on topography: topography (top) and current "
                                  f"(bottom); outlines: the first scan's conducting regions (dotted cyan) and the "
                                  f"second's (green)." if r.get("comparable", True) is not False else
                                  f"Scans {pair}: topography (top) and current (bottom) side by side; registration "
                                  f"says they show different areas, so nothing is compared (green: the second "
                                  f"scan's conducting regions)."),
        "fig4_forward_backward.png": f"Fig. 4 — scan {labels[0] if labels else unit}, forward (left) and backward "
                                     f"(right) traces: topography and current, spots outlined in green when found "
                                     f"in both traces and in red when in one only.",
        "four_probe_map.png": f"Four-probe simulation on scan {r.get('scan', '')} ({r.get('contacts', '')} contacts, "
                              f"{r.get('model', '')} model): (a) current density, (b) potential, (c) "
                              f"superconducting clusters; verdict: {r.get('verdict', 'n/a')}.",
        "percolation.png": f"Extrapolation of scan {r.get('scan', '')}'s statistics to the sample size: (a) one "
                           f"realisation, (b) four-probe resistance ratios, (c) superconducting fraction at first "
                           f"spanning against the map's.",
        "fig1_bulk.png": "Fig. 1 — bulk: (a) resistivity with the normal-state fit and the steepest tangent, "
                         "(b) ZFC (circles) and FC (squares) susceptibility after the demagnetisation correction, "
                         "(c) electronic specific heat with the equal-entropy jump, (d) M(H) with the Bean Jc.",
        "figS2_debye.png": "Fig. S2 — C/T against T² with the Debye fit γ + βT² and its window.",
        "fig5a_sem_overlay.png": "Fig. 5a — SEM image with the cAFM current map overlaid (yellow frame: the cAFM "
                                 "field) and the lift-out sites (white circles).",
        "fig5cd_composition_sites.png": "Fig. 5c-d — composition of each atom-probe site below the oxide cap, "
                                        "with counting-error bars.",
        "figS3_edx_maps.png": "Fig. S3 — SEM image and EDX element maps, each with its dispersion test and the "
                              "smallest contrast it could detect.",
    }
    if base in caps:
        return caps[base]
    if base.startswith("fig5b_atom_map_"):
        return (f"Fig. 5b — atom-probe needle {site}: a random subsample of each element's ions in two orthogonal "
                f"side views; the dashed line marks the oxide cap left out of the composition.")
    if base.startswith("mass_spectrum_"):
        return f"Mass spectrum of needle {site} in 0.02 Da bins, log counts, ranged peaks shaded by element."
    if base.startswith("depth_profile_"):
        return f"Concentration against depth below the apex of needle {site}, counting errors shaded, cap marked."
    return f"{stage.capitalize()} figure of {unit}."


# ---------------------------------------------------------------- measured vs truth
def _leaves(d: Any, prefix: str = ""):
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _leaves(v, f"{prefix}{k}.")
    else:
        yield prefix[:-1], d


def _find_key(d: Any, name: str, units: Any = None):
    """First ``(value, unit)`` of a key named ``name`` anywhere in a result (depth first)."""
    if isinstance(d, dict):
        if name in d and not isinstance(d[name], (dict, list)):
            u = _unit_at(units, name)
            return d[name], u if isinstance(u, str) else ""
        for k, v in d.items():
            found = _find_key(v, name, _unit_at(units, k))
            if found is not None:
                return found
    return None


#: Truth keys of a scan and where the map result holds the measured value (dotted path) when named otherwise.
_SCAN_ALIASES = {"region_count": "regions.count", "edge_width_m": "edge_width_m.median",
                 "edge_plateau_to_floor_m": "edge_cross_section.plateau_to_floor_m"}
#: Bulk truth keys and the result key (or dotted path) that holds scprobe's value of the same quantity.
_BULK_ALIASES = {"gamma_mJ_mol_K2": "gamma0_mJ_mol_K2", "gap_meV": "delta0_meV", "alpha": "gap_ratio",
                 "tc_onset_hc_K": "heat_capacity.tc_onset_K",
                 "superconducting_fraction_hc": "sc_electronic_fraction"}
#: Truth keys that describe the simulation rather than something scprobe measures.
_NOT_MEASURED = {"scprobe_version", "seed", "size_px", "note", "convention", "files", "area", "recooled",
                 "overlay_scan", "file", "region", "mask_file", "mask_backward_file", "current_clean_file",
                 "current_clean_backward_file", "tc_map_file", "shape_px"}


def truth_rows(summary: dict, truth: dict) -> list[dict[str, str]]:
    """``measured vs truth`` rows: every scalar the simulator knows, with scprobe's value where it measures it."""
    stages = summary.get("stages", {})

    def unit_rec(stage: str, unit: str):
        rec = (stages.get(stage, {}).get("units") or {}).get(unit) or {}
        return rec.get("result") or {}, rec.get("units") or {}

    rows = []

    def add(what: str, t: Any, found):
        if isinstance(t, bool) or not isinstance(t, (int, float, list)):
            return
        if isinstance(t, list) and (not t or len(t) > 4 or not all(isinstance(x, (int, float)) for x in t)):
            return
        m, unit = found if found is not None else (None, "")
        err = ""
        if isinstance(m, (int, float)) and isinstance(t, (int, float)) and not isinstance(m, bool) and t != 0:
            err = f"{_number(100 * abs(m - t) / abs(t), 2)} %"
        rows.append({"quantity": what, "truth": format_value(t, unit or ""),
                     "measured": format_value(m, unit or "") if found is not None else "not measured",
                     "error": err})

    for label, scan in (truth.get("scans") or {}).items():
        res, units = unit_rec("map", label)
        for key, t in scan.items():
            if key in _NOT_MEASURED or isinstance(t, dict):
                continue
            path = _SCAN_ALIASES.get(key, key)
            if key == "states_A":
                vals = [s.get("current_A") for s in res.get("states") or []]
                found = (sorted(vals, reverse=True), _unit_of_path(units, "states.current_A")) if res else None
            else:
                v = _get(res, path)
                found = (v, _unit_of_path(units, path)) if v is not None else None
            add(f"{label}: {label_of(key)}", t, found)
        spots = scan.get("spots") or {}
        if spots:
            res_c, units_c = unit_rec("compare", f"fwd_bwd:{label}")
            sp, su = res_c.get("spots") or {}, _unit_at(units_c, "spots")
            for key, alias in (("count_forward", "count_a"), ("count_backward", "count_b"),
                               ("diameter_m", "diameter_m"), ("persistence", "persistence")):
                if key in spots:
                    found = (sp[alias], _unit_at(su, alias) or "") if alias in sp else None
                    add(f"{label} spots: {label_of(key)}", spots[key], found)
    rec_t = truth.get("recooling") or {}
    if rec_t:
        recs = [u for u in (stages.get("compare", {}).get("units") or {}) if u.startswith("recool:")]
        res, units = unit_rec("compare", recs[0]) if recs else ({}, {})
        for key in ("jaccard", "retained", "lost", "gained"):
            if key in rec_t:
                v = _get(res, f"overlap.{key}")
                add(f"Re-cooling: {label_of(key)}", rec_t[key],
                    (v, _unit_of_path(units, f"overlap.{key}")) if v is not None else None)
    for section, stage in (("bulk", "bulk"), ("local_tc", "series")):
        sect = truth.get(section) or {}
        units_of_stage = stages.get(stage, {}).get("units") or {}
        res, units = unit_rec(stage, next(iter(units_of_stage), ""))
        for key, t in sect.items():
            if key in _NOT_MEASURED or isinstance(t, (dict, list)):
                continue
            if section == "local_tc" and key == "tc_K":
                # the series measures an interval, never "the" Tc: show it, and whether it holds the truth
                lo, hi = _get(res, "series.map_tc_lower_K"), _get(res, "series.map_tc_upper_K")
                if isinstance(lo, (int, float)) and isinstance(t, (int, float)):
                    inside = t >= lo and (hi is None or t < hi)
                    rows.append({"quantity": "Local Tc: interval of the map", "truth": format_value(t, "K"),
                                 "measured": f"[{format_value(lo, 'K')}, {format_value(hi, 'K') if hi else '∞'})",
                                 "error": "inside" if inside else "outside"})
                    continue
            alias = _BULK_ALIASES.get(key, key)
            if "." in alias:
                v = _get(res, alias)
                found = (v, _unit_of_path(units, alias)) if v is not None else None
            else:
                found = _find_key(res, alias, units)
            add(f"{label_of(section)}: {label_of(key)}", t, found)
    comp = truth.get("composition") or {}
    res, units = unit_rec("composition", "sample")
    # sites are in the study's [composition] order, named there
    names = [s.get("name") for s in ((summary.get("options") or {}).get("composition") or {}).get("sites") or []]
    site_list = [s for s in res.get("sites") or [] if isinstance(s, dict)]
    sites = {n: (s, i) for i, (n, s) in enumerate(zip(names, site_list))}
    ratios = {c.get("ratio", "").replace("/", "_").lower(): c for c in res.get("comparisons") or []
              if isinstance(c, dict)}
    for needle, t in (comp.get("needles") or {}).items():
        site, i = sites.get(needle, ({}, None))
        su = _unit_at(units, "sites")
        for key, tv in _leaves(t):
            if key.split(".")[0] in _NOT_MEASURED or key.startswith(("nominal", "atoms_below_cap")):
                continue
            path = {"ions": "ions_total"}.get(key, key)
            v = _get(site, path)
            found = (v, _unit_of_path(su, path)) if v is not None else None
            ratio = ratios.get(key.removesuffix("_ratio"))
            if found is None and ratio is not None and i is not None and i < len(ratio.get("values", [])):
                found = (ratio["values"][i], "1")
            add(f"{needle}: {label_of(key)}", tv, found)
    return rows


def _load_truth(summary: dict) -> dict | None:
    study = summary.get("study_file")
    if not study:
        return None
    path = Path(study).parent / "truth.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- page
#: A figure at least this wide for its height, or this many pixels wide, spans the page width (multi-panel figures).
WIDE_ASPECT, WIDE_PX = 1.6, 1400


def report_context(summary: dict, base: Path) -> dict[str, Any]:
    """Everything the template needs, from a summary and the folder its figure paths are relative to."""
    sections = []
    n_fig = 0
    for name, st in summary.get("stages", {}).items():
        units = []
        for unit, rec in (st.get("units") or {}).items():  # study order, as the summary keeps it
            res = rec.get("result") or {}
            decl = rec.get("units") or {}
            figures = []
            for f in rec.get("figures", []):
                n_fig += 1
                w, h = _image_size(base / f)
                figures.append({"id": f"fig-{n_fig}", "name": f, "src": embed_png(base / f, base),
                                "caption": caption(name, unit, f, res),
                                "wide": bool(h) and (w / h >= WIDE_ASPECT or w >= WIDE_PX)})
            units.append({"name": unit, "status": rec.get("status"), "note": rec.get("note"),
                          "error": rec.get("error"), "figures": figures, "rows": quantity_rows(res, decl),
                          "tables": record_tables(res, decl), "files": rec.get("files", []),
                          "seconds": (summary.get("timing", {}).get("unit_seconds", {}).get(name, {}) or {}).get(
                              unit, rec.get("seconds", 0.0)),
                          "dom": f"{name}/{unit}"})
        sections.append({"name": name, "status": st.get("status"), "note": st.get("note"),
                         "seconds": (summary.get("timing", {}).get("stage_seconds", {}) or {}).get(
                             name, st.get("seconds", 0.0)) or 0.0, "units": units,
                         "overview": map_overview(st.get("units") or {}) if name == "map" else None})
    truth = _load_truth(summary)
    return {"summary": summary, "sample": summary.get("sample", {}), "headline": summary.get("headline", {}),
            "sections": sections, "methods": methods_text(summary), "fmt": format_value,
            "truth": truth_rows(summary, truth) if truth else None,
            "total_seconds": (summary.get("timing") or {}).get("total_seconds") or 0.0,
            "workers": (summary.get("timing") or {}).get("workers", 1)}


def render_report(summary: dict, base: str | os.PathLike) -> str:
    """The report HTML for a summary whose figure paths are relative to ``base``."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    return env.get_template("report.html.j2").render(**report_context(summary, Path(base)))


def write_report(summary_file: str | os.PathLike, out_file: str | os.PathLike | None = None) -> Path:
    """Render ``report.html`` (default: beside the summary) from a ``summary.json``; written atomically."""
    summary_file = Path(summary_file)
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    out = Path(out_file) if out_file is not None else summary_file.with_name("report.html")
    html = render_report(summary, summary_file.parent)
    with atomic_write(out, "wb") as fh:
        fh.write(html.encode("utf-8"))
    return out
