"""Header-key matching follows Gwyddion for each text-header format, tested on a header variant per version.

NanoScope (``nanoscope.c``): keys match ignoring ASCII case (v4/v5 files write ``\\Scan size``,
``\\Data offset``; later ones ``\\Scan Size``, ``\\Data Offset``), a repeated key keeps its last value,
and images also come from ``AFM image list`` sections.  BCR (``bcrfile.c``), Nanonis SXM
(``nanonis.c``) and attocube ASC (``attocube.c``) match keys exactly, last value winning.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from scprobe.errors import FormatError
from scprobe.io import read_channels
from scprobe.io.nanoscope import Fields

DI = ["di-1.di", "di-3.di", "di-5.di"]  # header versions 0x0720, 0x0901, 0x1000


def _header_keys(raw: bytes, change) -> bytes:
    """``raw`` with every ``\\Key:`` of the header rewritten by ``change`` (same length, data untouched)."""
    end = raw.find(b"\\*File list end")
    head = re.sub(rb"(?m)^\\\\([^*:\r\n][^:\r\n]*):", lambda m: b"\\" + change(m[1]) + b":", raw[:end])
    assert len(head) == end
    return head + raw[end:]


def _same(a, b):
    assert [c.name for c in a] == [c.name for c in b]
    for x, y in zip(a, b):
        assert x.unit == y.unit and x.size_m == y.size_m
        np.testing.assert_array_equal(x.data, y.data)


@pytest.mark.parametrize("name", DI)
@pytest.mark.parametrize("case", ["lower", "upper", "v5"])
def test_nanoscope_keys_match_ignoring_case(data_dir, tmp_path, name, case):
    raw = (data_dir / "spm" / name).read_bytes()
    if case == "v5":  # the spelling of NanoScope v5.x: "Scan size", "Data offset", "Data length"
        variant = raw.replace(b"\\Scan Size:", b"\\Scan size:").replace(b"\\Data Offset:", b"\\Data offset:")
        assert b"\\Scan size:" in variant
    else:
        variant = _header_keys(raw, bytes.lower if case == "lower" else bytes.upper)
    path = tmp_path / name
    path.write_bytes(variant)
    _same(read_channels(path), read_channels(data_dir / "spm" / name))


def test_nanoscope_variant_against_gwyddion(data_dir, tmp_path, gwy_view):
    path = tmp_path / "lower.di"
    path.write_bytes(_header_keys((data_dir / "spm" / "di-3.di").read_bytes(), bytes.lower))
    res, arrays = gwy_view(path)
    ours = read_channels(path)
    assert len(arrays) == len(ours) > 0
    for ch, ref in zip(ours, arrays):
        np.testing.assert_allclose(ch.data, ref, rtol=1e-12, atol=0)


def test_nanoscope_afm_image_list_section(data_dir, tmp_path):
    raw = (data_dir / "spm" / "di-3.di").read_bytes()
    # one byte shorter in the header, one NUL more after its end: the data offsets stay valid
    variant = raw.replace(b"\\*Ciao image list\r\n", b"\\*AFM image list\r\n", 1)
    variant = variant.replace(b"\\*File list end\r\n", b"\\*File list end\r\n\x00", 1)
    assert len(variant) == len(raw)
    path = tmp_path / "afm.di"
    path.write_bytes(variant)
    _same(read_channels(path), read_channels(data_dir / "spm" / "di-3.di"))


def test_repeated_key_keeps_the_last_value():
    f = Fields()
    f["Scan Size"] = "1 1 ~m"
    f["scan size"] = "2 2 ~m"
    assert f.get("SCAN SIZE") == "2 2 ~m" and list(f) == ["scan size"]


GOOD = ["fileformat = bcrf", "xpixels = 4", "ypixels = 3", "xlength = 100", "ylength = 75", "zunit = nA"]
PAYLOAD = np.arange(12, dtype="<f4").tobytes()


@pytest.mark.parametrize("fmt, unicode", [("bcrf", False), ("bcrstm", False), ("bcrf_unicode", True),
                                          ("bcrstm_unicode", True)])
def test_bcr_keys_are_case_sensitive_as_in_gwyddion(make_bcr, tmp_path, fmt, unicode):
    lines = [f"fileformat = {fmt}"] + GOOD[1:]
    payload = PAYLOAD if "bcrf" in fmt else np.arange(12, dtype="<i2").tobytes()
    ok = make_bcr(tmp_path / "ok.bcr", lines, payload, unicode=unicode)
    assert read_channels(ok)[0].shape == (3, 4)
    # Gwyddion's bcrfile.c looks "xpixels" up exactly: "XPixels" is another key, so the field is missing
    bad = make_bcr(tmp_path / "bad.bcr", [ln.replace("xpixels", "XPixels") for ln in lines], payload,
                   unicode=unicode)
    with pytest.raises(FormatError, match="'xpixels' is missing"):
        read_channels(bad)
    # a repeated key keeps its last value (g_hash_table_insert replaces)
    rep = make_bcr(tmp_path / "rep.bcr", lines + ["xlength = 200"], payload, unicode=unicode)
    assert read_channels(rep)[0].size_m[1] == pytest.approx(200e-9)


def test_sxm_keys_are_case_sensitive_as_in_gwyddion(data_dir, tmp_path):
    raw = (data_dir / "spm" / "A151216.123306-02602.sxm").read_bytes()
    path = tmp_path / "lower.sxm"
    path.write_bytes(raw.replace(b":SCAN_PIXELS:", b":scan_pixels:", 1))
    with pytest.raises(FormatError, match="SCAN_PIXELS"):
        read_channels(path)
