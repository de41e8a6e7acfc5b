"""Keysight (Agilent) 33500B Trueform waveform generators: 33509B/33510B/33511B/33512B (20 MHz) and
33519B/33520B/33521B/33522B (30 MHz), one or two channels.

The instrument class extends pymeasure's :class:`~pymeasure.instruments.agilent.Agilent33500` and
its channel class, keeping pymeasure's command spelling and number formats (``%f`` for Hz, V and %,
``%e`` for seconds). It replaces what is unsound for this role:

* ``voltage_high``/``voltage_low`` are limited to ±5 V there (the 50 Ω window); into a high-Z load
  the 33500B reaches ±10 V, so the instrument class allows ±10 V and the role checks the window
  for the configured load.
* ``output_load`` sent ``inf`` as ``OUTP1:LOAD inf``; here infinity is sent as ``INF`` and the
  ``9.9E+37`` reply read back as ``inf``.
* ``trigger_source`` exists only instrument-wide (``TRIG:SOUR``, channel 1); the channel gets its
  own ``TRIG{ch}:SOUR``. Separate leading/trailing edges (``FUNC:PULS:TRAN:LEAD``/``:TRA``) are
  added.
* ``burst_ncycles`` stopped at 99 999; the 33500B takes up to 100 000 000.
* ``SYST:ERR?`` messages may contain commas; the reply is split once only.

Messages per role method (``n`` = channel 1 or 2; values as formatted on the wire)
================================================  ============================================
Role method                                       Messages, in order
================================================  ============================================
constructor (first role on the instrument only)   ``*IDN?``
``identify()``                                    ``*IDN?``
``set_load(50)`` / ``set_load(inf)``              ``OUTPn:LOAD 50`` / ``OUTPn:LOAD INF``;
                                                  ``SYST:ERR?``
``sine(f, amp, off)``                             ``SOURn:FUNC SIN``; ``SOURn:FREQ <f %f>``;
                                                  *levels*; ``SYST:ERR?``
``square(f, high, low, duty)``                    ``SOURn:FUNC SQU``; ``SOURn:FREQ?``; then
                                                  ``SOURn:FUNC:SQU:DCYC <duty·100 %f>`` and
                                                  ``SOURn:FREQ <f %f>`` (duty first if f rises);
                                                  *levels*; ``SYST:ERR?``
``pulse(period, width, high, low, lead, trail)``  ``SOURn:FUNC PULS``;
                                                  ``SOURn:FUNC:PULS:TRAN:LEAD 8.400000e-09``;
                                                  ``SOURn:FUNC:PULS:TRAN:TRA 8.400000e-09``;
                                                  ``SOURn:FUNC:PULS:WIDT 1.600000e-08``;
                                                  ``SOURn:FUNC:PULS:PER <period %e>``;
                                                  ``SOURn:FUNC:PULS:WIDT <width %e>``;
                                                  ``SOURn:FUNC:PULS:TRAN:LEAD <lead %e>`` and
                                                  ``SOURn:FUNC:PULS:TRAN:TRA <trail %e>``, each
                                                  only when slower than 8.4 ns;
                                                  *levels*; ``SYST:ERR?``
``set_levels(high, low)``                         *levels*; ``SYST:ERR?``
*levels*                                          ``SOURn:VOLT:HIGH?``; then
                                                  ``SOURn:VOLT:LOW <low %f>`` and
                                                  ``SOURn:VOLT:HIGH <high %f>`` (HIGH first when
                                                  the new low is not below the present high)
``burst(N, 'bus')`` / ``'external'``              ``SOURn:BURS:MODE TRIG``; ``SOURn:BURS:NCYC N``;
                                                  ``TRIGn:SOUR BUS`` / ``TRIGn:SOUR EXT``;
                                                  ``SOURn:BURS:STAT 1``; ``SYST:ERR?``
``burst(N, 'immediate', p)``                      ``SOURn:BURS:MODE TRIG``;
                                                  ``SOURn:BURS:INT:PER <p %e>``;
                                                  ``SOURn:BURS:NCYC N``; ``TRIGn:SOUR IMM``;
                                                  ``SOURn:BURS:STAT 1``; ``SYST:ERR?``
``burst_off()``                                   ``SOURn:BURS:STAT 0``; ``SYST:ERR?``
``trigger()``                                     ``*TRG``; ``SYST:ERR?``
``output_on()``                                   ``OUTPn 1``; ``SYST:ERR?``
``output_off()``                                  ``OUTPn 0``
``output_enabled``                                ``OUTPn?`` (reply ``1`` or ``0``)
``SYST:ERR?`` drain                               repeated until the reply's code is 0
================================================  ============================================

``*TRG`` fires every channel whose trigger source is BUS: with both channels in bus-triggered
burst, one ``trigger()`` starts both (in step, which is usually what a two-channel experiment
wants). Configuring a waveform never sends ``APPL``, which would switch the output on.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from pymeasure.instruments import Instrument
from pymeasure.instruments.agilent.agilent33500 import Agilent33500, Agilent33500Channel
from pymeasure.instruments.validators import strict_discrete_set, strict_range

from labctl.drivers.generator_base import (
    LOAD_RANGE,
    FunctionGeneratorBase,
    GeneratorModel,
    model_from_idn,
)

#: ``OUTP:LOAD?`` answers this (or more) for high impedance.
HIGH_Z_REPLY = 9.9e37


def _load_value(value: float, values: list[float]) -> float:
    """Validator: 1 Ω to 10 kΩ, or infinity."""
    if float(value) == math.inf:
        return math.inf
    return strict_range(float(value), values)


def _load_token(value: float) -> str:
    return "INF" if value == math.inf else f"{value:.15g}"


def _load_from_reply(value: float) -> float:
    return math.inf if float(value) >= HIGH_Z_REPLY else float(value)


class Keysight33500BChannel(Agilent33500Channel):
    """One output of a 33500B. Commands as pymeasure sends them, with the ranges of the 33500B."""

    voltage_high = Instrument.control(
        "SOUR{ch}:VOLT:HIGH?",
        "SOUR{ch}:VOLT:HIGH %f",
        """Control the high level in V as seen by the configured load (float, -10 to 10; the
        instrument narrows this to ±5 V into 50 Ω).""",
        validator=strict_range,
        values=[-10, 10],
    )

    voltage_low = Instrument.control(
        "SOUR{ch}:VOLT:LOW?",
        "SOUR{ch}:VOLT:LOW %f",
        """Control the low level in V as seen by the configured load (float, -10 to 10; the
        instrument narrows this to ±5 V into 50 Ω).""",
        validator=strict_range,
        values=[-10, 10],
    )

    square_dutycycle = Instrument.control(
        "SOUR{ch}:FUNC:SQU:DCYC?",
        "SOUR{ch}:FUNC:SQU:DCYC %f",
        """Control the square-wave duty cycle in percent (float, 0.01 to 99.99, narrowed by the
        instrument at high frequency: neither half shorter than 16 ns).""",
        validator=strict_range,
        values=[0.01, 99.99],
    )

    pulse_leading_edge = Instrument.control(
        "SOUR{ch}:FUNC:PULS:TRAN:LEAD?",
        "SOUR{ch}:FUNC:PULS:TRAN:LEAD %e",
        """Control the pulse rise time (10 %-90 %) in s (float, 8.4 ns to 1 µs, at most 0.625 ×
        the pulse width).""",
        validator=strict_range,
        values=[8.4e-9, 1e-6],
    )

    pulse_trailing_edge = Instrument.control(
        "SOUR{ch}:FUNC:PULS:TRAN:TRA?",
        "SOUR{ch}:FUNC:PULS:TRAN:TRA %e",
        """Control the pulse fall time (90 %-10 %) in s (float, 8.4 ns to 1 µs, at most 0.625 ×
        the pulse width).""",
        validator=strict_range,
        values=[8.4e-9, 1e-6],
    )

    output_load = Instrument.control(
        "OUTP{ch}:LOAD?",
        "OUTP{ch}:LOAD %s",
        """Control the expected load in Ω (float, 1 to 10 000, or ``math.inf`` for high
        impedance, sent as ``INF``). The instrument scales amplitude, offset and levels for it.""",
        validator=_load_value,
        values=list(LOAD_RANGE),
        set_process=_load_token,
        get_process=_load_from_reply,
    )

    burst_ncycles = Instrument.control(
        "SOUR{ch}:BURS:NCYC?",
        "SOUR{ch}:BURS:NCYC %d",
        """Control the number of cycles per burst (int, 1 to 100 000 000).""",
        validator=strict_range,
        values=[1, 100_000_000],
        cast=lambda v: int(float(v)),
    )

    trigger_source = Instrument.control(
        "TRIG{ch}:SOUR?",
        "TRIG{ch}:SOUR %s",
        """Control this channel's trigger source for bursts (str: 'IMM', 'EXT' or 'BUS').""",
        validator=strict_discrete_set,
        values=["IMM", "EXT", "BUS"],
        cast=str,
    )


class Keysight33500B(Agilent33500):
    """Keysight 33500B-series waveform generator (one or two outputs)."""

    ch_1 = Instrument.ChannelCreator(Keysight33500BChannel, 1)
    ch_2 = Instrument.ChannelCreator(Keysight33500BChannel, 2)

    next_error = Instrument.measurement(
        "SYST:ERR?",
        """Get the oldest error: [code, message]. Split once: 33500B messages contain commas.""",
        maxsplit=1,
    )

    def __init__(
        self, adapter: Any, name: str = "Keysight 33500B waveform generator", **kwargs: Any
    ) -> None:
        super().__init__(adapter, name, **kwargs)
        self._model: GeneratorModel | None = None

    @property
    def model(self) -> GeneratorModel:
        """Limits of this model, from ``*IDN?`` on first use (then remembered)."""
        if self._model is None:
            self._model = model_from_idn(self.id, MODELS, "Keysight 33500B")
        return self._model


def _model(name: str, channels: int, max_frequency: float) -> GeneratorModel:
    # 33500B datasheet: sine, square and pulse share the frequency limit; pulse width 16 ns
    # minimum (and at most period - 16 ns), edges 8.4 ns to 1 µs; 1 mVpp to 10 Vpp into 50 Ω,
    # i.e. 2 mVpp to 20 Vpp open circuit; bursts of 1 to 1e8 cycles, burst period 1 µs to 8000 s.
    return GeneratorModel(
        name=f"Keysight {name}",
        channels=channels,
        max_sine=max_frequency,
        max_square=max_frequency,
        max_pulse=max_frequency,
        min_pulse_width=16e-9,
        min_edge=8.4e-9,
        max_edge=1e-6,
        max_amplitude=20.0,
        min_amplitude=2e-3,
        max_burst_cycles=100_000_000,
        burst_period_range=(1e-6, 8000.0),
        burst_overhead=1e-6,
        off_time_factor=1.0,
    )


MODELS: dict[str, GeneratorModel] = {
    name: _model(name, channels, frequency)
    for name, channels, frequency in (
        ("33509B", 1, 20e6),
        ("33510B", 2, 20e6),
        ("33511B", 1, 20e6),
        ("33512B", 2, 20e6),
        ("33519B", 1, 30e6),
        ("33520B", 2, 30e6),
        ("33521B", 1, 30e6),
        ("33522B", 2, 30e6),
    )
}


class Keysight33500BGenerator(FunctionGeneratorBase):
    """The ``FunctionGenerator`` role on one output (``channel`` "1" or "2") of a 33500B."""

    TRIGGER_NAMES: ClassVar[dict[str, str]] = {"immediate": "IMM", "external": "EXT", "bus": "BUS"}

    def _identify(self) -> GeneratorModel:
        return self.instrument.model

    def _send_bus_trigger(self) -> None:
        self.instrument.write("*TRG")
