"""Quantum Design .dat reader and CSV fallback, on every real QD file in shared/data/qd."""
from __future__ import annotations

import math

import numpy as np
import pytest

from scprobe.errors import FormatError
from scprobe.io.qd import QDFile, channels, column, column_unit, find_column, read_csv_table, read_qd, read_table

# file -> (rows, columns, {(row, column): value}) ; values read from the raw text
REAL = {
    "AreaA_testPPMS_ETO.dat": (81, 67, {(0, "Temperature (K)"): 90.003791, (0, "Field (Oe)"): 90000.1875,
                                        (0, "Resistance Ch1 (Ohms)"): 0.0998475, (0, "Resistance Ch2 (Ohms)"): None,
                                        (80, "Temperature (K)"): 119.890655}),
    "chameleon_4-probe_resistivity.dat": (359, 41, {(0, "Temperature (K)"): 10.0013499259949,
                                                    (0, "Bridge 3 Resistivity (Ohm-m)"): 8.95680036395788e-05,
                                                    (0, "Bridge 1 Resistivity (Ohm-m)"): None}),
    "quantumPPMS_20170620_BITHERMAL_SF_VSM_SF170517SI2_MVSH_3K.DAT": (
        521, 57, {(0, "Temperature (K)"): 2.998965, (0, "Moment (emu)"): None,
                  (1, "Moment (emu)"): -1.05639267791654e-5, (520, "Magnetic Field (Oe)"): 19999.1055}),
    "quantumPPMS_empty_vsm.dat": (0, 57, {}),
    "quantumPPMS_sample1.dat": (19, 30, {(0, "Temperature (K)"): 300.0338, (0, "Long Moment (emu)"): -5.667422e-6,
                                         (0, "Field (Oe)"): 0.0}),
    "quantumPPMS_sample2.DAT": (30, 122, {(0, "Temperature (K)"): 208.403, (0, "Magnetic Field (Oe)"): -0.122}),
    "quantumPPMS_sample3.DAT": (29, 57, {(0, "Temperature (K)"): 305.0269737375, (0, "M' (emu)"): -1.0267186570582e-6}),
}


@pytest.fixture(scope="module")
def qd_dir(data_dir):
    return data_dir / "qd"


def test_every_real_file_is_listed(qd_dir):
    assert sorted(p.name for p in qd_dir.iterdir()) == sorted(REAL)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_file_shape_and_values(qd_dir, name):
    rows, cols, values = REAL[name]
    qd = read_qd(qd_dir / name)
    assert isinstance(qd, QDFile)
    assert qd.data.shape == (rows, cols)
    assert qd.metadata["TITLE"] and qd.metadata["BYAPP"]
    assert set(qd.metadata["units"]) == set(qd.columns)
    for (i, col), want in values.items():
        got = qd.data[col].iloc[i]
        if want is None:
            assert math.isnan(got)
        else:
            assert got == pytest.approx(want, rel=1e-12)


def test_latin1_micro_sign_and_unit(qd_dir):
    qd = read_qd(qd_dir / "quantumPPMS_20170620_BITHERMAL_SF_VSM_SF170517SI2_MVSH_3K.DAT")
    assert "Bridge 1 Excitation (\u00b5A)" in qd.columns
    assert column_unit("Bridge 1 Excitation (\u00b5A)") == "\u00b5A"
    # the ASCII spelling finds the Latin-1 column
    assert find_column(qd, "Bridge 1 Excitation (uA)") == "Bridge 1 Excitation (\u00b5A)"
    assert qd.metadata["INFO"]["SAMPLE_MATERIAL"] == "FePc"


def test_title_and_info_with_commas(qd_dir):
    qd = read_qd(qd_dir / "quantumPPMS_empty_vsm.dat")
    assert qd.metadata["TITLE"] == "TS100928SI1, FEPC(200NM)/SI, DEPOSITED AT 230C, HYSTERSIS LOOP AT 2K"
    assert qd.metadata["sample"]["SAMPLE_COMMENT"] == "TS100928Si1, FePc(200nm)/Si, Deposited at 230C"
    assert qd.metadata["sample"]["SAMPLE_SIZE"] == "4x10mm"
    assert qd.data.empty


def test_info_key_first_and_key_last(qd_dir):
    mpms = read_qd(qd_dir / "quantumPPMS_sample1.dat")
    assert mpms.metadata["INFO"]["NAME"] == "FePc powder in capsule"
    assert mpms.metadata["sample"]["WEIGHT"] == "0.000"
    res = read_qd(qd_dir / "chameleon_4-probe_resistivity.dat")
    assert res.metadata["INFO"]["Sample3 Name"] == "EuSNb2Se4"
    assert res.metadata["INFO"]["Sample3 Cross Section"] == "12.5"
    assert isinstance(res.metadata["STARTUPAXIS"], list) and len(res.metadata["STARTUPAXIS"]) == 4


def test_blank_line_after_column_header(qd_dir):
    qd = read_qd(qd_dir / "AreaA_testPPMS_ETO.dat")
    assert np.isfinite(qd.data["Temperature (K)"]).all()
    assert qd.metadata["INFO"]["SAMPLE1_MATERIAL"] == "EuCuAs"


def test_bridges_and_column_helper(qd_dir):
    res = read_qd(qd_dir / "chameleon_4-probe_resistivity.dat")
    assert channels(res, "Bridge {n} Resistivity") == [3]
    rho = column(res, "Bridge {n} Resistivity (Ohm-m)", bridge=3)
    assert np.isfinite(rho).sum() == 359
    eto = read_qd(qd_dir / "AreaA_testPPMS_ETO.dat")
    assert channels(eto, "Resistance Ch{n}") == [1, 2]
    T = column(eto, ["Sample Temp (Kelvin)", "Temperature (K)"])
    assert T.shape == (81,)
    with pytest.raises(FormatError, match="AreaA_testPPMS_ETO.dat.*'Moment \\(emu\\)'"):
        column(eto, ["Moment (emu)"])


def test_comment_column_keeps_text(tmp_path):
    p = tmp_path / "chi.dat"
    p.write_bytes(b"[Header]\r\nTITLE,x\r\n[Data]\r\nComment,Temperature (K),Moment (emu)\r\n"
                  b"ZFC,2,-1e-3\r\n,3,-9e-4\r\nFC,3,-1e-4\r\n,2,\r\n")
    qd = read_qd(p)
    assert list(qd.data["Comment"].iloc[[0, 2]]) == ["ZFC", "FC"]
    assert math.isnan(qd.data["Comment"].iloc[1])
    assert math.isnan(qd.data["Moment (emu)"].iloc[3])


@pytest.mark.parametrize("content, msg", [
    (b"hello\n", "no \\[Header\\]"),
    (b"[Header]\nTITLE,x\n", "no \\[Data\\]"),
    (b"[Header]\n[Data]\n\n", "no column-name line"),
    (b"[Header]\n[Data]\nA,B\n1,2,3\n", "3 fields but the header names 2"),
])
def test_corrupt_files(tmp_path, content, msg):
    p = tmp_path / "bad.dat"
    p.write_bytes(content)
    with pytest.raises(FormatError, match=msg) as err:
        read_qd(p)
    assert "bad.dat" in str(err.value)


def test_csv_with_mapping(tmp_path):
    p = tmp_path / "rho.csv"
    p.write_text("# my cryostat\nT;rho\n2.0;0.0\n20.0;3e-6\n")
    qd = read_csv_table(p, {"Temperature (K)": "T", "Bridge 1 Resistivity (Ohm-m)": "rho"})
    assert qd.columns == ["Temperature (K)", "Bridge 1 Resistivity (Ohm-m)"]
    assert column(qd, "Temperature (K)").tolist() == [2.0, 20.0]
    assert qd.metadata["comments"] == ["my cryostat"]
    assert read_table(p).columns == ["T", "rho"]
    with pytest.raises(FormatError, match="'Temp'"):
        read_csv_table(p, {"Temperature (K)": "Temp"})


def test_read_table_dispatches(qd_dir):
    qd = read_table(qd_dir / "quantumPPMS_sample1.dat")
    assert qd.data.shape == (19, 30)
    assert read_table(qd) is qd
