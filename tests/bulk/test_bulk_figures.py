"""Fig. 1 and Fig. S2 of the bulk stage: files written, partial data, nothing left behind on error."""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.bulk import BulkResult, analyze_heat_capacity, resistive_transition
from scprobe.report.bulk_figures import figure_bulk, figure_debye

PNG = b"\x89PNG\r\n\x1a\n"


def test_full_figures(sim_result, tmp_path):
    r, _ = sim_result
    p = figure_bulk(r, tmp_path / "fig1.png")
    assert p.read_bytes()[:8] == PNG and p.stat().st_size > 20_000
    s2 = figure_debye(r.heat_capacity, tmp_path / "figS2.png")
    assert s2.read_bytes()[:8] == PNG


def test_partial_result_and_no_temporary_files(tmp_path):
    T = np.arange(2.0, 40.0, 0.05)
    rho = resistive_transition(T, 3e-6 * 0.5 * (1 + np.tanh((T - 14.0) / 0.25)))
    figure_bulk(BulkResult(resistivity=rho), tmp_path / "only_rho.png")
    Th = np.arange(2.0, 8.0, 0.1)
    hc = analyze_heat_capacity(Th, (0.807e-3 + 0.393e-3 * Th ** 2) * Th)
    figure_bulk(BulkResult(heat_capacity=hc), tmp_path / "only_hc.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["only_hc.png", "only_rho.png"]


def test_unwritable_target_leaves_nothing(tmp_path):
    T = np.arange(2.0, 8.0, 0.1)
    hc = analyze_heat_capacity(T, (0.807e-3 + 0.393e-3 * T ** 2) * T)
    with pytest.raises(ValueError):
        figure_debye(hc, tmp_path / "fig.unknownformat")
    assert list(tmp_path.iterdir()) == []
