"""``SimInstrument``: the Python half of a simulated instrument.

The YAML table (``instruments/*.yaml``) declares the identity and the plain settings with their
defaults and ranges. A ``SimInstrument`` subclass adds what a table cannot: readings computed from
the device under test, sweeps, waveforms, side effects of commands. Handlers are methods marked
with :func:`command`, keyed by the canonical header (``"SOUR:VOLT"``, ``"READ?"``).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labctl.sim.device import SimDevice
from labctl.sim.faults import Faults
from labctl.sim.scpi import Command, ScpiParser

if TYPE_CHECKING:
    from labctl.sim.bench import SimBench

log = logging.getLogger(__name__)

Reply = bytes | str | float | int | None
Handler = Callable[[Any, Command], Reply]

#: SCPI error codes used by the simulated instruments (SCPI-99 vol. 2, ch. 21).
UNDEFINED_HEADER = (-113, "Undefined header")
DATA_OUT_OF_RANGE = (-222, "Data out of range")
ILLEGAL_PARAMETER = (-224, "Illegal parameter value")
SETTINGS_CONFLICT = (-221, "Settings conflict")
MISSING_PARAMETER = (-109, "Missing parameter")
QUEUE_OVERFLOW = (-350, "Queue overflow")
ERROR_QUEUE_SIZE = 10


def command(*headers: str) -> Callable[[Handler], Handler]:
    """Mark a method as the handler of one or more canonical headers."""

    def mark(function: Handler) -> Handler:
        function._sim_headers = headers  # type: ignore[attr-defined]
        return function

    return mark


class SimInstrument:
    """Base of every simulated instrument model."""

    #: Nodes this instrument accepts but does not require (dropped when normalising).
    optional_nodes: tuple[str, ...] = ("LEV", "IMM")

    def __init__(
        self, bench: SimBench, device: SimDevice, resource_name: str, options: dict[str, Any]
    ) -> None:
        self.bench = bench
        self.device = device
        self.resource_name = resource_name
        self.options = dict(options)
        self.parser = ScpiParser(self.optional_nodes)
        self.errors: deque[tuple[int, str]] = deque()
        self.faults = Faults.from_mapping(self.options.get("faults") or {}, resource_name)
        self.defaults = {name: device.get_property(name) for name in device.property_names()}
        self.handlers: dict[str, Handler] = {}
        for klass in reversed(type(self).__mro__):
            for attribute in vars(klass).values():
                for header in getattr(attribute, "_sim_headers", ()):
                    self.handlers[header] = attribute
        device.attach(self)

    # -- message processing ------------------------------------------------------
    def process(self, message: str) -> bytes | None:
        """One message in, one reply out (several queries join with ``;``), or None."""
        with self.bench.lock:
            self.faults.on_message(self, message)
            replies = [r for r in self.respond_all(message) if r is not None]
            if not replies:
                return None
            reply = b";".join(replies)
            return self.faults.on_reply(reply)

    def respond_all(self, message: str) -> list[bytes | None]:
        return [self.respond(cmd) for cmd in self.parser.parse(message)]

    def respond(self, cmd: Command) -> bytes | None:
        key = cmd.header + ("?" if cmd.query else "")
        handler = self.handlers.get(key)
        try:
            if handler is not None:
                return _encode(handler(self, cmd))
            reply = self.device.match_table(cmd.text)
        except (ValueError, IndexError) as exc:
            log.debug("%s: %s rejected: %s", self.resource_name, cmd.text, exc)
            missing = isinstance(exc, IndexError)
            self.push_error(*(MISSING_PARAMETER if missing else DATA_OUT_OF_RANGE))
            return None
        if reply is None:
            self.push_error(*UNDEFINED_HEADER)
            return None
        return reply or None

    # -- state -------------------------------------------------------------------------
    def get(self, name: str) -> Any:
        return self.device.get_property(name)

    def set(self, name: str, value: Any) -> None:
        self.device.set_property(name, value)

    def reset(self) -> None:
        """``*RST``: every table setting back to its default."""
        for name, value in self.defaults.items():
            self.device.set_property(name, value)

    def push_error(self, code: int, message: str) -> None:
        if len(self.errors) >= ERROR_QUEUE_SIZE:
            self.errors[-1] = QUEUE_OVERFLOW
            return
        self.errors.append((code, message))

    def pop_error(self) -> tuple[int, str]:
        return self.errors.popleft() if self.errors else (0, "No error")

    def on_device_clear(self) -> None:
        """A device clear arrived; instruments that block (a pending acquisition) stop here."""

    def on_new_session(self) -> None:
        """A client opened this resource: a disconnect that heals on reconnect is over."""
        self.faults.on_reconnect()

    # -- common commands (IEEE 488.2) -----------------------------------------------------
    @command("*RST")
    def _rst(self, cmd: Command) -> None:
        self.reset()

    @command("*CLS")
    def _cls(self, cmd: Command) -> None:
        self.errors.clear()

    @command("*OPC?")
    def _opc(self, cmd: Command) -> str:
        return "1"

    @command("*WAI", "*OPC")
    def _wai(self, cmd: Command) -> None:
        return None

    @command("SYST:ERR?", "SYST:ERR:NEXT?")
    def _error(self, cmd: Command) -> str:
        code, message = self.pop_error()
        return f'{code},"{message}"'


def _encode(reply: Reply) -> bytes | None:
    if reply is None:
        return None
    if isinstance(reply, bytes):
        return reply
    return str(reply).encode("latin-1")
