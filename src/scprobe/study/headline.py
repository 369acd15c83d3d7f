"""The answers a study report gives first, computed from the stage results alone.

Is the sample homogeneous?  What would a four-probe measurement see?  What is
reproducible and what fluctuates?  Each answer is a small dict with the numbers
behind it and one plain ``statement``; an answer whose stage did not run says so.
"""
from __future__ import annotations

from typing import Any

from scprobe.transport import consistency

#: Conducting area fraction at the lowest temperature above which a map counts as homogeneous.
HOMOGENEOUS_FRACTION = 0.9


def _units(stages: dict, name: str) -> list[dict]:
    st = stages.get(name) or {}
    # units in study order (the summary keeps it), so "the first area" is the study's first
    return [u for u in (st.get("units") or {}).values() if u.get("status") == "ok"]


def _pct(x) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def homogeneity(stages: dict) -> dict[str, Any]:
    """Conducting fraction of the coldest scan of the first area, with its region count."""
    maps = [u["result"] for u in _units(stages, "map")]
    if not maps:
        return {"answer": "unknown", "statement": "No map analysis ran, so homogeneity is not assessed."}
    first_area = maps[0].get("area")
    cold = min((m for m in maps if m.get("area") == first_area and not m.get("recooled")),
               key=lambda m: m.get("temperature_K", 0.0), default=maps[0])
    frac = cold.get("conducting_fraction")
    regions = (cold.get("regions") or {}).get("count")
    out = {"scan": cold.get("label"), "temperature_K": cold.get("temperature_K"),
           "conducting_fraction": frac, "regions": regions}
    if frac is None:
        return {**out, "answer": "unknown", "statement": "The map analysis gave no conducting fraction."}
    homogeneous = frac >= HOMOGENEOUS_FRACTION
    where = f"at {cold.get('temperature_K')} K ({cold.get('label')})"
    if homogeneous:
        text = f"Yes: {_pct(frac)} of the mapped area conducts {where}."
    elif frac == 0:
        text = f"No conducting region was found {where}."
    else:
        text = (f"No: only {_pct(frac)} of the mapped area conducts {where}, in {regions} separate regions "
                "within a non-conducting matrix." if regions is not None else
                f"No: only {_pct(frac)} of the mapped area conducts {where}.")
    return {**out, "answer": "yes" if homogeneous else "no", "statement": text}


def _bulk_t_zero(stages: dict) -> tuple[bool, float | None]:
    """Whether a bulk resistivity was analysed, and its zero-resistance temperature (None: never zero)."""
    bulk = _units(stages, "bulk")
    rho = bulk[0]["result"].get("resistivity") if bulk else None
    if not rho:
        return False, None
    return True, rho.get("t_zero_K")


def four_probe(stages: dict) -> dict[str, Any]:
    """The transport verdict: what contacts on the map would see, the sample-scale answer in 2-D and 3-D,
    and, when the bulk resistivity was measured too, whether the two agree (``consistency``)."""
    tr = _units(stages, "transport")
    perc = _units(stages, "percolation")
    out: dict[str, Any] = {"verdict": None, "statement": ""}
    statements = []
    if tr:
        r = tr[0]["result"]
        out.update({"verdict": r["verdict"], "r_four_probe_ratio": r["resistance"]["r_four_probe_ratio"],
                    "sc_fraction": r["connectivity"]["sc_fraction"], "contact_span_m": r["contact_span_m"]})
        statements.append(r["explanation"])
    if perc:
        p = perc[0]["result"]
        out["dim_chosen"] = p["dim_chosen"]
        out["dim_reason"] = p["dim_reason"]
        for key in ("two_d", "three_d"):
            a = p[key]
            out[key] = {k: a[k] for k in ("critical_fraction", "critical_fraction_lower", "critical_fraction_upper",
                                          "p_zero_resistance", "p_zero_resistance_lower", "p_zero_resistance_upper",
                                          "percolates")}
        measured, t_zero = _bulk_t_zero(stages)
        if measured:
            c = consistency(p, t_zero_K=t_zero)
            out["consistency"] = c.to_dict()
            statements.insert(0, c.statement)
        else:
            a = p["three_d"] if p["dim_chosen"] == 3 else p["two_d"]
            statements.append(
                f"At the sample size in {p['dim_chosen']}-D, P(zero four-probe resistance) = "
                f"{_pct(a['p_zero_resistance'])} [{_pct(a['p_zero_resistance_lower'])}, "
                f"{_pct(a['p_zero_resistance_upper'])}]; no bulk resistivity to compare with.")
    if not statements:
        return {"verdict": None, "statement": "Neither the transport nor the percolation stage ran."}
    out["statement"] = " ".join(statements)
    return out


def reproducibility(stages: dict) -> dict[str, Any]:
    """Overlap of the conducting regions after re-cooling (Jaccard index and retained fraction)."""
    pairs = [u["result"] for u in _units(stages, "compare") if u["result"].get("kind") == "recool"]
    if not pairs:
        return {"jaccard": None, "statement": "No re-cooled scan was compared."}
    r = pairs[0]
    ov = r.get("overlap") or {}
    a, b = r.get("labels", ["?", "?"])
    j, kept = ov.get("jaccard"), ov.get("retained")
    text = (f"After re-cooling ({a} vs {b}) the conducting regions overlap with Jaccard index "
            f"{j:.2f}; {_pct(kept)} of the first map's conducting area is retained."
            if j is not None else "The re-cooling comparison gave no overlap.")
    return {"labels": [a, b], "jaccard": j, "retained": kept, "lost": ov.get("lost"), "gained": ov.get("gained"),
            "same_area": r.get("same_area"), "statement": text}


def fluctuation(stages: dict) -> dict[str, Any]:
    """Persistence of conducting spots between forward and backward traces."""
    pairs = [u["result"] for u in _units(stages, "compare") if u["result"].get("kind") == "fwd_bwd"]
    if not pairs:
        return {"persistence": None, "statement": "No scan with forward and backward traces was compared."}

    def n_spots(res):
        sp = res.get("spots") or {}
        return (sp.get("count_a") or 0) + (sp.get("count_b") or 0)

    # the scan whose traces hold the most spots is where fluctuation shows, if anywhere
    r = max(pairs, key=n_spots)
    sp = r.get("spots") or {}
    label = r.get("labels", ["?"])[0]
    p = sp.get("persistence")
    d = sp.get("diameter_m")
    if not (sp.get("count_a") or sp.get("count_b")):
        text = f"No conducting spots in either trace of {label}."
    else:
        size = f", about {d * 1e9:.0f} nm across" if isinstance(d, (int, float)) else ""
        text = (f"In {label}, {sp.get('count_a')} conducting spots in the forward trace and {sp.get('count_b')} "
                f"in the backward trace{size}; "
                f"{_pct(p)} persist between the traces, so the rest fluctuate from scan to scan.")
    return {"scan": label, "persistence": p, "count_forward": sp.get("count_a"), "count_backward": sp.get("count_b"),
            "diameter_m": d, "statement": text}


def headline(stages: dict) -> dict[str, Any]:
    """All answers, keyed ``homogeneous``, ``four_probe``, ``reproducible``, ``fluctuating``."""
    return {"homogeneous": homogeneity(stages), "four_probe": four_probe(stages),
            "reproducible": reproducibility(stages), "fluctuating": fluctuation(stages)}
