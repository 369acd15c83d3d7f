"""Checks that a current map reflects the sample, not the instrument.

Each check is a :class:`Check` (JSON ``{"value", "limit", "pass", "note"}``); ``pass`` is
None when the check cannot run (channel missing).  Values and limits are dimensionless:
correlation coefficients and fractions.  Correlations use log10 of the current
above the noise floor, so the decades of contrast count, not the few brightest
pixels, and are computed on at most ~1e6 pixels (a regular subsample).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import ndimage

from scprobe.analysis.noise import NoiseResult
from scprobe.process.rows import upper_median
from scprobe.results import Result, quantity
from scprobe.scan import channel as get_channel

#: |Pearson r| above which current is said to follow another channel.
MAX_CORRELATION = 0.3
#: Forward/backward topography RMS difference, relative to the topography RMS.
MAX_FB_DIFFERENCE = 0.5
#: Largest acceptable fraction of pixels at the amplifier limit.
MAX_SATURATED_FRACTION = 1e-3
#: Largest acceptable fraction of scan lines that jump.
MAX_JUMP_FRACTION = 0.01
_MAX_PIXELS = 1_000_000


@dataclass(frozen=True)
class Check(Result):
    """One artefact check: a dimensionless ``value`` against its ``limit``; ``pass`` None when it cannot run."""

    value: float | None = quantity("1")
    limit: float = quantity("1")
    passed: bool | None = quantity("")
    note: str = quantity("")

    def to_dict(self) -> dict:
        # ``pass`` is a Python keyword: the attribute is ``passed``, the JSON key stays ``pass``
        return {"value": self.value, "limit": self.limit, "pass": self.passed, "note": self.note}

    def units(self) -> dict:
        return {"value": "1", "limit": "1", "pass": "", "note": ""}


@dataclass(frozen=True)
class ArtefactChecks(Result):
    """Every artefact check of one map and whether none failed."""

    topography_correlation: Check
    topography_gradient_correlation: Check
    deflection_correlation: Check
    forward_backward_topography: Check
    saturation: Check
    line_jumps: Check
    all_pass: bool = quantity("")

    def items(self):
        """``(name, Check)`` pairs, in the JSON order."""
        return [(f, getattr(self, f)) for f in self.__dataclass_fields__ if f != "all_pass"]


def _stride(shape) -> int:
    return max(1, int(np.ceil(np.sqrt(shape[0] * shape[1] / _MAX_PIXELS))))


def _check(value, limit, ok, note) -> Check:
    return Check(None if value is None else float(value), limit, ok, note)


def _correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 10:
        return None
    a, b = a[ok] - a[ok].mean(), b[ok] - b[ok].mean()
    den = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / den) if den > 0 else 0.0


def _corr_check(logc, other, name, label):
    if other is None:
        return _check(None, MAX_CORRELATION, None, f"no {name} channel")
    r = _correlation(logc, other)
    if r is None:
        return _check(None, MAX_CORRELATION, None, f"too few valid pixels for {label}")
    ok = abs(r) < MAX_CORRELATION
    verdict = "independent of" if ok else "follows"
    return _check(r, MAX_CORRELATION, ok, f"current {verdict} {label} (Pearson r = {r:.2f})")


def saturation(current: np.ndarray, saturation_A: float | None) -> tuple[float, float | None]:
    """Fraction of valid pixels at the amplifier limit and that limit (A).

    With ``saturation_A`` given, pixels at or beyond +-saturation count.  Otherwise
    the limit is detected as a pile-up of identical values at the map's maximum
    (clipping); a noisy plateau never repeats its maximum that often.
    """
    n_valid = int(np.count_nonzero(np.isfinite(current)))
    if n_valid == 0:
        return 0.0, saturation_A
    if saturation_A is None:
        top = float(np.nanmax(current))
        with np.errstate(invalid="ignore"):
            at_top = int(np.count_nonzero(current >= top - 1e-9 * abs(top)))
        if top <= 0 or at_top < max(10, int(1e-4 * n_valid)):
            return 0.0, None
        saturation_A = top
    limit = saturation_A * (1 - 1e-9)
    with np.errstate(invalid="ignore"):  # two comparisons: no full-size |current| temporary
        frac = (np.count_nonzero(current >= limit) + np.count_nonzero(current <= -limit)) / n_valid
    return float(frac), float(saturation_A)


def line_jumps(current: np.ndarray, detected: np.ndarray, noise: NoiseResult, slow_scan: str) -> dict:
    """Scan lines whose background current (>= 3 px from ``detected``) jumps against their neighbours.

    Up to 512 evenly spaced samples per line are enough for a line's median background.
    """
    cur, det = (current, detected) if slow_scan == "horizontal" else (current.T, detected.T)
    n_lines, n_samples = cur.shape
    cols = np.unique(np.linspace(0, n_samples - 1, min(n_samples, 512)).astype(int))
    near = np.zeros((n_lines, cols.size), dtype=bool)
    for o in (-3, 0, 3):  # blurred edge tails would lift the background of lines that cross a region
        near |= det[:, np.clip(cols + o, 0, n_samples - 1)]
    near = ndimage.maximum_filter1d(near.view(np.uint8), 7, axis=0) > 0
    bg = np.where(near, np.nan, cur[:, cols])
    counts = np.isfinite(bg).sum(axis=1)
    usable = counts >= max(8, cols.size // 10)
    if usable.sum() < 3:
        return _check(None, MAX_JUMP_FRACTION, None, "too few background lines")
    med = upper_median(bg[usable], axis=1)
    diff = np.diff(med)
    spread = 1.4826 * np.median(np.abs(diff - np.median(diff)))
    limit = max(8 * spread, 0.5 * noise.noise_rms_A)
    n_jumps = int(np.count_nonzero(np.abs(diff - np.median(diff)) > limit))
    frac = n_jumps / max(diff.size, 1)
    ok = frac <= MAX_JUMP_FRACTION
    return _check(frac, MAX_JUMP_FRACTION, ok, f"{n_jumps} background jumps between {diff.size + 1} scan lines")


def artefact_checks(scan: xr.Dataset, current: np.ndarray, mask: np.ndarray, noise: NoiseResult, *,
                    direction: str = "forward", channel: str = "current",
                    saturation_A: float | None = None, detected: np.ndarray | None = None
                    ) -> tuple[ArtefactChecks, float]:
    """All artefact checks of one map.

    Returns
    -------
    checks : ArtefactChecks
        ``topography_correlation``, ``topography_gradient_correlation``,
        ``deflection_correlation``, ``forward_backward_topography``, ``saturation``,
        ``line_jumps`` and ``all_pass``.
    saturated_fraction : float
        Fraction of valid pixels at the amplifier limit.

    ``detected`` (pixels above the detection threshold, default ``mask``) is kept
    out of the scan-line background.
    """
    s = _stride(current.shape)
    floor = max(noise.noise_floor_A, 1e-30)
    with np.errstate(invalid="ignore"):
        logc = np.log10(np.maximum(current[::s, ::s] - noise.noise_offset_A, floor))

    def trace(name, d=direction):
        if name == channel or name not in scan.data_vars:
            return None
        try:
            # the regular subsample only: statistics need ~1e6 pixels, and no full-size copy is made (sliced
            # before .values: a channel opened to decode on access decodes only these pixels)
            return np.asarray(get_channel(scan, name, d)[::s, ::s].values, dtype=float)
        except Exception:  # the other trace may be absent
            return None

    topo = trace("topography")
    defl = trace("deflection")
    grad = None
    if topo is not None:
        dy, dx = float(scan.attrs.get("pixel_size_y_m", scan.attrs["pixel_size_m"])), float(scan.attrs["pixel_size_m"])
        gy, gx = np.gradient(topo, dy * s, dx * s)
        grad = np.hypot(gx, gy)
    checks = {
        "topography_correlation": _corr_check(logc, topo, "topography", "topography"),
        "topography_gradient_correlation": _corr_check(logc, grad, "topography", "the topography gradient"),
        "deflection_correlation": _corr_check(logc, defl, "deflection", "deflection"),
    }
    other = "backward" if direction == "forward" else "forward"
    back = trace("topography", other) if "direction" in scan.dims else None
    if topo is None or back is None or not np.isfinite(back).any():
        checks["forward_backward_topography"] = _check(None, MAX_FB_DIFFERENCE, None, "no forward/backward pair")
    else:
        diff = (topo - np.nanmean(topo)) - (back - np.nanmean(back))
        rms_diff, rms_topo = float(np.sqrt(np.nanmean(diff ** 2))), float(np.nanstd(topo))
        rel = rms_diff / rms_topo if rms_topo > 0 else 0.0
        checks["forward_backward_topography"] = _check(
            rel, MAX_FB_DIFFERENCE, rel < MAX_FB_DIFFERENCE,
            f"forward - backward topography RMS {rms_diff:.3g} m = {rel:.2f} of the topography RMS")
    frac, limit = saturation(current, saturation_A)
    sat_ok = frac <= MAX_SATURATED_FRACTION
    note = "no pixel at the amplifier limit" if frac == 0 else \
        f"{100 * frac:.2f} % of pixels at the amplifier limit {limit:.3g} A" + ("" if sat_ok else ": saturated map")
    checks["saturation"] = _check(frac, MAX_SATURATED_FRACTION, sat_ok, note)
    checks["line_jumps"] = line_jumps(current, detected if detected is not None else mask, noise,
                                      str(scan.attrs.get("slow_scan", "horizontal")))
    return ArtefactChecks(**checks, all_pass=all(c.passed is not False for c in checks.values())), frac
