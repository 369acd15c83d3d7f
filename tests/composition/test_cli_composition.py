"""``scprobe composition``: JSON contract, figures, one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest


def test_json_output(cli, apt_study, overlay_scene, tmp_path):
    rng = np.random.default_rng(0)
    edx = tmp_path / "EDX_Fe.csv"
    np.savetxt(edx, rng.poisson(30, (40, 40)), delimiter=",", fmt="%d")
    s1, s2 = (overlay_scene["sites"][k]["sem_xy_px"] for k in ("needle1", "needle2"))
    code, out, err = cli("composition", "--apt", apt_study / "needle1.pos", "--apt", apt_study / "needle2.pos",
                         "--ranges", apt_study / "FeSeTe.rrng", "--sem", overlay_scene["sem"],
                         "--map", overlay_scene["map_files"][1], "--site", f"needle1:{s1[0]},{s1[1]}",
                         "--site", f"needle2:{s2[0]},{s2[1]}", "--edx", edx,
                         "--control-points", overlay_scene["control_points"], "--json")
    assert code == 0, err
    d = json.loads(out)
    assert list(d) == ["sites", "comparisons", "edx", "overlay"]
    assert [s["cap_depth_m"] for s in d["sites"]] == pytest.approx([20e-9, 20e-9], abs=3e-9)
    fete = next(c for c in d["comparisons"] if c["ratio"] == "Fe/Te")
    assert fete["significant"] is True
    assert d["overlay"]["scale"] == pytest.approx(1.02, rel=1e-4)
    assert [s["region"] for s in d["overlay"]["sites"]] == ["insulating", "conducting"]
    assert d["edx"]["Fe"]["homogeneous"] is True


def test_figures_and_summary(cli, apt_study, tmp_path):
    out_dir = tmp_path / "fig"
    code, out, err = cli("composition", "--apt", apt_study / "needle1.pos", "--apt", apt_study / "needle2.pos",
                         "--ranges", apt_study / "FeSeTe.rrng", "--out", out_dir)
    assert code == 0, err
    assert "Fe/Te" in out and "significant" in out
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["composition.json", "depth_profile_needle1.png", "depth_profile_needle2.png",
                     "fig5b_atom_map_needle1.png", "fig5b_atom_map_needle2.png", "fig5cd_composition_sites.png",
                     "mass_spectrum_needle1.png", "mass_spectrum_needle2.png"]
    for n in names:
        if n.endswith(".png"):
            assert (out_dir / n).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out_dir / "composition.json").read_text())["sites"][0]["ions_total"] == 200_000


@pytest.mark.parametrize("make,msg", [
    (lambda d: ["--apt", d / "needle1.pos"], "range file"),
    (lambda d: [], "nothing to do"),
    (lambda d: ["--apt", d / "trunc.pos", "--ranges", d / "FeSeTe.rrng"], "not a multiple of the 16-byte"),
    (lambda d: ["--apt", d / "needle1.pos", "--ranges", d / "missing.rrng"], "no such file"),
    (lambda d: ["--edx", d / "FeSeTe.rrng", "--edx-elements", "Fe"], "no numeric rows"),
])
def test_errors_are_one_line(cli, apt_study, tmp_path, make, msg):
    trunc = apt_study / "trunc.pos"
    if not trunc.exists():
        trunc.write_bytes((apt_study / "needle1.pos").read_bytes()[:1000 * 16 + 7])
    code, out, err = cli("composition", *make(apt_study), "--json")
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and msg in err and err.count("\n") == 1
