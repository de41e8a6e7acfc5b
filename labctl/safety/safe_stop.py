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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from pyvisa.errors import VisaIOError

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
    ConnectionError,
    TimeoutError,
    OSError,
)
DEFAULT_RAMP_RATE = 1.0  # V/s, when the role carries no limits
RECONNECT_ATTEMPTS = 3
RECONNECT_BACKOFF = 0.5  # s, doubled after each failed attempt


def stop_source_meter(smu: SourceMeter, ramp_rate: float | None = None) -> None:
    """Ramp ``smu`` to zero (voltage) or set zero (current), then turn its output off."""
    rate = ramp_rate or _ramp_rate_of(smu)
    # The raw role, not the limits wrapper: the stop must work even if nothing was configured.
    raw: Any = getattr(smu, "inner", smu)
    _with_reconnect(raw, lambda: _zero_and_off(raw, rate))


def stop_function_generator(generator: FunctionGenerator) -> None:
    _with_reconnect(generator, generator.output_off)


def stop_outputs(roles: Iterable[object], ramp_rate: float | None = None) -> None:
    """Stop every output among ``roles``; try them all, then report every failure."""
    failures: list[str] = []
    with signals_deferred():
        for role in roles:
            try:
                if implements(role, SourceMeter):
                    stop_source_meter(role, ramp_rate)
                elif implements(role, FunctionGenerator):
                    stop_function_generator(role)
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


def _zero_and_off(smu: Any, rate: float) -> None:
    with smu.lock:
        if smu.output_enabled:
            if smu.source_mode == "voltage":
                smu.ramp_to(0.0, rate)
            else:
                smu.set_level(0.0)
        smu.output_off()


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
