"""A singular profile (flat: the fit's normal matrix is singular) must not break the batch fit."""
import numpy as np
from scipy.special import erf

from scprobe.analysis import fit_erf_profiles


def test_flat_profile_among_good_ones():
    x = np.arange(-8, 9, dtype=float)
    good = 1.0 + 2.0 * erf((x[None, :] - np.array([[0.3], [-0.7]])) / (np.sqrt(2) * 1.2))
    flat = np.zeros((1, x.size))
    params, _ = fit_erf_profiles(x, np.vstack([good, flat]))
    assert params.shape == (3, 4)
    np.testing.assert_allclose(params[:2, 3], 1.2, rtol=1e-3)
    np.testing.assert_allclose(params[:2, 2], [0.3, -0.7], atol=1e-3)
