"""Memory pages for the transport solver: numpy's transparent huge pages switched off while it runs.

On Linux numpy asks for transparent huge pages (``madvise(MADV_HUGEPAGE)``) on every array of
4 MiB or more.  The solver allocates and frees hundreds of such arrays (sparse products, hierarchy
levels, Schur complements), and on the virtual machines this project runs on each fresh huge page
is expensive to fault in: the set-up of a 1024 x 1024 solve spent 0.1-0.55 s of system time
against <= 0.09 s with ordinary pages, and a 2048 x 2048 ``four_probe`` took 10.4 s instead of
8.3 s wall.  The solve itself was no faster with huge pages.  :func:`small_pages` turns numpy's
request off for the duration of a call and restores the previous setting.
"""
from __future__ import annotations

import importlib
from contextlib import contextmanager


def _hugepage_setter():
    # numpy >= 2 keeps it in numpy._core; importing numpy.core there would warn
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):
        try:
            return importlib.import_module(name)._set_madvise_hugepage
        except (ImportError, AttributeError):
            continue
    return None


_SET_HUGEPAGE = _hugepage_setter()


@contextmanager
def small_pages():
    """Context (or decorator, ``@small_pages()``) in which numpy does not request huge pages.

    Only the paging of new arrays changes, never a value; nesting is safe, and elsewhere
    (numpy without the switch, another operating system) it does nothing.
    """
    if _SET_HUGEPAGE is None:
        yield
        return
    previous = _SET_HUGEPAGE(False)
    try:
        yield
    finally:
        _SET_HUGEPAGE(previous)
