"""Figures of the composition stage: mass spectrum, depth profile, site compositions, SEM overlay.

Each function takes results of :mod:`scprobe.composition` and writes one PNG
atomically; it returns the path written.
"""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from scprobe.report._style import save_figure  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.patches import Circle, Polygon  # noqa: E402


#: Element colours as in the paper's atom maps (Fe red, Te green, Se purple, O blue).
ELEMENT_COLOURS = {"Fe": "#d62728", "Te": "#2ca02c", "Se": "#9467bd", "O": "#1f77b4"}
DPI = 200


def _colour(el: str, i: int) -> str:
    return ELEMENT_COLOURS.get(el, plt.get_cmap("tab10")(i % 10))


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


def mass_spectrum_figure(site, path: str | os.PathLike, *, max_Da: float | None = None) -> Path:
    """Mass spectrum (log counts) of one needle with the ranges shaded by element."""
    edges, counts = site.spectrum_edges_Da, site.spectrum_counts
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.stairs(np.maximum(counts, 0.5), edges, baseline=0.5, fill=True, color="0.25")
    ax.set_yscale("log")
    rng = site.ranges
    if rng is not None:
        shown = set()
        for lo, hi, s in zip(rng.low_Da, rng.high_Da, rng.species):
            ion = rng.ions[s]
            atoms = rng.atoms_per_ion[s]
            main = rng.elements[int(np.argmax(atoms))]
            lab = ion if ion not in shown else None
            shown.add(ion)
            ax.axvspan(lo, hi, color=_colour(main, int(s)), alpha=0.35 if atoms.sum() == 1 else 0.2, lw=0, label=lab)
        ax.legend(fontsize=7, ncol=4, loc="upper right", frameon=False)
    ax.set_xlim(0, max_Da or float(edges[-1]))
    ax.set_ylim(0.5, None)
    ax.set_xlabel("Mass-to-charge-state ratio (Da)")
    ax.set_ylabel(f"Counts per {edges[1] - edges[0]:g} Da")
    ax.set_title(f"{Path(site.file).name}: {site.ions_total:,} ions, {100 * site.unranged_fraction:.1f} % unranged",
                 fontsize=9)
    return save_figure(fig, path, dpi=DPI)


def depth_profile_figure(site, path: str | os.PathLike) -> Path:
    """Concentration (at.%) vs depth from the apex, with the excluded cap shaded."""
    prof = site.profile
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
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
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(Path(site.file).name, fontsize=9)
    return save_figure(fig, path, dpi=DPI)


def composition_bars_figure(sites, path: str | os.PathLike, names=None, comparisons=()) -> Path:
    """Grouped bars of the composition (at.%, counting error bars) of every site."""
    sites = list(sites)
    names = list(names) if names is not None else [Path(s.file).stem for s in sites]
    els = list(dict.fromkeys(el for s in sites for el in s.composition_at_pct))
    fig, ax = plt.subplots(figsize=(1.2 + 1.3 * len(els), 3.5))
    w = 0.8 / max(len(sites), 1)
    for k, (s, name) in enumerate(zip(sites, names)):
        pos = np.arange(len(els)) + (k - (len(sites) - 1) / 2) * w
        vals = [s.composition_at_pct.get(el, 0.0) for el in els]
        errs = [s.composition_err_at_pct.get(el, 0.0) for el in els]
        bars = ax.bar(pos, vals, w, yerr=errs, capsize=2, label=name, color=plt.get_cmap("tab10")(k % 10))
        ax.bar_label(bars, fmt="%.1f", fontsize=6, padding=2)
    ax.set_xticks(np.arange(len(els)), els)
    ax.set_ylabel("Composition (at.%)")
    text = [f"{c.ratio}: " + ", ".join(f"{v:.3f}±{e:.3f}" for v, e in zip(c.values, c.errors))
            + f"  z={c.z:.1f}{' *' if c.significant else ''}" for c in comparisons]
    if text:
        ax.set_title("\n".join(text), fontsize=7, loc="left")
    ax.legend(fontsize=8, frameon=False)
    ax.set_ylim(0, max(max(s.composition_at_pct.values()) for s in sites) * 1.25 if sites else 1)
    return save_figure(fig, path, dpi=DPI)


def overlay_figure(overlay, path: str | os.PathLike, *, current_floor_A: float | None = None) -> Path:
    """The cAFM current map drawn over the SEM image with the lift-out sites (paper Fig. 5a / S3a)."""
    sem = overlay.sem
    p_sem = overlay.sem_pixel_size_m
    ny, nx = sem.shape
    fig, ax = plt.subplots(figsize=(6, 6 * ny / nx))
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
    trans = matplotlib.transforms.Affine2D(to_sem) + ax.transData
    im = ax.imshow(cur, cmap="inferno", norm=LogNorm(vmin=floor, vmax=float(np.nanmax(cur))), alpha=0.75,
                   interpolation="nearest", transform=trans, extent=(-0.5, mnx - 0.5, mny - 0.5, -0.5))
    corners = np.array([[0, 0], [mnx * dx, 0], [mnx * dx, mny * dy], [0, mny * dy]])
    ax.add_patch(Polygon(t(corners) / p_sem - 0.5, closed=True, fill=False, ec="yellow", lw=1.2))
    for i, s in enumerate(overlay.sites, 1):
        x, y = s.sem_xy_px
        ax.add_patch(Circle((x, y), radius=0.015 * nx, fill=False, ec="white", lw=1.5))
        ax.text(x + 0.02 * nx, y, f"{i}: {s.name} ({s.region})", color="white", fontsize=7, va="center")
    ax.set_xlim(-0.5, nx - 0.5)
    ax.set_ylim(ny - 0.5, -0.5)
    ax.set_axis_off()
    _scale_bar(ax, 0.2 * nx * p_sem, p_sem, nx, ny)
    cb = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
    cb.set_label("Tip current (A)")
    ax.set_title(f"scale {overlay.scale:.4f}, rotation {overlay.rotation_deg:.2f}°, "
                 f"residual {overlay.residual_m * 1e9:.1f} nm", fontsize=8)
    return save_figure(fig, path, dpi=DPI)


def composition_figures(result, outdir: str | os.PathLike) -> list[Path]:
    """Every composition figure of a :class:`~scprobe.composition.CompositionResult` into ``outdir``."""
    outdir = Path(outdir)
    written = []
    for s, name in zip(result.sites, result.site_names or [Path(s.file).stem for s in result.sites]):
        written.append(mass_spectrum_figure(s, outdir / f"mass_spectrum_{name}.png"))
        written.append(depth_profile_figure(s, outdir / f"depth_profile_{name}.png"))
    if result.sites:
        written.append(composition_bars_figure(result.sites, outdir / "composition_sites.png",
                                               result.site_names or None, result.comparisons))
    if result.overlay is not None:
        written.append(overlay_figure(result.overlay, outdir / "sem_overlay.png"))
    return written
