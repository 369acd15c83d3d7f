"""Atom-probe readers: real range files, exact .pos/.epos values, corrupt files."""
from __future__ import annotations

import re

import numpy as np
import pytest

from scprobe.errors import FormatError
from scprobe.io.apt import (EPOS_DTYPE, IonRange, read_epos, read_ions, read_pos, read_ranges, read_rng,
                            read_rrng, write_epos, write_pos, write_rrng)

#: (ions, ranges) of every real range file, as listed in shared/data/MANIFEST.md.
MANIFEST_COUNTS = {
    "VAlN_film_plan-view_700C.rrng": (6, 1440),
    "TiAlN_film_cross-section_850C.rrng": (4, 54),
    "Mo_range.rrng": (8, 46),
    "R31_06365-v02.rrng": (17, 72),
    "87D_1.rng": (14, 92),
    "R18_59377.rng": (11, 39),
    "range_file_RNG.RNG": (9, 18),
    "R18_55377-v02.rng": (3, 8),
    "all02.rng": (1, 1),
    "apt-tools_rangefile.rrng": (10, 32),
}


def _counts_from_text(path) -> tuple[int, int]:
    """Ion and range counts found independently: IonK= / RangeK= lines, or the first 'n m' line."""
    text = path.read_bytes().decode("latin-1").replace("\r\n", "\n").replace("\r", "\n")
    if "[Ions]" in text:
        return (len(re.findall(r"^Ion\d+=", text, re.M)), len(re.findall(r"^Range\d+=", text, re.M)))
    n, m = text.split("\n", 1)[0].split()
    return int(n), int(m)


@pytest.mark.parametrize("name", sorted(MANIFEST_COUNTS))
def test_real_range_files_load_with_right_counts(data_dir, name):
    path = data_dir / "apt" / name
    table = read_ranges(path)
    assert (len(table.ions), len(table.ranges)) == MANIFEST_COUNTS[name] == _counts_from_text(path)
    assert all(r.high_Da > r.low_Da >= 0 for r in table.ranges)


def test_real_files_are_all_covered(data_dir):
    assert {p.name for p in (data_dir / "apt").iterdir()} == set(MANIFEST_COUNTS)


def test_rrng_compound_and_unnamed_ions(data_dir):
    t = read_rrng(data_dir / "apt" / "apt-tools_rangefile.rrng")
    r13 = t.ranges[12]
    assert (r13.low_Da, r13.high_Da) == (69.4730, 70.3570)
    assert r13.ion == "Ca2CO3" and dict(r13.atoms) == {"Ca": 2, "C": 1, "O": 3}
    r20 = t.ranges[19]
    assert r20.ion == "59" and r20.atoms == (("59", 1),)
    assert t.ions[-3:] == ("59", "52pt5", "44pt5")


def test_rrng_decimal_commas(data_dir):
    t = read_rrng(data_dir / "apt" / "Mo_range.rrng")
    assert (t.ranges[0].low_Da, t.ranges[0].high_Da) == (22.8615, 23.0910)
    assert t.ranges[0].atoms == (("Mo", 1),)


def test_rng_multiplicity_columns_and_polyatomic_names(data_dir):
    t = read_rng(data_dir / "apt" / "R18_55377-v02.rng")
    assert t.ions == ("Al", "H", "Mg")
    last = t.ranges[-1]
    assert (last.low_Da, last.high_Da, last.ion, dict(last.atoms)) == (13.951, 14.101, "AlH", {"Al": 1, "H": 1})
    t2 = read_ranges(data_dir / "apt" / "range_file_RNG.RNG")
    assert t2.format == "rng"
    assert t2.ranges[-1].ion == "C2" and t2.ranges[-1].atoms == (("C", 2),)


def test_rng_single_pseudo_ion_mixed_line_endings(data_dir):
    t = read_ranges(data_dir / "apt" / "all02.rng")
    assert t.ions == ("All",)
    assert (t.ranges[0].low_Da, t.ranges[0].high_Da, t.ranges[0].ion) == (0.0, 400.0, "All")


def test_pos_exact_values(tmp_path):
    pos = np.array([[1.5, -2.25, 10.0], [0.0, 3.0, 11.5]]) * 1e-9
    m = np.array([27.98, 64.5])
    write_pos(pos, m, tmp_path / "a.pos")
    raw = (tmp_path / "a.pos").read_bytes()
    assert len(raw) == 32
    assert np.frombuffer(raw, ">f4").tolist() == pytest.approx([1.5, -2.25, 10.0, 27.98, 0.0, 3.0, 11.5, 64.5],
                                                                rel=1e-6)
    ions = read_pos(tmp_path / "a.pos")
    assert ions.n_ions == 2 and ions.kind == "pos"
    np.testing.assert_allclose(ions.mass_to_charge_Da, np.float32(m), rtol=0)
    np.testing.assert_allclose(ions.positions_m, np.float32(pos * 1e9) * 1e-9, rtol=1e-7)
    assert isinstance(ions.records, np.memmap)


def test_epos_exact_values(tmp_path):
    rec = np.zeros(3, EPOS_DTYPE)
    rec["m"] = [12.0, 24.5, 56.0]
    rec["z"] = [1.0, 2.0, 3.0]
    rec["tof"] = [301.5, 402.25, 999.0]
    rec["delta_pulse"] = [0, 7, 4_000_000_000]
    rec["ions_per_pulse"] = [1, 2, 0]
    write_epos({k: rec[k] for k in ("m", "z", "tof", "delta_pulse", "ions_per_pulse")}, tmp_path / "b.epos")
    assert (tmp_path / "b.epos").stat().st_size == 3 * 44
    ions = read_ions(tmp_path / "b.epos")
    assert ions.kind == "epos" and ions.n_ions == 3
    assert ions.mass_to_charge_Da.tolist() == [12.0, 24.5, 56.0]
    assert ions.column("tof").tolist() == [301.5, 402.25, 999.0]
    assert ions.records["delta_pulse"].tolist() == [0, 7, 4_000_000_000]
    assert ions.records["ions_per_pulse"].tolist() == [1, 2, 0]
    # big-endian on disk: the 4th float of the first record is m/n = 12.0
    assert (tmp_path / "b.epos").read_bytes()[12:16] == np.array(12.0, ">f4").tobytes()


@pytest.mark.parametrize("ext,size", [(".pos", 16 * 3 + 5), (".epos", 44 * 2 + 16)])
def test_length_not_a_record_multiple_is_an_error(tmp_path, ext, size):
    p = tmp_path / f"bad{ext}"
    p.write_bytes(np.full(size // 4 + 1, 10.0, ">f4").tobytes()[:size])
    with pytest.raises(FormatError, match="not a multiple"):
        read_ions(p)


def test_little_endian_pos_is_rejected(tmp_path):
    p = tmp_path / "le.pos"
    p.write_bytes(np.array([[0, 0, 1, 27.98]] * 4, "<f4").tobytes())
    with pytest.raises(FormatError, match="implausible"):
        read_pos(p)


def test_empty_and_unknown_extension(tmp_path):
    (tmp_path / "e.pos").write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        read_pos(tmp_path / "e.pos")
    (tmp_path / "x.apt").write_bytes(b"1234")
    with pytest.raises(FormatError, match="extension"):
        read_ions(tmp_path / "x.apt")
    with pytest.raises(FormatError, match="no such file"):
        read_epos(tmp_path / "missing.epos")


def test_rrng_round_trip(tmp_path):
    rs = [IonRange(27.9, 28.1, "Fe", (("Fe", 1),)), IonRange(92.7, 93.3, "FeTe", (("Fe", 1), ("Te", 1)))]
    write_rrng(rs, tmp_path / "r.rrng")
    t = read_ranges(tmp_path / "r.rrng")
    assert t.ions == ("Fe", "Te")
    assert [(r.low_Da, r.high_Da, r.ion, r.atoms) for r in t.ranges] == [
        (27.9, 28.1, "Fe", (("Fe", 1),)), (92.7, 93.3, "FeTe", (("Fe", 1), ("Te", 1)))]


@pytest.mark.parametrize("text,msg", [
    ("[Ions]\nNumber=1\nIon1=Fe\n[Ranges]\nNumber=2\nRange1=1 2 Fe:1\n", "Number=2"),
    ("[Ions]\nNumber=1\nIon1=Fe\n[Ranges]\nNumber=1\nRange1=3 2 Fe:1\n", "empty or negative"),
    ("[Ions]\nNumber=1\nIon1=Fe\n[Ranges]\nNumber=1\nRange1=1 x Fe:1\n", "not a number"),
    ("[Ions]\nNumber=1\nIon1=Fe\n[Ranges]\nNumber=1\nRange1=1 2 Fe:0\n", "positive integer"),
    ("[Ions]\nNumber=1\nIon1=Fe\n[Ranges]\nNumber=1\nRange1=1 2 Vol:0.1\n", "no ion"),
    ("[Ions]\nNumber=1\nIon1=Fe\n", "missing"),
])
def test_bad_rrng(tmp_path, text, msg):
    p = tmp_path / "bad.rrng"
    p.write_text(text)
    with pytest.raises(FormatError, match=msg):
        read_ranges(p)


@pytest.mark.parametrize("text,msg", [
    ("2 1\nFe\nFe 1 0 0\n---- Fe\n. 1 2 1\n", "ion 2 of 2"),
    ("1 2\nFe\nFe 1 0 0\n---- Fe\n. 1 2 1\n", "file ends after 1 of 2"),
    ("1 1\nFe\nFe 1 0 0\n---- Fe\n. 1 2 1 0\n", "multiplicities"),
    ("1 1\nFe\nFe 1 0 0\n. 1 2 1\n", "column line"),
    ("1 1\nFe\nFe 1 0 0\n---- Fe\n. 1 2 0\n", "not all zero"),
])
def test_bad_rng(tmp_path, text, msg):
    p = tmp_path / "bad.rng"
    p.write_text(text)
    with pytest.raises(FormatError, match=msg):
        read_ranges(p)
