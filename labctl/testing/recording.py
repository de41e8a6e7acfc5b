"""A pymeasure adapter that records every message in order and can lose its connection on cue.

``expected_protocol`` checks a driver's exact traffic; ``RecordingAdapter`` is for the other
question, whether things happen in the right *order* on every exit path (compliance before output
on, ramp before output off), including after a lost connection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pymeasure.adapters import Adapter
from pyvisa import constants
from pyvisa.errors import VisaIOError

Answer = str | Callable[[str], str]


class EchoResponder:
    """Answers a query with the value last written to the same header, or a fixed answer.

    ``answers`` maps a query (``":READ?"``) to a string or a function of the query. Headers are
    compared without a leading colon and case-insensitively; long and short forms are *not*
    equated, so tests spell queries as the driver does.
    """

    def __init__(
        self,
        answers: Mapping[str, Answer] | None = None,
        state: Mapping[str, str] | None = None,
    ) -> None:
        self.answers = {_key(k): v for k, v in (answers or {}).items()}
        self.answers.setdefault(_key("SYST:ERR?"), '0,"No error"')
        self.state: dict[str, str] = {_key(k): v for k, v in (state or {}).items()}

    def __call__(self, message: str) -> str | None:
        replies = []
        for segment in filter(None, (s.strip() for s in message.split(";"))):
            if segment.endswith("?") or "? " in segment:
                replies.append(self._answer(segment))
            else:
                header, _, value = segment.partition(" ")
                self.state[_key(header)] = value.strip()
        return ";".join(replies) if replies else None

    def _answer(self, query: str) -> str:
        key = _key(query)
        if key in self.answers:
            answer = self.answers[key]
            return answer(query) if callable(answer) else answer
        header = key[:-1]
        if header in self.state:
            return self.state[header]
        raise AssertionError(f"EchoResponder has no answer for {query!r}")


class RecordingAdapter(Adapter):
    """Records ``("write", message)`` and ``("read", reply)`` events in order.

    ``fail_after_writes=N`` makes the N+1-th write and everything after it raise a VISA
    "connection lost" error until :meth:`heal` is called, as a pulled cable would.
    """

    def __init__(
        self,
        responder: Callable[[str], str | None] | None = None,
        *,
        fail_after_writes: int | None = None,
    ) -> None:
        super().__init__()
        self.responder = responder or EchoResponder()
        self.events: list[tuple[str, str]] = []
        self.fail_after_writes = fail_after_writes
        self.broken = False
        self._pending: list[str] = []

    @property
    def writes(self) -> list[str]:
        return [message for kind, message in self.events if kind == "write"]

    def break_connection(self) -> None:
        self.broken = True

    def heal(self) -> None:
        self.broken = False
        self.fail_after_writes = None

    def _check_link(self) -> None:
        if self.fail_after_writes is not None and len(self.writes) >= self.fail_after_writes:
            self.broken = True
        if self.broken:
            raise VisaIOError(constants.StatusCode.error_connection_lost)

    def _write(self, command: str, **kwargs) -> None:
        self._check_link()
        self.events.append(("write", command))
        reply = self.responder(command)
        if reply is not None:
            self._pending.append(reply)

    def _read(self, **kwargs) -> str:
        if self.broken:
            raise VisaIOError(constants.StatusCode.error_connection_lost)
        if not self._pending:
            raise VisaIOError(constants.StatusCode.error_timeout)
        reply = self._pending.pop(0)
        self.events.append(("read", reply))
        return reply

    def close(self) -> None:
        self.events.append(("close", ""))


def _key(header: str) -> str:
    return header.strip().lstrip(":").upper()
