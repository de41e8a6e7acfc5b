"""Faults a simulated instrument can be told to have, for the reliability tests.

Set per resource in the bench file::

    resources:
      GPIB0::24::INSTR:
        device: keithley2400
        filename: keithley2400.yaml
        faults:
          timeout_after: 20        # answers 20 queries, then never again (reads time out)
          disconnect_after: 50     # the link drops at message 51 (VI_ERROR_CONN_LOST)
          heal_on_reconnect: true  # ... and comes back when the resource is opened again
          garbage_after: 5         # the reply to query 6 is noise, once
          stuck_compliance: true   # an SMU reports compliance on every reading
          error_after: 10          # after 10 messages, one error is queued
          error: [-310, "System error"]
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from labctl.errors import ParameterError

GARBAGE = b"\x15\xfe#9?ERR\x00\x7f"


class LinkLostError(Exception):
    """The simulated cable is pulled: the backend reports VI_ERROR_CONN_LOST."""


@dataclass
class Faults:
    resource: str = ""
    timeout_after: int | None = None
    disconnect_after: int | None = None
    heal_on_reconnect: bool = True
    garbage_after: int | None = None
    stuck_compliance: bool = False
    error_after: int | None = None
    error: tuple[int, str] = (-310, "System error")
    messages: int = field(default=0, init=False)
    queries: int = field(default=0, init=False)
    disconnected: bool = field(default=False, init=False)
    _garbage_sent: bool = field(default=False, init=False)
    _error_sent: bool = field(default=False, init=False)

    @classmethod
    def from_mapping(cls, values: dict[str, Any], resource: str = "") -> Faults:
        known = {f.name for f in fields(cls) if f.init} - {"resource"}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ParameterError(
                f"resources.{resource}.faults: unknown key(s) {unknown}; known: {sorted(known)}"
            )
        kwargs = dict(values)
        if "error" in kwargs:
            code, message = kwargs["error"]
            kwargs["error"] = (int(code), str(message))
        return cls(resource=resource, **kwargs)

    def on_message(self, instrument: Any, message: str) -> None:
        if self.disconnected:
            raise LinkLostError(self.resource)
        self.messages += 1
        if "?" in message:
            self.queries += 1
        if self.disconnect_after is not None and self.messages > self.disconnect_after:
            self.disconnected = True
            raise LinkLostError(self.resource)
        due = self.error_after is not None and self.messages > self.error_after
        if due and not self._error_sent:
            self._error_sent = True
            instrument.push_error(*self.error)

    def on_reply(self, reply: bytes) -> bytes | None:
        if self.timeout_after is not None and self.queries > self.timeout_after:
            return None
        if (
            self.garbage_after is not None
            and self.queries > self.garbage_after
            and not self._garbage_sent
        ):
            self._garbage_sent = True
            return GARBAGE
        return reply

    def on_reconnect(self) -> None:
        if self.disconnected and self.heal_on_reconnect:
            self.disconnected = False
            self.disconnect_after = None
