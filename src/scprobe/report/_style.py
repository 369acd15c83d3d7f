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
from matplotlib.ticker import MaxNLocator
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from scprobe.io.base import atomic_path
from scprobe.report._preview import save_preview

#: rc parameters of every figure (applied while a figure is drawn and saved).
STYLE = {
    "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
    "legend.fontsize": 8, "legend.frameon": False, "figure.dpi": 100, "savefig.dpi": 150,
    "axes.spines.top": False, "axes.spines.right": False, "image.interpolation": "nearest",
    "axes.formatter.useoffset": False,
    # titles at a fixed height: placing them automatically measures every y tick label of every titled
    # panel once more per draw (a fifth of the figures' time), and no panel has ticks on top
    "axes.titley": 1.0,
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


#: Fixed margins around a panel, inches: y tick labels and label (left), x tick labels and label (below),
#: title (above), gap to the next panel (right); a colour bar's pad, width and room for its ticks and label.
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_RIGHT = 0.62, 0.5, 0.32, 0.3
CBAR_PAD, CBAR_WIDTH, CBAR_ROOM = 0.1, 0.14, 0.66
#: Height of the strip a figure title takes, inches.
SUPTITLE_HEIGHT = 0.34


#: Width of a map panel, inches: a 512-pixel map drawn at :data:`DPI` keeps about its own pixels.
PANEL_WIDTH = 3.4
#: Tallest map panel, inches (a tall map gets a narrower panel instead).
PANEL_MAX_HEIGHT = 4.6


def map_size(height_m: float, width_m: float, width_in: float = PANEL_WIDTH,
             max_height_in: float = PANEL_MAX_HEIGHT) -> tuple[float, float]:
    """``(width, height)`` in inches of a map panel of this extent at its aspect ratio."""
    aspect = height_m / width_m if width_m > 0 and height_m > 0 else 1.0
    aspect = min(max(aspect, 0.2), 5.0)
    if width_in * aspect > max_height_in:
        width_in = max_height_in / aspect
    return width_in, width_in * aspect


def legend_width(labels) -> float:
    """Room, inches, for an outside legend of these labels at the style's legend font size."""
    return 0.6 + 0.052 * max((len(t) for t in labels), default=0)


class PanelGrid:
    """A figure laid out once, in inches: a grid of panels of given sizes with fixed margins.

    Constrained layout measures every tick label of every panel to place them, and costs as much
    as drawing the figure; a grid of known panel sizes needs no measuring, and maps of one size
    get panels of exactly their aspect ratio (no white band where ``imshow`` shrinks the axes).

    Parameters
    ----------
    widths, heights : sequence of float
        Width of each column's panel and height of each row's panel, inches.
    cbar : sequence of int
        Columns followed by a colour bar (their right margin makes room for one, see :meth:`colorbar`).
    left, bottom, top, right : float or sequence of float
        Margins of each column (left, right) and row (top, bottom), inches.
    suptitle : bool
        Leave a strip for ``fig.suptitle`` on top.
    extra_right : float
        Room right of the last column (an outside legend), inches.
    panels : bool
        Add an axes in every cell (``axes``); off: add them with :meth:`panel` (panels spanning cells).
    """

    def __init__(self, widths, heights, *, cbar=(), left=MARGIN_LEFT, bottom=MARGIN_BOTTOM, top=MARGIN_TOP,
                 right=MARGIN_RIGHT, suptitle: bool = False, extra_right: float = 0.0, panels: bool = True):
        ncol, nrow = len(widths), len(heights)

        def each(v, n):
            return list(v) if np.ndim(v) else [float(v)] * n

        left, right = each(left, ncol), each(right, ncol)
        top, bottom = each(top, nrow), each(bottom, nrow)
        right = [CBAR_PAD + CBAR_WIDTH + CBAR_ROOM if j in cbar else r for j, r in enumerate(right)]
        self.x0 = np.cumsum([0.0] + [l + w + r for l, w, r in zip(left, widths, right)])[:-1] + np.array(left)
        self.y0 = (SUPTITLE_HEIGHT if suptitle else 0.0) + np.cumsum(
            [0.0] + [t + h + b for t, h, b in zip(top, heights, bottom)])[:-1] + np.array(top)  # from the top
        self.widths, self.heights = list(widths), list(heights)
        self.size = (self.x0[-1] + widths[-1] + right[-1] + extra_right, self.y0[-1] + heights[-1] + bottom[-1])
        self.fig = new_figure(*self.size, layout=None)
        self.axes = np.empty((nrow, ncol), dtype=object)
        for i in range(nrow if panels else 0):
            for j in range(ncol):
                self.axes[i, j] = self.panel(i, j)

    def panel(self, row, col, row_end=None, col_end=None, **kw):
        """An axes over the panels of rows ``row..row_end`` and columns ``col..col_end`` (inclusive)."""
        row_end = row if row_end is None else row_end
        col_end = col if col_end is None else col_end
        w = self.x0[col_end] + self.widths[col_end] - self.x0[col]
        h = self.y0[row_end] + self.heights[row_end] - self.y0[row]
        return self.fig.add_axes(self.rect(self.x0[col], self.y0[row], w, h), **kw)

    def rect(self, x_in: float, y_top_in: float, w_in: float, h_in: float) -> list[float]:
        """Figure-fraction ``[left, bottom, width, height]`` of a box given in inches from the top left."""
        fw, fh = self.size
        return [x_in / fw, 1 - (y_top_in + h_in) / fh, w_in / fw, h_in / fh]

    def colorbar(self, im, col: int, rows=None, label: str = "", shrink: float = 1.0):
        """A colour bar right of column ``col``, as tall as the panels of ``rows`` (all rows by default)."""
        rows = range(len(self.heights)) if rows is None else list(np.atleast_1d(rows))
        top = self.y0[rows[0]]
        height = self.y0[rows[-1]] + self.heights[rows[-1]] - top
        top += height * (1 - shrink) / 2
        cax = self.fig.add_axes(self.rect(self.x0[col] + self.widths[col] + CBAR_PAD, top, CBAR_WIDTH,
                                          height * shrink))
        return self.fig.colorbar(im, cax=cax, label=label)


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
    image = None
    with matplotlib.rc_context(STYLE), atomic_path(path) as tmp:
        if fmt == "png" and not tight:
            image = _write_png(fig, tmp, dpi)
        else:
            fig.savefig(tmp, dpi=dpi, format=fmt, **({"bbox_inches": "tight"} if tight else {}))
    if image is not None:
        save_preview(path, image)  # the report's copy, while the pixels are at hand (when the renderer asks)
    return path


@functools.cache
def _mathtext_parser():
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("path")


def _write_png(fig: Figure, path: Path, dpi: int):
    """One Agg draw of ``fig`` at ``dpi`` (its layout engine, if any, runs once), written as an RGB PNG; the image."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    # one mathtext parser for every figure: its cache of parsed labels (log tick labels "10^-6" ...) is
    # kept per parser, and each canvas' renderer would start with an empty one
    canvas.get_renderer().mathtext_parser = _mathtext_parser()
    canvas.draw()
    rgba = Image.frombuffer("RGBA", canvas.get_width_height(physical=True), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    rgb = rgba.convert("RGB")
    rgb.save(path, format="PNG", compress_level=PNG_COMPRESS)
    return rgb


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
    # five round ticks a side: each tick is several artists, and ten per side cost a fifth of a map figure
    ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
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
