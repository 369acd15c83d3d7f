"""``scprobe demo`` output contracts (``run --json`` is checked in test_study_runner)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

KEYS = {"summary_file", "report_file", "seconds", "stages", "headline"}


@pytest.fixture()
def fake_simulator(monkeypatch, make_tiny_study):
    """``simulate_study`` replaced by the tiny hand-made study (the simulator has its own tests)."""
    import scprobe.simulate

    calls = []

    def simulate_study(outdir, seed=0, size=512):
        calls.append((seed, size))
        return make_tiny_study(Path(outdir))

    monkeypatch.setattr(scprobe.simulate, "simulate_study", simulate_study)
    return calls


def test_demo_ends_with_the_report_path(fake_simulator, tmp_path, cli):
    code, out, err = cli("demo", "--out", tmp_path / "demo", "--seed", "3", "--size", "128", "--workers", "1",
                         "--no-figures")
    assert code == 0, err
    assert fake_simulator == [(3, 128)]
    last = out.strip().splitlines()[-1]
    assert last == str(tmp_path / "demo" / "results" / "report.html")
    assert Path(last).is_file()


def test_demo_json(fake_simulator, tmp_path, cli):
    code, out, err = cli("demo", "--out", tmp_path / "demo", "--json", "--workers", "1", "--no-figures")
    assert code == 0, err
    res = json.loads(out)
    assert set(res) == KEYS
    assert set(res["stages"].values()) <= {"ok", "skipped"}
    assert Path(res["report_file"]).is_file() and Path(res["summary_file"]).is_file()
    assert set(res["headline"]) == {"homogeneous", "four_probe", "reproducible", "fluctuating"}


def test_progress_lines_on_stderr_when_not_a_terminal(fake_simulator, tmp_path, cli):
    """CI logs and batch jobs: one line per finished unit (stage, unit, seconds) on stderr, stdout stays JSON."""
    code, out, err = cli("demo", "--out", tmp_path / "demo", "--json", "--workers", "1", "--no-figures")
    assert code == 0, err
    json.loads(out)
    lines = [ln for ln in err.splitlines() if ln.startswith("study ")]
    assert lines and lines[0].startswith("study 1/")
    import re

    assert all(re.fullmatch(r"study \d+/\d+ \w+ .+ \(\d+\.\d s\)", ln) for ln in lines), lines
    assert any(" map " in ln for ln in lines)
