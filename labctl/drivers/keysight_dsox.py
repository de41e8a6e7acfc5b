"""Keysight InfiniiVision X-Series oscilloscopes (DSOX/MSOX 1000X, 2000X, 3000T; one command set).

Why not pymeasure's ``KeysightDSOX1102G``: it is built on ``SCPIUnknownMixin`` (a FutureWarning on
every connection), formats times and volts with ``%f`` (six decimals: a 2 ns/div time base or a
100 ns trigger position is sent as ``0.000000``), knows two channels through an old-style channel
class whose ``ask`` returns nothing, accepts at most 62 500 points and reads waveforms as ASCII
only. Subclassing it would mean overriding nearly every member, so this module declares a clean
``Instrument`` + ``Channel`` pair instead and keeps the vendor's long-form spellings.

Capture. With averaging off, :meth:`KeysightDSOXOscilloscope.single` stops the scope, clears the
latched Arm Event Register (``:AER?``), sends ``:SINGle`` and polls ``:AER?`` until the trigger is
armed, so a pulse fired right after ``single()`` returns is caught. ``wait_for_capture`` polls the
Run bit (bit 3, value 8) of ``:OPERegister:CONDition?`` on the bench clock until it clears: the
programmer's guide's "polling synchronization with timeout", which never blocks the bus and
gives a time-out in our hands. On X-Series scopes ``:SINGle`` itself selects the NORMal trigger
sweep, so a single shot never auto-triggers. With averaging on, ``single`` sends ``:DIGitize``
instead, which acquires the complete average set by ``:ACQuire:COUNt``, and ``wait_for_capture``
uses the guide's blocking form, ``*OPC?`` with the VISA timeout raised to the caller's time-out.

Waveforms are read as signed 16-bit little-endian words (12-bit samples left-justified by the
scope) in an IEEE-488.2 block ``#8dddddddd<data>\\n`` and scaled with the preamble exactly as the
programmer's guide defines it::

    voltage = (code - yreference) * yincrement + yorigin        # yorigin in V
    time    = (index - xreference) * xincrement + xorigin       # index from 0, time in s

Complete command set (role method → messages in order → replies). ``n`` is the channel 1–4;
numbers are sent with ``%.9g`` (``2e-09``, ``0.001``, ``-0.15``).

============================== ======================================= ===========================
Role method                    Messages                                Reply format
============================== ======================================= ===========================
identify()                     ``*IDN?``                               ``KEYSIGHT TECHNOLOGIES,
                                                                       DSO-X 3024T,<serial>,<fw>``
set_timebase(scale, position)  ``:TIMebase:SCALe <s/div>``             —
                               ``:TIMebase:POSition <s>``              —
                               ``:SYSTem:ERRor?``                      ``+0,"No error"`` (repeated
                                                                       until code 0)
configure_channel(n, scale,    ``:CHANnel<n>:DISPlay 1|0``             —
offset, coupling, enabled)     ``:CHANnel<n>:COUPling DC|AC``          —
                               ``:CHANnel<n>:SCALe <V/div>``           —
                               ``:CHANnel<n>:OFFSet <V>``              —
                               ``:SYSTem:ERRor?``                      ``<code>,"<message>"``
set_probe_attenuation(n, r)    ``:CHANnel<n>:PROBe <ratio>``           —
                               ``:SYSTem:ERRor?``                      ``<code>,"<message>"``
set_trigger(source, level,     ``:TRIGger:MODE EDGE``                  —
slope)                         ``:TRIGger:EDGE:SOURce CHANnel<n>|``    —
                               ``EXTernal``
                               ``:TRIGger:EDGE:LEVel <V>``             —
                               ``:TRIGger:EDGE:SLOPe POSitive|``       —
                               ``NEGative``
                               ``:SYSTem:ERRor?``                      ``<code>,"<message>"``
set_averaging(1)               ``:ACQuire:TYPE NORMal``                —
                               ``:SYSTem:ERRor?``                      ``<code>,"<message>"``
set_averaging(count ≥ 2)       ``:ACQuire:TYPE AVERage``               —
                               ``:ACQuire:COUNt <count>``              —
                               ``:SYSTem:ERRor?``                      ``<code>,"<message>"``
single() — not averaging       ``:ACQuire:TYPE?``                      ``NORM`` (or ``HRES``,
                                                                       ``PEAK``)
                               ``:STOP``                               —
                               ``:AER?`` (clears the latch)            ``0`` or ``1``
                               ``:SINGle``                             —
                               ``:AER?`` every 50 ms until ``1``       ``0`` / ``1``
                               on arm time-out: ``:STOP``              —
single() — averaging           ``:ACQuire:TYPE?``                      ``AVER``
                               ``:DIGitize``                           —
wait_for_capture(timeout) —    ``:OPERegister:CONDition?`` every 50 ms integer; done when
after ``:SINGle``              until bit 3 (8) is clear                ``value & 8 == 0``
                               on time-out: ``:STOP``                  —
wait_for_capture(timeout) —    ``*OPC?`` (VISA timeout = timeout+1 s)  ``1``
after ``:DIGitize``            on time-out: device clear, ``:STOP``    —
waveform(n, points)            ``:WAVeform:SOURce CHANnel<n>``         —
                               ``:WAVeform:FORMat WORD``               —
                               ``:WAVeform:BYTeorder LSBFirst``        —
                               ``:WAVeform:UNSigned 0``                —
                               ``:WAVeform:POINts:MODE RAW``           —
                               ``:WAVeform:POINts <points>|MAXimum``   —
                               ``:SYSTem:ERRor?``                      ``<code>,"<message>"``
                               ``:WAVeform:PREamble?``                 10 fields, see below
                               ``:WAVeform:DATA?``                     ``#8<8 digits><int16 LE>``
                                                                       then ``\\n``
capture(channels, timeout)     single(), wait_for_capture(timeout),    as above
                               then waveform(n) for each channel
close()                        (closes the VISA session)               —
============================== ======================================= ===========================

Preamble (``:WAVeform:PREamble?``), comma-separated, in this order: ``format`` (0 BYTE, 1 WORD,
4 ASCii), ``type`` (0 NORMal, 1 PEAK, 2 AVERage, 3 HRESolution), ``points``, ``count`` (averages,
or 1), ``xincrement`` (s), ``xorigin`` (s), ``xreference`` (index), ``yincrement`` (V/code),
``yorigin`` (V), ``yreference`` (code). Example:
``+1,+0,+1000,+1,+1.00000000E-09,-5.00000000E-07,+0,+7.81250000E-05,+0.00000E+00,+0``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from pymeasure.instruments import Channel, Instrument
from pymeasure.instruments.generic_types import SCPIMixin
from pymeasure.instruments.validators import strict_discrete_set, strict_range
from pyvisa.errors import VisaIOError

from labctl.drivers.scope_base import (
    CaptureTimeoutError,
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
from labctl.roles.oscilloscope import (
    Coupling,
    OscilloscopeCapabilities,
    Slope,
    Waveform,
)
from labctl.validation import check_range

#: ``:WAVeform:POINts`` values accepted in RAW points mode (programmer's guide); the scope returns
#: fewer when its record is shorter.
POINTS_VALUES = (
    100, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
    1_000_000, 2_000_000, 4_000_000, 8_000_000,
)
#: Run bit of the Operation Status Condition Register: set while the scope is acquiring.
RUN_BIT = 1 << 3
#: ``:ACQuire:COUNt`` range in AVERage mode.
MAX_AVERAGES = 65536
#: Preamble codes.
FORMAT_WORD = 1
TYPE_PEAK = 1

_CHANNELS = {n: f"CHANnel{n}" for n in (1, 2, 3, 4)}


class KeysightDSOXChannel(Channel):
    """One analog input, ``:CHANnel<n>``."""

    scale = Channel.control(
        ":CHANnel{ch}:SCALe?", ":CHANnel{ch}:SCALe %.9g",
        """Control the vertical scale in V/div (float, 500 µV/div to 10 V/div at 1:1 across the
        family; the model and probe set the actual limits).""",
        validator=strict_range, values=[50e-6, 100_000.0],
    )
    offset = Channel.control(
        ":CHANnel{ch}:OFFSet?", ":CHANnel{ch}:OFFSet %.9g",
        """Control the voltage at the centre of the screen in V (float). The scope clamps it to
        its scale-dependent range.""",
    )
    coupling = keyword_control(
        ":CHANnel{ch}:COUPling?", ":CHANnel{ch}:COUPling %s",
        """Control the input coupling: ``"dc"`` or ``"ac"``.""",
        {"dc": "DC", "ac": "AC"},
    )
    display_enabled = Channel.control(
        ":CHANnel{ch}:DISPlay?", ":CHANnel{ch}:DISPlay %d",
        """Control whether the channel is on (bool); only displayed channels are acquired.""",
        validator=strict_discrete_set, values={True: 1, False: 0}, map_values=True,
    )
    probe_attenuation = Channel.control(
        ":CHANnel{ch}:PROBe?", ":CHANnel{ch}:PROBe %.9g",
        """Control the probe attenuation ratio (float, 0.1 to 10000).""",
        validator=strict_range, values=[0.1, 10_000.0],
    )


class KeysightDSOX(SCPIMixin, Instrument):
    """Keysight InfiniiVision DSOX/MSOX oscilloscope: settings and transfers, no behaviour."""

    channels = Instrument.MultiChannelCreator(KeysightDSOXChannel, (1, 2, 3, 4))

    def __init__(
        self, adapter: Any, name: str = "Keysight InfiniiVision oscilloscope", **kwargs: Any
    ) -> None:
        super().__init__(adapter, name, **kwargs)

    next_error = error_queue_measurement(":SYSTem:ERRor?")

    # ------------------------------------------------------------------ time base
    timebase_scale = Instrument.control(
        ":TIMebase:SCALe?", ":TIMebase:SCALe %.9g",
        """Control the horizontal scale in s/div (float, 500 ps/div to 50 s/div).""",
        validator=strict_range, values=[500e-12, 50.0],
    )
    timebase_position = Instrument.control(
        ":TIMebase:POSition?", ":TIMebase:POSition %.9g",
        """Control the time from the trigger to the screen centre in s (float); positive values
        show more of what follows the trigger.""",
    )

    # ---------------------------------------------------------------- acquisition
    acquisition_type = keyword_control(
        ":ACQuire:TYPE?", ":ACQuire:TYPE %s",
        """Control the acquisition type: ``"normal"``, ``"average"``, ``"hresolution"`` or
        ``"peak"``.""",
        {"normal": "NORMal", "average": "AVERage", "hresolution": "HRESolution",
         "peak": "PEAK"},
    )
    acquisition_count = Instrument.control(
        ":ACQuire:COUNt?", ":ACQuire:COUNt %d",
        """Control the number of averages in AVERage mode (int, 2 to 65536).""",
        validator=strict_range, values=[2, MAX_AVERAGES], cast=int,
    )

    # --------------------------------------------------------------------- trigger
    trigger_mode = keyword_control(
        ":TRIGger:MODE?", ":TRIGger:MODE %s",
        """Control the trigger type; this driver uses ``"edge"`` only.""",
        {"edge": "EDGE"},
    )
    trigger_source = keyword_control(
        ":TRIGger:EDGE:SOURce?", ":TRIGger:EDGE:SOURce %s",
        """Control the edge trigger source: channel 1 to 4 or ``"external"``.""",
        {**_CHANNELS, "external": "EXTernal"},
    )
    trigger_level = Instrument.control(
        ":TRIGger:EDGE:LEVel?", ":TRIGger:EDGE:LEVel %.9g",
        """Control the edge trigger level of the selected source in V (float).""",
    )
    trigger_slope = keyword_control(
        ":TRIGger:EDGE:SLOPe?", ":TRIGger:EDGE:SLOPe %s",
        """Control the edge: ``"rising"`` or ``"falling"``.""",
        {"rising": "POSitive", "falling": "NEGative"},
    )

    # -------------------------------------------------------------- run control
    def single(self) -> None:
        """Arm one acquisition (``:SINGle``); X-Series scopes switch to NORMal sweep for it."""
        self.write(":SINGle")

    def stop(self) -> None:
        """Stop acquiring (``:STOP``)."""
        self.write(":STOP")

    def digitize(self) -> None:
        """Acquire the displayed channels per the ``:ACQuire`` settings (``:DIGitize``)."""
        self.write(":DIGitize")

    arm_event = Instrument.measurement(
        ":AER?",
        """Get the Arm Event Register (int): 1 once the trigger has armed. Reading clears it.""",
        cast=int,
    )
    operation_condition = Instrument.measurement(
        ":OPERegister:CONDition?",
        """Get the Operation Status Condition Register (int); bit 3 (8) is set while running.""",
        cast=int,
    )

    # -------------------------------------------------------------------- waveform
    waveform_source = keyword_control(
        ":WAVeform:SOURce?", ":WAVeform:SOURce %s",
        """Control the channel (1 to 4) that ``:WAVeform`` queries read.""",
        _CHANNELS,
    )
    waveform_format = keyword_control(
        ":WAVeform:FORMat?", ":WAVeform:FORMat %s",
        """Control the transfer format: ``"word"`` (16 bit), ``"byte"`` or ``"ascii"``.""",
        {"word": "WORD", "byte": "BYTE", "ascii": "ASCii"},
    )
    waveform_byte_order = keyword_control(
        ":WAVeform:BYTeorder?", ":WAVeform:BYTeorder %s",
        """Control the byte order of WORD data: ``"lsb_first"`` or ``"msb_first"``.""",
        {"lsb_first": "LSBFirst", "msb_first": "MSBFirst"},
    )
    waveform_unsigned = Instrument.control(
        ":WAVeform:UNSigned?", ":WAVeform:UNSigned %d",
        """Control whether binary data are unsigned (bool); this driver reads signed data.""",
        validator=strict_discrete_set, values={True: 1, False: 0}, map_values=True,
    )
    waveform_points_mode = keyword_control(
        ":WAVeform:POINts:MODE?", ":WAVeform:POINts:MODE %s",
        """Control which record is read: ``"normal"`` (screen), ``"maximum"`` or ``"raw"``
        (the acquisition record; needs the scope stopped).""",
        {"normal": "NORMal", "maximum": "MAXimum", "raw": "RAW"},
    )
    waveform_points = Instrument.control(
        ":WAVeform:POINts?", ":WAVeform:POINts %s",
        """Control how many points a transfer returns: one of 100, 250, 500, 1000, ... 8 000 000,
        or ``"maximum"`` for the whole record. The scope returns fewer if it has fewer.""",
        validator=strict_discrete_set,
        values=[*POINTS_VALUES, "maximum"],
        set_process=lambda v: "MAXimum" if v == "maximum" else str(int(v)),
        cast=int,
    )
    waveform_preamble = Instrument.measurement(
        ":WAVeform:PREamble?",
        """Get the preamble of the selected source as a :class:`Preamble`.""",
        get_process=lambda field: Preamble.parse([field]),  # a one-field reply is an error
        get_process_list=lambda fields: Preamble.parse(fields),
    )

    def read_waveform_data(self) -> np.ndarray:
        """Send ``:WAVeform:DATA?`` and return the block as signed 16-bit codes (LSB first)."""
        return read_ieee_block(self, ":WAVeform:DATA?", "<i2")


def _caps(model: str, channels: int, bandwidth: float, max_points: int) -> OscilloscopeCapabilities:
    return OscilloscopeCapabilities(
        model=model, channels=channels, bandwidth=bandwidth, max_points=max_points
    )


#: Representative models. Vertical limits at 1 MΩ and 1:1; ``max_points`` is the largest
#: ``:WAVeform:POINts`` the record can fill. Offset and level bounds are outer bounds.
MODELS: dict[str, ScopeModel] = {
    "DSOX1204G": ScopeModel(
        capabilities=_caps("Keysight DSOX1204G", 4, 70e6, 1_000_000),
        min_scale=500e-6, max_scale=10.0, min_timebase=5e-9, max_timebase=50.0,
        max_offset=100.0, max_trigger_level=160.0,
        external_trigger=True, max_external_level=10.0,
    ),
    "DSOX3024T": ScopeModel(
        capabilities=_caps("Keysight DSOX3024T", 4, 200e6, 4_000_000),
        min_scale=1e-3, max_scale=5.0, min_timebase=2e-9, max_timebase=50.0,
        max_offset=100.0, max_trigger_level=130.0,
        external_trigger=True, max_external_level=10.0,
    ),
}
# The MSO variant has the same analog front end; its 16 digital channels are not used here.
MODELS["MSOX3024T"] = replace(
    MODELS["DSOX3024T"], capabilities=_caps("Keysight MSOX3024T", 4, 200e6, 4_000_000)
)


class KeysightDSOXOscilloscope(ScopeRoleBase):
    """The ``Oscilloscope`` role on a Keysight InfiniiVision X-Series scope.

    ``model`` (a key of :data:`MODELS`, default ``"DSOX3024T"``; a bench file sets it under
    ``settings:``) chooses the limits that arguments are checked against.
    """

    models = MODELS
    default_model = "DSOX3024T"
    capabilities = MODELS["DSOX3024T"].capabilities

    def __init__(self, instrument: KeysightDSOX, **kwargs: Any) -> None:
        super().__init__(instrument, **kwargs)
        self._digitizing = False  # True between single() in averaging mode and its *OPC?

    # -------------------------------------------------------------------- set-up
    def set_timebase(self, scale: float, position: float = 0.0) -> None:
        """``scale`` in s/div within the model's range; ``position`` in s from the trigger to
        the screen centre (positive: more after the trigger), at most ±500 s."""
        scale = self._check_timebase(scale)
        position = check_range("position", position, -500.0, 500.0, "s")
        with self.lock:
            self.instrument.timebase_scale = scale
            self.instrument.timebase_position = position
            self._raise_instrument_errors()

    def configure_channel(
        self,
        channel: int,
        scale: float,
        offset: float = 0.0,
        coupling: Coupling = "dc",
        enabled: bool = True,
    ) -> None:
        """``scale`` in V/div (model range × probe attenuation), ``offset`` in V at the screen
        centre, ``coupling`` ``"dc"`` or ``"ac"``. Coupling goes before scale and offset
        because the offset range depends on both."""
        channel = self._check_channel(channel)
        scale = self._check_scale(channel, scale)
        offset = self._check_offset(channel, scale, offset)
        coupling = self._check_coupling(coupling)
        enabled = self._check_enabled(enabled)
        with self.lock:
            ch = self.instrument.channels[channel]
            ch.display_enabled = enabled
            ch.coupling = coupling
            ch.scale = scale
            ch.offset = offset
            self._raise_instrument_errors()

    def set_probe_attenuation(self, channel: int, ratio: float) -> None:
        """Tell the scope (and this role's range checks) the probe ratio, 0.1 to 10000."""
        channel = self._check_channel(channel)
        ratio = check_range("ratio", ratio, 0.1, 10_000.0)
        with self.lock:
            self.instrument.channels[channel].probe_attenuation = ratio
            self._raise_instrument_errors()
            self.probe_attenuation[channel] = ratio

    def set_trigger(
        self, source: int | str, level: float, slope: Slope = "rising"
    ) -> None:
        """Edge trigger on channel ``source`` (1–4) or ``"external"``, ``level`` in V."""
        source = self._check_source(source)
        level = self._check_level(source, level)
        slope = self._check_slope(slope)
        with self.lock:
            inst = self.instrument
            inst.trigger_mode = "edge"
            inst.trigger_source = source  # the level applies to the selected source
            inst.trigger_level = level
            inst.trigger_slope = slope
            self._raise_instrument_errors()

    def set_averaging(self, count: int) -> None:
        """Average ``count`` acquisitions (2 to 65536); ``1`` selects NORMal acquisition."""
        count = self._check_integer("count", count, 1, MAX_AVERAGES)
        with self.lock:
            if count == 1:
                self.instrument.acquisition_type = "normal"
            else:
                self.instrument.acquisition_type = "average"
                self.instrument.acquisition_count = count
            self._raise_instrument_errors()

    # ------------------------------------------------------------------- capture
    def single(self) -> None:
        """Arm one acquisition and return once the trigger is armed.

        In AVERage mode the complete average is acquired with ``:DIGitize`` instead (see the
        module notes); it returns at once and :meth:`wait_for_capture` blocks on ``*OPC?``.
        """
        with self.lock:
            inst = self.instrument
            if inst.acquisition_type == "average":
                inst.digitize()
                self._digitizing = True
                return
            self._digitizing = False
            inst.stop()
            _ = inst.arm_event  # reading clears an arm event latched before the stop
            inst.single()
            self._poll(
                lambda: inst.arm_event,
                lambda armed: armed == 1,
                self.arm_timeout,
                "the trigger did not arm",
                on_timeout=inst.stop,  # so it cannot trigger later, unobserved
            )

    def wait_for_capture(self, timeout: float = 10.0) -> None:
        """Wait until the armed acquisition is complete, at most ``timeout`` s.

        Raises :class:`~labctl.drivers.scope_base.CaptureTimeoutError` (an ``InstrumentError``
        and a ``TimeoutError``) and stops the scope if it is not.
        """
        timeout = self._check_timeout(timeout)
        with self.lock:
            if self._digitizing:
                self._wait_for_digitize(timeout)
                return
            inst = self.instrument
            self._poll(
                lambda: inst.operation_condition,
                lambda condition: not int(condition) & RUN_BIT,
                timeout,
                "the acquisition did not complete",
                on_timeout=inst.stop,
            )

    def _wait_for_digitize(self, timeout: float) -> None:
        inst = self.instrument
        self._digitizing = False
        try:
            with extended_timeout(inst, timeout, margin=1.0):
                reply = inst.ask("*OPC?").strip()
        except VisaIOError as exc:
            # The answer may still arrive later: a device clear empties the output queue and
            # the input buffer, so the next query does not read a stale "1".
            connection = getattr(inst.adapter, "connection", None)
            if connection is not None and hasattr(connection, "clear"):
                connection.clear()
            inst.stop()
            raise CaptureTimeoutError(
                f"{self.name}: the averaged acquisition did not complete within {timeout:g} s"
            ) from exc
        if reply != "1":
            raise InstrumentError(f"{self.name}: *OPC? answered {reply!r}, expected '1'")

    def waveform(self, channel: int, points: int | None = None) -> Waveform:
        """Read ``channel`` of the last acquisition as a binary block and scale it.

        ``points`` is one of :data:`POINTS_VALUES` up to the model's ``max_points``; the scope
        decimates the record to it (or returns fewer if the record is shorter). ``None`` reads
        the whole record. Returns time in s relative to the trigger and voltage in V.
        """
        channel = self._check_channel(channel)
        if points is not None:
            points = self._check_points(points)
        with self.lock:
            inst = self.instrument
            inst.waveform_source = channel
            inst.waveform_format = "word"
            inst.waveform_byte_order = "lsb_first"
            inst.waveform_unsigned = False
            inst.waveform_points_mode = "raw"  # before POINts: the mode sets the allowed count
            inst.waveform_points = "maximum" if points is None else points
            self._raise_instrument_errors()
            preamble = inst.waveform_preamble
            self._check_preamble(preamble)
            with extended_timeout(inst, transfer_seconds(preamble.points)):
                codes = inst.read_waveform_data()
        if len(codes) != preamble.points:
            raise InstrumentError(
                f"{self.name}: channel {channel}: preamble announced {preamble.points} points, "
                f"the block held {len(codes)}"
            )
        voltage = (codes.astype(float) - preamble.yreference) * preamble.yincrement \
            + preamble.yorigin
        return make_waveform(preamble.times(np.arange(len(codes))), voltage, channel)

    # ------------------------------------------------------------------- helpers
    def _check_points(self, points: Any) -> int:
        allowed = [p for p in POINTS_VALUES if p <= self.capabilities.max_points]
        if isinstance(points, bool) or not isinstance(points, int | np.integer) \
                or int(points) not in allowed:
            raise ParameterError(
                f"points = {points!r} is not one of {allowed} ({self.capabilities.model}); "
                "use None for the whole record"
            )
        return int(points)

    def _check_preamble(self, preamble: Preamble) -> None:
        if preamble.format != FORMAT_WORD:
            raise InstrumentError(
                f"{self.name}: preamble format {preamble.format}, expected 1 (WORD)"
            )
        if preamble.type == TYPE_PEAK:
            raise InstrumentError(
                f"{self.name}: the record is peak-detect (min/max pairs), which this driver "
                "does not scale; use normal or averaged acquisition"
            )
        if preamble.points <= 0:
            raise InstrumentError(f"{self.name}: no waveform data; capture first")
