"""What every figure module shares: atomic figure saving and scale-bar lengths."""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from scprobe.io.base import atomic_path  # noqa: E402


def save_figure(fig, path, dpi: int = 150, tight: bool = True) -> Path:
    """Write ``fig`` atomically (never a half-written file) and close it.

    The format follows the suffix (``.png``, ``.pdf``, ``.svg`` for papers; PNG without one);
    an unknown suffix raises ValueError and writes nothing.
    """
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".").lower() or "png",
                        **({"bbox_inches": "tight"} if tight else {}))
    finally:
        plt.close(fig)
    return path


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
