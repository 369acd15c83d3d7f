"""attocube Daisy ASCII (.asc) exports: hand-made files, writer round trip, Gwyddion's view."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.errors import FormatError
from scprobe.io import asc, detect, read_channels

HEADER = """# Daisy frame view snapshot
# 2019-05-02T14:03:11
# x-pixels: 4
# y-pixels: 3
# x-length: 8
# y-length: 6
# x-offset: 1
# y-offset: 2
# x-unit: um
# y-unit: um
# z-unit: nA
# scanspeed: 2
# display:   channel sc_current bwd
# Start of Data:
"""
VALUES = np.arange(12.0).reshape(3, 4) * 1.5 - 3


def _write(path, header=HEADER, values=VALUES):
    path.write_text(header + "\n".join(f"{v:g}" for v in np.ravel(values)) + "\n")
    return path


def test_hand_made_daisy_ascii(tmp_path):
    path = _write(tmp_path / "x.asc")
    assert detect(path).name == "daisy-asc"
    (ch,) = read_channels(path)
    assert ch.shape == (3, 4) and ch.unit == "A" and ch.quantity == "current" and ch.direction == "backward"
    np.testing.assert_allclose(ch.data, VALUES * 1e-9, rtol=1e-15)  # first value = top-left, row by row
    assert ch.size_m == pytest.approx((6e-6, 8e-6)) and ch.offset_m == pytest.approx((2e-6, 1e-6))
    assert ch.metadata["scanspeed"] == "2" and ch.name == "sc_current"


def test_matches_gwyddion_attocube_module(tmp_path, gwy_view):
    path = _write(tmp_path / "g.asc")
    res, arrays = gwy_view(path)
    c = res["channels"][0]
    (ch,) = read_channels(path)
    np.testing.assert_allclose(ch.data, arrays[0], rtol=1e-15)
    assert (c["yreal"], c["xreal"]) == pytest.approx(ch.size_m) and (c["yoffset"], c["xoffset"]) == pytest.approx(
        ch.offset_m)
    # Gwyddion lower-cases header values, so 'nA' shows as unit 'a' with the nano prefix applied; we keep ampere
    assert c["si_unit_z"] == "a" and ch.unit == "A"


def test_writer_round_trip_and_grouping_names(tmp_path):
    data = np.random.default_rng(2).normal(5e-9, 1e-9, (10, 14))
    data[2, 3] = np.nan
    p = asc.write(data, tmp_path / "s1_height_forward.asc", (1e-6, 1.4e-6), "m", channel="height",
                  offset_m=(1e-7, 2e-7), header={"bias": 0.05})
    (ch,) = read_channels(p)
    assert ch.quantity == "topography" and ch.direction == "forward" and ch.metadata["bias_V"] == 0.05
    np.testing.assert_allclose(ch.data, data, rtol=1e-8)  # 9 significant digits
    assert np.isnan(ch.data[2, 3])
    assert ch.size_m == pytest.approx((1e-6, 1.4e-6)) and ch.offset_m == pytest.approx((1e-7, 2e-7))


@pytest.mark.parametrize("header,values,match", [
    (HEADER.replace("# x-pixels: 4", "# x-pixels: 5"), VALUES, "values"),
    (HEADER.replace("# y-length: 6", "# y-length: abc"), VALUES, "not a number"),
    (HEADER.replace("# x-pixels: 4\n", ""), VALUES, "x-pixels"),
    (HEADER.replace("# Start of Data:\n", ""), VALUES, "Start of Data"),
    (HEADER, np.array(["1", "x"] * 6), "not a number"),
    (HEADER.replace("# x-pixels: 4", "# x-pixels: 4000000000"), VALUES, "only"),
])
def test_bad_daisy_ascii(tmp_path, header, values, match):
    path = tmp_path / "bad.asc"
    path.write_text(header + "\n".join(map(str, np.ravel(values))) + "\n")
    with pytest.raises(FormatError, match=match):
        read_channels(path)
