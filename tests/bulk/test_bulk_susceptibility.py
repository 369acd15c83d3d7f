"""chi(T): SI volume susceptibility, Aharoni demagnetisation, ZFC/FC branches, fractions, onset."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scprobe.bulk import (analyze_susceptibility, demag_correct, demag_factor_prism, diamagnetic_onset,
                          split_zfc_fc, volume_susceptibility)
from scprobe.errors import ParameterError


def test_demag_cube_sum_rule_and_limits():
    assert demag_factor_prism((1.0, 1.0, 1.0)) == pytest.approx(1 / 3, abs=1e-12)
    for dims in ((2.0, 3.0, 0.2), (1.0, 5.0, 7.0), (0.3, 0.3, 4.0)):
        total = sum(demag_factor_prism(dims, ax) for ax in "abc")
        assert total == pytest.approx(1.0, abs=1e-9)
    # thin plate in a perpendicular field -> 1; long needle along the field -> 0
    assert demag_factor_prism((1.0, 1.0, 1e-3)) > 0.99
    assert demag_factor_prism((1.0, 1.0, 1e-4)) > demag_factor_prism((1.0, 1.0, 1e-3))
    assert demag_factor_prism((1.0, 1.0, 1e3)) < 1e-3
    # a relabelling of the two transverse edges changes nothing
    assert demag_factor_prism((2.0, 3.0, 0.2)) == pytest.approx(demag_factor_prism((3.0, 2.0, 0.2)), rel=1e-12)
    # reference-study geometry (2 x 3 x 0.2 mm, H || c)
    assert demag_factor_prism((2.0, 3.0, 0.2), "c") == pytest.approx(0.82806, abs=1e-5)


def test_demag_bad_input():
    with pytest.raises(ParameterError, match="field axis"):
        demag_factor_prism((1, 1, 1), "z")
    with pytest.raises(ParameterError, match="three positive"):
        demag_factor_prism((1, 0, 1))


def test_perfect_diamagnet_reads_minus_one_after_correction():
    N, vol, H = 0.8, 1.2e-3, 10.0
    chi_meas = -1 / (1 - N)
    moment = chi_meas * H * vol / (4 * math.pi)  # emu
    chi_v = volume_susceptibility(moment, H, vol)
    assert chi_v == pytest.approx(chi_meas, rel=1e-12)
    assert demag_correct(chi_v, N) == pytest.approx(-1.0, rel=1e-12)
    with pytest.raises(ParameterError, match="non-zero applied field"):
        volume_susceptibility(moment, 0.0, vol)
    with pytest.raises(ParameterError, match="volume must be positive"):
        volume_susceptibility(moment, H, 0.0)


def _branches(f_zfc=0.95, f_fc=0.1, N=0.8, tc=14.4, delta=2.0):
    T = np.arange(2.0, 25.01, 0.25)

    def chi_true(T, f):
        return -f * np.clip((tc - T) / delta, 0, 1)

    zfc = chi_true(T, f_zfc)
    fc = chi_true(T[::-1], f_fc)
    meas = lambda c: c / (1 + N * c)  # noqa: E731
    return np.r_[T, T[::-1]], np.r_[meas(zfc), meas(fc)], T.size


def test_fractions_and_onset_after_demag_correction():
    T, chi_m, n = _branches()
    comments = ["ZFC"] + [""] * (n - 1) + ["FC"] + [""] * (n - 1)
    r = analyze_susceptibility(T, chi_m, demag_factor=0.8, comments=comments)
    assert abs(r.shielding_fraction - 0.95) < 0.02
    assert abs(r.meissner_fraction - 0.10) < 0.02
    # chi is linear in T below Tc: the steepest tangent meets the baseline exactly at Tc
    assert abs(r.tc_onset_K - 14.4) < 0.05
    assert r.to_dict().keys() == {"demag_factor", "shielding_fraction", "meissner_fraction", "tc_onset_K"}


def test_split_by_comment_and_by_sweep():
    T, _, n = _branches()
    comments = ["ZFC"] + [np.nan] * (n - 1) + ["FC"] + [np.nan] * (n - 1)
    zfc, fc = split_zfc_fc(T, comments)
    assert zfc.tolist() == list(range(n)) and fc.tolist() == list(range(n, 2 * n))
    # no comments: ZFC warming then FC cooling -> split at the reversal
    zfc, fc = split_zfc_fc(T)
    assert zfc.size == n and fc.size == n
    # FC measured on warming after a cool-down in field: split at the jump back to 2 K
    Tw = np.arange(2.0, 25.01, 0.25)
    zfc, fc = split_zfc_fc(np.r_[Tw, Tw])
    assert zfc.size == Tw.size and fc.size == Tw.size
    zfc, fc = split_zfc_fc(Tw)
    assert zfc.size == Tw.size and fc.size == 0
    # repeated readings at base temperature before the sweep do not count as a reversal
    zfc, fc = split_zfc_fc(np.r_[[2.0] * 4, Tw, Tw[::-1]])
    assert zfc.size == 4 + Tw.size and fc.size == Tw.size


def test_zfc_only_gives_nan_meissner():
    T = np.arange(2.0, 25.01, 0.25)
    chi = -np.clip((14.4 - T) / 2, 0, 1)
    r = analyze_susceptibility(T, chi, demag_factor=0.0)
    assert r.shielding_fraction == pytest.approx(1.0)
    assert math.isnan(r.meissner_fraction)
    assert diamagnetic_onset(T, chi) == pytest.approx(14.4, abs=0.05)


def test_too_few_points():
    with pytest.raises(ParameterError, match="ZFC branch has 3"):
        analyze_susceptibility([2.0, 3.0, 4.0], [-1.0, -0.5, 0.0], demag_factor=0.5)
    with pytest.raises(ParameterError, match=r"\[0, 1\)"):
        demag_correct([-1.0], 1.2)


@settings(max_examples=60, deadline=None)
@given(st.tuples(*[st.floats(0.05, 50.0)] * 3))
def test_demag_sum_rule_property(dims):
    n = [demag_factor_prism(dims, ax) for ax in "abc"]
    assert all(0 < v < 1 for v in n)
    assert sum(n) == pytest.approx(1.0, abs=1e-6)
    # the longest edge has the smallest factor
    assert n[int(np.argmax(dims))] == pytest.approx(min(n), abs=1e-9)
