"""Results of pure functions of large arrays, kept by the arrays' content.

The stages of a study ask for the same derived data again and again (the conducting mask of the
8 K map: map, each compare pair, the fwd/bwd references, series, transport, composition; the
levelled topography of a reference scan: every pair it is registered in).  A :class:`ContentMemo`
keeps the last answers in this process, keyed by a digest of the input's bytes and the other
arguments, so an answer can never be stale, and hands out deep copies, so a caller that changes
its copy never changes the kept one.  Results are the same with or without it, whatever the
number of workers.
"""
from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np


class ContentMemo:
    """Least-recently-used answers of a function of one large float array.

    Parameters
    ----------
    max_bytes : int
        Bytes of input arrays whose answers are kept; the oldest are forgotten beyond it.  An input
        larger than a quarter of it is never kept (a large map is rarely asked for twice in one
        process, and its copy would count against the memory of the command).
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._kept: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, compute: Callable[..., Any], array: np.ndarray, *args) -> Any:
        """``compute(array, *args)``, or a copy of its kept answer for the same bytes and arguments.

        ``array`` must be C-contiguous; ``args`` must be hashable.
        """
        key = (hashlib.blake2b(array.view(np.uint8).ravel(), digest_size=20).digest(), array.shape,
               array.dtype.str, args)
        with self._lock:
            hit = self._kept.get(key)
            if hit is not None:
                self._kept.move_to_end(key)
        if hit is not None:
            return copy.deepcopy(hit[0])
        result = compute(array, *args)
        if array.nbytes > self.max_bytes // 4:
            return result
        with self._lock:
            self._kept[key] = (copy.deepcopy(result), array.nbytes)
            while len(self._kept) > 1 and sum(n for _, n in self._kept.values()) > self.max_bytes:
                self._kept.popitem(last=False)
        return result

    def clear(self) -> None:
        """Forget every kept answer (e.g. to time the computation itself)."""
        with self._lock:
            self._kept.clear()
