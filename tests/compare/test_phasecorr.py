"""The chirp-z phase correlation gives skimage's shift, bit for bit."""
import numpy as np
import pytest
from scipy import ndimage
from skimage.registration import phase_cross_correlation
from skimage.registration._phase_cross_correlation import _upsampled_dft

from scprobe.compare.phasecorr import phase_correlation_shift, zoom_dft


@pytest.mark.parametrize("shape", [(128, 128), (96, 131)])
@pytest.mark.parametrize("upsample", [1, 10, 100])
def test_same_shift_as_skimage(shape, upsample):
    rng = np.random.default_rng(sum(shape) + upsample)
    for noise in (0.1, 1.0, 3.0):
        base = ndimage.gaussian_filter(rng.normal(size=shape), 2.0)
        moving = ndimage.shift(base, rng.uniform(-9, 9, 2), order=3, mode="wrap")
        moving = moving + rng.normal(scale=noise * base.std(), size=shape)
        expected = phase_cross_correlation(base, moving, upsample_factor=upsample)[0]
        np.testing.assert_array_equal(phase_correlation_shift(base, moving, upsample), expected)


def test_zoom_dft_is_skimage_upsampled_dft():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(64, 47)) + 1j * rng.normal(size=(64, 47))
    offsets = np.array([15.0, -7.0])
    expected = _upsampled_dft(data.conj(), (30, 20), 10, offsets).conj()
    got = zoom_dft(zoom_dft(data, 1, 20, 0.1, -offsets[1] / 10), 0, 30, 0.1, -offsets[0] / 10)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
