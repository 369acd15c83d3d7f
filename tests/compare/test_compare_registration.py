"""Registration: sub-pixel shifts on terraced synthetic topography, refusals, same-area test."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.compare import align, common_slices, register
from scprobe.compare.registration import level, overlap_fraction, phase_shift
from scprobe.errors import ParameterError
from scprobe.scan import make_scan


@pytest.mark.parametrize("shift", [(0.0, 0.0), (3.4, -5.7), (0.5, 0.5), (-10.25, 7.8), (0.2, -0.3), (20.6, -15.1)])
def test_subpixel_shift_within_0p2_px(synth, shift):
    a, b, truth = synth.shifted_pair(shift=shift, seed=1)
    r = register(a, b)
    err = np.abs(np.array(r.shift_px) - truth["shift"])
    assert err.max() < 0.2, err  # measured: <= 0.03 px
    assert r.shift_m == pytest.approx(tuple(np.array(r.shift_px) * synth.PIXEL_M))
    assert r.same_area
    assert r.registration_confidence > 0.6  # measured 0.80-0.83
    # residual is the 0.03 nm white noise of both scans plus interpolation
    assert r.topography_residual_rms_m < 0.15e-9


def test_shift_survives_line_offsets_and_tilt(synth):
    a, b, truth = synth.shifted_pair(shift=(2.3, -1.6), seed=2)
    rng = np.random.default_rng(0)
    zb = b["topography"].values + np.cumsum(rng.normal(0, 0.3e-9, b.sizes["y"]))[:, None]
    b2 = b.copy()
    b2["topography"] = (("y", "x"), zb, b["topography"].attrs)
    r = register(a, b2)
    assert np.abs(np.array(r.shift_px) - truth["shift"]).max() < 0.2
    assert r.same_area


def test_unrelated_scans_are_refused_unless_forced(synth):
    a, _, _ = synth.shifted_pair(seed=3)
    other, _, _ = synth.shifted_pair(seed=103)
    with pytest.raises(ParameterError, match="do not overlap"):
        register(a, other)
    r = register(a, other, force=True)
    assert not r.same_area
    assert r.registration_confidence < 0.2


def test_pixel_size_mismatch_is_refused(synth):
    a, b, _ = synth.shifted_pair(seed=4)
    b2 = make_scan({k: b[k].values for k in b.data_vars}, synth.PIXEL_M * 1.1)
    with pytest.raises(ParameterError, match="pixel sizes differ"):
        register(a, b2)
    assert register(a, b2, force=True).same_area


def test_sign_convention_and_common_area():
    rng = np.random.default_rng(0)
    img = rng.normal(size=(64, 64))
    moved = np.roll(img, (3, -2), axis=(0, 1))  # feature at p appears at p + (3, -2)
    shift, distinct = phase_shift(img, moved, upsample=10)
    assert shift == pytest.approx([3, -2], abs=0.05)
    assert distinct > 0.5
    sy, sx = common_slices((64, 64), (3, -2))
    assert (sy.start, sy.stop, sx.start, sx.stop) == (0, 61, 2, 64)
    assert overlap_fraction((64, 64), (3, -2)) == pytest.approx(61 * 62 / 64 ** 2)
    back = align(moved, (3, -2), order=1)
    assert np.allclose(back[sy, sx], img[sy, sx])
    assert np.isnan(back[63, 0])


def test_plane_and_line_offsets_removed_without_touching_input():
    rng = np.random.default_rng(1)
    ny, nx = 40, 50
    i, j = np.mgrid[0:ny, 0:nx]
    plane = 3e-9 + 0.02e-9 * j - 0.05e-9 * i
    rows = rng.normal(0, 1e-9, (ny, 1))
    z = plane + rows
    keep = z.copy()
    out = level(z)
    assert np.ptp(out) < 1e-12  # plane and row offsets are all there was
    assert np.array_equal(z, keep)
    cols = rng.normal(0, 1e-9, (1, nx))
    assert np.ptp(level(plane + cols, "vertical")) < 1e-12
    assert np.ptp(level(plane + cols)) > 1e-9  # vertical offsets are not removed along rows
