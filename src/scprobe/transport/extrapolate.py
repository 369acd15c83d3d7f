"""From a tens-of-micrometre map to a millimetre sample: would a four-probe measurement show zero?

:func:`percolate` runs in four steps:

1. **validate** the options and measure the map's statistics (area fraction, correlation lengths
   along and across the stripes, orientation; :func:`scprobe.transport.map_statistics`);
2. **choose the dimension** from the sample thickness and the correlation lengths
   (:func:`choose_dimension`), unless it is given;
3. **realise**, in 2-D and in 3-D: Gaussian-field samples with the map's statistics on cells of a
   third of the shortest field correlation length, thresholded to the map's fraction (in 3-D the
   volume fraction is the area fraction of a section, Delesse's principle); on each, the fraction
   at which a superconducting cluster first joins the two end faces (Newman-Ziff) on the full grid,
   on its 2^dim half-size and 4^dim quarter-size crops, and a bar four-probe measurement;
4. **extrapolate** the mean critical fraction from these three sizes to the sample by finite-size
   scaling, ``f_c(L) = f_c + a L^(-1/nu)`` (nu = 4/3 in 2-D, 0.8765 in 3-D), and compare with the
   map's area fraction.

Both dimensions are always answered; the chosen one is also the top-level answer.  Intervals are
95 %: the critical fraction's combines the sampling error of the fit (scaled by its reduced chi^2
when that exceeds 1) with the fit's model error (the change of the extrapolated value when only
the two largest sizes are used); P(zero) at the simulated size has the Wilson score interval of a
binomial count; P(zero) at the sample size carries the critical fraction's interval.  Both are
conditional on the map's statistics: the sampling error of the map's own area fraction (a map holds
a few hundred correlation areas) is reported beside them (``area_fraction_stderr``) and enters
``margin_sigma``, the distance of the map's fraction from the critical fraction in combined
standard errors, which says whether a decision would survive another map of the same sample.
"""
from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from scprobe.errors import ParameterError
from scprobe.results import Result, internal, quantity
from scprobe.transport.contacts import make_contacts
from scprobe.transport.fourprobe import homogeneous_readings, measure
from scprobe.transport.inputs import superconducting_map
from scprobe.transport.network import build_network
from scprobe.transport.percolation import (MapStatistics, gaussian_field, indicator_to_field_length, map_statistics,
                                           spanning_counts)
from scprobe.transport.solver import Forked, small_pages, work_timeout, worth_forking

logger = logging.getLogger(__name__)

#: Largest simulated grid per side (2-D, 3-D): the four-probe solve of a realisation stays small
#: (docs/transport.md has the timings).
MAX_CELLS_PER_SIDE = {2: 256, 3: 48}
#: Smallest simulated grid per side: its quarter-size crops (the third size) keep 8 cells.
MIN_CELLS_PER_SIDE = 32
#: Correlation-length exponent of percolation.
NU = {2: 4.0 / 3.0, 3: 0.8765}
#: Cells per shortest Gaussian correlation length.
CELLS_PER_LENGTH = 3.0
#: Voltage-probe pad radius as a fraction of the sample side.
PAD_FRACTION = 0.02
#: A sample at least this many out-of-plane correlation lengths thick percolates as a 3-D body.
THICK_3D = 10.0
#: A film at most this many out-of-plane correlation lengths thick percolates as a 2-D sheet.
THIN_2D = 1.0
#: Most realisations per dimension accepted: each costs a four-probe solve in 2-D and in 3-D, so
#: more would run for hours without making the intervals much narrower (they shrink as 1/sqrt(N)).
MAX_REALIZATIONS = 1000
#: Largest sample side accepted, m.
MAX_SAMPLE_SIZE_M = 1.0
#: Two-sided 95 % normal quantile.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class DimensionAnswer(Result):
    """Sample-scale answer in one dimension (fractions 0..1, lengths in m, intervals 95 %).

    ``critical_fraction`` is the superconducting fraction at which a zero-resistance path first
    joins the two ends of an infinite sample; ``critical_fraction_at_sample`` the mean at the
    sample size and ``critical_fraction_width_at_sample`` the spread of that size's samples.
    ``percolates`` is ``yes`` when the lower bound of P(zero) is above one half, ``no`` when its
    upper bound is below one half, else ``undecided``.  ``margin_sigma`` is
    ``(area_fraction - critical_fraction_at_sample)`` over the combined standard error of both.
    """

    dim: int = quantity("1")
    cell_size_m: float = quantity("m")
    cells_per_side: int = quantity("count")
    simulated_size_m: float = quantity("m")
    extrapolated: bool = quantity("")
    sizes_m: list = quantity("m")
    mean_critical_fractions: list = quantity("1")
    mean_critical_fraction_stderr: list = quantity("1")
    critical_fraction: float = quantity("1")
    critical_fraction_lower: float = quantity("1")
    critical_fraction_upper: float = quantity("1")
    critical_fraction_stderr_sampling: float = quantity("1")
    critical_fraction_stderr_fit: float = quantity("1")
    critical_fraction_at_sample: float = quantity("1")
    critical_fraction_width_at_sample: float = quantity("1")
    p_zero_resistance: float = quantity("1")
    p_zero_resistance_lower: float = quantity("1")
    p_zero_resistance_upper: float = quantity("1")
    zero_resistance_realizations: int = quantity("count")
    p_zero_resistance_simulated: float = quantity("1")
    p_zero_resistance_simulated_lower: float = quantity("1")
    p_zero_resistance_simulated_upper: float = quantity("1")
    percolates: str = quantity("")
    margin_sigma: float = quantity("sigma")
    r_ratio_median: float = quantity("1")
    r_ratio_p10: float = quantity("1")
    r_ratio_p90: float = quantity("1")
    r_ratios: list = quantity("1")
    critical_fractions: list = quantity("1")
    example: np.ndarray = internal(default=None)


@dataclass(frozen=True)
class PercolationResult(Result):
    """Sample-scale extrapolation of a map in 2-D and 3-D (lengths in m, fractions 0..1).

    ``p_zero_resistance`` (with its 95 % interval) and ``percolates`` are the answer in the chosen
    dimension ``dim_chosen``; ``two_d`` and ``three_d`` hold both answers in full.
    """

    area_fraction: float = quantity("1")
    area_fraction_stderr: float = quantity("1")
    correlation_length_along_m: float = quantity("m")
    correlation_length_across_m: float = quantity("m")
    orientation_deg: float = quantity("deg")
    out_of_plane_correlation_m: float = quantity("m")
    threshold_A: float = quantity("A")
    sample_size_m: float = quantity("m")
    thickness_m: float = quantity("m")
    realizations: int = quantity("count")
    seed: int = quantity("")
    dim_chosen: int = quantity("1")
    dim_reason: str = quantity("")
    p_zero_resistance: float = quantity("1")
    p_zero_resistance_lower: float = quantity("1")
    p_zero_resistance_upper: float = quantity("1")
    percolates: str = quantity("")
    two_d: DimensionAnswer = None
    three_d: DimensionAnswer = None

    def answer(self, dim: int | None = None) -> DimensionAnswer:
        """The answer in ``dim`` (default the chosen dimension)."""
        return self.three_d if (dim or self.dim_chosen) == 3 else self.two_d


# ---------------------------------------------------------------- small statistics
def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (default 95 %).

    Wilson, J. Am. Stat. Assoc. 22, 209 (1927); unlike the normal approximation it stays inside
    [0, 1] and is not empty at 0 or ``trials`` successes.
    """
    if trials <= 0 or not 0 <= successes <= trials:
        raise ParameterError(f"need 0 <= successes <= trials and trials > 0, got {successes}, {trials}")
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def area_fraction_stderr(stats: MapStatistics, map_area_m2: float) -> float:
    """Sampling error of a map's area fraction from its number of independent correlation areas.

    ``var(f) = f (1 - f) A_c / A`` with ``A_c = pi l_along l_across`` the integral of an indicator
    correlation that falls as ``exp(-(r/l)^2)`` along each principal axis (an approximation; exact
    for no particular field, but of the right size for any correlation with those 1/e lengths).
    """
    f = stats.area_fraction
    a_c = math.pi * stats.correlation_length_along_m * stats.correlation_length_across_m
    if not (0 < f < 1 and math.isfinite(a_c)):
        return 0.0
    return math.sqrt(f * (1 - f) * min(a_c / map_area_m2, 1.0))


# ---------------------------------------------------------------- step 2: the dimension
def _length(x: float) -> str:
    for scale, unit in ((1e-3, "mm"), (1e-6, "µm")):
        if x >= scale:
            return f"{x / scale:.3g} {unit}"
    return f"{x / 1e-9:.3g} nm"


def choose_dimension(thickness_m: float | None, out_of_plane_correlation_m: float,
                     dim: int | None = None) -> tuple[int, str]:
    """Dimension in which the sample percolates, and why.

    Parameters
    ----------
    thickness_m : float or None
        Sample thickness, m (its smallest edge); None when unknown.
    out_of_plane_correlation_m : float
        Correlation length of the superconducting domains normal to the surface, m.
    dim : {2, 3}, optional
        An explicit choice, which wins.

    Returns
    -------
    dim : int
        3 when the thickness is at least :data:`THICK_3D` correlation lengths (many domains stack
        through it), 2 when it is at most :data:`THIN_2D` (each domain crosses the film); in
        between, the limit nearer on a logarithmic scale.
    reason : str
        One sentence.
    """
    if dim is not None:
        if dim not in (2, 3):
            raise ParameterError(f"dim must be 2 or 3, got {dim!r}")
        return dim, f"{dim}-D as set explicitly (the thickness was not used)"
    if thickness_m is None:
        return 2, "2-D: no sample thickness was given, so the sample is treated as a film (give the thickness or dim)"
    z = out_of_plane_correlation_m
    if not (math.isfinite(z) and z > 0):
        return 2, "2-D: the map is uniform, so it has no correlation length and the dimension does not matter"
    ratio = thickness_m / z
    lengths = f"{ratio:.3g} times the out-of-plane correlation length {_length(z)}"
    if ratio >= THICK_3D:
        return 3, (f"3-D: the sample is {_length(thickness_m)} thick, {lengths}, so many superconducting domains "
                   "stack through it and it percolates as a bulk body")
    if ratio <= THIN_2D:
        return 2, (f"2-D: the film is {_length(thickness_m)} thick, {lengths}, so each domain crosses the whole "
                   "thickness and it percolates as a sheet")
    d = 3 if ratio >= math.sqrt(THIN_2D * THICK_3D) else 2
    return d, (f"{d}-D: the sample is {_length(thickness_m)} thick, {lengths}, between a sheet (<= {THIN_2D:g}) and a "
               f"bulk body (>= {THICK_3D:g}); the nearer limit is used and the 2-D and 3-D answers bracket it")


# ---------------------------------------------------------------- step 3: realise
def _crops(shape: tuple, parts: int) -> list[tuple]:
    """Slices of the ``parts^dim`` sub-grids of side ``n // parts`` of a grid."""
    sides = [n // parts for n in shape]
    return [tuple(slice(i * s, (i + 1) * s) for i, s in zip(idx, sides))
            for idx in itertools.product(range(parts), repeat=len(shape))]


class _Realisation:
    """The work on one sample realisation: critical fractions at three sizes and a bar four-probe measurement."""

    PARTS = (1, 2, 4)

    def __init__(self, shape: tuple, n_superconducting: int, contacts):
        self.shape, self.n_sc, self.contacts = shape, n_superconducting, contacts

    def measure(self, field_values: np.ndarray) -> tuple[list[list[float]], float]:
        """Critical fractions of the field and of its crops (one list per size), and the four-probe R.

        Cells become superconducting in decreasing field (ties in grid order).  A crop's cells keep
        that order, so the ranks of the whole grid serve every crop.
        """
        order = np.argsort(-field_values.ravel(), kind="stable")
        rank = np.empty(order.size, np.int64)
        rank[order] = np.arange(order.size)
        rank = rank.reshape(self.shape)
        crit = []
        for k in self.PARTS:
            crops = np.stack([rank[c] for c in _crops(self.shape, k)])
            counts = spanning_counts(crops, len(self.shape) - 1)
            crit.append((counts / crops[0].size).tolist())
        net = build_network(np.ones(self.shape), rank < self.n_sc, self.contacts.pixels)
        (reading,), _ = measure(net, self.contacts, configurations=(self.contacts.configurations[0],))
        return crit, reading.r_four_probe

    def superconducting(self, field_values: np.ndarray) -> np.ndarray:
        """The ``n_superconducting`` cells of highest field."""
        sc = np.zeros(field_values.size, bool)
        sc[np.argsort(-field_values.ravel(), kind="stable")[:self.n_sc]] = True
        return sc.reshape(self.shape)


@dataclass(frozen=True)
class _Sweeps:
    cell_m: float
    n: int
    extrapolated: bool
    crit: list  # per realisation, per size, the critical fractions of every crop
    ratios: np.ndarray
    example: np.ndarray


def _realise(dim: int, stats: MapStatistics, lengths_m: tuple, sample_size_m: float, realizations: int,
             seed: int, n_max: int, progress) -> _Sweeps:
    """Realisations of the sample in ``dim`` dimensions with the map's statistics."""
    f = stats.area_fraction
    k = indicator_to_field_length(f)
    xi = [k * lengths_m[0], k * lengths_m[1]] + ([k * lengths_m[2]] if dim == 3 else [])
    cell = min(xi) / CELLS_PER_LENGTH
    n_full = math.ceil(sample_size_m / cell)
    extrapolated = n_full > n_max
    n = min(max(n_full, MIN_CELLS_PER_SIDE), n_max)
    if not extrapolated:
        cell = sample_size_m / n
    shape = (n,) * dim
    lengths_px = [x / cell for x in xi]
    cts = make_contacts("bar", shape, contact_radius_px=PAD_FRACTION * n)
    worker = _Realisation(shape, int(round(f * np.prod(shape))), cts)
    # one stream per dimension, so the 2-D answer is the same whether or not 3-D ran
    rng = np.random.default_rng([seed, dim])
    # the fields are drawn here, in order; whenever the forked child is idle it gets the next one,
    # and this process works on the one after (so neither core waits for the other when one
    # realisation needs a solve and the next does not).  Each result is kept under its index, so
    # the numbers do not depend on which process computed them, or on whether the child ran.
    helper = Forked(lambda: worker, fork=worth_forking(realizations * int(np.prod(shape))),
                    timeout_s=work_timeout(int(np.prod(shape))))
    results, drawn, in_child, r_ref, example = [None] * realizations, 0, None, None, None

    def draw():
        nonlocal drawn, example
        field_values = gaussian_field(shape, lengths_px, stats.orientation_deg, rng)
        if drawn == 0:
            example = worker.superconducting(field_values)
            example = example if dim == 2 else example[0]
        drawn += 1
        return drawn - 1, field_values

    try:
        while drawn < realizations or in_child is not None:
            if in_child is None and drawn < realizations:
                in_child, field_values = draw()
                helper.submit("measure", field_values)
            if r_ref is None:  # the homogeneous sheet is solved while the child works on the first field
                r_ref = homogeneous_readings(shape, cts, 1.0)[0].r_four_probe
            if in_child is not None and (helper.done() or drawn == realizations):
                results[in_child], in_child = helper.collect(), None
            else:
                i, field_values = draw()
                results[i] = worker.measure(field_values)
            if progress is not None:
                progress()
    finally:
        helper.close()
    return _Sweeps(cell, n, extrapolated, [r[0] for r in results], np.array([r[1] for r in results]) / r_ref,
                   example)


# ---------------------------------------------------------------- step 4: extrapolate
def finite_size_fit(sizes_m, means, stderr, nu: float) -> tuple[float, float, float, float]:
    """Fit ``f_c(L) = f_c + a L^(-1/nu)`` to mean critical fractions at three or more sizes.

    Returns
    -------
    f_c, a : float
        Infinite-size critical fraction and the finite-size amplitude (weighted least squares).
    stderr_sampling : float
        Standard error of ``f_c`` from the errors of the means, scaled by ``sqrt(chi^2 / dof)``
        when the points scatter more than their errors say.
    stderr_fit : float
        Model error: ``|f_c - f_c'|`` with ``f_c'`` from the two largest sizes alone (corrections
        to scaling show up as a drift of the extrapolation with the sizes used).
    """
    L = np.asarray(sizes_m, float)
    m = np.asarray(means, float)
    if L.size < 3:
        raise ParameterError("finite-size extrapolation needs at least three sizes")
    s = np.maximum(np.asarray(stderr, float), 1e-6)
    x = L ** (-1.0 / nu)
    X = np.column_stack([np.ones_like(x), x])
    w = 1.0 / s ** 2
    cov = np.linalg.inv(X.T @ (X * w[:, None]))
    fc, a = cov @ (X.T @ (w * m))
    chi2 = float(np.sum(w * (m - X @ np.array([fc, a])) ** 2))
    scale = max(1.0, chi2 / (L.size - 2))
    big = np.argsort(L)[-2:]
    a2 = (m[big[1]] - m[big[0]]) / (x[big[1]] - x[big[0]])
    fc2 = m[big[1]] - a2 * x[big[1]]
    return float(fc), float(a), float(math.sqrt(cov[0, 0] * scale)), float(abs(fc - fc2))


def _decide(lower: float, upper: float) -> str:
    return "yes" if lower > 0.5 else "no" if upper < 0.5 else "undecided"


def _uniform_answer(dim: int, f: float, realizations: int) -> DimensionAnswer:
    """A map with no superconducting pixel (f = 0) or no other (f = 1): nothing to simulate."""
    p = float(f)
    r = 0.0 if p else math.inf
    return DimensionAnswer(
        dim=dim, cell_size_m=math.nan, cells_per_side=0, simulated_size_m=math.nan, extrapolated=False, sizes_m=[],
        mean_critical_fractions=[], mean_critical_fraction_stderr=[], critical_fraction=math.nan,
        critical_fraction_lower=math.nan, critical_fraction_upper=math.nan,
        critical_fraction_stderr_sampling=math.nan, critical_fraction_stderr_fit=math.nan,
        critical_fraction_at_sample=math.nan, critical_fraction_width_at_sample=math.nan, p_zero_resistance=p,
        p_zero_resistance_lower=p, p_zero_resistance_upper=p, zero_resistance_realizations=int(p) * realizations,
        p_zero_resistance_simulated=p, p_zero_resistance_simulated_lower=p, p_zero_resistance_simulated_upper=p,
        percolates="yes" if p else "no", margin_sigma=math.copysign(math.inf, p - 0.5), r_ratio_median=r,
        r_ratio_p10=r, r_ratio_p90=r, r_ratios=[],
        critical_fractions=[])


def _extrapolate(dim: int, sw: _Sweeps, f: float, f_stderr: float, sample_size_m: float) -> DimensionAnswer:
    """Critical fraction and P(zero) at the sample size from the realisations at three sizes."""
    nu = NU[dim]
    parts = _Realisation.PARTS
    sizes = [(sw.n // k) * sw.cell_m for k in parts]
    # per realisation, the mean over its crops: crops of one field are not independent samples
    per_real = np.array([[np.mean(c) for c in r] for r in sw.crit])
    means = per_real.mean(axis=0)
    stderr = per_real.std(axis=0, ddof=1) / math.sqrt(per_real.shape[0])
    fc, a, se_samp, se_fit = finite_size_fit(sizes, means, stderr, nu)
    sigma = math.hypot(se_samp, se_fit)
    full = np.array([r[0][0] for r in sw.crit])
    zero = int(np.count_nonzero(sw.ratios == 0.0))
    n_real = len(sw.crit)
    p_sim = zero / n_real
    sim_lo, sim_hi = wilson_interval(zero, n_real)
    if sw.extrapolated:
        at_sample = min(max(fc + a * sample_size_m ** (-1.0 / nu), 0.0), 1.0)
        width = float(full.std(ddof=1)) * (sample_size_m / sizes[0]) ** (-1.0 / nu)
        spread = Z95 * sigma

        def p_of(delta):
            return float(ndtr(delta / width)) if width > 0 else float(delta > 0) + 0.5 * float(delta == 0)

        p, p_lo, p_hi = p_of(f - at_sample), p_of(f - at_sample - spread), p_of(f - at_sample + spread)
    else:
        at_sample, width = float(means[0]), float(full.std(ddof=1))
        p, p_lo, p_hi = p_sim, sim_lo, sim_hi
    # the error of the critical fraction where it is compared: extrapolated, or measured at the sample size
    combined = math.hypot(sigma if sw.extrapolated else float(stderr[0]), f_stderr)
    margin = (f - at_sample) / combined if combined > 0 else math.copysign(math.inf, f - at_sample)
    return DimensionAnswer(
        dim=dim, cell_size_m=sw.cell_m, cells_per_side=sw.n, simulated_size_m=sw.n * sw.cell_m,
        extrapolated=sw.extrapolated, sizes_m=sizes, mean_critical_fractions=means.tolist(),
        mean_critical_fraction_stderr=stderr.tolist(), critical_fraction=fc,
        critical_fraction_lower=max(fc - Z95 * sigma, 0.0), critical_fraction_upper=min(fc + Z95 * sigma, 1.0),
        critical_fraction_stderr_sampling=se_samp, critical_fraction_stderr_fit=se_fit,
        critical_fraction_at_sample=at_sample, critical_fraction_width_at_sample=width, p_zero_resistance=p,
        p_zero_resistance_lower=p_lo, p_zero_resistance_upper=p_hi, zero_resistance_realizations=zero,
        p_zero_resistance_simulated=p_sim, p_zero_resistance_simulated_lower=sim_lo,
        p_zero_resistance_simulated_upper=sim_hi, percolates=_decide(p_lo, p_hi), margin_sigma=margin,
        r_ratio_median=float(np.median(sw.ratios)), r_ratio_p10=float(np.quantile(sw.ratios, 0.1)),
        r_ratio_p90=float(np.quantile(sw.ratios, 0.9)), r_ratios=sw.ratios.tolist(),
        critical_fractions=full.tolist(), example=sw.example)


# ---------------------------------------------------------------- step 1: validate
def _validate(sample_size_m, realizations, seed, dim, thickness_m, out_of_plane_correlation_m,
              max_cells_per_side) -> dict[int, int]:
    """Check the options; return the largest grid side per dimension."""
    if dim is not None and dim not in (2, 3):
        raise ParameterError(f"dim must be 2 or 3, got {dim!r}")
    if not (isinstance(sample_size_m, (int, float)) and math.isfinite(sample_size_m)
            and 0 < sample_size_m <= MAX_SAMPLE_SIZE_M):
        raise ParameterError(f"sample size must be a length in m in (0, {MAX_SAMPLE_SIZE_M:g}], got {sample_size_m!r}")
    if isinstance(realizations, bool) or not isinstance(realizations, (int, np.integer)) \
            or not 2 <= realizations <= MAX_REALIZATIONS:
        raise ParameterError(f"realizations must be an integer between 2 and {MAX_REALIZATIONS}, "
                             f"got {realizations!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    for name, v in (("thickness", thickness_m), ("out-of-plane correlation length", out_of_plane_correlation_m)):
        if v is not None and not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ParameterError(f"{name} must be a positive length in m, got {v!r}")
    n_max = dict(MAX_CELLS_PER_SIDE)
    if max_cells_per_side is not None:
        if not MIN_CELLS_PER_SIDE <= int(max_cells_per_side):
            raise ParameterError(f"max_cells_per_side must be at least {MIN_CELLS_PER_SIDE}, got {max_cells_per_side}")
        n_max = {d: min(int(max_cells_per_side), n) for d, n in MAX_CELLS_PER_SIDE.items()}
    return n_max


@small_pages()
def percolate(scan_or_mask, *, sample_size_m: float = 1e-3, realizations: int = 16, dim: int | None = None,
              thickness_m: float | None = None, seed: int = 0, out_of_plane_correlation_m: float | None = None,
              threshold_A: float | None = None, pixel_size_m: float | None = None,
              max_cells_per_side: int | None = None, progress=None) -> PercolationResult:
    """Would a four-probe measurement on a sample with this map's statistics show zero resistance?

    Parameters
    ----------
    scan_or_mask : Scan or ndarray
        A Scan (forward current, masked by :func:`scprobe.analysis.region_mask`), a current map in
        A, or a boolean superconducting mask.
    sample_size_m : float
        Side of the square (2-D) or cubic (3-D) sample, m.
    realizations : int
        Number of sample realisations per dimension.
    dim : {2, 3}, optional
        The dimension of the answer; default chosen from ``thickness_m`` (:func:`choose_dimension`).
    thickness_m : float, optional
        Sample thickness, m.
    seed : int
        Seed (>= 0) of :func:`numpy.random.default_rng`.
    out_of_plane_correlation_m : float, optional
        Correlation length normal to the surface (1/e length of the indicator), m; default the
        across length (the shorter in-plane one).
    threshold_A : float, optional
        Superconducting threshold for current maps, A.
    pixel_size_m : float, optional
        Pixel pitch of an array input, m.
    max_cells_per_side : int, optional
        Largest simulated grid side, cells, at most :data:`MAX_CELLS_PER_SIDE` of each dimension.
    progress : callable, optional
        Called with no argument after each realisation, ``2 * realizations`` times in all.

    Returns
    -------
    PercolationResult

    Examples
    --------
    A 30 % superconducting surface does not connect a 5 um film (the 2-D critical fraction of a
    Gaussian level set is one half) but does connect a 0.5 mm thick crystal, which is 3-D:

    >>> import numpy as np
    >>> mask = np.random.default_rng(0).random((96, 96)) < 0.3
    >>> res = percolate(mask, pixel_size_m=15e-9, sample_size_m=5e-6, thickness_m=5e-4, realizations=4, seed=1)
    >>> round(res.area_fraction, 2), res.dim_chosen, res.two_d.percolates, res.three_d.percolates
    (0.3, 3, 'no', 'yes')
    """
    logger.info("percolate sample_size_m=%g realizations=%s dim=%s thickness_m=%s", sample_size_m, realizations,
                dim, thickness_m)
    n_max = _validate(sample_size_m, realizations, seed, dim, thickness_m, out_of_plane_correlation_m,
                      max_cells_per_side)
    realizations, seed = int(realizations), int(seed)
    inp = superconducting_map(scan_or_mask, threshold_A=threshold_A, pixel_size_m=pixel_size_m)
    if not inp.pitch_known:
        raise ParameterError("pixel_size_m is needed when the map is an array, not a Scan")
    pitch = inp.pixel_size_m
    if sample_size_m < MIN_CELLS_PER_SIDE * min(pitch):
        raise ParameterError(f"sample size {sample_size_m:g} m is below {MIN_CELLS_PER_SIDE} map pixels "
                             f"({MIN_CELLS_PER_SIDE * min(pitch):.3g} m): the map's statistics do not resolve it")
    mask = inp.mask
    stats = map_statistics(mask, pitch)
    f = stats.area_fraction
    f_err = area_fraction_stderr(stats, mask.shape[0] * pitch[0] * mask.shape[1] * pitch[1])
    extent = 0.5 * min(mask.shape[0] * pitch[0], mask.shape[1] * pitch[1])
    # lengths beyond half the map or below a pixel are not resolved by it: clip to what it can tell
    along = min(max(stats.correlation_length_along_m, min(pitch)), extent)
    across = min(max(stats.correlation_length_across_m, min(pitch)), extent)
    z_len = float(out_of_plane_correlation_m) if out_of_plane_correlation_m is not None else across
    chosen, reason = choose_dimension(thickness_m, z_len if 0 < f < 1 else math.nan, dim)
    if 0 < f < 1:
        answers = {d: _extrapolate(d, _realise(d, stats, (along, across, z_len), float(sample_size_m), realizations,
                                               seed, n_max[d], progress), f, f_err, float(sample_size_m))
                   for d in (2, 3)}
    else:
        answers = {d: _uniform_answer(d, f, realizations) for d in (2, 3)}
    best = answers[chosen]
    return PercolationResult(
        area_fraction=f, area_fraction_stderr=f_err, correlation_length_along_m=stats.correlation_length_along_m,
        correlation_length_across_m=stats.correlation_length_across_m, orientation_deg=stats.orientation_deg,
        out_of_plane_correlation_m=z_len, threshold_A=inp.threshold_A, sample_size_m=float(sample_size_m),
        thickness_m=math.nan if thickness_m is None else float(thickness_m), realizations=realizations, seed=seed,
        dim_chosen=chosen, dim_reason=reason, p_zero_resistance=best.p_zero_resistance,
        p_zero_resistance_lower=best.p_zero_resistance_lower, p_zero_resistance_upper=best.p_zero_resistance_upper,
        percolates=best.percolates, two_d=answers[2], three_d=answers[3])
