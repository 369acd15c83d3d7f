"""Importing scprobe and every report module leaves matplotlib's backend (a Jupyter user's choice) alone."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import scprobe

CODE = """
import importlib, pkgutil, sys
import matplotlib
matplotlib.use("pdf")
import scprobe, scprobe.report
mods = ["scprobe.report." + m.name for m in pkgutil.iter_modules(scprobe.report.__path__)]
for name in mods + ["scprobe.study.runner", "scprobe.cli"]:
    importlib.import_module(name)
assert matplotlib.get_backend() == "pdf", matplotlib.get_backend()
assert "matplotlib.pyplot" not in sys.modules, "a module imported pyplot"
print(len(mods))
"""


def test_importing_report_modules_keeps_the_backend_and_never_loads_pyplot():
    src = str(Path(scprobe.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("MPLBACKEND", None)
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) >= 8  # every figure module, html and render were imported


def test_figures_draw_without_pyplot(tmp_path):
    """A figure is saved through Figure.savefig alone (no backend selected by scprobe)."""
    from scprobe.report._style import new_figure, save_figure

    fig = new_figure(2, 2)
    fig.subplots().plot([0, 1], [0, 1])
    path = save_figure(fig, tmp_path / "f.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
