"""The safe stop: every output to zero and off, on every exit path.

Used by the run engine, the CLI and scripts alike::

    with guarded_outputs(smu, generator):
        smu.source_voltage(2.0, compliance_current=0.01)
        smu.output_on()
        ...                      # however this block ends, the outputs end at zero and off

A lost connection does not end the attempt: the role reconnects and the stop is retried. Only when
every attempt fails is :class:`~labctl.errors.SafeStopError` raised, saying which output may still
be live.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from pyvisa.errors import InvalidSession, VisaIOError

from labctl.clock import WALL_CLOCK
from labctl.errors import SafeStopError
from labctl.roles.conformance import implements
from labctl.roles.function_generator import FunctionGenerator
from labctl.roles.source_meter import SourceMeter
from labctl.safety.signals import signals_deferred

log = logging.getLogger(__name__)

#: Errors that mean "the link to the instrument broke", as opposed to a refused command.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    VisaIOError,
    InvalidSession,
    ConnectionError,
    TimeoutError,
    OSError,
)
DEFAULT_RAMP_RATE = 1.0  # V/s, when the role carries no limits
RECONNECT_ATTEMPTS = 3
RECONNECT_BACKOFF = 0.5  # s, doubled after each failed attempt
RAMP_STEP_TIME = 0.05  # s between the level writes of a ramp-down


def stop_source_meter(smu: SourceMeter, ramp_rate: float | None = None) -> None:
    """Ramp ``smu`` to zero (voltage) or set zero (current), then turn its output off.

    The state is read once (output, function, level); the ramp itself is writes only, so a
    garbled reply cannot interrupt it half way. If the state cannot be read (garbage, an error)
    the stop ramps down blind from the last level this session commanded. After a lost
    connection the role reconnects and the stop starts again.
    """
    rate = ramp_rate or _ramp_rate_of(smu)
    # The raw role, not the limits wrapper: the stop must work even if nothing was configured.
    raw: Any = getattr(smu, "inner", smu)
    last_level = getattr(smu, "last_level", None)
    try:
        _with_reconnect(raw, lambda: _zero_and_off(raw, rate, last_level))
    except CONNECTION_ERRORS as exc:
        # Replies never come (a hung instrument) but commands may still arrive: a last,
        # write-only attempt before giving up.
        log.error("%s: no replies during the safe stop (%s); trying writes alone",
                  getattr(raw, "name", raw), exc)
        try:
            with raw.lock:
                try:
                    if last_level:
                        _ramp_by_writes(raw, last_level, rate)
                finally:
                    raw.output_off()
        except Exception:
            raise exc from None
        log.warning("%s: stopped by writes alone; confirm at the bench that the output is off",
                    getattr(raw, "name", raw))


def stop_function_generator(generator: FunctionGenerator) -> None:
    _with_reconnect(generator, generator.output_off)


def stop_outputs(roles: Iterable[object], ramp_rate: float | None = None) -> None:
    """Stop every output among ``roles``; try them all, then report every failure.

    Generators first (they switch off at once), then the source-meters, which ramp.
    """
    roles = list(roles)
    generators = [r for r in roles if implements(r, FunctionGenerator)]
    source_meters = [r for r in roles if implements(r, SourceMeter)]
    failures: list[str] = []
    with signals_deferred():
        for role in generators + source_meters:
            try:
                if role in generators:
                    stop_function_generator(role)
                else:
                    stop_source_meter(role, ramp_rate)
            except Exception as exc:  # keep going: the other outputs must still be stopped
                log.critical("safe stop of %r failed: %s", role, exc)
                failures.append(f"{getattr(role, 'name', role)}: {exc}")
        if failures:
            raise SafeStopError(
                "the output may still be ON for: " + "; ".join(failures) + ". Check the bench now."
            )


@contextmanager
def guarded_outputs(*roles: object, ramp_rate: float | None = None) -> Iterator[None]:
    """Run the block, then stop every output among ``roles`` however the block ended."""
    try:
        yield
    finally:
        stop_outputs(roles, ramp_rate)


def _zero_and_off(smu: Any, rate: float, last_level: float | None) -> None:
    with smu.lock:
        try:
            on = smu.output_enabled
            mode = smu.source_mode
            level = smu.level
        except CONNECTION_ERRORS:
            raise
        except Exception as exc:
            log.error("%s: cannot read the state for the safe stop (%s); ramping down blind "
                      "from the last commanded level %s", getattr(smu, "name", smu), exc,
                      last_level)
            on, mode, level = True, "voltage", last_level or 0.0
        try:
            if on and level:
                if mode == "voltage":
                    _ramp_by_writes(smu, level, rate)
                else:
                    smu.set_level(0.0)
        finally:
            smu.output_off()  # whatever happened above, the output goes off


def _ramp_by_writes(smu: Any, start: float, rate: float) -> None:
    """From ``start`` to 0 V at ``rate``, with level writes only (no reads to go wrong)."""
    write_level = getattr(smu, "_write_level", None)
    if write_level is None:  # a role from elsewhere: its own ramp
        smu.ramp_to(0.0, rate)
        return
    clock = getattr(smu, "clock", None) or WALL_CLOCK
    steps = max(1, math.ceil(abs(start) / (rate * RAMP_STEP_TIME)))
    for value in np.linspace(start, 0.0, steps + 1)[1:]:
        write_level(float(value))
        clock.sleep(abs(start) / rate / steps)


def _with_reconnect(role: Any, action: Any) -> None:
    clock = getattr(role, "clock", None) or WALL_CLOCK
    backoff = RECONNECT_BACKOFF
    for attempt in range(1, RECONNECT_ATTEMPTS + 1):
        try:
            action()
            return
        except CONNECTION_ERRORS as exc:
            log.error("%s: connection lost during safe stop (attempt %d): %s",
                      getattr(role, "name", role), attempt, exc)
            if attempt == RECONNECT_ATTEMPTS:
                raise
            try:
                role.reconnect()
            except Exception as reconnect_exc:
                log.error("reconnect failed: %s", reconnect_exc)
                clock.sleep(backoff)
                backoff *= 2


def _ramp_rate_of(smu: Any) -> float:
    limits = getattr(smu, "limits", None)
    return getattr(limits, "max_ramp_rate", None) or DEFAULT_RAMP_RATE
