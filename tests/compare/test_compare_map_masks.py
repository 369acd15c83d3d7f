"""Compare and series use the conducting mask of ``scprobe map`` (analysis.region_mask), pixel for pixel."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.analysis.map import analyze_map
from scprobe.compare import align, compare_scans, reference_from_scan, temperature_series


@pytest.mark.parametrize("threshold_A", [None, 2e-6])
def test_series_fraction_equals_map_fraction(synth, threshold_A):
    # no drift: the common area is the whole scan, so the fractions use the same pixels
    scans, _ = synth.tc_series(temperatures=(4, 8, 12), max_shift=0.0)
    res = temperature_series(scans, threshold_A=threshold_A)
    assert res.common == (slice(0, 128), slice(0, 128))
    for frac, s in zip(res.conducting_fraction, scans):
        m = analyze_map(s, threshold_A=threshold_A)
        assert frac == pytest.approx(m.conducting_fraction, abs=1e-9)  # measured: identical
    assert res.conducting_fraction[0] > 0.4


def test_series_fraction_ignores_unmeasured_pixels(synth):
    scans, _ = synth.tc_series(temperatures=(4, 8), max_shift=0.0)
    scans = [s.copy(deep=True) for s in scans]
    scans[0]["current"].values[:16] = np.nan  # e.g. lines removed by artefact correction
    res = temperature_series(scans)
    assert res.conducting_fraction[0] == pytest.approx(analyze_map(scans[0]).conducting_fraction, abs=1e-9)


def test_series_masks_are_map_masks_on_common_area(synth):
    scans, truth = synth.tc_series(temperatures=(4, 8, 12, 16))
    res = temperature_series(scans)
    for k, (s, shift) in enumerate(zip(scans, res.shifts_px)):
        m = analyze_map(s)
        expected = align(m.mask.astype(float), shift, order=1)[res.common] > 0.5
        np.testing.assert_array_equal(res.masks[k], expected)
        assert res.conducting_fraction[k] == pytest.approx(expected.mean(), abs=1e-9)
        # the common-area crop (shifts up to 2.5 px on 128 px) moves the fraction by up to 0.0094 (measured)
        assert abs(res.conducting_fraction[k] - m.conducting_fraction) < 0.015
    assert res.shifts_px[0] == (0.0, 0.0)
    assert res.conducting_fraction[0] == pytest.approx(analyze_map(scans[0]).mask[res.common].mean(), abs=1e-9)


@pytest.mark.parametrize("threshold_A", [None, 1e-6])
def test_compare_masks_are_map_masks(synth, threshold_A):
    a, b, _ = synth.shifted_pair(shape=(128, 128), shift=(2.6, -1.3), seed=2)
    r = compare_scans(a, b, threshold_A=threshold_A)
    ma, mb = analyze_map(a, threshold_A=threshold_A), analyze_map(b, threshold_A=threshold_A)
    np.testing.assert_array_equal(r.mask_a, ma.mask)
    np.testing.assert_array_equal(r.mask_b_aligned, align(mb.mask.astype(float), r.registration.shift_px) > 0.5)
    assert r.threshold_A == (ma.threshold_A, mb.threshold_A)
    if threshold_A is not None:
        np.testing.assert_array_equal(r.mask_a, r.image_a("current") > threshold_A)


def test_reference_from_scan_is_map_mask(synth):
    a, b, _ = synth.shifted_pair(shape=(128, 128), shift=(3.0, -2.0), seed=3)
    ref = reference_from_scan(a, b)
    mb = analyze_map(b).mask
    # integer shift: b's mask moved by whole pixels onto a's grid
    np.testing.assert_array_equal(ref[:-3, 2:], mb[3:, :-2])
    assert not ref[-3:].any() and not ref[:, :2].any()
