"""Depth profiles along the needle axis and detection of an oxygen-rich surface cap.

Depth is measured along the reconstruction's z axis from the apex, the end the
first evaporated ions came from (ions are stored in evaporation order), so it does
not depend on the sign convention of the reconstruction software.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scprobe.composition.ranging import CompiledRanges, atom_counts
from scprobe.errors import ParameterError
from scprobe.results import Result, quantity


def depth_from_apex(z_m: np.ndarray, *, order_fraction: float = 0.01) -> np.ndarray:
    """Depth of every ion below the apex along the needle axis, m.

    The apex side is the end of the z range nearest to the first ``order_fraction``
    of ions in the file (evaporation order); when the first and last ions sit at the
    same mean z (shuffled file) z is taken to increase with depth.

    Parameters
    ----------
    z_m : ndarray
        Reconstructed z coordinate of each ion, m, in file order.
    """
    z = np.asarray(z_m, dtype=float)
    if z.size == 0:
        return z
    k = max(1, int(order_fraction * z.size))
    first, last = float(np.mean(z[:k])), float(np.mean(z[-k:]))
    spread = float(np.std(z[:k]) + np.std(z[-k:]))
    if last < first and first - last > 0.5 * spread:
        return float(np.max(z)) - z
    return z - float(np.min(z))


@dataclass(frozen=True)
class DepthProfile(Result):
    """Atom counts and composition in depth bins.

    Attributes
    ----------
    depth_edges_m : ndarray, shape (n_bins + 1,)
        Bin edges along the needle axis from the apex, m.
    elements : tuple of str
        Element (column) names.
    atoms : ndarray, shape (n_bins, n_elements)
        Decomposed atom counts per bin.
    """

    depth_edges_m: np.ndarray = quantity("m")
    elements: tuple[str, ...] = quantity("")
    atoms: np.ndarray = quantity("count")

    @property
    def depth_centres_m(self) -> np.ndarray:
        return 0.5 * (self.depth_edges_m[1:] + self.depth_edges_m[:-1])

    def fraction(self, element: str) -> tuple[np.ndarray, np.ndarray]:
        """Atomic fraction (0..1) of ``element`` per bin and its counting error
        ``sqrt(c (1 - c) / N)`` (docs/physics.md); NaN in empty bins."""
        if element not in self.elements:
            raise ParameterError(f"no element {element!r} in the profile; it has {list(self.elements)}")
        n = self.atoms.sum(axis=1)
        a = self.atoms[:, self.elements.index(element)]
        c = np.divide(a, n, out=np.full(n.shape, np.nan), where=n > 0)
        err = np.sqrt(np.divide(c * (1 - c), n, out=np.full(n.shape, np.nan), where=n > 0))
        return c, err


def depth_profile(depth_m: np.ndarray, species: np.ndarray, ranges: CompiledRanges, *,
                  bin_width_m: float | None = 1e-9, ions_per_bin: int | None = None) -> DepthProfile:
    """Composition profile along the needle axis in fixed-depth or fixed-count bins.

    Parameters
    ----------
    depth_m : ndarray
        Depth of every ion from the apex, m (:func:`depth_from_apex`).
    species : ndarray of int
        Species index per ion (:func:`~scprobe.composition.ranging.assign_species`);
        unranged ions (-1) are left out.
    ranges : CompiledRanges
    bin_width_m : float, optional
        Fixed bin width, m (default 1 nm); ignored when ``ions_per_bin`` is given.
    ions_per_bin : int, optional
        Fixed number of ranged ions per bin instead (the last bin takes the rest).
    """
    ni = len(ranges.ions)
    d = np.asarray(depth_m, dtype=float)
    if not np.any(species >= 0):
        raise ParameterError("no ranged ions: cannot build a depth profile")
    # unranged ions go to an extra last column that is dropped, which spares copying
    # the ranged subset of ten million ions
    col = np.where(species >= 0, species, ni)
    if ions_per_bin is not None:
        if ions_per_bin < 1:
            raise ParameterError(f"ions_per_bin must be >= 1, got {ions_per_bin}")
        ok = species >= 0
        d, col = d[ok], col[ok]
        order = np.argsort(d, kind="stable")
        d, col = d[order], col[order]
        starts = np.arange(0, d.size, ions_per_bin)
        if starts.size > 1 and d.size - starts[-1] < ions_per_bin // 2:
            starts = starts[:-1]
        edges = np.append(d[starts], d[-1])
        b = np.minimum(np.arange(d.size) // ions_per_bin, starts.size - 1)
    else:
        if bin_width_m is None or not bin_width_m > 0:
            raise ParameterError(f"bin_width_m must be positive, got {bin_width_m!r}")
        nb = max(1, int(np.ceil(float(np.max(d)) / bin_width_m)))
        edges = np.arange(nb + 1) * bin_width_m
        b = (d * (1.0 / bin_width_m)).astype(np.intp)
        np.clip(b, 0, nb - 1, out=b)
    nb = edges.size - 1
    b *= ni + 1
    b += col
    ions = np.bincount(b, minlength=nb * (ni + 1)).reshape(nb, ni + 1)[:, :ni]
    return DepthProfile(edges, ranges.elements, atom_counts(ions, ranges))


@dataclass(frozen=True)
class CapResult(Result):
    """Oxygen-rich (oxide) cap at the apex.

    ``cap_depth_m`` is 0 when no cap is found; ``threshold_at_pct`` is the level at
    which the cap ends; ``apex_at_pct`` / ``bulk_at_pct`` the element's concentration
    at the apex and below the cap.
    """

    element: str = quantity("")
    cap_depth_m: float = quantity("m")
    threshold_at_pct: float = quantity("at.%")
    apex_at_pct: float = quantity("at.%")
    bulk_at_pct: float = quantity("at.%")


def detect_cap(profile: DepthProfile, *, element: str = "O", threshold_at_pct: float | None = None,
               apex_depth_m: float = 2e-9, n_sigma: float = 5.0) -> CapResult:
    """Depth at which an element-rich apex cap (an oxide) ends.

    The cap ends where the element's concentration falls below the threshold
    (a step fit over the bins, then linear interpolation between bin centres).  The default
    threshold is halfway between the apex level (first ``apex_depth_m``) and the
    bulk level (median over the deeper half), the usual 50 % interface criterion.
    No cap (depth 0) when the element is absent or the apex is not richer than the
    bulk by ``n_sigma`` counting errors.

    Parameters
    ----------
    profile : DepthProfile
        Fixed-depth profile (1 nm bins resolve a 20 nm cap to a fraction of a nm).
    element : str
        Cap element, ``"O"`` for an oxide.
    threshold_at_pct : float, optional
        Concentration (at.%) below which the material counts as uncapped.
    """
    if threshold_at_pct is not None and not 0 < threshold_at_pct < 100:
        raise ParameterError(f"cap threshold must be in (0, 100) at.%, got {threshold_at_pct!r}")
    if element not in profile.elements:
        return CapResult(element, 0.0, float(threshold_at_pct or np.nan), 0.0, 0.0)
    col = profile.elements.index(element)
    centres = profile.depth_centres_m
    total = profile.atoms.sum(axis=1)
    apex = centres <= max(apex_depth_m, centres[0])
    deep = centres >= np.median(centres)
    n_apex, n_deep = total[apex].sum(), total[deep].sum()
    c_apex = profile.atoms[apex, col].sum() / n_apex if n_apex else 0.0
    c_bulk = float(np.median(profile.fraction(element)[0][deep & (total > 0)])) if n_deep else 0.0
    err = np.sqrt(c_apex * (1 - c_apex) / max(n_apex, 1) + c_bulk * (1 - c_bulk) / max(n_deep, 1))
    thr = 0.5 * (c_apex + c_bulk) if threshold_at_pct is None else threshold_at_pct / 100
    if c_apex - c_bulk <= n_sigma * err or c_apex <= thr:
        return CapResult(element, 0.0, float(100 * thr), float(100 * c_apex), float(100 * c_bulk))
    c, _ = profile.fraction(element)
    valid = total > 0
    x, c = centres[valid], c[valid]
    above = c >= thr
    # step fit: the cap end k minimises bins below threshold before it plus bins above
    # after it, so one noisy bin on either side cannot end the cap early or late
    misfit = np.concatenate([[0], np.cumsum(~above)]) + np.concatenate([np.cumsum(above[::-1])[::-1], [0]])
    k = int(np.argmin(misfit))
    if k == 0:
        depth = 0.0
    elif k == x.size:
        depth = float(profile.depth_edges_m[-1])
    else:
        c0, c1 = c[k - 1], c[k]
        t = (c0 - thr) / (c0 - c1) if c0 >= thr > c1 else 0.5
        depth = float(x[k - 1] + t * (x[k] - x[k - 1]))
    return CapResult(element, depth, float(100 * thr), float(100 * c_apex), float(100 * c_bulk))
