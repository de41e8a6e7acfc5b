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
        text = "; ".join(
            f"{int(float(code))}: {str(message).strip(chr(34))}" for code, message in errors
        )
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


def read_ieee_block(instrument: Any, command: str, dtype: Any, *, terminated: bool = True) -> Any:
    """Send ``command`` and read its IEEE-488.2 definite-length block as a numpy array.

    The block is ``#`` + one digit *n* + *n* digits of byte count + the bytes, then (when
    ``terminated``) the message terminator, which is read and discarded. The payload is read in
    one ``read_bytes`` call, not byte by byte.
    """
    import numpy as np

    instrument.write(command)
    adapter = instrument.adapter
    head = adapter.read_bytes(2)
    if len(head) != 2 or head[:1] != b"#" or not head[1:2].isdigit() or head[1:2] == b"0":
        raise InstrumentError(f"{command}: expected a definite-length block '#n...', got {head!r}")
    digits = int(head[1:2])
    count_text = adapter.read_bytes(digits)
    try:
        count = int(count_text)
    except ValueError:
        raise InstrumentError(f"{command}: bad block length {count_text!r}") from None
    payload = adapter.read_bytes(count) if count else b""
    if len(payload) != count:
        raise InstrumentError(f"{command}: block announced {count} bytes, got {len(payload)}")
    if terminated:
        adapter.read_bytes(1)
    return np.frombuffer(payload, dtype=dtype)
