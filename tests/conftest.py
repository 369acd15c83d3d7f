"""Shared fixtures: paths to the real instrument files, Gwyddion's oracle, CLI runner."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SCPROBE_SHARED", ROOT.parent / "shared"))
DATA = SHARED / "data"


def _oracle_path() -> Path | None:
    for cand in (SHARED / "tools" / "gwy-oracle" / "gwy-oracle",
                 Path.home() / ".cache" / "gwy-oracle" / "gwy-oracle",
                 Path(os.environ.get("GWY_ORACLE_OUT", "/nonexistent"))):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    found = shutil.which("gwy-oracle")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``shared/data`` with the real instrument files (tests skip when it is absent)."""
    if not DATA.is_dir():
        pytest.skip("shared/data not available")
    return DATA


@pytest.fixture(scope="session")
def oracle():
    """Run Gwyddion's ``gwy-oracle``; returns a function ``(args...) -> parsed JSON``. Skips when absent."""
    exe = _oracle_path()
    if exe is None:
        pytest.skip("gwy-oracle not built (bash ../shared/tools/gwy-oracle/build.sh)")

    def run(*args):
        res = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=300)
        return json.loads(res.stdout)

    return run


@pytest.fixture()
def cli(capsys):
    """Run the scprobe CLI in-process: returns ``(exit_code, stdout, stderr)``."""
    from scprobe.cli import main

    def run(*args):
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
