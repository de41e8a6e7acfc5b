"""Turning SIGTERM into an exception, and holding signals off while the safe stop runs.

``kill`` (SIGTERM) must unwind a run through its ``finally`` blocks just as Ctrl-C does, so the
output is ramped down and the run file closed. A second Ctrl-C during the ramp-down must not cut
the ramp-down short: it is held and re-raised afterwards.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

log = logging.getLogger(__name__)


class Terminated(BaseException):
    """Raised in the main thread when the process receives SIGTERM.

    A ``BaseException``, like ``KeyboardInterrupt``, so that ``except Exception`` in user code does
    not swallow it.
    """


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"received signal {signal.Signals(signum).name}")


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then act on the first one received."""
    if not _in_main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except BaseException:
        # An error from the block (a failed safe stop) matters more than the held signal.
        _restore(previous)
        if received:
            log.warning("%s arrived during the safe stop, which failed",
                        signal.Signals(received[0]).name)
        raise
    _restore(previous)
    if received:
        if received[0] == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(f"received signal {signal.Signals(received[0]).name}")


def _restore(previous: dict) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)
