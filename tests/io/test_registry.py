"""io.registry: a file's format by its magic bytes first, its extension second."""
from __future__ import annotations

import pytest

from scprobe.errors import FormatError
from scprobe.io.registry import detect, image_extensions


@pytest.mark.parametrize("name, head, fmt", [
    ("x.txt", b"fileformat = bcrf\nxpixels = 2\n", "bcr"),              # content wins over the extension
    ("x.bin", "fileformat = bcrstm_unicode\n".encode("utf-16-le"), "bcr"),
    ("x.gwy", b"GWYPGwyContainer\x00", "gwy"),
    ("x.dat", b"\xef\xbb\xbf[Header]\nTITLE,x\n", "qd-dat"),
    ("x.sxm", b":NANONIS_VERSION:\n2\n", "sxm"),
    ("x.rrng", b"[Ions]\nNumber=1\n", "rrng"),
    ("x.pos", b"\x00" * 32, "pos"),                                      # no magic: by extension
])
def test_detect(tmp_path, name, head, fmt):
    path = tmp_path / name
    path.write_bytes(head)
    assert detect(path).name == fmt


def test_unknown_empty_and_folders_are_format_errors(tmp_path):
    (tmp_path / "x.xyz").write_bytes(b"hello")
    (tmp_path / "empty.bcrf").write_bytes(b"")
    for p in (tmp_path / "x.xyz", tmp_path / "empty.bcrf", tmp_path):
        with pytest.raises(FormatError):
            detect(p)


def test_a_bad_ibw_names_the_problem(tmp_path):
    (tmp_path / "x.ibw").write_bytes(b"\x00" * 64)
    with pytest.raises(FormatError, match="Igor"):
        detect(tmp_path / "x.ibw")


def test_image_extensions_cover_the_scan_formats():
    assert {".bcrf", ".bcr", ".gwy", ".sxm", ".nc", ".ibw"} <= image_extensions()
    assert ".dat" not in image_extensions()
