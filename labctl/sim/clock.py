"""Simulated time: it moves only when an instrument works or a procedure waits.

Every measurement advances the clock by what it would take on the real instrument (NPLC,
integration time, sweep points), and every ``clock.sleep`` by the time asked for. Whatever depends
on time, such as ion migration or degradation in the device under test, is advanced with it, so a
12-hour stress runs in seconds and still sees 12 hours of physics.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

#: Called with (start time, duration) whenever simulated time advances.
Listener = Callable[[float, float], None]


class SimClock:
    def __init__(self, start: float = 0.0) -> None:
        self._t = float(start)
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()

    def now(self) -> float:
        return self._t

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if not seconds > 0:
            return
        with self._lock:
            start = self._t
            for listener in self._listeners:
                listener(start, seconds)
            self._t = start + seconds

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)
