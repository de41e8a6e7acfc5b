"""What the oscilloscope drivers share: the waveform preamble, model limits, argument checks,
polling with the bench clock, and the ``capture()`` sequence.

The vendor modules (:mod:`labctl.drivers.keysight_dsox`, :mod:`labctl.drivers.rigol_dho`) keep
everything that differs between instruments: the commands, how a capture is armed and detected,
and each vendor's formula from preamble to volts. Both vendors answer ``:WAVeform:PREamble?`` with
the same ten fields, in this order::

    format, type, points, count, xincrement, xorigin, xreference, yincrement, yorigin, yreference

and both define the time of sample ``i`` (counted from 0) as
``(i - xreference) * xincrement + xorigin``; the voltage formulas differ (see each module).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from pymeasure.instruments import Instrument
from pymeasure.instruments.validators import strict_discrete_set

from labctl.drivers.role_base import RoleBase
from labctl.drivers.scpi import raise_scpi_errors
from labctl.errors import InstrumentError, NotSupportedError, ParameterError
from labctl.roles.oscilloscope import OscilloscopeCapabilities, Waveform
from labctl.units import format_si
from labctl.validation import check_choice, check_positive, check_range

#: Time between two status polls while waiting for the scope to arm or to finish, in s.
POLL_INTERVAL = 0.05
#: Conservative throughput of a waveform transfer (USB 2.0 or LAN), in bytes per second; used only
#: to widen the VISA timeout for long records.
TRANSFER_RATE = 1.0e6
#: Sleeps summed in floating point can stop a hair short of the deadline; closer than this
#: counts as reached, so no extra poll is sent.
_DEADLINE_TOLERANCE = 1e-9


class CaptureTimeoutError(InstrumentError, TimeoutError):
    """The scope did not arm or did not finish its acquisition in time.

    A subclass of both :class:`~labctl.errors.InstrumentError` and :class:`TimeoutError`, so a
    caller can catch either.
    """


# --------------------------------------------------------------------------- instrument helpers
def short_form(keyword: str) -> str:
    """The SCPI short form of a mnemonic: its upper-case letters and digits (``CHANnel1`` →
    ``CHAN1``, ``AVERage`` → ``AVER``, ``LSBFirst`` → ``LSBF``)."""
    return "".join(c for c in keyword if c.isupper() or c.isdigit())


def keyword_control(
    get_command: str, set_command: str, docs: str, choices: Mapping[Any, str]
) -> property:
    """A pymeasure control whose values are SCPI keywords.

    ``choices`` maps the Python value to the keyword as it is sent (one spelling, the mixed-case
    long form or whatever the driver's table says). A reply is accepted in long or short form, in
    any case, because instruments answer queries with the short form (``AVER`` for ``AVERage``).
    """
    replies: dict[str, Any] = {}
    for value, keyword in choices.items():
        replies[keyword.upper()] = value
        replies[short_form(keyword).upper()] = value

    def parse(reply: Any) -> Any:
        text = str(reply).strip().strip('"').upper()
        if text not in replies:
            raise InstrumentError(f"{get_command} answered {reply!r}, expected one of "
                                  f"{sorted(set(choices.values()))}")
        return replies[text]

    return Instrument.control(
        get_command,
        set_command,
        docs,
        validator=strict_discrete_set,
        values=list(choices),
        set_process=lambda value: choices[value],
        get_process=parse,
        cast=str,
    )


def error_queue_measurement(command: str) -> property:
    """``next_error`` for :meth:`check_errors`: split once, so a comma inside the quoted message
    does not break the (code, message) pair."""
    return Instrument.measurement(
        command,
        """Get the oldest entry of the error queue as ``[code, "message"]``.""",
        maxsplit=1,
    )


# --------------------------------------------------------------------------------- preamble
@dataclass(frozen=True)
class Preamble:
    """The ten fields of ``:WAVeform:PREamble?``, in the order the instruments send them."""

    format: int  #: 0 BYTE, 1 WORD (then ASCii: 4 on Keysight, 2 on Rigol)
    type: int  #: acquisition / read type; vendor-specific codes
    points: int
    count: int  #: averages, 1 when not averaging
    xincrement: float  #: s between samples
    xorigin: float  #: s, time of the sample at index ``xreference``
    xreference: float  #: sample index of ``xorigin`` (0 on both vendors)
    yincrement: float  #: V per code
    yorigin: float  #: Keysight: V at ``yreference``; Rigol: an offset in codes
    yreference: float  #: code of the reference level

    @classmethod
    def parse(cls, fields: Iterable[Any], command: str = ":WAVeform:PREamble?") -> Preamble:
        """Build from the split reply; raise :class:`InstrumentError` on anything else."""
        values = list(fields) if not isinstance(fields, str | bytes) else [fields]
        if len(values) != 10:
            raise InstrumentError(f"{command}: expected 10 fields, got {len(values)}: {values!r}")
        try:
            numbers = [float(v) for v in values]
        except (TypeError, ValueError) as exc:
            raise InstrumentError(f"{command}: unreadable preamble {values!r}") from exc
        if not all(math.isfinite(n) for n in numbers):
            raise InstrumentError(f"{command}: non-finite preamble {values!r}")
        fmt, typ, points, count, xinc, xorg, xref, yinc, yorg, yref = numbers
        return cls(int(fmt), int(typ), int(points), int(count), xinc, xorg, xref, yinc, yorg, yref)

    def times(self, indices: np.ndarray) -> np.ndarray:
        """Seconds relative to the trigger of the samples at ``indices`` (0-based)."""
        return (np.asarray(indices, dtype=float) - self.xreference) * self.xincrement + self.xorigin


# ------------------------------------------------------------------------------------ models
@dataclass(frozen=True)
class ScopeModel:
    """Limits of one model, used to check arguments before anything is sent.

    Vertical limits are for a 1:1 probe; the role multiplies them by the probe attenuation it has
    set. ``max_offset`` and ``max_trigger_level`` are outer bounds: within them the instrument's
    own, scale-dependent limits apply.
    """

    capabilities: OscilloscopeCapabilities
    min_scale: float  #: V/div at 1:1
    max_scale: float  #: V/div at 1:1
    min_timebase: float  #: s/div
    max_timebase: float  #: s/div
    max_offset: float  #: V at 1:1
    max_trigger_level: float  #: V at 1:1, analog channel source
    external_trigger: bool
    max_external_level: float = 0.0  #: V


# --------------------------------------------------------------------------------------- role
class ScopeRoleBase(RoleBase):
    """Argument checks, polling and ``capture()`` common to both oscilloscope roles.

    Subclasses set :attr:`models` and :attr:`default_model` and implement the role methods.
    """

    models: ClassVar[dict[str, ScopeModel]]
    default_model: ClassVar[str]
    capabilities: OscilloscopeCapabilities
    #: Interval between status polls, in s.
    poll_interval: float = POLL_INTERVAL
    #: How long :meth:`single` waits for the trigger to arm, in s. Arming waits for the
    #: pre-trigger part of the record to fill: raise this for time bases slower than 0.2 s/div.
    arm_timeout: float = 5.0

    def __init__(self, instrument: Any, *, model: str | None = None, **kwargs: Any) -> None:
        super().__init__(instrument, **kwargs)
        chosen = self.default_model if model is None else str(model).upper().replace("-", "")
        if chosen not in self.models:
            raise ParameterError(f"model = {model!r} is not one of {sorted(self.models)}")
        self.model = self.models[chosen]
        self.capabilities = self.model.capabilities
        #: Probe attenuation the role assumes per channel (set by ``set_probe_attenuation``).
        self.probe_attenuation: dict[int, float] = {
            ch: 1.0 for ch in range(1, self.capabilities.channels + 1)
        }

    # ----------------------------------------------------------------------- capture
    def capture(
        self, channels: tuple[int, ...], timeout: float = 10.0
    ) -> dict[int, Waveform]:
        """Arm one single-shot acquisition, wait up to ``timeout`` s for it, read ``channels``.

        Returns ``{channel: Waveform}``. Raises :class:`CaptureTimeoutError` if the trigger does
        not come in time.
        """
        wanted = self._check_channels(channels)
        timeout = self._check_timeout(timeout)
        with self.lock:
            self.single()
            self.wait_for_capture(timeout)
            return {channel: self.waveform(channel) for channel in wanted}

    # ---------------------------------------------------------------------- polling
    def _poll(
        self,
        query: Callable[[], Any],
        done: Callable[[Any], bool],
        timeout: float,
        what: str,
        on_timeout: Callable[[], None] | None = None,
    ) -> Any:
        """Call ``query`` until ``done(reply)``; sleep on the bench clock between calls.

        The last call is made at the deadline, so a capture that finishes just in time counts.
        On time-out, ``on_timeout`` runs (to leave the instrument in a known state) and
        :class:`CaptureTimeoutError` is raised.
        """
        start = self.clock.now()
        while True:
            reply = query()
            if done(reply):
                return reply
            remaining = timeout - (self.clock.now() - start)
            if remaining <= _DEADLINE_TOLERANCE:
                if on_timeout is not None:
                    on_timeout()
                raise CaptureTimeoutError(
                    f"{self.name}: {what} within {timeout:g} s (last status {reply!r})"
                )
            self.clock.sleep(min(self.poll_interval, remaining))

    def _raise_instrument_errors(self) -> None:
        raise_scpi_errors(self.instrument, self.name)

    # ---------------------------------------------------------------------- checks
    def _check_channel(self, channel: Any, name: str = "channel") -> int:
        count = self.capabilities.channels
        if isinstance(channel, bool) or not isinstance(channel, int | np.integer):
            raise ParameterError(f"{name} = {channel!r}: expected a channel number 1 to {count}")
        if not 1 <= int(channel) <= count:
            raise ParameterError(
                f"{name} = {channel} is outside the allowed range 1 to {count} "
                f"({self.capabilities.model})"
            )
        return int(channel)

    def _check_channels(self, channels: Any) -> tuple[int, ...]:
        if isinstance(channels, int | np.integer) and not isinstance(channels, bool):
            channels = (channels,)
        try:
            wanted = tuple(channels)
        except TypeError:
            raise ParameterError(
                f"channels = {channels!r}: expected a tuple of channel numbers"
            ) from None
        if not wanted:
            raise ParameterError("channels: expected at least one channel number")
        checked = tuple(self._check_channel(ch, "channels") for ch in wanted)
        if len(set(checked)) != len(checked):
            raise ParameterError(f"channels = {wanted!r}: a channel is listed twice")
        return checked

    def _check_timeout(self, timeout: float) -> float:
        return check_positive("timeout", timeout, "s")

    def _check_scale(self, channel: int, scale: float) -> float:
        probe = self.probe_attenuation[channel]
        return check_per_division(
            "scale", scale, self.model.min_scale * probe, self.model.max_scale * probe, "V"
        )

    def _check_offset(self, channel: int, scale: float, offset: float) -> float:
        bound = self.model.max_offset * self.probe_attenuation[channel]
        return check_range("offset", offset, -bound, bound, "V")

    def _check_timebase(self, scale: float) -> float:
        return check_per_division(
            "scale", scale, self.model.min_timebase, self.model.max_timebase, "s"
        )

    def _check_source(self, source: Any) -> int | str:
        if isinstance(source, str) and source.lower() == "external":
            if not self.model.external_trigger:
                raise NotSupportedError(
                    f"{self.capabilities.model} has no external trigger input; "
                    f"trigger on a channel 1 to {self.capabilities.channels} instead"
                )
            return "external"
        if isinstance(source, str):
            allowed = "a channel 1 to {}{}".format(
                self.capabilities.channels, ", 'external'" if self.model.external_trigger else ""
            )
            raise ParameterError(f"source = {source!r} is not one of: {allowed}")
        return self._check_channel(source, "source")

    def _check_level(self, source: int | str, level: float) -> float:
        if source == "external":
            bound = self.model.max_external_level
        else:
            bound = self.model.max_trigger_level * self.probe_attenuation[int(source)]
        return check_range("level", level, -bound, bound, "V")

    @staticmethod
    def _check_coupling(coupling: Any) -> str:
        value = coupling.lower() if isinstance(coupling, str) else coupling
        return str(check_choice("coupling", value, ("dc", "ac")))

    @staticmethod
    def _check_slope(slope: Any) -> str:
        value = slope.lower() if isinstance(slope, str) else slope
        return str(check_choice("slope", value, ("rising", "falling")))

    @staticmethod
    def _check_enabled(enabled: Any) -> bool:
        if not isinstance(enabled, bool | np.bool_):
            raise ParameterError(f"enabled = {enabled!r}: expected True or False")
        return bool(enabled)

    @staticmethod
    def _check_integer(name: str, value: Any, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ParameterError(f"{name} = {value!r}: expected a whole number {low} to {high}")
        if not low <= int(value) <= high:
            raise ParameterError(
                f"{name} = {value} is outside the allowed range {low} to {high}"
            )
        return int(value)


def check_per_division(name: str, value: float, low: float, high: float, unit: str) -> float:
    """Like :func:`~labctl.validation.check_range` for a scale in ``unit`` per division (the
    unit registry has no "div", so the message is formatted here)."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}: expected a number in {unit}/div, got {value!r}") from exc
    if math.isnan(number) or not low <= number <= high:
        raise ParameterError(
            f"{name} = {_per_div(number, unit)} is outside the allowed range "
            f"{_per_div(low, unit)} to {_per_div(high, unit)}"
        )
    return number


def _per_div(value: float, unit: str) -> str:
    return f"{format_si(value, unit)}/div" if math.isfinite(value) else f"{value:g} {unit}/div"


def make_waveform(time: np.ndarray, voltage: np.ndarray, channel: int) -> Waveform:
    """A :class:`Waveform` with float64 arrays of equal length."""
    return Waveform(
        time=np.asarray(time, dtype=float), voltage=np.asarray(voltage, dtype=float),
        channel=channel,
    )


def transfer_seconds(points: int, bytes_per_point: int = 2) -> float:
    """Rough duration of a block transfer of ``points`` samples, for the VISA timeout."""
    return points * bytes_per_point / TRANSFER_RATE
