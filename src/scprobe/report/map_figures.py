"""Figures of a single-map analysis, after the published Fig. 2 and Fig. S4.

``map_figures(scan, result, outdir)`` writes: topography (grey), tip current on a
log colour scale with the conducting-mask outline, the current histogram with the
threshold and the fitted conductance states, edge profiles with their erf fits,
and the conducting mask as a PNG, a ``.npy`` and a Gwyddion ``.gwy`` mask.
Maps larger than :data:`DISPLAY_PX` are shown subsampled (the files keep full resolution).
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from scprobe.report._style import length_label, nice_length, save_figure  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from mpl_toolkits.axes_grid1 import make_axes_locatable  # noqa: E402
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar  # noqa: E402

from scprobe.io import atomic_path, atomic_write  # noqa: E402
from scprobe.scan import channel as get_channel  # noqa: E402
from scprobe.scan import pixel_size  # noqa: E402

DISPLAY_PX = 1024
CURRENT_CMAP = "inferno"
MASK_COLOUR = "#00e5ff"


def _show_map(ax, img, pixel_m, title, **kw):
    """Image in micrometre coordinates (row 0 on top) with a scale bar; returns the AxesImage."""
    dy, dx = pixel_m
    ny, nx = img.shape
    im = ax.imshow(img, extent=[0, nx * dx * 1e6, ny * dy * 1e6, 0], interpolation="nearest", **kw)
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    ax.set_title(title)
    bar = nice_length(0.2 * nx * dx)
    ax.add_artist(AnchoredSizeBar(ax.transData, bar * 1e6, length_label(bar), "lower right", pad=0.4, label_top=True,
                                  color="white", frameon=False, size_vertical=0.012 * ny * dy * 1e6))
    return im


def _colorbar(fig, ax, im, label: str) -> None:
    """Colour bar exactly as tall as the map, whatever its aspect ratio."""
    cax = make_axes_locatable(ax).append_axes("right", size="4%", pad=0.08)
    fig.colorbar(im, cax=cax, label=label)


def _display(a: np.ndarray) -> tuple[np.ndarray, int]:
    s = max(1, math.ceil(max(a.shape) / DISPLAY_PX))
    return a[::s, ::s], s


def _stem(result) -> str:
    return Path(result.file).stem if result.file else "map"


def topography_figure(scan, result, path) -> Path | None:
    """Topography in grey (plane removed for display only); None when the scan has none."""
    if "topography" not in scan.data_vars:
        return None
    topo = np.asarray(get_channel(scan, "topography", result.direction).values, dtype=float)
    img, s = _display(topo)
    ok = np.isfinite(img)
    if ok.sum() >= 3:
        iy, ix = np.nonzero(ok)
        coef = np.linalg.lstsq(np.column_stack([np.ones(iy.size), ix, iy]), img[ok], rcond=None)[0]
        yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]]
        img = img - (coef[0] + coef[1] * xx + coef[2] * yy)
    dy, dx = pixel_size(scan)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    lo, hi = np.nanpercentile(img, [1, 99]) if ok.any() else (0, 1)
    im = _show_map(ax, img * 1e9, (dy * s, dx * s), "Topography", cmap="gray", vmin=lo * 1e9, vmax=hi * 1e9)
    _colorbar(fig, ax, im, "height (nm)")
    return save_figure(fig, path)


def current_figure(scan, result, path) -> Path:
    """Tip current on a log colour scale from the noise floor up, conducting mask outlined."""
    cur = np.asarray(get_channel(scan, result.channel, result.direction).values, dtype=float)
    img, s = _display(cur)
    mask = result.mask[::s, ::s]
    floor = max(result.noise_floor_A, 1e-15)
    top = float(np.nanmax(img)) if np.isfinite(img).any() else floor * 10
    norm = LogNorm(vmin=floor, vmax=max(top, floor * 10))
    dy, dx = pixel_size(scan)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    im = _show_map(ax, np.clip(img, floor, None), (dy * s, dx * s), "Tip current", cmap=CURRENT_CMAP, norm=norm)
    if mask.any() and not mask.all():
        ny, nx = mask.shape
        ax.contour((np.arange(nx) + 0.5) * dx * s * 1e6, (np.arange(ny) + 0.5) * dy * s * 1e6, mask.astype(float),
                   levels=[0.5], colors=MASK_COLOUR, linewidths=0.6)
    _colorbar(fig, ax, im, "current (A)")
    return save_figure(fig, path)


def histogram_figure(scan, result, path) -> Path:
    """Histogram of log current with noise floor, threshold and the conductance-state mixture."""
    cur = np.asarray(get_channel(scan, result.channel, result.direction).values, dtype=float)
    # below a hundredth of the noise floor the log axis shows only the sign noise of the offset
    low_cut = max(result.noise_floor_A, 1e-15) / 100
    vals = cur[np.isfinite(cur) & (cur > low_cut)]
    fig, ax = plt.subplots(figsize=(6, 3.8))
    edges = np.logspace(-15, -14, 2)
    if vals.size:
        lo = math.log10(vals.min())
        hi = math.log10(vals.max()) + 1e-9
        edges = np.logspace(lo, hi, 200)
        # stairs draw one artist per histogram; hist draws one patch per bin (slow to render)
        ax.stairs(np.histogram(vals, bins=edges)[0], edges, fill=True, color="0.45", label="all pixels")
        if result.plateau.any():
            ax.stairs(np.histogram(cur[result.plateau], bins=edges)[0], edges, fill=True, color="tab:orange",
                      alpha=0.8, label="plateau pixels")
    if result.mixture is not None and result.plateau.any():
        n_plateau = int(result.plateau.sum())
        grid = np.linspace(result.mixture.means.min() - 5 * result.mixture.sds.max(),
                           result.mixture.means.max() + 5 * result.mixture.sds.max(), 400)
        width = np.log10(edges[1] / edges[0])
        for mu, sd, w, st in zip(result.mixture.means, result.mixture.sds, result.mixture.weights, result.states):
            dens = n_plateau * w * width * np.exp(-0.5 * ((grid - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
            dens = np.where(dens >= 0.3, dens, np.nan)
            ax.plot(10 ** grid, dens, lw=1.2,
                    label=f"state {st['current_A'] * 1e6:.3g} µA ({100 * st['fraction']:.0f} %)")
    ax.axvline(result.noise_floor_A, color="tab:blue", ls=":", label=f"noise floor {result.noise_floor_A:.2g} A")
    ax.axvline(result.threshold_A, color="tab:red", ls="--", label=f"threshold {result.threshold_A:.2g} A")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(bottom=0.5)
    ax.set_xlabel("tip current (A)")
    ax.set_ylabel("pixels per bin")
    ax.set_title("Current histogram and conductance states")
    ax.legend(fontsize=7, loc="upper center")
    return save_figure(fig, path)


def edges_figure(result, path) -> Path | None:
    """Example profiles across boundaries with their erf fits, and the 10-90 % widths per axis."""
    from scprobe.analysis.edges import erf_step

    edges = result.edges
    if edges is None or edges.width_m.size == 0:
        return None
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    for k, ex in enumerate(edges.examples):
        a, b, x0, sd = ex["params"]
        x = ex["x_m"]
        fine = np.linspace(x[0], x[-1], 200)
        colour = f"C{k}"
        ax1.plot(x * 1e9, ex["current_A"] * 1e6, "o", ms=3, color=colour)
        ax1.plot(fine * 1e9, erf_step(fine, a, b, x0, sd) * 1e6, "-", lw=1, color=colour,
                 label=f"{ex['axis']}: {2.5631 * sd * 1e9:.0f} nm")
    ax1.set_xlabel("distance across boundary (nm)")
    ax1.set_ylabel("current (µA)")
    ax1.set_title("Edge profiles and erf fits")
    ax1.legend(fontsize=7)
    bins = np.linspace(0, np.percentile(edges.width_m, 99) * 1.2e9, 40)
    for axis, label in (("x", "profiles along x"), ("y", "profiles along y")):
        sel = edges.axis == axis
        if sel.any():
            ax2.hist(edges.width_m[sel] * 1e9, bins=bins, alpha=0.6, label=f"{label} ({sel.sum()})")
    med = float(np.median(edges.width_m)) * 1e9
    ax2.axvline(med, color="k", ls="--", label=f"median {med:.0f} nm")
    ax2.set_xlabel("10-90 % edge width (nm)")
    ax2.set_ylabel("profiles")
    ax2.set_title("Edge widths")
    ax2.legend(fontsize=7)
    return save_figure(fig, path)


def mask_files(scan, result, outdir: Path, stem: str) -> list[Path]:
    """The conducting mask as PNG (white = conducting), .npy and a .gwy with a Gwyddion mask."""
    from scprobe.io import gwy

    png, npy, gwyf = outdir / f"{stem}_mask.png", outdir / f"{stem}_mask.npy", outdir / f"{stem}_mask.gwy"
    with atomic_path(png) as tmp:
        plt.imsave(tmp, result.mask.astype(np.uint8), cmap="gray", vmin=0, vmax=1)
    with atomic_write(npy) as fh:
        np.save(fh, result.mask)
    single = scan[[result.channel]]
    if "direction" in single.dims:
        single = single.sel(direction=result.direction, drop=True)
    gwy.write(gwyf, single, masks={result.channel: result.mask})
    return [png, npy, gwyf]


def map_figures(scan, result, outdir) -> list[Path]:
    """Write every figure of a map analysis into ``outdir``; returns the paths written.

    Parameters
    ----------
    scan : xarray.Dataset
        The Scan that was analysed (after any processing).
    result : scprobe.analysis.MapResult
    outdir : path-like
        Created if needed; files are named ``<file stem>_<what>.png``.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    stem = _stem(result)
    written = [
        topography_figure(scan, result, outdir / f"{stem}_topography.png"),
        current_figure(scan, result, outdir / f"{stem}_current.png"),
        histogram_figure(scan, result, outdir / f"{stem}_histogram.png"),
        edges_figure(result, outdir / f"{stem}_edges.png"),
    ]
    written = [p for p in written if p is not None]
    written += mask_files(scan, result, outdir, stem)
    return written
