"""Simulated function generators: Keysight 33500B (33522B, 33511B) and Rigol DG1000Z (DG1062Z,
DG1022Z), each output of which can drive the simulated device under test.

Channels and the optional root
    ``SOURce[n]`` is an optional root on both families and ``OUTPut[n]``/``TRIGger[n]`` take an
    optional channel suffix: ``FREQ 1e3``, ``SOUR:FREQ 1e3`` and ``SOURce1:FREQuency 1e3`` all mean
    channel 1. :meth:`GeneratorSim.respond` rewrites every command to a channel-free handler key
    (``SOUR:FREQ``) plus the channel, and to a channel-explicit form (``SOUR1:FREQ 1E3``) for the
    command table. A channel the model lacks is error -114.

Levels and the load setting
    The output has a 50 Ω source impedance. Internally every level is the open-circuit voltage
    (EMF); ``OUTP:LOAD`` only scales what is programmed and read back (levels "into the load
    setting"), exactly as both manuals describe: changing the load setting changes the displayed
    amplitude, not the output, and queues no error. The limits are ±10 V and 20 Vpp open circuit
    (±5 V, 10 Vpp into 50 Ω), at least 2 mVpp open circuit, derated with frequency on the DG1000Z.
    What the device under test sees is the EMF divided by the *actual* termination, the resource
    option ``load`` (Ω or ``inf``; a number for every channel or a mapping by channel; default
    50 Ω, a feed-through termination at the device). So the device sees the programmed levels
    exactly when the load setting matches that option, and twice them when a 50 Ω setting drives a
    high-impedance device, as on a real bench. The device's own impedance is not in the divider.

Range checks and errors (what both manuals describe, reduced to two rules)
    * A value outside what the present state allows for it (frequency above the function's
      limit, width not below the period minus the minimum off time, duty cycle too extreme for the
      frequency, level or amplitude beyond the window of the load setting, ...) is clipped to the
      nearest allowed value and error -222 "Data out of range" is queued.
    * A value that forces *another* setting to change (a higher frequency that no longer fits the
      pulse width, a high level set below the low level, a burst count that no longer fits the
      burst period, ...) changes that setting to the nearest valid value and queues -221
      "Settings conflict". Changing the *function* refits the new function's stored parameters
      (duty cycle, width, edges, amplitude) silently, as the front panel does; only a frequency
      above the new function's limit is a -221 on the 33500B (the DG1000Z shows a message).
    Unknown keywords are -224, unknown headers -113, missing parameters -109.

What the device under test sees (:meth:`GeneratorSim.dut_waveform`)
    The first channel wired to ``dut`` (resource option ``channels``, e.g. ``{"1": dut, "2":
    none}``; default channel 1) whose output is on, as a :class:`PeriodicDrive`: sine, square (duty
    cycle), pulse (width and edges) and DC map directly; ramp, triangle, PRBS, harmonic and
    arbitrary waveforms are given as a sine between the same high and low levels (same extremes
    and, for symmetric shapes, the same mean), noise as DC at the offset. An inverted output
    (``OUTP:POL INV``) is mirrored about the offset.

    Burst mode, for the device's slow state: a triggered burst is treated as the continuous pulse
    train (a :class:`PeriodicDrive` cannot stop after N cycles). An internally triggered burst
    counts as triggered from the start; a burst waiting for a bus, manual or external trigger
    holds the idle level (DC: the low level for square and pulse, the offset otherwise, or the
    DG1000Z's ``BURS:IDLE`` choice) until ``*TRG``, ``TRIG[n]`` or ``:SOUR[n]:BURS:TRIG`` fires it.
    External triggers and gates never arrive on the simulated bench. Re-arming (burst state,
    mode or trigger source changed, ``*RST``) returns to the idle level.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from labctl.errors import BenchError
from labctl.sim.instrument import (
    DATA_OUT_OF_RANGE,
    ILLEGAL_PARAMETER,
    SETTINGS_CONFLICT,
    SimInstrument,
    command,
)
from labctl.sim.instruments.generator_specs import (
    _ROOT,
    CHANNEL_ROOTS,
    CREST_PP_RMS,
    HEADER_SUFFIX_OUT_OF_RANGE,
    HIGH_Z,
    INSTRUMENT_ROOTS,
    KEYSIGHT_FUNCTIONS,
    LOAD_RANGE,
    RIGOL_FUNCTIONS,
    SOURCE_IMPEDANCE,
    SPECS,
    ChannelCommand,
    ChannelState,
    GeneratorSpec,
    _slack,
    divider,
    parse_load,
    parse_number,
)
from labctl.sim.scpi import Command, short_form
from labctl.sim.waveform import PeriodicDrive


# -------------------------------------------------------------------------------- the model
class GeneratorSim(SimInstrument):
    """What both generator families share; subclasses set the dialect (reply formats, names).

    Shared commands, per channel (``[SOURce[n]:]`` optional, ``n`` = 1 when omitted; queries take
    ``MINimum``/``MAXimum`` where the instruments do, settings ``MIN``/``MAX``/``DEF``):
    ``FUNC``, ``FREQ``, ``VOLT``, ``VOLT:OFFS``, ``VOLT:HIGH``, ``VOLT:LOW``, ``VOLT:UNIT``
    (VPP, VRMS, DBM), ``FUNC:SQU:DCYC``, ``FUNC:PULS:WIDT``, ``FUNC:PULS:DCYC``,
    ``FUNC:PULS:TRAN:LEAD``, ``FUNC:PULS:TRAN:TRA``, ``BURS:MODE``, ``BURS:NCYC``,
    ``BURS:INT:PER``, ``APPL:<function> [f[,amplitude[,offset]]]`` (output on, burst off),
    ``APPL?``, ``OUTP[n]``, ``OUTP[n]:LOAD`` (Ω, ``INF``, ``MIN``, ``MAX``); the plain settings of
    the command table (phase, ramp symmetry, ...); ``*TRG``, ``*RST``, ``*CLS``, ``*OPC?``,
    ``*STB?``, ``SYST:ERR?``, ``SYST:BEEP``, ``*IDN?`` and ``SYST:VERS?`` (table).
    """

    optional_nodes: tuple[str, ...] = ("LEV", "IMM", "AMPL", "FIX", "BOTH")
    #: Accepted burst trigger sources.
    TRIGGER_SOURCES: ClassVar[tuple[str, ...]] = ()
    #: Trigger sources that fire without a trigger command.
    SELF_TRIGGERED: ClassVar[frozenset[str]] = frozenset()
    #: The trigger source ``*TRG`` fires.
    BUS_SOURCE: ClassVar[str] = ""
    BURST_MODES: ClassVar[tuple[str, ...]] = ("TRIG", "GAT")
    #: A function change that lowers the frequency queues -221 (the 33500B; the DG1000Z only
    #: shows a message).
    FUNCTION_CHANGE_CONFLICTS: ClassVar[bool] = False
    #: ``BURS:NCYC INFinity`` accepted (the 33500B; the DG1000Z has ``BURS:MODE INF`` instead).
    INFINITE_CYCLES: ClassVar[bool] = False
    #: Long forms some functions are answered with.
    FUNCTION_REPLIES: ClassVar[dict[str, str]] = {}
    #: Keywords accepted as function names beyond the short forms.
    FUNCTION_ALIASES: ClassVar[dict[str, str]] = {}

    def __init__(
        self, bench: Any, device: Any, resource_name: str, options: dict[str, Any]
    ) -> None:
        super().__init__(bench, device, resource_name, options)
        self.spec = self._spec_from_idn()
        numbers = [str(n) for n in range(1, self.spec.channels + 1)]
        wiring = self.options.get("channels") or {"1": "dut"}
        if not isinstance(wiring, Mapping):
            raise BenchError(f"resources.{resource_name}.channels: expected a mapping")
        self.wiring = {str(k): str(v).lower() for k, v in wiring.items()}
        unknown = sorted(set(self.wiring) - set(numbers))
        if unknown:
            raise BenchError(
                f"resources.{resource_name}.channels: {unknown} are not outputs of the "
                f"{self.spec.model}; it has {numbers}"
            )
        load = self.options.get("load", 50.0)
        where = f"resources.{resource_name}.load"
        self.actual_load = {
            n: parse_load(load.get(n, load.get(int(n), 50.0)) if isinstance(load, Mapping)
                          else load, where)
            for n in numbers
        }
        self.channels: dict[int, ChannelState] = {}
        self.reset()

    def _spec_from_idn(self) -> GeneratorSpec:
        idn = (self.device.match_table("*IDN?") or b"").decode("latin-1")
        fields = [f.strip() for f in idn.split(",")]
        model = fields[1].upper() if len(fields) > 1 else ""
        if model not in SPECS:
            raise BenchError(
                f"{self.resource_name}: no simulated generator model {model!r}; "
                f"known: {sorted(SPECS)}"
            )
        return SPECS[model]

    # -- dialect (overridden per family) -----------------------------------------------------------
    def number(self, value: float) -> str:
        return f"{value:.6E}"

    def on_off(self, state: bool) -> str:
        return "1" if state else "0"

    # -- state -------------------------------------------------------------------------------------
    def reset(self) -> None:
        """``*RST``: table settings and every channel back to their reset values."""
        super().reset()
        d = self.defaults
        load = parse_load(d["load"], "load")
        scale = divider(load)
        self.channels = {
            n: ChannelState(
                number=n,
                function=str(d["function"]),
                frequency=float(d["frequency"]),
                amplitude=float(d["amplitude"]) / scale,
                offset=float(d["offset"]) / scale,
                unit=str(d["voltage_unit"]),
                duty_cycle=float(d["square_duty_cycle"]),
                width=float(d["pulse_width"]),
                leading_edge=float(d["pulse_leading_edge"]),
                trailing_edge=float(d["pulse_trailing_edge"]),
                load=load,
                output=bool(int(d["output"])),
                sync=bool(int(d["sync"])),
                trigger_out=bool(int(d["trigger_out"])),
                burst=bool(int(d["burst_state"])),
                burst_mode=str(d["burst_mode"]),
                cycles=float(d["burst_cycles"]),
                burst_period=float(d["burst_period"]),
                trigger_source=str(d["trigger_source"]),
            )
            for n in range(1, self.spec.channels + 1)
        }

    # -- routing -----------------------------------------------------------------------------------
    def respond(self, cmd: Command) -> bytes | None:
        """Give each command its channel, then answer it as the base class does."""
        if cmd.header.startswith("*"):
            return super().respond(cmd)
        nodes = cmd.header.split(":")
        match = _ROOT.match(nodes[0])
        root, suffix = (match.group(1), match.group(2)) if match else (nodes[0], "")
        if root in INSTRUMENT_ROOTS and not suffix:
            return super().respond(cmd)
        if root in CHANNEL_ROOTS:
            rest = nodes[1:]
        else:  # the optional SOURce root was left out
            root, suffix, rest = "SOUR", "", nodes
        channel = int(suffix) if suffix else 1
        if channel not in self.channels:
            self.push_error(*HEADER_SUFFIX_OUT_OF_RANGE)
            return None
        tail = [root, *rest]
        routed = ChannelCommand(
            header=":".join(tail),
            query=cmd.query,
            args=cmd.args,
            channel=channel,
            table_header=":".join([f"{root}{channel}", *rest]),
        )
        return super().respond(routed)

    def ch(self, cmd: Command) -> ChannelState:
        return self.channels[getattr(cmd, "channel", 1)]

    # -- limits (open-circuit volts) ---------------------------------------------------------------
    @property
    def vmax(self) -> float:
        return self.spec.max_amplitude / 2

    def amplitude_limit(self, ch: ChannelState) -> float:
        """Largest Vpp open circuit for the function at the present frequency."""
        if ch.function in ("DC", "NOIS"):
            return self.spec.max_amplitude
        return self.spec.amplitude_at(ch.frequency)

    def frequency_range(self, ch: ChannelState) -> tuple[float, float]:
        return self.spec.min_frequency, self.spec.frequency_limit(ch.function)

    def pulse_period(self, ch: ChannelState) -> float:
        """The period a pulse has at the present frequency (limited to the pulse's range)."""
        return 1 / min(ch.frequency, self.spec.frequency_limit("PULS"))

    def duty_range(self, ch: ChannelState) -> tuple[float, float]:
        frequency = min(ch.frequency, self.spec.frequency_limit("SQU"))
        shortest = 100 * self.spec.min_width * frequency
        return max(0.01, shortest), min(99.99, 100 - shortest)

    def width_range(self, ch: ChannelState) -> tuple[float, float]:
        period = self.pulse_period(ch)
        return self.spec.min_width, period - self.spec.off_time_factor * self.spec.min_width

    def edge_range(self, ch: ChannelState) -> tuple[float, float]:
        period, spec = self.pulse_period(ch), self.spec
        longest = spec.edge_fraction * min(ch.width, period - ch.width)
        return spec.min_edge, max(spec.min_edge, min(spec.max_edge, longest))

    def amplitude_range(self, ch: ChannelState) -> tuple[float, float]:
        room = self.amplitude_limit(ch)
        if ch.function != "DC":
            room = min(room, 2 * (self.vmax - abs(ch.offset)))
        return self.spec.min_amplitude, max(self.spec.min_amplitude, room)

    def offset_range(self, ch: ChannelState) -> tuple[float, float]:
        half = 0.0 if ch.function == "DC" else ch.amplitude / 2
        return -(self.vmax - half), self.vmax - half

    def burst_timed(self, ch: ChannelState) -> bool:
        """An N-cycle burst repeating on the internal timer: the burst period must hold it."""
        return (ch.burst and ch.burst_mode == "TRIG" and ch.trigger_source in self.SELF_TRIGGERED
                and math.isfinite(ch.cycles))

    def burst_period_range(self, ch: ChannelState) -> tuple[float, float]:
        low, high = self.spec.burst_period_range
        if self.burst_timed(ch):
            low = max(low, ch.cycles / ch.frequency + self.spec.burst_overhead)
        return low, max(low, high)

    # -- applying values ---------------------------------------------------------------------------
    def fit(self, value: float, low: float, high: float) -> float:
        """``value`` clipped into [low, high]; -222 unless only rounding put it outside."""
        if value < low:
            if value < low - _slack(low):
                self.push_error(*DATA_OUT_OF_RANGE)
            return low
        if value > high:
            if value > high + _slack(high):
                self.push_error(*DATA_OUT_OF_RANGE)
            return high
        return value

    def conform(self, ch: ChannelState, announce: bool = True) -> None:
        """Bring every setting that depends on others back into range after a change.

        Each setting that had to change queues -221 when ``announce`` (a numeric command forced
        it); a function change refits silently.
        """
        spec = self.spec

        def adjust(value: float, low: float, high: float) -> float:
            fitted = min(max(value, low), high)
            if announce and abs(fitted - value) > _slack(fitted):
                self.push_error(*SETTINGS_CONFLICT)
            return fitted

        ch.frequency = adjust(ch.frequency, *self.frequency_range(ch))
        if ch.function == "SQU":
            ch.duty_cycle = adjust(ch.duty_cycle, *self.duty_range(ch))
        if ch.function == "PULS":
            ch.width = adjust(ch.width, *self.width_range(ch))
            ch.leading_edge = adjust(ch.leading_edge, *self.edge_range(ch))
            ch.trailing_edge = adjust(ch.trailing_edge, *self.edge_range(ch))
        ch.amplitude = adjust(
            ch.amplitude, spec.min_amplitude, max(spec.min_amplitude, self.amplitude_limit(ch))
        )
        ch.offset = adjust(ch.offset, *self.offset_range(ch))
        ch.burst_period = adjust(ch.burst_period, *self.burst_period_range(ch))

    def requested(self, cmd: Command, low: float, high: float, default: float,
                  index: int = 0) -> float:
        """The numeric argument, with MINimum/MAXimum/DEFault resolved."""
        text = cmd.arg(index)
        keyword = short_form(text) if text[:1].isalpha() else ""
        if keyword == "MIN":
            return low
        if keyword == "MAX":
            return high
        if keyword == "DEF":
            return default
        return parse_number(text)

    def limit_query(self, cmd: Command, value: float, low: float, high: float) -> str:
        """A numeric query's reply; ``? MIN`` / ``? MAX`` ask for the limits."""
        if cmd.args:
            keyword = short_form(cmd.args[0])
            value = low if keyword == "MIN" else high if keyword == "MAX" else value
        return self.number(value)

    def keyword(self, cmd: Command, allowed: Iterable[str],
                aliases: Mapping[str, str] | None = None, index: int = 0) -> str | None:
        """The keyword argument in short form, or None after queuing -224."""
        word = cmd.arg(index).strip("'\"")
        word = (aliases or {}).get(word, short_form(word) if word[:1].isalpha() else word)
        if word not in allowed:
            self.push_error(*ILLEGAL_PARAMETER)
            return None
        return word

    def boolean(self, cmd: Command) -> bool | None:
        try:
            return cmd.bool_arg()
        except ValueError:
            self.push_error(*ILLEGAL_PARAMETER)
            return None

    def scale(self, ch: ChannelState) -> float:
        """Displayed volts per open-circuit volt for the load setting."""
        return divider(ch.load)

    # -- function and frequency --------------------------------------------------------------------
    @command("SOUR:FUNC")
    def _function(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        function = self.keyword(cmd, self.spec.functions, self.FUNCTION_ALIASES)
        if function is None:
            return
        ch.function = function
        if self.FUNCTION_CHANGE_CONFLICTS and ch.frequency > self.frequency_range(ch)[1]:
            self.push_error(*SETTINGS_CONFLICT)  # the frequency drops to the new function's limit
        self.conform(ch, announce=False)

    @command("SOUR:FUNC?")
    def _function_query(self, cmd: Command) -> str:
        function = self.ch(cmd).function
        return self.FUNCTION_REPLIES.get(function, function)

    @command("SOUR:FREQ")
    def _frequency(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        low, high = self.frequency_range(ch)
        self.set_frequency(ch, self.fit(self.requested(cmd, low, high, 1e3), low, high))

    @command("SOUR:FREQ?")
    def _frequency_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        return self.limit_query(cmd, ch.frequency, *self.frequency_range(ch))

    def set_period_command(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        low, high = self.frequency_range(ch)
        shortest, longest = 1 / high, min(1 / low, self.spec.max_period)
        period = self.fit(self.requested(cmd, shortest, longest, 1e-3), shortest, longest)
        self.set_frequency(ch, 1 / period)

    def period_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        low, high = self.frequency_range(ch)
        return self.limit_query(cmd, 1 / ch.frequency, 1 / high, min(1 / low, self.spec.max_period))

    def set_frequency(self, ch: ChannelState, frequency: float) -> None:
        """New frequency; a pulse keeps its width (or its duty cycle, with ``PULS:HOLD DCYC``)."""
        duty = ch.width * ch.frequency
        ch.frequency = frequency
        if ch.function == "PULS" and self.pulse_hold(ch) == "DCYC":
            ch.width = duty / frequency
        self.conform(ch)

    def pulse_hold(self, ch: ChannelState) -> str:
        return "WIDT"

    # -- levels ------------------------------------------------------------------------------------
    @command("SOUR:VOLT")
    def _amplitude(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        low, high = self.amplitude_range(ch)
        value = self.requested(cmd, self.amplitude_shown(ch, low), self.amplitude_shown(ch, high),
                               self.amplitude_shown(ch, 0.2))
        ch.amplitude = self.fit(self.amplitude_from_shown(ch, value), low, high)
        self.conform(ch)

    @command("SOUR:VOLT?")
    def _amplitude_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        low, high = self.amplitude_range(ch)
        return self.limit_query(cmd, *(self.amplitude_shown(ch, v)
                                       for v in (ch.amplitude, low, high)))

    def crest(self, ch: ChannelState) -> float:
        """Peak-to-peak over rms of the present function (for VRMS and DBM)."""
        return CREST_PP_RMS.get(ch.function, 2.0)

    def amplitude_shown(self, ch: ChannelState, emf_vpp: float) -> float:
        """An open-circuit Vpp as programmed and read back: into the load setting, in the unit."""
        vpp = emf_vpp * self.scale(ch)
        if ch.unit == "VPP":
            return vpp
        rms = vpp / self.crest(ch)
        if ch.unit == "VRMS":
            return rms
        return 10 * math.log10(rms**2 / ch.load / 1e-3)  # dBm (never with a high-Z setting)

    def amplitude_from_shown(self, ch: ChannelState, value: float) -> float:
        """The inverse of :meth:`amplitude_shown`."""
        if ch.unit == "DBM":
            value = math.sqrt(1e-3 * 10 ** (value / 10) * ch.load) * self.crest(ch)
        elif ch.unit == "VRMS":
            value *= self.crest(ch)
        return value / self.scale(ch)

    @command("SOUR:VOLT:OFFS")
    def _offset(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        k = self.scale(ch)
        low, high = self.offset_range(ch)
        value = self.requested(cmd, low * k, high * k, 0.0)
        ch.offset = self.fit(value / k, low, high)
        self.conform(ch)

    @command("SOUR:VOLT:OFFS?")
    def _offset_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        k = self.scale(ch)
        low, high = self.offset_range(ch)
        return self.limit_query(cmd, ch.offset * k, low * k, high * k)

    @command("SOUR:VOLT:HIGH", "SOUR:VOLT:LOW")
    def _level(self, cmd: Command) -> None:
        """High or low level; the other one moves only if the pair would be invalid (-221)."""
        ch = self.ch(cmd)
        k, vmax, least = self.scale(ch), self.vmax, self.spec.min_amplitude
        most = self.amplitude_limit(ch)
        high, low = ch.high, ch.low
        if cmd.header.endswith("HIGH"):
            value = self.requested(cmd, (least - vmax) * k, vmax * k, high * k)
            high = self.fit(value / k, least - vmax, vmax)
            other = min(max(low, high - most), high - least)
            if abs(other - low) > _slack(other):
                self.push_error(*SETTINGS_CONFLICT)
            low = other
        else:
            value = self.requested(cmd, -vmax * k, (vmax - least) * k, low * k)
            low = self.fit(value / k, -vmax, vmax - least)
            other = max(min(high, low + most), low + least)
            if abs(other - high) > _slack(other):
                self.push_error(*SETTINGS_CONFLICT)
            high = other
        ch.offset, ch.amplitude = (high + low) / 2, high - low
        self.conform(ch)

    @command("SOUR:VOLT:HIGH?", "SOUR:VOLT:LOW?")
    def _level_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        k = self.scale(ch)
        level = ch.high if cmd.header.endswith("HIGH") else ch.low
        return self.limit_query(cmd, level * k, -self.vmax * k, self.vmax * k)

    @command("SOUR:VOLT:UNIT")
    def _unit(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        unit = self.keyword(cmd, ("VPP", "VRMS", "DBM"))
        if unit is None:
            return
        if unit == "DBM" and math.isinf(ch.load):
            self.push_error(*SETTINGS_CONFLICT)  # dBm needs a finite load
            return
        ch.unit = unit

    @command("SOUR:VOLT:UNIT?")
    def _unit_query(self, cmd: Command) -> str:
        return self.ch(cmd).unit

    # -- square and pulse --------------------------------------------------------------------------
    @command("SOUR:FUNC:SQU:DCYC")
    def _square_duty(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        low, high = self.duty_range(ch)
        ch.duty_cycle = self.fit(self.requested(cmd, low, high, 50.0), low, high)

    @command("SOUR:FUNC:SQU:DCYC?")
    def _square_duty_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        return self.limit_query(cmd, ch.duty_cycle, *self.duty_range(ch))

    @command("SOUR:FUNC:PULS:WIDT")
    def _width(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        low, high = self.width_range(ch)
        ch.width = self.fit(self.requested(cmd, low, high, 1e-4), low, high)
        self.conform(ch)

    @command("SOUR:FUNC:PULS:WIDT?")
    def _width_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        return self.limit_query(cmd, ch.width, *self.width_range(ch))

    @command("SOUR:FUNC:PULS:DCYC")
    def _pulse_duty(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        period = self.pulse_period(ch)
        low, high = self.width_range(ch)
        duty = self.requested(cmd, 100 * low / period, 100 * high / period, 10.0)
        ch.width = self.fit(duty / 100 * period, low, high)
        self.conform(ch)

    @command("SOUR:FUNC:PULS:DCYC?")
    def _pulse_duty_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        period = self.pulse_period(ch)
        low, high = self.width_range(ch)
        return self.limit_query(cmd, 100 * ch.width / period, 100 * low / period,
                                100 * high / period)

    @command("SOUR:FUNC:PULS:TRAN:LEAD", "SOUR:FUNC:PULS:TRAN:TRA")
    def _edge(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        low, high = self.edge_range(ch)
        edge = self.fit(self.requested(cmd, low, high, 1e-8), low, high)
        if cmd.header.endswith("LEAD"):
            ch.leading_edge = edge
        else:
            ch.trailing_edge = edge

    @command("SOUR:FUNC:PULS:TRAN:LEAD?", "SOUR:FUNC:PULS:TRAN:TRA?")
    def _edge_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        edge = ch.leading_edge if cmd.header.endswith("LEAD") else ch.trailing_edge
        return self.limit_query(cmd, edge, *self.edge_range(ch))

    # -- output and load ---------------------------------------------------------------------------
    @command("OUTP")
    def _output(self, cmd: Command) -> None:
        state = self.boolean(cmd)
        if state is not None:
            self.ch(cmd).output = state

    @command("OUTP?")
    def _output_query(self, cmd: Command) -> str:
        return self.on_off(self.ch(cmd).output)

    @command("OUTP:LOAD")
    def _load(self, cmd: Command) -> None:
        """Load setting: the displayed levels rescale, the output does not (no error)."""
        ch = self.ch(cmd)
        text = cmd.arg()
        keyword = short_form(text) if text[:1].isalpha() else ""
        if keyword == "INF":
            load = math.inf
        else:
            value = self.requested(cmd, LOAD_RANGE[0], LOAD_RANGE[1], SOURCE_IMPEDANCE)
            load = math.inf if value >= HIGH_Z else self.fit(value, *LOAD_RANGE)
            load = self.round_load(load)
        ch.load = load
        if math.isinf(load) and ch.unit == "DBM":
            ch.unit = "VPP"  # dBm means nothing into an open circuit

    def round_load(self, ohms: float) -> float:
        return ohms

    @command("OUTP:LOAD?")
    def _load_query(self, cmd: Command) -> str:
        load = self.ch(cmd).load
        return self.limit_query(cmd, HIGH_Z if math.isinf(load) else load, *LOAD_RANGE)

    # -- burst -------------------------------------------------------------------------------------
    def set_burst(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        state = self.boolean(cmd)
        if state is None:
            return
        ch.burst, ch.fired = state, False
        self.conform(ch)

    @command("SOUR:BURS:MODE")
    def _burst_mode(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        mode = self.keyword(cmd, self.BURST_MODES)
        if mode is not None:
            ch.burst_mode, ch.fired = mode, False
            self.conform(ch)

    @command("SOUR:BURS:MODE?")
    def _burst_mode_query(self, cmd: Command) -> str:
        return self.ch(cmd).burst_mode

    @command("SOUR:BURS:NCYC")
    def _cycles(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        text = cmd.arg()
        if text[:1].isalpha() and short_form(text) == "INF" and self.INFINITE_CYCLES:
            ch.cycles = math.inf
        else:
            value = self.requested(cmd, 1, self.spec.max_cycles, 1)
            ch.cycles = float(round(self.fit(value, 1, self.spec.max_cycles)))
        self.conform(ch)

    @command("SOUR:BURS:NCYC?")
    def _cycles_query(self, cmd: Command) -> str:
        cycles = self.ch(cmd).cycles
        return self.limit_query(cmd, HIGH_Z if math.isinf(cycles) else cycles, 1,
                                self.spec.max_cycles)

    @command("SOUR:BURS:INT:PER")
    def _burst_period(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        low, high = self.burst_period_range(ch)
        ch.burst_period = self.fit(self.requested(cmd, low, high, 1e-2), low, high)

    @command("SOUR:BURS:INT:PER?")
    def _burst_period_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        return self.limit_query(cmd, ch.burst_period, *self.burst_period_range(ch))

    def set_trigger_source(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        source = self.keyword(cmd, self.TRIGGER_SOURCES)
        if source is not None:
            ch.trigger_source, ch.fired = source, False
            self.conform(ch)

    def fire(self, ch: ChannelState) -> None:
        """A trigger reached ``ch``: an armed burst starts (see the module docstring)."""
        if ch.burst and ch.burst_mode in ("TRIG", "INF"):
            ch.fired = True

    @command("*TRG")
    def _bus_trigger(self, cmd: Command) -> None:
        """``*TRG`` fires every channel waiting for a bus (remote) trigger."""
        waiting = [ch for ch in self.channels.values() if ch.trigger_source == self.BUS_SOURCE]
        if not waiting:
            self.bus_trigger_ignored()
        for ch in waiting:
            self.fire(ch)

    def bus_trigger_ignored(self) -> None:
        return None

    # -- APPLy: function, frequency, amplitude and offset at once; output on -----------------------
    @command(*(f"SOUR:APPL:{name}" for name in sorted({*KEYSIGHT_FUNCTIONS, *RIGOL_FUNCTIONS})))
    def _apply(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        function = cmd.header.rsplit(":", 1)[-1]
        if function not in self.spec.functions:
            self.push_error(*ILLEGAL_PARAMETER)
            return
        ch.function, ch.burst, ch.fired = function, False, False
        self.conform(ch, announce=False)
        for index, text in enumerate(cmd.args[:3]):
            if not text or short_form(text) == "DEF":
                continue  # DEFault (or nothing) keeps the present value
            value = parse_number(text)
            if index == 0:
                self.set_frequency(ch, self.fit(value, *self.frequency_range(ch)))
            elif index == 1:
                amplitude = self.amplitude_from_shown(ch, value)
                ch.amplitude = self.fit(amplitude, *self.amplitude_range(ch))
            else:
                ch.offset = self.fit(value / self.scale(ch), *self.offset_range(ch))
        self.conform(ch)
        ch.output = True

    @command("SOUR:APPL?")
    def _apply_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        k = self.scale(ch)
        name = self.FUNCTION_REPLIES.get(ch.function, ch.function)
        values = ",".join(self.number(v) for v in (ch.frequency, ch.amplitude * k, ch.offset * k))
        return f'"{name} {values}"'

    # -- common commands ---------------------------------------------------------------------------
    @command("*STB?")
    def _status_byte(self, cmd: Command) -> str:
        return str(4 if self.errors else 0)  # bit 2: error queue not empty

    @command("SYST:BEEP", "SYST:BEEP:IMM")
    def _beep(self, cmd: Command) -> None:
        return None

    # -- what the device under test sees -----------------------------------------------------------
    def dut_waveform(self) -> PeriodicDrive | None:
        """The output wired to the device under test, if it is on (see the module docstring)."""
        with self.bench.lock:
            for number, ch in self.channels.items():
                if ch.output and self.wiring.get(str(number)) == "dut":
                    return self.waveform(number, ch)
        return None

    def waveform(self, number: int, ch: ChannelState) -> PeriodicDrive:
        """The voltage across the actual load (option ``load``) of output ``number``."""
        k = divider(self.actual_load[str(number)])
        middle, half = ch.offset * k, ch.amplitude / 2 * k
        if self.inverted(number):
            half = -half  # mirrored about the offset
        high, low = middle + half, middle - half
        f = ch.frequency
        if ch.function == "DC":
            return PeriodicDrive("dc", f, middle, middle)
        if ch.burst and not self.burst_running(ch):
            level = self.idle_level(number, ch, high, low, middle)
            return PeriodicDrive("dc", f, level, level)
        if ch.function == "SQU":
            return PeriodicDrive("square", f, high, low, duty_cycle=ch.duty_cycle / 100)
        if ch.function == "PULS":
            return PeriodicDrive("pulse", f, high, low, width=ch.width,
                                 leading_edge=ch.leading_edge, trailing_edge=ch.trailing_edge)
        if ch.function == "NOIS":
            return PeriodicDrive("dc", f, middle, middle)
        return PeriodicDrive("sine", f, high, low)

    def burst_running(self, ch: ChannelState) -> bool:
        if ch.burst_mode == "GAT":
            return False  # no gate signal reaches the simulated bench
        return ch.fired or ch.trigger_source in self.SELF_TRIGGERED

    def idle_level(self, number: int, ch: ChannelState, high: float, low: float,
                   middle: float) -> float:
        """The level between bursts: the low level of square and pulse, else the offset."""
        return low if ch.function in ("SQU", "PULS") else middle

    def inverted(self, number: int) -> bool:
        return short_form(str(self.get(f"ch{number}_output_polarity"))) == "INV"
