"""scprobe.transport.solver.parallel: forked children give bit-identical numbers; failing or hung
children are replaced by the parent."""
from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest
from scipy import ndimage

import scprobe.transport.fourprobe as fourprobe
import scprobe.transport.solver.parallel as parallel
from scprobe.transport.solver.parallel import Forked, can_fork, work_timeout

needs_fork = pytest.mark.skipif(not can_fork(), reason="needs fork and two free cores")
PARENT = os.getpid()


class Box:
    def __init__(self, value, *, fail_in_child=False, die_in_child=False, hang_in_child=False,
                 hang_on_build=False):
        if fail_in_child and os.getpid() != PARENT:
            raise RuntimeError("only in the child")
        if hang_on_build and os.getpid() != PARENT:
            threading.Event().wait()  # as a child forked while another thread held a lock
        self.value, self.die, self.hang, self.pid = value, die_in_child, hang_in_child, os.getpid()

    def times(self, k):
        if self.die and os.getpid() != PARENT:
            os._exit(3)
        if self.hang and os.getpid() != PARENT:
            threading.Event().wait()
        return self.value * k, os.getpid()


@pytest.mark.parametrize("fork", [False, pytest.param(True, marks=needs_fork)])
def test_forked_calls(fork):
    box = Forked(Box, 7, fork=fork, timeout_s=60.0)
    try:
        value, pid = box.call("times", 3)
        assert value == 21 and (pid != PARENT) == fork
        box.submit("times", 5)
        assert box.collect()[0] == 35
        assert box.get().value == 7
        box.submit("times", 6)
        deadline = time.monotonic() + 60.0
        while not box.done():  # without a child it is done at once: collect() does the work
            assert fork and time.monotonic() < deadline
            time.sleep(0.01)
        assert box.collect()[0] == 42
    finally:
        box.close()


@needs_fork
def test_done_with_a_dead_child():
    box = Forked(Box, 2, fork=True, timeout_s=60.0, die_in_child=True)
    try:
        box.submit("times", 4)
        deadline = time.monotonic() + 60.0
        while not box.done():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        value, pid = box.collect()
    finally:
        box.close()
    assert value == 8 and pid == PARENT


@needs_fork
@pytest.mark.parametrize("how", ["fail_in_child", "die_in_child"])
def test_failing_child_is_replaced_by_the_parent(how):
    box = Forked(Box, 2, fork=True, timeout_s=60.0, **{how: True})
    try:
        value, pid = box.call("times", 4)
    finally:
        box.close()
    assert value == 8 and pid == PARENT


@needs_fork
@pytest.mark.parametrize("how", ["hang_in_child", "hang_on_build"])
def test_hung_child_is_ended_and_replaced_by_the_parent(how):
    box = Forked(Box, 3, fork=True, timeout_s=1.0, **{how: True})
    child = box._process
    t = time.perf_counter()
    try:
        box.submit("times", 5)  # a large request would block here on a child that never reads
        value, pid = box.collect()
        waited = time.perf_counter() - t
        assert value == 15 and pid == PARENT
        assert not child.is_alive()  # ended, not left behind
        assert box.call("times", 2) == (6, PARENT)  # and the parent keeps the work from now on
    finally:
        box.close()
    assert waited < 10.0


def test_timeout_grows_with_the_work():
    assert work_timeout(0) == parallel.TIMEOUT_BASE_S
    assert work_timeout(4_000_000) > work_timeout(1_000_000) > work_timeout(0)
    with pytest.raises(ValueError):
        Forked(Box, 1, fork=False, timeout_s=0.0)


def _landscape(n=192, seed=3):
    f = ndimage.gaussian_filter(np.random.default_rng(seed).standard_normal((n, n)), 3.0)
    return f > np.quantile(f, 0.6)


@needs_fork
def test_two_core_four_probe_is_bit_identical(monkeypatch):
    mask = _landscape()
    serial = fourprobe.four_probe(mask, contacts="vdp", method="amg")
    monkeypatch.setattr(parallel, "FORK_MIN_UNKNOWNS", 0)
    forked = fourprobe.four_probe(mask, contacts="vdp", method="amg")
    assert forked.solver.method == "amg" and forked.resistance.r_a_rsq > 0
    assert forked.to_dict() == serial.to_dict()
    assert np.array_equal(forked.current_density, serial.current_density)
    assert np.array_equal(forked.potential, serial.potential, equal_nan=True)


@needs_fork
def test_two_core_percolate_is_bit_identical(monkeypatch):
    import scprobe.transport.extrapolate as extrapolate

    mask = _landscape(128, seed=4)
    kwargs = dict(sample_size_m=2e-6, pixel_size_m=20e-9, realizations=5, seed=2, max_cells_per_side=64)
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    serial = extrapolate.percolate(mask, **kwargs)
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    monkeypatch.setattr(parallel, "FORK_MIN_UNKNOWNS", 0)
    forked = extrapolate.percolate(mask, **kwargs)
    assert forked.to_dict() == serial.to_dict()
    for dim in (2, 3):
        a, b = forked.answer(dim), serial.answer(dim)
        assert len(a.r_ratios) == 5 and np.array_equal(a.example, b.example)
