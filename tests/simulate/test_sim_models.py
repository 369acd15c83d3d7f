"""Sample and instrument models used on their own."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from scprobe.errors import ParameterError
from scprobe.simulate import InstrumentParams, SampleParams, measure, metastable_spots, recool, sample_landscape
from scprobe.simulate.sample import dot_density_per_um2


@pytest.fixture(scope="module")
def landscape():
    return sample_landscape(SampleParams(), seed=5, shape=(256, 384))


def test_landscape_regions_are_separated_and_large(landscape):
    p = landscape.params
    assert landscape.region_count >= 3
    areas = np.bincount(landscape.labels.ravel())[1:]
    assert areas.min() * p.pixel_size_m ** 2 >= p.min_region_m2 * 0.99
    # Each region's 4-px dilation touches no other region: >= 10 px gaps.
    for k in range(1, landscape.region_count + 1):
        grown = ndimage.binary_dilation(landscape.labels == k, iterations=4)
        assert set(np.unique(landscape.labels[grown])) <= {0, k}
    assert np.array_equal(landscape.signed_distance_m > 0, landscape.mask)
    assert 0.3 * p.area_fraction < landscape.mask.mean() < 1.2 * p.area_fraction


def test_same_seed_same_landscape(landscape):
    again = sample_landscape(SampleParams(), seed=5, shape=(256, 384))
    assert np.array_equal(again.labels, landscape.labels)
    assert np.array_equal(again.topography_m, landscape.topography_m)
    other = sample_landscape(SampleParams(), seed=6, shape=(256, 384))
    assert not np.array_equal(other.mask, landscape.mask)


def test_recool_keeps_most_of_the_phase(landscape):
    rc = recool(landscape, seed=5)
    a, b = landscape.mask, rc.mask
    assert 0.6 < (a & b).sum() / (a | b).sum() < 0.99
    assert np.array_equal(rc.topography_m, landscape.topography_m)


def test_dots_only_in_the_metastable_range(landscape):
    p = landscape.params
    assert dot_density_per_um2(p, 10.0) == 0 and dot_density_per_um2(p, 30.0) == 0
    assert dot_density_per_um2(p, 20.0) == pytest.approx(p.dot_density_per_um2 * 10 / 15.6)
    assert len(metastable_spots(landscape, 8.0, 1)["forward"]) == 0
    dense = sample_landscape(SampleParams(dot_density_per_um2=80.0), seed=5, shape=(256, 384))
    spots = metastable_spots(dense, 20.0, 1)
    fwd = spots["forward"]
    assert len(fwd) >= 2 and len(spots["persistent"]) == len(fwd)
    d = np.hypot(*(fwd[:, None, :] - fwd[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    assert d.min() >= p.dot_min_separation_m / p.pixel_size_m - 1.5


def test_measure_channels_units_and_noise(landscape):
    ip = InstrumentParams()
    out = measure(landscape, ip, 30.0, 0.1, "forward", seed=2, origin_px=(10, 20), shape=(64, 96))
    assert set(out) == {"topography", "deflection", "current", "current_clean"}
    assert all(v.shape == (64, 96) for v in out.values())
    assert out["current"].std() == pytest.approx(ip.noise_rms_A, rel=0.1)
    assert abs(out["deflection"].mean() - ip.setpoint_V) < 0.05
    low = measure(landscape, ip, 1.5, 0.1, "forward", seed=2)
    assert low["current"].max() <= ip.saturation_A
    assert low["current_clean"].max() == pytest.approx(5.5e-6, rel=1e-3)


def test_saturation_clips(landscape):
    ip = InstrumentParams(saturation_A=4e-6)
    out = measure(landscape, ip, 1.5, 0.1, "forward", seed=2)
    assert out["current"].max() == pytest.approx(4e-6)
    assert out["current_clean"].max() == pytest.approx(4e-6)


def test_vertical_slow_scan_puts_line_offsets_in_columns(landscape):
    flat = SampleParams(roughness_m=0.0, pit_count_per_um2=0.0, particle_count_per_um2=0.0, step_height_m=1e-15)
    ls = sample_landscape(flat, seed=5, shape=(96, 96))
    kw = dict(tilt=(0.0, 0.0), topography_noise_m=0.0, scar_rate=0.0, row_offset_m=1e-9)
    h = measure(ls, InstrumentParams(slow_scan="horizontal", **kw), 1.5, 0.1, seed=3)["topography"]
    v = measure(ls, InstrumentParams(slow_scan="vertical", **kw), 1.5, 0.1, seed=3)["topography"]
    assert np.ptp(h - h[:, :1], axis=1).max() < 1e-13  # constant along each row
    assert np.ptp(v - v[:1, :], axis=0).max() < 1e-13  # constant along each column


def test_forward_backward_topography_agree_deflection_differs(landscape):
    ip = InstrumentParams()
    f = measure(landscape, ip, 1.5, 0.1, "forward", seed=4)
    b = measure(landscape, ip, 1.5, 0.1, "backward", seed=4)
    assert np.abs(f["topography"] - b["topography"]).std() < 3 * ip.topography_noise_m
    assert not np.allclose(f["deflection"], b["deflection"])


@pytest.mark.parametrize("kwargs, match", [
    ({"direction": "sideways"}, "direction"),
    ({"temperature_K": -1.0}, "temperature"),
    ({"bias_V": 0.0}, "bias"),
    ({"origin_px": (250, 0), "shape": (64, 64)}, "outside"),
])
def test_measure_rejects_bad_arguments(landscape, kwargs, match):
    args = {"temperature_K": 1.5, "bias_V": 0.1, "direction": "forward", **kwargs}
    with pytest.raises(ParameterError, match=match):
        measure(landscape, InstrumentParams(), **args)
