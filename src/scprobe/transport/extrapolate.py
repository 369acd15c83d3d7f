"""From a tens-of-micrometre map to a millimetre sample: would a four-probe measurement show zero?

:func:`percolate` measures the map's statistics (area fraction, correlation lengths along and across
the stripes, orientation), draws sample-scale Gaussian-field realisations with the same statistics
on cells of a third of the shortest correlation length (the coarse-graining: a cell is far larger
than a map pixel), simulates a bar-shaped four-probe measurement on each, and reports the
probability of zero resistance, the distribution of resistance ratios and the superconducting
fraction at which zero resistance appears.  When the sample would need more cells than
:data:`MAX_CELLS_PER_SIDE`, the largest feasible sample is simulated and the threshold
distribution is carried to the sample size by finite-size scaling: its mean
``f(L) = f_inf + a L^(-1/nu)`` is fitted to the full and half-size realisations and its width
shrinks as ``L^(-1/nu)`` (nu = 4/3 in 2-D, 0.8765 in 3-D).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.special import ndtr

from scprobe.analysis import region_mask
from scprobe.errors import ParameterError
from scprobe.results import Result, internal
from scprobe.scan import channel, pixel_size
from scprobe.transport.contacts import make_contacts
from scprobe.transport.fourprobe import homogeneous_readings, measure
from scprobe.transport.network import build_network
from scprobe.transport.solver import Forked, small_pages, work_timeout, worth_forking
from scprobe.transport.percolation import (_neighbour_table, first_spanning, gaussian_field,
                                           indicator_to_field_length, map_statistics)

logger = logging.getLogger(__name__)

#: Largest simulated grid per side (2-D, 3-D): keeps a realisation to about a second.
MAX_CELLS_PER_SIDE = {2: 256, 3: 48}
#: Correlation-length exponent of percolation.
NU = {2: 4.0 / 3.0, 3: 0.8765}
#: Cells per shortest Gaussian correlation length.
CELLS_PER_LENGTH = 3.0
#: Voltage-probe pad radius as a fraction of the sample side.
PAD_FRACTION = 0.02


@dataclass(frozen=True)
class PercolationResult(Result):
    """Sample-scale extrapolation of a map (lengths in m, fractions 0..1)."""

    area_fraction: float
    correlation_length_along_m: float
    correlation_length_across_m: float
    orientation_deg: float
    out_of_plane_correlation_m: float
    threshold_A: float
    sample_size_m: float
    dim: int
    realizations: int
    seed: int
    cell_size_m: float
    simulated_size_m: float
    cells_per_side: int
    extrapolated: bool
    p_zero_resistance: float
    p_zero_resistance_simulated: float
    r_ratio_median: float
    r_ratio_p10: float
    r_ratio_p90: float
    r_ratios: list
    sc_fraction_for_zero_resistance: float
    sc_fraction_for_zero_resistance_std: float
    sc_fraction_for_zero_resistance_simulated: float
    critical_fractions: list
    example: np.ndarray = internal(default=None)



def _input_mask(scan_or_mask, threshold_A, pixel_size_m):
    if isinstance(scan_or_mask, xr.Dataset):
        rm = region_mask(channel(scan_or_mask, "current").values, pixel_size(scan_or_mask), threshold_A)
        return rm.mask, rm.threshold_A, pixel_size(scan_or_mask)
    a = np.asarray(scan_or_mask)
    if pixel_size_m is None:
        raise ParameterError("pixel_size_m is needed when the map is an array, not a Scan")
    if not (np.isfinite(pixel_size_m) and pixel_size_m > 0):
        raise ParameterError(f"pixel_size_m must be a positive length in m, got {pixel_size_m!r}")
    if a.dtype == bool:
        return a, math.nan, (float(pixel_size_m), float(pixel_size_m))
    pitch = (float(pixel_size_m), float(pixel_size_m))
    rm = region_mask(a, pitch, threshold_A)
    return rm.mask, rm.threshold_A, pitch


def _crops(shape):
    """Slices of the 2^dim half-size sub-grids of a grid."""
    halves = [(slice(0, n // 2), slice(n // 2, 2 * (n // 2))) for n in shape]
    grids = np.meshgrid(*[range(2)] * len(shape), indexing="ij")
    return [tuple(halves[a][int(g.flat[k])] for a, g in enumerate(grids)) for k in range(2 ** len(shape))]


def _critical(field_values: np.ndarray, nbrs=None) -> float:
    """Fraction of highest-field cells at which a cluster first joins the two x faces."""
    order = np.argsort(-field_values.ravel(), kind="stable")
    return first_spanning(order, field_values.shape, field_values.ndim - 1, nbrs) / field_values.size


class _Realisation:
    """The work on one sample realisation: threshold fractions and a bar four-probe measurement."""

    def __init__(self, shape: tuple, n_superconducting: int, contacts, extrapolated: bool):
        self.shape, self.n_sc, self.contacts = shape, n_superconducting, contacts
        self.nbrs = _neighbour_table(shape)
        self.nbrs_half = _neighbour_table(tuple(s // 2 for s in shape)) if extrapolated else None
        self.r_ref = homogeneous_readings(shape, contacts, 1.0)[0].r_four_probe

    def superconducting(self, field_values: np.ndarray) -> np.ndarray:
        """The ``n_superconducting`` cells of highest field."""
        sc = np.zeros(field_values.size, bool)
        sc[np.argsort(-field_values.ravel(), kind="stable")[:self.n_sc]] = True
        return sc.reshape(self.shape)

    def measure(self, field_values: np.ndarray) -> tuple[float, list[float], float]:
        """Spanning fraction of the field, of its half-size crops (when extrapolating), and R / R_homogeneous."""
        crit = _critical(field_values, self.nbrs)
        crit_half = [] if self.nbrs_half is None else [
            _critical(np.ascontiguousarray(field_values[c]), self.nbrs_half) for c in _crops(self.shape)]
        net = build_network(np.ones(self.shape), self.superconducting(field_values), self.contacts.pixels)
        (reading,), _ = measure(net, self.contacts, configurations=(self.contacts.configurations[0],))
        return crit, crit_half, reading.r_four_probe / self.r_ref


@small_pages()
def percolate(scan_or_mask, *, sample_size_m: float = 1e-3, realizations: int = 16, dim: int = 2, seed: int = 0,
              out_of_plane_correlation_m: float | None = None, threshold_A: float | None = None,
              pixel_size_m: float | None = None, max_cells_per_side: int | None = None,
              progress=None) -> PercolationResult:
    """Probability that a four-probe measurement on a sample of size ``sample_size_m`` shows zero resistance.

    Parameters
    ----------
    scan_or_mask : Scan or ndarray
        A Scan (forward current, masked by :func:`scprobe.analysis.region_mask`), a
        current map in A, or a boolean superconducting mask.
    sample_size_m : float
        Side of the square (cubic) sample, m.
    realizations : int
        Number of sample realisations.
    dim : {2, 3}
        Thin film (2) or bulk crystal (3, a cube of side ``sample_size_m``).
    seed : int
        Seed of :func:`numpy.random.default_rng`.
    out_of_plane_correlation_m : float, optional
        3-D correlation length along z (1/e length of the indicator), m; default: the across length.
    threshold_A : float, optional
        Superconducting threshold for current maps, A.
    pixel_size_m : float, optional
        Pixel pitch of an array input, m.
    max_cells_per_side : int, optional
        Largest simulated grid side, cells (default :data:`MAX_CELLS_PER_SIDE`).
    progress : callable, optional
        Called with no argument after each realisation (for progress bars).

    Returns
    -------
    PercolationResult

    Examples
    --------
    Uncorrelated sites at 30 % (below the square-lattice threshold 0.593) never connect a 5 um
    sample:

    >>> import numpy as np
    >>> mask = np.random.default_rng(0).random((96, 96)) < 0.3
    >>> res = percolate(mask, pixel_size_m=15e-9, sample_size_m=5e-6, realizations=4, seed=1)
    >>> round(res.area_fraction, 2), res.p_zero_resistance < 1e-6
    (0.3, True)
    """
    logger.info("percolate sample_size_m=%g realizations=%d dim=%d", sample_size_m, realizations, dim)
    if dim not in (2, 3):
        raise ParameterError(f"dim must be 2 or 3, got {dim!r}")
    if not (np.isfinite(sample_size_m) and sample_size_m > 0):
        raise ParameterError(f"sample size must be a positive length in m, got {sample_size_m!r}")
    if not 2 <= int(realizations) <= 10_000:
        raise ParameterError(f"realizations must be between 2 and 10000, got {realizations!r}")
    if out_of_plane_correlation_m is not None and not (
            np.isfinite(out_of_plane_correlation_m) and out_of_plane_correlation_m > 0):
        raise ParameterError(f"out-of-plane correlation length must be positive, got {out_of_plane_correlation_m!r}")
    mask, thr, pitch = _input_mask(scan_or_mask, threshold_A, pixel_size_m)
    stats = map_statistics(mask, pitch)
    f = stats.area_fraction
    extent = 0.5 * min(mask.shape[0] * pitch[0], mask.shape[1] * pitch[1])
    # lengths beyond half the map or below a pixel are not resolved by it: clip to what it can tell
    along = min(max(stats.correlation_length_along_m, min(pitch)), extent)
    across = min(max(stats.correlation_length_across_m, min(pitch)), extent)
    z_len = out_of_plane_correlation_m if out_of_plane_correlation_m is not None else across
    base = dict(area_fraction=f, correlation_length_along_m=stats.correlation_length_along_m,
                correlation_length_across_m=stats.correlation_length_across_m, orientation_deg=stats.orientation_deg,
                out_of_plane_correlation_m=z_len if dim == 3 else math.nan, threshold_A=thr,
                sample_size_m=float(sample_size_m), dim=dim, realizations=int(realizations), seed=int(seed))
    if f in (0.0, 1.0):
        p = float(f)
        return PercolationResult(**base, cell_size_m=math.nan, simulated_size_m=math.nan, cells_per_side=0,
                                 extrapolated=False, p_zero_resistance=p, p_zero_resistance_simulated=p,
                                 r_ratio_median=0.0 if p else math.inf, r_ratio_p10=0.0 if p else math.inf,
                                 r_ratio_p90=0.0 if p else math.inf, r_ratios=[], critical_fractions=[],
                                 sc_fraction_for_zero_resistance=math.nan, sc_fraction_for_zero_resistance_std=math.nan,
                                 sc_fraction_for_zero_resistance_simulated=math.nan)

    k = indicator_to_field_length(f)
    xi = [k * along, k * across] + ([k * z_len] if dim == 3 else [])
    cell = min(xi) / CELLS_PER_LENGTH
    n_full = math.ceil(sample_size_m / cell)
    n_max = int(max_cells_per_side or MAX_CELLS_PER_SIDE[dim])
    if n_max < 16:
        raise ParameterError(f"max_cells_per_side must be at least 16, got {n_max}")
    extrapolated = n_full > n_max
    n = min(max(n_full, 16), n_max)
    if not extrapolated:
        cell = sample_size_m / n
    shape = (n,) * dim
    lengths_px = [x / cell for x in xi]
    cts = make_contacts("bar", shape, contact_radius_px=PAD_FRACTION * n)
    worker = _Realisation(shape, int(round(f * np.prod(shape))), cts, extrapolated)
    rng = np.random.default_rng(seed)
    # realisations come in pairs: the fields are drawn here in order, the second of each pair is
    # worked on in a forked child meanwhile, so the numbers do not depend on whether it ran
    helper = Forked(lambda: worker, fork=worth_forking(int(realizations) * int(np.prod(shape))),
                    timeout_s=work_timeout(int(np.prod(shape))))
    results = []
    try:
        for k in range(0, int(realizations), 2):
            first = gaussian_field(shape, lengths_px, stats.orientation_deg, rng)
            second = gaussian_field(shape, lengths_px, stats.orientation_deg, rng) if k + 1 < realizations else None
            if second is not None:
                helper.submit("measure", second)
            results.append(worker.measure(first))
            if progress is not None:
                progress()
            if second is not None:
                results.append(helper.collect())
                if progress is not None:
                    progress()
            if k == 0:
                example = worker.superconducting(first)
                example = example if dim == 2 else example[0]
    finally:
        helper.close()
    crit = [r[0] for r in results]
    crit_half = [c for r in results for c in r[1]]
    ratios = [r[2] for r in results]
    zero = [r[2] == 0.0 for r in results]

    crit_arr = np.array(crit)
    mu, sigma = float(crit_arr.mean()), float(crit_arr.std(ddof=1))
    p_sim = float(np.mean(zero))
    if extrapolated:
        nu = NU[dim]
        l1, l2 = n * cell, (n // 2) * cell
        mu_half = float(np.mean(crit_half))
        slope = (mu - mu_half) / (l1 ** (-1 / nu) - l2 ** (-1 / nu))
        mu_inf = mu - slope * l1 ** (-1 / nu)
        mu_l = min(max(mu_inf + slope * sample_size_m ** (-1 / nu), 0.0), 1.0)
        sigma_l = sigma * (sample_size_m / l1) ** (-1 / nu)
        p_zero = float(ndtr((f - mu_l) / sigma_l)) if sigma_l > 0 else float(f >= mu_l)
    else:
        mu_l, sigma_l, p_zero = mu, sigma, p_sim
    r = np.array(ratios)
    return PercolationResult(
        **base, cell_size_m=cell, simulated_size_m=n * cell, cells_per_side=n, extrapolated=extrapolated,
        p_zero_resistance=p_zero, p_zero_resistance_simulated=p_sim, r_ratio_median=float(np.median(r)),
        r_ratio_p10=float(np.quantile(r, 0.1)), r_ratio_p90=float(np.quantile(r, 0.9)), r_ratios=r.tolist(),
        sc_fraction_for_zero_resistance=mu_l, sc_fraction_for_zero_resistance_std=sigma_l,
        sc_fraction_for_zero_resistance_simulated=mu, critical_fractions=crit_arr.tolist(), example=example)
