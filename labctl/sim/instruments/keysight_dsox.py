"""Simulated Keysight InfiniiVision X-Series oscilloscopes (DSOX3024T, DSOX1204G).

Answers what :mod:`labctl.drivers.keysight_dsox` sends, in the formats of the real scopes
(InfiniiVision programmer's guides). Canonical headers (``[:EDGE]`` is optional in
``:TRIGger[:EDGE]:…``); ``n`` is 1–4.

==================================== ==========================================================
Command                              Behaviour, reply
==================================== ==========================================================
``*IDN?`` ``*RST`` ``*CLS`` ``*OPC?`` identity (table); default setup, running; ``*OPC?`` gives
                                     ``1``, or nothing while a ``:DIGitize`` waits for a trigger
``:SYSTem:ERRor?``                   ``+0,"No error"``, ``-222,"Data out of range"``, …
``:TIMebase:SCALe`` / ``:POSition``  s/div (table, model range), s from trigger to screen centre
``:CHANnel<n>:DISPlay|COUPling|``    ``1|0``, ``DC|AC``, V/div (model range × probe), V at screen
``SCALe|OFFSet|PROBe``               centre (±2 V up to 200 mV/div, then ±50 V/±100 V, × probe),
                                     ratio 0.001–10000 (scale and offset follow a new ratio)
``:ACQuire:TYPE`` / ``:COUNt``       ``NORM|AVER|HRES|PEAK``; averages 2–65536 (table)
``:ACQuire:SRATe?`` ``:POINts?``     sample rate and record length of the present settings
``:TRIGger:MODE|SWEep``              ``EDGE`` (other modes never trigger); ``AUTO|NORM``
``:TRIGger[:EDGE]:SOURce|LEVel|``    ``CHAN<n>|EXT``; V (one level per source, within ±6 div of
``SLOPe``                            the screen centre; EXT ±10 V); ``POS|NEG|EITH|ALT``
``:RUN`` ``:STOP`` ``:SINGle``       run control; ``:SINGle`` uses the NORMal sweep
``:DIGitize [CHANnel<n>,…]``         acquires (the average set in AVER mode) and blocks: the
                                     bench clock advances by the acquisition time
``:TRIGger:FORCe``                   triggers a waiting acquisition now
``:AER?`` ``:TER?``                  arm / trigger event latch, ``1|0``; reading clears it
``:OPERegister:CONDition?``          ``+8`` Run bit while acquiring, ``+32`` while armed and
                                     waiting for the trigger (``+40`` both)
``:WAVeform:SOURce|FORMat|``         ``CHAN<n>``; ``WORD|BYTE|ASC``; ``LSBF|MSBF``; ``0|1``;
``BYTeorder|UNSigned|POINts:MODE|``  ``NORM|MAX|RAW``; 100–8000000 or ``MAXimum`` (the query
``POINts``                           answers the count a transfer returns)
``:WAVeform:PREamble?``              ``+1,+0,+<points>,+<count>,<xinc>,<xorg>,+0,<yinc>,<yorg>,+0``
``:WAVeform:DATA?``                  ``#8<8 digits><data>``; WORD = signed 16-bit words
==================================== ==========================================================

Record. It spans the screen (10 divisions, its centre ``position`` s after the trigger) at the
highest sample rate whose record fits the memory: 5 GSa/s and 4 Mpts on the DSOX3024T (2.5 GSa/s
and 2 Mpts once both channels of a pair, 1–2 or 3–4, are on), 2 GSa/s and 1 Mpts on the DSOX1204G
(half with a pair on). ``:WAVeform:POINts`` below the record length decimates it (every k-th sample,
at most the requested count); the ``NORMal`` points mode reads at most the 62 500-point
measurement record. WORD codes span ±5 divisions around the offset (``yincrement`` =
10 × scale / 65536, ``yorigin`` = offset in V, code 0 at the screen centre); the 8-bit ADC fills
the upper byte (steps of 256) in NORMal and PEAK acquisition, 12 bits in HRESolution, all 16 bits
in AVERage.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from labctl.sim.instrument import ILLEGAL_PARAMETER, SETTINGS_CONFLICT, command
from labctl.sim.instruments.scopes import ChannelData, ChannelState, Record, ScopeSim, ieee_block
from labctl.sim.scpi import Command, short_form

#: Operation Status Condition Register bits.
RUN_BIT = 8
WAIT_TRIG_BIT = 32
#: Codes per ADC step in a WORD, by acquisition type (8-bit ADC; high resolution 12 bits).
ADC_STEP = {"NORM": 256, "PEAK": 256, "HRES": 16, "AVER": 1}
#: Preamble codes.
FORMAT_CODES = {"BYTE": 0, "WORD": 1, "ASC": 4}
TYPE_CODES = {"NORM": 0, "PEAK": 1, "AVER": 2, "HRES": 3}
#: Points the NORMal points mode (the measurement record) holds at most.
MEASUREMENT_POINTS = 62_500
MIN_POINTS, MAX_POINTS = 100, 8_000_000


class KeysightDSOXSim(ScopeSim):
    """An InfiniiVision X-Series scope; subclasses set the model's limits."""

    optional_nodes = ("EDGE",)
    acquisition_types = ("NORM", "AVER", "HRES", "PEAK")
    trigger_modes = ("EDGE", "GLIT", "PATT", "TV", "DEL", "EBUR", "OR", "RUNT", "SHOL", "TRAN")
    slopes: ClassVar[dict[str, str]] = {
        "POS": "rising", "NEG": "falling", "EITH": "either", "ALT": "either",
    }
    max_external_level = 10.0
    #: Sa/s and points with at most one channel of each pair on; half with a pair on.
    max_rate: ClassVar[float] = 5e9
    memory: ClassVar[int] = 4_000_000
    #: V at 1:1: the offset range up to 200 mV/div, and above.
    offset_small: ClassVar[float] = 2.0
    offset_large: ClassVar[float] = 50.0
    #: Trigger level range around the screen centre, in divisions.
    trigger_divisions: ClassVar[float] = 6.0

    def reset(self) -> None:
        self.waveform_source = 1
        self.waveform_format = "BYTE"
        self.byte_order = "MSBF"
        self.unsigned = True
        self.points_mode = "NORM"
        self.points: int | str = 1000
        self.digitize_blocked = False
        super().reset()

    def average_count(self) -> int:
        return int(self.get("acquisition_count"))

    def _number(self, value: float) -> str:
        return f"{value:+.6E}"

    # ------------------------------------------------------------------ model
    def _rate_and_memory(self, channels: tuple[int, ...]) -> tuple[float, int]:
        on = set(channels)
        if {1, 2} <= on or {3, 4} <= on:
            return self.max_rate / 2, self.memory // 2
        return self.max_rate, self.memory

    def _timing(self, channels: tuple[int, ...]) -> tuple[float, float, int]:
        scale = float(self.get("timebase_scale"))
        screen = 10.0 * scale
        rate, memory = self._rate_and_memory(channels)
        points = int(min(memory, max(2, round(screen * rate))))
        return float(self.get("timebase_position")) - screen / 2, screen / points, points

    def _encode(self, volts: np.ndarray, state: ChannelState, acquisition: str) -> ChannelData:
        yinc = 10.0 * state.scale / 65536
        yorigin = float(f"{state.offset:+.5E}")  # as the preamble reports it
        step = ADC_STEP.get(acquisition, 256)
        levels = np.rint((volts - yorigin) / (yinc * step))
        codes = np.clip(levels, -32768 // step, 32768 // step - 1) * step
        return ChannelData(codes.astype(np.int16), yinc, yorigin)

    def _offset_limit(self, scale: float) -> float:
        return self.offset_small if scale <= 0.2 * (1 + 1e-9) else self.offset_large

    def _level_window(self, state: ChannelState) -> tuple[float, float]:
        half = self.trigger_divisions * state.scale
        return state.offset - half, state.offset + half

    # ------------------------------------------------------------ common commands
    @command("SYST:ERR?", "SYST:ERR:NEXT?")
    def _error(self, cmd: Command) -> str:
        code, message = self.pop_error()
        return f'{code:+d},"{message}"'

    @command("*OPC?")
    def _opc(self, cmd: Command) -> str | None:
        # A :DIGitize still waiting for its trigger blocks the scope: *OPC? does not answer.
        if self.digitize_blocked and self.acquiring is not None:
            return None
        self.digitize_blocked = False
        return "1"

    # ------------------------------------------------------------ acquisition
    @command("ACQ:SRAT?")
    def _sample_rate(self, cmd: Command) -> str:
        _xorigin, xinc, _points = self._timing(self._acquired_channels())
        return f"{1.0 / xinc:+.6E}"

    @command("ACQ:POIN?")
    def _record_points(self, cmd: Command) -> str:
        return f"{self._timing(self._acquired_channels())[2]:+d}"

    @command("STOP")
    def _stop(self, cmd: Command) -> None:
        self.digitize_blocked = False
        self.stop()

    @command("RUN")
    def _run(self, cmd: Command) -> None:
        self.digitize_blocked = False
        self.start_run()

    @command("SING")
    def _single(self, cmd: Command) -> None:
        self.digitize_blocked = False
        self.start_single()

    @command("DIG")
    def _digitize(self, cmd: Command) -> None:
        channels: list[int] = []
        for text in cmd.args:
            source = self.parse_source(text)
            if source == "EXT":
                self.push_error(*ILLEGAL_PARAMETER)
            if source is None or source == "EXT":
                return
            channels.append(int(source))
        self.stop()
        for n in channels:
            self.channels[n].display = True
        self.digitize_channels = tuple(sorted(set(channels))) or None
        acq = self._start()
        now = self.bench.clock.now()
        self._plan(acq, now)
        if acq.done_at is None:  # NORMal sweep and nothing to trigger on
            self.acquiring = acq
            self.digitize_blocked = True
            return
        # :DIGitize blocks until the acquisition is complete: the bench waits with it.
        self.bench.clock.advance(acq.done_at - now)
        self.record = acq.record
        self.arm_event = self.trigger_event = True
        self.acquiring = None
        self.digitize_channels = None

    @command("TRIG:FORC")
    def _force(self, cmd: Command) -> None:
        self.force_trigger()

    @command("AER?")
    def _arm_event(self, cmd: Command) -> str:
        value, self.arm_event = self.arm_event, False
        return "1" if value else "0"

    @command("TER?")
    def _trigger_event(self, cmd: Command) -> str:
        value, self.trigger_event = self.trigger_event, False
        return "1" if value else "0"

    @command("OPER:COND?")
    def _operation_condition(self, cmd: Command) -> str:
        value = (RUN_BIT if self.is_running() else 0) | \
            (WAIT_TRIG_BIT if self.waiting_for_trigger() else 0)
        return f"{value:+d}"

    # ---------------------------------------------------------------- trigger
    # --------------------------------------------------------------- waveform
    @command("WAV:SOUR")
    def _waveform_source(self, cmd: Command) -> None:
        source = self.parse_source(cmd.arg())
        if source == "EXT":
            self.push_error(*ILLEGAL_PARAMETER)
        elif source is not None:
            self.waveform_source = int(source)

    @command("WAV:SOUR?")
    def _waveform_source_query(self, cmd: Command) -> str:
        return self.source_reply(self.waveform_source)

    @command("WAV:FORM")
    def _waveform_format(self, cmd: Command) -> None:
        word = self.keyword(cmd, tuple(FORMAT_CODES))
        if word is not None:
            self.waveform_format = word

    @command("WAV:FORM?")
    def _waveform_format_query(self, cmd: Command) -> str:
        return self.waveform_format

    @command("WAV:BYT")
    def _byte_order(self, cmd: Command) -> None:
        word = self.keyword(cmd, ("LSBF", "MSBF"))
        if word is not None:
            self.byte_order = word

    @command("WAV:BYT?")
    def _byte_order_query(self, cmd: Command) -> str:
        return self.byte_order

    @command("WAV:UNS")
    def _unsigned(self, cmd: Command) -> None:
        self.unsigned = cmd.bool_arg()

    @command("WAV:UNS?")
    def _unsigned_query(self, cmd: Command) -> str:
        return "1" if self.unsigned else "0"

    @command("WAV:POIN:MODE")
    def _points_mode(self, cmd: Command) -> None:
        word = self.keyword(cmd, ("NORM", "MAX", "RAW"))
        if word is not None:
            self.points_mode = word

    @command("WAV:POIN:MODE?")
    def _points_mode_query(self, cmd: Command) -> str:
        return self.points_mode

    @command("WAV:POIN")
    def _points(self, cmd: Command) -> None:
        if short_form(cmd.arg()) == "MAX":
            self.points = "MAX"
            return
        value = cmd.float_arg()
        if value != int(value) or not MIN_POINTS <= value <= MAX_POINTS:
            raise ValueError(f"{value} points")
        self.points = int(value)

    @command("WAV:POIN?")
    def _points_query(self, cmd: Command) -> str:
        plan = self._transfer_plan()
        if plan is not None:
            return f"{plan[2]:+d}"
        if self.points == "MAX":
            return f"{self._timing(self._acquired_channels())[2]:+d}"
        return f"{int(self.points):+d}"

    @command("WAV:PRE?")
    def _preamble(self, cmd: Command) -> str:
        plan = self._transfer_plan()
        state = self.channels[self.waveform_source]
        if plan is None:  # nothing acquired on this source: a preamble with no points
            xorigin, xinc, _ = self._timing(self._acquired_channels())
            data = self._encode(np.zeros(0), state, self.acquisition_type)
            record_count, kind, stride, points = 1, self.acquisition_type, 1, 0
        else:
            record, stride, points = plan
            data = record.channels[self.waveform_source]
            xorigin, xinc = record.xorigin, record.xincrement
            record_count, kind = record.count, record.acquisition
        yinc, yref = data.yincrement, 0
        if self.waveform_format == "BYTE":
            yinc *= 256
        if self.unsigned and self.waveform_format != "ASC":
            yref = 128 if self.waveform_format == "BYTE" else 32768
        fields = (
            f"{FORMAT_CODES[self.waveform_format]:+d}", f"{TYPE_CODES.get(kind, 0):+d}",
            f"{points:+d}", f"{record_count:+d}", f"{xinc * stride:+.8E}", f"{xorigin:+.8E}",
            "+0", f"{yinc:+.8E}", f"{data.yorigin:+.5E}", f"{yref:+d}",
        )
        return ",".join(fields)

    @command("WAV:DATA?")
    def _data(self, cmd: Command) -> bytes:
        plan = self._transfer_plan()
        if plan is None:
            self.push_error(*SETTINGS_CONFLICT)  # the source holds no data
            return ieee_block(b"", 8)
        record, stride, _points = plan
        data = record.channels[self.waveform_source]
        codes = data.codes[::stride]
        order = "<" if self.byte_order == "LSBF" else ">"
        if self.waveform_format == "WORD":
            words = codes.astype(np.int32) + 32768 if self.unsigned else codes
            payload = words.astype(f"{order}{'u2' if self.unsigned else 'i2'}").tobytes()
        elif self.waveform_format == "BYTE":
            high = (codes >> 8).astype(np.int16)
            payload = (high + 128 if self.unsigned else high).astype(
                np.uint8 if self.unsigned else np.int8).tobytes()
        else:
            volts = codes.astype(float) * data.yincrement + data.yorigin
            payload = ",".join(np.char.mod("%+.6E", volts).tolist()).encode()
        return ieee_block(payload, 8)

    def _transfer_plan(self) -> tuple[Record, int, int] | None:
        """(record, decimation stride, points returned) for the selected source, or None."""
        record = self.latest_record()
        if record is None or self.waveform_source not in record.channels:
            return None
        available = record.points
        if self.points_mode == "NORM" or (self.points_mode == "MAX" and self.is_running()):
            available = min(available, MEASUREMENT_POINTS)
        wanted = record.points if self.points == "MAX" else int(self.points)
        target = max(1, min(wanted, available))
        stride = math.ceil(record.points / target)
        return record, stride, math.ceil(record.points / stride)


class KeysightDSOX3024TSim(KeysightDSOXSim):
    """DSOX3024T: 200 MHz, 4 channels, 5 GSa/s, 4 Mpts, 1 mV/div to 5 V/div at 1:1."""

    min_scale = 1e-3
    max_scale = 5.0
    max_rate = 5e9
    memory = 4_000_000
    offset_large = 50.0


class KeysightDSOX1204GSim(KeysightDSOXSim):
    """DSOX1204G: 70 MHz, 4 channels, 2 GSa/s, 1 Mpts, 500 µV/div to 10 V/div at 1:1."""

    min_scale = 500e-6
    max_scale = 10.0
    max_rate = 2e9
    memory = 1_000_000
    offset_large = 100.0
