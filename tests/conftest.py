"""Shared fixtures: paths to the real instrument files, Gwyddion's oracle, Chromium, CLI runner.

The real files and the oracle live in ``../shared`` beside the clone (``SCPROBE_SHARED`` overrides it).  Locally
a test that needs a missing tool or missing data is skipped; with ``SCPROBE_REQUIRE_ALL=1`` (set by ``.ci/run``)
or ``CI=true`` it fails instead, so CI cannot pass by skipping the oracle, real-data or browser tests.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _shared_path() -> Path:
    if "SCPROBE_SHARED" in os.environ:
        return Path(os.environ["SCPROBE_SHARED"])
    # ../shared beside the clone; a git worktree one level further down (wt/NAME) finds the same folder
    for cand in (ROOT.parent / "shared", ROOT.parent.parent / "shared"):
        if cand.is_dir():
            return cand
    return ROOT.parent / "shared"


SHARED = _shared_path()
DATA = SHARED / "data"
REQUIRE_ALL = os.environ.get("SCPROBE_REQUIRE_ALL", "") not in ("", "0") or os.environ.get("CI", "") == "true"


def missing(reason: str):
    """Skip for a missing tool or data set, or fail when CI requires every test to run."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (required: SCPROBE_REQUIRE_ALL / CI is set)", pytrace=False)
    pytest.skip(reason)


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
    """``../shared/data`` with the real instrument files (skips, or fails under CI, when absent)."""
    if not DATA.is_dir():
        missing(f"real instrument files not found at {DATA}")
    return DATA


@pytest.fixture(scope="session")
def oracle():
    """Run Gwyddion's ``gwy-oracle``; returns a function ``(args...) -> parsed JSON``.

    Skips (fails under CI) when the oracle is not built: ``bash ../shared/tools/gwy-oracle/build.sh``.
    """
    exe = _oracle_path()
    if exe is None:
        missing("gwy-oracle not built (bash ../shared/tools/gwy-oracle/build.sh)")

    def run(*args):
        res = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=300)
        return json.loads(res.stdout)

    return run


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """``(browser, chromedriver)`` paths of Debian's Chromium (skips, or fails under CI, when absent)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if browser is None or not os.path.exists(driver):
        missing("chromium/chromedriver not installed (Debian: apt-get install chromium chromium-driver)")
    return browser, driver


@pytest.fixture()
def cli(capsys):
    """Run the scprobe CLI in-process: returns ``(exit_code, stdout, stderr)``."""
    from scprobe.cli import main

    def run(*args):
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
