"""Shared fixtures: a fake clock that records sleeps instead of waiting."""

from __future__ import annotations

import pytest


class FakeClock:
    """A clock whose time moves only when something sleeps; records every sleep."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(seconds, 0.0)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
