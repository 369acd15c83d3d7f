"""Synthetic maps for the transport tests (the simulate stage provides full studies)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage


def correlated_field(shape, sigma_px, seed):
    """Unit-variance Gaussian random field smoothed by a Gaussian of ``sigma_px`` pixels."""
    rng = np.random.default_rng(seed)
    f = ndimage.gaussian_filter(rng.standard_normal(shape), sigma_px, mode="wrap")
    return (f - f.mean()) / f.std()


@pytest.fixture(scope="session")
def lognormal_conductance():
    """128 x 128 correlated sheet conductance spanning 1e-12 .. 1e-5 S (seven decades)."""
    f = correlated_field((128, 128), 3.0, seed=5)
    f = (f - f.min()) / (f.max() - f.min())
    return 10.0 ** (-12.0 + 7.0 * f)
