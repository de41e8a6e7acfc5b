"""Rigol DG1000Z waveform generators (DG1022Z, DG1032Z, DG1062Z) and the DG800 (DG811/812/821/822/
831/832) and DG900 (DG952/972/992) series, which take the same commands.

pymeasure's :class:`~pymeasure.instruments.rigol.DG800` is not used: its ``shape`` setter always
addresses channel 1 (``:SOUR1:FUNC``), ``pulse_width`` is sent with ``%f`` (16 ns becomes
``0.000000``), ``load`` sends ``inf`` rather than ``INF``, its ``duty_cycle`` is the *pulse* duty
cycle, levels are only reachable through amplitude/offset ``APPL`` forms, and it has no burst,
trigger or edge-time controls. The instrument class here is written on pymeasure's ``Instrument``
and ``Channel`` with declarative controls, one spelling per command, numbers sent with ``%.15g``
(enough for 1 µHz at 100 MHz). The channel attributes carry the same names as pymeasure's
``Agilent33500Channel`` so that one role class drives both families.

Messages per role method (``n`` = channel 1 or 2)
================================================  ============================================
Role method                                       Messages, in order
================================================  ============================================
constructor (first role on the instrument only)   ``*IDN?``
``identify()``                                    ``*IDN?``
``set_load(50)`` / ``set_load(inf)``              ``:OUTPn:LOAD 50`` / ``:OUTPn:LOAD INF``;
                                                  ``:SYST:ERR?``
``sine(f, amp, off)``                             ``:SOURn:FUNC SIN``; ``:SOURn:FREQ <f>``;
                                                  *levels*; ``:SYST:ERR?``
``square(f, high, low, duty)``                    ``:SOURn:FUNC SQU``; ``:SOURn:FREQ?``; then
                                                  ``:SOURn:FUNC:SQU:DCYC <duty·100>`` and
                                                  ``:SOURn:FREQ <f>`` (duty first if f rises);
                                                  *levels*; ``:SYST:ERR?``
``pulse(period, width, high, low, lead, trail)``  ``:SOURn:FUNC PULS``;
                                                  ``:SOURn:FUNC:PULS:TRAN:LEAD 1e-08``;
                                                  ``:SOURn:FUNC:PULS:TRAN:TRA 1e-08``;
                                                  ``:SOURn:FUNC:PULS:WIDT 1.6e-08``;
                                                  ``:SOURn:PER <period>``;
                                                  ``:SOURn:FUNC:PULS:WIDT <width>``;
                                                  ``:SOURn:FUNC:PULS:TRAN:LEAD <lead>`` and
                                                  ``:SOURn:FUNC:PULS:TRAN:TRA <trail>``, each
                                                  only when slower than 10 ns;
                                                  *levels*; ``:SYST:ERR?``
``set_levels(high, low)``                         *levels*; ``:SYST:ERR?``
*levels*                                          ``:SOURn:VOLT:HIGH?``; then
                                                  ``:SOURn:VOLT:LOW <low>`` and
                                                  ``:SOURn:VOLT:HIGH <high>`` (HIGH first when
                                                  the new low is not below the present high)
``burst(N, 'bus')`` / ``'external'``              ``:SOURn:BURS:MODE TRIG``;
                                                  ``:SOURn:BURS:NCYC N``;
                                                  ``:SOURn:BURS:TRIG:SOUR MAN`` / ``… EXT``;
                                                  ``:SOURn:BURS ON``; ``:SYST:ERR?``
``burst(N, 'immediate', p)``                      ``:SOURn:BURS:MODE TRIG``;
                                                  ``:SOURn:BURS:INT:PER <p>``;
                                                  ``:SOURn:BURS:NCYC N``;
                                                  ``:SOURn:BURS:TRIG:SOUR INT``;
                                                  ``:SOURn:BURS ON``; ``:SYST:ERR?``
``burst_off()``                                   ``:SOURn:BURS OFF``; ``:SYST:ERR?``
``trigger()``                                     ``:SOURn:BURS:TRIG``; ``:SYST:ERR?``
``output_on()``                                   ``:OUTPn ON``; ``:SYST:ERR?``
``output_off()``                                  ``:OUTPn OFF``
``output_enabled``                                ``:OUTPn?`` (reply ``ON`` or ``OFF``)
``:SYST:ERR?`` drain                              repeated until the reply's code is 0
================================================  ============================================

Rigol's "manual" burst trigger source is the role's ``'bus'``: ``:SOURn:BURS:TRIG`` fires only
this channel. ``APPL`` is never sent, so configuring a waveform leaves the output as it was.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from pymeasure.instruments import Channel, Instrument, SCPIMixin
from pymeasure.instruments.validators import strict_discrete_set, strict_range

from labctl.drivers.generator_base import (
    LOAD_RANGE,
    FunctionGeneratorBase,
    GeneratorModel,
    model_from_idn,
)

#: ``:OUTP:LOAD?`` answers ``9.900000E+37`` for high impedance.
HIGH_Z_REPLY = 9.9e37
ON_OFF = {True: "ON", False: "OFF"}
#: ``:SOUR:FUNC?`` answers the long form for some shapes.
SHAPE_REPLIES = {"PULSE": "PULS", "NOISE": "NOIS"}


def _number(value: float) -> str:
    return f"{float(value):.15g}"


def _on_off(reply: str) -> str:
    """Normalise an ``ON``/``OFF``/``1``/``0`` reply to ``ON`` or ``OFF``."""
    return "ON" if str(reply).strip().upper() in ("ON", "1") else "OFF"


def _load_value(value: float, values: list[float]) -> float:
    if float(value) == math.inf:
        return math.inf
    return strict_range(float(value), values)


def _load_token(value: float) -> str:
    return "INF" if value == math.inf else _number(value)


def _load_from_reply(value: float) -> float:
    return math.inf if float(value) >= HIGH_Z_REPLY else float(value)


def _number_control(command: str, doc: str, low: float, high: float) -> property:
    return Channel.control(
        f"{command}?",
        f"{command} %s",
        doc,
        validator=strict_range,
        values=[low, high],
        set_process=_number,
    )


class RigolDGChannel(Channel):
    """One output of a DG800/DG900/DG1000Z. Same attribute names as pymeasure's 33500 channel."""

    shape = Channel.control(
        ":SOUR{ch}:FUNC?",
        ":SOUR{ch}:FUNC %s",
        """Control the waveform (str: 'SIN', 'SQU', 'PULS', 'RAMP', 'NOIS', 'DC', 'USER'). The
        reply ``PULSE`` reads back as 'PULS'.""",
        validator=strict_discrete_set,
        values=["SIN", "SQU", "PULS", "RAMP", "NOIS", "DC", "USER"],
        cast=str,
        get_process=lambda v: SHAPE_REPLIES.get(v.strip().upper(), v.strip().upper()),
    )

    frequency = _number_control(
        ":SOUR{ch}:FREQ",
        """Control the frequency in Hz (float, 1 µHz to 100 MHz; the model and waveform narrow
        this).""",
        1e-6,
        100e6,
    )

    pulse_period = _number_control(
        ":SOUR{ch}:PER",
        """Control the waveform period in s (float, 10 ns to 1 Ms; used for pulses).""",
        1e-8,
        1e6,
    )

    voltage_high = _number_control(
        ":SOUR{ch}:VOLT:HIGH",
        """Control the high level in V as seen by the configured load (float, -10 to 10).""",
        -10,
        10,
    )

    voltage_low = _number_control(
        ":SOUR{ch}:VOLT:LOW",
        """Control the low level in V as seen by the configured load (float, -10 to 10).""",
        -10,
        10,
    )

    square_dutycycle = _number_control(
        ":SOUR{ch}:FUNC:SQU:DCYC",
        """Control the square-wave duty cycle in percent (float, 0.01 to 99.99).""",
        0.01,
        99.99,
    )

    pulse_width = _number_control(
        ":SOUR{ch}:FUNC:PULS:WIDT",
        """Control the pulse width in s (float, 16 ns to 1 Ms, below the period minus 32 ns).""",
        16e-9,
        1e6,
    )

    pulse_leading_edge = _number_control(
        ":SOUR{ch}:FUNC:PULS:TRAN:LEAD",
        """Control the pulse rise time (10 %-90 %) in s (float, 10 ns to 0.625 × width).""",
        10e-9,
        1e6,
    )

    pulse_trailing_edge = _number_control(
        ":SOUR{ch}:FUNC:PULS:TRAN:TRA",
        """Control the pulse fall time (90 %-10 %) in s (float, 10 ns to 0.625 × width).""",
        10e-9,
        1e6,
    )

    output = Channel.control(
        ":OUTP{ch}?",
        ":OUTP{ch} %s",
        """Control whether the output is on (bool).""",
        validator=strict_discrete_set,
        values=ON_OFF,
        map_values=True,
        cast=str,
        get_process=_on_off,
    )

    output_load = Channel.control(
        ":OUTP{ch}:LOAD?",
        ":OUTP{ch}:LOAD %s",
        """Control the expected load in Ω (float, 1 to 10 000, or ``math.inf`` for high
        impedance, sent as ``INF``). The instrument scales amplitude, offset and levels for it.""",
        validator=_load_value,
        values=list(LOAD_RANGE),
        set_process=_load_token,
        get_process=_load_from_reply,
    )

    burst_state = Channel.control(
        ":SOUR{ch}:BURS?",
        ":SOUR{ch}:BURS %s",
        """Control whether burst mode is on (bool).""",
        validator=strict_discrete_set,
        values=ON_OFF,
        map_values=True,
        cast=str,
        get_process=_on_off,
    )

    burst_mode = Channel.control(
        ":SOUR{ch}:BURS:MODE?",
        ":SOUR{ch}:BURS:MODE %s",
        """Control the burst type (str: 'TRIG' N cycles, 'INF' infinite, 'GAT' gated).""",
        validator=strict_discrete_set,
        values=["TRIG", "INF", "GAT"],
        cast=str,
    )

    burst_ncycles = Channel.control(
        ":SOUR{ch}:BURS:NCYC?",
        ":SOUR{ch}:BURS:NCYC %d",
        """Control the number of cycles per burst (int, 1 to 500 000).""",
        validator=strict_range,
        values=[1, 500_000],
        cast=lambda v: int(float(v)),
    )

    burst_period = _number_control(
        ":SOUR{ch}:BURS:INT:PER",
        """Control the time from one internally triggered burst to the next in s (float,
        2.0166 µs to 500 s, at least cycles / frequency + 2 µs).""",
        2.0166e-6,
        500,
    )

    trigger_source = Channel.control(
        ":SOUR{ch}:BURS:TRIG:SOUR?",
        ":SOUR{ch}:BURS:TRIG:SOUR %s",
        """Control the burst trigger source (str: 'INT' internal timer, 'EXT' rear-panel input,
        'MAN' manual/remote).""",
        validator=strict_discrete_set,
        values=["INT", "EXT", "MAN"],
        cast=str,
    )

    def burst_trigger(self) -> None:
        """Fire one burst on this channel (trigger source 'MAN')."""
        self.write(":SOUR{ch}:BURS:TRIG")


class RigolDG1000Z(SCPIMixin, Instrument):
    """Rigol DG1000Z / DG800 / DG900 function/arbitrary waveform generator."""

    ch_1 = Instrument.ChannelCreator(RigolDGChannel, 1)
    ch_2 = Instrument.ChannelCreator(RigolDGChannel, 2)

    next_error = Instrument.measurement(
        ":SYST:ERR?",
        """Get the oldest error: [code, message]. Split once: messages contain commas.""",
        maxsplit=1,
    )

    def __init__(
        self, adapter: Any, name: str = "Rigol DG1000Z waveform generator", **kwargs: Any
    ) -> None:
        super().__init__(adapter, name, **kwargs)
        self._model: GeneratorModel | None = None

    @property
    def model(self) -> GeneratorModel:
        """Limits of this model, from ``*IDN?`` on first use (then remembered)."""
        if self._model is None:
            self._model = model_from_idn(self.id, MODELS, "Rigol DG800/DG900/DG1000Z")
        return self._model


def _model(
    name: str,
    channels: int,
    sine: float,
    square: float,
    pulse: float,
    derating: tuple[tuple[float, float], ...] = (),
) -> GeneratorModel:
    # Common to the three series: pulse width >= 16 ns and < period - 2 x 16 ns, edges from 10 ns
    # to 0.625 x width, 1 mVpp into 50 Ω (2 mVpp open circuit) to 20 Vpp open circuit, bursts of
    # 1 to 500 000 cycles every 2.0166 µs to 500 s, burst period >= cycles x period + 2 µs.
    return GeneratorModel(
        name=f"Rigol {name}",
        channels=channels,
        max_sine=sine,
        max_square=square,
        max_pulse=pulse,
        min_pulse_width=16e-9,
        min_edge=10e-9,
        max_edge=math.inf,
        max_amplitude=20.0,
        min_amplitude=2e-3,
        max_burst_cycles=500_000,
        burst_period_range=(2.0166e-6, 500.0),
        burst_overhead=2e-6,
        off_time_factor=2.0,
        amplitude_derating=derating,
    )


#: DG1000Z datasheet: 10 Vpp into 50 Ω up to 10 MHz, 5 Vpp to 30 MHz, 2.5 Vpp to 60 MHz.
DG1000Z_DERATING = ((10e6, 20.0), (30e6, 10.0), (60e6, 5.0))

MODELS: dict[str, GeneratorModel] = {
    spec[0]: _model(*spec)
    for spec in (
        ("DG1022Z", 2, 25e6, 25e6, 15e6, DG1000Z_DERATING),
        ("DG1032Z", 2, 30e6, 25e6, 15e6, DG1000Z_DERATING),
        ("DG1062Z", 2, 60e6, 25e6, 25e6, DG1000Z_DERATING),
        ("DG811", 1, 10e6, 5e6, 5e6),
        ("DG812", 2, 10e6, 5e6, 5e6),
        ("DG821", 1, 25e6, 10e6, 10e6),
        ("DG822", 2, 25e6, 10e6, 10e6),
        ("DG831", 1, 35e6, 10e6, 10e6),
        ("DG832", 2, 35e6, 10e6, 10e6),
        ("DG952", 2, 50e6, 15e6, 15e6),
        ("DG972", 2, 70e6, 20e6, 20e6),
        ("DG992", 2, 100e6, 25e6, 25e6),
    )
}


class RigolDG1000ZGenerator(FunctionGeneratorBase):
    """The ``FunctionGenerator`` role on one output (``channel`` "1" or "2") of a DG1000Z,
    DG800 or DG900."""

    TRIGGER_NAMES: ClassVar[dict[str, str]] = {"immediate": "INT", "external": "EXT", "bus": "MAN"}

    def _identify(self) -> GeneratorModel:
        return self.instrument.model

    def _send_bus_trigger(self) -> None:
        self._ch.burst_trigger()
