"""Memory pages for the transport solver: numpy's transparent huge pages off while it runs (opt-in).

On Linux numpy asks for transparent huge pages (``madvise(MADV_HUGEPAGE)``) on every array of
4 MiB or more.  The solver allocates and frees hundreds of such arrays (sparse products, hierarchy
levels, Schur complements), and where faulting in a fresh huge page is expensive (virtual
machines, memory under pressure) that costs system time in the set-up; ``docs/transport.md``
gives the measurements and ``bench/bench_transport.py`` repeats them.

The switch is numpy's and process-wide, reached through a private function: it changes the paging
of every array any thread allocates meanwhile (never a value).  So it is opt-in: :func:`enable`
(or the environment variable ``SCPROBE_SMALL_PAGES=1``) turns it on for the process, which the
command line does; library calls leave numpy alone by default.  Overlapping uses (threads, nested
calls) share one saved setting under a lock and a count, and the last one out restores it.
"""
from __future__ import annotations

import importlib
import os
import threading
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
_LOCK = threading.Lock()
_users = 0  # contexts in effect, all threads together
_saved: bool | None = None  # numpy's setting before the first of them
_enabled = os.environ.get("SCPROBE_SMALL_PAGES", "").strip() not in ("", "0")


def enable(on: bool = True) -> bool:
    """Let :func:`small_pages` switch huge pages off from now on (``on=False``: stop); returns the
    previous choice."""
    global _enabled
    previous, _enabled = _enabled, bool(on)
    return previous


def enabled() -> bool:
    """Whether :func:`small_pages` acts (see :func:`enable`)."""
    return _enabled


@contextmanager
def small_pages():
    """Context (or decorator, ``@small_pages()``) in which numpy does not request huge pages.

    Does nothing unless :func:`enable` was called (or ``SCPROBE_SMALL_PAGES=1``), on numpy without
    the switch, and on other operating systems.  Safe to nest and to overlap between threads:
    numpy's setting is saved by the first context to enter and restored by the last to leave.
    """
    if not _enabled or _SET_HUGEPAGE is None:
        yield
        return
    global _users, _saved
    with _LOCK:
        if _users == 0:
            _saved = _SET_HUGEPAGE(False)
        _users += 1
    try:
        yield
    finally:
        with _LOCK:
            _users -= 1
            if _users == 0:
                _SET_HUGEPAGE(_saved)
                _saved = None
