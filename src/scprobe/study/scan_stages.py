"""Stages on the cAFM scans: map (one unit per scan), compare (one per pair), series (one per area).

Each stage is a pair of functions: ``<stage>_units(study)`` lists the units the
study has data for, ``<stage>_unit(study, out_dir, unit)`` runs one and returns a
:class:`StageOutput`.  Units are independent of each other, so a run can spread
them over workers and get the same files whatever their number.
"""
from __future__ import annotations

from pathlib import Path


from scprobe.analysis import analyze_map
from scprobe.compare import compare_scans, temperature_series
from scprobe.compare.series import tc_map_dataset
from scprobe.io import atomic_path
from scprobe.io.naming import split_filename
from scprobe.io.nc import write_scan
from scprobe.study.common import StageOutput, processed_scan, slug, write_mask_gwy
from scprobe.study.loader import Study
from scprobe.study.units import Status, Unit
#: Units of the context fields the map stage adds to each result.
MAP_CONTEXT_UNITS = {"label": "", "area": "", "temperature_K": "K", "bias_V": "V", "recooled": "", "sequence": "1",
                     "shape_px": "px", "pixel_size_m": "m", "history": ""}


# ---------------------------------------------------------------- map
def map_units(study: Study) -> list[Unit]:
    return [Unit("scan", (s.label,)) for s in study.spec.scans]


def map_unit(study: Study, out_dir: Path, unit: Unit) -> StageOutput:
    """Map analysis of one scan; writes ``data/<label>.nc`` and ``.gwy`` with the mask (its only copy)."""
    label = unit.label
    opts = study.spec.options.map
    entry = study.scan(label)
    scan = processed_scan(study, label)
    result = analyze_map(scan, channel=opts.channel, direction=opts.direction, threshold_A=opts.threshold_A)
    name = slug(label)
    nc_path, path = out_dir / "data" / f"{name}.nc", out_dir / "data" / f"{name}.gwy"
    write_scan(scan, nc_path)
    write_mask_gwy(scan, result, path)
    files = [nc_path, path]
    d = result.to_dict()
    note = result.reference_note or ("" if d.get("conducting_fraction") else
                                     "no conducting pixels above the threshold: empty map")
    context = {"label": label, "area": entry.area, "temperature_K": entry.temperature_K,
               "bias_V": entry.bias_V, "recooled": entry.recooled, "sequence": entry.sequence,
               "shape_px": [int(scan.sizes["y"]), int(scan.sizes["x"])],
               "pixel_size_m": float(scan.attrs["pixel_size_m"]),
               "history": scan.attrs.get("history", [])}
    return StageOutput({**context, **d}, files, note, units={**MAP_CONTEXT_UNITS, **result.units()},
                       objects={"scan": scan, "result": result})


# ---------------------------------------------------------------- compare
def _has_backward(study: Study, label: str) -> bool:
    for f in study.scan(label).files:
        parts = split_filename(f)
        if parts is not None and parts[2] == "backward":
            return True
    return False


def compare_units(study: Study) -> list[Unit]:
    """Pairs to compare: re-cooled vs before, forward vs backward, first area vs each other area.

    ``recool:A|B`` pairs each re-cooled scan with the scan of the same area at the
    closest temperature measured before it; ``fwd_bwd:L`` the scans of
    ``options.compare.forward_backward`` that have both traces (default: those not
    re-cooled and warmer than the coldest scan of their area, where metastable spots
    can appear); ``area:A|B`` the first area's scan with each other area's scan at the
    closest temperature.
    """
    scans = study.spec.scans
    order = {s.label: (s.sequence if s.sequence is not None else i) for i, s in enumerate(scans)}
    units = []
    for s in scans:
        if not s.recooled:
            continue
        before = [t for t in scans if t.area == s.area and not t.recooled and order[t.label] < order[s.label]]
        before = before or [t for t in scans if t.area == s.area and not t.recooled]
        if before:
            ref = min(before, key=lambda t: (abs(t.temperature_K - s.temperature_K), -order[t.label]))
            units.append(Unit("recool", (ref.label, s.label)))
    chosen = study.spec.options.compare.forward_backward
    if chosen is None:
        coldest = {a: min(t.temperature_K for t in scans if t.area == a) for a in {t.area for t in scans}}
        chosen = [s.label for s in scans if not s.recooled and s.temperature_K > coldest[s.area]]
    units += [Unit("fwd_bwd", (s.label,)) for s in scans if s.label in chosen and _has_backward(study, s.label)]
    areas = list(dict.fromkeys(s.area for s in scans))
    if len(areas) > 1:
        first = [s for s in scans if s.area == areas[0] and not s.recooled]
        for area in areas[1:]:
            for s in scans:
                if s.area == area and not s.recooled and first:
                    ref = min(first, key=lambda t: (abs(t.temperature_K - s.temperature_K), order[t.label]))
                    units.append(Unit("area", (ref.label, s.label)))
                    break
    return units


def _reference_scan(study: Study, label: str):
    """The lowest-temperature scan of ``label``'s area (not re-cooled), or None when that is ``label`` itself.

    ``compare_scans`` registers it and takes its conducting mask exactly as ``map`` does.
    """
    entry = study.scan(label)
    same = [s for s in study.spec.scans if s.area == entry.area and not s.recooled]
    ref = min(same, key=lambda s: s.temperature_K)
    if ref.label == label:
        return None, None
    return processed_scan(study, ref.label), ref.label


def compare_unit(study: Study, out_dir: Path, unit: Unit) -> StageOutput:
    """Compare one pair (see :func:`compare_units`); figures in ``figures/compare/<unit>``."""
    kind = unit.kind
    thr = study.spec.options.compare.threshold_A
    if kind == "fwd_bwd":
        # one scan passed twice: compare_scans compares its forward and backward traces
        a = b = processed_scan(study, unit.label)
        ref_scan, ref_label = _reference_scan(study, unit.label)
        result = compare_scans(a, b, threshold_A=thr, reference_mask=ref_scan)
        labels = [unit.label, unit.label]
    else:
        la, lb = unit.labels
        a, b = processed_scan(study, la), processed_scan(study, lb)
        ref_label = None
        # an adjacent area need not be the same area: then the result says "not comparable"
        result = compare_scans(a, b, threshold_A=thr)
        labels = [la, lb]
    d = result.to_dict()
    spots = d.get("spots") or {}
    empty = kind == "fwd_bwd" and not (spots.get("count_a") or spots.get("count_b"))
    note = result.note or ("no conducting spots in either trace" if empty else "")
    return StageOutput({"kind": kind, "labels": labels, "reference_scan": ref_label, **d}, [], note,
                       units={"kind": "", "labels": "", "reference_scan": "", **result.units()},
                       objects={"result": result, "kind": kind},
                       status=Status.OK if result.comparable else Status.NOT_COMPARABLE)


# ---------------------------------------------------------------- series
def series_units(study: Study) -> list[Unit]:
    """One unit per area with scans at two or more temperatures (re-cooled scans excluded)."""
    out = []
    for area in dict.fromkeys(s.area for s in study.spec.scans):
        temps = {s.temperature_K for s in study.spec.scans if s.area == area and not s.recooled}
        if len(temps) >= 2:
            out.append(Unit("series", (area,)))
    return out


def series_unit(study: Study, out_dir: Path, unit: Unit) -> StageOutput:
    """Temperature series of one area: conducting fraction vs T and the local Tc map."""
    area = unit.label
    entries = sorted((s for s in study.spec.scans if s.area == area and not s.recooled),
                     key=lambda s: (s.temperature_K, s.sequence if s.sequence is not None else 0))
    # one scan per temperature: the first measured
    by_t = {}
    for s in entries:
        by_t.setdefault(s.temperature_K, s)
    chosen = list(by_t.values())
    scans = [processed_scan(study, s.label) for s in chosen]
    temps = [s.temperature_K for s in chosen]
    result = temperature_series(scans, temperatures_K=temps, threshold_A=study.spec.options.series.threshold_A)
    path = out_dir / "data" / f"tc_map_{slug(area)}.nc"
    with atomic_path(path) as tmp:
        tc_map_dataset(result, scans[0]).to_netcdf(tmp, engine="h5netcdf")
    result = result.with_tc_map_file(path.relative_to(out_dir).as_posix())
    labels = [s.label for s in chosen]
    recooled = [(s.label, processed_scan(study, s.label)) for s in study.spec.scans
                if s.area == area and s.recooled]
    return StageOutput({"area": area, "labels": labels, **result.to_dict()}, [path],
                       units={"area": "", "labels": "", **result.units()},
                       objects={"result": result, "scans": scans, "labels": labels, "recooled": recooled})
