"""Simulated Rigol DHO800 oscilloscope (DHO804).

Answers what :mod:`labctl.drivers.rigol_dho` sends, in the formats of the DHO800/DHO900
Programming Guide. Canonical headers (``[:MAIN]`` is optional in ``:TIMebase[:MAIN]:…``); ``n`` is
1–4; numbers are answered in scientific notation (``2.000000E-06``).

==================================== ==========================================================
Command                              Behaviour, reply
==================================== ==========================================================
``*IDN?`` ``*RST`` ``*CLS`` ``*OPC?`` identity (table); factory setup (2 µs/div, CH1 on at
                                     50 mV/div, 10 kpts), running
``:SYSTem:ERRor?``                   ``0,"No error"``, ``-222,"Data out of range"``, …
``:TIMebase[:MAIN]:SCALe``           s/div, 5 ns to 500 s (table)
``:TIMebase[:MAIN][:OFFSet]``        s from trigger to screen centre, -5 div to the scale-
                                     dependent right limit
``:CHANnel<n>:DISPlay|COUPling|``    ``1|0``, ``DC|AC``, V/div (500 µV to 10 V × probe), V (the
``SCALe|OFFSet|PROBe``               guide's scale-dependent range × probe; the screen centre
                                     shows −offset), one of the ratios 0.001X–50000X
``:ACQuire:TYPE``                    ``NORM|AVER|PEAK|ULTR``
``:ACQuire:AVERages``                2–65536, rounded down to a power of two as the scope does
``:ACQuire:MDEPth``                  ``AUTO|1k|10k|100k|1M|5M|10M|25M`` (or the numbers), as
                                     far as the channels on allow; the query answers the record
                                     length, ``1.000E+04``
``:ACQuire:SRATe?``                  sample rate of the present settings
``:TRIGger:MODE|SWEep``              ``EDGE`` (other modes never trigger); ``AUTO|NORM|SING``
``:TRIGger:EDGE:SOURce|LEVel|SLOPe`` ``CHAN<n>``; V within ±4.5 div of the screen centre;
                                     ``POS|NEG|RFAL``
``:TRIGger:STATus?``                 ``RUN`` (pre-trigger filling), ``WAIT``, ``TD``, ``AUTO``,
                                     ``STOP``
``:RUN`` ``:STOP`` ``:SINGle``       run control; ``:SINGle`` = ``:TRIGger:SWEep SINGle``
``:TFORce``                          triggers a waiting acquisition now
``:WAVeform:SOURce|MODE|FORMat``     ``CHAN<n>``; ``NORM|MAX|RAW`` (RAW needs STOP);
                                     ``WORD|BYTE|ASC``
``:WAVeform:STARt|STOP``             first and last point (1-based, inclusive; table)
``:WAVeform:PREamble?``              ``1,2,<points>,<count>,<xinc>,<xorg>,0.000000E-12,<yinc>,``
                                     ``<yorg>,32768``
``:WAVeform:DATA?``                  ``#9<9 digits><data>`` for points STARt…STOP; WORD =
                                     unsigned 16-bit little-endian words
==================================== ==========================================================

Record. The memory depth sets the record length; the sample rate is the highest the channels on
allow (1.25 GSa/s with one channel, 625 MSa/s with two, 312.5 MSa/s with three or four) whose record
still covers the screen, so at fast time bases the record extends beyond the screen, centred on
it. Depth is limited by the channels on (25, 10 or 5 Mpts). In AUTO the simulator takes the screen
at the highest rate, from 1 kpts up to at most 1 Mpts. WORD codes follow Rigol's definition:
``yincrement`` = scale / 7500 (reported to 5 significant digits, as the scope does), ``yreference``
32768 at the screen centre, ``yorigin`` = offset / yincrement in codes; the 12-bit ADC fills the
upper 12 bits (steps of 16), AVERage all 16. The words run from 0 to 65535: about ±4.4 divisions.
NORMal mode reads the screen part of the record, decimated to at most 1000 points.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from labctl.sim.instrument import SETTINGS_CONFLICT, command
from labctl.sim.instruments.scopes import ChannelData, ChannelState, Record, ScopeSim, ieee_block
from labctl.sim.scpi import Command

#: Memory depths the guide lists, in points.
DEPTHS = (1_000, 10_000, 100_000, 1_000_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000)
#: The simulator's ceiling for AUTO memory depth (keeps slow time bases quick to simulate).
AUTO_DEPTH_LIMIT = 1_000_000
#: Codes per division in WORD format, and the screen centre code.
CODES_PER_DIVISION = 7500
CENTRE = 32768
#: Points of a NORMal (screen) read.
SCREEN_POINTS = 1000
FORMAT_CODES = {"BYTE": 0, "WORD": 1, "ASC": 2}
MODE_CODES = {"NORM": 0, "MAX": 1, "RAW": 2}
#: Probe ratios of the user guide's table.
PROBE_RATIOS = (
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 50, 100, 150,
    200, 500, 1000, 1500, 2000, 5000, 10000, 15000, 20000, 50000,
)


class RigolDHOSim(ScopeSim):
    """A DHO800/DHO900 scope; subclasses set the model's limits."""

    optional_nodes = ("MAIN",)
    acquisition_types = ("NORM", "AVER", "PEAK", "ULTR")
    trigger_modes = ("EDGE", "PULS", "SLOP", "VID", "PATT", "DUR", "TIM", "RUNT", "WIND", "DEL",
                     "SHOL", "NEDG", "RS232", "IIC", "SPI", "CAN", "LIN")
    slopes: ClassVar[dict[str, str]] = {"POS": "rising", "NEG": "falling", "RFAL": "either"}
    sweeps = ("AUTO", "NORM", "SING")
    has_external = False
    max_external_level = 5.0
    min_scale = 500e-6
    max_scale = 10.0
    probe_range = None
    probe_ratios = PROBE_RATIOS
    #: The scope's dead time between acquisitions (30 000 waveforms/s in vector mode).
    rearm_time = 1 / 30_000
    #: Highest sample rate and memory depth with 1, 2 and 3–4 channels on.
    rates: ClassVar[tuple[float, float, float]] = (1.25e9, 625e6, 312.5e6)
    depths: ClassVar[tuple[int, int, int]] = (25_000_000, 10_000_000, 5_000_000)
    #: Trigger level range around the screen centre, in divisions.
    trigger_divisions: ClassVar[float] = 4.5

    def reset(self) -> None:
        self.memory_depth: int | str = 10_000
        self.waveform_source = 1
        self.waveform_mode = "NORM"
        self.waveform_format = "BYTE"
        self.averages = 2
        self.timebase_offset = 0.0
        super().reset()

    def channel_defaults(self) -> dict[str, float]:
        return {"scale": 0.05}

    def average_count(self) -> int:
        return self.averages

    def _number(self, value: float) -> str:
        return f"{value:.6E}"

    def _probe_reply(self, ratio: float) -> str:
        return f"{ratio:g}"  # the guide's replies: 0.001 … 10 … 50000

    def _level_key(self, source: int | str) -> int | str:
        return "EDGE"  # one edge level, whatever the source

    # ------------------------------------------------------------------ model
    def _limits(self, channels: tuple[int, ...]) -> tuple[float, int]:
        index = min(max(len(channels), 1), 3) - 1
        return self.rates[index], self.depths[index]

    def _timing(self, channels: tuple[int, ...]) -> tuple[float, float, int]:
        rate_max, depth_max = self._limits(channels)
        screen = 10.0 * float(self.get("timebase_scale"))
        if self.memory_depth == "AUTO":
            depth = int(min(depth_max, AUTO_DEPTH_LIMIT, max(DEPTHS[0], round(rate_max * screen))))
        else:
            depth = min(int(self.memory_depth), depth_max)
        rate = min(rate_max, depth / screen)
        span = depth / rate
        return self.timebase_offset - span / 2, 1.0 / rate, depth

    def _encode(self, volts: np.ndarray, state: ChannelState, acquisition: str) -> ChannelData:
        yinc = float(f"{state.scale / CODES_PER_DIVISION:.4E}")  # as the preamble reports it
        yorigin = round(state.offset / yinc)
        step = 1 if acquisition == "AVER" else 16
        levels = np.rint((volts / yinc + yorigin + CENTRE) / step)
        codes = np.clip(levels, 0, 65536 // step - 1) * step
        return ChannelData(codes.astype(np.uint16), yinc, float(yorigin))

    def _offset_limit(self, scale: float) -> float:
        tolerance = 1 + 1e-9  # a scale sent as 0.065 must count as 65 mV/div
        if scale * tolerance < 500e-6:
            return 0.5
        for bound, limit in ((65e-3, 1.0), (260e-3, 8.0), (2.65, 20.0)):
            if scale <= bound * tolerance:
                return limit
        return 100.0

    def _level_window(self, state: ChannelState) -> tuple[float, float]:
        half = self.trigger_divisions * state.scale
        return -half - state.offset, half - state.offset

    def _position_limits(self) -> tuple[float, float]:
        scale = float(self.get("timebase_scale"))
        if scale <= 10e-3:
            right = 1.0
        elif scale < 10.0:
            right = 100.0 * scale
        elif scale < 200.0:
            right = 1000.0
        else:
            right = 5.0 * scale
        return -5.0 * scale, right

    # ---------------------------------------------------------------- time base
    @command("TIM:OFFS", "TIM")
    def _timebase_offset(self, cmd: Command) -> None:
        value = cmd.float_arg()
        low, high = self._position_limits()
        if not low * (1 + 1e-9) <= value <= high * (1 + 1e-9):
            raise ValueError(f"offset {value} s outside {low}..{high} s")
        self.timebase_offset = value

    @command("TIM:OFFS?", "TIM?")
    def _timebase_offset_query(self, cmd: Command) -> str:
        return self._number(self.timebase_offset)

    # --------------------------------------------------------------- acquisition
    @command("ACQ:AVER")
    def _averages(self, cmd: Command) -> None:
        value = cmd.float_arg()
        if not 2 <= value <= 65536:
            raise ValueError(f"{value} averages")
        self.averages = 2 ** math.floor(math.log2(value))  # the scope rounds down

    @command("ACQ:AVER?")
    def _averages_query(self, cmd: Command) -> str:
        return str(self.averages)

    @command("ACQ:MDEP")
    def _memory_depth(self, cmd: Command) -> None:
        word = cmd.arg().upper()
        if word == "AUTO":
            self.memory_depth = "AUTO"
            return
        factor = {"K": 1e3, "M": 1e6}.get(word[-1:], 1.0)
        value = float(word[:-1] if factor != 1.0 else word) * factor
        if not any(math.isclose(value, d) for d in DEPTHS):
            raise ValueError(f"memory depth {word}")
        if value > self._limits(self._acquired_channels())[1]:
            self.push_error(*SETTINGS_CONFLICT)  # too deep for the channels that are on
            return
        self.memory_depth = round(value)

    @command("ACQ:MDEP?")
    def _memory_depth_query(self, cmd: Command) -> str:
        points = self._timing(self._acquired_channels())[2]
        return f"{points:.3E}".replace("E+0", "E+")

    @command("ACQ:SRAT?")
    def _sample_rate(self, cmd: Command) -> str:
        return f"{1.0 / self._timing(self._acquired_channels())[1]:.5E}"

    # ------------------------------------------------------------------ trigger
    @command("TRIG:SWE")
    def _sweep(self, cmd: Command) -> None:
        word = self.keyword(cmd, self.sweeps)
        if word == "SING":
            self.start_single()
        elif word is not None:
            super()._sweep(cmd)

    def start_single(self) -> None:
        self.sweep = "SING"
        super().start_single()

    @command("TFOR")
    def _force(self, cmd: Command) -> None:
        self.force_trigger()

    @command("TRIG:STAT?")
    def _trigger_status(self, cmd: Command) -> str:
        acq = self.acquiring
        if acq is None:
            return "STOP"
        now = self.bench.clock.now()
        if now < acq.armed_at:
            return "RUN"  # still filling the pre-trigger memory
        if acq.continuous:
            if self._trigger_phase() is not None:
                return "TD"
            return "AUTO" if acq.auto else "WAIT"
        return "WAIT" if acq.trigger_at is None or now < acq.trigger_at else "TD"

    # ----------------------------------------------------------------- waveform
    @command("WAV:SOUR")
    def _waveform_source(self, cmd: Command) -> None:
        source = self.parse_source(cmd.arg())
        if source is not None:
            self.waveform_source = int(source)

    @command("WAV:SOUR?")
    def _waveform_source_query(self, cmd: Command) -> str:
        return self.source_reply(self.waveform_source)

    @command("WAV:MODE")
    def _waveform_mode(self, cmd: Command) -> None:
        word = self.keyword(cmd, tuple(MODE_CODES))
        if word is not None:
            self.waveform_mode = word

    @command("WAV:MODE?")
    def _waveform_mode_query(self, cmd: Command) -> str:
        return self.waveform_mode

    @command("WAV:FORM")
    def _waveform_format(self, cmd: Command) -> None:
        word = self.keyword(cmd, tuple(FORMAT_CODES))
        if word is not None:
            self.waveform_format = word

    @command("WAV:FORM?")
    def _waveform_format_query(self, cmd: Command) -> str:
        return self.waveform_format

    def _selection(self) -> tuple[Record, np.ndarray | slice, float, float] | None:
        """(record, samples to read, xorigin, xincrement) for the source and mode, or None."""
        raw = self.waveform_mode == "RAW" or (self.waveform_mode == "MAX" and not self.is_running())
        if raw and self.is_running():
            return None
        record = self.latest_record()
        if record is None or self.waveform_source not in record.channels:
            return None
        if raw:
            return record, slice(None), record.xorigin, record.xincrement
        # The screen: the record's part between -5 and +5 divisions around the centre.
        half = 5.0 * float(self.get("timebase_scale"))
        times = record.times()
        inside = np.flatnonzero(np.abs(times - self.timebase_offset) <= half)
        if inside.size == 0:
            return None
        stride = max(1, math.ceil(inside.size / SCREEN_POINTS))
        chosen = inside[::stride]
        return record, chosen, float(times[chosen[0]]), record.xincrement * stride

    @command("WAV:PRE?")
    def _preamble(self, cmd: Command) -> str:
        selection = self._selection()
        state = self.channels[self.waveform_source]
        if selection is None:
            xorigin, xinc, _ = self._timing(self._acquired_channels())
            data = self._encode(np.zeros(0), state, self.acquisition_type)
            points, count = 0, 1
        else:
            record, chosen, xorigin, xinc = selection
            data = record.channels[self.waveform_source]
            points = len(data.codes[chosen])
            count = record.count
        yinc, yorigin, yref = data.yincrement, data.yorigin, CENTRE
        if self.waveform_format == "BYTE":
            yinc, yorigin, yref = yinc * 256, yorigin / 256, 128
        fields = (
            str(FORMAT_CODES[self.waveform_format]), str(MODE_CODES[self.waveform_mode]),
            str(points), str(count), f"{xinc:.6E}", f"{xorigin:.6E}", "0.000000E-12",
            f"{yinc:.6E}", str(round(yorigin)), str(yref),
        )
        return ",".join(fields)

    @command("WAV:DATA?")
    def _data(self, cmd: Command) -> bytes:
        selection = self._selection()
        if selection is None:
            # RAW reads need STOP, and a source without data has nothing to send.
            self.push_error(*SETTINGS_CONFLICT)
            return ieee_block(b"", 9)
        record, chosen, _xorigin, _xinc = selection
        data = record.channels[self.waveform_source]
        first = int(self.get("waveform_start"))
        last = int(self.get("waveform_stop"))
        codes = data.codes[chosen][first - 1:last]
        if self.waveform_format == "WORD":
            payload = codes.astype("<u2").tobytes()
        elif self.waveform_format == "BYTE":
            payload = (codes >> 8).astype(np.uint8).tobytes()
        else:
            volts = (codes.astype(float) - data.yorigin - CENTRE) * data.yincrement
            payload = ",".join(np.char.mod("%.6E", volts).tolist()).encode()
        return ieee_block(payload, 9)


class RigolDHO804Sim(RigolDHOSim):
    """DHO804: 70 MHz, 4 channels, 1.25 GSa/s, 25 Mpts, 500 µV/div to 10 V/div at 1:1."""
