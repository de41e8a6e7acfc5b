"""A Keithley 2400 role on a RecordingAdapter that behaves like a minimal instrument."""

from __future__ import annotations

import pytest

from labctl.drivers.keithley2400 import Keithley2400, Keithley2400SourceMeter
from labctl.testing import EchoResponder, RecordingAdapter


def make_responder() -> EchoResponder:
    responder = EchoResponder(
        state={":SOURCE:FUNCTION": "VOLT", "OUTPUT": "0", ":SOURCE:VOLTAGE": "0"},
    )

    def read(_query: str) -> str:
        volts = float(responder.state["SOURCE:VOLTAGE"])
        return f"{volts:e},{volts / 1000:e},1e3,0,0"

    responder.answers["READ?"] = read
    return responder


class Bench2400:
    """One simulated 2400 connection that can be broken and re-made."""

    def __init__(self, clock) -> None:
        self.responder = make_responder()
        self.adapters: list[RecordingAdapter] = []
        self.reconnect_works = True
        self.instrument = Keithley2400(self.new_adapter())
        self.smu = Keithley2400SourceMeter(
            self.instrument, name="smu", clock=clock, reconnect=self.reconnect
        )

    def new_adapter(self) -> RecordingAdapter:
        adapter = RecordingAdapter(self.responder)
        self.adapters.append(adapter)
        return adapter

    def reconnect(self) -> RecordingAdapter:
        if not self.reconnect_works:
            raise ConnectionRefusedError("instrument unreachable")
        return self.new_adapter()

    @property
    def writes(self) -> list[str]:
        return [w for adapter in self.adapters for w in adapter.writes]

    @property
    def output_on(self) -> bool:
        return self.responder.state["OUTPUT"] == "1"

    @property
    def volts(self) -> float:
        return float(self.responder.state["SOURCE:VOLTAGE"])


@pytest.fixture
def bench(fake_clock) -> Bench2400:
    return Bench2400(fake_clock)
