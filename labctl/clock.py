"""Time as the bench sees it.

Procedures and roles never call :func:`time.sleep` directly: they ask the bench's clock, so that
on the simulated bench a 12-hour stress advances simulated time and finishes in seconds.
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale; only differences are meaningful."""
        ...

    def sleep(self, seconds: float) -> None: ...


class WallClock:
    """Real time, for real instruments."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


WALL_CLOCK = WallClock()
