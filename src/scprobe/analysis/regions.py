"""Conducting mask at half the local plateau current, and the connected regions it forms.

A tip of Gaussian point-spread function images a sharp conducting region as
``level * Phi(d / sigma)``: the current is half the plateau exactly on the true
boundary, while a noise threshold (nanoamperes below microampere plateaus) sits
several sigma outside it.  The threshold therefore *detects* conduction, and the
region's extent is the part of the detected area above half the local plateau
current (the largest current within ``3 sigma + 1`` pixels or a little more).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

#: Regions smaller than this (m^2) are reported as spots, not regions (about a 110 nm disc).
MIN_REGION_M2 = 1.0e-14
#: Equivalent-ellipse axis ratio from which a region counts as a stripe rather than an island.
STRIPE_ELONGATION = 3.0
#: Fewer pixels than this never make a region (a speck cannot be characterised).
MIN_REGION_PX = 4
#: Border pieces whose current stays below this fraction of the top region current are tails.
BORDER_TAIL_FRACTION = 0.1


def _block_reduce(a: np.ndarray, by: int, bx: int, reduce) -> np.ndarray:
    """Reduce non-overlapping by x bx blocks with strided elementwise passes (fast for small blocks)."""
    cols = a[:, 0::bx].copy()
    for t in range(1, bx):
        reduce(cols, a[:, t::bx], out=cols)
    rows = cols[0::by].copy()
    for t in range(1, by):
        reduce(rows, cols[t::by], out=rows)
    return rows


def block_filter(a: np.ndarray, radius_px, reduce=np.maximum, fill=-np.inf):
    """Maximum (or minimum) over a neighbourhood of radius between r and about 4/3 r pixels, on blocks.

    The array is reduced over blocks of ``b = max(2, ceil(r / 3))`` pixels per axis,
    then over the ``2 ceil(r / b) + 1`` neighbouring blocks: a few passes over the
    data instead of a full-resolution filter.

    Parameters
    ----------
    a : ndarray, shape (ny, nx)
    radius_px : int or (int, int)
        Radius r, or ``(ry, rx)`` per axis, pixels.

    Returns
    -------
    blocks : ndarray
        Pixel (i, j) reads ``blocks[i // by, j // bx]``.
    by, bx : int
        Block size per axis.
    """
    ry, rx = (radius_px, radius_px) if np.isscalar(radius_px) else radius_px
    ny, nx = a.shape
    by, bx = (max(2, int(np.ceil(r / 3))) for r in (ry, rx))
    ky, kx = max(1, int(np.ceil(ry / by))), max(1, int(np.ceil(rx / bx)))
    py, px = -ny % by, -nx % bx
    if py or px:
        a = np.pad(a, ((0, py), (0, px)), constant_values=fill)
    blocks = _block_reduce(a, by, bx, reduce)
    filt = ndimage.maximum_filter if reduce is np.maximum else ndimage.minimum_filter
    return filt(blocks, size=(2 * ky + 1, 2 * kx + 1), mode="nearest"), by, bx


def local_level(current: np.ndarray, radius_px, iy: np.ndarray, ix: np.ndarray) -> np.ndarray:
    """Largest current within about ``radius_px`` (:func:`block_filter`) of pixels ``(iy, ix)``, A.

    NaN pixels are ignored.
    """
    filled = current if not np.isnan(current.sum()) else np.where(np.isfinite(current), current, -np.inf)
    blocks, by, bx = block_filter(filled, radius_px)
    return blocks[iy // by, ix // bx]


def half_max_mask(current: np.ndarray, detected: np.ndarray, radius_px) -> np.ndarray:
    """Detected pixels carrying at least half their local plateau current (:func:`local_level`)."""
    out = np.zeros(detected.shape, dtype=bool)
    iy, ix = np.nonzero(detected)
    if iy.size:
        out[iy, ix] = current[iy, ix] >= 0.5 * local_level(current, radius_px, iy, ix)
    return out


def label_regions(mask: np.ndarray, connectivity: int = 1) -> tuple[np.ndarray, int]:
    """Connected components of a boolean mask: ``(labels, count)``, labels ``1..count``, 0 outside.

    The one labelling of scprobe: maps, spots, networks, temperature series and
    composition all call it.

    Parameters
    ----------
    mask : ndarray of bool, 2-D or 3-D
    connectivity : int
        Neighbours that join two pixels: 1 = those sharing a face (4 in 2-D, 6 in 3-D),
        ``mask.ndim`` = also those sharing only a corner (8 in 2-D, 26 in 3-D).
        The default 1 is how Gwyddion numbers grains and how current flows between
        pixels in the resistor network (PHYSICS.md: a node per pixel, 4 neighbours in
        2-D); corner contacts carry no current there, so regions touching only at a
        corner are separate.  Use 2 (8-connected) only to group pixels of one blurred
        object, e.g. the half-maximum area of a spot whose outline is ragged by noise.
    """
    m = np.asarray(mask, dtype=bool)
    if not 1 <= connectivity <= m.ndim:
        raise ValueError(f"connectivity must be 1..{m.ndim}, got {connectivity!r}")
    labels, n = ndimage.label(m, structure=ndimage.generate_binary_structure(m.ndim, connectivity))
    return labels, int(n)


def region_table(labels: np.ndarray, n: int, current: np.ndarray, pixel_size_m: tuple[float, float],
                 bias_V: float = float("nan")) -> dict[str, np.ndarray]:
    """Per-region geometry and current, vectorised over all regions.

    Moments are taken in metres (pixels need not be square); each pixel
    contributes its own extent (variance ``d^2 / 12``), so a one-pixel region
    is a small disc rather than a point.

    Returns
    -------
    dict of ndarray (one entry per region, label order)
        ``label``, ``area_px``, ``area_m2``, ``equivalent_diameter_m``, ``major_axis_m``,
        ``minor_axis_m``, ``elongation`` (major / minor), ``orientation_deg`` (major axis
        from +x, counter-clockwise as displayed), ``centroid_x_m``, ``centroid_y_m``,
        ``mean_current_A``, ``max_current_A``, ``junction_resistance_ohm`` (bias / mean current),
        ``touches_border``.
    """
    dy, dx = pixel_size_m
    flat = labels.ravel()
    idx = np.flatnonzero(flat)
    lab = flat[idx]
    iy, ix = np.divmod(idx, labels.shape[1])
    x, y = (ix + 0.5) * dx, (iy + 0.5) * dy
    cur = current.ravel()[idx]
    cnt = np.bincount(lab, minlength=n + 1)[1:].astype(float)

    def mean(w):
        return np.bincount(lab, weights=w, minlength=n + 1)[1:] / np.maximum(cnt, 1)

    mx, my = mean(x), mean(y)
    xr, yr = x - mx[lab - 1], y - my[lab - 1]
    cxx = mean(xr * xr) + dx * dx / 12
    cyy = mean(yr * yr) + dy * dy / 12
    cxy = mean(xr * yr)
    tr, det = cxx + cyy, cxx * cyy - cxy * cxy
    disc = np.sqrt(np.maximum(tr * tr / 4 - det, 0))
    lam1, lam2 = tr / 2 + disc, np.maximum(tr / 2 - disc, 1e-300)
    angle = 0.5 * np.degrees(np.arctan2(2 * cxy, cxx - cyy))  # y points down in the image
    area = cnt * dx * dy
    edge_labels = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    border = np.zeros(n + 1, dtype=bool)
    border[edge_labels] = True
    border = border[1:]
    finite = np.where(np.isfinite(cur), cur, 0.0)
    maxima = np.full(n + 1, -np.inf)
    np.maximum.at(maxima, lab, finite)
    maxima = maxima[1:]
    mean_cur = mean(finite)
    with np.errstate(divide="ignore", invalid="ignore"):
        rj = np.where(mean_cur > 0, bias_V / mean_cur, np.nan)
    return {
        "label": np.arange(1, n + 1), "area_px": cnt.astype(int), "area_m2": area,
        "equivalent_diameter_m": np.sqrt(4 * area / np.pi),
        "major_axis_m": 4 * np.sqrt(lam1), "minor_axis_m": 4 * np.sqrt(lam2),
        "elongation": np.sqrt(lam1 / lam2), "orientation_deg": -angle,
        "centroid_x_m": mx, "centroid_y_m": my,
        "mean_current_A": mean_cur, "max_current_A": np.asarray(maxima, dtype=float),
        "junction_resistance_ohm": rj, "touches_border": border,
    }


def classify_regions(table: dict[str, np.ndarray], min_region_m2: float = MIN_REGION_M2) -> np.ndarray:
    """``"spot"`` below ``min_region_m2``, else ``"stripe"`` from :data:`STRIPE_ELONGATION`, else ``"island"``.

    A region cut by the map border is a spot only below :data:`MIN_REGION_PX` pixels
    (its true size is unknown) or when its current stays below
    :data:`BORDER_TAIL_FRACTION` of the map's largest region current (the edge tail of
    a region outside the map).
    """
    kind = np.where(table["elongation"] >= STRIPE_ELONGATION, "stripe", "island").astype("<U6")
    border = table["touches_border"]
    small = (table["area_m2"] < min_region_m2) & ~border
    # the blurred tail of a region outside the map never reaches a plateau
    top = table["max_current_A"].max() if kind.size else 0.0
    tail = border & (table["max_current_A"] < BORDER_TAIL_FRACTION * top)
    kind[small | tail | (table["area_px"] < MIN_REGION_PX)] = "spot"
    return kind
