"""``collector_paused``: the cyclic garbage collector is off inside, restored after, re-entrant
across nested and overlapping (threaded) pauses, and left off when it was off before."""

from __future__ import annotations

import gc
import threading

import pytest

from accord.intel.bulk import collector_paused


@pytest.fixture(autouse=True)
def _restore_collector():
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def _fail_while_paused(states: list[bool]) -> None:
    with collector_paused():
        states.append(gc.isenabled())
        raise ValueError("boom")


def test_paused_inside_and_restored_after_even_on_error():
    gc.enable()
    states: list[bool] = []
    with pytest.raises(ValueError, match="boom"):
        _fail_while_paused(states)
    assert states == [False]
    assert gc.isenabled()


def test_nested_pauses_restore_only_at_the_outermost():
    gc.enable()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_overlapping_pauses_in_two_threads():
    gc.enable()
    inside = threading.Event()
    release = threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)
        seen.append(gc.isenabled())

    thread = threading.Thread(target=other)
    with collector_paused():
        thread.start()
        assert inside.wait(5)
    # This thread's pause ended first: the other one still holds it.
    assert not gc.isenabled()
    release.set()
    thread.join(5)
    assert seen == [True]
    assert gc.isenabled()
