"""What a four-probe or van der Pauw measurement on a map would report, and whether to believe it.

:func:`four_probe` builds the network of a current map (``docs/transport.md``), solves it for each
contact configuration, compares with a homogeneous sheet under the same contacts, and classifies
the outcome (:data:`VERDICTS`) from the connectivity of the superconducting clusters, which the
exact contraction makes unambiguous: a zero voltage is exactly ``0.0``, never a small number.

Three steps: the **model** (sheet conductances and contracted pixels of the map, :func:`_model`),
the **measurement** (solves and the homogeneous reference, :func:`_measure`) and the
**classification** (:func:`explain`).  The network is solved in units of the matrix sheet
resistance R_sq (``*_rsq``); ohm values follow when R_sq is known.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from scprobe.analysis import noise_stats
from scprobe.errors import ParameterError
from scprobe.results import Result, internal, quantity
from scprobe.transport.contacts import Contacts, make_contacts
from scprobe.transport.inputs import MapInput, superconducting_map
from scprobe.transport.network import ClusterInterior, Network, build_network, label_clusters
from scprobe.transport.solver import (Forked, GroundedSolver, SolveInfo, combine, small_pages, uniform_grid_transfer,
                                     work_timeout, worth_forking)

logger = logging.getLogger(__name__)

MODELS = ("classified", "proportional")
VERDICTS = ("bulk_like", "percolating_minority", "bypass", "probe_short", "resistive")
#: Relative residual of the current pattern inside contracted clusters.  It feeds the current map and
#: current_fraction_in_sc only; on a 2048^2 map, going from 1e-6 to 1e-3 moves the fraction by 1e-6
#: (relative) and the map by < 1e-4 of its peak (docs/transport.md has the time it saves).
INTERNAL_TOL = 1e-3


@dataclass(frozen=True)
class Resistances(Result):
    """Resistances of the first contact configuration (and the van der Pauw pair).

    ``*_rsq`` are in units of the matrix sheet resistance R_sq (the network is solved in them);
    ``*_ohm`` are the same values in ohm when R_sq is known (``matrix_sheet_resistance_ohm``),
    else NaN.  Ratios divide by the same quantity on a homogeneous sheet with the same contacts.
    """

    r_four_probe_rsq: float = quantity("R_sq")
    r_two_probe_rsq: float = quantity("R_sq")
    r_four_probe_ratio: float = quantity("1")
    r_two_probe_ratio: float = quantity("1")
    r_a_rsq: float = quantity("R_sq")
    r_b_rsq: float = quantity("R_sq")
    vdp_sheet_resistance_rsq: float = quantity("R_sq")
    anisotropy: float = quantity("1")
    matrix_sheet_resistance_ohm: float = quantity("Ohm")
    r_four_probe_ohm: float = quantity("Ohm")
    r_two_probe_ohm: float = quantity("Ohm")
    r_a_ohm: float = quantity("Ohm")
    r_b_ohm: float = quantity("Ohm")
    vdp_sheet_resistance_ohm: float = quantity("Ohm")


@dataclass(frozen=True)
class Connectivity(Result):
    """How the superconducting clusters connect the contacts and the map's edges (fractions 0..1)."""

    current_contacts_connected: bool = quantity("")
    voltage_probes_on_path: bool = quantity("")
    voltage_probes_shorted: bool = quantity("")
    spanning_x: bool = quantity("")
    spanning_y: bool = quantity("")
    sc_fraction: float = quantity("1")
    largest_cluster_fraction: float = quantity("1")
    current_fraction_in_sc: float = quantity("1")


@dataclass(frozen=True)
class TransportResult(Result):
    """Simulated four-probe measurement on a map: what contacts at the map's scale would see.

    ``verdict`` (one of :data:`VERDICTS`) and ``explanation`` come first; the numbers behind them
    are grouped in ``resistance`` (:class:`Resistances`), ``connectivity``
    (:class:`Connectivity`) and ``solver`` (:class:`~scprobe.transport.solver.SolveInfo`).  ``contact_span_m`` is the
    distance between the current contacts, the scale the verdict speaks for (NaN when the pixel
    size is unknown; ``contact_span_px`` then says it in pixels).  Array attributes (not in
    :meth:`to_dict`) serve the figures: ``potential`` (in R_sq per unit drive current, NaN where
    undefined), ``current_density`` (sheet current density magnitude, A/m per A; per pixel width
    when the pixel size is unknown), ``superconducting``, ``clusters`` (labels), ``contact_pixels``.
    """

    verdict: str = quantity("")
    explanation: str = quantity("")
    model: str = quantity("")
    contacts: str = quantity("")
    contact_positions_px: list = quantity("px")
    contact_span_px: float = quantity("px")
    contact_span_m: float = quantity("m")
    threshold_A: float = quantity("A")
    noise_clamped_pixels: int | None = quantity("count")
    resistance: Resistances = None
    connectivity: Connectivity = None
    solver: SolveInfo = None
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


def _model(inp: MapInput, model: str) -> tuple[np.ndarray, np.ndarray | None, int | None]:
    """Step 1, the model: sheet conductances (units of 1 / R_sq), contracted pixels, clamped-pixel count."""
    if model not in MODELS:
        raise ParameterError(f"model must be one of {MODELS}, got {model!r}")
    if model == "classified":
        return np.ones(inp.mask.shape), inp.mask, None
    if inp.current is None:
        raise ParameterError("a boolean superconducting mask works only with model='classified'")
    current = inp.current
    floor = noise_stats(current).noise_floor_A
    if not floor > 0:
        raise ParameterError("the noise floor of this map is zero; the proportional model needs a positive floor")
    with np.errstate(invalid="ignore"):
        clamped = ~(current > floor)
    s = np.where(clamped, floor, current)
    # R_sq is then the sheet resistance of the map's mean conductance
    return s / s.mean(), None, int(np.count_nonzero(clamped))


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
               matrix_sheet_resistance_ohm: float | None = None, matrix_resistivity_ohm_m: float | None = None,
               thickness_m: float | None = None, contact_radius_px: float = 0, tol: float = 1e-10,
               method: str = "auto") -> TransportResult:
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
        R_sq in ohm per square: gives the ``*_ohm`` values beside the ``*_rsq`` ones.
    matrix_resistivity_ohm_m, thickness_m : float, optional
        Instead of ``matrix_sheet_resistance_ohm``: the matrix resistivity (Ohm m) and the sample
        thickness (m), R_sq = rho / t.
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
    >>> round(res.resistance.r_a_rsq, 3), round(res.resistance.r_b_rsq, 3), res.verdict
    (0.221, 0.221, 'resistive')
    """
    logger.info("four_probe contacts=%s model=%s", contacts, model)
    r_sq_ohm = _matrix_sheet_resistance(matrix_sheet_resistance_ohm, matrix_resistivity_ohm_m, thickness_m)
    inp = superconducting_map(scan_or_current, threshold_A=threshold_A)
    s, contracted, clamped = _model(inp, model)
    cts = make_contacts(contacts, inp.mask.shape, contact_radius_px=contact_radius_px)
    unit_pitch = inp.pixel_size_m if inp.pitch_known else (1.0, 1.0)  # pixel units when the pitch is unknown
    net = build_network(s, contracted, cts.pixels)
    readings, ref, links, info = _measure(net, cts, tol, method)
    density = current_density(links, unit_pitch)
    total = float(density.sum())
    conn = connectivity(inp.mask)

    node = [int(net.node.ravel()[p[0]]) for p in cts.pixels]
    ip, im, vp, vm = cts.configurations[0]
    joined = node[ip] == node[im] and contracted is not None
    shorted = node[vp] == node[vm] and contracted is not None
    links_of = Connectivity(
        current_contacts_connected=joined, voltage_probes_shorted=shorted,
        voltage_probes_on_path=joined and node[vp] == node[ip] and node[vm] == node[ip],
        spanning_x=conn["spanning_x"], spanning_y=conn["spanning_y"], sc_fraction=conn["sc_fraction"],
        largest_cluster_fraction=conn["largest_cluster_fraction"],
        current_fraction_in_sc=float(density[inp.mask].sum() / total) if total > 0 else math.nan)
    res = _resistances(readings, ref, cts.layout, r_sq_ohm)
    span_px, span_m = _span(cts, inp)
    verdict, why = explain(res, links_of, scale=_scale_text(span_px, span_m))
    if not info.residual <= 1e3 * tol:
        why += (f" Caution: the linear solver stopped at relative residual {info.residual:.2g} (asked {tol:.0e}), "
                "so these resistances are not reliable.")
    return TransportResult(
        verdict=verdict, explanation=why, model=model, contacts=cts.layout,
        contact_positions_px=[[c[1], c[0]] for c in cts.centres], contact_span_px=span_px, contact_span_m=span_m,
        threshold_A=inp.threshold_A, noise_clamped_pixels=clamped, resistance=res, connectivity=links_of,
        solver=info,
        pixel_size_m=tuple(inp.pixel_size_m), potential=readings[0].potential[net.node], current_density=density,
        superconducting=inp.mask, clusters=conn["labels"], contact_pixels=cts.pixels)


def _matrix_sheet_resistance(r_sq_ohm, rho_ohm_m, thickness_m) -> float:
    """R_sq in ohm from itself or from the matrix resistivity and the thickness (rho / t); NaN when unknown."""
    for name, v in (("matrix sheet resistance", r_sq_ohm), ("matrix resistivity", rho_ohm_m),
                    ("thickness", thickness_m)):
        if v is not None and not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ParameterError(f"{name} must be a positive number, got {v!r}")
    if r_sq_ohm is not None:
        if rho_ohm_m is not None:
            raise ParameterError("give the matrix sheet resistance or the matrix resistivity, not both")
        return float(r_sq_ohm)
    if (rho_ohm_m is None) != (thickness_m is None):
        raise ParameterError("the matrix resistivity gives a sheet resistance only with the thickness (rho / t)")
    return math.nan if rho_ohm_m is None else float(rho_ohm_m) / float(thickness_m)


def _measure(net: Network, cts: Contacts, tol: float, method: str):
    """Step 2, the measurement: readings of every configuration, the homogeneous reference, link currents."""
    ip, im = cts.configurations[0][:2]
    drive = [0.0] * len(cts.pixels)
    drive[ip], drive[im] = 1.0, -1.0
    # the pattern inside clusters only feeds the current map and current_fraction_in_sc: it is set up
    # in a second process while this one sets up and solves the network
    interior = Forked(ClusterInterior, net, cts.pixels, tol=max(tol, INTERNAL_TOL), method=method,
                      fork=worth_forking(net.n_nodes), timeout_s=work_timeout(net.n_nodes))
    run = None
    try:
        run = Measurement(net, cts, tol=tol, method=method)
        interior.submit("solution_currents", run.first.potential, drive)
        ref = homogeneous_readings(net.shape, cts, 1.0, tol=tol, method=method)
        readings, info = run.finish()
        links, _ = interior.collect()
    finally:
        interior.close()
        if run is not None:
            run.cancel()
    return readings, ref, links, info


def _resistances(readings: list[Reading], ref: list[Reading], layout: str, r_sq_ohm: float) -> Resistances:
    """The readings in R_sq, as ratios to the homogeneous sheet, and in ohm when R_sq is known."""
    r_a = r_b = rs = aniso = math.nan
    if layout == "vdp":
        r_a, r_b = readings[0].r_four_probe, readings[1].r_four_probe
        rs = vdp_sheet_resistance(r_a, r_b)
        aniso = r_a / r_b if r_b != 0 else math.nan
    r4, r2 = readings[0].r_four_probe, readings[0].r_two_probe
    return Resistances(
        r_four_probe_rsq=r4, r_two_probe_rsq=r2, r_four_probe_ratio=_ratio(r4, ref[0].r_four_probe),
        r_two_probe_ratio=_ratio(r2, ref[0].r_two_probe), r_a_rsq=r_a, r_b_rsq=r_b, vdp_sheet_resistance_rsq=rs,
        anisotropy=aniso, matrix_sheet_resistance_ohm=r_sq_ohm, r_four_probe_ohm=r4 * r_sq_ohm,
        r_two_probe_ohm=r2 * r_sq_ohm, r_a_ohm=r_a * r_sq_ohm, r_b_ohm=r_b * r_sq_ohm,
        vdp_sheet_resistance_ohm=rs * r_sq_ohm)


def _span(cts: Contacts, inp: MapInput) -> tuple[float, float]:
    """Distance between the current contacts' centres, pixels and m (NaN when the pitch is unknown)."""
    (y0, x0), (y1, x1) = cts.centres[0], cts.centres[1]
    dy, dx = inp.pixel_size_m
    return float(math.hypot(y1 - y0, x1 - x0)), float(math.hypot((y1 - y0) * dy, (x1 - x0) * dx))


def _scale_text(span_px: float, span_m: float) -> str:
    if math.isfinite(span_m):
        return f"current contacts {span_m * 1e6:.3g} µm apart"
    return f"current contacts {span_px:.0f} pixels apart"


def _ratio(r: float, r_ref: float) -> float:
    if r == 0:
        return 0.0
    if not np.isfinite(r) or r_ref == 0 or not np.isfinite(r_ref):
        return math.nan if not math.isinf(r) else math.inf
    return r / r_ref


def explain(res: Resistances, conn: Connectivity, *, scale: str) -> tuple[str, str]:
    """Step 3, the classification: verdict (one of :data:`VERDICTS`) and what contacts at the map's scale would see.

    ``scale`` says that scale (``"current contacts 7.7 µm apart"``); the sentence starts with it,
    because the verdict is about this map, not about a millimetre sample (that is
    :func:`scprobe.transport.percolate`'s question).
    """
    verdict, why = _classify(res, conn)
    return verdict, f"Contacts at the map's scale ({scale}) would see this: {why}"


def _classify(res: Resistances, conn: Connectivity) -> tuple[str, str]:
    sc, lc = conn.sc_fraction, conn.largest_cluster_fraction
    r4, r2 = res.r_four_probe_rsq, res.r_two_probe_rsq
    if conn.current_contacts_connected and conn.voltage_probes_on_path:
        if sc > 0.5:
            return "bulk_like", (
                f"zero four-probe voltage is genuine: one superconducting cluster joins both current contacts and "
                f"passes both voltage probes, and superconducting pixels are the majority ({sc:.1%} of the area).")
        return "percolating_minority", (
            f"zero four-probe voltage comes from a percolating minority: a superconducting network covering only "
            f"{sc:.1%} of the area (largest cluster {lc:.1%}) joins the current contacts and passes both voltage "
            f"probes, so zero resistance here does not imply bulk superconductivity.")
    if conn.current_contacts_connected:
        return "bypass", (
            "zero four-probe voltage because the current flows between the current contacts along a superconducting "
            "path that does not reach the voltage probes, which therefore see no potential difference whatever the "
            f"rest of the sample does (superconducting area {sc:.1%}).")
    if conn.voltage_probes_shorted:
        return "probe_short", (
            "zero four-probe voltage because a superconducting filament shorts the two voltage probes while no "
            "superconducting path joins the current contacts; the sample between the current contacts is resistive "
            f"(two-probe resistance {res.r_two_probe_ratio:.3g} x that of a homogeneous sheet).")
    if math.isinf(r2):
        return "resistive", ("no conducting path joins the current contacts, so the two-probe resistance is infinite "
                             "and no four-probe voltage is defined.")
    if not np.isfinite(r4):
        return "resistive", ("the voltage probes lie on a piece of the sample that no conducting path joins to the "
                             "current contacts, so their potential is undefined and a voltmeter would read nothing "
                             "meaningful.")
    ohm = f", {res.r_four_probe_ohm:.4g} ohm" if math.isfinite(res.r_four_probe_ohm) else ""
    return "resistive", (
        f"a finite four-probe resistance of {r4:.4g} R_sq{ohm} ({res.r_four_probe_ratio:.3g} x a homogeneous sheet "
        f"with the same contacts): no superconducting path joins the current contacts and no filament shorts the "
        f"voltage probes (superconducting area {sc:.1%}, largest cluster {lc:.1%}).")
