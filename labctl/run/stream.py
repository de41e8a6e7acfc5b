"""The in-process stream: every record of a run, delivered in order to every subscriber.

A subscriber is any callable taking one record. A *critical* subscriber (the run-file writer)
that fails stops the run: data that cannot be stored must not be taken. A viewer that fails is
logged and dropped; the measurement goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from labctl.run.records import Record

log = logging.getLogger(__name__)

Subscriber = Callable[[Record], None]


class SubscriberError(Exception):
    """A critical subscriber failed; the run must stop."""


@dataclass
class _Entry:
    callback: Subscriber
    critical: bool
    name: str


class RecordStream:
    def __init__(self) -> None:
        self._entries: list[_Entry] = []
        self._lock = threading.RLock()

    def subscribe(self, callback: Subscriber, *, critical: bool = False,
                  name: str | None = None) -> Subscriber:
        with self._lock:
            self._entries.append(
                _Entry(callback, critical, name or getattr(callback, "__name__", repr(callback)))
            )
        return callback

    def unsubscribe(self, callback: Subscriber) -> None:
        with self._lock:
            self._entries = [e for e in self._entries if e.callback is not callback]

    def publish(self, record: Record) -> None:
        with self._lock:
            entries = list(self._entries)
        for entry in entries:
            try:
                entry.callback(record)
            except Exception as exc:
                if entry.critical:
                    raise SubscriberError(f"{entry.name} failed: {exc}") from exc
                log.warning("viewer %s failed on %s and was dropped: %s",
                            entry.name, type(record).__name__, exc)
                self.unsubscribe(entry.callback)
