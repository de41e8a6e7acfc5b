"""What the simulated oscilloscopes share: inputs, trigger, acquisition timing and the record.

The vendor modules (:mod:`labctl.sim.instruments.keysight_dsox`,
:mod:`labctl.sim.instruments.rigol_dho`) keep the command spellings, the reply formats, the record
length rules and each vendor's encoding of samples as 16-bit words. This module models what a
scope does with the signals of the simulated bench.

Inputs. The resource option ``channels`` wires each input ``"1"``..``"4"`` to one of the
noise-free signals of :meth:`~labctl.sim.bench.SimBench.scope_signals` (``el``, ``current``,
``drive``) or to nothing (``none``); ``external`` wires the EXT TRIG input (default ``sync``: the
generator's sync output, 0 V / 3.3 V, rising at each period start).

Trigger. The edge trigger fires where the source signal crosses the level with the chosen slope.
All signals repeat with the generator's period, so the crossing is searched once per period and its
phase (seconds after the generator's rising edge) becomes the record's time zero. Without a running
generator nothing crosses a level: a single shot waits for ever, and only the AUTO sweep (on
``:RUN`` and ``:DIGitize``) or a forced trigger produces a record.

Timing. The scope's state is a function of the bench clock, evaluated before each message: a
single shot is armed once the pre-trigger part of the record has been acquired, triggers at the
first generator edge after that, and completes when the post-trigger part is in. Averaging ``N``
acquisitions takes ``N`` trigger cycles (one generator period each while the record is shorter
than a period). The generator's phase is taken as zero at clock zero. The scope never advances the
clock while a client polls it (the client's waiting does); only a blocking command
(``:DIGitize``) advances it by the acquisition time.

Record. The signals are sampled on the record's time axis when the trigger is found, AC coupling
removes their mean over a generator period, Gaussian noise of 2 % of a division plus 50 µV at the
input (times the probe ratio) is added per sample (scaled by the bench's ``noise`` and divided by
``√N`` when averaging ``N`` acquisitions, which is what averaging does to uncorrelated noise) and
the result is quantised to the vendor's ADC codes, clipped at the rails. Only displayed channels are
acquired. Bandwidth limits are not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from labctl.errors import BenchError
from labctl.sim.instrument import ILLEGAL_PARAMETER, SimInstrument, command
from labctl.sim.scpi import Command, short_form
from labctl.sim.waveform import PeriodicDrive

if TYPE_CHECKING:
    from labctl.sim.bench import SimBench
    from labctl.sim.device import SimDevice

#: What an input can be wired to.
SIGNALS = ("el", "current", "drive", "none")
#: What the EXT TRIG input can be wired to: a signal, or the generator's sync output.
EXTERNAL_SIGNALS = (*SIGNALS, "sync")
DEFAULT_WIRING = {1: "el", 2: "current", 3: "drive", 4: "none"}
#: V, high level of the generator's sync output (a 3.3 V logic signal).
SYNC_HIGH = 3.3
#: Noise per sample, 1 σ: a fraction of a division plus a floor in V at the scope's input.
NOISE_DIVISIONS = 0.02
NOISE_FLOOR = 50e-6
#: Samples per generator period when searching for the trigger point. The drive and sync signals
#: are then refined by bisection; the device's responses by linear interpolation.
PHASE_GRID = 16_384
#: Samples per generator period for the mean that AC coupling removes.
MEAN_GRID = 4096

CHANNEL_NUMBERS = (1, 2, 3, 4)


def _channel_headers(node: str, query: bool = False) -> tuple[str, ...]:
    """``CHAN1:<node>`` … ``CHAN4:<node>`` (with ``?`` for the queries)."""
    return tuple(f"CHAN{n}:{node}{'?' if query else ''}" for n in CHANNEL_NUMBERS)


def _channel_of(cmd: Command) -> int:
    return int(cmd.header.split(":")[0][4:])


def ieee_block(payload: bytes, digits: int) -> bytes:
    """An IEEE-488.2 definite-length block with a ``digits``-digit length field."""
    return b"#" + str(digits).encode() + f"{len(payload):0{digits}d}".encode() + payload


@dataclass
class ChannelState:
    """One analog input's settings. Volts are at the probe tip, as the scope displays them."""

    display: bool
    coupling: str = "DC"
    scale: float = 1.0  #: V/div
    offset: float = 0.0  #: V
    probe: float = 1.0  #: attenuation ratio


@dataclass(frozen=True)
class ChannelData:
    """One channel of a record: the ADC words and how the vendor scales them."""

    codes: np.ndarray
    yincrement: float  #: V per code
    yorigin: float  #: vendor-specific: V (Keysight) or codes (Rigol)


@dataclass(frozen=True)
class Record:
    """One completed acquisition."""

    xorigin: float  #: s, time of the first sample relative to the trigger
    xincrement: float  #: s between samples
    points: int
    count: int  #: acquisitions averaged (1 when not averaging)
    acquisition: str  #: the acquisition type it was taken with (vendor keyword)
    channels: dict[int, ChannelData]
    triggered: bool  #: False for an auto or forced trigger

    def times(self) -> np.ndarray:
        return self.xorigin + self.xincrement * np.arange(self.points)


@dataclass
class Acquiring:
    """An acquisition in progress: a single shot, an averaged set or a continuous run."""

    armed_at: float  #: clock time at which the pre-trigger memory is full
    count: int
    auto: bool  #: trigger by itself when no trigger comes (AUTO sweep)
    continuous: bool
    search_from: float  #: trigger edges before this time were not available
    trigger_at: float | None = None
    done_at: float | None = None
    record: Record | None = field(default=None, repr=False)
    arm_seen: bool = False
    trigger_seen: bool = False


class ScopeSim(SimInstrument):
    """Base of the simulated oscilloscopes. Vendor subclasses set the class attributes and
    implement :meth:`_timing`, :meth:`_encode` and the reply formats."""

    #: Accepted ``:ACQuire:TYPE`` keywords (short forms); the first is the default.
    acquisition_types: ClassVar[tuple[str, ...]] = ("NORM", "AVER")
    #: The acquisition type that averages.
    average_type: ClassVar[str] = "AVER"
    #: Accepted ``:TRIGger:MODE`` keywords; only EDGE is modelled (the others never trigger).
    trigger_modes: ClassVar[tuple[str, ...]] = ("EDGE",)
    #: Accepted slopes: short form → "rising", "falling" or "either".
    slopes: ClassVar[dict[str, str]] = {"POS": "rising", "NEG": "falling"}
    #: Accepted sweep keywords; the first is the default.
    sweeps: ClassVar[tuple[str, ...]] = ("AUTO", "NORM")
    #: Whether the model has an EXT TRIG input.
    has_external: ClassVar[bool] = True
    #: V, trigger level range of the EXT TRIG input.
    max_external_level: ClassVar[float] = 10.0
    #: V/div at 1:1.
    min_scale: ClassVar[float] = 1e-3
    max_scale: ClassVar[float] = 5.0
    #: Probe ratios: an interval (min, max), or None when :attr:`probe_ratios` lists them.
    probe_range: ClassVar[tuple[float, float] | None] = (0.001, 10_000.0)
    probe_ratios: ClassVar[tuple[float, ...]] = ()
    #: s between the end of one acquisition and the next arming (the scope's dead time).
    rearm_time: ClassVar[float] = 1e-6
    #: Number of analog inputs.
    input_count: ClassVar[int] = 4

    def __init__(
        self, bench: SimBench, device: SimDevice, resource_name: str, options: dict[str, Any]
    ) -> None:
        super().__init__(bench, device, resource_name, options)
        self.wiring = _wiring(self.options.get("channels"), resource_name, self.input_count)
        self.external = str(self.options.get("external", "sync")).lower()
        if self.external not in EXTERNAL_SIGNALS:
            raise BenchError(
                f"resources.{resource_name}.external: {self.external!r} is not one of "
                f"{list(EXTERNAL_SIGNALS)}"
            )
        self._phase_cache: tuple[Any, float | None] | None = None
        self._run_cache: tuple[float, Record | None] | None = None
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """``*RST``: the default setup; the scope runs (continuous acquisition, AUTO sweep)."""
        super().reset()
        self.channels = {
            n: ChannelState(display=(n == 1), **self.channel_defaults())
            for n in range(1, self.input_count + 1)
        }
        self.acquisition_type = self.acquisition_types[0]
        self.sweep = self.sweeps[0]
        self.trigger_mode = "EDGE"
        self.trigger_source: int | str = 1
        self.trigger_levels: dict[int | str, float] = {}
        self.trigger_slope = next(iter(self.slopes))
        self.record: Record | None = None
        self.stopped_run: Acquiring | None = None  # a stopped run whose last record is pending
        self.digitize_channels: tuple[int, ...] | None = None
        self.arm_event = False
        self.trigger_event = False
        self.acquiring: Acquiring | None = self._start(continuous=True)

    def channel_defaults(self) -> dict[str, Any]:
        """Settings of every input after ``*RST`` (besides which are displayed)."""
        return {"scale": 1.0}

    def average_count(self) -> int:
        """Acquisitions per averaged record (from the vendor's count setting)."""
        raise NotImplementedError

    def _count(self) -> int:
        return self.average_count() if self.acquisition_type == self.average_type else 1

    def _acquired_channels(self) -> tuple[int, ...]:
        if self.digitize_channels is not None:
            return self.digitize_channels
        return tuple(n for n, state in self.channels.items() if state.display)

    # -- vendor hooks ---------------------------------------------------------------
    def _timing(self, channels: tuple[int, ...]) -> tuple[float, float, int]:
        """(xorigin, xincrement, points) of a record of ``channels`` with the present
        settings; times relative to the trigger."""
        raise NotImplementedError

    def _encode(self, volts: np.ndarray, state: ChannelState, acquisition: str) -> ChannelData:
        """Quantise ``volts`` to the vendor's ADC words for the channel ``state``."""
        raise NotImplementedError

    def _offset_limit(self, scale: float) -> float:
        """Largest |offset| in V at 1:1 for a scale in V/div at 1:1."""
        raise NotImplementedError

    def _level_window(self, state: ChannelState) -> tuple[float, float]:
        """Allowed trigger levels in V for a channel source."""
        raise NotImplementedError

    def _number(self, value: float) -> str:
        """A real number as the vendor's queries answer it."""
        return f"{value:+.6E}"

    def _probe_reply(self, ratio: float) -> str:
        return self._number(ratio)

    # ------------------------------------------------------------- message processing
    def process(self, message: str) -> bytes | None:
        with self.bench.lock:
            self._update()
            return super().process(message)

    def _update(self) -> None:
        """Bring the acquisition up to the bench clock's present time."""
        acq = self.acquiring
        if acq is None:
            return
        now = self.bench.clock.now()
        if now >= acq.armed_at and (acq.continuous or not acq.arm_seen):
            acq.arm_seen = True
            self.arm_event = True
        if acq.continuous:
            return
        if acq.trigger_at is None:
            self._plan(acq, now)
        if acq.trigger_at is not None and now >= acq.trigger_at and not acq.trigger_seen:
            acq.trigger_seen = True
            self.trigger_event = True
        if acq.done_at is not None and now >= acq.done_at:
            self.record = acq.record
            self.acquiring = None
            self.digitize_channels = None

    # ------------------------------------------------------------ acquisition control
    def _start(self, *, continuous: bool = False, auto: bool | None = None) -> Acquiring:
        """A new acquisition from now; armed once the pre-trigger memory is full."""
        now = self.bench.clock.now()
        xorigin, _xinc, _points = self._timing(self._acquired_channels())
        return Acquiring(
            armed_at=now + max(0.0, -xorigin) + self.rearm_time,
            count=self._count(),
            auto=(self.sweep == "AUTO") if auto is None else auto,
            continuous=continuous,
            search_from=now,
        )

    def start_single(self) -> None:
        """``:SINGle``: one acquisition (or one averaged set) on a real trigger."""
        self.stopped_run = None
        self.digitize_channels = None
        self.acquiring = self._start(auto=False)

    def start_run(self) -> None:
        """``:RUN``: acquire continuously until ``:STOP``."""
        self.stopped_run = None
        self.digitize_channels = None
        self.acquiring = self._start(continuous=True)

    def stop(self) -> None:
        """``:STOP``: a run keeps its last acquisition; an unfinished single shot is dropped."""
        acq = self.acquiring
        if acq is not None and acq.continuous:
            self.stopped_run = acq  # its last record is computed only if someone reads it
        self.acquiring = None
        self.digitize_channels = None

    def force_trigger(self) -> None:
        """Trigger now, whatever the signal (``:TRIGger:FORCe`` / ``:TFORce``)."""
        acq = self.acquiring
        if acq is not None and not acq.continuous and acq.trigger_at is None:
            self._plan(acq, self.bench.clock.now(), force=True)

    def _plan(self, acq: Acquiring, now: float, force: bool = False) -> None:
        """Find when ``acq`` triggers and completes and take its record, if a trigger comes."""
        xorigin, xinc, points = self._timing(self._acquired_channels())
        pre, post = max(0.0, -xorigin), max(0.0, xorigin + xinc * points)
        drive = self.bench.generator_drive()
        phase = None if force else self._trigger_phase()
        start = max(acq.armed_at, acq.search_from)
        if phase is not None and drive is not None:
            period = drive.period
            first = phase + period * math.ceil((start - phase) / period)
            # Each acquisition needs its post- and pre-trigger time and the dead time before the
            # scope can take the next edge.
            cycle = period * max(1, math.ceil((pre + post + self.rearm_time) / period))
            triggered = True
        elif acq.auto or force:
            first = max(start, now) if force else start
            cycle = pre + post + self.rearm_time
            phase = self._random_phase(drive)
            triggered = False
        else:
            acq.search_from = now  # nothing to trigger on yet: look again at the next message
            return
        acq.trigger_at = first
        acq.done_at = first + (acq.count - 1) * cycle + post
        acq.record = self._acquire(phase, acq.count, triggered)

    def _random_phase(self, drive: PeriodicDrive | None) -> float:
        # An untriggered acquisition starts anywhere in the generator's period.
        return float(self.bench.rng.uniform(0.0, drive.period)) if drive is not None else 0.0

    def latest_record(self) -> Record | None:
        """The record a transfer reads: the last completed one, or while running the latest."""
        acq = self.acquiring
        if acq is not None and acq.continuous:
            now = self.bench.clock.now()
            if self._run_cache is None or self._run_cache[0] != now:
                self._run_cache = (now, self._acquire_now(acq.auto) or self.record)
            return self._run_cache[1]
        if self.stopped_run is not None:
            self.record = self._acquire_now(self.stopped_run.auto) or self.record
            self.stopped_run = None
        return self.record

    def _acquire_now(self, auto: bool) -> Record | None:
        phase = self._trigger_phase()
        if phase is None and not auto:
            return None
        triggered = phase is not None
        if phase is None:
            phase = self._random_phase(self.bench.generator_drive())
        return self._acquire(phase, self._count(), triggered)

    def is_running(self) -> bool:
        return self.acquiring is not None

    def waiting_for_trigger(self) -> bool:
        """Armed, and the trigger has not come yet."""
        acq = self.acquiring
        if acq is None:
            return False
        now = self.bench.clock.now()
        if now < acq.armed_at:
            return False
        if acq.continuous:
            return not acq.auto and self._trigger_phase() is None
        return acq.trigger_at is None or now < acq.trigger_at

    # ---------------------------------------------------------------- the record
    def _acquire(self, phase: float, count: int, triggered: bool) -> Record:
        """Sample every acquired channel on the record's time axis, ``phase`` s after the
        generator's rising edge at time zero."""
        channels = self._acquired_channels()
        xorigin, xinc, points = self._timing(channels)
        time = xorigin + xinc * np.arange(points)
        wired = {self.wiring[n] for n in channels} - {"none"}
        signals = self.bench.scope_signals(time + phase) if wired else {}
        coupled_ac = any(self.channels[n].coupling == "AC" for n in channels)
        means = self._period_means() if coupled_ac else {}
        rng, noise = self.bench.rng, self.bench.noise
        data: dict[int, ChannelData] = {}
        for n in channels:
            state, wiring = self.channels[n], self.wiring[n]
            volts = signals[wiring] if wiring != "none" else np.zeros(points)
            if state.coupling == "AC":
                volts = volts - means.get(wiring, 0.0)
            sigma = noise * (NOISE_DIVISIONS * state.scale + NOISE_FLOOR * state.probe)
            if sigma > 0:
                volts = volts + rng.normal(0.0, sigma / math.sqrt(count), points)
            data[n] = self._encode(volts, state, self.acquisition_type)
        return Record(xorigin, xinc, points, count, self.acquisition_type, data, triggered)

    def _period_means(self) -> dict[str, float]:
        """Mean of each signal over one generator period: what AC coupling takes away."""
        drive = self.bench.generator_drive()
        grid = np.zeros(2) if drive is None else np.arange(MEAN_GRID) * (drive.period / MEAN_GRID)
        return {name: float(np.mean(v)) for name, v in self.bench.scope_signals(grid).items()}

    # ------------------------------------------------------------------ trigger
    def trigger_level(self, source: int | str | None = None) -> float:
        return self.trigger_levels.get(self._level_key(self.trigger_source if source is None
                                                      else source), 0.0)

    def _level_key(self, source: int | str) -> int | str:
        """Which level a source uses (Keysight keeps one per source, Rigol one in all)."""
        return source

    def _trigger_phase(self) -> float | None:
        """Seconds after the generator's rising edge at which the trigger fires, or None."""
        drive = self.bench.generator_drive()
        if self.trigger_mode != "EDGE" or drive is None or drive.shape == "dc":
            return None
        source = self.trigger_source
        wiring = self.external if source == "EXT" else self.wiring[int(source)]
        if wiring == "none":
            return None
        ac = source != "EXT" and self.channels[int(source)].coupling == "AC"
        key = (drive, wiring, self.trigger_level(), self.trigger_slope, ac)
        if self._phase_cache is None or self._phase_cache[0] != key:
            phase = self._find_crossing(drive, wiring, self.trigger_level(),
                                        self.slopes[self.trigger_slope], ac)
            self._phase_cache = (key, phase)
        return self._phase_cache[1]

    def _source_values(self, drive: PeriodicDrive, wiring: str, time: np.ndarray) -> np.ndarray:
        if wiring == "sync":
            return np.where(np.mod(time, drive.period) < drive.period / 2, SYNC_HIGH, 0.0)
        if wiring == "drive":
            return drive.sample(time)
        return self.bench.scope_signals(time)[wiring]

    def _find_crossing(
        self, drive: PeriodicDrive, wiring: str, level: float, slope: str, ac: bool
    ) -> float | None:
        period = drive.period
        step = period / PHASE_GRID
        # One period, starting one step before the generator's edge so that an ideal step at
        # t = 0 falls inside the first interval.
        time = (np.arange(PHASE_GRID + 1) - 1.0) * step
        values = self._source_values(drive, wiring, time)
        mean = float(np.mean(values[1:])) if ac else 0.0
        v = values - mean
        rising = (v[:-1] < level) & (v[1:] >= level)
        falling = (v[:-1] > level) & (v[1:] <= level)
        hits = {"rising": rising, "falling": falling, "either": rising | falling}[slope]
        found = np.flatnonzero(hits)
        if found.size == 0:
            return None
        k = int(found[0])
        up = bool(v[k] < level)
        low, high = float(time[k]), float(time[k + 1])
        if wiring in ("drive", "sync"):
            # Known at any instant: bisect to the crossing. ``high`` is always past it, so an
            # ideal step lands exactly on its edge.
            for _ in range(60):
                middle = (low + high) / 2
                value = float(self._source_values(drive, wiring, np.array([middle]))[0]) - mean
                if (value >= level) if up else (value <= level):
                    high = middle
                else:
                    low = middle
            return high
        return low + (level - v[k]) / (v[k + 1] - v[k]) * step

    def check_level(self, source: int | str, level: float) -> None:
        if source == "EXT":
            low, high = -self.max_external_level, self.max_external_level
        else:
            low, high = self._level_window(self.channels[int(source)])
        if not low <= level <= high:
            raise ValueError(f"trigger level {level} V outside {low}..{high} V")

    def parse_source(self, text: str) -> int | str | None:
        """``CHANnel<n>`` or ``EXTernal`` → 1..4 or ``"EXT"``; None (and -224) otherwise."""
        word = short_form(text)
        if word.startswith("CHAN") and word[4:].isdigit() and 1 <= int(word[4:]) <= \
                self.input_count:
            return int(word[4:])
        if word == "EXT" and self.has_external:
            return "EXT"
        self.push_error(*ILLEGAL_PARAMETER)
        return None

    def source_reply(self, source: int | str) -> str:
        return "EXT" if source == "EXT" else f"CHAN{source}"

    def keyword(self, cmd: Command, allowed: tuple[str, ...] | dict[str, Any]) -> str | None:
        """The short form of the argument if it is one of ``allowed``; else -224 and None."""
        word = short_form(cmd.arg())
        if word in allowed:
            return word
        self.push_error(*ILLEGAL_PARAMETER)
        return None

    # ------------------------------------------------------------- channel commands
    @command(*_channel_headers("DISP"))
    def _display(self, cmd: Command) -> None:
        self.channels[_channel_of(cmd)].display = cmd.bool_arg()

    @command(*_channel_headers("DISP", query=True))
    def _display_query(self, cmd: Command) -> str:
        return "1" if self.channels[_channel_of(cmd)].display else "0"

    @command(*_channel_headers("COUP"))
    def _coupling(self, cmd: Command) -> None:
        word = self.keyword(cmd, ("DC", "AC"))
        if word is not None:
            self.channels[_channel_of(cmd)].coupling = word

    @command(*_channel_headers("COUP", query=True))
    def _coupling_query(self, cmd: Command) -> str:
        return self.channels[_channel_of(cmd)].coupling

    @command(*_channel_headers("SCAL"))
    def _scale(self, cmd: Command) -> None:
        state = self.channels[_channel_of(cmd)]
        scale = cmd.float_arg()
        if not self.min_scale * state.probe * (1 - 1e-9) <= scale <= \
                self.max_scale * state.probe * (1 + 1e-9):
            raise ValueError(f"scale {scale} V/div out of range")
        state.scale = scale

    @command(*_channel_headers("SCAL", query=True))
    def _scale_query(self, cmd: Command) -> str:
        return self._number(self.channels[_channel_of(cmd)].scale)

    @command(*_channel_headers("OFFS"))
    def _offset(self, cmd: Command) -> None:
        state = self.channels[_channel_of(cmd)]
        offset = cmd.float_arg()
        bound = self._offset_limit(state.scale / state.probe) * state.probe
        if not abs(offset) <= bound * (1 + 1e-9):
            raise ValueError(f"offset {offset} V beyond ±{bound} V")
        state.offset = offset

    @command(*_channel_headers("OFFS", query=True))
    def _offset_query(self, cmd: Command) -> str:
        return self._number(self.channels[_channel_of(cmd)].offset)

    @command(*_channel_headers("PROB"))
    def _probe(self, cmd: Command) -> None:
        state = self.channels[_channel_of(cmd)]
        ratio = cmd.float_arg()
        if self.probe_range is not None:
            valid = self.probe_range[0] <= ratio <= self.probe_range[1]
        else:
            valid = any(math.isclose(ratio, r, rel_tol=1e-9) for r in self.probe_ratios)
        if not valid:
            raise ValueError(f"probe ratio {ratio} not accepted")
        # The front end keeps its gain: the displayed scale and offset follow the ratio.
        factor = ratio / state.probe
        state.scale *= factor
        state.offset *= factor
        state.probe = ratio

    @command(*_channel_headers("PROB", query=True))
    def _probe_query(self, cmd: Command) -> str:
        return self._probe_reply(self.channels[_channel_of(cmd)].probe)

    # --------------------------------------------------------- acquisition and run
    @command("ACQ:TYPE")
    def _acquisition_type(self, cmd: Command) -> None:
        word = self.keyword(cmd, self.acquisition_types)
        if word is not None:
            self.acquisition_type = word

    @command("ACQ:TYPE?")
    def _acquisition_type_query(self, cmd: Command) -> str:
        return self.acquisition_type

    @command("RUN")
    def _run(self, cmd: Command) -> None:
        self.start_run()

    @command("STOP")
    def _stop(self, cmd: Command) -> None:
        self.stop()

    @command("SING")
    def _single(self, cmd: Command) -> None:
        self.start_single()

    @command("TRIG:MODE")
    def _trigger_mode(self, cmd: Command) -> None:
        word = self.keyword(cmd, self.trigger_modes)
        if word is not None:
            self.trigger_mode = word

    @command("TRIG:MODE?")
    def _trigger_mode_query(self, cmd: Command) -> str:
        return self.trigger_mode

    @command("TRIG:SWE")
    def _sweep(self, cmd: Command) -> None:
        word = self.keyword(cmd, self.sweeps)
        if word is not None:
            self.sweep = word
            acq = self.acquiring
            if acq is not None and acq.continuous:
                acq.auto = word == "AUTO"

    @command("TRIG:SWE?")
    def _sweep_query(self, cmd: Command) -> str:
        return self.sweep

    # -- trigger settings, for the vendor's headers ------------------------------------
    # Edge trigger: the Keysight's ``:TRIGger[:EDGE]:...`` and the Rigol's ``:TRIGger:EDGE:...``.
    @command("TRIG:SOUR", "TRIG:EDGE:SOUR")
    def _trigger_source(self, cmd: Command) -> None:
        self.set_trigger_source(cmd)

    @command("TRIG:SOUR?", "TRIG:EDGE:SOUR?")
    def _trigger_source_query(self, cmd: Command) -> str:
        return self.source_reply(self.trigger_source)

    @command("TRIG:LEV", "TRIG:EDGE:LEV")
    def _trigger_level(self, cmd: Command) -> None:
        self.set_trigger_level(cmd)

    @command("TRIG:LEV?", "TRIG:EDGE:LEV?")
    def _trigger_level_query(self, cmd: Command) -> str:
        return self._number(self.trigger_level())

    @command("TRIG:SLOP", "TRIG:EDGE:SLOP")
    def _trigger_slope(self, cmd: Command) -> None:
        self.set_trigger_slope(cmd)

    @command("TRIG:SLOP?", "TRIG:EDGE:SLOP?")
    def _trigger_slope_query(self, cmd: Command) -> str:
        return self.trigger_slope

    def set_trigger_source(self, cmd: Command) -> None:
        source = self.parse_source(cmd.arg())
        if source is not None:
            self.trigger_source = source

    def set_trigger_level(self, cmd: Command) -> None:
        level = cmd.float_arg()
        self.check_level(self.trigger_source, level)
        self.trigger_levels[self._level_key(self.trigger_source)] = level

    def set_trigger_slope(self, cmd: Command) -> None:
        word = self.keyword(cmd, self.slopes)
        if word is not None:
            self.trigger_slope = word


def _wiring(option: Any, resource_name: str, inputs: int) -> dict[int, str]:
    """The ``channels`` resource option: input number → signal name."""
    wiring = {n: DEFAULT_WIRING.get(n, "none") for n in range(1, inputs + 1)}
    if option is None:
        return wiring
    where = f"resources.{resource_name}.channels"
    if not isinstance(option, dict):
        raise BenchError(f"{where}: expected a mapping like {{\"1\": el, \"2\": current}}")
    for key, value in option.items():
        name = str(value).lower()
        if not str(key).isdigit() or not 1 <= int(key) <= inputs:
            raise BenchError(f"{where}: {key!r} is not an input 1 to {inputs}")
        if name not in SIGNALS:
            raise BenchError(f"{where}.{key}: {value!r} is not one of {list(SIGNALS)}")
        wiring[int(key)] = name
    return wiring
