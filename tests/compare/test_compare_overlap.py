"""Overlap of conducting masks: Jaccard, retained / lost / gained, boundary displacement."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from scprobe.compare import compare_scans, mask_overlap, overlap_classes


def _truth(ma, mb):
    return (ma & mb).sum() / (ma | mb).sum(), (ma & mb).sum() / ma.sum(), (mb & ~ma).sum() / ma.sum()


@pytest.mark.parametrize("level_b", [0.8, 1.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_jaccard_after_subpixel_shift(synth, seed, level_b):
    a, b, t = synth.shifted_pair(shape=(160, 160), shift=(3.4, -5.7), seed=seed, level_b=level_b)
    r = compare_scans(a, b)
    ma, mb = t["mask_a"][r.common], t["mask_b_in_a"][r.common]
    jac, ret, gain = _truth(ma, mb)
    assert abs(r.overlap.jaccard - jac) < 0.02  # measured <= 0.02 (sampling of a 0.4 px shift) for same masks
    assert abs(r.overlap.retained - ret) < 0.02
    assert abs(r.overlap.gained - gain) < 0.02
    assert r.overlap.lost == pytest.approx(1 - r.overlap.retained)


def test_integer_shift_is_exact(synth):
    a, b, t = synth.shifted_pair(shape=(128, 128), shift=(4.0, -3.0), seed=5)
    r = compare_scans(a, b)
    assert r.overlap.jaccard == pytest.approx(1.0, abs=1e-3)
    assert r.overlap.boundary_shift_m.median == 0.0


def test_boundary_shift_of_dilated_mask():
    yy, xx = np.mgrid[0:120, 0:120]
    disk = np.hypot(yy - 60, xx - 60) < 30
    grown = np.hypot(yy - 60, xx - 60) < 33
    res = mask_overlap(disk, grown, (15e-9, 15e-9))
    # every boundary pixel of B is ~3 px from A's boundary
    assert res.boundary_shift_m.median == pytest.approx(3 * 15e-9, rel=0.15)
    assert res.boundary_shift_m.p90 < 4 * 15e-9
    assert res.retained == 1.0 and res.lost == 0.0
    assert res.gained == pytest.approx((grown.sum() - disk.sum()) / disk.sum())
    assert res.jaccard == pytest.approx(disk.sum() / grown.sum())


def test_overlap_classes_and_empty_mask():
    a = np.array([[1, 1, 0, 0]], bool)
    b = np.array([[1, 0, 1, 0]], bool)
    assert overlap_classes(a, b).tolist() == [[1, 2, 3, 0]]
    empty = mask_overlap(np.zeros((8, 8), bool), ndimage.binary_dilation(np.eye(8, dtype=bool)))
    assert np.isnan(empty.retained) and empty.to_dict()["retained"] is None
