"""study.units and the problem categories: typed units, a status enum with JSON strings, categories not prefixes."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from scprobe.study.loader import parse_study
from scprobe.study.schema import Category, Problem, StudySpec, semantic_errors
from scprobe.study.units import SAMPLE, Status, Unit


@pytest.mark.parametrize("unit, key", [
    (Unit("scan", ("1.5K",)), "1.5K"),
    (Unit("recool", ("8K", "8K recooled")), "recool:8K|8K recooled"),
    (Unit("fwd_bwd", ("20K",)), "fwd_bwd:20K"),
    (Unit("area", ("1.5K", "B 1.5K")), "area:1.5K|B 1.5K"),
    (Unit("series", ("A",)), "A"),
    (SAMPLE, "sample"),
])
def test_unit_keys_are_the_summary_names(unit, key):
    assert unit.key == key == str(unit)
    assert pickle.loads(pickle.dumps(unit)) == unit  # shipped to dask workers
    assert hash(Unit(unit.kind, list(unit.labels))) == hash(unit)


def test_labels_are_fields_not_parsed_from_the_key():
    # a label may contain ':' (only '|' is reserved by the schema): the fields stay exact
    unit = Unit("recool", ("run:1 8K", "run:2 8K"))
    assert unit.labels == ("run:1 8K", "run:2 8K") and unit.kind == "recool"
    assert Unit("fwd_bwd", ("a:b",)).label == "a:b"


@pytest.mark.parametrize("kind, labels", [("pair", ("a", "b")), ("recool", ("a",)), ("scan", ()),
                                          ("sample", ("x",))])
def test_malformed_units_are_refused(kind, labels):
    with pytest.raises(ValueError):
        Unit(kind, labels)


def test_status_is_its_json_string():
    assert json.dumps({"s": [Status.OK, Status.SKIPPED, Status.FAILED]}) == '{"s": ["ok", "skipped", "failed"]}'
    assert Status.OK == "ok" and f"{Status.FAILED:<7}|" == "failed |" and str(Status.SKIPPED) == "skipped"
    assert {"ok": "green"}[Status.OK] == "green"
    assert Status("failed") is Status.FAILED


@pytest.mark.parametrize("statuses, stage", [
    ([Status.OK, Status.FAILED], Status.FAILED), ([Status.OK, Status.SKIPPED], Status.OK),
    ([Status.SKIPPED], Status.SKIPPED), ([], Status.SKIPPED)])
def test_stage_status_from_its_units(statuses, stage):
    assert Status.of_stage(statuses) is stage


def _spec(**extra) -> StudySpec:
    return StudySpec.model_validate({
        "schema_version": 1, "sample": {"name": "x"},
        "scans": [{"label": "a", "files": ["a-current-fwd.bcrf"], "temperature_K": 1.5, "bias_V": 0.1},
                  {"label": "a", "files": ["b-current-fwd.bcrf"], "temperature_K": 8.0, "bias_V": 0.1}],
        **extra})


def test_problems_carry_categories(tmp_path: Path):
    (tmp_path / "a-current-fwd.bcrf").write_bytes(b"x")
    problems = semantic_errors(_spec(transport={"scan": "nope"}), tmp_path)
    assert all(isinstance(p, Problem) for p in problems)
    assert {(p.loc, p.category) for p in problems} == {
        (("scans", 1, "label"), Category.DUPLICATE),
        (("scans", 1, "files", 0), Category.MISSING_FILE),
        (("transport", "scan"), Category.UNKNOWN_LABEL),
    }


def test_check_files_false_drops_exactly_the_missing_files(tmp_path: Path):
    text = '''schema_version = 1
[sample]
name = "x"
[[scans]]
label = "a"
files = ["not-there-current-fwd.bcrf"]
temperature_K = 1.5
bias_V = 0.1
'''
    study = parse_study(text, tmp_path / "study.toml", check_files=False)
    assert [s.label for s in study.spec.scans] == ["a"]
    with pytest.raises(Exception, match="file not found"):
        parse_study(text, tmp_path / "study.toml")
