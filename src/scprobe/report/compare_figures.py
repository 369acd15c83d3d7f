"""Figures of the compare and series stages: Fig. 3 (series, re-cooling), Fig. 4 (forward vs backward), local Tc.

Each function takes a result of :mod:`scprobe.compare` and writes one PNG atomically and returns
its path.  Current is drawn on a linear colour scale shared by every map of a figure (an empty
30 K map is not auto-scaled to its noise); conducting regions and spots are outlines over the
current, never bare masks.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.colors import BoundaryNorm
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from scprobe.process.levelling import subtract_plane
from scprobe.report._style import (CURRENT_CMAP, OUTLINE, OUTLINE_B, PERSISTENT, TOPO_CMAP, VANISHED, PanelGrid,
                                   cmap, colorbar, display, fnum, map_panel, map_size, new_figure, outline,
                                   panel_letter, robust_limits, save_figure, styled)
from scprobe.scan import channel as get_channel
from scprobe.scan import pixel_size

#: File names of the figures of one compared pair / one series (the same from ``run`` and the stage commands).
FIGURE_NAMES = {"aligned": "fig3_aligned_maps.png", "spots": "fig4_forward_backward.png",
                "series": "fig3_series.png", "fraction": "conducting_fraction_vs_T.png",
                "tc": "local_tc_map.png"}


def _topo_nm(img: np.ndarray) -> np.ndarray:
    """Topography in nm with its plane removed, for display only."""
    img = np.asarray(img, dtype=float)
    ok = np.isfinite(img)
    if ok.sum() < 3:
        return img * 1e9
    out = np.full_like(img, np.nan)
    rows, cols = np.nonzero(ok.any(axis=1))[0], np.nonzero(ok.any(axis=0))[0]
    sub = img[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    filled = np.where(np.isfinite(sub), sub, np.nanmedian(sub))
    out[rows.min():rows.max() + 1, cols.min():cols.max() + 1] = subtract_plane(filled)
    out[~ok] = np.nan
    return (out - np.nanmedian(out)) * 1e9


def _trace_name(result, i: int) -> str:
    scan = (result.scan_a, result.scan_b)[i]
    t = scan.attrs.get("temperature_K", math.nan)
    temp = f"{fnum(t, 'g')} K, " if isinstance(t, (int, float)) and math.isfinite(t) else ""
    return f"{'AB'[i]} ({temp}{result.directions[i]})"


def _current_max(currents) -> float:
    """Top of one linear colour scale for all ``currents`` (in the unit they are given in)."""
    vals = np.concatenate([np.asarray(c, dtype=float)[np.isfinite(c)].ravel() for c in currents])
    return float(vals.max()) if vals.size and vals.max() > 0 else 1.0


def _pair_grid(shape, pixel_m) -> PanelGrid:
    """Two columns (scans A, B) of topography over current, a colour bar per row right of B."""
    w, h = map_size(shape[0] * pixel_m[0], shape[1] * pixel_m[1])
    return PanelGrid([w, w], [h, h], cbar=[1], suptitle=True)


@styled
def aligned_maps_figure(result, path) -> Path:
    """Topography and current of both scans on the common area, one scale per row, both outlines on B.

    The outline of A's conducting regions is drawn over B's current too, so growth and shrinkage
    between the two scans (re-cooling) are seen directly.
    """
    sl = result.common
    topo = [_topo_nm(result.image_a("topography")[sl]), _topo_nm(result.image_b_aligned("topography")[sl])]
    cur = [result.image_a("current")[sl] * 1e6, result.image_b_aligned("current")[sl] * 1e6]
    lo, hi = robust_limits(np.concatenate([t.ravel() for t in topo]))
    vmax = _current_max(cur)
    masks = [result.mask_a[sl], result.mask_b_aligned[sl]]
    px = result.pixel_size_m
    grid = _pair_grid(cur[0].shape, px)
    fig, axes = grid.fig, grid.axes
    for i in range(2):
        im_t = map_panel(axes[0, i], topo[i], px, f"Topography {_trace_name(result, i)}", cmap=TOPO_CMAP,
                         vmin=lo, vmax=hi)
        im_c = map_panel(axes[1, i], cur[i], px, f"Current {_trace_name(result, i)}", cmap=CURRENT_CMAP,
                         vmin=0, vmax=vmax)
    outline(axes[1, 0], masks[0], px, OUTLINE)
    outline(axes[1, 1], masks[1], px, OUTLINE_B)
    comparable = getattr(result, "comparable", True)
    if comparable:  # A's outline over B only where the two scans show one area
        outline(axes[1, 1], masks[0], px, OUTLINE, lw=0.6, linestyles="dotted")
    axes[1, 1].legend(handles=[Line2D([], [], color=OUTLINE, ls=":", label="A's regions")] * comparable
                      + [Line2D([], [], color=OUTLINE_B, label="B's regions")], loc="upper right",
                      labelcolor="white")
    grid.colorbar(im_t, 1, 0, "height (nm)")
    grid.colorbar(im_c, 1, 1, "current (µA)")
    for ax, letter in zip(axes.flat, "abcd"):
        panel_letter(ax, letter)
    dy, dx = result.registration.shift_px
    verdict = "" if comparable else " — not the same area: not compared"
    fig.suptitle(f"Registered on topography: B shifted by ({fnum(dy, '.2f')}, {fnum(dx, '.2f')}) px, "
                 f"confidence {fnum(result.registration.registration_confidence, '.2f')}{verdict}")
    return save_figure(fig, path)


def _spot_circles(ax, table, keep, matched, pixel_m) -> None:
    dy, dx = pixel_m
    for i, k in enumerate(keep):
        cy, cx = table.centres_px[k]
        r = max(table.diameters_px[k], 2.0) / 2 * math.sqrt(dy * dx) * 1e6 * 1.6
        ax.add_patch(Circle((cx * dx * 1e6, cy * dy * 1e6), r, fill=False, lw=0.9,
                            color=PERSISTENT if i in matched else VANISHED))


@styled
def spot_overlay_figure(result, path) -> Path:
    """Fig. 4: topography and current of the forward and backward traces, spots outlined.

    Spots found in both traces (persistent) are green; spots of one trace only (vanished from the
    other, or new in it) red.
    """
    px = result.pixel_size_m
    topo = [_topo_nm(result.image_a("topography")), _topo_nm(result.image_b_aligned("topography"))]
    cur = [result.image_a("current") * 1e6, result.image_b_aligned("current") * 1e6]
    lo, hi = robust_limits(np.concatenate([t.ravel() for t in topo]))
    vmax = _current_max(cur)
    matches = np.asarray(result.spot_matches).reshape(-1, 2)
    tables = [(result.spots_a, np.asarray(result.spot_keep_a), set(matches[:, 0].tolist())),
              (result.spots_b_aligned, np.asarray(result.spot_keep_b), set(matches[:, 1].tolist()))]
    grid = _pair_grid(cur[0].shape, px)
    fig, axes = grid.fig, grid.axes
    for i in range(2):
        im_t = map_panel(axes[0, i], topo[i], px, f"Topography {_trace_name(result, i)}", cmap=TOPO_CMAP,
                         vmin=lo, vmax=hi)
        im_c = map_panel(axes[1, i], cur[i], px, f"Current {_trace_name(result, i)}", cmap=CURRENT_CMAP,
                         vmin=0, vmax=vmax)
        table, keep, matched = tables[i]
        _spot_circles(axes[1, i], table, keep, matched, px)
    axes[1, 1].legend(handles=[Line2D([], [], marker="o", ls="", mfc="none", color=PERSISTENT,
                                      label="persistent (in both traces)"),
                               Line2D([], [], marker="o", ls="", mfc="none", color=VANISHED,
                                      label="in this trace only")], loc="upper right", labelcolor="white")
    grid.colorbar(im_t, 1, 0, "height (nm)")
    grid.colorbar(im_c, 1, 1, "current (µA)")
    for ax, letter in zip(axes.flat, "abcd"):
        panel_letter(ax, letter)
    sp = result.spots
    pers = getattr(sp, "persistence", None)
    pers = "n/a" if pers is None or not math.isfinite(pers) else f"{fnum(100 * pers, '.0f')} %"
    diam = getattr(sp, "diameter_m", math.nan)
    diam = "n/a" if not math.isfinite(diam) else f"{fnum(diam * 1e9, '.0f')} nm"
    fig.suptitle(f"Spots: {len(tables[0][1])} in the forward, {len(tables[1][1])} in the backward trace, "
                 f"diameter {diam}, persistent {pers}")
    return save_figure(fig, path)


@styled
def fraction_vs_temperature_figure(series, path) -> Path:
    """Conducting area fraction against temperature."""
    fig = new_figure(6.0, 4.0)
    ax = fig.subplots()
    ax.plot(series.temperatures_K, np.asarray(series.conducting_fraction) * 100, "o-", color="#2c7bb6")
    ax.set_xlabel("temperature (K)")
    ax.set_ylabel("conducting area (%)")
    ax.set_ylim(bottom=0)
    ax.set_title("Conducting fraction of the common area")
    ax.grid(alpha=0.3)
    return save_figure(fig, path)


@styled
def tc_map_figure(series, path) -> Path:
    """Local Tc as an interval: the map of its lower bound and the pixels per temperature bracket.

    A pixel with lower bound T_i conducts at T_i and not at the next measured temperature T_i+1,
    so its Tc lies in [T_i, T_i+1); the bracket, not a value, is what the series measures.
    """
    temps = np.asarray(series.temperatures_K, dtype=float)
    lower = np.asarray(series.tc_lower_map, dtype=float)
    edges = np.append(temps, temps[-1] + (temps[-1] - temps[-2] if temps.size > 1 else 1.0))
    cm = cmap("viridis", temps.size)
    fig = new_figure(12.0, 4.8)
    ax, axh = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    im = map_panel(ax, lower, series.pixel_size_m,
                   "Local Tc lower bound; grey: never conducting, or only as a fluctuation",
                   bar_colour="black", cmap=cm, norm=BoundaryNorm(edges, temps.size))
    ax.set_facecolor("#bbbbbb")
    cb = colorbar(fig, ax, im, "Tc lower bound (K)")
    cb.set_ticks(temps)
    counts = np.array([np.count_nonzero(lower == t) for t in temps])
    labels = [f"{fnum(a, 'g')}-{fnum(b, 'g')} K" if i < temps.size - 1 else f"≥ {fnum(a, 'g')} K"
              for i, (a, b) in enumerate(zip(edges[:-1], edges[1:]))]
    axh.bar(np.arange(temps.size), counts, color=[cm(i) for i in range(temps.size)], edgecolor="k", lw=0.5)
    axh.set_xticks(np.arange(temps.size), labels)
    axh.set_xlabel("local Tc interval: conducts at the lower, not at the upper temperature")
    axh.set_ylabel("pixels (count)")
    axh.set_title("Pixels per local Tc interval")
    panel_letter(ax, "a")
    panel_letter(axh, "b")
    return save_figure(fig, path)


@styled
def series_maps_figure(series, path, scans=None, labels=None, recooled=()) -> Path:
    """Fig. 3: topography and current of every temperature (one current scale), the re-cooled scans after them.

    Parameters
    ----------
    series : SeriesResult
    path : path-like
    scans : list of xarray.Dataset, optional
        The scans of the series in temperature order (raw topography and current are drawn);
        without them the aligned currents of ``series`` are drawn alone.
    labels : list of str, optional
        Their names in the study.
    recooled : sequence of (label, scan)
        Re-cooled scans of the same area, drawn after the series.
    """
    temps = list(series.temperatures_K)
    cols = []
    if scans is not None:
        for k, sc in enumerate(scans):
            name = labels[k] if labels else f"{fnum(temps[k], 'g')} K"
            cols.append((f"{name} ({fnum(temps[k], 'g')} K)", sc))
        for name, sc in recooled:
            t = sc.attrs.get("temperature_K")
            cols.append((f"{name} (re-cooled, {fnum(t, 'g')} K)", sc))
    n = len(cols) if cols else len(temps)
    if cols:
        currents, topos, pxs = [], [], []
        for _, sc in cols:
            c, s = display(np.asarray(get_channel(sc, "current", "forward").values, dtype=float))
            currents.append(c * 1e6)
            topos.append(_topo_nm(display(np.asarray(get_channel(sc, "topography", "forward").values))[0])
                         if "topography" in sc.data_vars else None)
            dy, dx = pixel_size(sc)
            pxs.append((dy * s, dx * s))
        w, h = map_size(currents[0].shape[0] * pxs[0][0], currents[0].shape[1] * pxs[0][1], width_in=2.6)
        # every topography has its own colour bar, the currents one for all
        grid = PanelGrid([w] * n, [h, h], cbar=range(n), suptitle=False)
        vmax = _current_max(currents)
    else:
        currents = [np.asarray(c, dtype=float) * 1e6 for c in series.currents]
        w, h = map_size(currents[0].shape[0] * series.pixel_size_m[0], currents[0].shape[1] * series.pixel_size_m[1],
                        width_in=2.6)
        grid = PanelGrid([w] * n, [h], cbar=[n - 1])
    fig, axes = grid.fig, grid.axes
    if cols:
        for k, (title, _) in enumerate(cols):
            if topos[k] is not None:
                lo, hi = robust_limits(topos[k])
                im_t = map_panel(axes[0, k], topos[k], pxs[k], f"Topography {title}", cmap=TOPO_CMAP, vmin=lo,
                                 vmax=hi)
                grid.colorbar(im_t, k, 0, "height (nm)")
            else:
                axes[0, k].set_axis_off()
            im = map_panel(axes[1, k], currents[k], pxs[k], f"Current {title}", cmap=CURRENT_CMAP, vmin=0,
                           vmax=vmax)
        grid.colorbar(im, n - 1, 1, "current (µA), one scale for all")
    else:
        vmax = _current_max(currents)
        for k, t in enumerate(temps):
            im = map_panel(axes[0, k], currents[k], series.pixel_size_m, f"Current at {fnum(t, 'g')} K",
                           cmap=CURRENT_CMAP, vmin=0, vmax=vmax)
        grid.colorbar(im, n - 1, 0, "current (µA), one scale for all")
    for k, ax in enumerate(axes.flat):
        panel_letter(ax, "abcdefghijklmnopqrstuvwxyz"[k % 26])
    return save_figure(fig, path)
