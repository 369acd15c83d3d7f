"""Plane and polynomial levelling against Gwyddion 2.62 (gwy-oracle), to 1e-9 relative.

``GWY`` holds what the oracle returned for :func:`field` (corners, pixel (17, 29),
mean and population RMS of the result), recorded on the build VM, so the
comparison runs without Gwyddion; with the oracle present the whole arrays are
compared as well.  scprobe's ``plane`` subtracts the whole plane (oracle
``plane-fit``); ``subtract_offset=False`` is Gwyddion's *Plane Level* (oracle ``plane``).
"""
from __future__ import annotations

import numpy as np
import pytest

from scprobe.process import level_plane, level_poly, plane_fit, poly_background, subtract_plane
from scprobe.scan import make_scan

RTOL = 1e-9
GWY = {
    "plane": [6.637182965435823e-09, 3.6942335542487163e-09, 6.762133433556113e-09, 8.761356523680652e-09,
              2.0603822440989623e-09, 3.2546872019084107e-09, 2.983620884997899e-09],
    "plane-fit": [3.3824957635274108e-09, 4.395463523403035e-10, 3.5074462316477015e-09, 5.506669321772242e-09,
                  -1.1943049578094488e-09, -1.8266905193879362e-24, 2.983620884997899e-09],
    "poly3": [1.0995957655982462e-09, 8.994634745615801e-10, 6.534528635976161e-09, 5.677681729433394e-09,
              -8.599613093829313e-10, 4.6959732691812506e-24, 2.8319846598769764e-09],
    "poly2total": [2.431727870587732e-09, 2.300857730639221e-09, 5.368757609946619e-09, 4.555901428832629e-09,
                   -1.3489777465703743e-09, 9.995099068349084e-25, 2.879193855485955e-09],
    "poly1": [1.976456127908102e-09, 1.84558598795959e-09, 4.913485867266978e-09, 4.100629686152986e-09,
              -1.2251704006717471e-09, -2.1713491079516976e-24, 2.94375871789848e-09],
}


def field(ny=48, nx=64, seed=11):
    """A tilted, curved, row-shifted field in metres (non-square)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:ny, 0:nx]
    return 1e-9 * (rng.standard_normal((ny, nx)) + 0.08 * xx - 0.05 * yy + 2e-3 * xx * yy + 1e-3 * xx ** 2
                   - 4e-5 * yy ** 3) + 3e-9 * rng.standard_normal(ny)[:, None]


def ours(name, z):
    return {
        "plane": lambda: subtract_plane(z, subtract_offset=False),
        "plane-fit": lambda: subtract_plane(z),
        "poly3": lambda: z - poly_background(z, 3),
        "poly2total": lambda: z - poly_background(z, 2, total=True),
        "poly1": lambda: z - poly_background(z, 1),
    }[name]()


def summary(a):
    return np.array([a[0, 0], a[0, -1], a[-1, 0], a[-1, -1], a[17, 29], a.mean(), a.std()])


@pytest.mark.parametrize("name", sorted(GWY))
def test_matches_recorded_gwyddion(name):
    got, want = summary(ours(name, field())), np.array(GWY[name])
    scale = np.abs(want[:5]).max()
    # the mean of a levelled field is ~1e-24 (rounding): compare it on the data scale
    assert np.all(np.abs(got - want) <= RTOL * scale), (got - want) / scale


@pytest.mark.parametrize("op,name", [(["plane"], "plane"), (["plane-fit"], "plane-fit"), (["poly", "3"], "poly3"),
                                     (["poly", "2", "--total"], "poly2total"), (["poly", "5"], None)])
def test_matches_live_oracle(oracle, tmp_path, op, name):
    z = field()
    np.save(tmp_path / "in.npy", z)
    oracle("process", op[0], tmp_path / "in.npy", tmp_path / "out.npy", *op[1:])
    gwy = np.load(tmp_path / "out.npy")
    mine = ours(name, z) if name else z - poly_background(z, 5)
    assert np.abs(mine - gwy).max() <= RTOL * np.abs(gwy).max()


def test_plane_recovers_exact_plane_and_keeps_input():
    yy, xx = np.mgrid[0:30, 0:50]
    z = 2.0 + 0.3 * xx - 0.7 * yy
    before = z.copy()
    a, bx, by = plane_fit(z)
    assert (a, bx, by) == pytest.approx((2.0, 0.3, -0.7), rel=1e-12)
    assert np.abs(subtract_plane(z)).max() < 1e-12
    assert np.array_equal(z, before)


def test_nan_pixels_are_excluded_from_fits():
    yy, xx = np.mgrid[0:40, 0:60]
    z = 1e-9 * (1 + 0.1 * xx + 0.02 * yy ** 2)
    z_nan = z.copy()
    z_nan[5:9, 10:30] = np.nan
    assert np.nanmax(np.abs(z_nan - poly_background(z_nan, 2))) < 1e-20
    plane = 1e-9 * (1 + 0.1 * xx - 0.03 * yy)
    plane[5:9, 10:30] = np.nan
    assert np.nanmax(np.abs(subtract_plane(plane))) < 1e-20


def test_scan_level_functions_add_history_and_keep_raw():
    z = field()
    scan = make_scan({"topography": np.stack([z, z[:, ::-1]]), "current": np.ones_like(np.stack([z, z]))},
                     15e-9, directions=("forward", "backward"))
    out = level_poly(level_plane(scan), degree=2)
    assert [h["step"] for h in out.attrs["history"]] == ["plane", "poly"]
    assert scan.attrs["history"] == []
    assert np.array_equal(scan["topography"].values[0], z)
    flat = subtract_plane(z[:, ::-1])
    assert np.allclose(out["topography"].values[1], flat - poly_background(flat, 2), rtol=0, atol=1e-20)
    assert np.array_equal(out["current"].values, scan["current"].values)
