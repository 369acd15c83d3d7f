"""What a four-probe or van der Pauw measurement on a map would report, and whether to believe it.

:func:`four_probe` builds the network of a current map (``docs/transport.md``), solves it for each
contact configuration, compares with a homogeneous sheet under the same contacts, and classifies
the outcome (:data:`VERDICTS`) from the connectivity of the superconducting clusters, which the
exact contraction makes unambiguous: a zero voltage is exactly ``0.0``, never a small number.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.optimize import brentq

from scprobe.analysis import noise_stats, region_mask
from scprobe.errors import ParameterError
from scprobe.results import Result, internal
from scprobe.scan import channel, pixel_size
from scprobe.transport.contacts import Contacts, make_contacts
from scprobe.transport.network import ClusterInterior, Network, build_network, label_clusters
from scprobe.transport.solver import (Forked, GroundedSolver, SolveInfo, combine, small_pages, uniform_grid_transfer,
                                     work_timeout, worth_forking)

logger = logging.getLogger(__name__)

MODELS = ("classified", "proportional")
VERDICTS = ("bulk_like", "percolating_minority", "bypass", "probe_short", "resistive")
#: Relative residual of the current pattern inside contracted clusters.  It feeds the current map and
#: current_fraction_in_sc only; on a 2048^2 map, going from 1e-6 to 1e-3 moves the fraction by 1e-6
#: (relative) and the map by < 1e-4 of its peak, and saves 4 s.
INTERNAL_TOL = 1e-3


@dataclass(frozen=True)
class TransportResult(Result):
    """Simulated four-probe measurement on a map.

    Resistances are in ohm when the matrix sheet resistance is given, else in units of it
    (``resistance_unit``).  Array attributes (not in :meth:`to_dict`) serve the figures:
    ``potential`` (V per A of drive current, NaN where undefined), ``current_density``
    (sheet current density magnitude, A/m per A; per pixel width when the pixel size is unknown),
    ``superconducting``, ``clusters`` (labels), ``contact_pixels``.
    """

    r_four_probe_ohm: float
    r_four_probe_ratio: float
    r_two_probe_ratio: float
    r_a_ohm: float
    r_b_ohm: float
    vdp_sheet_resistance_ohm: float
    anisotropy: float
    current_contacts_connected: bool
    voltage_probes_on_path: bool
    voltage_probes_shorted: bool
    spanning_x: bool
    spanning_y: bool
    sc_fraction: float
    largest_cluster_fraction: float
    current_fraction_in_sc: float
    verdict: str
    explanation: str
    model: str
    contacts: str
    contact_positions_px: list
    threshold_A: float
    resistance_unit: str
    r_two_probe_ohm: float
    residual: float
    iterations: int
    method: str
    n_unknowns: int
    noise_clamped_pixels: int | None
    pixel_size_m: tuple = internal(default=(math.nan, math.nan))
    potential: np.ndarray = internal(default=None)
    current_density: np.ndarray = internal(default=None)
    superconducting: np.ndarray = internal(default=None)
    clusters: np.ndarray = internal(default=None)
    contact_pixels: tuple = internal(default=())



@dataclass(frozen=True)
class Reading:
    """One contact configuration: four-probe and two-probe resistance (ohm per unit sheet scale).

    ``potential`` are the node potentials (V per A); None for the exact homogeneous reference of
    single-pixel contacts, which is solved at the contacts only (:func:`homogeneous_readings`).
    """

    r_four_probe: float
    r_two_probe: float
    potential: np.ndarray | None


class Measurement:
    """Solves of one network for each contact configuration.

    The first configuration is solved on construction, in this process; the others, when their
    system is large and a second core is free, at the same time in a forked child
    (:mod:`scprobe.transport.solver.parallel`), so that work on :attr:`first` (the current pattern
    inside clusters, say) overlaps them.  :meth:`finish` collects every reading.  A voltage between
    probes on one node is exactly 0.0; probes on a piece not connected to the current contacts
    have an undefined (NaN) voltage; current contacts in different pieces give an infinite
    two-probe resistance.
    """

    def __init__(self, net: Network, contacts: Contacts, *, tol: float = 1e-10, method: str = "auto",
                 configurations=None):
        self.net = net
        self._node = [int(net.node.ravel()[p[0]]) for p in contacts.pixels]
        self._solvers: dict[int, GroundedSolver] = {}
        self._configurations = list(configurations or contacts.configurations)
        solvers = [self._solver_for(k, tol, method) for k in range(len(self._configurations))]
        self._jobs = {k: solver for k, solver in enumerate(solvers) if solver is not None}
        first, self._later_indices = list(self._jobs)[:1], list(self._jobs)[1:]
        self._later = None
        if self._later_indices:
            unknowns = self._jobs[self._later_indices[0]].n_unknowns
            self._later = Forked(self._solve_all, self._later_indices, fork=worth_forking(unknowns),
                                 timeout_s=work_timeout(unknowns * len(self._later_indices)))
        try:
            self._results = dict(zip(first, self._solve_all(first)))
            self.first = self._reading(0)
        except BaseException:
            self.cancel()
            raise

    def _solver_for(self, k: int, tol: float, method: str) -> GroundedSolver | None:
        ip, im = self._configurations[k][:2]
        a, b = self._node[ip], self._node[im]
        net = self.net
        piece = int(net.component[a])
        if piece != int(net.component[b]) or a == b:
            return None
        if piece not in self._solvers:
            nodes = np.flatnonzero(net.component == piece) if net.n_components > 1 else np.arange(net.n_nodes)
            # grounding the best-connected node (typically the largest cluster) removes the row
            # that spoils the conditioning most: with a corner pixel grounded, CG stalled at a
            # relative residual of 1e-9 on a 2048^2 map
            ground = nodes[np.argmax(net.laplacian.diagonal()[nodes])]
            self._solvers[piece] = GroundedSolver(net.laplacian, nodes[nodes != ground], [ground],
                                                  ndim=len(net.shape), tol=tol, method=method)
        return self._solvers[piece]

    def _solve_all(self, indices: list[int]) -> list[tuple[np.ndarray, SolveInfo]]:
        out = []
        for k in indices:
            ip, im = self._configurations[k][:2]
            a, b = self._node[ip], self._node[im]
            inj = np.zeros(self.net.n_nodes)
            inj[a] += 1.0
            inj[b] -= 1.0
            out.append(self._jobs[k].solve(inj))
        return out

    def _reading(self, k: int) -> Reading:
        net = self.net
        ip, im, vp, vm = self._configurations[k]
        a, b = self._node[ip], self._node[im]
        piece = int(net.component[a])
        if piece != int(net.component[b]):
            v, r2 = np.full(net.n_nodes, np.nan), math.inf
        elif a == b:
            # a superconducting path joins the current contacts: nothing to solve, no voltage anywhere
            v, r2 = np.where(net.component == piece, 0.0, np.nan), 0.0
        else:
            v = self._results[k][0]
            r2 = float(v[a] - v[b])
        r4 = 0.0 if self._node[vp] == self._node[vm] else float(v[self._node[vp]] - v[self._node[vm]])
        return Reading(r4, r2, v)

    def finish(self) -> tuple[list[Reading], SolveInfo]:
        """Readings of every configuration (potentials in V per A, NaN where undefined) and the
        worst residual / most iterations over the solves."""
        if self._later is not None:
            self._results.update(zip(self._later_indices, self._later.get()))
            self.cancel()
        readings = [self.first] + [self._reading(k) for k in range(1, len(self._configurations))]
        return readings, combine([info for _, info in self._results.values()])

    def cancel(self) -> None:
        """Stop the child solving the other configurations, if any."""
        if self._later is not None:
            self._later.close()
            self._later = None


def measure(net: Network, contacts: Contacts, *, tol: float = 1e-10, method: str = "auto",
            configurations=None) -> tuple[list[Reading], SolveInfo]:
    """Solve a network for each contact configuration (see :class:`Measurement`).

    Returns
    -------
    readings : list of Reading
        Per configuration; ``potential`` are node potentials (V per A), NaN where undefined.
    info : SolveInfo
        Worst residual and most iterations over the solves.
    """
    return Measurement(net, contacts, tol=tol, method=method, configurations=configurations).finish()


def homogeneous_readings(shape: tuple, contacts: Contacts, sheet_conductance: float, *, tol: float = 1e-10,
                         method: str = "auto") -> list[Reading]:
    """Readings of a homogeneous sheet (``sheet_conductance`` S everywhere) with the same contacts.

    Single-pixel contacts use the exact cosine-transform solution of the uniform grid at the
    contacts (no potential map); larger contacts (pads, bar faces) the general network solver.
    """
    if any(p.size != 1 for p in contacts.pixels):
        net = build_network(np.full(shape, sheet_conductance), None, contacts.pixels)
        return measure(net, contacts, tol=tol, method=method)[0]
    coords = np.transpose(np.unravel_index([int(p[0]) for p in contacts.pixels], shape))
    # link conductance of two equal half pixels in series is the sheet conductance itself
    transfer = uniform_grid_transfer(shape, sheet_conductance, coords)
    out = []
    for ip, im, vp, vm in contacts.configurations:
        v = transfer[:, ip] - transfer[:, im]  # potential at each contact for 1 A from I+ to I-
        out.append(Reading(float(v[vp] - v[vm]), float(v[ip] - v[im]), None))
    return out


def vdp_sheet_resistance(r_a: float, r_b: float) -> float:
    """Sheet resistance solving ``exp(-pi R_A / R_s) + exp(-pi R_B / R_s) = 1`` (van der Pauw 1958).

    Returns 0 when one resistance is 0 and the other non-negative, NaN when either is negative or
    undefined (the equation has no solution; the sheet is not a van der Pauw sample).
    """
    if not (np.isfinite(r_a) and np.isfinite(r_b)) or r_a < 0 or r_b < 0:
        return math.nan
    if r_a == 0 or r_b == 0:
        return 0.0
    lo, hi = math.pi * min(r_a, r_b) / math.log(2), math.pi * max(r_a, r_b) / math.log(2)

    def f(rs):
        return math.exp(-math.pi * r_a / rs) + math.exp(-math.pi * r_b / rs) - 1.0

    if f(lo) >= 0:
        return lo
    hi *= 2
    while f(hi) < 0:
        hi *= 2
    return brentq(f, lo, hi, xtol=1e-15 * hi, rtol=1e-14)


def _input_map(scan_or_current) -> tuple[np.ndarray, tuple[float, float]]:
    if isinstance(scan_or_current, xr.Dataset):
        return channel(scan_or_current, "current").values, pixel_size(scan_or_current)
    if isinstance(scan_or_current, xr.DataArray):
        return np.asarray(scan_or_current.values), (math.nan, math.nan)
    a = np.asarray(scan_or_current)
    if a.ndim != 2:
        raise ParameterError(f"a transport map must be 2-D, got shape {a.shape}")
    return a, (math.nan, math.nan)


def _conductances(data, model, threshold_A, sheet_scale, unit_pitch):
    """Sheet conductances (S), superconducting mask and bookkeeping for one model."""
    if model not in MODELS:
        raise ParameterError(f"model must be one of {MODELS}, got {model!r}")
    if data.dtype == bool:
        if model != "classified":
            raise ParameterError("a boolean superconducting mask works only with model='classified'")
        return np.full(data.shape, sheet_scale), data.copy(), data.copy(), math.nan, None
    current = np.asarray(data, dtype=float)
    # the same superconducting pixels as `scprobe map` reports
    rm = region_mask(current, unit_pitch, threshold_A)
    rm.require_reference()  # a map without insulating pixels is not "resistive": refuse to classify it
    mask, thr = rm.mask, rm.threshold_A
    if model == "classified":
        return np.full(current.shape, sheet_scale), mask, mask, thr, None
    floor = noise_stats(current).noise_floor_A
    if not floor > 0:
        raise ParameterError("the noise floor of this map is zero; the proportional model needs a positive floor")
    with np.errstate(invalid="ignore"):
        clamped = ~(current > floor)
    s = np.where(clamped, floor, current)
    s = s / s.mean() * sheet_scale
    return s, None, mask, thr, int(np.count_nonzero(clamped))


def current_density(currents: list[np.ndarray], pitch: tuple[float, float]) -> np.ndarray:
    """Magnitude of the sheet current density at each pixel (A/m per A of link current).

    The x (y) component is the mean of the currents through the pixel's two x (y) faces divided by
    the face width ``dy`` (``dx``).
    """
    jy_links, jx_links = currents
    ny, nx = jy_links.shape[0] + 1, jx_links.shape[1] + 1
    jx = np.zeros((ny, nx))
    jy = np.zeros((ny, nx))
    jx[:, :-1] += jx_links / 2
    jx[:, 1:] += jx_links / 2
    jy[:-1, :] += jy_links / 2
    jy[1:, :] += jy_links / 2
    return np.hypot(jx / pitch[0], jy / pitch[1])


def connectivity(mask: np.ndarray) -> dict:
    """Cluster statistics of a superconducting mask: labels, fractions, spanning along x and y."""
    labels, n = label_clusters(mask)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    left, right = set(np.unique(labels[:, 0])) - {0}, set(np.unique(labels[:, -1])) - {0}
    top, bottom = set(np.unique(labels[0])) - {0}, set(np.unique(labels[-1])) - {0}
    return {"labels": labels, "sc_fraction": float(mask.mean()),
            "largest_cluster_fraction": float(sizes[1:].max() / mask.size) if n else 0.0,
            "spanning_x": bool(left & right), "spanning_y": bool(top & bottom)}


@small_pages()
def four_probe(scan_or_current, *, contacts="vdp", model: str = "classified", threshold_A: float | None = None,
               matrix_sheet_resistance_ohm: float | None = None, contact_radius_px: float = 0,
               tol: float = 1e-10, method: str = "auto") -> TransportResult:
    """Simulate a four-probe (or van der Pauw) measurement on a current map.

    Parameters
    ----------
    scan_or_current : Scan, ndarray
        A Scan (its forward ``current`` channel is used), a 2-D current map in A, or a boolean
        superconducting mask (``model="classified"`` only).
    contacts : str or sequence of (x, y)
        ``vdp``, ``linear``, ``bar`` or explicit pixels ``I+, I-, V+, V-``; see
        :func:`scprobe.transport.contacts.make_contacts`.
    model : {"classified", "proportional"}
        ``classified``: pixels above ``threshold_A`` are superconducting (contracted exactly), the
        rest matrix of sheet resistance ``matrix_sheet_resistance_ohm``.  ``proportional``: sheet
        conductance proportional to the current, pixels at or below the noise floor clamped to it;
        ``matrix_sheet_resistance_ohm`` is then the sheet resistance of the map's mean conductance.
    threshold_A : float, optional
        Superconducting threshold, A (plain ``current > threshold_A``); default: the conducting
        mask of :func:`scprobe.analysis.region_mask`, the one ``scprobe map`` reports.
    matrix_sheet_resistance_ohm : float, optional
        Ohm per square; without it resistances are in units of it.
    contact_radius_px : float
        Radius of point contacts, pixels.
    tol : float
        Relative residual of the iterative solver.
    method : {"auto", "amg", "direct"}
        Linear solver (``auto``: direct for small systems, AMG-preconditioned CG otherwise).

    Returns
    -------
    TransportResult

    Examples
    --------
    A uniform sheet (noise only, nothing superconducts) with van der Pauw corner contacts gives
    ``R_A = R_B = ln 2 / pi = 0.2206`` in units of the sheet resistance:

    >>> import numpy as np
    >>> from scprobe.scan import make_scan
    >>> noise = 1e-11 * np.random.default_rng(0).standard_normal((64, 64))
    >>> res = four_probe(make_scan({"current": noise}, pixel_size_m=15e-9), contacts="vdp")
    >>> round(res.r_a_ohm, 3), round(res.r_b_ohm, 3), res.verdict
    (0.221, 0.221, 'resistive')
    """
    logger.info("four_probe contacts=%s model=%s", contacts, model)
    data, pitch = _input_map(scan_or_current)
    if data.ndim != 2:
        raise ParameterError(f"a transport map must be 2-D, got shape {data.shape}")
    if matrix_sheet_resistance_ohm is not None and not (
            np.isfinite(matrix_sheet_resistance_ohm) and matrix_sheet_resistance_ohm > 0):
        raise ParameterError(f"matrix sheet resistance must be a positive number of ohm, got {matrix_sheet_resistance_ohm!r}")
    r_sq = 1.0 if matrix_sheet_resistance_ohm is None else float(matrix_sheet_resistance_ohm)
    unit_pitch = pitch if all(np.isfinite(pitch)) else (1.0, 1.0)  # pixel units when the pitch is unknown
    s, contracted, sc_mask, thr, clamped = _conductances(data, model, threshold_A, 1.0 / r_sq, unit_pitch)
    cts = make_contacts(contacts, data.shape, contact_radius_px=contact_radius_px)

    net = build_network(s, contracted, cts.pixels)
    ip, im, vp, vm = cts.configurations[0]
    drive = [0.0] * len(cts.pixels)
    drive[ip], drive[im] = 1.0, -1.0
    # the pattern inside clusters only feeds the current map and current_fraction_in_sc: it is set up
    # in a second process while this one sets up and solves the network
    interior = Forked(ClusterInterior, net, cts.pixels, tol=max(tol, INTERNAL_TOL), method=method,
                      fork=worth_forking(net.n_nodes), timeout_s=work_timeout(net.n_nodes))
    run = None
    try:
        run = Measurement(net, cts, tol=tol, method=method)
        first = run.first
        interior.submit("solution_currents", first.potential, drive)
        ref = homogeneous_readings(data.shape, cts, 1.0 / r_sq, tol=tol, method=method)
        conn = connectivity(sc_mask)
        readings, info = run.finish()
        links, _ = interior.collect()
    finally:
        interior.close()
        if run is not None:
            run.cancel()
    density = current_density(links, unit_pitch)
    total = float(density.sum())
    frac_sc = float(density[sc_mask].sum() / total) if total > 0 else math.nan

    node = [int(net.node.ravel()[p[0]]) for p in cts.pixels]
    joined = node[ip] == node[im] and contracted is not None
    shorted = node[vp] == node[vm] and contracted is not None
    on_path = joined and node[vp] == node[ip] and node[vm] == node[ip]
    r_a = r_b = rs = aniso = math.nan
    if cts.layout == "vdp":
        r_a, r_b = readings[0].r_four_probe, readings[1].r_four_probe
        rs = vdp_sheet_resistance(r_a, r_b)
        aniso = r_a / r_b if r_b != 0 else math.nan
    r4, r2 = first.r_four_probe, first.r_two_probe
    verdict, why = explain(r4=r4, r4_ratio=_ratio(r4, ref[0].r_four_probe), r2_ratio=_ratio(r2, ref[0].r_two_probe),
                           joined=joined, shorted=shorted, on_path=on_path, conn=conn,
                           unit="ohm" if matrix_sheet_resistance_ohm is not None else "R_sq",
                           current_open=math.isinf(r2))
    if not info.residual <= 1e3 * tol:
        why += (f" Caution: the linear solver stopped at relative residual {info.residual:.2g} (asked {tol:.0e}), "
                "so these resistances are not reliable.")
    return TransportResult(
        r_four_probe_ohm=r4, r_four_probe_ratio=_ratio(r4, ref[0].r_four_probe),
        r_two_probe_ratio=_ratio(r2, ref[0].r_two_probe), r_a_ohm=r_a, r_b_ohm=r_b,
        vdp_sheet_resistance_ohm=rs, anisotropy=aniso, current_contacts_connected=joined,
        voltage_probes_on_path=on_path, voltage_probes_shorted=shorted, spanning_x=conn["spanning_x"],
        spanning_y=conn["spanning_y"], sc_fraction=conn["sc_fraction"],
        largest_cluster_fraction=conn["largest_cluster_fraction"], current_fraction_in_sc=frac_sc,
        verdict=verdict, explanation=why, model=model, contacts=cts.layout,
        contact_positions_px=[[c[1], c[0]] for c in cts.centres], threshold_A=thr,
        resistance_unit="ohm" if matrix_sheet_resistance_ohm is not None else "matrix_sheet_resistance",
        r_two_probe_ohm=r2, residual=info.residual, iterations=info.iterations, method=info.method,
        n_unknowns=info.n_unknowns, noise_clamped_pixels=clamped, pixel_size_m=tuple(pitch),
        potential=first.potential[net.node], current_density=density, superconducting=sc_mask,
        clusters=conn["labels"], contact_pixels=cts.pixels)


def _ratio(r: float, r_ref: float) -> float:
    if r == 0:
        return 0.0
    if not np.isfinite(r) or r_ref == 0 or not np.isfinite(r_ref):
        return math.nan if not math.isinf(r) else math.inf
    return r / r_ref


def explain(*, r4, r4_ratio, r2_ratio, joined, shorted, on_path, conn, unit, current_open) -> tuple[str, str]:
    """Verdict (one of :data:`VERDICTS`) and one plain sentence saying why."""
    sc = conn["sc_fraction"]
    lc = conn["largest_cluster_fraction"]
    if joined and on_path:
        if sc > 0.5:
            return "bulk_like", (
                f"Zero four-probe voltage is genuine: one superconducting cluster joins both current contacts and "
                f"passes both voltage probes, and superconducting pixels are the majority ({sc:.1%} of the area).")
        return "percolating_minority", (
            f"Zero four-probe voltage comes from a percolating minority: a superconducting network covering only "
            f"{sc:.1%} of the area (largest cluster {lc:.1%}) joins the current contacts and passes both voltage "
            f"probes, so zero resistance here does not imply bulk superconductivity.")
    if joined:
        return "bypass", (
            "Zero four-probe voltage because the current flows between the current contacts along a superconducting "
            "path that does not reach the voltage probes, which therefore see no potential difference whatever the "
            f"rest of the sample does (superconducting area {sc:.1%}).")
    if shorted:
        return "probe_short", (
            "Zero four-probe voltage because a superconducting filament shorts the two voltage probes while no "
            "superconducting path joins the current contacts; the sample between the current contacts is resistive "
            f"(two-probe resistance {r2_ratio:.3g} x that of a homogeneous sheet).")
    if current_open:
        return "resistive", ("No conducting path joins the current contacts, so the two-probe resistance is infinite "
                             "and no four-probe voltage is defined.")
    if not np.isfinite(r4):
        return "resistive", ("The voltage probes lie on a piece of the sample that no conducting path joins to the "
                             "current contacts, so their potential is undefined and a voltmeter would read nothing "
                             "meaningful.")
    return "resistive", (
        f"Finite four-probe resistance {r4:.4g} {unit} ({r4_ratio:.3g} x a homogeneous sheet with the same contacts): "
        f"no superconducting path joins the current contacts and no filament shorts the voltage probes "
        f"(superconducting area {sc:.1%}, largest cluster {lc:.1%}).")
