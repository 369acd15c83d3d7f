"""Nothing outlives a run: a scan rewritten between two runs in one process is read again; only timing differs."""
from __future__ import annotations

import json

import numpy as np
import pytest

from scprobe.io import bcr
from scprobe.scan import sha256_file
from scprobe.study.common import SCANS
from scprobe.study.runner import run_study

from .conftest import PIXEL_M


def _summary(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_rewritten_scan_is_analysed_from_the_new_data(tiny_study, tmp_path):
    first = _summary(run_study(tiny_study, tmp_path / "one", figures=False, report=False).summary_file)
    frac = first["stages"]["map"]["units"]["1.5K"]["result"]["conducting_fraction"]
    assert frac == pytest.approx(20 * 30 / 64**2, rel=0.15)  # the hand-made 20 x 30 px block
    # same size and name, new content: a 40 x 40 px block (mtime changes, size does not)
    path = tiny_study.parent / "scans" / "A1-current-fwd.bcrf"
    rng = np.random.default_rng(1)
    new = rng.normal(0, 1e-10, (64, 64))
    new[10:50, 10:50] += 5.5e-6
    bcr.write(new, path, (64 * PIXEL_M, 64 * PIXEL_M), "A")
    second = _summary(run_study(tiny_study, tmp_path / "two", figures=False, report=False).summary_file)
    frac2 = second["stages"]["map"]["units"]["1.5K"]["result"]["conducting_fraction"]
    assert frac2 == pytest.approx(40 * 40 / 64**2, rel=0.1)
    inputs = {i["path"]: i["sha256"] for i in second["inputs"]}
    assert inputs["scans/A1-current-fwd.bcrf"] == sha256_file(path)
    assert SCANS.run_id is None and not SCANS._scans  # nothing kept after the run


def test_cache_key_follows_the_file_on_disk(tiny_study):
    from scprobe.study import load_study
    from scprobe.study.common import load_scan

    study = load_study(tiny_study)
    SCANS.begin("test")
    try:
        a = load_scan(study, "1.5K")
        assert load_scan(study, "1.5K") is a  # one read per run
        path = tiny_study.parent / "scans" / "A1-topo-fwd.bcrf"  # a sibling file of the same scan
        data = bcr.read(path)[0].data * 2
        bcr.write(data, path, (64 * PIXEL_M, 64 * PIXEL_M), "m")
        b = load_scan(study, "1.5K")
        assert b is not a and float(b["topography"].max()) == pytest.approx(2 * float(a["topography"].max()))
        SCANS.begin("another run")
        assert load_scan(study, "1.5K") is not b
    finally:
        SCANS.clear()


def test_two_identical_runs_differ_only_in_timing(tiny_study, tmp_path):
    texts = []
    for name in ("a", "b"):
        res = run_study(tiny_study, tmp_path / name, figures=False, report=False)
        summary = _summary(res.summary_file)
        assert summary["timing"]["total_seconds"] > 0
        summary.pop("timing")
        texts.append(json.dumps(summary, indent=2))
    assert texts[0] == texts[1]
    assert '"seconds"' not in texts[0]
