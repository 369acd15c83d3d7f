"""Helpers for the io tests: hand-made BCR files and Gwyddion's view of a file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def raw_bcr(path: Path, lines: list[str], payload: bytes, *, unicode: bool = False, header_chars: int = 2048,
            newline: str = "\n") -> Path:
    """Write a BCR file byte by byte: ``lines`` padded with spaces to the header size, then ``payload``."""
    text = newline.join(lines) + newline
    if unicode:
        head = text.encode("utf-16-le")
        size = 2 * header_chars
        head += " ".encode("utf-16-le") * ((size - len(head)) // 2)
    else:
        head = text.encode("latin-1")
        head += b" " * (header_chars - len(head))
    path.write_bytes(head + payload)
    return path


@pytest.fixture
def make_bcr():
    return raw_bcr


@pytest.fixture
def gwy_view(oracle, tmp_path):
    """``gwy_view(path) -> (channels json, [arrays])``: what Gwyddion reads (skips without the oracle)."""

    def run(path):
        out = tmp_path / f"npy-{Path(path).name}"
        out.mkdir(exist_ok=True)
        res = oracle("dump", path, "--npy-dir", out)
        arrays = [np.load(c["npy"]) for c in res.get("channels", [])]
        return res, arrays

    return run
