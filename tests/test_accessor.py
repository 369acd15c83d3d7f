"""``scan.scprobe``: registered on import of scprobe, thin over the functions, plots without pyplot."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from scprobe.analysis import analyze_map
from scprobe.process import apply_steps
from scprobe.scan import make_scan
from scprobe.transport import four_probe


def _python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.fixture(scope="module")
def disc_scan():
    """A 5.5 uA disc of radius 12 px (sharp edge) in 20 pA noise, 15 nm pixels."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:80, 0:96]
    inside = (y - 40) ** 2 + (x - 48) ** 2 < 12 ** 2
    current = np.where(inside, 5.5e-6, 0.0) + 20e-12 * rng.standard_normal(inside.shape)
    topo = 1e-10 * rng.standard_normal(inside.shape)
    return make_scan({"current": current, "topography": topo}, pixel_size_m=15e-9, temperature_K=1.5), inside


def test_registered_when_xarray_comes_after_scprobe_and_scprobe_does_not_import_xarray():
    res = _python("""
        import sys
        import scprobe
        assert "xarray" not in sys.modules, "importing scprobe must stay cheap"
        import xarray as xr
        assert hasattr(xr.Dataset(), "scprobe")
        from scprobe.io import open_scan  # xarray's own loader is back in place
        assert xr.__spec__.loader.__class__.__name__ != "_AccessorAfterXarray"
        print("ok")
    """)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"


def test_registered_when_xarray_comes_first():
    res = _python("import xarray as xr, scprobe; print(hasattr(xr.Dataset(), 'scprobe'))")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "True"


def test_methods_are_the_functions(disc_scan):
    scan, inside = disc_scan
    via = scan.scprobe.analyze_map()
    direct = analyze_map(scan)
    assert via.conducting_fraction == direct.conducting_fraction
    assert via.conducting_fraction == pytest.approx(inside.mean(), abs=0.004)
    assert scan.scprobe.four_probe(contacts="vdp").resistance.r_a_rsq == four_probe(scan, contacts="vdp").resistance.r_a_rsq
    levelled = scan.scprobe.apply_steps("plane")
    np.testing.assert_array_equal(levelled["topography"].values, apply_steps(scan, "plane")["topography"].values)
    assert scan.attrs["history"] == []


def test_plot_draws_on_a_figure_without_pyplot_or_backend_change():
    res = _python("""
        import sys
        import matplotlib
        before = dict.__getitem__(matplotlib.rcParams, "backend")  # get_backend() would resolve it
        import numpy as np
        import scprobe
        from scprobe.scan import make_scan
        scan = make_scan({"current": np.full((8, 10), 1e-9)}, pixel_size_m=1e-8, temperature_K=20.0)
        fig = scan.scprobe.plot()
        ax, cbar = fig.axes
        assert "matplotlib.pyplot" not in sys.modules
        assert dict.__getitem__(matplotlib.rcParams, "backend") == before
        print(type(fig).__name__, ax.get_title(), cbar.get_ylabel(), [round(float(v), 3) + 0.0 for v in ax.get_xlim()])
    """)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "Figure Tip current, forward, 20 K log10(|current| / A) [0.0, 0.1]"


def test_plot_into_given_axes_and_linear_channels(disc_scan):
    from matplotlib.figure import Figure

    scan, _ = disc_scan
    fig = Figure()
    ax = fig.add_subplot()
    assert scan.scprobe.plot("topography", ax=ax) is fig
    image = ax.get_images()[0].get_array()
    np.testing.assert_allclose(image, scan["topography"].values)
    assert fig.axes[1].get_ylabel() == "topography (m)"
