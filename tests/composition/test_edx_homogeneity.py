"""EDX dispersion test: calibration on Poisson maps, power on patchy maps, file handling."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage, stats

from scprobe.composition import analyze_composition
from scprobe.composition.edx import bin_counts, edx_homogeneity
from scprobe.errors import FormatError, ParameterError
from scprobe.io.images import element_from_filename, read_edx_map, write_tiff


def test_binning_sums_blocks_and_respects_mask():
    a = np.arange(36.0).reshape(6, 6)
    b = bin_counts(a, 3)
    assert b.tolist() == [a[:3, :3].sum(), a[:3, 3:].sum(), a[3:, :3].sum(), a[3:, 3:].sum()]
    mask = np.ones((6, 6), bool)
    mask[0, 0] = False
    assert bin_counts(a, 3, mask).tolist() == b[1:].tolist()
    assert bin_counts(np.ones((7, 5)), 2).size == 6  # edge remainders dropped


def test_poisson_maps_are_homogeneous_at_the_nominal_rate():
    rng = np.random.default_rng(0)
    res = [edx_homogeneity(rng.poisson(30.0, (64, 64)), bin_px=4) for _ in range(300)]
    false_alarms = sum(not r.homogeneous for r in res)
    assert false_alarms <= 9  # expected 3 of 300 at alpha = 0.01 (P(>9) < 0.2 %)
    assert np.mean([r.dispersion_index for r in res]) == pytest.approx(1.0, abs=0.02)
    p = np.array([r.p_value for r in res])
    assert 0.4 < p.mean() < 0.6  # uniform under the null


def test_region_sized_contrast_is_detected_and_mdc_is_analytic():
    rng = np.random.default_rng(1)
    field = ndimage.gaussian_filter(rng.normal(size=(64, 64)), 4) > 0
    lam = np.where(field, 30.0 * 1.15, 30.0 * 0.85)
    r = edx_homogeneity(rng.poisson(lam), bin_px=8)
    assert not r.homogeneous and r.p_value < 1e-6 and r.dispersion_index > 3
    # min detectable contrast = 3 / sqrt(mean counts per bin) = 3 / sqrt(30 * 64)
    r0 = edx_homogeneity(rng.poisson(30.0, (64, 64)), bin_px=8)
    assert r0.min_detectable_contrast == pytest.approx(3 / np.sqrt(30 * 64), rel=0.02)
    assert r0.n_bins == 64 and r0.bin_px == 8
    # a 5 % contrast at 30 counts per pixel without binning is below the detection limit
    weak = edx_homogeneity(rng.poisson(np.where(field, 30 * 1.05, 30 * 0.95)), bin_px=1)
    assert weak.min_detectable_contrast == pytest.approx(3 / np.sqrt(30), rel=0.02)


def test_errors():
    with pytest.raises(ParameterError, match="non-negative"):
        edx_homogeneity(-np.ones((4, 4)))
    with pytest.raises(ParameterError, match="need at least 2"):
        edx_homogeneity(np.ones((4, 4)), bin_px=4)
    with pytest.raises(ParameterError, match="no counts"):
        edx_homogeneity(np.zeros((4, 4)))


def test_element_names_from_files():
    assert element_from_filename("edx/EDX_Fe.csv") == "Fe"
    assert element_from_filename("map_TE_counts.tif") == "Te"
    assert element_from_filename("EDX-se.tiff") == "Se"
    assert element_from_filename("overview.csv") is None


def test_csv_and_tiff_maps_through_analyze(tmp_path):
    rng = np.random.default_rng(2)
    fe = rng.poisson(40.0, (32, 32))
    np.savetxt(tmp_path / "EDX_Fe.csv", fe, delimiter=",", fmt="%d", header="Fe counts", comments="# ")
    write_tiff(rng.poisson(20.0, (32, 32)).astype(np.uint16), tmp_path / "EDX_Te.tif", 1e-7)
    assert read_edx_map(tmp_path / "EDX_Fe.csv").data.tolist() == fe.tolist()
    r = analyze_composition(edx=[tmp_path / "EDX_Fe.csv", tmp_path / "EDX_Te.tif"])
    assert list(r.edx) == ["Fe", "Te"]
    assert r.to_dict()["edx"]["Fe"] == {k: getattr(r.edx["Fe"], k) for k in
                                        ("dispersion_index", "p_value", "homogeneous", "min_detectable_contrast",
                                         "min_detectable_rms_contrast", "n_bins", "bin_px", "mean_counts_per_bin")}
    assert r.units()["edx"]["Fe"] == {"dispersion_index": "1", "p_value": "1", "homogeneous": "",
                                      "min_detectable_contrast": "1", "min_detectable_rms_contrast": "1",
                                      "n_bins": "count", "bin_px": "px", "mean_counts_per_bin": "count"}
    assert r.edx["Fe"].homogeneous and r.edx["Te"].homogeneous
    r2 = analyze_composition(edx=[tmp_path / "EDX_Fe.csv"], edx_elements="Se")
    assert list(r2.edx) == ["Se"]
    (tmp_path / "counts.csv").write_text("1,2\n3,x\n")
    with pytest.raises(FormatError, match="non-numeric"):
        analyze_composition(edx=[tmp_path / "counts.csv"])
    (tmp_path / "c2.csv").write_text("1,2\n3,4\n")
    with pytest.raises(ParameterError, match="edx-elements"):
        analyze_composition(edx=[tmp_path / "c2.csv"])
    with pytest.raises(ParameterError, match="2 EDX element names for 1"):
        analyze_composition(edx=[tmp_path / "c2.csv"], edx_elements="Fe,Te")


def test_edx_restricted_to_the_cafm_field(overlay_scene):
    """EDX maps in the SEM frame: bins inside the cAFM footprint, sized like its regions."""
    from scprobe.composition.analyze import region_size_m
    from scprobe.io import open_scan

    scan = open_scan(overlay_scene["map_files"])
    rng = np.random.default_rng(3)
    counts = rng.poisson(25.0, (150, 150)).astype(float)  # half the SEM's 300 px: 60 nm pixels
    counts[:, :20] *= 3  # a bright strip far outside the cAFM field must not matter
    path = overlay_scene["dir"] / "EDX_Se.csv"
    np.savetxt(path, counts, delimiter=",", fmt="%d")
    r = analyze_composition(sem=overlay_scene["sem"], scan=scan, edx=[path],
                            control_points=overlay_scene["control_points"])
    e = r.edx["Se"]
    size = region_size_m(overlay_scene["mask"], (16e-9, 16e-9))
    assert e.bin_px == max(1, round(size / 60e-9))
    assert e.homogeneous
    assert e.n_bins * e.bin_px ** 2 < (2.05e-6 * 1.02 / 60e-9) ** 2  # only bins inside the field
    whole = edx_homogeneity(counts, bin_px=e.bin_px)
    assert not whole.homogeneous


def test_min_detectable_rms_contrast_is_the_dispersion_tests_limit():
    """A contrast twice the stated RMS limit is detected almost always, half of it rarely."""
    rng = np.random.default_rng(3)
    sign = np.where(ndimage.gaussian_filter(rng.normal(size=(48, 48)), 3) > 0, 1.0, -1.0)
    null = edx_homogeneity(rng.poisson(10.0, (48, 48)), bin_px=2)
    limit = null.min_detectable_rms_contrast
    # 576 bins of 4 px at ~40 counts per bin: D_crit = chi2_0.99(575) / 575
    assert null.n_bins == 576
    assert limit == pytest.approx(np.sqrt((stats.chi2.ppf(0.99, 575) / 575 - 1) / null.mean_counts_per_bin), rel=1e-9)
    rate = {f: np.mean([not edx_homogeneity(rng.poisson(10.0 * (1 + f * limit * sign)), bin_px=2).homogeneous
                        for _ in range(60)]) for f in (0.5, 2.0)}
    assert rate[2.0] > 0.9 and rate[0.5] < 0.2
