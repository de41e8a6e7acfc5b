"""Rigol DHO800 and DHO900 oscilloscopes (12-bit; DHO802/804/812/814, DHO914(S)/924(S)).

pymeasure 0.16 ships no DHO driver, so this module declares a pymeasure ``Instrument`` +
``Channel`` pair from the DHO800/DHO900 Programming Guide and a role class on top.

Capture. :meth:`RigolDHOOscilloscope.single` sends ``:SING`` and polls ``:TRIG:STAT?`` until the
trigger system reports ``WAIT`` (armed), ``TD`` (triggered) or ``STOP`` (already done): ``RUN``
means the pre-trigger memory is still filling. ``:SING`` is a sequential command (only ``*RST``
overlaps on these scopes), so the status read after it already belongs to the new single shot.
``wait_for_capture`` polls ``:TRIG:STAT?`` on the bench clock until ``STOP``.

Waveforms are read from acquisition memory: ``RAW`` mode needs the scope stopped, so
:meth:`~RigolDHOOscilloscope.waveform` sends ``:STOP`` first (harmless after a completed single
shot). The 12-bit samples arrive as unsigned 16-bit little-endian words (``yreference`` 32768,
``yincrement`` = scale / 7500 in WORD format) in IEEE-488.2 blocks ``#9ddddddddd<data>\\n``. The
record (``:ACQ:MDEP?`` points) is read in windows of :data:`CHUNK_POINTS` set with ``:WAV:STAR`` /
``:WAV:STOP`` (1-based, inclusive). Scaling follows Rigol's definition, in which ``yorigin`` is an
offset in codes, not in volts as on Keysight::

    voltage = (code - yorigin - yreference) * yincrement
    time    = (index - xreference) * xincrement + xorigin       # index from 0, time in s

Complete command set (role method → messages in order → replies). ``n`` is the channel 1–4;
numbers are sent with ``%.9g``.

============================== ======================================= ===========================
Role method                    Messages                                Reply format
============================== ======================================= ===========================
identify()                     ``*IDN?``                               ``RIGOL TECHNOLOGIES,
                                                                       DHO804,<serial>,<fw>``
set_timebase(scale, position)  ``:TIM:MAIN:SCAL <s/div>``              —
                               ``:TIM:MAIN:OFFS <s>``                  —
                               ``:SYST:ERR?``                          ``0,"No error"`` (repeated
                                                                       until code 0)
configure_channel(n, scale,    ``:CHAN<n>:DISP 1|0``                   —
offset, coupling, enabled)     ``:CHAN<n>:COUP DC|AC``                 —
                               ``:CHAN<n>:SCAL <V/div>``               —
                               ``:CHAN<n>:OFFS <V>``                   —
                               ``:SYST:ERR?``                          ``<code>,"<message>"``
set_probe_attenuation(n, r)    ``:CHAN<n>:PROB <ratio>``               —
                               ``:SYST:ERR?``                          ``<code>,"<message>"``
set_trigger(source, level,     ``:TRIG:MODE EDGE``                     —
slope)                         ``:TRIG:EDGE:SOUR CHAN<n>|EXT``         —
                               ``:TRIG:EDGE:LEV <V>``                  —
                               ``:TRIG:EDGE:SLOP POS|NEG``             —
                               ``:SYST:ERR?``                          ``<code>,"<message>"``
set_averaging(1)               ``:ACQ:TYPE NORM``                      —
                               ``:SYST:ERR?``                          ``<code>,"<message>"``
set_averaging(2**k)            ``:ACQ:TYPE AVER``                      —
                               ``:ACQ:AVER <count>``                   —
                               ``:SYST:ERR?``                          ``<code>,"<message>"``
single()                       ``:SING``                               —
                               ``:TRIG:STAT?`` every 50 ms until       ``RUN``/``AUTO``/``WAIT``/
                               ``WAIT``, ``TD`` or ``STOP``            ``TD``/``STOP``
                               on arm time-out: ``:STOP``              —
wait_for_capture(timeout)      ``:TRIG:STAT?`` every 50 ms until       as above
                               ``STOP``
                               on time-out: ``:STOP``                  —
waveform(n, points)            ``:STOP``                               —
                               ``:WAV:SOUR CHAN<n>``                   —
                               ``:WAV:MODE RAW``                       —
                               ``:WAV:FORM WORD``                      —
                               ``:SYST:ERR?``                          ``<code>,"<message>"``
                               ``:ACQ:MDEP?``                          record length, e.g.
                                                                       ``1.000E+04``
                               ``:WAV:PRE?``                           10 fields, see below
                               per window of ≤ 100 000 points:
                               ``:WAV:STAR <first>``                   —
                               ``:WAV:STOP <last>``                    —
                               ``:WAV:DATA?``                          ``#9<9 digits><uint16 LE>``
                                                                       then ``\\n``
capture(channels, timeout)     single(), wait_for_capture(timeout),    as above
                               then waveform(n) for each channel
close()                        (closes the VISA session)               —
============================== ======================================= ===========================

Preamble (``:WAV:PRE?``), comma-separated, in this order: ``format`` (0 BYTE, 1 WORD, 2 ASC),
``type`` (0 NORMal, 1 MAXimum, 2 RAW), ``points``, ``count`` (averages, or 1), ``xincrement`` (s),
``xorigin`` (s, time of the first point), ``xreference`` (0), ``yincrement`` (V/code), ``yorigin``
(codes), ``yreference`` (codes). Example from a DHO824 in RAW/WORD:
``1,2,10000,1,4.000000E-07,-2.000000E-03,0.000000E-12,6.666700E-06,-22718,32768``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
from pymeasure.instruments import Channel, Instrument
from pymeasure.instruments.generic_types import SCPIMixin
from pymeasure.instruments.validators import strict_discrete_set, strict_range

from labctl.drivers.scope_base import (
    Preamble,
    ScopeModel,
    ScopeRoleBase,
    error_queue_measurement,
    keyword_control,
    make_waveform,
    transfer_seconds,
)
from labctl.drivers.scpi import extended_timeout, read_ieee_block
from labctl.errors import InstrumentError, ParameterError
from labctl.roles.oscilloscope import Coupling, OscilloscopeCapabilities, Slope, Waveform
from labctl.validation import check_range

#: Points per ``:WAV:DATA?`` block. The guide gives no limit for the DHO; this stays below the
#: 125 000-word limit its DS1000Z predecessor documents, at 200 kB per block.
CHUNK_POINTS = 100_000
#: Averages allowed by ``:ACQ:AVER``: 2**n, n = 1 to 16.
AVERAGE_COUNTS = tuple(2**n for n in range(1, 17))
#: Probe ratios accepted by ``:CHAN<n>:PROB``.
PROBE_RATIOS = (
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 50, 100, 150,
    200, 500, 1000, 1500, 2000, 5000, 10000, 15000, 20000, 50000,
)
#: ``:TRIG:STAT?`` replies meaning the single shot is armed or already past arming.
ARMED = frozenset({"WAIT", "TD", "STOP"})
#: Preamble codes.
FORMAT_WORD = 1
TYPE_RAW = 2

_CHANNELS = {n: f"CHAN{n}" for n in (1, 2, 3, 4)}


class RigolDHOChannel(Channel):
    """One analog input, ``:CHAN<n>``."""

    scale = Channel.control(
        ":CHAN{ch}:SCAL?", ":CHAN{ch}:SCAL %.9g",
        """Control the vertical scale in V/div (float; 500 µV/div (DHO800) or 200 µV/div
        (DHO900) to 10 V/div at 1:1, times the probe ratio).""",
        validator=strict_range, values=[0.2e-6, 500_000.0],
    )
    offset = Channel.control(
        ":CHAN{ch}:OFFS?", ":CHAN{ch}:OFFS %.9g",
        """Control the vertical offset in V (float); its range depends on the scale.""",
    )
    coupling = keyword_control(
        ":CHAN{ch}:COUP?", ":CHAN{ch}:COUP %s",
        """Control the input coupling: ``"dc"`` or ``"ac"``.""",
        {"dc": "DC", "ac": "AC"},
    )
    display_enabled = Channel.control(
        ":CHAN{ch}:DISP?", ":CHAN{ch}:DISP %d",
        """Control whether the channel is on (bool).""",
        validator=strict_discrete_set, values={True: 1, False: 0}, map_values=True,
    )
    probe_attenuation = Channel.control(
        ":CHAN{ch}:PROB?", ":CHAN{ch}:PROB %.9g",
        """Control the probe ratio (float, one of :data:`PROBE_RATIOS`).""",
        validator=strict_discrete_set, values=PROBE_RATIOS,
    )


class RigolDHO(SCPIMixin, Instrument):
    """Rigol DHO800/DHO900 oscilloscope: settings and transfers, no behaviour."""

    channels = Instrument.MultiChannelCreator(RigolDHOChannel, (1, 2, 3, 4))

    def __init__(self, adapter: Any, name: str = "Rigol DHO oscilloscope", **kwargs: Any) -> None:
        super().__init__(adapter, name, **kwargs)

    next_error = error_queue_measurement(":SYST:ERR?")

    # ------------------------------------------------------------------ time base
    timebase_scale = Instrument.control(
        ":TIM:MAIN:SCAL?", ":TIM:MAIN:SCAL %.9g",
        """Control the main time base in s/div (float, 2 ns/div to 1000 s/div over the
        family).""",
        validator=strict_range, values=[1e-9, 1000.0],
    )
    timebase_offset = Instrument.control(
        ":TIM:MAIN:OFFS?", ":TIM:MAIN:OFFS %.9g",
        """Control the time from the trigger to the screen centre in s (float); from
        -5 div to the right limit that depends on the scale.""",
    )

    # ---------------------------------------------------------------- acquisition
    acquisition_type = keyword_control(
        ":ACQ:TYPE?", ":ACQ:TYPE %s",
        """Control the acquisition mode: ``"normal"``, ``"average"``, ``"peak"`` or
        ``"ultra"`` (UltraAcquire).""",
        {"normal": "NORM", "average": "AVER", "peak": "PEAK", "ultra": "ULTR"},
    )
    acquisition_averages = Instrument.control(
        ":ACQ:AVER?", ":ACQ:AVER %d",
        """Control the number of averages (int, a power of two from 2 to 65536).""",
        validator=strict_discrete_set, values=AVERAGE_COUNTS, cast=int,
    )
    memory_depth = Instrument.measurement(
        ":ACQ:MDEP?",
        """Get the memory depth in points (int); the record length of a RAW read.""",
        cast=str,
        get_process=lambda v: _record_length(v),
    )

    # --------------------------------------------------------------------- trigger
    trigger_mode = keyword_control(
        ":TRIG:MODE?", ":TRIG:MODE %s",
        """Control the trigger type; this driver uses ``"edge"`` only.""",
        {"edge": "EDGE"},
    )
    trigger_source = keyword_control(
        ":TRIG:EDGE:SOUR?", ":TRIG:EDGE:SOUR %s",
        """Control the edge trigger source: channel 1 to 4, or ``"external"`` (DHO802 and
        DHO812 only).""",
        {**_CHANNELS, "external": "EXT"},
    )
    trigger_level = Instrument.control(
        ":TRIG:EDGE:LEV?", ":TRIG:EDGE:LEV %.9g",
        """Control the edge trigger level in V (float).""",
    )
    trigger_slope = keyword_control(
        ":TRIG:EDGE:SLOP?", ":TRIG:EDGE:SLOP %s",
        """Control the edge: ``"rising"`` or ``"falling"``.""",
        {"rising": "POS", "falling": "NEG"},
    )
    trigger_status = Instrument.measurement(
        ":TRIG:STAT?",
        """Get the trigger status: ``"TD"``, ``"WAIT"``, ``"RUN"``, ``"AUTO"`` or ``"STOP"``.""",
        cast=str,
        get_process=lambda v: str(v).strip().upper(),
    )

    # -------------------------------------------------------------- run control
    def single(self) -> None:
        """Arm one acquisition (``:SING``, the same as ``:TRIG:SWE SING``)."""
        self.write(":SING")

    def stop(self) -> None:
        """Stop acquiring (``:STOP``); RAW reads need it."""
        self.write(":STOP")

    # -------------------------------------------------------------------- waveform
    waveform_source = keyword_control(
        ":WAV:SOUR?", ":WAV:SOUR %s",
        """Control the channel (1 to 4) that ``:WAV`` queries read.""",
        _CHANNELS,
    )
    waveform_mode = keyword_control(
        ":WAV:MODE?", ":WAV:MODE %s",
        """Control what is read: ``"normal"`` (screen, 1000 points), ``"maximum"`` or
        ``"raw"`` (acquisition memory; needs STOP).""",
        {"normal": "NORM", "maximum": "MAX", "raw": "RAW"},
    )
    waveform_format = keyword_control(
        ":WAV:FORM?", ":WAV:FORM %s",
        """Control the transfer format: ``"word"`` (16 bit), ``"byte"`` or ``"ascii"``.""",
        {"word": "WORD", "byte": "BYTE", "ascii": "ASC"},
    )
    waveform_start = Instrument.control(
        ":WAV:STAR?", ":WAV:STAR %d",
        """Control the first point (1-based) a RAW read returns (int).""",
        validator=strict_range, values=[1, 50_000_000], cast=int,
    )
    waveform_stop = Instrument.control(
        ":WAV:STOP?", ":WAV:STOP %d",
        """Control the last point (1-based, inclusive) a RAW read returns (int).""",
        validator=strict_range, values=[1, 50_000_000], cast=int,
    )
    waveform_preamble = Instrument.measurement(
        ":WAV:PRE?",
        """Get the preamble of the selected source as a :class:`Preamble`.""",
        get_process=lambda field: Preamble.parse([field], ":WAV:PRE?"),
        get_process_list=lambda fields: Preamble.parse(fields, ":WAV:PRE?"),
    )

    def read_waveform_data(self) -> np.ndarray:
        """Send ``:WAV:DATA?`` and return the block as unsigned 16-bit codes (LSB first)."""
        return read_ieee_block(self, ":WAV:DATA?", "<u2")


def _record_length(reply: Any) -> int:
    """``:ACQ:MDEP?`` answers in scientific notation (``1.000E+6``)."""
    try:
        points = float(str(reply).strip())
    except ValueError:
        raise InstrumentError(f":ACQ:MDEP? answered {reply!r}, expected a number") from None
    if not math.isfinite(points) or points < 0 or points != int(points):
        raise InstrumentError(f":ACQ:MDEP? answered {reply!r}, expected a point count")
    return int(points)


def _model(
    name: str, channels: int, bandwidth: float, *, dho900: bool, external: bool
) -> ScopeModel:
    return ScopeModel(
        capabilities=OscilloscopeCapabilities(
            model=f"Rigol {name}", channels=channels, bandwidth=bandwidth,
            max_points=50_000_000 if dho900 else 25_000_000,
        ),
        min_scale=200e-6 if dho900 else 500e-6,
        max_scale=10.0,
        min_timebase=2e-9 if dho900 else 5e-9,
        max_timebase=1000.0 if dho900 else 500.0,
        max_offset=100.0,
        max_trigger_level=4.5 * 10.0 + 100.0,  # ±4.5 div from the centre, minus the offset
        external_trigger=external,
        max_external_level=5.0 if external else 0.0,
    )


#: Family members. ``max_points`` is the deepest record (one channel on); a waveform() call
#: returns it whole, in :data:`CHUNK_POINTS` blocks.
MODELS: dict[str, ScopeModel] = {
    "DHO802": _model("DHO802", 2, 70e6, dho900=False, external=True),
    "DHO804": _model("DHO804", 4, 70e6, dho900=False, external=False),
    "DHO812": _model("DHO812", 2, 100e6, dho900=False, external=True),
    "DHO814": _model("DHO814", 4, 100e6, dho900=False, external=False),
    "DHO914": _model("DHO914", 4, 125e6, dho900=True, external=False),
    "DHO924": _model("DHO924", 4, 250e6, dho900=True, external=False),
}
# The S models add a signal generator, not analog inputs.
for _base in ("DHO914", "DHO924"):
    MODELS[_base + "S"] = replace(
        MODELS[_base],
        capabilities=replace(MODELS[_base].capabilities, model=f"Rigol {_base}S"),
    )


def offset_limit(scale: float) -> float:
    """Largest |offset| in V at 1:1 for a vertical ``scale`` in V/div (Programming Guide)."""
    if scale < 500e-6:
        return 0.5
    if scale <= 65e-3:
        return 1.0
    if scale <= 260e-3:
        return 8.0
    if scale <= 2.65:
        return 20.0
    return 100.0


def position_limits(scale: float) -> tuple[float, float]:
    """Allowed ``:TIM:MAIN:OFFS`` in s for a time base ``scale`` in s/div (RUN state)."""
    if scale <= 10e-3:
        right = 1.0
    elif scale < 10.0:
        right = 100.0 * scale
    elif scale < 200.0:
        right = 1000.0
    else:
        right = 5.0 * scale
    return -5.0 * scale, right


class RigolDHOOscilloscope(ScopeRoleBase):
    """The ``Oscilloscope`` role on a Rigol DHO800/DHO900.

    ``model`` (a key of :data:`MODELS`, default ``"DHO804"``; a bench file sets it under
    ``settings:``) chooses the limits that arguments are checked against.
    """

    models = MODELS
    default_model = "DHO804"
    capabilities = MODELS["DHO804"].capabilities

    # -------------------------------------------------------------------- set-up
    def set_timebase(self, scale: float, position: float = 0.0) -> None:
        """``scale`` in s/div (5 ns/div to 500 s/div on DHO800); ``position`` in s from the
        trigger to the screen centre, from -5 div to the scale-dependent right limit."""
        scale = self._check_timebase(scale)
        low, high = position_limits(scale)
        position = check_range("position", position, low, high, "s")
        with self.lock:
            self.instrument.timebase_scale = scale
            self.instrument.timebase_offset = position
            self._raise_instrument_errors()

    def configure_channel(
        self,
        channel: int,
        scale: float,
        offset: float = 0.0,
        coupling: Coupling = "dc",
        enabled: bool = True,
    ) -> None:
        """``scale`` in V/div (model range × probe ratio), ``offset`` in V within the guide's
        scale-dependent range, ``coupling`` ``"dc"`` or ``"ac"``."""
        channel = self._check_channel(channel)
        scale = self._check_scale(channel, scale)
        offset = self._check_offset(channel, scale, offset)
        coupling = self._check_coupling(coupling)
        enabled = self._check_enabled(enabled)
        with self.lock:
            ch = self.instrument.channels[channel]
            ch.display_enabled = enabled
            ch.coupling = coupling
            ch.scale = scale  # before the offset, whose range depends on it
            ch.offset = offset
            self._raise_instrument_errors()

    def set_probe_attenuation(self, channel: int, ratio: float) -> None:
        """Tell the scope (and this role's range checks) the probe ratio, one of
        :data:`PROBE_RATIOS`."""
        channel = self._check_channel(channel)
        matches = [r for r in PROBE_RATIOS if math.isclose(r, float(ratio), rel_tol=1e-9)] \
            if isinstance(ratio, int | float) and not isinstance(ratio, bool) else []
        if not matches:
            raise ParameterError(f"ratio = {ratio!r} is not one of {list(PROBE_RATIOS)}")
        with self.lock:
            self.instrument.channels[channel].probe_attenuation = matches[0]
            self._raise_instrument_errors()
            self.probe_attenuation[channel] = float(matches[0])

    def set_trigger(
        self, source: int | str, level: float, slope: Slope = "rising"
    ) -> None:
        """Edge trigger on channel ``source`` or ``"external"`` (DHO802/812), ``level`` in V."""
        source = self._check_source(source)
        level = self._check_level(source, level)
        slope = self._check_slope(slope)
        with self.lock:
            inst = self.instrument
            inst.trigger_mode = "edge"
            inst.trigger_source = source
            inst.trigger_level = level
            inst.trigger_slope = slope
            self._raise_instrument_errors()

    def set_averaging(self, count: int) -> None:
        """Average ``count`` acquisitions, a power of two from 2 to 65536; ``1`` switches
        averaging off. Other counts are refused (the scope would round them down silently)."""
        if isinstance(count, bool) or not isinstance(count, int | np.integer) \
                or int(count) not in (1, *AVERAGE_COUNTS):
            raise ParameterError(f"count = {count!r} is not 1 or a power of two from 2 to 65536")
        count = int(count)
        with self.lock:
            if count == 1:
                self.instrument.acquisition_type = "normal"
            else:
                self.instrument.acquisition_type = "average"
                self.instrument.acquisition_averages = count
            self._raise_instrument_errors()

    # ------------------------------------------------------------------- capture
    def single(self) -> None:
        """Arm one acquisition; return once the trigger is armed (or has already fired)."""
        with self.lock:
            inst = self.instrument
            inst.single()
            self._poll(
                lambda: inst.trigger_status,
                lambda status: status in ARMED,
                self.arm_timeout,
                "the trigger did not arm",
                on_timeout=inst.stop,  # so it cannot trigger later, unobserved
            )

    def wait_for_capture(self, timeout: float = 10.0) -> None:
        """Wait until the scope reports ``STOP``, at most ``timeout`` s.

        Raises :class:`~labctl.drivers.scope_base.CaptureTimeoutError` (an ``InstrumentError``
        and a ``TimeoutError``) after sending ``:STOP`` if it does not.
        """
        timeout = self._check_timeout(timeout)
        with self.lock:
            inst = self.instrument
            self._poll(
                lambda: inst.trigger_status,
                lambda status: status == "STOP",
                timeout,
                "the acquisition did not complete",
                on_timeout=inst.stop,
            )

    def waveform(self, channel: int, points: int | None = None) -> Waveform:
        """Read ``channel`` from acquisition memory (RAW, WORD) and scale it.

        The whole record is transferred; ``points`` (1 to the model's ``max_points``) keeps
        every k-th sample so that at most ``points`` remain over the same time span. Returns
        time in s relative to the trigger and voltage in V. The read starts with ``:STOP``, so
        calling it while a single shot is still armed ends that shot.
        """
        channel = self._check_channel(channel)
        if points is not None:
            points = self._check_integer("points", points, 1, self.capabilities.max_points)
        with self.lock:
            inst = self.instrument
            inst.stop()  # RAW reads only work in STOP
            inst.waveform_source = channel
            inst.waveform_mode = "raw"
            inst.waveform_format = "word"
            self._raise_instrument_errors()
            record = inst.memory_depth
            preamble = inst.waveform_preamble
            self._check_preamble(preamble, record)
            with extended_timeout(inst, transfer_seconds(record)):
                codes = self._read_record(record)
        stride = 1 if points is None else max(1, math.ceil(record / points))
        indices = np.arange(0, record, stride)
        codes = codes[::stride]
        voltage = (codes.astype(float) - preamble.yorigin - preamble.yreference) \
            * preamble.yincrement
        return make_waveform(preamble.times(indices), voltage, channel)

    # ------------------------------------------------------------------- helpers
    def _read_record(self, record: int) -> np.ndarray:
        inst = self.instrument
        blocks = []
        for first in range(1, record + 1, CHUNK_POINTS):
            last = min(first + CHUNK_POINTS - 1, record)
            inst.waveform_start = first
            inst.waveform_stop = last
            block = inst.read_waveform_data()
            if len(block) != last - first + 1:
                raise InstrumentError(
                    f"{self.name}: points {first} to {last} requested, "
                    f"the block held {len(block)}"
                )
            blocks.append(block)
        return np.concatenate(blocks)

    def _check_preamble(self, preamble: Preamble, record: int) -> None:
        if preamble.format != FORMAT_WORD:
            raise InstrumentError(
                f"{self.name}: preamble format {preamble.format}, expected 1 (WORD)"
            )
        if preamble.type != TYPE_RAW:
            raise InstrumentError(f"{self.name}: preamble type {preamble.type}, expected 2 (RAW)")
        if record <= 0:
            raise InstrumentError(f"{self.name}: no waveform in memory; capture first")

    def _check_offset(self, channel: int, scale: float, offset: float) -> float:
        probe = self.probe_attenuation[channel]
        bound = offset_limit(scale / probe) * probe
        return check_range("offset", offset, -bound, bound, "V")
