"""Figures of the transport stage: current and potential over the map, percolation extrapolation."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.patheffects as patheffects  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap, LogNorm  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from scprobe.report._style import length_label, nice_length, save_figure  # noqa: E402

_CONTACT_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd")
#: Title offset (points) that keeps the titles clear of the contact numbers above the corners.
TITLE_PAD = 14


def _scale_bar(ax, nx: int, ny: int, pixel_m: float) -> None:
    """A scale bar of a round length near a fifth of the width, bottom left."""
    if not (np.isfinite(pixel_m) and pixel_m > 0):
        return
    length = nice_length(nx * pixel_m / 5)
    label = length_label(length)
    x0, y0 = 0.05 * nx, 0.93 * ny
    ax.plot([x0, x0 + length / pixel_m], [y0, y0], color="white", lw=3, solid_capstyle="butt")
    ax.plot([x0, x0 + length / pixel_m], [y0, y0], color="black", lw=1, solid_capstyle="butt")
    ax.text(x0 + 0.5 * length / pixel_m, y0 - 0.03 * ny, label, color="white", ha="center", va="bottom",
            fontsize=8, path_effects=[patheffects.withStroke(linewidth=2, foreground="black")])


def _contacts(ax, result) -> None:
    shape = result.potential.shape
    for k, (pix, name) in enumerate(zip(result.contact_pixels, _names(result))):
        ys, xs = np.unravel_index(np.asarray(pix), shape)
        colour = _CONTACT_COLOURS[k % 4]
        ax.scatter(xs, ys, s=6, color=colour, marker="s", linewidths=0)
        x, y = result.contact_positions_px[k]
        ax.annotate(name, (x, y), color=colour, fontsize=9, fontweight="bold", xytext=(4, 4),
                    textcoords="offset points",
                    path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])


def _names(result):
    return ("1", "2", "3", "4") if result.contacts == "vdp" else ("I+", "I-", "V+", "V-")


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
    fig, axes = plt.subplots(1, 3, figsize=(15, 5), constrained_layout=True)
    ax = axes[0]
    if topography is not None:
        ax.imshow(topography, cmap="gray", interpolation="nearest")
    dens = np.where(result.current_density > 0, result.current_density, np.nan)
    finite = dens[np.isfinite(dens)]
    unit = "A/m" if np.isfinite(pixel_m) else "A/px"
    if finite.size:
        lo = max(np.nanpercentile(finite, 1), finite.max() * 1e-8)
        im = ax.imshow(dens, cmap="inferno", norm=LogNorm(lo, finite.max()), interpolation="nearest",
                       alpha=0.85 if topography is not None else 1.0)
        fig.colorbar(im, ax=ax, shrink=0.8, label=f"sheet current density ({unit} per A drive)")
    ax.set_title("Current density (first configuration)", pad=TITLE_PAD)
    ax = axes[1]
    im = ax.imshow(result.potential, cmap="viridis", interpolation="nearest")
    unit_r = "Ω" if result.resistance_unit == "ohm" else "R□"
    fig.colorbar(im, ax=ax, shrink=0.8, label=f"potential per unit drive current ({unit_r})")
    ax.set_title("Potential", pad=TITLE_PAD)
    ax = axes[2]
    labels = result.clusters
    n = int(labels.max())
    rng = np.random.default_rng(0)
    colours = np.vstack([[0.92, 0.92, 0.92, 1.0], matplotlib.colormaps["tab20"](rng.integers(0, 20, max(n, 1)))])
    ax.imshow(labels, cmap=ListedColormap(colours), vmin=-0.5, vmax=len(colours) - 0.5, interpolation="nearest")
    ax.set_title(f"Superconducting clusters: {n}, {result.sc_fraction:.1%} of area", pad=TITLE_PAD)
    for ax in axes:
        ax.set_xlabel("x (px)")
        ax.set_ylabel("y (px)")
        _contacts(ax, result)
        _scale_bar(ax, nx, ny, pixel_m)
    r4 = result.r_four_probe_ohm
    fig.suptitle(f"{result.verdict}: R4 = {r4:.4g} {unit_r} ({result.r_four_probe_ratio:.3g} x homogeneous sheet)",
                 fontsize=11)
    return save_figure(fig, Path(path), tight=False)


def percolation_figure(result, path: str | Path) -> Path:
    """Example realisation, R-ratio distribution and critical fractions of a :class:`PercolationResult`.

    The format follows the suffix of ``path`` (written atomically).
    """
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), constrained_layout=True)
    ax = axes[0]
    if result.example is not None:
        n = result.example.shape[1]
        side_um = result.simulated_size_m * 1e6
        ax.imshow(result.example, cmap=ListedColormap(["#e8e8e8", "#1f4e99"]), interpolation="nearest",
                  extent=(0, side_um, side_um, 0))
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("y (µm)")
        ax.set_title(f"Realisation, {n} cells of {result.cell_size_m * 1e9:.3g} nm"
                     + (" (top layer)" if result.dim == 3 else ""))
    ax = axes[1]
    r = np.asarray(result.r_ratios, float)
    zero = np.count_nonzero(r == 0)
    pos = r[r > 0]
    if pos.size:
        ax.hist(pos, bins=max(5, min(30, pos.size)), color="#444444")
    ax.set_xlabel("R4 / R4(homogeneous sheet)")
    ax.set_ylabel("realisations")
    ax.set_title(f"R ratios: {zero} of {r.size} exactly zero")
    ax = axes[2]
    crit = np.asarray(result.critical_fractions, float)
    if crit.size:
        ax.hist(crit, bins=max(5, min(30, crit.size)), color="#1f4e99", alpha=0.8, label="simulated size")
    ax.axvline(result.area_fraction, color="#d62728", label=f"map fraction {result.area_fraction:.3f}")
    if np.isfinite(result.sc_fraction_for_zero_resistance):
        ax.axvline(result.sc_fraction_for_zero_resistance, color="black", ls="--",
                   label=f"needed at {result.sample_size_m * 1e3:g} mm: {result.sc_fraction_for_zero_resistance:.3f}")
    ax.set_xlabel("superconducting fraction at first spanning")
    ax.set_ylabel("realisations")
    for ax in axes[1:]:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8)
    ax.set_title(f"P(zero resistance) = {result.p_zero_resistance:.3f}")
    return save_figure(fig, Path(path), tight=False)
