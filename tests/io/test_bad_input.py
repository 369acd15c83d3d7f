"""Bad input through the CLI: one line ``error: <file>: <what>`` on stderr, exit 2, no traceback."""
from __future__ import annotations

import os

import numpy as np
import pytest

from scprobe.io import bcr

GOOD = ["fileformat = bcrf", "xpixels = 4", "ypixels = 3", "xlength = 100", "ylength = 75", "zunit = nA"]
PAYLOAD = np.arange(12, dtype="<f4").tobytes()


def _bcr(make_bcr, path, lines=GOOD, payload=PAYLOAD):
    return make_bcr(path, lines, payload)


def _cases(tmp_path, make_bcr, data_dir):
    spm = data_dir / "spm"
    c = {}
    (tmp_path / "empty.bcrf").write_bytes(b"")
    c["empty"] = (tmp_path / "empty.bcrf", "file is empty")
    (tmp_path / "magic.bcrf").write_bytes(b"hello world\n" * 300)
    c["wrong magic"] = (tmp_path / "magic.bcrf", "not a BCR/BCRF file")
    c["truncated"] = (_bcr(make_bcr, tmp_path / "trunc.bcrf", payload=PAYLOAD[:-6]), "data size mismatch")
    c["missing field"] = (_bcr(make_bcr, tmp_path / "miss.bcrf", [ln for ln in GOOD if "xpixels" not in ln]),
                          "'xpixels' is missing")
    c["not a number"] = (_bcr(make_bcr, tmp_path / "nan.bcrf", [ln.replace("= 3", "= three") for ln in GOOD]),
                         "'ypixels' is not an integer")
    c["bad length"] = (_bcr(make_bcr, tmp_path / "len.bcrf", [ln.replace("= 100", "= 1e") for ln in GOOD]),
                       "'xlength' is not a number")
    c["negative"] = (_bcr(make_bcr, tmp_path / "neg.bcrf", [ln.replace("= 4", "= -4") for ln in GOOD]),
                     "at least 1")
    c["terabytes"] = (_bcr(make_bcr, tmp_path / "tb.bcrf", [ln.replace("= 4", "= 1000000000") for ln in GOOD]),
                      "data size mismatch")
    c["overflow"] = (_bcr(make_bcr, tmp_path / "ovf.bcrf",
                          [ln.replace("= 4", f"= {2**64 + 1}").replace("= 3", f"= {2**63}") for ln in GOOD]),
                     "data size mismatch")
    (tmp_path / "adir").mkdir()
    c["directory"] = (tmp_path / "adir", "is a directory")
    c["missing path"] = (tmp_path / "nope.bcrf", "no such file")
    (tmp_path / "x.unknown").write_bytes(b"\x00\x01 something else")
    c["unknown format"] = (tmp_path / "x.unknown", "unknown file format")
    (tmp_path / "junk.ibw").write_bytes(b"\x07\x00" + b"\x00" * 50)
    c["ibw version"] = (tmp_path / "junk.ibw", "not an Igor binary wave")
    (tmp_path / "junk.nc").write_bytes(b"CDF\x01" + b"\xff" * 40)
    c["nc"] = (tmp_path / "junk.nc", "NetCDF")
    for name, cut in (("A151216.123306-02602.sxm", 700_000), ("di-3.di", 300_000), ("gwyfile_test.gwy", 60_000),
                      ("spot_1-1000nm.ibw", 1_000_000)):
        p = tmp_path / f"cut-{name}"
        p.write_bytes((spm / name).read_bytes()[:cut])
        c[f"truncated {p.suffix}"] = (p, "")
    ibw = bytearray((spm / "spot_1-1000nm.ibw").read_bytes()[:4096])
    ibw[12:16] = (0x7FFFFFFF).to_bytes(4, "little")  # noteSize of the version-5 header
    (tmp_path / "note.ibw").write_bytes(bytes(ibw))
    c["ibw note size"] = (tmp_path / "note.ibw", "the file holds 4096")
    sxm = (spm / "A151216.123306-02602.sxm").read_bytes()
    p = tmp_path / "pix.sxm"
    p.write_bytes(sxm.replace(b"       128       128", b"       128       abc", 1))
    c["sxm pixels"] = (p, "SCAN_PIXELS")
    di = (spm / "di-3.di").read_bytes()
    p = tmp_path / "big.di"
    p.write_bytes(di.replace(b"\\Samps/line: 256", b"\\Samps/line: 999999999", 2))
    c["di pixels"] = (p, "truncated data")
    return c


CASES = ["empty", "wrong magic", "truncated", "missing field", "not a number", "bad length", "negative",
         "terabytes", "overflow", "directory", "missing path", "unknown format", "ibw version", "nc",
         "truncated .sxm", "truncated .di", "truncated .gwy", "truncated .ibw", "ibw note size", "sxm pixels",
         "di pixels"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["info", "export"])
def test_cli_reports_bad_input(tmp_path, make_bcr, data_dir, cli, case, command):
    path, what = _cases(tmp_path, make_bcr, data_dir)[case]
    if case == "directory" and command == "export":
        what = "folder holds no scan files"  # a folder is a valid scan for open_scan, an empty one is not
    out = tmp_path / "out" / "x.nc"
    args = ["info", path] if command == "info" else ["export", path, "--to", "nc", "--out", out]
    code, stdout, stderr = cli(*args)
    assert code == 2, (stdout, stderr)
    line = stderr.strip()
    assert "\n" not in line and "Traceback" not in stderr
    assert line.startswith(f"error: {path}: "), line
    assert what in line
    assert not out.exists() and not (out.parent.exists() and any(out.parent.iterdir()))


def test_unreadable_file(tmp_path, make_bcr, cli):
    path = _bcr(make_bcr, tmp_path / "locked.bcrf")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: permissions are not enforced")
        code, _, stderr = cli("info", path)
        assert code == 2 and stderr.strip() == f"error: {path}: permission denied"
    finally:
        path.chmod(0o644)


def test_json_mode_keeps_stdout_clean_on_error(tmp_path, cli):
    code, stdout, stderr = cli("info", tmp_path / "missing.bcrf", "--json")
    assert code == 2 and stdout == "" and stderr.startswith("error: ")


def test_good_file_still_reads(tmp_path, make_bcr, cli):
    code, stdout, _ = cli("info", _bcr(make_bcr, tmp_path / "ok.bcrf"), "--json")
    assert code == 0 and '"unit": "A"' in stdout
    assert bcr.read(tmp_path / "ok.bcrf")[0].data[0, 1] == pytest.approx(1e-9)


def test_forged_ibw_note_size_allocates_nothing(tmp_path, make_bcr, data_dir):
    """A 4 KB .ibw whose header claims a 2 GB note is refused before igor2 reads (and allocates) the note."""
    import tracemalloc

    from scprobe.errors import FormatError
    from scprobe.io import read_channels

    path, _ = _cases(tmp_path, make_bcr, data_dir)["ibw note size"]
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="claims"):
            read_channels(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000
