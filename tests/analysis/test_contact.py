"""analysis.contact: junction vs Maxwell spreading resistance (docs/physics.md, "Tip and contact")."""
from __future__ import annotations

import math

import pytest

from scprobe.analysis.contact import (CONTACT_LIMITED_RATIO, contact_limited, junction_resistance,
                                      spreading_resistance)


def test_the_published_numbers():
    # 5.5 uA at 100 mV: 18.2 kOhm; rho = 3e-6 Ohm m under a 10 nm contact: 75 Ohm
    rj = junction_resistance(0.1, 5.5e-6)
    rs = spreading_resistance(3e-6, 10e-9)
    assert rj == pytest.approx(18_181.818, rel=1e-6)
    assert rs == pytest.approx(75.0)
    assert contact_limited(rj, rs) is True


def test_junction_is_nan_when_unknown_or_not_conducting():
    assert math.isnan(junction_resistance(math.nan, 1e-6))
    assert math.isnan(junction_resistance(0.1, 0.0))
    assert math.isnan(junction_resistance(0.1, -1e-9))
    assert junction_resistance(-0.05, 1e-6) == pytest.approx(5e4)  # the sign of the bias does not matter


def test_contact_limited_threshold_and_unknowns():
    assert contact_limited(CONTACT_LIMITED_RATIO * 75.0 * 1.01, 75.0) is True
    assert contact_limited(CONTACT_LIMITED_RATIO * 75.0 * 0.99, 75.0) is False
    assert contact_limited(math.nan, 75.0) is None
