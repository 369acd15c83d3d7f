"""Composition data: atom-probe needles (.pos + .rrng), an SEM overview (TIFF), EDX maps (CSV).

One composition landscape underlies them all: the insulating matrix at the nominal
Fe(Se0.4Te0.6) and the superconducting phase Fe-depleted, with another anion ratio
(``CompositionParams.matrix_at_pct`` / ``phase_at_pct``).  Needle 1 is lifted out of the
matrix, needle 2 out of a conducting region; both carry an oxygen-rich cap of
``cap_depth_m`` at the apex (z = 0, z grows into the needle).

The SEM image has secondary-electron contrast from the topography only (step edges, pits,
particles, and the lift-out marks milled after the cAFM scans), none from the phase, as
published (Fig. S3), at its own pixel size and rotation.  The EDX maps are the composition
landscape blurred by the electron interaction volume and counted with the map's dose, so
whether they show the phase is a result of these parameters.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import tifffile
from scipy import ndimage

from scipy import stats

from scprobe.io import atomic_path, atomic_write
from scprobe.simulate.params import CompositionParams, StudyParams
from scprobe.simulate.sample import Landscape, rng_for

#: Isotopes (mass in Da, natural abundance) of the elements in the sample.
ISOTOPES = {
    "Fe": ((53.9396, 0.05845), (55.9349, 0.91754), (56.9354, 0.02119), (57.9333, 0.00282)),
    "Se": ((73.9225, 0.0089), (75.9192, 0.0937), (76.9199, 0.0763), (77.9173, 0.2377), (79.9165, 0.4961),
           (81.9167, 0.0873)),
    "Te": ((119.9040, 0.0009), (121.9030, 0.0255), (122.9043, 0.0089), (123.9028, 0.0474), (124.9044, 0.0707),
           (125.9033, 0.1884), (127.9045, 0.3174), (129.9062, 0.3408)),
    "O": ((15.9949, 0.99757), (16.9991, 0.00038), (17.9992, 0.00205)),
}
#: Charge-state fractions of the atomic ions.
CHARGE_STATES = {"Fe": {1: 0.3, 2: 0.7}, "Se": {1: 0.6, 2: 0.4}, "Te": {1: 0.55, 2: 0.45}, "O": {1: 1.0}}
#: Fraction of oxygen atoms field-evaporated as O2+ molecular ions.
O2_FRACTION = 0.3
_VOLUME_NM3 = {"Fe": 0.01177, "Se": 0.03665, "Te": 0.03395, "O": 0.01410}
_COLOUR = {"Fe": "FF0000", "Se": "00C000", "Te": "0000FF", "O": "00FFFF"}
#: Secondary electrons counted per SEM pixel at unit brightness: a slow overview scan, as taken to
#: locate lift-out sites (a fast one, ~40, leaves the single-unit-cell step edges in the shot noise).
SEM_DOSE = 150.0
_RESOLVING_POWER = 3000.0  # m / sigma of the Gaussian core is 2 x this; tail scale m / 3000
#: Lift-out marks: a milled cross centred on each site (arm half-length and line width, m; depth in
#: SEM grey levels), cut after the cAFM scans, so it is in the SEM image and not in the topography.
MARK_ARM_M, MARK_WIDTH_M, MARK_DEPTH = 250e-9, 40e-9, 0.25
#: Significance level at which :func:`edx_truth` calls an EDX map's dispersion detectable.
EDX_ALPHA = 0.01
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def _peaks() -> list[tuple[float, str, int]]:
    """(m/n in Da, element formula, atoms per ion) of every peak, O2+ included."""
    out = []
    for el, isotopes in ISOTOPES.items():
        for q in CHARGE_STATES[el]:
            out += [(m / q, el, 1) for m, _ in isotopes]
    m16 = ISOTOPES["O"][0][0]
    out.append((2 * m16, "O", 2))
    return sorted(out)


def _range_of(mn: float) -> tuple[float, float]:
    sigma, tail = mn / (2 * _RESOLVING_POWER), mn / _RESOLVING_POWER
    return mn - 4 * sigma, mn + 4 * sigma + 4 * tail


def write_rrng(path: Path) -> None:
    """Write the range file: ions Fe, Se, Te, O; one range per isotope and charge state, plus O2+."""
    ions = list(ISOTOPES)
    lines = ["[Ions]", f"Number={len(ions)}"] + [f"Ion{i + 1}={el}" for i, el in enumerate(ions)]
    peaks = _peaks()
    lines += ["[Ranges]", f"Number={len(peaks)}"]
    for i, (mn, el, atoms) in enumerate(peaks):
        lo, hi = _range_of(mn)
        lines.append(f"Range{i + 1}={lo:.4f} {hi:.4f} Vol:{atoms * _VOLUME_NM3[el]:.5f} {el}:{atoms} "
                     f"Color:{_COLOUR[el]}")
    with atomic_write(path, "wb") as fh:
        fh.write(("\r\n".join(lines) + "\r\n").encode("ascii"))


def _ion_masses(el: str, n: int, rng) -> np.ndarray:
    masses = np.array([m for m, _ in ISOTOPES[el]])
    abund = np.array([a for _, a in ISOTOPES[el]])
    charges = np.array(list(CHARGE_STATES[el]))
    cprob = np.array(list(CHARGE_STATES[el].values()))
    return masses[rng.choice(masses.size, n, p=abund / abund.sum())] / charges[rng.choice(charges.size, n, p=cprob)]


def needle_ions(composition_at_pct: dict, cp: CompositionParams, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Simulate the detected ions of one needle.

    A cone (apex radius 20 nm, half-angle 8 deg, 120 nm deep) along z, uniformly filled;
    above ``cap_depth_m`` the oxygen-rich cap.  Peaks have a Gaussian core (m / 6000 Da)
    and a thermal tail (m / 3000 Da); ``background_fraction`` of the ions are uniform noise.

    Returns
    -------
    ions : ndarray (n, 4)
        x, y, z (nm) and mass-to-charge (Da), in detection (depth) order.
    atoms_below_cap : dict
        True number of atoms of each element below the cap (an O2+ ion counts two O).
    """
    n_total = cp.ions_per_needle
    n_bg = int(round(cp.background_fraction * n_total))
    n_ions = n_total - n_bg
    r0, tan_a, depth = 20.0, math.tan(math.radians(8.0)), 120.0
    # Uniform density in the cone: z by inverse CDF of r(z)^2.
    zs = np.linspace(0, depth, 2001)
    cdf = np.cumsum((r0 + zs * tan_a) ** 2)
    cdf = (cdf - cdf[0]) / (cdf[-1] - cdf[0])

    def positions(n):
        z = np.interp(rng.random(n), cdf, zs)
        r = (r0 + z * tan_a) * np.sqrt(rng.random(n))
        phi = rng.uniform(0, 2 * np.pi, n)
        return r * np.cos(phi), r * np.sin(phi), z

    x, y, z = positions(n_ions)
    cap_nm = cp.cap_depth_m * 1e9
    in_cap = z < cap_nm + 0.5 * rng.standard_normal(n_ions)
    elements = np.array(list(ISOTOPES))
    bulk = np.array([composition_at_pct[e] for e in elements], dtype=float)
    cap = bulk.copy()
    cap[elements != "O"] *= (100 - cp.cap_oxygen_at_pct) / cap[elements != "O"].sum()
    cap[elements == "O"] = cp.cap_oxygen_at_pct
    species = np.empty(n_ions, dtype=int)
    for sel, comp in ((in_cap, cap), (~in_cap, bulk)):
        # Per ion, not per atom: an O2+ ion carries two O atoms.
        w = comp.copy()
        w[elements == "O"] *= 1 - O2_FRACTION / 2
        species[sel] = rng.choice(elements.size, int(sel.sum()), p=w / w.sum())
    mn = np.empty(n_ions)
    atoms_below_cap = {}
    for k, el in enumerate(elements):
        idx = np.flatnonzero(species == k)
        mn[idx] = _ion_masses(el, idx.size, rng)
        if el == "O":
            o2 = rng.random(idx.size) < (O2_FRACTION / 2) / (1 - O2_FRACTION / 2)
            mn[idx[o2]] = 2 * ISOTOPES["O"][0][0]
            below = ~in_cap[idx]
            atoms_below_cap[el] = int(below.sum() + (o2 & below).sum())
        else:
            atoms_below_cap[el] = int((~in_cap[idx]).sum())
    mn = mn + mn / (2 * _RESOLVING_POWER) * rng.standard_normal(n_ions) + rng.exponential(mn / _RESOLVING_POWER)
    bx, by, bz = positions(n_bg)
    ions = np.column_stack([np.concatenate([x, bx]), np.concatenate([y, by]), np.concatenate([z, bz]),
                            np.concatenate([mn, rng.uniform(1.0, 140.0, n_bg)])])
    # Detector order, not species order: ions arrive in depth order.
    return ions[np.argsort(ions[:, 2], kind="stable")], atoms_below_cap


def write_pos(ions: np.ndarray, path: Path) -> None:
    """Write a .pos file: big-endian float32 x, y, z (nm), m/n (Da) per ion."""
    with atomic_write(path) as fh:
        fh.write(np.asarray(ions, dtype=">f4").tobytes())


def composition_maps(ls: Landscape, cp: CompositionParams) -> dict[str, np.ndarray]:
    """The composition landscape on the domain grid: at.% of each element per pixel."""
    return {el: np.where(ls.mask, cp.phase_at_pct[el], cp.matrix_at_pct[el]) for el in cp.matrix_at_pct}


def _sem_domain_image(ls: Landscape, sigma_px: float) -> np.ndarray:
    """SEM grey level on the domain grid: topographic contrast only (step edges, pit and particle rims).

    Secondary-electron yield rises with the local surface slope (edges and rims light up) and,
    weakly, on raised ground; the superconducting phase has no contrast of its own.
    """
    p = ls.params
    gy, gx = np.gradient(ls.topography_m)
    edges = np.clip(np.hypot(gy, gx) / (0.5 * p.step_height_m), 0, 1)
    z = ls.topography_m - ndimage.uniform_filter(ls.topography_m, 101)
    img = 0.5 + 0.2 * edges + 0.08 * np.tanh(z / p.pit_depth_m)
    return ndimage.gaussian_filter(img, sigma_px)


def _lift_out_marks(shape, centres_px, sem_pixel_size_m: float) -> np.ndarray:
    """Grey-level change of the milled crosses (SEM pixels), centres ``(x, y)`` in SEM pixels."""
    v, u = np.mgrid[0:shape[0], 0:shape[1]].astype(float)
    arm, half_w = MARK_ARM_M / sem_pixel_size_m, 0.5 * MARK_WIDTH_M / sem_pixel_size_m
    out = np.zeros(shape)
    for cx, cy in centres_px:
        dx, dy = np.abs(u - cx), np.abs(v - cy)
        cross = ((dx <= half_w) & (dy <= arm)) | ((dy <= half_w) & (dx <= arm))
        out -= MARK_DEPTH * cross
    return ndimage.gaussian_filter(out, 0.7)


def edx_maps(ls: Landscape, cp: CompositionParams, domain_yx: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    """Expected X-ray counts per EDX pixel of each element (before counting noise).

    The composition landscape is blurred by a Gaussian of FWHM ``edx_interaction_m``
    (the lateral extent of X-ray generation) and sampled at the EDX pixel centres
    ``domain_yx`` (domain pixels); the counts are ``edx_counts`` at the matrix composition
    and scale with the local at.%.
    """
    sigma_px = cp.edx_interaction_m / _FWHM_PER_SIGMA / ls.pixel_size_m
    maps = composition_maps(ls, cp)
    ys, xs = (np.asarray(c, dtype=float) for c in domain_yx)
    shape = ls.mask.shape
    out = {}
    if not (ys.min() >= 0 and ys.max() <= shape[0] - 1 and xs.min() >= 0 and xs.max() <= shape[1] - 1):
        for el, mean in cp.edx_counts.items():  # pixels beyond the domain's edge: the whole map, plainly
            blurred = ndimage.gaussian_filter(maps[el], sigma_px, mode="nearest", truncate=3.0)
            local = ndimage.map_coordinates(blurred, [ys, xs], order=1, mode="nearest")
            out[el] = mean * local / cp.matrix_at_pct[el]
        return out
    # The blur is only needed at the EDX pixels' bilinear neighbours: along y on the columns within the
    # kernel's reach of them, then along x on their rows only. Each output is the same sum of the same
    # numbers as in the blur of the whole map (ndimage filters every line alone), and the bilinear
    # weights are ndimage's, so the counts are the same bits.
    (r0, r1, wy), (c0, c1, wx) = (_linear_taps(c, n) for c, n in zip((ys, xs), shape))
    reach = int(3.0 * sigma_px + 0.5)  # gaussian_filter1d's kernel radius at truncate=3
    lo, hi = max(0, int(min(c0.min(), c1.min())) - reach), int(max(c0.max(), c1.max())) + reach + 1
    rows = np.unique(np.concatenate([r0.ravel(), r1.ravel()]))
    at = np.searchsorted(rows, (r0, r1))
    for el, mean in cp.edx_counts.items():
        along_y = ndimage.gaussian_filter1d(maps[el][:, lo:hi], sigma_px, axis=0, mode="nearest", truncate=3.0)
        blurred = ndimage.gaussian_filter1d(along_y[rows], sigma_px, axis=1, mode="nearest", truncate=3.0)
        local = 0.0
        for ri, wr in zip(at, wy):
            for ci, wc in zip((c0, c1), wx):
                local = local + blurred[ri, ci - lo] * wr * wc
        out[el] = mean * local / cp.matrix_at_pct[el]
    return out


def _linear_taps(coord: np.ndarray, n: int):
    """Indices and weights of :func:`ndimage.map_coordinates` ``order=1`` along an axis of length ``n``
    for coordinates inside it (0 .. n - 1): ``(i0, i1, (w0, w1))``, computed as ndimage computes them."""
    start = np.floor(coord)
    w0 = 1.0 - (coord - start)
    i0 = start.astype(np.intp)
    i1 = np.where(i0 + 1 < n, i0 + 1, max(n - 2, 0))  # at the last pixel ndimage mirrors (weight 0)
    return i0, i1, (w0, 1.0 - w0)


def edx_truth(expected: dict[str, np.ndarray], field: np.ndarray) -> dict:
    """Whether counting noise hides the composition contrast of the expected EDX maps in ``field``.

    For Poisson counts of mean ``lam`` per pixel the dispersion index over the M pixels of
    ``field`` (the cAFM field) is ``D = 1 + var(lam) / mean(lam)``; the contrast is
    detectable when ``(M - 1) D`` exceeds the ``1 - EDX_ALPHA`` quantile of ``chi^2(M - 1)``.
    """
    per_el = {}
    for el, lam_map in expected.items():
        lam = lam_map[field]
        m = lam.size
        d = 1.0 + float(lam.var(ddof=1) / lam.mean())
        per_el[el] = {"mean_counts": float(lam.mean()), "contrast_rms": float(lam.std() / lam.mean()),
                      "dispersion_expected": d,
                      "detectable": bool((m - 1) * d > stats.chi2.ppf(1 - EDX_ALPHA, m - 1))}
    return per_el


def write_composition(outdir, ls: Landscape, window_a, sp: StudyParams, seed: int) -> tuple[dict, dict]:
    """Write needles, range file, SEM TIFF and EDX maps; return the study.toml table and the truth."""
    out = Path(outdir)
    cp = sp.composition
    px = sp.instrument.pixel_size_m
    y0, x0, ny, nx = window_a

    # Lift-out sites inside the cAFM field: deepest point of the phase, farthest point from it.
    m = max(4, ny // 10)
    d = ls.signed_distance_m[y0 + m:y0 + ny - m, x0 + m:x0 + nx - m]
    sites_scan = {"needle1": (np.unravel_index(np.argmin(d), d.shape), "insulating"),
                  "needle2": (np.unravel_index(np.argmax(d), d.shape), "conducting")}

    # SEM frame: sem_xy = scale * R(theta) @ scan_xy + shift (pixel-index coordinates, x right, y down).
    scale = px / cp.sem_pixel_size_m
    theta = math.radians(cp.sem_rotation_deg)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    cy, cx = y0 + (ny - 1) / 2, x0 + (nx - 1) / 2
    offset_dom = (0.04 * ny, -0.03 * nx)
    room = min(cy, ls.shape[0] - 1 - cy, cx, ls.shape[1] - 1 - cx) - max(abs(v) for v in offset_dom) - 3
    n_sem = int(2 * room / (abs(math.cos(theta)) + abs(math.sin(theta))) * scale)
    centre_scan = np.array([(nx - 1) / 2, (ny - 1) / 2])
    shift = (n_sem - 1) / 2 - scale * rot @ (centre_scan + np.array([offset_dom[1], offset_dom[0]]))
    # The same map in metres from the images' top-left corners (both images calibrated: physical scale 1).
    shift_m = cp.sem_pixel_size_m * (shift + 0.5 - scale * rot @ np.array([0.5, 0.5]))

    def to_domain(u, v):
        """SEM pixel coordinates -> domain pixel (row, column) arrays."""
        xy = np.tensordot(rot.T, np.stack([u - shift[0], v - shift[1]]), axes=1) / scale
        return xy[1] + y0, xy[0] + x0

    site_xy = {name: np.array([sx + m, sy + m], dtype=float) for name, ((sy, sx), _) in sites_scan.items()}
    sem_sites = {name: scale * rot @ xy + shift for name, xy in site_xy.items()}
    v, u = np.mgrid[0:n_sem, 0:n_sem].astype(float)
    sem = ndimage.map_coordinates(_sem_domain_image(ls, 0.5 / scale), list(to_domain(u, v)), order=1,
                                  mode="nearest")
    sem += _lift_out_marks(sem.shape, sem_sites.values(), cp.sem_pixel_size_m)
    rng = rng_for(seed, "sem")
    sem = rng.poisson(np.clip(sem, 0, None) * SEM_DOSE) / SEM_DOSE
    sem_u8 = np.clip(sem * 200, 0, 255).astype(np.uint8)
    with atomic_path(out / "sem/sem_overview.tif") as tmp:
        tifffile.imwrite(tmp, sem_u8, description=f"pixel_size_m={cp.sem_pixel_size_m!r}", metadata=None)

    maps = composition_maps(ls, cp)
    sites_toml, sites_truth, needles_truth = [], [], {}
    write_rrng(out / "apt/FeSeTe.rrng")
    for name, (_, region) in sites_scan.items():
        # The needle samples the composition landscape at its site.
        sx, sy = site_xy[name]
        comp = {el: float(a[int(sy) + y0, int(sx) + x0]) for el, a in maps.items()}
        ions, atoms = needle_ions(comp, cp, rng_for(seed, "apt", name))
        write_pos(ions, out / f"apt/{name}.pos")
        total = sum(atoms.values())
        at = {el: 100.0 * atoms[el] / total for el in atoms}
        needles_truth[name] = {
            "composition_at_pct": at, "nominal_at_pct": comp, "atoms_below_cap": atoms,
            "fe_te_ratio": atoms["Fe"] / atoms["Te"], "fe_se_ratio": atoms["Fe"] / atoms["Se"],
            "se_te_ratio": atoms["Se"] / atoms["Te"], "cap_depth_m": cp.cap_depth_m,
            "cap_oxygen_at_pct": cp.cap_oxygen_at_pct, "ions": int(ions.shape[0]), "region": region,
        }
        sem_xy = sem_sites[name]
        sites_toml.append({"name": name, "apt": f"apt/{name}.pos",
                           "sem_xy_px": [round(float(sem_xy[0]), 3), round(float(sem_xy[1]), 3)]})
        sites_truth.append({"name": name, "region": region, "scan_xy_px": site_xy[name].tolist(),
                            "sem_xy_px": sem_xy.tolist()})

    # EDX maps cover the SEM field (the reader infers their pixel size from that); pixel (i, j) is centred at SEM pixel ((j + 0.5) f - 0.5, (i + 0.5) f - 0.5).
    ey = ex = max(4, int(round(n_sem * cp.sem_pixel_size_m / cp.edx_pixel_size_m)))
    f_y, f_x = n_sem / ey, n_sem / ex
    ev, eu = np.mgrid[0:ey, 0:ex].astype(float)
    edx_yx = to_domain((eu + 0.5) * f_x - 0.5, (ev + 0.5) * f_y - 0.5)
    expected = edx_maps(ls, cp, edx_yx)
    in_field = (edx_yx[0] >= y0 - 0.5) & (edx_yx[0] <= y0 + ny - 0.5) & (edx_yx[1] >= x0 - 0.5) & \
        (edx_yx[1] <= x0 + nx - 0.5)
    rng = rng_for(seed, "edx")
    edx_files = []
    for el, lam in expected.items():
        counts = rng.poisson(lam)
        rel = f"edx/EDX_{el}.csv"
        with atomic_write(out / rel, "w") as fh:
            fh.write("\n".join(",".join(str(int(c)) for c in row) for row in counts) + "\n")
        edx_files.append(rel)
    edx_el = edx_truth(expected, in_field)

    toml = {"ranges": "apt/FeSeTe.rrng", "sem": "sem/sem_overview.tif", "sem_pixel_size_m": cp.sem_pixel_size_m,
            "overlay_scan": "1.5K", "edx": edx_files, "sites": sites_toml}
    truth = {
        "needles": needles_truth, "cap_depth_m": cp.cap_depth_m, "sites": sites_truth,
        "matrix_at_pct": dict(cp.matrix_at_pct), "phase_at_pct": dict(cp.phase_at_pct),
        "sem": {"file": "sem/sem_overview.tif", "pixel_size_m": cp.sem_pixel_size_m, "shape_px": [n_sem, n_sem],
                "scale": 1.0, "rotation_deg": cp.sem_rotation_deg, "shift_m": shift_m.tolist(),
                "scale_px": scale, "shift_px": shift.tolist(), "overlay_scan": "1.5K", "phase_contrast": False,
                "convention": "metres: sem_xy_m = scale * R(rotation) @ scan_xy_m + shift_m, positions (x right, "
                              "y down) from the top-left corner of each image; pixels: sem_xy_px = scale_px * R @ "
                              "scan_xy_px + shift_px with pixel-centre indices; R = [[cos, -sin], [sin, cos]]"},
        "edx": {"homogeneous": not any(e["detectable"] for e in edx_el.values()), "files": edx_files,
                "mean_counts": {el: float(lam.mean()) for el, lam in expected.items()},
                "mean_counts_in_field": {el: e["mean_counts"] for el, e in edx_el.items()},
                "pixels_in_field": int(in_field.sum()),
                "contrast_rms": {el: e["contrast_rms"] for el, e in edx_el.items()},
                "dispersion_expected": {el: e["dispersion_expected"] for el, e in edx_el.items()},
                "detectable": {el: e["detectable"] for el, e in edx_el.items()},
                "interaction_m": cp.edx_interaction_m, "pixel_size_m": cp.sem_pixel_size_m * n_sem / ex,
                "counts_at_matrix": dict(cp.edx_counts),
                "note": "homogeneous: no element's composition contrast is detectable at the 1 % level by a "
                        "Poisson dispersion test over the EDX pixels inside the cAFM field (contrast_rms, "
                        "dispersion_expected and detectable refer to those pixels)"},
    }
    return toml, truth
