"""Small helpers for any SCPI instrument driven through pymeasure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from labctl.errors import InstrumentError


def raise_scpi_errors(instrument: Any, name: str) -> None:
    """Drain ``SYST:ERR?`` and raise :class:`InstrumentError` if anything was queued."""
    errors = instrument.check_errors()
    if errors:
        text = "; ".join(f"{int(float(code))}: {str(message).strip(chr(34))}" for code, message in errors)
        raise InstrumentError(f"{name} reported: {text}")


@contextmanager
def extended_timeout(instrument: Any, seconds: float, margin: float = 5.0) -> Iterator[None]:
    """Raise the VISA timeout for one long operation (a sweep, a capture), then restore it."""
    connection = getattr(instrument.adapter, "connection", None)
    saved = getattr(connection, "timeout", None)
    if not isinstance(saved, int | float):  # no VISA session (a test adapter): nothing to extend
        yield
        return
    connection.timeout = max(saved, int((seconds + margin) * 1000))
    try:
        yield
    finally:
        connection.timeout = saved
