"""Figures of the compare stage: aligned maps, overlap map, spot overlay, fraction vs T, Tc map.

Each function takes a result of :mod:`scprobe.compare` and writes one PNG
(atomically) and returns its path.  Maps share one colour scale per quantity,
carry a scale bar, and current is shown on a log colour scale.
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from scprobe.report._style import length_label, nice_length, save_figure  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm  # noqa: E402
from matplotlib.patches import Circle, Patch  # noqa: E402
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar  # noqa: E402

from scprobe.compare.overlap import overlap_classes  # noqa: E402
from scprobe.process.levelling import subtract_plane  # noqa: E402

DPI = 150
OVERLAP_COLOURS = ("#eeeeee", "#2c7bb6", "#d7191c", "#fdae61")  # neither, retained, lost, gained
TOPO_CMAP = "cividis"
CURRENT_CMAP = "inferno"


def _scale_bar(ax, width_px: int, pixel_size_m: float, colour: str = "white") -> None:
    length = nice_length(0.25 * width_px * pixel_size_m)
    bar = AnchoredSizeBar(ax.transData, length * 1e6, length_label(length), "lower right", pad=0.4, color=colour,
                          frameon=False, size_vertical=width_px * pixel_size_m * 1e6 / 80)
    ax.add_artist(bar)


def _extent(shape, pixel_size_m) -> list[float]:
    dy, dx = pixel_size_m
    return [0, shape[1] * dx * 1e6, shape[0] * dy * 1e6, 0]


def _map(ax, img, pixel_size_m, title, bar_colour="white", **kw):
    im = ax.imshow(np.ma.masked_invalid(img), extent=_extent(img.shape, pixel_size_m), interpolation="nearest",
                   **kw)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    _scale_bar(ax, img.shape[1], pixel_size_m[1], bar_colour)
    return im


def _current_norm(currents, floor_A: float) -> LogNorm:
    values = np.concatenate([np.abs(c[np.isfinite(c)]).ravel() for c in currents])
    vmax = float(values.max()) if values.size and values.max() > 0 else 1.0
    vmin = max(floor_A, vmax * 1e-6, np.finfo(float).tiny)
    return LogNorm(vmin=min(vmin, vmax / 10), vmax=vmax)


def _log_current(c, norm):
    return np.clip(np.abs(c), norm.vmin, None)


def _trace_name(result, i: int) -> str:
    scan = (result.scan_a, result.scan_b)[i]
    t = scan.attrs.get("temperature_K", math.nan)
    temp = f"{t:g} K, " if isinstance(t, (int, float)) and math.isfinite(t) else ""
    return f"{'AB'[i]} ({temp}{result.directions[i]})"


def aligned_maps_figure(result, path) -> Path:
    """Topography and current of both scans on their common area, one colour scale per row (paper Fig. 3)."""
    sl = result.common
    topo = [subtract_plane(result.image_a("topography")[sl]), subtract_plane(result.image_b_aligned("topography")[sl])]
    topo = [(t - np.nanmedian(t)) * 1e9 for t in topo]
    cur = [result.image_a("current")[sl], result.image_b_aligned("current")[sl]]
    lo, hi = np.nanpercentile(np.concatenate([t.ravel() for t in topo]), [1, 99])
    norm = _current_norm(cur, max(min(result.threshold_A), 1e-15))
    fig, axes = plt.subplots(2, 2, figsize=(8.5, 7.6), constrained_layout=True)
    for i in range(2):
        im_t = _map(axes[0, i], topo[i], result.pixel_size_m, f"Topography {_trace_name(result, i)}",
                    cmap=TOPO_CMAP, vmin=lo, vmax=hi)
        im_c = _map(axes[1, i], _log_current(cur[i], norm), result.pixel_size_m,
                    f"Current {_trace_name(result, i)}", cmap=CURRENT_CMAP, norm=norm)
    fig.colorbar(im_t, ax=axes[0, :], label="Height (nm)", shrink=0.9)
    fig.colorbar(im_c, ax=axes[1, :], label="|Current| (A)", shrink=0.9)
    dy, dx = result.registration.shift_px
    fig.suptitle(f"Aligned on topography: B shifted by ({dy:.2f}, {dx:.2f}) px, confidence "
                 f"{result.registration.registration_confidence:.2f}", fontsize=10)
    return save_figure(fig, path, dpi=DPI, tight=False)


def overlap_map_figure(result, path) -> Path:
    """Conducting area retained, lost and gained from A to B, in three colours."""
    sl = result.common
    classes = overlap_classes(result.mask_a[sl], result.mask_b_aligned[sl])
    ov = result.overlap
    fig, ax = plt.subplots(figsize=(6.2, 5.6), constrained_layout=True)
    _map(ax, classes, result.pixel_size_m, f"Overlap of conducting masks: Jaccard {ov.jaccard:.3f}",
         bar_colour="black", cmap=ListedColormap(OVERLAP_COLOURS), norm=BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 3.5], 4))
    handles = [Patch(color=OVERLAP_COLOURS[1], label=f"retained ({ov.retained:.1%} of A)"),
               Patch(color=OVERLAP_COLOURS[2], label=f"lost ({ov.lost:.1%} of A)"),
               Patch(color=OVERLAP_COLOURS[3], label=f"gained ({ov.gained:.1%} of A)")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return save_figure(fig, path, dpi=DPI, tight=False)


def spot_overlay_figure(result, path) -> Path:
    """Current of both traces with their spots, and the spots of both on one map (paper Fig. 4)."""
    cur = [result.image_a("current"), result.image_b_aligned("current")]
    norm = _current_norm(cur, max(min(result.threshold_A), 1e-15))
    dy, dx = result.pixel_size_m
    scale = np.array([dy, dx]) * 1e6
    tables = [(result.spots_a, result.spot_keep_a), (result.spots_b_aligned, result.spot_keep_b)]
    colours = ("#00c2ff", "#7cfc00")
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.6), constrained_layout=True)
    for i in range(2):
        im = _map(axes[i], _log_current(cur[i], norm), result.pixel_size_m, f"Current {_trace_name(result, i)}",
                  cmap=CURRENT_CMAP, norm=norm)
    fig.colorbar(im, ax=axes[:2], label="|Current| (A)", shrink=0.85)
    topo = subtract_plane(result.image_a("topography"))
    _map(axes[2], (topo - np.nanmedian(topo)) * 1e9, result.pixel_size_m, "Spots of A (o) and B (+)",
         cmap="gray")
    matched_a = set(result.spot_matches[:, 0].tolist()) if len(result.spot_matches) else set()
    for i, (table, keep) in enumerate(tables):
        centres = table.centres_px[keep] * scale
        radii = table.diameters_px[keep] / 2 * math.sqrt(dy * dx) * 1e6
        for c, r in zip(centres, radii):
            axes[i].add_patch(Circle((c[1], c[0]), r * 1.6, fill=False, lw=0.8, color=colours[i]))
        if i == 0:
            col = ["#ffd400" if k in matched_a else colours[0] for k in range(len(keep))]
            axes[2].scatter(centres[:, 1], centres[:, 0], s=28, facecolors="none", edgecolors=col, lw=1.0)
        else:
            axes[2].scatter(centres[:, 1], centres[:, 0], s=28, marker="+", c=colours[1], lw=1.0)
    sp = result.spots
    pers = "n/a" if sp.persistence is None or not math.isfinite(sp.persistence) else f"{sp.persistence:.2f}"
    diam = "n/a" if not math.isfinite(sp.diameter_m) else f"{sp.diameter_m * 1e9:.0f} nm"
    fig.suptitle(f"Spots: {sp.count_a} in A, {sp.count_b} in B, diameter {diam}, persistence {pers} "
                 f"(matched spots of A in yellow)", fontsize=10)
    return save_figure(fig, path, dpi=DPI, tight=False)


def fraction_vs_temperature_figure(series, path) -> Path:
    """Conducting area fraction against temperature."""
    fig, ax = plt.subplots(figsize=(5.2, 3.8), constrained_layout=True)
    ax.plot(series.temperatures_K, np.asarray(series.conducting_fraction) * 100, "o-", color="#2c7bb6")
    ax.set_xlabel("Temperature (K)")
    ax.set_ylabel("Conducting area (%)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    return save_figure(fig, path, dpi=DPI, tight=False)


def tc_map_figure(series, path) -> Path:
    """Local Tc map (highest temperature at which each pixel conducts) and its histogram."""
    temps = np.asarray(series.temperatures_K)
    edges = np.append(temps, temps[-1] + (temps[-1] - temps[-2] if temps.size > 1 else 1.0))
    cmap = plt.get_cmap("viridis", temps.size)
    fig, (ax, axh) = plt.subplots(1, 2, figsize=(11, 4.6), constrained_layout=True,
                                  gridspec_kw={"width_ratios": [1.2, 1]})
    im = _map(ax, series.tc_map, series.pixel_size_m, "Local Tc (lower bound); grey: never conducting",
              bar_colour="black", cmap=cmap, norm=BoundaryNorm(edges, temps.size))
    ax.set_facecolor("#bbbbbb")
    cb = fig.colorbar(im, ax=ax, label="Tc lower bound (K)")
    cb.set_ticks(temps)
    counts = np.asarray(series.tc_K["histogram"]["pixels"], dtype=float)
    area_um2 = counts * series.pixel_size_m[0] * series.pixel_size_m[1] * 1e12
    axh.bar(edges[:-1], area_um2, width=np.diff(edges), align="edge", color=[cmap(i) for i in range(temps.size)],
            edgecolor="k", lw=0.5)
    axh.set_xlabel("Local Tc bracket (K)")
    axh.set_ylabel("Area (µm²)")
    axh.set_title("Tc histogram (bar: conducts at T, not at the next T)", fontsize=9)
    return save_figure(fig, path, dpi=DPI, tight=False)


def series_maps_figure(series, path) -> Path:
    """Aligned current maps of every temperature on one log colour scale."""
    n = len(series.temperatures_K)
    cols = min(n, 5)
    rows = math.ceil(n / cols)
    norm = _current_norm(list(series.currents), max(min(series.threshold_A), 1e-15))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols + 1, 3.1 * rows), constrained_layout=True,
                             squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.axis("off")
            continue
        im = _map(ax, _log_current(series.currents[k], norm), series.pixel_size_m,
                  f"{series.temperatures_K[k]:g} K: {series.conducting_fraction[k]:.1%} conducting",
                  cmap=CURRENT_CMAP, norm=norm)
    fig.colorbar(im, ax=axes, label="|Current| (A)", shrink=0.8)
    return save_figure(fig, path, dpi=DPI, tight=False)
