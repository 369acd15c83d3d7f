"""The one style every figure shares, and the helpers every figure module uses.

Figures are drawn on :class:`matplotlib.figure.Figure` objects, never through pyplot, and no
module here selects a backend: importing scprobe leaves a Jupyter user's backend alone, and
saving goes through the Agg canvas that ``Figure.savefig`` picks for PNG by itself.

:data:`STYLE` (rc parameters), the colour maps and :func:`map_panel` (a map in micrometres with a
scale bar) are defined here only; each figure function is decorated with :func:`styled`.
"""
from __future__ import annotations

import functools
import math
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from scprobe.io.base import atomic_path

#: rc parameters of every figure (applied while a figure is drawn and saved).
STYLE = {
    "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
    "legend.fontsize": 8, "legend.frameon": False, "figure.dpi": 100, "savefig.dpi": 150,
    "axes.spines.top": False, "axes.spines.right": False, "image.interpolation": "nearest",
    "axes.formatter.useoffset": False,
}
#: Resolution of every PNG figure (dots per inch).
DPI = 150
#: zlib level of the PNG figures: level 6 (PIL's default) takes 2-3 times as long for files 10 % smaller.
PNG_COMPRESS = 3
TOPO_CMAP = "gray"
CURRENT_CMAP = "inferno"
#: Outline colours: conducting regions; a second set (B, backward, re-cooled) where two are drawn.
OUTLINE = "#00e5ff"
OUTLINE_B = "#7cfc00"
#: Persistent vs vanished spots (Fig. 4).
PERSISTENT, VANISHED = "#2ca02c", "#d62728"
#: Categorical colours of conductance states, highest current first (Fig. 2).
STATE_COLOURS = ("#9467bd", "#2ca02c", "#ff7f0e", "#1f77b4", "#e377c2")
BLUE, RED, GREY = "#1f5fa8", "#c0392b", "0.45"
#: Longest side, in pixels, of a map as drawn (larger maps are subsampled for display only).
DISPLAY_PX = 1024


def styled(fn):
    """Draw and save the decorated figure function's figure in :data:`STYLE`."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)
    return wrapper


def new_figure(width_in: float, height_in: float, layout: str | None = "constrained") -> Figure:
    """A pyplot-free figure (``layout`` as :class:`~matplotlib.figure.Figure` takes it)."""
    return Figure(figsize=(width_in, height_in), layout=layout)


def save_figure(fig: Figure, path, dpi: int = DPI, tight: bool = False) -> Path:
    """Write ``fig`` atomically (never a half-written file).

    The format follows the suffix (``.png``, ``.pdf``, ``.svg`` for papers; PNG without one);
    an unknown suffix raises ValueError and writes nothing.  A PNG is drawn once on an Agg canvas
    and written as RGB at :data:`PNG_COMPRESS` (``savefig`` draws a figure with a layout engine
    twice, and writes RGBA at zlib level 6: three times the encoding time for 10 % less size).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix.lstrip(".").lower() or "png"
    with matplotlib.rc_context(STYLE), atomic_path(path) as tmp:
        if fmt == "png" and not tight:
            _write_png(fig, tmp, dpi)
        else:
            fig.savefig(tmp, dpi=dpi, format=fmt, **({"bbox_inches": "tight"} if tight else {}))
    return path


def _write_png(fig: Figure, path: Path, dpi: int) -> None:
    """One Agg draw of ``fig`` at ``dpi`` (its layout engine, if any, runs once), written as an RGB PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = Image.frombuffer("RGBA", canvas.get_width_height(physical=True), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    rgba.convert("RGB").save(path, format="PNG", compress_level=PNG_COMPRESS)


def nice_length(target_m: float) -> float:
    """Largest 1, 2 or 5 x 10^n metres not above ``target_m`` (scale-bar length)."""
    exp = math.floor(math.log10(target_m))
    for m in (5, 2, 1):
        if m * 10 ** exp <= target_m:
            return m * 10 ** exp
    return 10 ** exp


def length_label(length_m: float) -> str:
    """``"2 µm"`` / ``"500 nm"`` for a scale bar."""
    return f"{length_m * 1e6:g} µm" if length_m >= 1e-6 else f"{length_m * 1e9:g} nm"


def display(a: np.ndarray) -> tuple[np.ndarray, int]:
    """``a`` subsampled to at most :data:`DISPLAY_PX` per side, and the step used."""
    s = max(1, math.ceil(max(a.shape) / DISPLAY_PX))
    return a[::s, ::s], s


def scale_bar(ax, width_um: float, height_um: float, colour: str = "white") -> None:
    """A scale bar of a round length near a fifth of the width, lower right (axes in µm)."""
    if not (math.isfinite(width_um) and width_um > 0):
        return
    bar = nice_length(0.2 * width_um * 1e-6)
    ax.add_artist(AnchoredSizeBar(ax.transData, bar * 1e6, length_label(bar), "lower right", pad=0.4,
                                  label_top=True, color=colour, frameon=False, size_vertical=0.012 * height_um))


def map_panel(ax, img, pixel_m, title: str = "", bar_colour: str = "white", **kw):
    """A map in micrometre coordinates (row 0 on top) with axes in µm and a scale bar; the AxesImage.

    ``pixel_m`` is ``(dy, dx)`` in metres of the array as given (after any display subsampling).
    """
    dy, dx = pixel_m
    ny, nx = img.shape
    w, h = nx * dx * 1e6, ny * dy * 1e6
    im = ax.imshow(np.ma.masked_invalid(img), extent=[0, w, h, 0], interpolation="nearest", **kw)
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    if title:
        ax.set_title(title)
    scale_bar(ax, w, h, bar_colour)
    return im


def outline(ax, mask: np.ndarray, pixel_m, colour: str = OUTLINE, lw: float = 0.7, **kw) -> None:
    """Region outlines of a boolean mask over a map drawn by :func:`map_panel` (same pixel size)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any() or mask.all():
        return
    dy, dx = pixel_m
    ny, nx = mask.shape
    ax.contour((np.arange(nx) + 0.5) * dx * 1e6, (np.arange(ny) + 0.5) * dy * 1e6, mask.astype(float),
               levels=[0.5], colors=colour, linewidths=lw, **kw)


def colorbar(fig, ax, im, label: str):
    """A colour bar beside one map, placed by the figure's constrained layout."""
    return fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02, label=label)


def levelled(topo: np.ndarray) -> np.ndarray:
    """Topography minus its best-fit plane, for display only (the data keep their plane)."""
    img = np.asarray(topo, dtype=float)
    ok = np.isfinite(img)
    if ok.sum() < 3:
        return img
    iy, ix = np.nonzero(ok)
    coef = np.linalg.lstsq(np.column_stack([np.ones(iy.size), ix, iy]), img[ok], rcond=None)[0]
    yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]]
    out = img - (coef[0] + coef[1] * xx + coef[2] * yy)
    return out - np.nanmedian(out)


def robust_limits(img: np.ndarray, lo: float = 1, hi: float = 99) -> tuple[float, float]:
    """Percentile colour limits of the finite values (0, 1 when there are none)."""
    vals = np.asarray(img, dtype=float)
    vals = vals[np.isfinite(vals)]
    if not vals.size:
        return 0.0, 1.0
    a, b = np.percentile(vals, [lo, hi])
    return float(a), float(b if b > a else a + 1e-30)


def panel_letter(ax, letter: str) -> None:
    ax.text(-0.12, 1.03, letter, transform=ax.transAxes, fontweight="bold", fontsize=11, va="bottom")


def cmap(name: str, n: int | None = None):
    """A registered colour map (``n`` discrete entries when given), without pyplot."""
    cm = matplotlib.colormaps[name]
    return cm.resampled(n) if n else cm


def fnum(v: float, spec: str = ".3g") -> str:
    """``format(v, spec)`` that never reads "-0" (a value rounding to zero loses its sign)."""
    text = format(float(v), spec)
    try:
        return text.lstrip("-") if float(text) == 0 else text
    except ValueError:  # nan, inf
        return text
