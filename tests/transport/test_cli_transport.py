"""``scprobe transport`` and ``scprobe percolate`` end to end on the simulated 1.5 K scan."""
from __future__ import annotations

import json

import pytest

#: The JSON keys of `scprobe transport --json`: top level, then grouped (resistance, connectivity, solver).
KEYS = ("verdict", "explanation", "model", "contacts", "contact_positions_px", "contact_span_m", "threshold_A")
GROUPS = {"resistance": ("r_four_probe_rsq", "r_four_probe_ohm", "r_four_probe_ratio", "r_two_probe_rsq",
                         "r_two_probe_ratio", "r_a_rsq", "r_b_rsq", "vdp_sheet_resistance_rsq", "anisotropy",
                         "matrix_sheet_resistance_ohm"),
          "connectivity": ("current_contacts_connected", "voltage_probes_on_path", "voltage_probes_shorted",
                           "spanning_x", "spanning_y", "sc_fraction", "largest_cluster_fraction",
                           "current_fraction_in_sc"),
          "solver": ("residual", "iterations", "method", "n_unknowns")}


@pytest.fixture(scope="session")
def scan_1p5k(tmp_path_factory):
    from scprobe.simulate.study import simulate_study

    study = simulate_study(tmp_path_factory.mktemp("study"), seed=0, size=128)
    return study.parent / "scans" / "A01_1p5K-current-fwd.bcrf"


def test_transport_json_and_figures(cli, scan_1p5k, tmp_path):
    code, out, err = cli("transport", scan_1p5k, "--json", "--out", tmp_path)
    assert code == 0, err
    d = json.loads(out)
    for key in KEYS:
        assert key in d
    for group, keys in GROUPS.items():
        for key in keys:
            assert key in d[group]
    assert d["verdict"] in ("bulk_like", "percolating_minority", "bypass", "probe_short", "resistive")
    conn = d["connectivity"]
    assert 0 < conn["sc_fraction"] < 1 and d["solver"]["residual"] < 1e-9
    # the simulated 1.5 K scan has two isolated conducting regions (2 % of the area): nothing spans
    assert d["verdict"] == "resistive" and not conn["spanning_x"] and not conn["spanning_y"]
    assert 0 < d["resistance"]["r_four_probe_ratio"] < 1
    # without R_sq in ohm the ohm values are absent (null), the R_sq ones present
    assert d["resistance"]["r_four_probe_ohm"] is None and d["resistance"]["r_four_probe_rsq"] > 0
    # what contacts at the map's scale see: vdp corners 1 and 2 of a 128 px map are 127 pixels apart
    from scprobe.io import open_scan

    span = 127 * open_scan(scan_1p5k).attrs["pixel_size_m"]
    assert d["contact_span_m"] == pytest.approx(span)
    assert d["explanation"].startswith(f"Contacts at the map's scale (current contacts {span * 1e6:.3g} µm apart)")
    assert (tmp_path / "four_probe_map.png").stat().st_size > 10_000
    assert json.loads((tmp_path / "transport.json").read_text())["verdict"] == d["verdict"]


def test_transport_linear_proportional(cli, scan_1p5k):
    code, out, err = cli("transport", scan_1p5k, "--contacts", "linear", "--model", "proportional",
                         "--matrix-sheet-resistance-ohm", "10", "--json")
    assert code == 0, err
    d = json.loads(out)
    res = d["resistance"]
    assert d["verdict"] == "resistive" and res["r_four_probe_ohm"] > 0 and d["noise_clamped_pixels"] > 0
    assert res["r_four_probe_ohm"] == pytest.approx(10 * res["r_four_probe_rsq"])
    assert res["r_a_ohm"] is None and res["matrix_sheet_resistance_ohm"] == 10.0


def test_percolate_json(cli, scan_1p5k, tmp_path):
    code, out, err = cli("percolate", scan_1p5k, "--sample-size-m", "2e-6", "--realizations", "3",
                         "--thickness-m", "2e-4", "--json", "--out", tmp_path)
    assert code == 0, err
    d = json.loads(out)
    assert 0 <= d["p_zero_resistance_lower"] <= d["p_zero_resistance"] <= d["p_zero_resistance_upper"] <= 1
    assert d["dim_chosen"] == 3 and "thick" in d["dim_reason"]
    for key in ("two_d", "three_d"):
        assert len(d[key]["r_ratios"]) == 3 and len(d[key]["sizes_m"]) == 3
        assert d[key]["critical_fraction_lower"] <= d[key]["critical_fraction"] <= d[key]["critical_fraction_upper"]
    assert d["correlation_length_along_m"] >= d["correlation_length_across_m"] > 0
    assert (tmp_path / "percolation.png").exists()
    # --dim overrides the choice by thickness
    code, out, err = cli("percolate", scan_1p5k, "--sample-size-m", "2e-6", "--realizations", "2",
                         "--thickness-m", "2e-4", "--dim", "2", "--json")
    assert code == 0, err
    assert json.loads(out)["dim_chosen"] == 2


def test_bad_input(cli, scan_1p5k, tmp_path):
    code, out, err = cli("transport", tmp_path / "missing.bcrf")
    assert code == 2 and err.startswith("error:") and out == ""
    code, out, err = cli("transport", scan_1p5k, "--contacts", "1,2;3")
    assert code == 2 and "contacts" in err
    code, out, err = cli("percolate", scan_1p5k, "--dim", "5")
    assert code == 2 and "dim" in err


@pytest.mark.parametrize("args, word", [(("--seed", "-1"), "seed"), (("--sample-size-m", "1e-300"), "sample size"),
                                        (("--sample-size-m", "1e-9"), "sample size"),
                                        (("--thickness-m", "0"), "thickness"),
                                        (("--realizations", "1"), "realizations")])
def test_percolate_impossible_numbers_are_clean_errors(cli, scan_1p5k, args, word):
    code, out, err = cli("percolate", scan_1p5k, *args)
    assert code == 2 and out == "" and err.startswith("error:") and word in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "Warning" not in err
