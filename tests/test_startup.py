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


def _modules_of_command(args: list[str], tmp_path) -> dict[str, bool]:
    """Top-level and scipy modules a fresh ``python -m scprobe ARGS`` imported: name -> really imported."""
    out = tmp_path / "modules.json"
    probe = ("import atexit, json, runpy, sys\n"
             f"atexit.register(lambda: open({str(out)!r}, 'w').write(json.dumps("
             "{m: v is not None for m, v in sys.modules.items()})))\n"
             f"sys.argv = ['scprobe', *{args!r}]\n"
             "runpy.run_module('scprobe', run_name='__main__')\n")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    return json.loads(out.read_text())


def _small_scan(folder) -> str:
    import numpy as np

    from scprobe.io import bcr

    rng = np.random.default_rng(0)
    topography = rng.normal(0, 1e-9, (64, 64))  # the same area in both traces
    for trace in ("bwd", "fwd"):
        current = rng.normal(0, 1e-11, (64, 64))
        current[16:40, 16:40] += 2e-6  # one conducting square: regions, edges and their fits run
        for name, unit, z in (("topography", "m", topography), ("current", "A", current)):
            path = bcr.write(z, folder / f"s-{name}-{trace}.bcrf", (64 * 15e-9, 64 * 15e-9), unit,
                             header={"bias": "0.1", "temperature": "5"})
    return str(path)


def test_small_map_and_compare_import_only_what_they_use(tmp_path):
    """A small map pays for numpy, xarray and scipy.ndimage/optimize, not for dask, scipy.stats, scipy.signal,
    skimage or matplotlib (each 0.1-0.45 s; the target for any command on a small file is 1 s in total)."""
    small = _small_scan(tmp_path)
    loaded = _modules_of_command(["map", small, "--json"], tmp_path)
    imported = {m for m, real in loaded.items() if real}
    assert {"xarray", "scipy.ndimage", "scipy.optimize"} <= imported  # the edge fit ran
    unused = ("dask", "scipy.stats", "scipy.signal", "skimage", "matplotlib")
    assert not {m for m in imported if m.startswith(unused)}
    loaded = _modules_of_command(["compare", small, small, "--json"], tmp_path)
    assert not {m for m, real in loaded.items() if real and m.startswith(("dask", "scipy.stats", "scipy.signal"))}


def test_dask_stays_importable_for_commands_that_use_it_and_for_callers_of_main():
    from scprobe.cli import _DASK_COMMANDS

    assert {"batch", "run", "demo"} <= _DASK_COMMANDS
    code = ("import sys\nfrom scprobe.cli import _hide_dask\n"
            "_hide_dask(['--debug', 'batch', 'x'])\nimport dask\n"
            "_hide_dask(['map', 'x'])\nassert sys.modules['dask'] is not None\nprint('ok')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr
