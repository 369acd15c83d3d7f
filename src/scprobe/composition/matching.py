"""The two search stages of :mod:`scprobe.composition.registration`.

Coarse: masked normalised cross-correlation (FFT) of templates over a grid of
rotations and scales, returning every distinct local maximum.  Fine: the SEM grey
levels at SEM pixel centres predicted by a linear mix of band-passed scan channels
warped by a similarity transform.  The scan channels are the ones interpolated,
not the SEM image: they are finer and nearly noise-free, while interpolating the
noisy SEM image would smooth its noise by an amount that depends on the sub-pixel
position and so pull the match towards whole-pixel offsets.
"""
from __future__ import annotations

import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import fft as sfft
from scipy import ndimage, optimize
from skimage.transform import SimilarityTransform

#: Inner and outer widths (SEM px) of the band-pass applied before the fine match.
BANDPASS_PX = (0.7, 4.0)


def bandpass(image: np.ndarray, sigma_px=1.0) -> np.ndarray:
    """Difference of Gaussians of widths ``BANDPASS_PX`` SEM px (``sigma_px``: scan px per SEM px per axis).

    Removes pixel noise and slow shading, keeps edges: positional information lies in
    the edges, while a broad blob's area would otherwise dominate the correlation."""
    s = np.broadcast_to(np.asarray(sigma_px, dtype=float), (2,))
    return ndimage.gaussian_filter(image, BANDPASS_PX[0] * s) - ndimage.gaussian_filter(image, BANDPASS_PX[1] * s)


def _bilinear(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``images`` (k, ny, nx) at points (``rows``, ``cols``), edges replicated: (k, n).

    ``ndimage.map_coordinates(order=1, mode="nearest")`` of each image, with the weights
    and neighbours found once for all of them."""
    k, ny, nx = images.shape
    flat = images.reshape(k, -1)
    r0, c0 = np.floor(rows), np.floor(cols)
    wr, wc = rows - r0, cols - c0
    r0, c0 = r0.astype(np.intp), c0.astype(np.intp)
    ra, rb = np.clip(r0, 0, ny - 1) * nx, np.clip(r0 + 1, 0, ny - 1) * nx
    ca, cb = np.clip(c0, 0, nx - 1), np.clip(c0 + 1, 0, nx - 1)
    top = flat.take(ra + ca, axis=1) * (1 - wc) + flat.take(ra + cb, axis=1) * wc
    bottom = flat.take(rb + ca, axis=1) * (1 - wc) + flat.take(rb + cb, axis=1) * wc
    return top * (1 - wr) + bottom * wr


def coarse_candidates(sem: np.ndarray, tmpls, scales, angles_rad, separation_px: float, keep: int):
    """Distinct local maxima ``(|ncc|, scale, angle, (row, col))`` of any of ``tmpls`` (same shape,
    same pitch as ``sem``) rotated and scaled inside ``sem``, best first, at most ``keep``.

    Normalised cross-correlation over the template's full rotated footprint, with local
    SEM statistics under that footprint (masked NCC), all by FFT; only positions where
    the footprint lies inside the SEM image count.  ``(row, col)`` is the SEM pixel of
    the template centre.  Maxima closer than ``separation_px`` at a similar rotation
    and scale are one candidate.
    """
    tmpls = np.asarray(tmpls, dtype=float)
    ty, tx = tmpls.shape[1:]
    half = int(np.ceil(0.5 * np.hypot(ty, tx) * max(scales))) + 1
    size = 2 * half + 1
    H, W = sem.shape
    # Circular correlation is enough: only centres whose footprint lies inside the SEM image count,
    # and there no kernel offset wraps around, so the FFT need only hold the image and the kernel.
    shape = tuple(sfft.next_fast_len(max(n, size), real=True) for n in (H, W))
    f_sem = sfft.rfft2(sem, shape)
    f_sem2 = sfft.rfft2(sem ** 2, shape)
    vv, uu = np.mgrid[-half:half + 1, -half:half + 1].astype(float)
    cy, cx = (ty - 1) / 2, (tx - 1) / 2

    def spectra(kernels):
        # kernel offset (v, u) stored at index (v mod L0, u mod L1): correlate(c) = sum_k image[c + k] kernel[k]
        wrapped = np.zeros((len(kernels),) + shape)
        wrapped[:, :half + 1, :half + 1] = kernels[:, half:, half:]
        wrapped[:, :half + 1, -half:] = kernels[:, half:, :half]
        wrapped[:, -half:, :half + 1] = kernels[:, :half, half:]
        wrapped[:, -half:, -half:] = kernels[:, :half, :half]
        return np.conj(sfft.rfft2(wrapped, axes=(1, 2)))

    iy, ix = np.ogrid[0:H, 0:W]
    corners = np.array([[-tx / 2, -ty / 2], [tx / 2, -ty / 2], [tx / 2, ty / 2], [-tx / 2, ty / 2]])
    peak_size = max(3, int(separation_px) | 1)
    found = []
    for s in scales:
        for a in angles_rad:
            ca, sa = np.cos(a), np.sin(a)
            # SEM offset d = s R(a) m  =>  template offset m = R(-a) d / s
            mx = (ca * uu + sa * vv) / s + cx
            my = (-sa * uu + ca * vv) / s + cy
            foot = (mx >= -0.5) & (mx <= tx - 0.5) & (my >= -0.5) & (my <= ty - 0.5)
            n = float(foot.sum())
            # centres where the rotated field's corners stay inside the SEM image
            d = s * corners @ np.array([[ca, sa], [-sa, ca]])
            inside = ((ix + d[:, 0].min() >= -0.5) & (ix + d[:, 0].max() <= W - 0.5)
                      & (iy + d[:, 1].min() >= -0.5) & (iy + d[:, 1].max() <= H - 0.5))
            if not inside.any():
                continue
            kernels = np.zeros((1 + len(tmpls), size, size))
            kernels[0] = foot
            patches = _bilinear(tmpls, my[foot], mx[foot])
            patches -= patches.mean(axis=1, keepdims=True)
            norms = np.sqrt((patches ** 2).sum(axis=1))
            kernels[1:, foot] = patches
            f_k = spectra(kernels)
            live = norms > 0
            # one inverse FFT call for the footprint's sums of SEM and SEM^2 and every live template;
            # output (row, col) has the kernel centre at SEM pixel (row, col)
            c = sfft.irfft2(np.concatenate([f_sem * f_k[:1], f_sem2 * f_k[:1], f_sem * f_k[1:][live]]), shape,
                            axes=(1, 2))[:, :H, :W]
            s1, s2 = c[0], c[1]
            var = np.maximum(s2 - s1 ** 2 / n, 1e-6 * n)
            score = np.zeros((H, W))
            if live.any():
                score = np.max(np.abs(c[2:]) / norms[live, None, None], axis=0)
            score = np.where(inside, score / np.sqrt(var), 0.0)
            peaks = np.flatnonzero((score == ndimage.maximum_filter(score, peak_size)) & (score > 0))
            for k in peaks[np.argsort(score.flat[peaks])[::-1][:3]]:
                ky, kx = np.unravel_index(k, (H, W))
                found.append((float(score.flat[k]), s, a, (int(ky), int(kx))))
    found.sort(key=lambda c: -c[0])
    da = np.abs(np.diff(angles_rad)).min() if len(angles_rad) > 1 else np.pi
    ds = np.log(scales[1] / scales[0]) if len(scales) > 1 else 1.0
    kept = []
    for c in found:
        if not any(np.hypot(c[3][0] - k[3][0], c[3][1] - k[3][1]) < separation_px
                   and abs(np.angle(np.exp(1j * (c[2] - k[2])))) <= 3.5 * da
                   and abs(np.log(c[1] / k[1])) <= 1.5 * ds for k in kept):
            kept.append(c)
        if len(kept) == keep:
            break
    return kept


#: Objective evaluations on at least this many SEM pixels interpolate their channels in threads.
_THREADED_POINTS = 4096


@functools.lru_cache(maxsize=1)
def _threads() -> ThreadPoolExecutor | None:
    """A small pool for the channel interpolations (None on one core); the same numbers either way."""
    n = min(3, os.cpu_count() or 1)
    return ThreadPoolExecutor(n, thread_name_prefix="scprobe-interp") if n > 1 else None


class _PixelSet:
    """SEM pixels (row, col) with what the fine objective needs of them at every step: their
    homogeneous SEM coordinates, m, and their grey levels about their mean."""

    def __init__(self, pixels: np.ndarray, sem: np.ndarray, sem_px: float):
        self.pixels = pixels
        sem_m = (pixels[:, ::-1] + 0.5) * sem_px
        self.homogeneous = np.column_stack([sem_m, np.ones(len(pixels))])
        v = sem[pixels[:, 0], pixels[:, 1]]
        self.centred = v - v.mean()
        self.sum_sq = float(self.centred @ self.centred)


class FineModel:
    """SEM grey levels at SEM pixel centres as a linear mix of warped scan channels.

    Parameters ``p = (ln scale, rotation (rad), x, y)``: ``(x, y)`` is where the centre
    of the scan field lands, in SEM pixel units from the SEM image's top-left corner
    (``metres / sem_pixel_size_m``).

    Parameters
    ----------
    sem : ndarray
        Band-passed, normalised SEM image.
    sem_pixel_size_m : float
    channels : sequence of ndarray
        Band-passed scan channels on the scan grid.
    map_pixel_size_m : (dy, dx)
    """

    def __init__(self, sem, sem_pixel_size_m, channels, map_pixel_size_m):
        self.sem = np.asarray(sem, dtype=float)
        self.sem_px = float(sem_pixel_size_m)
        self.coeffs = [ndimage.spline_filter(np.asarray(c, dtype=float), order=3) for c in channels]
        self.dy, self.dx = map_pixel_size_m
        self.ny, self.nx = self.coeffs[0].shape
        self.centre_map = np.array([self.nx * self.dx, self.ny * self.dy]) / 2
        rows, cols = np.mgrid[0:self.sem.shape[0], 0:self.sem.shape[1]]
        self.all_pixels = _PixelSet(np.column_stack([rows.ravel(), cols.ravel()]), self.sem, self.sem_px)

    def transform(self, p) -> SimilarityTransform:
        """Scan metres -> SEM metres."""
        return SimilarityTransform(matrix=self._matrix(p))

    def _matrix(self, p) -> np.ndarray:
        """Homogeneous matrix of :meth:`transform`, built with skimage's operations (so the same bits)
        without its objects: the objective needs it at every step."""
        s, a = np.exp(p[0]), p[1]
        linear = np.eye(3)
        linear[:2, :2] = [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]
        if s != 1:
            linear[:2, :2] *= s
        centre = np.hstack([self.centre_map, 1.0])[None, :] @ linear.T  # divisor exactly 1: affine
        matrix = linear.copy()
        matrix[0:2, 2] = np.asarray(p[2:]) * self.sem_px - centre[0, :2]
        return matrix

    def pixel_set(self, pixels) -> _PixelSet:
        """``pixels`` (row, col) prepared for repeated evaluation (see :meth:`correlation`)."""
        return pixels if isinstance(pixels, _PixelSet) else _PixelSet(np.asarray(pixels), self.sem, self.sem_px)

    def scan_px(self, p, pixels) -> np.ndarray:
        """Scan pixel coordinates (x, y) of SEM pixel centres ``pixels`` (row, col)."""
        return self._rows_cols(p, pixels)[::-1].T

    def _rows_cols(self, p, pixels) -> np.ndarray:
        """Scan pixel coordinates of ``pixels`` as ``[rows, cols]`` (the layout ndimage takes)."""
        # the inverse transform applied as skimage applies it, to the homogeneous coordinates kept with the pixels
        matrix = np.linalg.inv(self._matrix(p))
        xy_h = self.pixel_set(pixels).homogeneous @ matrix.T
        if not np.array_equal(matrix[2], [0.0, 0.0, 1.0]):  # affine: the homogeneous divisor is exactly 1
            divs = xy_h[:, -1]
            xy_h = xy_h / np.where(divs == 0, np.finfo(float).eps, divs)[:, None]
        out = np.empty((2, len(xy_h)))
        np.divide(xy_h[:, 1], self.dy, out=out[0])
        np.divide(xy_h[:, 0], self.dx, out=out[1])
        out -= 0.5
        return out

    def pixels(self, p, margin_px: float, max_count: int | None = None, where=None) -> np.ndarray:
        """SEM pixels (row, col) that see the scan field at least ``margin_px`` SEM px inside its edge.

        ``where(xy)`` on scan pixel coordinates narrows them further; ``max_count`` thins
        them on a regular lattice."""
        xy = self.scan_px(p, self.all_pixels)
        mx, my = margin_px * self.sem_px / self.dx, margin_px * self.sem_px / self.dy
        ok = (xy[:, 0] >= mx - 0.5) & (xy[:, 0] <= self.nx - 0.5 - mx) \
            & (xy[:, 1] >= my - 0.5) & (xy[:, 1] <= self.ny - 0.5 - my)
        if where is not None:
            ok &= where(xy)
        pix = self.all_pixels.pixels[ok]
        if max_count and len(pix) > max_count:
            step = int(np.ceil(np.sqrt(len(pix) / max_count)))
            pix = pix[(pix[:, 0] % step == 0) & (pix[:, 1] % step == 0)]
        return pix

    def channels_at(self, p, pixels) -> np.ndarray:
        """Warped channels at ``pixels``, one row per channel."""
        coords = self._rows_cols(p, pixels)
        out = np.empty((len(self.coeffs), coords.shape[1]))

        def interpolate(i):
            ndimage.map_coordinates(self.coeffs[i], coords, output=out[i], order=3, prefilter=False, mode="nearest")

        if coords.shape[1] >= _THREADED_POINTS and _threads() is not None:
            # ndimage releases the GIL: the channels are interpolated side by side, each into its own row
            list(_threads().map(interpolate, range(len(self.coeffs))))
        else:
            for i in range(len(self.coeffs)):
                interpolate(i)
        return out

    def design(self, p, pixels) -> np.ndarray:
        """Warped channels at ``pixels`` and a constant column."""
        return np.column_stack([*self.channels_at(p, pixels), np.ones(len(self.pixel_set(pixels).pixels))])

    def correlation(self, p, pixels) -> float:
        """Multiple correlation of the SEM grey levels with the warped channels (0..1).

        The correlation of the grey levels with their least-squares prediction, from the
        normal equations of the centred channels: ``R^2 = b.beta / |v - mean v|^2``."""
        pts = self.pixel_set(pixels)
        if len(pts.pixels) < 8 or not pts.sum_sq > 0:
            return 0.0
        x = self.channels_at(p, pts)
        x -= x.mean(axis=1, keepdims=True)
        b = x @ pts.centred
        beta, *_ = np.linalg.lstsq(x @ x.T, b, rcond=None)
        explained = float(b @ beta)
        return min(1.0, np.sqrt(explained / pts.sum_sq)) if explained > 0 else 0.0

    def refine(self, p0, pixels, steps, xatol) -> tuple[np.ndarray, float]:
        """Nelder-Mead from ``p0`` with initial steps ``(ln scale, rad, px)``; returns (p, correlation)."""
        p0 = np.asarray(p0, dtype=float)
        pts = self.pixel_set(pixels)
        simplex = p0 + np.vstack([np.zeros(4), np.diag([steps[0], steps[1], steps[2], steps[2]])])
        res = optimize.minimize(lambda p: -self.correlation(p, pts), p0, method="Nelder-Mead",
                                options={"initial_simplex": simplex, "xatol": xatol, "fatol": 1e-8,
                                         "maxiter": 2000})
        return res.x, -float(res.fun)

    def coefficients(self, p, pixels) -> np.ndarray:
        """Least-squares channel mix (with constant) at ``pixels``."""
        coef, *_ = np.linalg.lstsq(self.design(p, pixels), self.sem[pixels[:, 0], pixels[:, 1]], rcond=None)
        return coef

    def local_shift_px(self, p, pixels, coef) -> np.ndarray:
        """Shift (x, y), SEM px, that best aligns ``pixels`` alone for the channel mix ``coef``."""
        pts = self.pixel_set(pixels)
        obs = self.sem[pixels[:, 0], pixels[:, 1]]

        def cost(shift):
            q = np.concatenate([p[:2], p[2:] + shift])
            return -float(np.corrcoef(obs, self.design(q, pts) @ coef)[0, 1])

        res = optimize.minimize(cost, np.zeros(2), method="Nelder-Mead",
                                options={"initial_simplex": [[0, 0], [0.5, 0], [0, 0.5]], "xatol": 1e-3,
                                         "fatol": 1e-8, "maxiter": 400})
        return res.x
