"""``scprobe map``: JSON on stdout, figures and mask files, one-line errors with exit 2."""
from __future__ import annotations

import json

import numpy as np
import pytest

from scprobe.io import open_scan


@pytest.fixture(scope="module")
def current_file(study):
    root, truth = study
    t = truth["scans"]["1.5K"]
    return root / next(f for f in t["files"] if "current" in f and "fwd" in f), t


def test_json_output(cli, current_file):
    path, t = current_file
    code, out, err = cli("map", path, "--json", "--resistivity-ohm-m", "3e-6")
    assert code == 0, err
    d = json.loads(out)
    assert d["file"] == str(path)
    assert d["regions"]["count"] == t["region_count"]
    assert d["spreading_resistance_ohm"] == pytest.approx(75.0)
    assert d["contact_limited"] is True
    assert d["figures"] == []
    # with a mean free path: both regimes side by side, the regime chosen from l / a
    code, out, err = cli("map", path, "--json", "--resistivity-ohm-m", "3e-6", "--mean-free-path-m", "1e-6")
    assert code == 0, err
    c = json.loads(out)["contact"]
    assert c["regime"] == "ballistic" and c["knudsen_ratio"] == pytest.approx(100.0)
    assert c["maxwell_ohm"] == pytest.approx(75.0) and c["sharvin_ohm"] == pytest.approx(4 * 3e-6 * 1e-6 / (3 * np.pi * 1e-16))
    code, out, _ = cli("map", path, "--resistivity-ohm-m", "3e-6", "--mean-free-path-m", "1e-6")
    assert code == 0 and "ballistic" in out and "Sharvin" in out


def test_process_and_figures(cli, current_file, tmp_path):
    path, _ = current_file
    code, out, err = cli("map", path, "--process", "scars,rows:median,plane", "--out", tmp_path, "--json")
    assert code == 0, err
    d = json.loads(out)
    assert [h["step"] for h in d["processing"]][-2:] == ["rows", "plane"]
    names = sorted(p.split("/")[-1] for p in d["figures"])
    stem = path.stem
    assert names == sorted(["fig2_maps.png", "current_histogram.png", "figS4_edges.png", "figS5_traces.png", f"{stem}_mask.npy",
                            f"{stem}_mask.gwy"])
    mask = np.load(tmp_path / f"{stem}_mask.npy")
    assert mask.mean() == pytest.approx(d["conducting_fraction"])
    back = open_scan(tmp_path / f"{stem}_mask.gwy")
    gwy_mask = next(back[v] for v in back.data_vars if v.endswith("mask"))
    if "direction" in gwy_mask.dims:  # the whole scan is written; the mask lies over the analysed trace
        gwy_mask = gwy_mask.sel(direction=d["direction"])
    gwy_mask = gwy_mask.values
    assert np.array_equal(gwy_mask.astype(bool), mask)


def test_human_summary(cli, current_file):
    code, out, _ = cli("map", current_file[0])
    assert code == 0
    assert "conducting fraction" in out and "artefact checks" in out


@pytest.mark.parametrize("args,message", [
    (["--threshold-A", "-1e-9"], "threshold"),
    (["--channel", "topography"], "not a current"),
    (["--process", "flatten"], "processing step"),
    (["--channel", "nonexistent"], "no channel"),
])
def test_errors_exit_2(cli, current_file, args, message):
    code, out, err = cli("map", current_file[0], *args, "--json")
    assert code == 2
    assert out == ""
    assert err.startswith("error:") and message in err and len(err.strip().splitlines()) == 1


def test_missing_file(cli, tmp_path):
    code, _, err = cli("map", tmp_path / "nope.bcrf")
    assert code == 2 and err.startswith("error:")
