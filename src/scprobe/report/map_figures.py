"""Figures of a single-map analysis: Fig. 2 (maps and conductance states), Fig. S4 (edges), Fig. S5 (traces).

``map_figures(scan, result, outdir)`` writes, with the names :data:`FIGURE_NAMES` gives them:

- ``fig2_maps.png``: topography and tip current side by side at the same scale, the conducting
  regions outlined over the current, and the conductance states as a categorical overlay on a
  linear current scale (a log scale hides them);
- ``current_histogram.png``: the current histogram with noise floor, threshold and the states;
- ``figS4_edges.png``: a box-averaged cross-section of a boundary (distance from the plateau to
  the noise floor) next to its 10-90 % erf width and the widths of all fitted profiles;
- ``figS5_traces.png``: forward and backward topography, deflection and current (scans with both traces).

The conducting mask itself is written with the processed data by the study (``data/<scan>.gwy``),
not here: masks are drawn only as outlines.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch, Rectangle

from scprobe.analysis.edges import erf_step
from scprobe.report._style import (CURRENT_CMAP, GREY, MARGIN_RIGHT, OUTLINE, STATE_COLOURS, TOPO_CMAP, PanelGrid,
                                   display, fnum, legend_width, levelled, map_panel, map_size, outline,
                                   panel_letter, robust_limits, save_figure, styled)
from scprobe.scan import channel as get_channel
from scprobe.scan import pixel_size

#: File name of each figure of a map (the same from ``scprobe run`` and ``scprobe map --out``).
FIGURE_NAMES = {"maps": "fig2_maps.png", "histogram": "current_histogram.png", "edges": "figS4_edges.png",
                "traces": "figS5_traces.png"}
#: Half-height (pixels) of the box averaged across a boundary in Fig. S4, and its half-length.


def scan_title(scan, label: str | None = None) -> str:
    """``"1.5K: 1.5 K, 100 mV, 15 nm pixels, horizontal slow scan"`` from the scan's attributes."""
    t = scan.attrs.get("temperature_K")
    v = scan.attrs.get("bias_V")
    p = scan.attrs.get("pixel_size_m")
    parts = [f"{fnum(t, 'g')} K" if _finite(t) else None,
             f"{fnum(v * 1e3, 'g')} mV bias" if _finite(v) else None,
             f"{fnum(p * 1e9, '.3g')} nm pixels" if _finite(p) else None,
             f"{scan.attrs['slow_scan']} slow scan" if scan.attrs.get("slow_scan") else None]
    text = ", ".join(x for x in parts if x)
    return f"{label}: {text}" if label else text


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def _current(scan, result) -> np.ndarray:
    return np.asarray(get_channel(scan, result.channel, result.direction).values, dtype=float)


def state_labels(current: np.ndarray, result) -> np.ndarray:
    """Index of the conductance state of each plateau pixel (nearest in log current), -1 elsewhere."""
    states = [s.current_A for s in result.states if s.current_A]
    out = np.full(current.shape, -1, dtype=int)
    plateau = np.asarray(result.plateau, dtype=bool) & np.isfinite(current) & (current > 0)
    if not states or not plateau.any():
        return out
    logs = np.log10(np.asarray(states, dtype=float))
    dist = np.abs(np.log10(current[plateau])[:, None] - logs[None, :])
    out[plateau] = np.argmin(dist, axis=1)
    return out


@styled
def maps_figure(scan, result, path, label: str | None = None) -> Path:
    """Fig. 2: (a) topography, (b) current with the regions outlined, (c) conductance states on the current."""
    cur_full = _current(scan, result)
    cur, s = display(cur_full)
    dy, dx = pixel_size(scan)
    px = (dy * s, dx * s)
    has_topo = "topography" in scan.data_vars
    n = 3 if has_topo else 2
    n_states = len(result.states)
    handles = []
    if n_states:
        colours = [STATE_COLOURS[i % len(STATE_COLOURS)] for i in range(n_states)]
        handles = [Patch(color=c, label=f"≈ {fnum(st.current_A * 1e6, '.3g')} µA "
                                        f"({fnum(100 * st.fraction, '.0f')} % of plateau pixels)")
                   for c, st in zip(colours, result.states)]
    handles.append(Patch(facecolor="none", edgecolor=GREY, label="grey: current, same linear scale"))
    w, h = map_size(cur.shape[0] * px[0], cur.shape[1] * px[1])
    grid = PanelGrid([w] * n, [h], cbar=range(n - 1), suptitle=True,
                     extra_right=legend_width([p.get_label() for p in handles]))
    fig, axes = grid.fig, grid.axes[0]
    k = 0
    if has_topo:
        topo = display(levelled(get_channel(scan, "topography", result.direction).values))[0] * 1e9
        lo, hi = robust_limits(topo)
        im = map_panel(axes[0], topo, px, "Topography", cmap=TOPO_CMAP, vmin=lo, vmax=hi)
        grid.colorbar(im, 0, label="height (nm)")
        k = 1
    top = float(np.nanmax(cur)) if np.isfinite(cur).any() else 1e-9
    vmax = max(top, 10 * result.noise_floor_A) * 1e6
    im = map_panel(axes[k], cur * 1e6, px, "Tip current, conducting regions outlined", cmap=CURRENT_CMAP,
                   vmin=0, vmax=vmax)
    outline(axes[k], result.mask[::s, ::s], px, OUTLINE)
    grid.colorbar(im, k, label="current (µA)")
    ax = axes[k + 1]
    map_panel(ax, cur * 1e6, px, "Conductance states", cmap="gray", vmin=0, vmax=vmax)
    labels = state_labels(cur_full, result)[::s, ::s]
    if n_states:
        ax.imshow(np.ma.masked_less(labels, 0), cmap=ListedColormap(colours), vmin=-0.5, vmax=n_states - 0.5,
                  extent=axes[k].images[0].get_extent(), interpolation="nearest", alpha=0.85)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for ax, letter in zip(axes, "abc"):
        panel_letter(ax, letter)
    fig.suptitle(scan_title(scan, label))
    return save_figure(fig, path)


@styled
def histogram_figure(scan, result, path) -> Path:
    """Histogram of log current with noise floor, threshold and the conductance-state mixture."""
    cur = _current(scan, result)
    # below a hundredth of the noise floor the log axis shows only the sign noise of the offset
    low_cut = max(result.noise_floor_A, 1e-15) / 100
    vals = cur[np.isfinite(cur) & (cur > low_cut)]
    n_states = len(result.states) if result.mixture is not None else 0
    grid = PanelGrid([4.3], [2.9], left=0.8, extra_right=legend_width(["plateau pixels", "noise floor 1.23 pA"]
                                                                       + ["state 5.55 µA (48 %)"] * n_states))
    fig, ax = grid.fig, grid.axes[0, 0]
    edges = np.logspace(-15, -14, 2)
    if vals.size:
        edges = np.logspace(math.log10(vals.min()), math.log10(vals.max()) + 1e-9, 200)
        # stairs draw one artist per histogram; hist draws one patch per bin (slow to render)
        ax.stairs(np.histogram(vals, bins=edges)[0], edges, fill=True, color="0.45", label="all pixels")
        if result.plateau.any():
            ax.stairs(np.histogram(cur[result.plateau], bins=edges)[0], edges, fill=True, color="tab:orange",
                      alpha=0.8, label="plateau pixels")
    if result.mixture is not None and result.plateau.any():
        n_plateau = int(result.plateau.sum())
        mix = result.mixture
        grid = np.linspace(mix.means.min() - 5 * mix.sds.max(), mix.means.max() + 5 * mix.sds.max(), 400)
        width = np.log10(edges[1] / edges[0])
        for i, (mu, sd, w, st) in enumerate(zip(mix.means, mix.sds, mix.weights, result.states)):
            dens = n_plateau * w * width * np.exp(-0.5 * ((grid - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
            dens = np.where(dens >= 0.3, dens, np.nan)
            ax.plot(10 ** grid, dens, lw=1.2, color=STATE_COLOURS[i % len(STATE_COLOURS)],
                    label=f"state {fnum(st.current_A * 1e6, '.3g')} µA ({fnum(100 * st.fraction, '.0f')} %)")
    ax.axvline(result.noise_floor_A, color="tab:blue", ls=":",
               label=f"noise floor {fnum(result.noise_floor_A * 1e12, '.3g')} pA")
    ax.axvline(result.threshold_A, color="tab:red", ls="--",
               label=f"threshold {fnum(result.threshold_A * 1e12, '.3g')} pA")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(bottom=0.5)
    ax.set_xlabel("tip current (A)")
    ax.set_ylabel("pixels per bin (count)")
    ax.set_title("Current histogram and conductance states")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return save_figure(fig, path)


@styled
def edges_figure(scan, result, path) -> Path | None:
    """Fig. S4: (a) the box on the current map, (b) the box-averaged cross-section, (c) erf 10-90 % widths."""
    cur = _current(scan, result)
    bp = result.edge_cross_section
    box = bp.box_px if bp is not None else None
    edges = result.edges
    if box is None and (edges is None or edges.width_m.size == 0):
        return None
    dy, dx = pixel_size(scan)
    height = 3.3
    map_w = height
    if box is not None:
        r0, r1, c0, c1, e = box
        pad = 3 * (c1 - c0) // 2
        y0, y1 = max(0, (r0 + r1) // 2 - pad), min(cur.shape[0], (r0 + r1) // 2 + pad)
        x0, x1 = max(0, e - pad), min(cur.shape[1], e + pad)
        crop = cur[y0:y1, x0:x1] * 1e6
        map_w = map_size((y1 - y0) * dy, (x1 - x0) * dx, width_in=height * 4, max_height_in=height)[0]
    grid = PanelGrid([map_w, 4.9, 3.9], [height], cbar=[0] if box is not None else [], left=[0.62, 0.85, 0.7],
                     right=[MARGIN_RIGHT, 0.45, 0.2])
    fig, axes = grid.fig, grid.axes[0]
    if box is not None:
        im = map_panel(axes[0], crop, (dy, dx), "Current near a boundary (box averaged in b)", cmap=CURRENT_CMAP,
                       vmin=0, vmax=float(np.nanmax(crop)))
        outline(axes[0], result.mask[y0:y1, x0:x1], (dy, dx), OUTLINE)
        axes[0].add_patch(Rectangle(((c0 - x0) * dx * 1e6, (r0 - y0) * dy * 1e6), (c1 - c0) * dx * 1e6,
                                    (r1 - r0) * dy * 1e6, fill=False, ec="white", lw=1.2))
        grid.colorbar(im, 0, label="current (µA)")
        ax = axes[1]
        ax.plot(bp.x_m * 1e9, np.maximum(bp.current_A, 1e-15), "o", ms=3, color="k",
                label=f"mean of {r1 - r0} rows")
        if bp.erf_params is not None:
            fine = np.linspace(bp.x_m[0], bp.x_m[-1], 300)
            ax.plot(fine * 1e9, np.maximum(erf_step(fine, *bp.erf_params), 1e-15), "-", color="tab:red", lw=1,
                    label=f"erf fit: 10-90 % width {fnum(bp.erf_width_m * 1e9, '.0f')} nm")
        ax.axhline(result.noise_floor_A, color="tab:blue", ls=":",
                   label=f"noise floor {fnum(result.noise_floor_A * 1e12, '.3g')} pA")
        if math.isfinite(bp.plateau_to_floor_m):
            ax.axvspan(bp.x_start_m * 1e9, bp.x_floor_m * 1e9, color="tab:orange", alpha=0.2,
                       label=f"plateau to noise floor: {fnum(bp.plateau_to_floor_m * 1e9, '.0f')} nm")
        ax.set_yscale("log")
        ax.set_ylim(bottom=max(result.noise_floor_A / 30, 1e-15))
        ax.set_xlabel("distance across the boundary (nm)")
        ax.set_ylabel("current (A)")
        ax.set_title(f"Box-averaged cross-section: {fnum(bp.plateau_to_floor_m * 1e9, '.0f')} nm from the "
                     f"{fnum(bp.plateau_A * 1e6, '.3g')} µA plateau to the noise floor")
        ax.legend(loc="lower left")
    else:
        for ax in axes[:2]:
            ax.text(0.5, 0.5, "no boundary with room for a box", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
    ax = axes[2]
    if edges is not None and edges.width_m.size:
        bins = np.linspace(0, np.percentile(edges.width_m, 99) * 1.2e9, 40)
        for axis, name in (("x", "profiles along x"), ("y", "profiles along y")):
            sel = edges.axis == axis
            if sel.any():
                ax.hist(edges.width_m[sel] * 1e9, bins=bins, alpha=0.6, label=f"{name} ({int(sel.sum())})")
        med = float(np.median(edges.width_m)) * 1e9
        ax.axvline(med, color="k", ls="--", label=f"median {fnum(med, '.0f')} nm")
        ax.legend()
    ax.set_xlabel("10-90 % erf edge width (nm)")
    ax.set_ylabel("profiles (count)")
    ax.set_title("Erf widths of all fitted boundary profiles")
    for ax, letter in zip(axes, "abc"):
        panel_letter(ax, letter)
    return save_figure(fig, path)


@styled
def traces_figure(scan, result, path, label: str | None = None) -> Path | None:
    """Fig. S5: forward and backward topography, deflection and current (raw, no levelling); None without both."""
    if "direction" not in scan.dims or scan.sizes["direction"] < 2:
        return None
    chans = [c for c in ("topography", "deflection", result.channel) if c in scan.data_vars]
    units = {"topography": ("height (nm)", 1e9), "deflection": ("deflection (V)", 1.0),
             result.channel: ("current (µA)", 1e6)}
    dy, dx = pixel_size(scan)
    # one column per channel, forward on top of backward: the pair to compare is one above the other
    ny, nx = scan.sizes["y"], scan.sizes["x"]
    w, h = map_size(ny * dy, nx * dx)
    grid = PanelGrid([w] * len(chans), [h, h], cbar=range(len(chans)), suptitle=True)
    fig, axes = grid.fig, grid.axes.T
    for row, ch in enumerate(chans):
        imgs = [display(np.asarray(get_channel(scan, ch, d).values, dtype=float)) for d in ("forward", "backward")]
        s = imgs[0][1]
        name, factor = units[ch]
        both = np.concatenate([i[0].ravel() for i in imgs]) * factor
        lo, hi = (0.0, float(np.nanmax(both))) if ch == result.channel else robust_limits(both)
        for col, (img, _) in enumerate(imgs):
            im = map_panel(axes[row, col], img * factor, (dy * s, dx * s),
                           f"{ch.capitalize()}, {('forward', 'backward')[col]}",
                           cmap=CURRENT_CMAP if ch == result.channel else ("viridis" if ch == "deflection"
                                                                           else TOPO_CMAP), vmin=lo, vmax=hi)
        grid.colorbar(im, row, label=name, shrink=0.7)
    fig.suptitle(scan_title(scan, label) + " — raw traces, no processing")
    return save_figure(fig, path)


def map_figures(scan, result, outdir, label: str | None = None) -> list[Path]:
    """Write every figure of a map analysis into ``outdir`` (names: :data:`FIGURE_NAMES`); the paths written.

    Parameters
    ----------
    scan : xarray.Dataset
        The Scan that was analysed (after any processing).
    result : scprobe.analysis.MapResult
    outdir : path-like
        Created if needed.
    label : str, optional
        The scan's name in the study, put in the titles.
    """
    outdir = Path(outdir)
    written = [maps_figure(scan, result, outdir / FIGURE_NAMES["maps"], label),
               histogram_figure(scan, result, outdir / FIGURE_NAMES["histogram"]),
               edges_figure(scan, result, outdir / FIGURE_NAMES["edges"]),
               traces_figure(scan, result, outdir / FIGURE_NAMES["traces"], label)]
    return [p for p in written if p is not None]
