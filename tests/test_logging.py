"""The library logs through ``logging.getLogger(__name__)`` and stays silent; ``--verbose`` shows it."""
from __future__ import annotations

import logging

import numpy as np

import scprobe
from scprobe.process import apply_steps
from scprobe.scan import make_scan


def test_library_has_a_null_handler_and_configures_nothing():
    logger = logging.getLogger("scprobe")
    assert any(isinstance(h, logging.NullHandler) for h in logger.handlers)
    assert logger.level == logging.NOTSET and scprobe.__version__


def test_stages_log_under_their_module_name(caplog):
    scan = make_scan({"topography": np.zeros((4, 5))}, pixel_size_m=1e-8)
    with caplog.at_level(logging.INFO, logger="scprobe"):
        apply_steps(scan, "plane")
    assert [(r.name, r.getMessage()) for r in caplog.records] == [("scprobe.process.steps", "apply_steps plane")]


def test_verbose_shows_the_log_on_stderr_only(cli, tmp_path):
    code, out, err = cli("--verbose", "simulate", tmp_path / "sim", "--size", "64", "--json")
    assert code == 0
    assert "scprobe.simulate.study: simulate_study" in err
    assert out.lstrip().startswith("{")  # stdout stays one JSON object
    assert not logging.getLogger("scprobe").handlers[1:]  # the handler is gone after the call
    code, out, err = cli("simulate", tmp_path / "sim2", "--size", "64", "--json")
    assert code == 0 and "simulate_study" not in err
