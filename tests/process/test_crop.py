"""process.crop: a pixel rectangle, physical coordinates kept, bounds checked, input untouched."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.errors import ParameterError
from scprobe.process.crop import crop
from scprobe.scan import make_scan


@pytest.fixture
def scan():
    data = np.arange(6 * 8, dtype=float).reshape(6, 8)
    return make_scan({"current": data, "topography": -data}, pixel_size_m=2e-9, offset_m=(1e-9, 3e-9))


def test_crop_keeps_the_rectangle_and_its_positions(scan):
    out = crop(scan, 2, 1, 5, 4)
    np.testing.assert_array_equal(out["current"].values, scan["current"].values[1:4, 2:5])
    np.testing.assert_array_equal(out["topography"].values, -scan["current"].values[1:4, 2:5])
    # pixel centres stay where they were: offset + (i + 0.5) * pitch
    np.testing.assert_allclose(out["x"].values, 3e-9 + (np.arange(2, 5) + 0.5) * 2e-9)
    np.testing.assert_allclose(out["y"].values, 1e-9 + (np.arange(1, 4) + 0.5) * 2e-9)
    assert out.attrs["history"][-1]["params"] == {"x0": 2, "y0": 1, "x1": 5, "y1": 4}
    assert scan.attrs["history"] == [] and scan.sizes["x"] == 8


def test_whole_scan_is_a_valid_crop(scan):
    out = crop(scan, 0, 0, 8, 6)
    np.testing.assert_array_equal(out["current"].values, scan["current"].values)


@pytest.mark.parametrize("box", [(0, 0, 9, 6), (0, 0, 8, 7), (3, 0, 3, 6), (-1, 0, 4, 4), (5, 4, 2, 1)])
def test_outside_or_empty_is_a_parameter_error(scan, box):
    with pytest.raises(ParameterError, match="outside"):
        crop(scan, *box)
