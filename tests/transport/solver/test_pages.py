"""scprobe.transport.solver.pages: numpy's huge-page switch is opt-in and always restored."""
from __future__ import annotations

import threading

import pytest

from scprobe.transport.solver import pages

needs_switch = pytest.mark.skipif(pages._SET_HUGEPAGE is None, reason="numpy has no huge-page switch here")


def _current() -> bool:
    previous = pages._SET_HUGEPAGE(True)
    pages._SET_HUGEPAGE(previous)
    return previous


@pytest.fixture
def opted_in():
    before_enabled, before_flag = pages.enable(True), pages._SET_HUGEPAGE(True)
    yield
    pages.enable(before_enabled)
    pages._SET_HUGEPAGE(before_flag)


@needs_switch
def test_library_calls_leave_numpy_alone_unless_opted_in():
    previous, flag = pages.enable(False), pages._SET_HUGEPAGE(True)
    try:
        with pages.small_pages():
            assert _current() is True
    finally:
        pages.enable(previous)
        pages._SET_HUGEPAGE(flag)


@needs_switch
def test_nested_contexts_restore_the_setting(opted_in):
    with pages.small_pages():
        assert _current() is False
        with pages.small_pages():
            assert _current() is False
        assert _current() is False  # the outer context still runs
    assert _current() is True


@needs_switch
def test_overlapping_threads_restore_the_setting(opted_in):
    # A enters, B enters, A leaves, B leaves: saving and restoring per context would leave the
    # flag off (B saved A's "off"); a shared count restores the setting from before A
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def a():
        with pages.small_pages():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():
        a_in.wait(5)
        with pages.small_pages():
            b_in.set()
            a_out.wait(5)
            seen["b_after_a_left"] = _current()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen["b_after_a_left"] is False  # still off while B runs
    assert _current() is True


@needs_switch
def test_many_threads_restore_the_setting(opted_in):
    barrier = threading.Barrier(8)

    def work():
        for k in range(200):
            with pages.small_pages():
                if k == 0:
                    barrier.wait(5)  # all eight inside at once

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert pages._users == 0 and _current() is True


def test_enable_returns_the_previous_choice():
    previous = pages.enable(True)
    try:
        assert pages.enable(False) is True and pages.enabled() is False
    finally:
        pages.enable(previous)
