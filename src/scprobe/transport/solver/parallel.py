"""Independent work on one network side by side, in a forked child process.

pyamg's relaxation kernels hold the GIL, so threads cannot share the solves of a large network
between cores.  A forked child inherits the parent's memory (the network, its AMG hierarchy)
without copying or pickling it, runs the same code on the same data with one BLAS thread, and
sends back only what is asked of it: results are bit-identical to a serial run, whether or not a
second core was used.

If the child cannot start, dies, fails or does not answer in time (a child forked from a process
with other threads can deadlock on a lock one of them held), the parent ends it and computes the
same thing itself.
"""
from __future__ import annotations

import multiprocessing
import os

#: Below this many unknowns the work stays in the parent (forking a large process has a fixed
#: cost that small systems do not recover; see docs/transport.md).
FORK_MIN_UNKNOWNS = 200_000
#: Time allowed to a child for any work, s, plus :data:`TIMEOUT_PER_UNKNOWN` per unknown.
TIMEOUT_BASE_S = 60.0
#: Time allowed per unknown of the work, s: some 25 times the set-up and solve time of a network
#: unknown on a quiet 2-core machine (2 us) and 3.5 times that at a load average of 15 on it
#: (14 us), so only a child that hangs reaches it; a child that merely runs late is recomputed.
TIMEOUT_PER_UNKNOWN_S = 5e-5


def free_cores() -> int:
    """Cores this process may use (its CPU affinity, not the machine's core count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether a forked helper process is possible and useful here.

    Not on platforms without ``fork``, not from a daemonic process (a dask or multiprocessing
    worker, whose pool already owns the cores), and not with a single core.
    """
    return ("fork" in multiprocessing.get_all_start_methods()
            and not multiprocessing.current_process().daemon
            and free_cores() >= 2)


def worth_forking(unknowns: int) -> bool:
    """Whether work on a system of ``unknowns`` unknowns should go to a forked helper."""
    return unknowns >= FORK_MIN_UNKNOWNS and can_fork()


def work_timeout(unknowns: int) -> float:
    """Seconds a child may take to answer for work on ``unknowns`` unknowns before it counts as hung."""
    return TIMEOUT_BASE_S + TIMEOUT_PER_UNKNOWN_S * max(int(unknowns), 0)


def _serve(conn, factory, args, kwargs) -> None:
    """The child: build the object, say whether that worked, then answer requests until ``None``."""
    try:
        obj = factory(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - reported; the parent recomputes
        conn.send((False, repr(exc)))
        return
    conn.send((True, None))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        name, call_args = request
        try:
            conn.send((True, obj if name is None else getattr(obj, name)(*call_args)))
        except BaseException as exc:  # noqa: BLE001
            conn.send((False, repr(exc)))


class Forked:
    """The object ``factory(*args, **kwargs)``, built in a forked child when ``fork`` is true.

    :meth:`call` runs one of its methods in the child and returns the answer (:meth:`submit` and
    :meth:`collect` do the same in two steps, so the parent can work meanwhile); :meth:`get`
    returns the object itself (pickled, so keep it small).  Without a child, or when the child fails, the
    object is built here on first use and the same methods run here.  :meth:`close` ends the child.

    ``timeout_s`` bounds each wait for the child (see :func:`work_timeout`): for the object to be
    built, before the first request is sent (a request larger than the pipe's buffer would block
    the sender until a reader takes it), and for each answer.  A child that has not answered by
    then is ended and the parent does the work, as when the child dies.
    """

    def __init__(self, factory, *args, fork: bool, timeout_s: float, **kwargs):
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s!r}")
        self._factory, self._args, self._kwargs = factory, args, kwargs
        self.timeout_s = float(timeout_s)
        self._local, self._built = None, False
        self._pending = None
        self._ready = False
        self._process = self._conn = None
        if fork:
            ctx = multiprocessing.get_context("fork")
            self._conn, child_end = ctx.Pipe(duplex=True)
            self._process = ctx.Process(target=_serve, args=(child_end, factory, args, kwargs), daemon=True)
            try:
                self._process.start()
            except OSError:  # no memory or process slots left: work here instead
                self._process = None
            child_end.close()

    def get(self):
        """The object."""
        self._send(None, ())
        return self.collect()

    def call(self, name: str, *args):
        """``object.name(*args)``."""
        self._send(name, args)
        return self.collect()

    def submit(self, name: str, *args) -> None:
        """Start ``object.name(*args)`` and return at once; :meth:`collect` gets the answer."""
        self._send(name, args)

    def _send(self, name, args) -> None:
        self._pending = (name, args)
        if self._process is not None and not self._ready:
            self._ready = self._receive()[0]  # the child has built the object and waits in recv()
            if not self._ready:
                self.close()
        if self._process is not None:
            try:
                self._conn.send(self._pending)
            except OSError:
                self.close()

    def _receive(self) -> tuple[bool, object]:
        """The child's next message, or ``(False, None)`` when it died or did not answer in time."""
        try:
            # poll first: a hung child never closes its end, so recv() alone would wait forever
            return self._conn.recv() if self._conn.poll(self.timeout_s) else (False, None)
        except (EOFError, OSError):
            return False, None

    def done(self) -> bool:
        """Whether :meth:`collect` would return without waiting for the child (always true without
        one: the work then runs in :meth:`collect`)."""
        if self._process is None:
            return True
        try:
            return self._conn.poll(0)
        except (EOFError, OSError):
            return True  # a dead child: collect() does the work here

    def collect(self):
        """The answer to the last :meth:`submit`."""
        name, args = self._pending
        if self._process is not None:
            ok, value = self._receive()
            if ok:
                return value
            self.close()
        return self._here(name, args)

    def _here(self, name, args):
        if not self._built:
            self._local, self._built = self._factory(*self._args, **self._kwargs), True
        return self._local if name is None else getattr(self._local, name)(*args)

    def close(self) -> None:
        """End the child, if any (the object stays available here)."""
        if self._process is None:
            return
        try:
            self._conn.send(None)
        except OSError:
            pass
        self._process.join(timeout=1.0)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=1.0)
        if self._process.is_alive():  # a child blocked with SIGTERM masked
            self._process.kill()
            self._process.join()
        self._conn.close()
        self._process = None
