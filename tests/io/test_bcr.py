"""BCR / BCRF: the real file and hand-made variants read as Gwyddion 2.62 reads them; round trips.

Expected numbers were recorded with ``gwy-oracle dump`` (Debian Gwyddion 2.62) so the
tests run without Gwyddion; when the oracle is built the same files are also compared
with it live, pixel by pixel.
"""
from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

from scprobe.errors import FormatError, ParameterError
from scprobe.io import bcr, read_channels

F32 = 1.2e-7  # float32 rounding of one scaling step, relative

# ---------------------------------------------------------------- the real file
REAL = dict(shape=(600, 960), xreal=0.001777404, yreal=0.001110878, unit="m",
            min=4.936861e-05, max=5.159236869750976e-05, mean=5.06315451524702e-05,
            rms=2.4560210667741824e-08,
            corners=(5.062837181030273e-05, 5.062579688964843e-05, 5.062850532470702e-05, 5.0590690230712885e-05),
            position=(156152000e-9, 10359500e-9))


@pytest.fixture(scope="module")
def real_bcrf(data_dir):
    return data_dir / "spm" / "bcrf-1.bcrf"


def test_real_bcrf_matches_gwyddion_constants(real_bcrf):
    (ch,) = bcr.read(real_bcrf)
    z = ch.data
    assert ch.shape == REAL["shape"]
    assert ch.size_m == pytest.approx((REAL["yreal"], REAL["xreal"]), rel=1e-12)
    assert ch.unit == REAL["unit"] and ch.quantity == "topography"
    assert ch.offset_m == (0.0, 0.0)  # Gwyddion does not apply BCR offsets ...
    assert ch.scan_position_m == pytest.approx(REAL["position"], rel=1e-12)  # ... we keep them as the position
    assert float(z.min()) == pytest.approx(REAL["min"], rel=F32)  # zmin = 49.36861 um sets the minimum
    assert float(z.max()) == pytest.approx(REAL["max"], rel=F32)
    assert float(z.mean(dtype=float)) == pytest.approx(REAL["mean"], rel=1e-7)
    assert float(z.std(dtype=float)) == pytest.approx(REAL["rms"], rel=1e-4)
    assert (z[0, 0], z[0, -1], z[-1, 0], z[-1, -1]) == pytest.approx(REAL["corners"], rel=F32)
    assert ch.void_count == 0
    # every header key is kept, including the ones written with a leading space
    assert ch.metadata["zunit"] == "um" and ch.metadata["fileformat"] == "bcrf_unicode"
    assert ch.metadata["headersize"] == "2048" and len([k for k in ch.metadata if not k.endswith("_V")]) == 16


def test_real_bcrf_pixelwise_against_oracle(real_bcrf, gwy_view):
    res, arrays = gwy_view(real_bcrf)
    (ch,) = bcr.read(real_bcrf)
    c = res["channels"][0]
    assert (c["yres"], c["xres"]) == ch.shape and c["si_unit_z"] == ch.unit
    assert (c["yreal"], c["xreal"]) == pytest.approx(ch.size_m, rel=1e-12)
    np.testing.assert_allclose(ch.data, arrays[0], rtol=F32, atol=0)


# ---------------------------------------------------------------- hand-made variants
def ramp(ny: int = 12, nx: int = 20) -> np.ndarray:
    """A deterministic image without symmetry, so flips and transposes show."""
    y, x = np.mgrid[0:ny, 0:nx]
    return (3.0 * x + 7.0 * y * y - 0.5 * x * y).astype(float)


R = ramp()


def _i16(a, order="<"):
    return np.asarray(a).astype(order + "i2").tobytes()


def _f32(a, order="<"):
    return np.asarray(a).astype(order + "f4").tobytes()


VI = np.round(R).astype(np.int16)
VI_VOID = VI.copy()
VI_VOID[2, 3] = VI_VOID[7, 11] = 32767
VF_VOID = R.astype(np.float32)
VF_VOID[1, 1], VF_VOID[5, 19] = 3.402823e38, 2e38  # both > 1.7e38: void whatever voidpixels says

_BASE = ["xpixels = 20", "ypixels = 12"]
CASES = {
    "bcrstm_bit2nm": (["fileformat = bcrstm", *_BASE, "xlength = 2000", "ylength = 1200", "bit2nm = 0.05",
                       "zunit = nm"], _i16(VI), False),
    "bcrstm_um": (["fileformat = bcrstm", *_BASE, "xlength = 2", "ylength = 1.2", "xunit = um", "yunit = um",
                   "bit2nm = 0.1", "zunit = um"], _i16(VI), False),
    "bcrstm_no_bit2nm": (["fileformat = bcrstm", *_BASE, "xlength = 2000", "ylength = 1200"], _i16(VI), False),
    "bcrstm_voids": (["fileformat = bcrstm", *_BASE, "xlength = 2000", "ylength = 1200", "bit2nm = 1",
                      "voidpixels = 0"], _i16(VI_VOID), False),
    "bcrf_voids": (["fileformat = bcrf", *_BASE, "xlength = 500", "ylength = 300", "zunit = pA",
                    "voidpixels = 0"], _f32(VF_VOID), False),
    "bcrf_bigendian": (["fileformat = bcrf", *_BASE, "xlength = 500", "ylength = 300", "intelmode = 0",
                        "zunit = V"], _f32(R, ">"), False),
    "bcrstm_bigendian": (["fileformat = bcrstm", *_BASE, "xlength = 500", "ylength = 300", "intelmode = 0",
                          "bit2nm = 0.01"], _i16(VI, ">"), False),
    "bcrf_zmin": (["fileformat = bcrf", *_BASE, "xlength = 500", "ylength = 300", "zunit = um", "zmin = 12.5"],
                  _f32(R), False),
    "bcrf_no_zunit": (["fileformat = bcrf", *_BASE, "xlength = 500", "ylength = 300", "bit2nm = 7"], _f32(R), False),
    "bcrf_zunit_A": (["fileformat = bcrf", *_BASE, "xlength = 500", "ylength = 300", "zunit = A"],
                     _f32(R * 1e-9), False),
    "bcrf_nA_offsets": (["fileformat = bcrf", *_BASE, "xlength = 500", "ylength = 300", "xoffset = 1000",
                         "yoffset = -250", "zunit = nA", "bias = 0.1", "current = 2"], _f32(R), False),
    "bcrf_unicode": (["fileformat = bcrf_unicode", "headersize = 2048", "%", *_BASE, " xlength = 500",
                      " ylength = 300", " xunit = nm", " zunit = nA"], _f32(R), True),
    "bcrstm_unicode": (["fileformat = bcrstm_unicode", *_BASE, "xlength = 500", "ylength = 300", "bit2nm = 0.5"],
                       _i16(VI), True),
    "bcrf_no_length": (["fileformat = bcrf", *_BASE, "zunit = nm"], _f32(R), False),
    "bcrf_crlf": (["fileformat = bcrf", "# a comment", *_BASE, "xlength = 640", "ylength = 384", "zunit = mV"],
                  _f32(R), False),
}

# gwy-oracle dump of each case: unit, xreal, yreal, min, max, mean, z[0,0], z[-1,-1], voids.
# (Gwyddion Laplace-fills voids, so its mean of the void cases includes filled values.)
EXPECTED = {
    'bcrstm_bit2nm': ('m', 2e-06, 1.1999999999999997e-06, 0, 4.235e-08, 1.4877083333333332e-08, 0, 3.9999999999999994e-08, 0),
    'bcrstm_um': ('m', 2e-06, 1.2e-06, 0, 8.47e-05, 2.9754166666666654e-05, 0, 7.999999999999999e-05, 0),
    'bcrstm_no_bit2nm': ('m', 2e-06, 1.1999999999999997e-06, 0, 847, 297.5416666666667, 0, 800, 0),
    'bcrstm_voids': ('m', 2e-06, 1.1999999999999997e-06, 0, 8.469999999999999e-07, 2.9756874999999995e-07, 0, 7.999999999999999e-07, 2),
    'bcrf_voids': ('A', 5e-07, 2.9999999999999993e-07, 0, 8.470000000000002e-10, 2.9757500000000003e-10, 0, 7.995000000000002e-10, 2),
    'bcrf_bigendian': ('V', 5e-07, 2.9999999999999993e-07, 0, 847, 297.5416666666667, 0, 799.5, 0),
    'bcrstm_bigendian': ('m', 5e-07, 2.9999999999999993e-07, 0, 8.469999999999999e-09, 2.975416666666666e-09, 0, 7.999999999999999e-09, 0),
    'bcrf_zmin': ('m', 5e-07, 2.9999999999999993e-07, 1.2499999999999999e-05, 0.0008595, 0.00031004166666666664, 1.2499999999999999e-05, 0.000812, 0),
    'bcrf_no_zunit': ('m', 5e-07, 2.9999999999999993e-07, 0, 8.469999999999999e-07, 2.9754166666666666e-07, 0, 7.994999999999999e-07, 0),
    'bcrf_zunit_A': ('A', 5e-07, 2.9999999999999993e-07, 0, 8.470000238958164e-07, 2.9754166718520827e-07, 0, 7.995000146365783e-07, 0),
    'bcrf_nA_offsets': ('A', 5e-07, 2.9999999999999993e-07, 0, 8.469999999999999e-07, 2.9754166666666666e-07, 0, 7.994999999999999e-07, 0),
    'bcrf_unicode': ('A', 5e-07, 2.9999999999999993e-07, 0, 8.469999999999999e-07, 2.9754166666666666e-07, 0, 7.994999999999999e-07, 0),
    'bcrstm_unicode': ('m', 5e-07, 2.9999999999999993e-07, 0, 4.2349999999999995e-07, 1.4877083333333333e-07, 0, 3.9999999999999993e-07, 0),
    'bcrf_no_length': ('m', 1e-06, 1e-06, 0, 8.469999999999999e-07, 2.9754166666666666e-07, 0, 7.994999999999999e-07, 0),
    'bcrf_crlf': ('V', 6.399999999999999e-07, 3.8399999999999994e-07, 0, 0.847, 0.29754166666666665, 0, 0.7995, 0),
}


@pytest.fixture
def build(tmp_path, make_bcr):
    def run(name):
        lines, payload, unicode = CASES[name]
        return make_bcr(tmp_path / f"{name}.bcrf", lines, payload, unicode=unicode,
                        newline="\r\n" if name.endswith("crlf") else "\n")

    return run


@pytest.mark.parametrize("name", sorted(CASES))
def test_variant_matches_recorded_gwyddion_numbers(build, name):
    unit, xreal, yreal, zmin, zmax, zmean, tl, br, voids = EXPECTED[name]
    (ch,) = bcr.read(build(name))
    z = ch.data.astype(float)
    assert ch.unit == unit
    assert ch.size_m == pytest.approx((yreal, xreal), rel=1e-12)
    assert ch.void_count == voids
    scale = max(abs(zmax), 1e-300)
    assert np.nanmin(z) == pytest.approx(zmin, rel=F32, abs=F32 * scale)
    assert np.nanmax(z) == pytest.approx(zmax, rel=3 * F32)
    assert (z[0, 0], z[-1, -1]) == pytest.approx((tl, br), rel=3 * F32, abs=F32 * scale)
    if not voids:
        assert np.mean(z) == pytest.approx(zmean, rel=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_variant_pixelwise_against_oracle(build, gwy_view, name):
    path = build(name)
    res, arrays = gwy_view(path)
    (ch,) = bcr.read(path)
    good = ~np.isnan(ch.data)
    mask = res["channels"][0]["mask"]
    assert ch.void_count == (mask["n_masked"] if mask else 0)
    np.testing.assert_allclose(ch.data[good], arrays[0][good], rtol=3 * F32, atol=F32 * np.abs(arrays[0]).max())


def test_voids_are_nan_never_filled(build):
    (ch,) = bcr.read(build("bcrf_voids"))
    assert np.isnan(ch.data[1, 1]) and np.isnan(ch.data[5, 19]) and ch.void_count == 2
    (ch,) = bcr.read(build("bcrstm_voids"))
    assert np.isnan(ch.data[2, 3]) and np.isnan(ch.data[7, 11])
    assert ch.data[0, 1] == pytest.approx(VI[0, 1] * 1e-9, rel=F32)


def test_zunit_A_is_ampere_and_bias_and_offsets_are_metadata(build):
    (ch,) = bcr.read(build("bcrf_zunit_A"))
    assert ch.unit == "A" and ch.quantity == "current"
    assert float(np.nanmax(ch.data)) == pytest.approx(R.max() * 1e-9, rel=F32)  # factor 1, not 1e-10
    (ch,) = bcr.read(build("bcrf_nA_offsets"))
    assert ch.metadata["bias_V"] == pytest.approx(0.1)
    assert ch.scan_position_m == pytest.approx((-250e-9, 1000e-9))
    assert ch.offset_m == (0.0, 0.0)
    assert ch.data[0, 1] == pytest.approx(R[0, 1] * 1e-9, rel=F32)  # offsets never added to the data


def test_bit2nm_uses_zunit_prefix_and_is_ignored_for_float(build):
    (ch,) = bcr.read(build("bcrstm_um"))
    assert ch.data[-1, -1] == pytest.approx(VI[-1, -1] * 0.1 * 1e-6, rel=F32)
    (ch,) = bcr.read(build("bcrstm_no_bit2nm"))
    assert ch.data[-1, -1] == VI[-1, -1]  # raw counts, unit still m, exactly as Gwyddion
    (ch,) = bcr.read(build("bcrf_no_zunit"))
    assert ch.data[-1, -1] == pytest.approx(R[-1, -1] * 1e-9, rel=F32)  # missing zunit = nm; bit2nm ignored


# ---------------------------------------------------------------- round trips
@pytest.mark.parametrize("fileformat", bcr.FORMATS)
@pytest.mark.parametrize("unit", ["m", "A", "V"])
@pytest.mark.parametrize("little", [True, False])
def test_write_read_round_trip(tmp_path, fileformat, unit, little):
    rng = np.random.default_rng(3)
    scale = {"m": 1e-8, "A": 1e-9, "V": 2.0}[unit]
    data = rng.normal(0, scale, (24, 40))
    data[3, 5] = np.nan
    path = bcr.write(data, tmp_path / f"rt-current-bwd.{fileformat}", (3e-7, 5e-7), unit, fileformat=fileformat,
                     header={"channel": "sc_current", "direction": "bwd", "bias": "0.05"},
                     scan_position_m=(1e-6, -2e-6), little_endian=little)
    (ch,) = bcr.read(path)
    assert ch.unit == unit and ch.shape == (24, 40)
    assert ch.size_m == pytest.approx((3e-7, 5e-7), rel=1e-9)
    assert ch.scan_position_m == pytest.approx((1e-6, -2e-6), rel=1e-9)
    assert ch.direction == "backward" and ch.quantity == "current" and ch.metadata["bias_V"] == 0.05
    assert np.isnan(ch.data[3, 5]) and ch.void_count == 1
    good = ~np.isnan(data)
    if fileformat.startswith("bcrf"):
        np.testing.assert_allclose(ch.data[good], data[good], rtol=2 * F32)  # write and read each round once
    else:  # int16 quantisation: half a step of bit2nm
        peak = np.nanmax(np.abs(data))
        step = peak / 32000
        assert np.max(np.abs(ch.data[good] - data[good])) <= 0.5 * step + 2 * F32 * peak


def test_write_then_gwyddion_reads_same(tmp_path, gwy_view):
    data = np.random.default_rng(5).normal(1e-9, 2e-10, (32, 48))
    for fmt in bcr.FORMATS:
        path = bcr.write(data, tmp_path / f"g.{fmt}", (6e-7, 9e-7), "A", fileformat=fmt)
        res, arrays = gwy_view(path)
        c = res["channels"][0]
        assert c["si_unit_z"] == "A" and (c["yres"], c["xres"]) == (32, 48)
        assert (c["yreal"], c["xreal"]) == pytest.approx((6e-7, 9e-7), rel=1e-9)
        np.testing.assert_allclose(arrays[0], bcr.read(path)[0].data, rtol=3 * F32, atol=1e-7 * data.max())


def test_writer_refuses_bad_input(tmp_path):
    with pytest.raises(ParameterError):
        bcr.write(np.zeros(5), tmp_path / "a.bcrf", (1e-6, 1e-6))
    with pytest.raises(ParameterError):
        bcr.write(np.zeros((2, 2)), tmp_path / "a.bcrf", (1e-6, 1e-6), unit="K")
    with pytest.raises(ParameterError):
        bcr.write(np.zeros((2, 2)), tmp_path / "a.bcrf", (1e-6, 1e-6), header={"bad\nkey": 1})
    assert not (tmp_path / "a.bcrf").exists()


# ---------------------------------------------------------------- sizes checked before allocation
def test_huge_pixel_counts_fail_fast_without_allocating(tmp_path, make_bcr):
    for nx, ny in [(10**6, 10**6), (2**40, 2**40), (10**30, 3)]:
        path = make_bcr(tmp_path / "huge.bcrf", ["fileformat = bcrf", f"xpixels = {nx}", f"ypixels = {ny}"],
                       b"\0" * 64)
        tracemalloc.start()
        t0 = time.perf_counter()
        with pytest.raises(FormatError, match="data size mismatch"):
            read_channels(path)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert elapsed < 0.5 and peak < 1_000_000


def test_unicode_headersize_beyond_file_is_refused(tmp_path, make_bcr):
    path = make_bcr(tmp_path / "h.bcrf", ["fileformat = bcrf_unicode", "headersize = 999999999999", *_BASE],
                   _f32(R), unicode=True)
    with pytest.raises(FormatError, match="headersize"):
        bcr.read(path)


def test_provenance_hash_is_of_the_bytes_read(tmp_path):
    """open_scan hashes the bytes the BCR reader decodes (one read); the record equals a fresh sha256."""
    from scprobe.io import open_scan
    from scprobe.scan import sha256_file

    rng = np.random.default_rng(3)
    for n in (8, 700):  # below and above one decode block
        path = bcr.write(rng.normal(0, 1e-9, (n, n)), tmp_path / f"h{n}-current-fwd.bcrf", (1e-6, 1e-6), "A")
        (rec,) = open_scan(path).attrs["source_files"]
        assert rec == {"path": str(path), "sha256": sha256_file(path)}
        ch = bcr.read(path)[0]
        assert ch.data.dtype == np.float64 and ch.sha256 == rec["sha256"]
