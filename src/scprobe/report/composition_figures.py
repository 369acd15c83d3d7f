"""Figures of the composition stage: mass spectrum, depth profile, site compositions, SEM overlay.

Each function takes results of :mod:`scprobe.composition` and writes one PNG
atomically; it returns the path written.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.patches import Circle, Polygon
from matplotlib.transforms import Affine2D

from scprobe.report._style import PanelGrid, cmap, fnum, legend_width, panel_letter, save_figure, styled


#: Element colours as in the paper's atom maps (Fe red, Te green, Se purple, O blue).
ELEMENT_COLOURS = {"Fe": "#d62728", "Te": "#2ca02c", "Se": "#9467bd", "O": "#1f77b4"}
#: File names of the composition figures (the same from ``scprobe run`` and ``scprobe composition --out``).
FIGURE_NAMES = {"overlay": "fig5a_sem_overlay.png", "atoms": "fig5b_atom_map_{site}.png",
                "bars": "fig5cd_composition_sites.png", "spectrum": "mass_spectrum_{site}.png",
                "profile": "depth_profile_{site}.png", "edx": "figS3_edx_maps.png"}
#: Ions drawn per element in an atom map (a random subsample keeps the scatter readable).
ATOMS_PER_ELEMENT = 4000
#: Bin width of the mass spectrum drawn from the ions themselves, Da (resolves each peak's shape).
SPECTRUM_BIN_DA = 0.02


def _colour(el: str, i: int) -> str:
    return ELEMENT_COLOURS.get(el, cmap("tab10")(i % 10))


def _scale_bar(ax, length_m: float, pixel_m: float, nx: int, ny: int, colour: str = "white") -> None:
    """Scale bar of a round length near ``length_m`` in the lower-left corner (axes in pixels)."""
    nice = 10 ** np.floor(np.log10(length_m))
    for f in (5, 2, 1):
        if f * nice <= length_m:
            nice *= f
            break
    px = nice / pixel_m
    x0, y0 = 0.05 * nx, 0.93 * ny
    ax.plot([x0, x0 + px], [y0, y0], color=colour, lw=3, solid_capstyle="butt")
    label = f"{nice * 1e6:g} µm" if nice >= 1e-6 else f"{nice * 1e9:g} nm"
    ax.text(x0 + px / 2, y0 - 0.02 * ny, label, color=colour, ha="center", va="bottom", fontsize=8)


@styled
def mass_spectrum_figure(site, path: str | os.PathLike, *, max_Da: float | None = None) -> Path:
    """Mass spectrum (log counts) of one needle with the ranges shaded by element.

    Drawn from the ions themselves in :data:`SPECTRUM_BIN_DA` bins, so every peak shows its shape
    (rise and thermal tail); the analysis' coarser spectrum is the fallback when the file is gone.
    """
    edges, counts = site.spectrum_edges_Da, site.spectrum_counts
    ions = _ions(site)
    if ions is not None:
        m = ions.mass_to_charge_Da
        top = max_Da or float(np.percentile(m, 99.9)) * 1.05
        edges = np.arange(0.0, top + SPECTRUM_BIN_DA, SPECTRUM_BIN_DA)
        counts = np.histogram(m, bins=edges)[0]
    rng = site.ranges
    zooms = _peak_windows(edges, counts, rng) if rng is not None else []
    if zooms:
        n = len(zooms)
        zoom_w = (9.9 - 0.75 * n - 0.2 * (n - 1)) / n  # the zooms share the spectrum's width
        grid = PanelGrid([zoom_w] * n, [3.3, 2.3], left=0.75, right=[0.2] * (n - 1) + [0.25], panels=False)
        fig = grid.fig
        ax = grid.panel(0, 0, 0, n - 1)
        for k, (el, lo, hi, win) in enumerate(zooms):
            zx = grid.panel(1, k)
            sel = (edges[:-1] >= win[0]) & (edges[1:] <= win[1])
            zx.stairs(counts[sel], edges[:-1][sel].tolist() + [edges[1:][sel][-1]], fill=True, color="0.25")
            zx.axvspan(lo, hi, color=_colour(el, k), alpha=0.3, lw=0)
            zx.set_xlim(*win)
            zx.set_ylim(0, counts[sel].max() * 1.1 if sel.any() and counts[sel].max() > 0 else 1)
            zx.set_xlabel("m/n (Da)")
            zx.set_ylabel("counts (count)")
            zx.set_title(f"{el}: strongest peak, linear scale")
    else:
        grid = PanelGrid([9.9], [3.2], left=0.75, right=0.25)
        fig, ax = grid.fig, grid.axes[0, 0]
    ax.stairs(np.maximum(counts, 0.5), edges, baseline=0.5, fill=True, color="0.25")
    ax.set_yscale("log")
    if rng is not None:
        shown = set()
        for lo, hi, s in zip(rng.low_Da, rng.high_Da, rng.species):
            ion = rng.ions[s]
            atoms = rng.atoms_per_ion[s]
            main = rng.elements[int(np.argmax(atoms))]
            lab = ion if ion not in shown else None
            shown.add(ion)
            ax.axvspan(lo, hi, color=_colour(main, int(s)), alpha=0.35 if atoms.sum() == 1 else 0.2, lw=0, label=lab)
        ax.legend(ncol=4, loc="upper right")
    ax.set_xlim(0, max_Da or float(edges[-1]))
    ax.set_ylim(0.5, max(float(counts.max()), 1.0) * 5)  # headroom: no peak is clipped at the top
    ax.set_xlabel("Mass-to-charge-state ratio (Da)")
    ax.set_ylabel(f"counts per {fnum(edges[1] - edges[0], 'g')} Da (count)")
    ax.set_title(f"{Path(site.file).name}: {site.ions_total:,} ions, {fnum(100 * site.unranged_fraction, '.1f')} % "
                 "unranged")
    return save_figure(fig, path)


def _peak_windows(edges, counts, rng, n: int = 4) -> list[tuple[str, float, float, tuple[float, float]]]:
    """The strongest ranged peak of up to ``n`` elements: ``(element, low, high, zoom window)`` in Da."""
    centres = 0.5 * (edges[:-1] + edges[1:])
    best: dict[str, tuple[float, float, float]] = {}
    for lo, hi, s in zip(rng.low_Da, rng.high_Da, rng.species):
        atoms = rng.atoms_per_ion[s]
        if atoms.sum() != 1:
            continue  # molecular ions: the element's own peak shows the shape
        el = rng.elements[int(np.argmax(atoms))]
        total = float(counts[(centres >= lo) & (centres <= hi)].sum())
        if total > best.get(el, (0.0, 0, 0))[0]:
            best[el] = (total, float(lo), float(hi))
    chosen = sorted(best.items(), key=lambda kv: -kv[1][0])[:n]
    return [(el, lo, hi, (lo - 0.4, hi + 0.8)) for el, (_, lo, hi) in sorted(chosen, key=lambda kv: kv[1][1])]


@styled
def depth_profile_figure(site, path: str | os.PathLike) -> Path:
    """Concentration (at.%) vs depth from the apex, with the excluded cap shaded."""
    prof = site.profile
    grid = PanelGrid([5.0], [3.2], left=0.65, extra_right=legend_width(["excluded cap"]))
    fig, ax = grid.fig, grid.axes[0, 0]
    x = prof.depth_centres_m * 1e9
    for i, el in enumerate(prof.elements):
        if el not in site.composition_at_pct:
            continue
        c, err = prof.fraction(el)
        ax.plot(x, 100 * c, color=_colour(el, i), label=el, lw=1.2)
        ax.fill_between(x, 100 * (c - err), 100 * (c + err), color=_colour(el, i), alpha=0.25, lw=0)
    if site.cap_depth_m > 0:
        d = site.cap_depth_m * 1e9
        ax.axvspan(0, d, color="0.85", zorder=0, label="excluded cap")
        ax.axvline(d, color="k", ls="--", lw=1)
        ax.text(d, 0.97, f" cap {d:.1f} nm", transform=ax.get_xaxis_transform(), va="top", fontsize=8)
    ax.set_xlim(0, x[-1] if x.size else 1)
    ax.set_ylim(0, 100)
    ax.set_xlabel("Depth from apex (nm)")
    ax.set_ylabel("Concentration (at.%)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(Path(site.file).name)
    return save_figure(fig, path)


@styled
def composition_bars_figure(sites, path: str | os.PathLike, names=None, comparisons=()) -> Path:
    """Grouped bars of the composition (at.%, counting error bars) of every site."""
    sites = list(sites)
    names = list(names) if names is not None else [Path(s.file).stem for s in sites]
    els = list(dict.fromkeys(el for s in sites for el in s.composition_at_pct))
    n_lines = len(comparisons)
    grid = PanelGrid([max(6.1, 0.3 + 1.3 * len(els))], [3.3], left=0.65, top=0.22 + 0.17 * n_lines if n_lines else 0.15,
                     bottom=0.4, right=0.25)
    fig, ax = grid.fig, grid.axes[0, 0]
    w = 0.8 / max(len(sites), 1)
    for k, (s, name) in enumerate(zip(sites, names)):
        pos = np.arange(len(els)) + (k - (len(sites) - 1) / 2) * w
        vals = [s.composition_at_pct.get(el, 0.0) for el in els]
        errs = [s.composition_err_at_pct.get(el, 0.0) for el in els]
        bars = ax.bar(pos, vals, w, yerr=errs, capsize=2, label=name, color=cmap("tab10")(k % 10))
        ax.bar_label(bars, fmt="%.1f", fontsize=6, padding=2)
    ax.set_xticks(np.arange(len(els)), els)
    ax.set_ylabel("Composition (at.%)")
    text = [f"{c.ratio}: " + ", ".join(f"{v:.3f}±{e:.3f}" for v, e in zip(c.values, c.errors))
            + f"  z={c.z:.1f}{' *' if c.significant else ''}" for c in comparisons]
    if text:
        ax.set_title("\n".join(text), loc="left")
    ax.legend(fontsize=8, frameon=False)
    ax.set_ylim(0, max(max(s.composition_at_pct.values()) for s in sites) * 1.25 if sites else 1)
    return save_figure(fig, path)


@styled
def overlay_figure(overlay, path: str | os.PathLike, *, current_floor_A: float | None = None) -> Path:
    """The cAFM current map drawn over the SEM image with the lift-out sites (paper Fig. 5a / S3a)."""
    sem = overlay.sem
    p_sem = overlay.sem_pixel_size_m
    ny, nx = sem.shape
    width = min(6.6, 6.6 * nx / ny)
    grid = PanelGrid([width], [width * ny / nx], cbar=[0], left=0.15, bottom=0.15, top=0.3)
    fig, ax = grid.fig, grid.axes[0, 0]
    ax.imshow(sem, cmap="gray", interpolation="nearest")
    cur = np.abs(np.asarray(overlay.current, dtype=float))
    positive = cur[np.isfinite(cur) & (cur > 0)]
    floor = current_floor_A or (float(np.percentile(positive, 5)) if positive.size else 1e-12)
    cur = np.where(np.isfinite(cur), np.maximum(cur, floor), np.nan)
    dy, dx = overlay.map_pixel_size_m
    mny, mnx = cur.shape
    t = overlay.transform
    # affine from cAFM pixel indices to SEM pixel indices for imshow's transform
    to_sem = np.array([[1 / p_sem, 0, -0.5], [0, 1 / p_sem, -0.5], [0, 0, 1]]) @ t.params \
        @ np.array([[dx, 0, 0.5 * dx], [0, dy, 0.5 * dy], [0, 0, 1]])
    trans = Affine2D(to_sem) + ax.transData
    im = ax.imshow(cur, cmap="inferno", norm=LogNorm(vmin=floor, vmax=float(np.nanmax(cur))), alpha=0.75,
                   interpolation="nearest", transform=trans, extent=(-0.5, mnx - 0.5, mny - 0.5, -0.5))
    corners = np.array([[0, 0], [mnx * dx, 0], [mnx * dx, mny * dy], [0, mny * dy]])
    ax.add_patch(Polygon(t(corners) / p_sem - 0.5, closed=True, fill=False, ec="yellow", lw=1.2))
    for i, s in enumerate(overlay.sites, 1):
        x, y = s.sem_xy_px
        ax.add_patch(Circle((x, y), radius=0.015 * nx, fill=False, ec="white", lw=1.5))
        ax.text(x + 0.02 * nx, y, f"{i}: {s.name} ({s.region})", color="white", va="center")
    ax.set_xlim(-0.5, nx - 0.5)
    ax.set_ylim(ny - 0.5, -0.5)
    ax.set_axis_off()
    _scale_bar(ax, 0.2 * nx * p_sem, p_sem, nx, ny)
    grid.colorbar(im, 0, label="Tip current (A)")
    ax.set_title(f"scale {overlay.scale:.4f}, rotation {overlay.rotation_deg:.2f}°, "
                 f"residual {overlay.residual_m * 1e9:.1f} nm", fontsize=8)
    return save_figure(fig, path)


def _ions(site):
    """The needle's ions (memory-mapped), or None when its file cannot be read any more."""
    from scprobe.io.apt import read_ions

    try:
        return read_ions(site.file)
    except (OSError, ValueError):
        return None


def _element_of_ions(m_Da: np.ndarray, rng) -> tuple[np.ndarray, tuple[str, ...]]:
    """Index (into ``rng.elements``) of the main element of each ion's range; -1 unranged."""
    out = np.full(m_Da.shape, -1, dtype=int)
    for lo, hi, s in zip(rng.low_Da, rng.high_Da, rng.species):
        out[(m_Da >= lo) & (m_Da <= hi)] = int(np.argmax(rng.atoms_per_ion[s]))
    return out, tuple(rng.elements)


@styled
def atom_map_figure(site, path: str | os.PathLike, seed: int = 0) -> Path | None:
    """Fig. 5b: the needle as a 3-D point cloud in two orthogonal side views, the excluded cap marked.

    :data:`ATOMS_PER_ELEMENT` randomly chosen ions per element (fixed seed) are drawn against the
    depth below the apex; None when the ions or the ranges are not available.
    """
    from scprobe.composition.profile import depth_from_apex

    ions = _ions(site)
    if ions is None or site.ranges is None or ions.n_ions == 0:
        return None
    pos = ions.positions_m
    depth = depth_from_apex(pos[:, 2]) * 1e9
    which, elements = _element_of_ions(ions.mass_to_charge_Da, site.ranges)
    rng = np.random.default_rng(seed)
    grid = PanelGrid([3.3, 3.3], [6.1], left=[0.75, 0.25], right=0.2, suptitle=True, panels=False)
    fig = grid.fig
    first = grid.panel(0, 0)
    axes = [first, grid.panel(0, 1, sharey=first)]
    axes[1].tick_params(labelleft=False)
    for k, el in enumerate(elements):
        idx = np.flatnonzero(which == k)
        if not idx.size:
            continue
        idx = rng.choice(idx, size=min(ATOMS_PER_ELEMENT, idx.size), replace=False)
        for ax, col, name in zip(axes, (0, 1), ("x", "y")):
            ax.scatter(pos[idx, col] * 1e9, depth[idx], s=1.0, color=_colour(el, k), alpha=0.6, lw=0,
                       label=el if col == 0 else None, rasterized=True)
    for ax, name in zip(axes, ("x", "y")):
        if site.cap_depth_m > 0:
            d = site.cap_depth_m * 1e9
            ax.axhspan(0, d, color="0.5", alpha=0.15, lw=0)
            ax.axhline(d, color="k", ls="--", lw=1)
            ax.text(0.02, d, f" cap {fnum(d, '.1f')} nm (excluded)", transform=ax.get_yaxis_transform(),
                    va="bottom", fontsize=8)
        ax.set_xlabel(f"{name} (nm)")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_title(f"side view along {'y' if name == 'x' else 'x'}")
    axes[0].set_ylabel("depth below apex (nm)")
    axes[0].invert_yaxis()
    axes[0].legend(markerscale=8, loc="lower left")
    fig.suptitle(f"{Path(site.file).name}: {min(ATOMS_PER_ELEMENT, ions.n_ions):,} ions per element shown "
                 f"of {ions.n_ions:,}")
    return save_figure(fig, path)


@styled
def edx_figure(result, maps, path: str | os.PathLike) -> Path | None:
    """Fig. S3: the SEM image beside each EDX element map, with the homogeneity test printed on each.

    ``maps`` is ``{element: 2-D counts}`` in the order of ``result.edx``; None without EDX maps.
    """
    if not maps:
        return None
    sem = result.overlay.sem if result.overlay is not None else None
    n = len(maps) + (sem is not None)
    shapes = ([sem.shape] if sem is not None else []) + [np.shape(c) for c in maps.values()]
    height = 2.9
    widths = [min(height * sx / sy, 2 * height) if sy else height for sy, sx in shapes]
    # element maps have a colour bar; the titles take three lines
    grid = PanelGrid(widths, [height], cbar=range(int(sem is not None), n), left=0.45, bottom=0.1, top=0.62)
    fig, axes = grid.fig, grid.axes[0]
    k = 0
    if sem is not None:
        axes[0].imshow(sem, cmap="gray", interpolation="nearest")
        ny, nx = sem.shape
        _scale_bar(axes[0], 0.2 * nx * result.overlay.sem_pixel_size_m, result.overlay.sem_pixel_size_m, nx, ny)
        axes[0].set_title("SEM")
        axes[0].set_axis_off()
        k = 1
    for col, (el, counts) in enumerate(maps.items(), start=k):
        ax = axes[col]
        im = ax.imshow(counts, cmap="viridis", interpolation="nearest")
        grid.colorbar(im, col, label=f"{el} counts per pixel (count)")
        h = result.edx.get(el)
        if h is not None:
            verdict = "homogeneous" if h.homogeneous else "inhomogeneous"
            ax.set_title(f"EDX {el}: {verdict}\ndispersion {fnum(h.dispersion_index, '.3g')}, "
                         f"p = {fnum(h.p_value, '.2g')}\nmin. detectable contrast "
                         f"{fnum(100 * h.min_detectable_contrast, '.2g')} %")
        else:
            ax.set_title(f"EDX {el}")
        ax.set_axis_off()
    for ax, letter in zip(axes, "abcdefgh"):
        panel_letter(ax, letter)
    return save_figure(fig, path)


def composition_figures(result, outdir: str | os.PathLike, edx_maps: dict | None = None) -> list[Path]:
    """Every composition figure of a :class:`~scprobe.composition.CompositionResult` into ``outdir``.

    Names follow :data:`FIGURE_NAMES`; ``edx_maps`` (``{element: counts}``) adds Fig. S3.
    """
    outdir = Path(outdir)
    written = []
    if result.overlay is not None:
        written.append(overlay_figure(result.overlay, outdir / FIGURE_NAMES["overlay"]))
    names = result.site_names or [Path(s.file).stem for s in result.sites]
    for s, name in zip(result.sites, names):
        written.append(atom_map_figure(s, outdir / FIGURE_NAMES["atoms"].format(site=name)))
    if result.sites:
        written.append(composition_bars_figure(result.sites, outdir / FIGURE_NAMES["bars"],
                                               result.site_names or None, result.comparisons))
    for s, name in zip(result.sites, names):
        written.append(mass_spectrum_figure(s, outdir / FIGURE_NAMES["spectrum"].format(site=name)))
        written.append(depth_profile_figure(s, outdir / FIGURE_NAMES["profile"].format(site=name)))
    written.append(edx_figure(result, edx_maps or {}, outdir / FIGURE_NAMES["edx"]))
    return [p for p in written if p is not None]
