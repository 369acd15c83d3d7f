"""Nothing lost (#18): labels, areas, input paths and the output folder of a run."""
from __future__ import annotations

import json

import pytest

from scprobe.errors import ScprobeError
from scprobe.study import load_study
from scprobe.study.loader import StudyError
from scprobe.study.runner import run_study
from scprobe.study.schema import slug


def _with(study, old, new):
    text = study.read_text()
    assert old in text
    study.write_text(text.replace(old, new, 1))
    return study


@pytest.mark.parametrize("label, why", [("8_K recooled", "write the same files"), ("x" * 300, "at most 100"),
                                        ("a\\u0000b", "control characters"), ("\\u001b[2J", "control characters")])
def test_bad_labels_are_refused_at_load_naming_key_and_line(tiny_study, label, why):
    _with(tiny_study, 'label = "1.5K recooled"', f'label = "{label}"')
    if why == "write the same files":
        _with(tiny_study, 'label = "20K"', 'label = "8 K recooled"')
    with pytest.raises(StudyError, match=why) as err:
        load_study(tiny_study)
    assert "line " in str(err.value) and "label" in str(err.value)


def test_colliding_areas_and_dot_labels(tiny_study):
    assert slug("..") == "scan" and slug(".hidden") == "hidden"
    _with(tiny_study, 'area = "B"', 'area = "A "')
    with pytest.raises(StudyError, match="areas 'A ' and 'A' write the same files"):
        load_study(tiny_study)


@pytest.mark.parametrize("path", ["../../../../etc/passwd", "/etc/passwd"])
def test_inputs_outside_the_study_folder_need_an_explicit_option(tiny_study, path):
    _with(tiny_study, '"scans/B1-current-fwd.bcrf"', f'"{path}"')
    with pytest.raises(StudyError, match="outside the study's folder"):
        load_study(tiny_study)
    _with(tiny_study, "[transport]", "[options]\ninputs_outside_study = true\n\n[transport]")
    load_study(tiny_study, check_files=False)


def test_run_refuses_to_write_over_its_inputs(tiny_study):
    before = (tiny_study.parent / "scans" / "A1-current-fwd.bcrf").read_bytes()
    with pytest.raises(ScprobeError, match="holds the study's input"):
        run_study(tiny_study, tiny_study.parent, figures=False, report=False)
    with pytest.raises(ScprobeError, match="holds the study's input"):
        run_study(tiny_study, tiny_study.parent / "scans", figures=False, report=False)
    assert (tiny_study.parent / "scans" / "A1-current-fwd.bcrf").read_bytes() == before


def test_a_run_owns_its_folder(tiny_study, tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("do not delete")
    with pytest.raises(ScprobeError, match="not written by scprobe run"):
        run_study(tiny_study, foreign, figures=False, report=False)
    assert (foreign / "thesis.tex").read_text() == "do not delete"
    out = tmp_path / "out"
    first = run_study(tiny_study, out, figures=False, report=False)
    # an earlier run's stale outputs and a temporary left by SIGKILL are gone after the next run
    (out / "data" / "old-label.nc").write_bytes(b"stale")
    (out / ".summary.json.abc123.tmp").write_bytes(b"")
    second = run_study(tiny_study, out, figures=False, report=False)
    assert not (out / "data" / "old-label.nc").exists() and not (out / ".summary.json.abc123.tmp").exists()
    assert json.loads(second.summary_file.read_text())["stages"] == json.loads(first.summary_file.read_text())["stages"]
