"""Start-up cost of the command line: importing the CLI pulls in no heavy library."""
from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("matplotlib", "scipy", "xarray", "dask", "pandas", "numpy", "h5py", "skimage")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(res.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_imports_no_heavy_library():
    loaded = _modules_after("import scprobe.cli\nscprobe.cli._command()")
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)


def test_version_and_help_import_no_heavy_library():
    for args in (["--version"], ["--help"], ["map", "--help"]):
        loaded = _modules_after(f"import sys\nfrom scprobe.cli import main\nmain({args!r})")
        assert not {m.split(".")[0] for m in loaded} & set(HEAVY), args


def test_python_dash_m_runs_the_cli():
    res = subprocess.run([sys.executable, "-m", "scprobe", "--version"], capture_output=True, text=True, timeout=120)
    from scprobe import __version__

    assert res.returncode == 0 and res.stdout.strip() == __version__
