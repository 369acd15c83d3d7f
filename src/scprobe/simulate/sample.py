"""Sample physics: the superconducting landscape of a heterogeneous type-II superconductor.

The superconducting phase is an anisotropic Gaussian random field thresholded to an
area fraction (islands and stripes in an insulating matrix).  Regions closer than
``min_separation_m`` or smaller than ``min_region_m2`` are removed, so that a region
count is well defined at any reasonable connectivity.  Each region carries a local Tc;
inside regions, large sub-domains sit on one of the conductance-state plateaus.
Boundaries are sharp: the sample gives the signed distance to the boundary, the
instrument (:mod:`scprobe.simulate.instrument`) blurs it with its point-spread function.

Everything lives on a *domain* grid of ``pixel_size_m`` that holds both scan areas,
the drift margins and the SEM field; scans are windows of it.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from scprobe.simulate.params import SampleParams


def rng_for(seed: int, *keys) -> np.random.Generator:
    """Independent, reproducible random stream for ``seed`` and a tuple of keys (str or int)."""
    ints = [int(seed) & 0xFFFFFFFF] + [k if isinstance(k, int) else zlib.crc32(str(k).encode()) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(ints))


def gaussian_field(shape: tuple[int, int], long_px: float, short_px: float, angle_deg: float,
                   rng: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-variance Gaussian random field with anisotropic Gaussian correlation.

    Parameters
    ----------
    shape : (int, int)
        Grid shape (rows, columns).
    long_px, short_px : float
        Correlation lengths along and across ``angle_deg``, pixels.
    angle_deg : float
        Direction of the long axis, degrees counter-clockwise from +x (rows grow downwards).
    """
    white = rng.standard_normal(shape)
    ky = 2 * np.pi * np.fft.fftfreq(shape[0])[:, None]
    kx = 2 * np.pi * np.fft.rfftfreq(shape[1])[None, :]
    a = np.deg2rad(angle_deg)
    ku = kx * np.cos(a) - ky * np.sin(a)
    kv = kx * np.sin(a) + ky * np.cos(a)
    filt = np.exp(-0.5 * ((ku * long_px) ** 2 + (kv * short_px) ** 2))
    out = np.fft.irfft2(np.fft.rfft2(white) * filt, s=shape)
    out -= out.mean()
    return out / out.std()


@dataclass(frozen=True)
class Landscape:
    """Superconducting landscape and surface of the sample on the domain grid.

    Attributes
    ----------
    pixel_size_m : float
        Grid pitch, m.
    field : ndarray
        The random field whose super-level set is the phase (dimensionless).
    threshold : float
        Level of the phase boundary in ``field``.
    mask : ndarray of bool
        Geometric superconducting phase (all regions).
    labels : ndarray of int32
        Region label per pixel (0 = matrix), regions numbered 1..n.
    nearest_label : ndarray of int32
        Label of the nearest region for every pixel (extends regions outwards).
    signed_distance_m : ndarray
        Distance to the phase boundary, m; positive inside.
    state_current_A : ndarray
        Plateau current at the reference bias for every pixel (extended outwards from the nearest region), A.
    region_tc_K : ndarray
        Local Tc per label (index 0 unused, NaN), K.
    region_fluctuating : ndarray of bool
        Per label: metastable dots appear in this region above its Tc.
    topography_m : ndarray
        Surface height, m.
    params : SampleParams
    """

    pixel_size_m: float
    field: np.ndarray
    threshold: float
    mask: np.ndarray
    labels: np.ndarray
    nearest_label: np.ndarray
    signed_distance_m: np.ndarray
    state_current_A: np.ndarray
    region_tc_K: np.ndarray
    region_fluctuating: np.ndarray
    topography_m: np.ndarray
    params: SampleParams

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.mask.shape)

    @property
    def region_count(self) -> int:
        return int(self.region_tc_K.size - 1)

    def tc_map(self) -> np.ndarray:
        """Local Tc per pixel, K; NaN in the matrix."""
        table = self.region_tc_K.copy()
        table[0] = np.nan
        return table[self.labels]

    def mask_at(self, temperature_K: float) -> np.ndarray:
        """Geometric mask of the regions that superconduct at ``temperature_K`` (local Tc above it)."""
        active = self.region_tc_K > temperature_K
        active[0] = False
        return active[self.labels]


def _clean_regions(raw: np.ndarray, p: SampleParams) -> tuple[np.ndarray, np.ndarray]:
    """Remove specks, pinholes and regions closer than ``min_separation_m`` to a larger one."""
    px2 = p.pixel_size_m ** 2
    min_px = max(4, int(round(p.min_region_m2 / px2)))
    four = ndimage.generate_binary_structure(2, 1)
    mask = ndimage.binary_opening(raw, structure=four)
    holes = ndimage.label(~mask, structure=four)[0]
    hole_sizes = np.bincount(holes.ravel())
    mask = mask | ((hole_sizes < min_px)[holes] & (holes > 0))
    labels, n = ndimage.label(mask, structure=four)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    keep = sizes >= min_px
    keep[0] = False
    mask = keep[labels]
    labels, n = ndimage.label(mask, structure=four)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    # Regions within min_separation of each other fall in one cluster of the dilated mask: keep the largest.
    r = max(1, int(np.ceil(p.min_separation_m / p.pixel_size_m / 2)))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    disk = xx ** 2 + yy ** 2 <= r * r
    clusters = ndimage.label(ndimage.binary_dilation(mask, structure=disk), structure=np.ones((3, 3)))[0]
    cl_of = np.zeros(n + 1, dtype=np.int64)
    cl_of[labels.ravel()] = clusters.ravel()
    # Largest region per cluster (ties: the higher label), via one integer key per region.
    key = sizes * (n + 1) + np.arange(n + 1)
    best = np.zeros(clusters.max() + 1, dtype=np.int64)
    np.maximum.at(best, cl_of[1:], key[1:])
    keep = np.zeros(n + 1, dtype=bool)
    keep[best[best > 0] % (n + 1)] = True
    mask = keep[labels]
    labels, n = ndimage.label(mask, structure=four)
    return mask, labels.astype(np.int32)


def _signed_distance_px(field: np.ndarray, threshold: float, mask: np.ndarray):
    """Sub-pixel signed distance to the boundary of ``mask`` and nearest-inside-pixel indices.

    Near the boundary the linearised level-set distance ``(f - t) / |grad f|`` is exact to
    first order; far from it (and where clean-up changed the mask) the Euclidean distance
    transform is used.
    """
    d_out, idx = ndimage.distance_transform_edt(~mask, return_indices=True)
    d_in = ndimage.distance_transform_edt(mask)
    d_edt = np.where(mask, d_in - 0.5, 0.5 - d_out)
    gy, gx = np.gradient(field)
    grad = np.hypot(gy, gx)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_lin = (field - threshold) / grad
    # The linearisation holds within ~2 px of a smooth boundary; beyond, its curvature error exceeds the EDT's.
    good = np.isfinite(d_lin) & (np.abs(d_lin) < 2) & ((d_lin > 0) == mask) & (np.abs(d_lin - d_edt) < 0.6)
    return np.where(good, d_lin, d_edt), idx


def _bumps(z: np.ndarray, count: int, radius_px: float, profile, rng: np.random.Generator) -> None:
    """Add ``count`` round features at random places into ``z`` in place; ``profile(r_px)`` gives the height."""
    ny, nx = z.shape
    for _ in range(count):
        cy, cx = rng.uniform(0, ny), rng.uniform(0, nx)
        y0, y1 = int(max(0, cy - 3 * radius_px)), int(min(ny, cy + 3 * radius_px + 1))
        x0, x1 = int(max(0, cx - 3 * radius_px)), int(min(nx, cx + 3 * radius_px + 1))
        if y0 >= y1 or x0 >= x1:
            continue
        z[y0:y1, x0:x1] += profile(np.hypot(*np.mgrid[y0:y1, x0:x1] - np.array([cy, cx])[:, None, None]))


def _topography(shape, p: SampleParams, rng: np.random.Generator) -> np.ndarray:
    """Terraces with unit-cell steps, cleavage pits, particles and roughness (independent of conduction)."""
    ny, nx = shape
    px = p.pixel_size_m
    y, x = np.mgrid[0:ny, 0:nx] * px
    a = rng.uniform(0, np.pi)
    wiggle = gaussian_field(shape, 400e-9 / px, 400e-9 / px, 0.0, rng) * 0.35
    u = (x * np.cos(a) + y * np.sin(a)) / p.terrace_width_m + wiggle
    z = p.step_height_m * np.floor(u)
    area_um2 = ny * nx * px * px * 1e12
    r_pit = p.pit_radius_m / px
    _bumps(z, rng.poisson(p.pit_count_per_um2 * area_um2), r_pit,
           lambda r: -p.pit_depth_m * 0.5 * (1 + np.tanh((r_pit - r) / 1.5)), rng)
    z += p.roughness_m * gaussian_field(shape, 2.0, 2.0, 0.0, rng)
    # Particles (detritus on the cleaved surface) come last so that adding them leaves the rest unchanged.
    r_part = p.particle_radius_m / px
    _bumps(z, rng.poisson(p.particle_count_per_um2 * area_um2), r_part,
           lambda r: p.particle_height_m * np.exp(-((r / r_part) ** 2)), rng)
    return z


def _geometry(field: np.ndarray, threshold: float, p: SampleParams):
    """Mask, labels, nearest label, signed distance (px) and nearest-inside indices of a phase."""
    mask, labels = _clean_regions(field > threshold, p)
    d_px, idx = _signed_distance_px(field, threshold, mask)
    nearest = labels[idx[0], idx[1]]
    return mask, labels, nearest, d_px, idx


def _draw_region_tc(n: int, p: SampleParams, rng: np.random.Generator) -> np.ndarray:
    tc = rng.normal(p.tc_K, p.tc_spread_K, n)
    tc = np.clip(tc, p.low_tc_range_K[1], p.vanish_K - 1e-3)
    low = rng.random(n) < p.low_tc_fraction
    tc[low] = rng.uniform(*p.low_tc_range_K, int(low.sum()))
    return np.concatenate([[np.nan], np.round(tc, 3)])


def _state_current(shape, p: SampleParams, rng: np.random.Generator) -> np.ndarray:
    h = gaussian_field(shape, p.state_correlation_m / p.pixel_size_m, p.state_correlation_m / p.pixel_size_m,
                       0.0, rng)
    edges = np.quantile(h, np.cumsum(p.state_probabilities)[:-1]) if len(p.state_probabilities) > 1 else []
    return np.asarray(p.state_currents_A, dtype=float)[np.searchsorted(edges, h)]


def _boundary_slope(field: np.ndarray, threshold: float) -> float:
    """Median gradient of ``field`` (per pixel) where it crosses ``threshold``."""
    gy, gx = np.gradient(field)
    g = np.hypot(gy, gx)
    near = np.abs(field - threshold) < 0.5 * g
    return float(np.median(g[near])) if near.any() else 1.0


def _add_stripes(field: np.ndarray, threshold: float, window, p: SampleParams, seed: int) -> np.ndarray:
    """Lay ``area_b_stripes`` wide stripes of the phase across ``window`` (y0, x0, ny, nx), domain pixels.

    Inside the window (and a short taper around it) the random islands are removed, so that the
    area holds the stripes alone, as published (Fig. 2c).  Each stripe raises the field to
    ``threshold + slope (w / 2 - |u|)`` with ``u`` the (gently wiggling) distance from its centre
    line and ``slope`` the field's own gradient at its boundaries, so that the stripe edges have
    the same sub-pixel geometry as the others.
    """
    y0, x0, ny, nx = window
    px = p.pixel_size_m
    a = np.deg2rad(p.area_b_stripe_angle_deg)
    cy, cx = y0 + (ny - 1) / 2, x0 + (nx - 1) / 2
    y, x = np.mgrid[0:field.shape[0], 0:field.shape[1]]
    wiggle = gaussian_field(field.shape, 1.2e-6 / px, 1.2e-6 / px, 0.0, rng_for(seed, "stripes"))
    u = (x - cx) * np.sin(a) + (y - cy) * np.cos(a) + 0.05 * p.area_b_stripe_width_m / px * wiggle
    n = p.area_b_stripes
    centres = np.linspace(-0.24, 0.24, n) * min(ny, nx) if n > 1 else np.zeros(1)
    half = 0.5 * p.area_b_stripe_width_m / px
    slope = _boundary_slope(field, threshold)
    stripes = threshold + slope * (half - np.min(np.abs(u[None] - centres[:, None, None]), axis=0))
    # 1 inside the window, falling to 0 over 16 px outside it: the islands fade out smoothly.
    outside = np.maximum(np.maximum(y0 - y, y - (y0 + ny - 1)), np.maximum(x0 - x, x - (x0 + nx - 1)))
    weight = np.clip(1 - outside / 16.0, 0, 1)
    quiet = field - weight * (field.max() - threshold + slope)
    return np.maximum(quiet, stripes)


def sample_landscape(params: SampleParams, seed: int, shape: tuple[int, int] = (1024, 1536),
                     stripe_window: tuple[int, int, int, int] | None = None) -> Landscape:
    """Draw a superconducting landscape and surface.

    Parameters
    ----------
    params : SampleParams
        Sample physics (lengths in m, temperatures in K, currents in A).
    seed : int
        Random seed; the same seed gives the same landscape.
    shape : (int, int)
        Domain size, pixels (rows, columns).
    stripe_window : (y0, x0, ny, nx), optional
        Domain pixels of area B, across which ``params.area_b_stripes`` wide stripes of
        the phase are laid (the published Fig. 2c); none when omitted.

    Returns
    -------
    Landscape
    """
    p = params
    px = p.pixel_size_m
    field = gaussian_field(shape, p.correlation_long_m / px, p.correlation_short_m / px, p.stripe_angle_deg,
                           rng_for(seed, "phase"))
    threshold = float(np.quantile(field, 1 - p.area_fraction))
    if stripe_window is not None and p.area_b_stripes:
        field = _add_stripes(field, threshold, stripe_window, p, seed)
    mask, labels, nearest, d_px, idx = _geometry(field, threshold, p)
    n = int(labels.max())
    rng = rng_for(seed, "regions")
    tc = _draw_region_tc(n, p, rng)
    fluct = np.concatenate([[False], rng.random(n) < p.fluctuating_fraction])
    states = _state_current(shape, p, rng_for(seed, "states"))
    return Landscape(px, field, threshold, mask, labels, nearest, d_px * px, states[idx[0], idx[1]], tc, fluct,
                     _topography(shape, p, rng_for(seed, "topography")), p)


def recool(landscape: Landscape, seed: int) -> Landscape:
    """The landscape after warming to ``vanish_K`` and cooling again.

    The phase returns over largely the same area; its boundary moves by about
    ``recool_boundary_m`` (RMS).  Regions keep the local Tc of the old region they
    overlap most; a region with no predecessor draws a new Tc.
    """
    ls, p = landscape, landscape.params
    rng = rng_for(seed, "recool")
    pert = gaussian_field(ls.shape, 3.0, 3.0, 0.0, rng)
    slope = _boundary_slope(ls.field, ls.threshold)
    field = ls.field + pert * slope * p.recool_boundary_m / p.pixel_size_m
    mask, labels, nearest, d_px, idx = _geometry(field, ls.threshold, p)
    n = int(labels.max())
    overlap = np.zeros((n + 1, ls.region_count + 1), dtype=np.int64)
    np.add.at(overlap, (labels.ravel(), ls.labels.ravel()), 1)
    parent = overlap[:, 1:].argmax(axis=1) + 1
    has_parent = overlap[:, 1:].max(axis=1) > 0
    fresh = _draw_region_tc(n, p, rng)
    tc = np.where(has_parent, ls.region_tc_K[parent], fresh)
    tc[0] = np.nan
    fluct = np.where(has_parent, ls.region_fluctuating[parent], rng.random(n + 1) < p.fluctuating_fraction)
    fluct[0] = False
    # The state plateaus are a property of the material: the same sub-domains, re-extended to the new regions.
    states = ls.state_current_A[idx[0], idx[1]]
    return Landscape(ls.pixel_size_m, field, ls.threshold, mask, labels, nearest, d_px * p.pixel_size_m, states,
                     tc, fluct, ls.topography_m, p)


def dot_density_per_um2(params: SampleParams, temperature_K: float) -> float:
    """Density of metastable dots at ``temperature_K`` (per um^2 of the fluctuating phase).

    Zero below the mean Tc and above ``vanish_K``; falls linearly from
    ``dot_density_per_um2`` at Tc to zero at ``vanish_K``.
    """
    p = params
    if not p.tc_K < temperature_K < p.vanish_K:
        return 0.0
    return p.dot_density_per_um2 * (p.vanish_K - temperature_K) / (p.vanish_K - p.tc_K)


def _place(candidates: np.ndarray, count: int, min_sep_px: float, existing: list, rng) -> list:
    """Pick up to ``count`` candidate pixels at random, at least ``min_sep_px`` from each other."""
    out = []
    if count <= 0 or len(candidates) == 0:
        return out
    for i in rng.permutation(len(candidates))[: 20 * count]:
        c = candidates[i].astype(float)
        if all((c[0] - q[0]) ** 2 + (c[1] - q[1]) ** 2 >= min_sep_px ** 2 for q in existing + out):
            out.append((c[0] + rng.uniform(-0.5, 0.5), c[1] + rng.uniform(-0.5, 0.5)))
            if len(out) == count:
                break
    return out


def metastable_spots(landscape: Landscape, temperature_K: float, seed: int,
                     window: tuple[int, int, int, int] | None = None) -> dict[str, np.ndarray]:
    """Centres of the metastable conducting dots of one scan, forward and backward trace.

    Parameters
    ----------
    landscape : Landscape
    temperature_K : float
        Sample temperature, K.
    seed : int
        Seed of this scan; forward and backward dots are drawn jointly from it.
    window : (y0, x0, ny, nx), optional
        Only place dots inside this domain window (pixels).

    Returns
    -------
    dict
        ``forward`` and ``backward``: arrays (n, 2) of ``(y, x)`` centres in domain pixels;
        ``persistent``: bool per forward dot, True when it is also in the backward trace.
    """
    ls, p = landscape, landscape.params
    empty = np.zeros((0, 2))
    dens = dot_density_per_um2(p, temperature_K)
    if dens == 0.0:
        return {"forward": empty, "backward": empty, "persistent": np.zeros(0, dtype=bool)}
    rng = rng_for(seed, "dots", round(temperature_K * 1000))
    r_px = 0.5 * p.dot_diameter_m / p.pixel_size_m
    eligible = ls.region_fluctuating[ls.labels] & (ls.signed_distance_m > r_px * p.pixel_size_m)
    ring = (ls.signed_distance_m < -3 * p.pixel_size_m) & (ls.signed_distance_m > -12 * p.pixel_size_m)
    if window is not None:
        y0, x0, ny, nx = window
        inside = np.zeros(ls.shape, dtype=bool)
        m = int(np.ceil(r_px)) + 1
        inside[y0 + m:y0 + ny - m, x0 + m:x0 + nx - m] = True
        eligible &= inside
        ring &= inside
    area_um2 = eligible.sum() * (p.pixel_size_m * 1e6) ** 2
    n_in = rng.poisson(dens * area_um2 * (1 - p.dot_outside_fraction))
    n_out = rng.poisson(dens * area_um2 * p.dot_outside_fraction)
    sep = p.dot_min_separation_m / p.pixel_size_m
    cand_in, cand_out = np.argwhere(eligible), np.argwhere(ring)
    f_in = _place(cand_in, n_in, sep, [], rng)
    f_out = _place(cand_out, n_out, sep, f_in, rng)
    fwd = f_in + f_out
    persistent = rng.random(len(fwd)) < p.dot_persistence
    bwd = [c for c, keep in zip(fwd, persistent) if keep]
    lost = [c for c, keep in zip(fwd, persistent) if not keep]
    # The backward trace has as many dots on average: lost ones re-appear elsewhere, at least
    # dot_min_separation_m from where they were (else the rearrangement would not be observable).
    n_new_in = len(f_in) - int(persistent[:len(f_in)].sum())
    n_new_out = len(f_out) - int(persistent[len(f_in):].sum())
    bwd += _place(cand_in, n_new_in, sep, bwd + lost, rng)
    bwd += _place(cand_out, n_new_out, sep, bwd + lost, rng)
    return {"forward": np.array(fwd).reshape(-1, 2), "backward": np.array(bwd).reshape(-1, 2),
            "persistent": np.asarray(persistent, dtype=bool)}
