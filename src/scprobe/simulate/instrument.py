"""Instrument model: how a cryogenic conductive AFM sees the sample.

The tip current is the sample's plateau current blurred by a Gaussian point-spread
function (tip-sample contact), measured by a transimpedance amplifier with white
noise, an offset, a small gain fluctuation and a saturation limit.  Topography is the
surface plus tilt, line-to-line offsets, scars and noise; deflection ("intensity") is
the feedback error, driven by the height slope along the fast axis and not by the
current.  Forward and backward traces get independent noise and mirrored feedback lag.

The edge response is exact: a straight boundary blurred by a Gaussian of standard
deviation sigma is ``Phi(d / sigma)`` with ``d`` the signed distance to the boundary
(docs/physics.md, "Edges"), so the 10-90 % width is 2.5631 sigma.
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage, signal
from scipy.special import ndtr

from scprobe.errors import ParameterError
from scprobe.simulate.params import InstrumentParams
from scprobe.simulate.sample import Landscape, metastable_spots, rng_for

DIRECTIONS = ("forward", "backward")


def scan_grid(landscape: Landscape, instrument: InstrumentParams, origin_px=None, shape=None):
    """The pixel centres of a scan on the domain grid: ``(y0, x0, ny, nx, ratio)``.

    Scan pixel ``(i, j)`` lies at domain pixel ``(y0 + i ratio, x0 + j ratio)``, with
    ``ratio = instrument.pixel_size_m / landscape.pixel_size_m`` (1 when the scan is on the
    sample grid, as for area A; area B is scanned with a coarser pitch).
    """
    ratio = instrument.pixel_size_m / landscape.pixel_size_m
    ratio = 1.0 if np.isclose(ratio, 1.0, rtol=1e-9) else float(ratio)
    ny, nx = landscape.shape if shape is None else shape
    y0, x0 = (0, 0) if origin_px is None else (int(origin_px[0]), int(origin_px[1]))
    span_y, span_x = domain_span(ny, ratio), domain_span(nx, ratio)
    if y0 < 0 or x0 < 0 or y0 + span_y > landscape.shape[0] or x0 + span_x > landscape.shape[1]:
        raise ParameterError(f"scan window {ny}x{nx} (pitch ratio {ratio:.4g}) at {(y0, x0)} is outside the "
                             f"{landscape.shape} sample domain")
    return y0, x0, ny, nx, ratio


def domain_span(n: int, ratio: float) -> int:
    """Domain pixels spanned by ``n`` scan pixels of ``ratio`` domain pixels each."""
    return n if ratio == 1.0 else int(np.ceil((n - 1) * ratio)) + 1


def on_scan_grid(array: np.ndarray, grid, order: int = 1, offset=(0, 0)) -> np.ndarray:
    """``array`` (domain grid, or a sub-window of it starting at ``offset``) at the scan's pixel centres.

    ``order`` 1 interpolates linearly (smooth quantities: signed distance, height), 0 takes
    the nearest domain pixel (labels, plateau levels).
    """
    y0, x0, ny, nx, ratio = grid
    y0, x0 = y0 - offset[0], x0 - offset[1]
    if ratio == 1.0:
        return array[y0:y0 + ny, x0:x0 + nx]
    rows = y0 + ratio * np.arange(ny, dtype=float)
    cols = x0 + ratio * np.arange(nx, dtype=float)
    sub = array[int(rows[0]):int(np.ceil(rows[-1])) + 1, int(cols[0]):int(np.ceil(cols[-1])) + 1]
    yy, xx = np.meshgrid(rows - int(rows[0]), cols - int(cols[0]), indexing="ij")
    return ndimage.map_coordinates(sub, [yy, xx], order=order, mode="nearest")


def geometric_mask(landscape: Landscape, temperature_K: float, grid) -> np.ndarray:
    """Regions conducting at ``temperature_K`` (local Tc above it) on a scan grid (:func:`scan_grid`)."""
    ls = landscape
    if grid[4] == 1.0:
        return on_scan_grid(ls.mask_at(temperature_K), grid)
    active = ls.region_tc_K > temperature_K
    active[0] = False
    return (on_scan_grid(ls.signed_distance_m, grid) > 0) & active[on_scan_grid(ls.nearest_label, grid, order=0)]


def _render_dots(out: np.ndarray, centres: np.ndarray, radius_px: float, sigma_px: float, level_A: float) -> None:
    """Add blurred disks (``level * Phi((R - r) / sigma)``) into ``out``; centres in its pixels."""
    half = int(np.ceil(radius_px + 5 * sigma_px)) + 1
    ny, nx = out.shape
    for y, x in centres:
        y0, y1 = max(0, int(y) - half), min(ny, int(y) + half + 1)
        x0, x1 = max(0, int(x) - half), min(nx, int(x) + half + 1)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        r = np.hypot(yy - y, xx - x)
        out[y0:y1, x0:x1] = np.maximum(out[y0:y1, x0:x1], level_A * ndtr((radius_px - r) / sigma_px))


def clean_current(landscape: Landscape, instrument: InstrumentParams, temperature_K: float, bias_V: float,
                  spots: np.ndarray | None = None, *, origin_px=None, shape=None) -> np.ndarray:
    """Noise-free tip current of a scan window, A (PSF applied, before the amplifier).

    Parameters
    ----------
    landscape : Landscape
    instrument : InstrumentParams
        Its ``pixel_size_m`` is the scan pitch; a pitch other than the sample grid's
        resamples the landscape (:func:`scan_grid`).
    temperature_K : float
        Regions whose local Tc is above it conduct, K.
    bias_V : float
        Tip-sample bias, V; plateau currents scale linearly with it.
    spots : ndarray (n, 2), optional
        Metastable dot centres in domain pixels ``(y, x)``.
    origin_px, shape : optional
        Window of the domain: top-left ``(y, x)`` (domain pixels) and ``(ny, nx)`` (scan
        pixels), default: the whole domain.
    """
    ls, p = landscape, landscape.params
    grid = scan_grid(ls, instrument, origin_px, shape)
    y0, x0, ny, nx, ratio = grid
    sigma_px = instrument.psf_sigma_m / ls.pixel_size_m
    scale = bias_V / p.reference_bias_V
    m = int(np.ceil(4 * sigma_px)) + 1
    ya, xa = max(0, y0 - m), max(0, x0 - m)
    yb, xb = min(ls.shape[0], y0 + domain_span(ny, ratio) + m), min(ls.shape[1], x0 + domain_span(nx, ratio) + m)
    active = ls.region_tc_K > temperature_K
    active[0] = False
    level = ls.state_current_A[ya:yb, xa:xb] * active[ls.nearest_label[ya:yb, xa:xb]] * scale
    # Boundaries between state plateaus inside a region are blurred by the same PSF.
    level = on_scan_grid(ndimage.gaussian_filter(level, sigma_px, mode="nearest"), grid, offset=(ya, xa))
    # The edge is exact on any grid: the PSF acts on the (smooth) signed distance, not on sampled currents.
    current = level * ndtr(on_scan_grid(ls.signed_distance_m, grid) / instrument.psf_sigma_m)
    if spots is not None and len(spots):
        centres = (np.asarray(spots, dtype=float) - np.array([y0, x0])) / ratio
        _render_dots(current, centres, 0.5 * p.dot_diameter_m / instrument.pixel_size_m,
                     instrument.psf_sigma_m / instrument.pixel_size_m, p.dot_current_A * scale)
    return current


def amplifier(current_A: np.ndarray, instrument: InstrumentParams, rng: np.random.Generator) -> np.ndarray:
    """Transimpedance amplifier: gain fluctuation, white noise, offset and saturation (A)."""
    ip = instrument
    noisy = current_A * (1 + ip.gain_noise * rng.standard_normal(current_A.shape))
    noisy += ip.noise_offset_A + ip.noise_rms_A * rng.standard_normal(current_A.shape)
    return np.clip(noisy, -ip.saturation_A, ip.saturation_A)


def _line_artefacts(shape, ip: InstrumentParams, rng) -> np.ndarray:
    """Line offsets (random walk) and scars, along lines of the fast axis; ``shape`` is (lines, samples)."""
    nl, ns = shape
    art = np.repeat(np.cumsum(ip.row_offset_m * rng.standard_normal(nl))[:, None], ns, axis=1)
    for line in np.flatnonzero(rng.random(nl) < ip.scar_rate):
        length = int(rng.uniform(0.1, 0.4) * ns)
        start = int(rng.integers(0, max(1, ns - length)))
        art[line, start:start + length] += ip.scar_height_m * rng.uniform(0.5, 1.0) * rng.choice([-1, 1])
    return art


def measure(landscape: Landscape, instrument: InstrumentParams, temperature_K: float, bias_V: float,
            direction: str = "forward", seed: int = 0, *, origin_px=None, shape=None) -> dict[str, np.ndarray]:
    """Measure one trace of one scan: topography (m), deflection (V), current (A).

    Parameters
    ----------
    landscape : Landscape
        The sample (:func:`scprobe.simulate.sample.sample_landscape`).
    instrument : InstrumentParams
    temperature_K : float
        Sample temperature, K.
    bias_V : float
        Tip-sample bias, V.
    direction : {"forward", "backward"}
        Trace; metastable dots and noise differ between traces of the same ``seed``.
    seed : int
        Seed of the scan (both traces of a scan share it).
    origin_px, shape : optional
        Scan window in the domain: top-left ``(y, x)`` (domain pixels) and ``(ny, nx)`` (scan
        pixels of ``instrument.pixel_size_m``).

    Returns
    -------
    dict of ndarray
        ``topography``, ``deflection``, ``current`` (with noise) and ``current_clean``
        (noise-free, clipped at saturation), each ``(ny, nx)``, row 0 the top row.
    """
    if direction not in DIRECTIONS:
        raise ParameterError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if not np.isfinite(temperature_K) or temperature_K <= 0:
        raise ParameterError(f"temperature must be positive, got {temperature_K!r} K")
    if not np.isfinite(bias_V) or bias_V <= 0:
        raise ParameterError(f"bias must be positive, got {bias_V!r} V")
    ip, ls = instrument, landscape
    grid = scan_grid(ls, ip, origin_px, shape)
    y0, x0, ny, nx, ratio = grid
    window = (y0, x0, domain_span(ny, ratio), domain_span(nx, ratio))
    spots = metastable_spots(ls, temperature_K, seed, window=window)[direction]
    clean = clean_current(ls, ip, temperature_K, bias_V, spots, origin_px=(y0, x0), shape=(ny, nx))
    rng = rng_for(seed, "instrument", direction)
    current = amplifier(clean, ip, rng)

    px = ip.pixel_size_m
    yy, xx = np.mgrid[0:ny, 0:nx] * px
    surface = on_scan_grid(ls.topography_m, grid) + ip.tilt[0] * xx + ip.tilt[1] * yy
    vertical = ip.slow_scan == "vertical"
    lines = surface.T if vertical else surface
    art = _line_artefacts(lines.shape, ip, rng_for(seed, "lines"))
    # Backward lines share the forward line offsets (same line, moments apart) but add their own noise.
    topo = lines + art + ip.topography_noise_m * rng.standard_normal(lines.shape)
    slope = np.gradient(lines, axis=1) / px
    if direction == "backward":
        slope = -slope[:, ::-1]
    # Feedback error: the slope met by the tip, relaxed with the loop's lag along the trace.
    err = signal.lfilter([0.5], [1.0, -0.5], slope, axis=1)
    if direction == "backward":
        err = err[:, ::-1]
    defl = ip.setpoint_V - ip.deflection_gain_V * err + ip.deflection_noise_V * rng.standard_normal(lines.shape)
    if vertical:
        topo, defl = topo.T, defl.T
    return {"topography": topo, "deflection": defl, "current": current,
            "current_clean": np.clip(clean, -ip.saturation_A, ip.saturation_A)}
