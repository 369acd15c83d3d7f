"""Figures of the transport stage: current and potential over the map, percolation extrapolation."""
from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.patheffects as patheffects
import numpy as np
from matplotlib.colors import ListedColormap, LogNorm
from matplotlib.ticker import MaxNLocator

from scprobe.report._style import PanelGrid, fnum, map_size, panel_letter, save_figure, scale_bar, styled

#: File names of the transport figures (the same from ``scprobe run`` and ``scprobe transport/percolate --out``).
FIGURE_NAMES = {"transport": "four_probe_map.png", "percolation": "percolation.png"}

_CONTACT_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd")
#: Title offset (points) that keeps the titles clear of the contact numbers above the corners.
TITLE_PAD = 14


def _contacts(ax, result, step: float) -> None:
    """Contact pixels and names; ``step`` converts pixel indices to the axes' unit (µm or px)."""
    shape = result.potential.shape
    for k, (pix, name) in enumerate(zip(result.contact_pixels, _names(result))):
        ys, xs = np.unravel_index(np.asarray(pix), shape)
        colour = _CONTACT_COLOURS[k % 4]
        ax.scatter((xs + 0.5) * step, (ys + 0.5) * step, s=6, color=colour, marker="s", linewidths=0)
        x, y = (np.asarray(result.contact_positions_px[k], dtype=float) + 0.5) * step
        ax.annotate(name, (x, y), color=colour, fontsize=9, fontweight="bold", xytext=(4, 4),
                    textcoords="offset points",
                    path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])


def _names(result):
    return ("1", "2", "3", "4") if result.contacts == "vdp" else ("I+", "I-", "V+", "V-")


@styled
def transport_figure(result, path: str | Path, topography: np.ndarray | None = None) -> Path:
    """Current density, potential and superconducting clusters of a :class:`TransportResult`.

    Parameters
    ----------
    result : TransportResult
    path : path
        Output file, format by suffix (written atomically).
    topography : ndarray, optional
        Topography in m, drawn in grey under the current density.
    """
    ny, nx = result.potential.shape
    pixel_m = float(result.pixel_size_m[1])
    w, h = map_size(ny, nx, width_in=3.6)
    # the colour bars' labels are long (two lines would not do); titles sit above the contact names
    grid = PanelGrid([w] * 3, [h], cbar=[0, 1], left=0.62, top=0.55, suptitle=True)
    fig, axes = grid.fig, grid.axes[0]
    # maps in µm like every other map; in pixels only when the map has no pixel size
    in_um = bool(np.isfinite(pixel_m) and pixel_m > 0)
    step = pixel_m * 1e6 if in_um else 1.0
    extent = [0, nx * step, ny * step, 0]
    ax = axes[0]
    if topography is not None:
        ax.imshow(topography, cmap="gray", interpolation="nearest", extent=extent)
    dens = np.where(result.current_density > 0, result.current_density, np.nan)
    finite = dens[np.isfinite(dens)]
    unit = "A/m" if np.isfinite(pixel_m) else "A/px"
    if finite.size:
        lo = max(np.nanpercentile(finite, 1), finite.max() * 1e-8)
        im = ax.imshow(dens, cmap="inferno", norm=LogNorm(lo, finite.max()), interpolation="nearest",
                       alpha=0.85 if topography is not None else 1.0, extent=extent)
        grid.colorbar(im, 0, label=f"sheet current density ({unit} per A drive)", shrink=0.8)
    ax.set_title("Current density (first configuration)", pad=TITLE_PAD)
    ax = axes[1]
    im = ax.imshow(result.potential, cmap="viridis", interpolation="nearest", extent=extent)
    unit_r = "R□"  # the network is solved in units of the matrix sheet resistance
    grid.colorbar(im, 1, label=f"potential per unit drive current ({unit_r})", shrink=0.8)
    ax.set_title("Potential", pad=TITLE_PAD)
    ax = axes[2]
    labels = result.clusters
    n = int(labels.max())
    rng = np.random.default_rng(0)
    colours = np.vstack([[0.92, 0.92, 0.92, 1.0], matplotlib.colormaps["tab20"](rng.integers(0, 20, max(n, 1)))])
    ax.imshow(labels, cmap=ListedColormap(colours), vmin=-0.5, vmax=len(colours) - 0.5, interpolation="nearest",
              extent=extent)
    ax.set_title(f"Superconducting clusters: {n}, {fnum(100 * result.connectivity.sc_fraction, '.1f')} % of area", pad=TITLE_PAD)
    for ax, letter in zip(axes, "abc"):
        ax.set_xlabel("x (µm)" if in_um else "x (px)")
        ax.set_ylabel("y (µm)" if in_um else "y (px)")
        _contacts(ax, result, step)
        if in_um:
            scale_bar(ax, nx * step, ny * step)
        panel_letter(ax, letter)
    r4 = result.resistance.r_four_probe_rsq
    fig.suptitle(f"{result.verdict}: R4 = {fnum(r4, '.4g')} {unit_r} "
                 f"({fnum(result.resistance.r_four_probe_ratio, '.3g')} x "
                 "homogeneous sheet)")
    return save_figure(fig, Path(path), tight=False)


@styled
def percolation_figure(result, path: str | Path) -> Path:
    """Example realisation, R-ratio distribution and critical fractions of a :class:`PercolationResult`.

    The format follows the suffix of ``path`` (written atomically).
    """
    grid = PanelGrid([3.5, 4.2, 4.2], [3.5], left=[0.62, 0.75, 0.75], right=[0.3, 0.3, 0.25])
    fig, axes = grid.fig, grid.axes[0]
    ax = axes[0]
    chosen = result.answer()  # the chosen dimension's realisations
    if chosen.example is not None:
        n = chosen.example.shape[1]
        side_um = chosen.simulated_size_m * 1e6
        ax.imshow(chosen.example, cmap=ListedColormap(["#e8e8e8", "#1f4e99"]), interpolation="nearest",
                  extent=(0, side_um, side_um, 0))
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("y (µm)")
        ax.set_title(f"{chosen.dim}-D realisation, {n} cells of {chosen.cell_size_m * 1e9:.3g} nm"
                     + (" (top layer)" if chosen.dim == 3 else ""))
    ax = axes[1]
    r = np.asarray(chosen.r_ratios, float)
    zero = np.count_nonzero(r == 0)
    pos = r[r > 0]
    if pos.size:
        ax.hist(pos, bins=max(5, min(30, pos.size)), color="#444444")
    ax.set_xlabel("R4 / R4 of a homogeneous sheet (ratio)")
    ax.set_ylabel("realisations (count)")
    ax.set_title(f"R ratios: {zero} of {r.size} exactly zero")
    ax = axes[2]
    crit = np.asarray(chosen.critical_fractions, float)
    if crit.size:
        ax.hist(crit, bins=max(5, min(30, crit.size)), color="#1f4e99", alpha=0.8, label="simulated size")
    ax.axvline(result.area_fraction, color="#d62728", label=f"map fraction {result.area_fraction:.3f}")
    if np.isfinite(chosen.critical_fraction_at_sample):
        ax.axvline(chosen.critical_fraction_at_sample, color="black", ls="--",
                   label=f"needed at {result.sample_size_m * 1e3:g} mm: {chosen.critical_fraction_at_sample:.3f}")
        ax.axvspan(chosen.critical_fraction_lower, chosen.critical_fraction_upper, color="black", alpha=0.1,
                   label="95 % interval")
    ax.set_xlabel("superconducting fraction at first spanning (0..1)")
    ax.set_ylabel("realisations (count)")
    for ax in axes[1:]:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend()
    ax.set_title(f"{chosen.dim}-D: P(zero resistance) = {chosen.p_zero_resistance:.3f} "
                 f"[{chosen.p_zero_resistance_lower:.3f}, {chosen.p_zero_resistance_upper:.3f}]")
    return save_figure(fig, Path(path), tight=False)
