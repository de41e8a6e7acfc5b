"""The ``Oscilloscope`` role: set up, capture once, read waveforms as arrays."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np

Coupling = Literal["dc", "ac"]
Slope = Literal["rising", "falling"]


@dataclass(frozen=True)
class Waveform:
    """One channel's record: ``time`` in s relative to the trigger, ``voltage`` in V."""

    time: np.ndarray
    voltage: np.ndarray
    channel: int

    def __len__(self) -> int:
        return len(self.time)

    @property
    def dt(self) -> float:
        return float(self.time[1] - self.time[0]) if len(self.time) > 1 else 0.0


@dataclass(frozen=True)
class OscilloscopeCapabilities:
    model: str
    channels: int
    bandwidth: float  #: Hz
    max_points: int  #: largest record a single transfer returns


@runtime_checkable
class Oscilloscope(Protocol):
    capabilities: OscilloscopeCapabilities
    lock: threading.RLock

    @property
    def name(self) -> str: ...

    def identify(self) -> str: ...

    def set_timebase(self, scale: float, position: float = 0.0) -> None:
        """``scale`` in s/div; ``position`` is the trigger's offset from the screen centre in s."""
        ...

    def configure_channel(
        self,
        channel: int,
        scale: float,
        offset: float = 0.0,
        coupling: Coupling = "dc",
        enabled: bool = True,
    ) -> None:
        """``scale`` in V/div, ``offset`` in V."""
        ...

    def set_trigger(
        self, source: int | Literal["external"], level: float, slope: Slope = "rising"
    ) -> None: ...

    def set_averaging(self, count: int) -> None:
        """Average ``count`` acquisitions; ``1`` switches averaging off."""
        ...

    def single(self) -> None:
        """Arm a single acquisition."""
        ...

    def wait_for_capture(self, timeout: float = 10.0) -> None:
        """Block until the armed acquisition is complete."""
        ...

    def waveform(self, channel: int, points: int | None = None) -> Waveform:
        """Transfer one channel as a binary block and scale it to volts."""
        ...

    def capture(self, channels: tuple[int, ...], timeout: float = 10.0) -> dict[int, Waveform]:
        """Arm, wait and read ``channels``: one complete single-shot acquisition."""
        ...

    def close(self) -> None: ...
