"""io.naming: Daisy file names, channel aliases and trace directions."""
from __future__ import annotations

import pytest

from scprobe.io.naming import base_name, direction_from_name, quantity_from_name, split_filename


@pytest.mark.parametrize("path, expected", [
    ("scan7-current-bwd.bcrf", ("scan7", "current", "backward")),
    ("A_topo_forward.asc", ("A", "topo", "forward")),
    ("/data/A01_1p5K-deflection-fwd.bcrf", ("A01_1p5K", "deflection", "forward")),
    ("A05_8K-recooled-current-FWD.bcr", ("A05_8K-recooled", "current", "forward")),
    ("plain.bcrf", None),
    ("scan-current.bcrf", None),
])
def test_split_filename(path, expected):
    assert split_filename(path) == expected


@pytest.mark.parametrize("name, quantity", [
    ("Topo", "topography"), ("ZSensor", "topography"), ("HeightRetrace", "topography"),
    ("Amplitude Error", "deflection"), ("intensity", "deflection"),
    ("Tip Current", "current"), ("CurrentRetrace", "current"), ("phase", None), (None, None),
])
def test_quantity_from_name(name, quantity):
    assert quantity_from_name(name) == quantity


def test_directions_and_base_names():
    assert [direction_from_name(n) for n in ("fwd", "Retrace", "bkw", "sideways", None)] == [
        "forward", "backward", "backward", None, None]
    assert base_name("PhaseRetrace") == "Phase"
    assert base_name("z_fwd") == "z"
    assert base_name("current") == "current"
