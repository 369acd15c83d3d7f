"""Stages on the sample as a whole: transport, percolation, bulk and composition (one unit each)."""
from __future__ import annotations

from pathlib import Path

from scprobe.bulk import SampleGeometry, analyze_bulk
from scprobe.composition import analyze_composition
from scprobe.scan import channel
from scprobe.study.common import StageOutput, processed_scan
from scprobe.study.loader import Study
from scprobe.study.units import SAMPLE, Unit
from scprobe.transport import four_probe, percolate

def transport_scan(study: Study) -> str | None:
    """Label of the scan transport and percolation use: ``[transport].scan``, else the coldest scan."""
    if study.spec.transport is not None and study.spec.transport.scan is not None:
        return study.spec.transport.scan
    scans = [s for s in study.spec.scans if not s.recooled] or list(study.spec.scans)
    if not scans:
        return None
    first_area = scans[0].area
    return min((s for s in scans if s.area == first_area), key=lambda s: s.temperature_K).label


# ---------------------------------------------------------------- transport
def transport_units(study: Study) -> list[Unit]:
    return [SAMPLE] if study.spec.transport is not None and transport_scan(study) else []


def transport_unit(study: Study, out_dir: Path, unit: Unit) -> StageOutput:
    """Simulated four-probe / van der Pauw measurement on the transport scan's map."""
    t = study.spec.transport
    label = transport_scan(study)
    scan = processed_scan(study, label)
    result = four_probe(scan, contacts=t.contacts, model=t.model,
                        threshold_A=study.spec.options.transport.threshold_A)
    topo = channel(scan, "topography").values if "topography" in scan.data_vars else None
    return StageOutput({"scan": label, "contacts": t.contacts, "model": t.model, **result.to_dict()},
                       units={"scan": "", "contacts": "", "model": "", **result.units()},
                       objects={"result": result, "topography": topo})


# ---------------------------------------------------------------- percolation
def percolation_units(study: Study) -> list[Unit]:
    return [SAMPLE] if study.spec.percolation is not None and transport_scan(study) else []


def percolation_unit(study: Study, out_dir: Path, unit: Unit) -> StageOutput:
    """Extrapolation of the transport scan's statistics to the sample size."""
    p = study.spec.percolation
    label = transport_scan(study)
    scan = processed_scan(study, label)
    dims = study.spec.sample.dimensions_mm
    # a crystal's thickness is its smallest edge; with it the map's correlation lengths choose 2-D or 3-D
    thickness_m = min(dims) * 1e-3 if dims is not None else None
    result = percolate(scan, sample_size_m=p.sample_size_m, realizations=p.realizations, dim=p.dim,
                       thickness_m=thickness_m, seed=p.seed, threshold_A=study.spec.options.transport.threshold_A)
    return StageOutput({"scan": label, **result.to_dict()}, units={"scan": "", **result.units()},
                       objects={"result": result})


# ---------------------------------------------------------------- bulk
_BULK_KEYS = ("resistivity", "susceptibility", "heat_capacity", "mh")


def bulk_units(study: Study) -> list[Unit]:
    b = study.spec.bulk
    return [SAMPLE] if b is not None and any(getattr(b, k) for k in _BULK_KEYS) else []


def bulk_unit(study: Study, out_dir: Path, unit: Unit) -> StageOutput:
    """rho(T), chi(T), C(T) and M(H) analyses with the sample geometry of ``[sample]``."""
    b = study.spec.bulk
    files = {k: (study.resolve(getattr(b, k)) if getattr(b, k) else None) for k in _BULK_KEYS}
    geometry = SampleGeometry.from_study(study.spec.sample.model_dump())
    result = analyze_bulk(**files, geometry=geometry, field_Oe=b.field_Oe)
    missing = [k for k in _BULK_KEYS if files[k] is None]
    note = f"no data for {', '.join(missing)}" if missing else ""
    return StageOutput(result.to_dict(), [], note, units=result.units(), objects={"result": result})


# ---------------------------------------------------------------- composition
def composition_units(study: Study) -> list[Unit]:
    c = study.spec.composition
    return [SAMPLE] if c is not None and (c.sites or c.sem or c.edx) else []


def composition_unit(study: Study, out_dir: Path, unit: Unit) -> StageOutput:
    """Atom-probe composition per site, SEM overlay of the map and EDX homogeneity."""
    c = study.spec.composition
    scan = processed_scan(study, c.overlay_scan) if c.overlay_scan and c.sem else None
    result = analyze_composition(
        apt=[study.resolve(s.apt) for s in c.sites],
        ranges=study.resolve(c.ranges) if c.ranges else None,
        sem=study.resolve(c.sem) if c.sem else None,
        sem_pixel_size_m=c.sem_pixel_size_m,
        scan=scan,
        sites=[{"name": s.name, "sem_xy_px": list(s.sem_xy_px) if s.sem_xy_px else None} for s in c.sites],
        edx=[study.resolve(f) for f in c.edx],
    )
    return StageOutput({"overlay_scan": c.overlay_scan, **result.to_dict()},
                       units={"overlay_scan": "", **result.units()},
                       objects={"result": result, "edx_files": [study.resolve(f) for f in c.edx]})
