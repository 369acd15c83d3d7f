"""Study file validation: a good file loads; every error names the key and its line."""
from __future__ import annotations

import pytest

from scprobe.errors import ScprobeError
from scprobe.study import SCHEMA_VERSION, StudyError, load_study, parse_study
from scprobe.study.loader import key_lines


def _problem(exc: StudyError, key: str):
    hits = [p for p in exc.problems if p[0] == key]
    assert hits, f"no problem for {key!r} in {exc.problems}"
    return hits[0]


def test_good_study_loads(tiny_study):
    study = load_study(tiny_study)
    spec = study.spec
    assert spec.schema_version == SCHEMA_VERSION
    assert [s.label for s in spec.scans] == ["1.5K", "20K", "1.5K recooled", "B 1.5K"]
    assert spec.scans[2].recooled and spec.scans[2].bias_V == 0.05
    assert spec.transport.contacts == "vdp" and spec.percolation.realizations == 2
    assert spec.options.map.threshold_A is None and spec.options.map.process == []
    inputs = study.inputs()
    assert len(inputs) == 10 and all(p.is_file() for _, p in inputs)
    assert inputs[0][0] == "scans[0].files[0]"


def test_key_lines_tracks_tables_arrays_and_inline_tables():
    text = ('schema_version = 1\n[sample]\nname = "x" # c\n\n[[scans]]\nlabel = "a"\nfiles = [\n  "f1",\n  "f2",\n]\n'
            'temperature_K = 1.5\n[[scans]]\nlabel = "b"\n[[composition.sites]]\nname = "n"\n'
            '[options]\nmap = { threshold_A = 1e-9, process = ["scars"] }\n')
    lines = key_lines(text)
    assert lines[("sample", "name")] == 3
    assert lines[("scans", 0, "files")] == 7
    assert lines[("scans", 0, "temperature_K")] == 11
    assert lines[("scans", 1, "label")] == 13
    assert lines[("composition", "sites", 0, "name")] == 15
    assert lines[("options", "map", "process")] == 17


BAD = '''schema_version = 1

[sample]
name = "x"
dimensions_mm = [2.0, 3.0, -0.2]

[[scans]]
label = "1.5K"
files = ["scans/A1-current-fwd.bcrf"]
temperature_K = "cold"
bias_V = 0.1

[[scans]]
label = "1.5K"
files = ["scans/A1-current-fwd.bcrf", "scans/missing.bcrf"]
temperature_K = 8.0
bias_V = 0.1
colour = "red"

[transport]
contacts = "corners"
scan = "nope"

[options]
map = { threshold_A = -5e-10 }
'''


@pytest.mark.parametrize("key, line, words", [
    ("sample.dimensions_mm[2]", 5, "greater than 0"),
    ("scans[0].temperature_K", 10, "valid number"),
    ("scans[1].colour", 18, "unknown key"),
    ("transport.contacts", 21, "vdp, linear, bar"),
    ("options.map.threshold_A", 25, "greater than or equal to 0"),
])
def test_type_errors_name_key_and_line(tiny_study, key, line, words):
    with pytest.raises(StudyError) as info:
        parse_study(BAD, tiny_study)
    k, n, msg = _problem(info.value, key)
    assert n == line and words in msg
    assert f"line {line}: {key}" in str(info.value)


def test_semantic_errors_name_key_and_line(tiny_study):
    text = BAD.replace('"cold"', "1.5").replace("-0.2", "0.2").replace('colour = "red"\n', "")
    text = text.replace('"corners"', '"vdp"').replace("-5e-10", "5e-10")
    with pytest.raises(StudyError) as info:
        parse_study(text, tiny_study)
    assert _problem(info.value, "scans[1].label")[1:] == (14, "duplicate label '1.5K' (also scans[0])")
    key, line, msg = _problem(info.value, "scans[1].files[1]")
    assert line == 15 and "file not found" in msg and "missing.bcrf" in msg
    assert _problem(info.value, "transport.scan")[1:] == (21, "no scan labelled 'nope'")


def test_missing_required_key_points_at_its_table(tiny_study):
    text = 'schema_version = 1\n\n[sample]\nformula = "FeSe"\n'
    with pytest.raises(StudyError) as info:
        parse_study(text, tiny_study)
    assert _problem(info.value, "sample.name")[1:] == (3, "required key is missing")


def test_toml_syntax_error_names_line(tiny_study):
    with pytest.raises(StudyError, match="line 3"):
        parse_study('schema_version = 1\n[sample]\nname = "x\n', tiny_study)


def test_older_schema_version_says_what_changed(tiny_study):
    text = tiny_study.read_text().replace("schema_version = 1", "schema_version = 0")
    with pytest.raises(StudyError) as info:
        parse_study(text, tiny_study)
    msg = str(info.value)
    assert "line 1: schema_version: 0 is older" in msg
    assert "what changed: version 1:" in msg and "[[scans]]" in msg


def test_newer_and_missing_schema_version(tiny_study):
    with pytest.raises(StudyError, match="2 is newer than this scprobe reads"):
        parse_study(tiny_study.read_text().replace("schema_version = 1", "schema_version = 2"), tiny_study)
    with pytest.raises(StudyError, match="schema_version: missing"):
        parse_study('[sample]\nname = "x"\n', tiny_study)


def test_study_error_is_a_user_error_for_the_cli(tmp_path, cli):
    assert issubclass(StudyError, ScprobeError)
    bad = tmp_path / "study.toml"
    bad.write_text('schema_version = 1\n[sample]\nname = ""\n')
    code, out, err = cli("run", bad, "--out", tmp_path / "out", "--json")
    assert code == 2 and out == ""
    assert err.startswith("error: ") and "line 3: sample.name" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("table, words", [
    ('[transport]\ncontacts = "1,1;1,1;1,1;1,1"\n', "different pixels"),
    ('[transport]\ncontacts = "-1,0;5,0;9,0;12,0"\n', "non-negative"),
    ('[options]\nmap = { process = ["scars", "poly:x"] }\n', "unknown processing step 'poly:x'"),
])
def test_options_checked_when_the_study_is_loaded(tiny_study, table, words):
    text = 'schema_version = 1\n\n[sample]\nname = "x"\n\n' + table
    with pytest.raises(StudyError) as info:
        parse_study(text, tiny_study)
    assert words in str(info.value)


def test_explicit_contacts_are_parsed_at_load(tiny_study):
    text = 'schema_version = 1\n\n[sample]\nname = "x"\n\n[transport]\ncontacts = "1,2;30,2;10,2;20,2"\n'
    assert parse_study(text, tiny_study).spec.transport.contacts == [(1, 2), (30, 2), (10, 2), (20, 2)]
