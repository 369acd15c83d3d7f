"""The report's 256-colour preview of a figure, made when the figure is drawn (PIL only, no matplotlib).

The report embeds every figure as a palette PNG.  Quantising a figure costs less than decoding
its file again, so while the renderer draws (:func:`previews_under`), :func:`save_preview` keeps
each PNG's preview under the run's ``.previews/`` folder; the report takes a preview from there
when it is at least as new as its figure, and makes it from the file otherwise.
"""
from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from PIL import Image

#: Colours of the embedded figure previews (the figure files themselves stay full colour).
PREVIEW_COLOURS = 256
#: Folder, in a run's output folder, of the previews made while the figures were drawn.
PREVIEW_DIR = ".previews"
#: Output folder whose figures get a preview while the renderer draws, or None.
_ROOT: ContextVar[Path | None] = ContextVar("scprobe_preview_root", default=None)


def palette_png(img: Image.Image) -> bytes:
    """``img`` as a 256-colour palette PNG.

    Colour-mapped panels use at most a colormap's 256 entries plus antialiased edges, so the
    palette preview differs from the figure by ~1 % of full scale per pixel while being 4-5 times
    smaller.  zlib level 6: level 9 (``optimize``) takes five times as long for a file 7 % smaller.
    """
    preview = img.convert("RGB").quantize(PREVIEW_COLOURS, method=Image.Quantize.FASTOCTREE,
                                          dither=Image.Dither.NONE)
    buf = io.BytesIO()
    preview.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


@contextlib.contextmanager
def previews_under(root: str | os.PathLike) -> Iterator[None]:
    """Within the block, every PNG figure saved under ``root`` also gets its preview in ``root/.previews``."""
    token = _ROOT.set(Path(root).absolute())
    try:
        yield
    finally:
        _ROOT.reset(token)


def preview_path(figure: Path, root: Path) -> Path:
    """Where the preview of ``figure`` (a path under ``root``) is kept."""
    return root / PREVIEW_DIR / Path(figure).absolute().relative_to(Path(root).absolute())


def save_preview(figure: Path, img: Image.Image) -> None:
    """Keep the preview of the figure just written to ``figure`` (only inside :func:`previews_under`)."""
    from scprobe.io import atomic_write

    root = _ROOT.get()
    if root is None:
        return
    try:
        dest = preview_path(figure, root)
    except ValueError:  # a figure outside the run's folder
        return
    with atomic_write(dest, "wb") as fh:
        fh.write(palette_png(img))


def cached_preview(figure: Path, root: Path) -> bytes | None:
    """The kept preview of ``figure`` when it is at least as new as the figure file, else None."""
    try:
        kept = preview_path(figure, root)
        if kept.stat().st_mtime_ns >= Path(figure).stat().st_mtime_ns:
            return kept.read_bytes()
    except (OSError, ValueError):
        pass
    return None
