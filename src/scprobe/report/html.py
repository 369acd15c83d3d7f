"""The study report: one self-contained HTML file rendered from ``summary.json`` and the figure files.

The report reads nothing but the summary and the PNGs it lists, so it can be
regenerated (``write_report``) without re-running a study.  Figures are embedded
as base64 data URIs of 256-colour previews (the full-colour files stay in
``figures/``) and the CSS is inline: the file needs no network and prints.
Every text from the study or from file headers goes through Jinja's autoescaping,
so a header that contains HTML or script is shown as text, never run.
"""
from __future__ import annotations

import base64
import io
import json
import math
import os
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from PIL import Image

from scprobe.io import atomic_write

TEMPLATES = Path(__file__).with_name("templates")
#: Key suffix -> unit shown in tables (longest suffix first when matching).
UNIT_SUFFIXES: dict[str, str] = {
    "_mJ_mol_K2": "mJ/(mol K²)", "_mJ_mol_K4": "mJ/(mol K⁴)", "_A_m2": "A/m²", "_A_cm2": "A/cm²",
    "_ohm_m": "Ω m", "_g_mol": "g/mol", "_g_cm3": "g/cm³", "_at_pct": "at. %", "_ohm": "Ω", "_deg": "°",
    "_px": "px", "_Oe": "Oe", "_mm": "mm", "_m": "m", "_A": "A", "_V": "V", "_K": "K", "_s": "s", "_g": "g",
    "_T": "T", "_m2": "m²",
}
_PREFIXED = {"m", "A", "V", "Ω", "s", "g"}
_PREFIXES = [(1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""), (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"),
             (1e-15, "f")]
#: Rows of a list-of-records table shown before "... more rows".
MAX_ROWS = 25
#: Processing steps a study may apply, with the words the methods paragraph uses.
PROCESSING_STEPS = {
    "scars": "horizontal scar removal", "rows": "row alignment", "plane": "plane levelling",
    "poly": "polynomial background subtraction", "crop": "cropping",
}


def unit_of(key: str) -> str:
    """Unit implied by a JSON key's suffix (``edge_width_m`` -> ``m``); fractions are 0..1.

    A dotted key takes the unit of its innermost part that names one
    (``edge_width_m.median`` -> ``m``, ``composition_at_pct.Fe`` -> ``at. %``).
    """
    last = key.rsplit(".", 1)[-1]
    if last.startswith("n_") or last in ("count", "label") or last.endswith("_count"):
        return ""  # counts have no unit whatever their parent measures
    for part in reversed(key.split(".")):
        for suffix in sorted(UNIT_SUFFIXES, key=len, reverse=True):
            if part.endswith(suffix):
                return UNIT_SUFFIXES[suffix]
        if "fraction" in part:
            return "0..1"
    return ""


def format_value(value: Any, unit: str = "", err: Any = None) -> str:
    """A number with an SI prefix where the unit takes one, 4 significant digits, ``± err`` if given."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v, unit) for v in value)
    if not isinstance(value, (int, float)):
        return str(value) + (f" {unit}" if unit else "")
    if isinstance(value, int) and not unit:
        return str(value)
    v = float(value)
    scale, prefix = 1.0, ""
    if unit in _PREFIXED and v != 0 and math.isfinite(v):
        scale, prefix = next(((s, p) for s, p in _PREFIXES if abs(v) >= s * 0.9995), _PREFIXES[-1])
    text = f"{v / scale:.4g}"
    if err is not None and isinstance(err, (int, float)):
        text += f" ± {float(err) / scale:.2g}"
    return f"{text} {prefix}{unit}".rstrip()


def flatten(d: dict, prefix: str = "") -> tuple[list[tuple[str, Any]], list[tuple[str, list[dict]]]]:
    """Scalars (and short lists of scalars) as ``(dotted key, value)``; lists of records separately."""
    scalars, tables = [], []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            s, t = flatten(v, key + ".")
            scalars += s
            tables += t
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables.append((key, v))
        elif isinstance(v, list) and (len(v) > 12 or any(isinstance(x, (list, dict)) for x in v)):
            continue  # long arrays (curves, maps) belong in figures and summary.json
        else:
            scalars.append((key, v))
    return scalars, tables


def quantity_rows(result: dict, skip=("history", "labels", "mask")) -> list[dict[str, str]]:
    """Table rows ``{quantity, value, unit}`` with ``x_err`` keys folded in as ``± err``."""
    scalars, _ = flatten({k: v for k, v in result.items() if k not in skip})
    values = dict(scalars)
    errs = {}
    for key in list(values):
        for tag in ("_err", "_std", "_sigma"):
            if tag in key and key.replace(tag, "", 1) in values:
                errs[key.replace(tag, "", 1)] = values.pop(key)
                break
    rows = []
    for key, v in values.items():
        unit = unit_of(key)
        text = format_value(v, unit if unit != "0..1" else "", errs.get(key))
        # sentences (explanations, statements) read as paragraphs, not as table cells
        rows.append({"quantity": key, "value": text, "unit": unit, "long": isinstance(v, str) and len(v) > 80})
    return rows


def record_tables(result: dict) -> list[dict[str, Any]]:
    """Lists of records (regions, states, sites, comparisons) as tables with unit-bearing headers."""
    _, tables = flatten(result)
    out = []
    for key, records in tables:
        cols = list(dict.fromkeys(c for r in records for c, v in r.items()
                                  if not isinstance(v, (dict, list)) or (isinstance(v, list) and len(v) <= 4)))
        rows = [[format_value(r.get(c), unit_of(c) if unit_of(c) != "0..1" else "") for c in cols]
                for r in records[:MAX_ROWS]]
        out.append({"title": key, "columns": cols, "rows": rows, "more": max(0, len(records) - MAX_ROWS)})
    return out


#: Colours of the embedded figure previews (the figure files themselves stay full colour).
PREVIEW_COLOURS = 256


def embed_png(path: Path) -> str | None:
    """``data:image/png;base64,...`` of a figure as a 256-colour palette PNG; None when the file is missing.

    Colour-mapped panels use at most a colormap's 256 entries plus antialiased edges, so the
    palette preview differs from the figure by ~1 % of full scale per pixel while being 4-5 times
    smaller (the demo report: 15.7 -> ~3.6 MB).  The full-colour files stay in ``figures/``.
    """
    try:
        with Image.open(path) as im:
            im.load()
            preview = im.convert("RGB").quantize(PREVIEW_COLOURS, method=Image.Quantize.FASTOCTREE,
                                                 dither=Image.Dither.NONE)
    except (OSError, ValueError):
        return None
    buf = io.BytesIO()
    preview.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


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
            missing = [w for k, w in PROCESSING_STEPS.items() if k not in applied]
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


#: Columns of the map overview: (heading, key path, unit).
MAP_OVERVIEW = (("scan", "label", ""), ("T", "temperature_K", "K"), ("bias", "bias_V", "V"),
                ("noise floor", "noise_floor_A", "A"), ("threshold", "threshold_A", "A"),
                ("conducting fraction", "conducting_fraction", ""), ("regions", "regions.count", ""),
                ("states", "states", "A"), ("edge width (median)", "edge_width_m.median", "m"))


def _get(d: dict, path: str):
    for part in path.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    return d


def map_overview(units: dict) -> dict[str, Any] | None:
    """One row per analysed scan, in temperature order: the numbers a reader compares first."""
    results = [r["result"] for r in units.values() if r.get("status") == "ok"]
    if not results:
        return None
    results.sort(key=lambda r: (str(r.get("area")), bool(r.get("recooled")), r.get("temperature_K") or 0.0))
    rows = []
    for r in results:
        row = []
        for _, path, unit in MAP_OVERVIEW:
            v = _get(r, path)
            if path == "states" and isinstance(v, list):
                v = [s.get("current_A") for s in v] or None
            row.append(format_value(v, unit) if v is not None or path != "states" else "none")
        rows.append(row)
    return {"columns": [c for c, _, _ in MAP_OVERVIEW], "rows": rows}


def report_context(summary: dict, base: Path) -> dict[str, Any]:
    """Everything the template needs, from a summary and the folder its figure paths are relative to."""
    sections = []
    timing = summary.get("timing", {})
    for name, st in summary.get("stages", {}).items():
        units = []
        for unit, rec in (st.get("units") or {}).items():  # study order, as the summary keeps it
            figures = [{"name": f, "src": embed_png(base / f)} for f in rec.get("figures", [])]
            res = rec.get("result") or {}
            units.append({"name": unit, "status": rec.get("status"), "note": rec.get("note"),
                          "error": rec.get("error"), "figures": figures, "rows": quantity_rows(res),
                          "tables": record_tables({k: v for k, v in res.items() if k != "history"}),
                          "files": rec.get("files", []),
                          "seconds": timing.get("unit_seconds", {}).get(name, {}).get(unit, 0.0)})
        sections.append({"name": name, "status": st.get("status"), "note": st.get("note"),
                         "seconds": timing.get("stage_seconds", {}).get(name, 0.0), "units": units,
                         "overview": map_overview(st.get("units") or {}) if name == "map" else None})
    return {"summary": summary, "sample": summary.get("sample", {}), "headline": summary.get("headline", {}),
            "sections": sections, "methods": methods_text(summary), "fmt": format_value}


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
