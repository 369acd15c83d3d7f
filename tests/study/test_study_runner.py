"""The study runner: every stage recorded, failures isolated, same results whatever the workers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scprobe import __version__
from scprobe.report.render import RENDERER
from scprobe.scan import sha256_file
from scprobe.study.runner import STAGES, StageDef, run_study
from scprobe.study.scan_stages import compare_units, series_units
from scprobe.study.units import Unit


def _strip(obj):
    """A summary without wall times (the only thing allowed to differ between runs)."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k not in ("seconds", "timing")}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, make_tiny_study):
    root = tmp_path_factory.mktemp("tiny")
    study = make_tiny_study(root / "study")
    res = run_study(study, root / "out", figures=False, render=RENDERER)  # figures are checked on the simulated study
    return study, res, json.loads(res.summary_file.read_text())


def test_units_follow_the_study(tiny_study):
    from scprobe.study import load_study

    study = load_study(tiny_study)
    assert compare_units(study) == [Unit("recool", ("1.5K", "1.5K recooled")), Unit("fwd_bwd", ("20K",)),
                                    Unit("area", ("1.5K", "B 1.5K"))]
    assert [u.key for u in compare_units(study)] == ["recool:1.5K|1.5K recooled", "fwd_bwd:20K", "area:1.5K|B 1.5K"]
    assert series_units(study) == [Unit("series", ("A",))]


def test_summary_records_everything(tiny_run):
    study, res, summary = tiny_run
    assert set(summary["stages"]) == set(STAGES) == set(res.stages)
    assert summary["scprobe_version"] == __version__ and summary["schema_version"] == 1
    assert summary["options"]["transport"]["contacts"] == "vdp"
    inputs = {i["path"]: i["sha256"] for i in summary["inputs"]}
    assert inputs["scans/A1-current-fwd.bcrf"] == sha256_file(study.parent / "scans/A1-current-fwd.bcrf")
    assert len(inputs) == 10
    timing = summary["timing"]
    assert timing["total_seconds"] > 0 and set(timing["stage_seconds"]) == set(STAGES) == set(timing["unit_seconds"])
    assert set(timing["unit_seconds"]["map"]) == set(summary["stages"]["map"]["units"])
    # stages without data say why; nothing failed
    assert summary["stages"]["bulk"] == {"status": "skipped", "note": "no [bulk] data files", "units": {}}
    assert "failed" not in res.stages.values() and not res.failed
    for name, st in summary["stages"].items():
        for unit, rec in st["units"].items():
            if unit.startswith("area:"):
                # another area is not the same area: no overlap numbers, a note instead
                assert rec["status"] == "not comparable" and rec["result"]["overlap"] is None, rec
                assert rec["note"].startswith("not comparable: ")
                continue
            assert rec["status"] in ("ok", "skipped"), (name, unit, rec["error"])
            for f in rec["figures"] + rec["files"]:
                assert (res.summary_file.parent / f).is_file()
    assert res.report_file.is_file() and res.report_file.stat().st_size > 1000
    assert set(res.headline) == {"homogeneous", "four_probe", "reproducible", "fluctuating"}


def test_stage_that_finds_nothing_says_so(tiny_run):
    _, _, summary = tiny_run
    comp = summary["stages"]["compare"]
    assert comp["status"] == "ok", comp.get("note")
    fb = comp["units"]["fwd_bwd:20K"]
    # the backward trace of the 20 K scan holds no spot; the row is there and says what was found
    assert fb["result"]["spots"]["count_b"] == 0
    recool = comp["units"]["recool:1.5K|1.5K recooled"]["result"]
    # hand-made maps: 20 x 30 px region, re-cooled 19 x 31 px shifted by one row -> Jaccard 570 / 620
    assert recool["overlap"]["jaccard"] == pytest.approx(570 / 620, abs=0.02)
    assert summary["headline"]["reproducible"]["jaccard"] == recool["overlap"]["jaccard"]


def _boom(study, out, unit):
    raise RuntimeError("simulated crash in the stage")


def test_failed_stage_is_recorded_and_others_run(tiny_study, tmp_path, monkeypatch, cli):
    monkeypatch.setitem(STAGES, "transport", StageDef(STAGES["transport"].units, _boom, "n/a"))
    code, out, err = cli("run", tiny_study, "--out", tmp_path / "out", "--json", "--no-figures")
    assert code == 1
    res = json.loads(out)
    assert set(res) == {"summary_file", "report_file", "seconds", "stages", "headline"}
    assert res["stages"]["transport"] == "failed"
    assert res["stages"]["series"] in ("ok", "skipped")
    summary = json.loads(Path(res["summary_file"]).read_text())
    rec = summary["stages"]["transport"]["units"]["sample"]
    assert rec["error"] == "RuntimeError: simulated crash in the stage"
    log = tmp_path / "out" / "logs" / "transport-sample.txt"
    assert "Traceback" in log.read_text()
    assert "simulated crash" in Path(res["report_file"]).read_text()


def test_bad_workers_is_a_user_error(tiny_study, tmp_path, cli):
    code, out, err = cli("run", tiny_study, "--out", tmp_path / "o", "--workers", "0")
    assert code == 2 and "error:" in err


@pytest.mark.slow
def test_same_summary_with_two_workers(tiny_run, tmp_path):
    study, _, summary = tiny_run
    res = run_study(study, tmp_path / "out2", workers=2, figures=False, render=RENDERER)
    other = json.loads(res.summary_file.read_text())
    assert other["timing"]["workers"] == 2
    assert _strip(other) == _strip(summary)


def test_methods_follow_the_processing_history_and_text_is_escaped(tmp_path, make_tiny_study):
    study = make_tiny_study(tmp_path / "study", header_name="<script>window.pwned = 1</script>",
                            extra='\n[options]\nmap = { process = ["scars"] }\n')
    res = run_study(study, tmp_path / "out", figures=False, render=RENDERER)
    summary = json.loads(res.summary_file.read_text())
    unit = summary["stages"]["map"]["units"]["1.5K"]
    assert unit["status"] == "ok", unit.get("error")
    steps = {h["step"] for h in unit["result"]["history"]}
    assert steps == {"scars"}
    html = res.report_file.read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in html
    assert "Processing applied to the maps of 1.5K, 20K, 1.5K recooled, B 1.5K, in this order: scars" in html
    assert "Not applied: row alignment, plane levelling, polynomial background subtraction, cropping." in html
    # processed data carry their history: the .nc file says what was applied
    from scprobe.io import open_scan

    nc = open_scan(res.summary_file.parent / "data" / "1.5K.nc")
    assert [h["step"] for h in nc.attrs["history"]] == [h["step"] for h in unit["result"]["history"]]
