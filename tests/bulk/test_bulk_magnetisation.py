"""M(H): Bean J_c on an analytic loop, loop splitting, symmetry, a real VSM loop, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scprobe.bulk import analyze_loop, bean_jc, split_loop
from scprobe.bulk.magnetisation import load_mh
from scprobe.errors import ParameterError
from scprobe.io.qd import read_qd

A_M, B_M, JC = 2e-3, 3e-3, 1e9
DM = JC * (A_M * 100) * (1 - A_M / (3 * B_M)) / 20 / 1e4  # emu/cm^3 from the CGS Bean formula


def loop(hmax=5e4, hp=1500.0, shift=0.0):
    up = np.linspace(0, hmax, 101)
    down = np.linspace(hmax, -hmax, 401)[1:]
    rise = np.linspace(-hmax, hmax, 401)[1:]
    m = np.concatenate([-0.5 * DM * (1 - np.exp(-up / hp)),
                        -0.5 * DM + DM * (1 - np.exp(-(hmax - down) / hp)),
                        0.5 * DM - DM * (1 - np.exp(-(rise + hmax) / hp))])
    H = np.concatenate([up, down, rise])
    return H, m + 1e-4 * H / (4 * math.pi) + shift


def test_bean_formula_cgs_equals_si():
    jc = bean_jc([0.0], [DM / 2], [-DM / 2], A_M, B_M)
    assert jc[0] == pytest.approx(JC, rel=1e-12)
    # SI form of PHYSICS.md: J_c = 2 dM / (a (1 - a / 3b)) with dM in A/m (1 emu/cm^3 = 1e3 A/m)
    assert jc[0] == pytest.approx(2 * DM * 1e3 / (A_M * (1 - A_M / (3 * B_M))), rel=1e-12)
    # 1e5 A/cm^2 = 1e9 A/m^2
    assert jc[0] * 1e-4 == pytest.approx(1e5)
    assert bean_jc([0.0], [DM / 2], [-DM / 2], B_M, A_M)[0] == pytest.approx(JC)


def test_analytic_loop_recovers_jc_and_symmetry():
    H, M = loop()
    r = analyze_loop(H, M, A_M, B_M)
    assert abs(r.jc_A_m2 / JC - 1) < 0.05
    assert r.symmetric
    curve = r.jc_curve
    assert len(curve["field_Oe"]) == len(curve["jc_A_m2"]) == len(curve["mu0H_T"])
    assert curve["mu0H_T"][-1] == pytest.approx(5.0)
    away = np.abs(curve["field_Oe"]) < 4e4
    assert np.allclose(curve["jc_A_m2"][away], JC, rtol=0.05)
    assert set(r.to_dict()) == {"jc_A_m2", "jc_curve", "symmetric", "jc0_A_m2", "jc_field_scale_T", "jc_fit_rms"}
    assert set(r.units()) == set(r.to_dict())
    # a field-independent Jc: the Kim fit finds no fall with field
    assert r.jc0_A_m2 == pytest.approx(JC, rel=0.01) and r.jc_field_scale_T > 100


def test_offset_loop_is_not_symmetric():
    H, M = loop(shift=0.3 * DM)
    assert not analyze_loop(H, M, A_M, B_M).symmetric


def test_split_loop_drops_virgin_curve():
    H, _ = loop()
    dec, inc = split_loop(H)
    assert dec.size == 401 and inc.size == 401
    assert H[inc].min() == -5e4 and np.all(np.diff(H[inc]) >= 0)
    with pytest.raises(ParameterError, match="not a loop"):
        split_loop(np.linspace(0, 1, 20))


def test_real_vsm_loop(data_dir):
    qd = read_qd(data_dir / "qd" / "quantumPPMS_20170620_BITHERMAL_SF_VSM_SF170517SI2_MVSH_3K.DAT")
    H, m = load_mh(qd)
    assert H.size == 521 and np.isfinite(m).sum() == 520
    r = analyze_loop(H, m / 1e-3, A_M, B_M)
    assert math.isfinite(r.jc_A_m2) and r.symmetric


def test_bad_geometry_and_too_few_points():
    H, M = loop()
    with pytest.raises(ParameterError, match="sides must be positive"):
        analyze_loop(H, M, 0.0, B_M)
    with pytest.raises(ParameterError, match="need at least 10"):
        analyze_loop(H[:5], M[:5], A_M, B_M)


def test_kim_fit_recovers_field_dependence():
    from scprobe.bulk.magnetisation import kim_fit

    B = np.linspace(-4.5, 4.5, 181)
    jc = 2e9 / (1 + np.abs(B) / 0.7)
    jc0, b0, rms = kim_fit(B, jc)
    assert jc0 == pytest.approx(2e9, rel=1e-9) and b0 == pytest.approx(0.7, rel=1e-9) and rms < 1e-12
    # the turning points excluded: a collapse of the width above 4 T does not bias the fit
    bent = np.where(np.abs(B) > 4.0, 0.3 * jc, jc)
    assert kim_fit(B, bent, max_field_T=4.0)[1] == pytest.approx(0.7, rel=1e-9)
    assert all(math.isnan(v) for v in kim_fit([0.0, 0.0], [1e9, 1e9]))


def test_bean_kim_loop_of_the_simulator():
    """The simulator's Bean-Kim loop: Jc(H) from the width at each field is the Kim law it was built from."""
    from scprobe.simulate.bulk import jc_of_field, mh_loop
    from scprobe.simulate.params import BulkParams, SpecimenParams

    bp, sp = BulkParams(jc_A_m2=5e8, jc_field_scale_T=0.4), SpecimenParams()
    H, M = mh_loop(bp, sp)
    r = analyze_loop(H, M, sp.dimensions_mm[0] * 1e-3, sp.dimensions_mm[1] * 1e-3)
    B = np.asarray(r.jc_curve["mu0H_T"])
    inside = np.abs(B) < 4.5
    assert np.allclose(np.asarray(r.jc_curve["jc_A_m2"])[inside], jc_of_field(B[inside], bp), rtol=1e-3)
    assert r.jc0_A_m2 == pytest.approx(5e8, rel=1e-3) and r.jc_field_scale_T == pytest.approx(0.4, rel=1e-3)
    assert r.symmetric
