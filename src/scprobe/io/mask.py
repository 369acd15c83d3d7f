"""Boolean masks from files: ``.npy`` arrays, images and Gwyddion ``/N/mask`` fields."""
from __future__ import annotations

import os

import numpy as np

from scprobe.errors import FormatError
from scprobe.io.base import check_path

#: Image suffixes read as masks (through Pillow).
MASK_IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".bmp")
#: Most pixels a compressed image can decode to per byte of file.
_MAX_PIXELS_PER_BYTE = 8 * 1100


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a boolean mask, True = masked (conducting, for a reference mask).

    Parameters
    ----------
    path : path-like
        ``.npy`` (nonzero is True), an image (above half of its maximum is True)
        or a ``.gwy`` file (the first channel that carries a mask).

    Returns
    -------
    ndarray of bool, shape (ny, nx)

    Raises
    ------
    FormatError
        Unreadable or non-2-D files, and ``.gwy`` files without a mask.
    """
    p = check_path(path)
    suffix = p.suffix.lower()
    if suffix == ".npy":
        try:
            arr = np.load(p, allow_pickle=False, mmap_mode="r")
        except (ValueError, OSError, EOFError) as exc:
            raise FormatError(p, f"not a readable .npy array ({exc})") from None
    elif suffix in MASK_IMAGE_SUFFIXES:
        arr = _read_image(p)
    elif suffix == ".gwy":
        from scprobe.io.registry import read_channels

        arr = next((c.mask for c in read_channels(p) if c.mask is not None), None)
        if arr is None:
            raise FormatError(p, "no channel of this .gwy file has a mask")
    else:
        raise FormatError(p, "a mask must be .npy, .png/.tif/.bmp or a .gwy file with a mask")
    arr = np.asarray(arr)
    if arr.ndim != 2 or arr.size == 0:
        raise FormatError(p, f"a mask must be a 2-D array, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise FormatError(p, f"a mask must be numeric or boolean, got dtype {arr.dtype}")
    return arr.astype(bool) if arr.dtype == bool else np.nan_to_num(arr.astype(float)) != 0


def _read_image(p) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(p) as im:
            # Pillow has read only the header here: refuse sizes the file cannot hold before decoding
            # (zlib compresses at most ~1032:1, and a 1-bit image packs 8 pixels per byte)
            w, h = im.size
            if w * h > _MAX_PIXELS_PER_BYTE * p.stat().st_size:
                raise FormatError(p, f"image claims {w} x {h} pixels, more than the file can hold")
            arr = np.asarray(im.convert("L"), dtype=float)
    except (OSError, Image.DecompressionBombError, ValueError, SyntaxError) as exc:
        raise FormatError(p, f"not a readable image ({exc})") from None
    return arr > 0.5 * arr.max() if arr.max() > 0 else arr > 0
