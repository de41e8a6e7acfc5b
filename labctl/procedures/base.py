"""``Procedure``: what a measurement does, declared; ``RunContext``: what it may do while running.

A procedure declares its parameters (with units and ranges), the roles it needs, and the streams
it will emit. Its ``run`` talks to roles and emits records through the context; it never stores,
plots or analyses — the engine's subscribers do. Before ``run`` is called, ``check`` compares the
parameters with the sample's limits, so a run that would exceed them never touches an instrument.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import numpy as np

from labctl.clock import Clock
from labctl.errors import BenchError, LabctlError, LimitError, ParameterError
from labctl.procedures.parameters import ParameterSet
from labctl.run.records import Chunk, Column, Progress, Record

#: Longest single wait on a real clock between checks for pause and abort.
WAIT_SLICE = 0.2  # s


class Aborted(LabctlError):  # noqa: N818 - reads as a status, like KeyboardInterrupt
    """Raised inside a running procedure when the user aborts it."""


@contextmanager
def blame(*parameters: str) -> Iterator[None]:
    """Re-raise a limit or parameter error with the procedure parameters that caused it."""
    try:
        yield
    except LimitError as exc:
        raise LimitError(f"{exc} (the parameters behind it: {', '.join(parameters)})") from exc


class Procedure:
    """Base class of every procedure. Subclasses set the class attributes and ``run``."""

    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str] = ""
    #: role name → role protocol the procedure cannot run without
    needs: ClassVar[Mapping[str, type]] = {}
    #: role name → role protocol used when the bench has it
    optional: ClassVar[Mapping[str, type]] = {}
    parameters: ClassVar[ParameterSet]
    #: name of the analysis (`labctl analyze --procedure`) that reads this procedure's data
    analysis: ClassVar[str | None] = None

    def __init__(self, values: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        merged = {**(values or {}), **kwargs}
        self.values: dict[str, Any] = self.parameters.resolve(merged)

    def __getattr__(self, item: str) -> Any:
        # Parameters read as attributes: self.v_max
        values = self.__dict__.get("values", {})
        if item in values:
            return values[item]
        raise AttributeError(item)

    # -- hooks ---------------------------------------------------------------------------
    def check(self, bench: Any) -> None:
        """Raise ``LimitError``/``ParameterError`` if the run would exceed the sample's limits."""

    def streams(self, bench: Any) -> dict[str, dict[str, Column]]:
        """Every stream this run will emit, with its columns. Called once, before ``run``."""
        raise NotImplementedError

    def run(self, ctx: RunContext) -> None:
        raise NotImplementedError

    def estimated_duration(self) -> float | None:
        """Bench-clock seconds the run should take, for progress and for people."""
        return None

    def analysis_settings(self) -> dict[str, Any]:
        """Parameters the live analysis needs (thickness, area, ...), in SI units."""
        return {}

    @classmethod
    def check_bench(cls, bench: Any) -> None:
        config = getattr(bench, "config", None)
        if config is not None:
            config.check_needs(dict(cls.needs))
        else:
            missing = [name for name in cls.needs if name not in bench]
            if missing:
                raise BenchError(f"{cls.name} needs role(s) {missing} that the bench lacks")


class RunContext:
    """Handed to ``Procedure.run``: roles, parameters, the clock, emit, progress and waits."""

    def __init__(self, bench: Any, procedure: Procedure, publish: Any,
                 descriptors: Mapping[str, Mapping[str, Column]]) -> None:
        self.bench = bench
        self.procedure = procedure
        self.values = procedure.values
        self.clock: Clock = bench.clock
        self._publish = publish
        self._descriptors = descriptors
        self._abort = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self.start_time = self.clock.now()

    # -- roles ---------------------------------------------------------------------------
    def role(self, name: str) -> Any:
        return self.bench.role(name)

    def has_role(self, name: str) -> bool:
        return name in self.bench

    # -- data ----------------------------------------------------------------------------------
    def has_stream(self, stream: str) -> bool:
        """True when ``streams()`` declared ``stream`` for this run."""
        return stream in self._descriptors

    def emit(self, stream: str, **columns: Any) -> None:
        """One row (scalars / one array per column) or many rows (arrays with a row axis)."""
        columns_spec = self._descriptors.get(stream)
        if columns_spec is None:
            raise ParameterError(f"stream {stream!r} was not declared in streams()")
        missing = sorted(set(columns_spec) - set(columns))
        extra = sorted(set(columns) - set(columns_spec))
        if missing or extra:
            raise ParameterError(f"stream {stream!r}: missing {missing}, undeclared {extra}")
        data = {}
        rows = None
        for name, spec in columns_spec.items():
            array = np.asarray(columns[name], dtype=spec.dtype)
            if array.shape == spec.shape:
                array = array[np.newaxis, ...]
            if array.shape[1:] != spec.shape:
                raise ParameterError(
                    f"stream {stream!r}, column {name!r}: shape {array.shape[1:]} "
                    f"but {spec.shape} was declared"
                )
            if rows is not None and len(array) != rows:
                raise ParameterError(f"stream {stream!r}: columns of different lengths")
            rows = len(array)
            data[name] = array
        self._publish(Chunk(stream, data))

    def progress(self, fraction: float, message: str = "") -> None:
        self._publish(Progress(max(0.0, min(1.0, float(fraction))), message))

    def publish(self, record: Record) -> None:
        self._publish(record)

    # -- time, pause and abort -------------------------------------------------------------------
    def elapsed(self) -> float:
        """Bench-clock seconds since the run started."""
        return self.clock.now() - self.start_time

    def checkpoint(self) -> None:
        """Raise :class:`Aborted` if an abort was asked for; wait here while paused."""
        while not self._running.is_set():
            if self._abort.is_set():
                break
            self._running.wait(WAIT_SLICE)
        if self._abort.is_set():
            raise Aborted("aborted by the user")

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on the bench clock, answering pause and abort on the way."""
        remaining = float(seconds)
        simulated = not _is_wall_clock(self.clock)
        while remaining > 0:
            self.checkpoint()
            step = remaining if simulated else min(remaining, WAIT_SLICE)
            self.clock.sleep(step)
            remaining -= step
        self.checkpoint()

    # -- control (called from other threads) ---------------------------------------------------
    def request_abort(self) -> None:
        self._abort.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def abort_requested(self) -> bool:
        return self._abort.is_set()


def _is_wall_clock(clock: Clock) -> bool:
    from labctl.clock import WallClock

    return isinstance(clock, WallClock)
