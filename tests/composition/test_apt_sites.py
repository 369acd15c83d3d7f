"""Site composition with counting errors and site comparison, against generator truth."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.composition import analyze_composition
from scprobe.composition.sites import composition_from_atoms, compare_sites, ratio_with_error
from scprobe.errors import FormatError, ParameterError

from .conftest import NEEDLE1, NEEDLE2, make_needle


@pytest.fixture(scope="module")
def result(apt_study):
    return analyze_composition(apt=[apt_study / "needle1.pos", apt_study / "needle2.pos"],
                               ranges=apt_study / "FeSeTe.rrng")


def test_json_keys_and_order(result, apt_study):
    d = result.to_dict()
    assert list(d) == ["sites", "comparisons", "edx", "overlay"]
    assert [s["file"] for s in d["sites"]] == [str(apt_study / "needle1.pos"), str(apt_study / "needle2.pos")]
    assert list(d["sites"][0]) == ["file", "ions_total", "unranged_fraction", "cap_depth_m",
                                   "composition_at_pct", "composition_err_at_pct"]
    assert d["sites"][0]["ions_total"] == 200_000
    assert d["overlay"] is None and d["edx"] == {}
    assert list(d["comparisons"][0]) == ["ratio", "values", "errors", "z", "significant"]


@pytest.mark.parametrize("k,truth", [(0, NEEDLE1), (1, NEEDLE2)])
def test_composition_recovers_truth(result, k, truth):
    s = result.sites[k]
    for el, v in truth.items():
        # within 1 at.% and within 3 counting errors (+0.1 at.% for the cap's interface tail)
        assert abs(s.composition_at_pct[el] - v) < 1.0
        assert abs(s.composition_at_pct[el] - v) < 3 * s.composition_err_at_pct[el] + 0.1
    assert sum(s.composition_at_pct.values()) == pytest.approx(100)
    assert s.cap_depth_m == pytest.approx(20e-9, abs=3e-9)
    # 2 % uniform background over 1-150 Da, of which ranges cover 4.2 Da
    assert s.unranged_fraction == pytest.approx(0.02 * (1 - 4.2 / 149), abs=0.002)


def test_counting_errors_formula(result):
    s = result.sites[0]
    n = sum(s.atoms.values())
    for el, c in s.composition_at_pct.items():
        assert s.composition_err_at_pct[el] == pytest.approx(100 * np.sqrt(c / 100 * (1 - c / 100) / n))


def test_fe_te_difference_is_significant(result):
    by = {c.ratio: c for c in result.comparisons}
    assert list(by) == ["Fe/Se", "Fe/Te", "Se/Te"]  # O (0.3 at.%) is not a major element
    fete = by["Fe/Te"]
    assert fete.values[0] == pytest.approx(49.85 / 29.91, rel=0.02)
    assert fete.values[1] == pytest.approx(45.2 / 32.9, rel=0.02)
    assert fete.z < -3 and fete.significant
    z = (fete.values[1] - fete.values[0]) / np.hypot(*fete.errors)
    assert fete.z == pytest.approx(z)
    # Se/Te differs by 1.5 % only: 0.667 vs 0.657 -> not significant with 2e5 ions
    assert not by["Se/Te"].significant


def test_ratio_error_matches_multinomial_scatter():
    rng = np.random.default_rng(4)
    draws = rng.multinomial(20_000, [0.5, 0.2, 0.3], size=4000)
    ratios = draws[:, 0] / draws[:, 2]
    r, err = ratio_with_error(0.5 * 20_000, 0.3 * 20_000)
    assert r == pytest.approx(5 / 3)
    assert err == pytest.approx(ratios.std(), rel=0.05)


def test_composition_from_atoms_and_errors():
    pct, err = composition_from_atoms({"Fe": 50.0, "Te": 50.0})
    assert pct == {"Fe": 50.0, "Te": 50.0}
    assert err["Fe"] == pytest.approx(5.0)
    with pytest.raises(ParameterError):
        composition_from_atoms({"Fe": 0.0})


def test_cap_excluded_changes_oxygen(apt_study, result):
    from scprobe.composition.ranging import compile_ranges
    from scprobe.composition.sites import site_composition
    from scprobe.io.apt import read_pos, read_ranges

    c = compile_ranges(read_ranges(apt_study / "FeSeTe.rrng"))
    raw = site_composition(read_pos(apt_study / "needle1.pos"), c, exclude_cap=False)
    assert raw.cap_depth_m == 0.0
    # the 20 nm of 45 at.% O over 120 nm raise O to about 45 * 20 / 120 = 7.5 at.%
    assert raw.composition_at_pct["O"] == pytest.approx(7.5, abs=1.0)
    assert result.sites[0].composition_at_pct["O"] < 0.5


def test_three_sites_and_single_site(tmp_path, apt_study):
    make_needle(tmp_path / "n3.pos", NEEDLE1, n_ions=50_000, seed=9)
    r = analyze_composition(apt=[apt_study / "needle1.pos", tmp_path / "n3.pos", apt_study / "needle2.pos"],
                            ranges=apt_study / "FeSeTe.rrng")
    fete = next(c for c in r.comparisons if c.ratio == "Fe/Te")
    assert len(fete.values) == 3 and fete.significant
    assert compare_sites(r.sites[:1]) == []


def test_errors(tmp_path, apt_study):
    with pytest.raises(ParameterError, match="range file"):
        analyze_composition(apt=[apt_study / "needle1.pos"])
    bad = tmp_path / "overlap.rrng"
    bad.write_text("[Ions]\nNumber=2\nIon1=Fe\nIon2=Te\n[Ranges]\nNumber=2\n"
                   "Range1=55.0 56.5 Fe:1\nRange2=56.0 57.0 Te:1\n")
    with pytest.raises(FormatError, match="overlap"):
        analyze_composition(apt=[apt_study / "needle1.pos"], ranges=bad)
