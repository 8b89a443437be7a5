"""A generous time guard for size-based tests: a quadratic step fails the test instead of hanging the run.

Not a timing assertion: the sizes are chosen so that linear work takes a few seconds and quadratic
work takes many minutes; the guard only turns the second into a clear failure.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

GENEROUS_SECONDS = 60


class TookMinutes(AssertionError):
    """The guarded work ran past the guard: some step grows faster than its input."""


@contextlib.contextmanager
def finishes_in_reasonable_time(seconds: int = GENEROUS_SECONDS) -> Iterator[None]:
    """Fail the test when the block runs longer than ``seconds`` (main thread only; elsewhere no guard)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise TookMinutes(f"still running after {seconds} s: a step is super-linear in its input")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
