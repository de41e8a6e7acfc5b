"""The run engine: one procedure in a worker thread, its records fanned out, the safe stop assured.

::

    engine = RunEngine(bench)
    handle = engine.start(SCLCSweep(v_max="8 V"), out_dir="runs")
    handle.wait()                # or pause(), resume(), abort() from any thread
    print(handle.status, handle.file, handle.analysis)

Order of a run: the sample's limits and the bench's roles are checked (no I/O); the run file is
created; ``RunStart`` (with the bench snapshot) and the ``Descriptor``s are published; the
procedure runs inside :func:`~labctl.safety.guarded_outputs`, so every output ends at zero and
off however it ends; the final analysis and ``RunStop`` (completed, aborted or failed, with the
error) close the file.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from labctl import __version__
from labctl.errors import LabctlError, SafeStopError
from labctl.procedures.base import Aborted, Procedure, RunContext
from labctl.run.records import (
    AnalysisUpdate,
    Descriptor,
    Record,
    RunStart,
    RunStop,
    Status,
)
from labctl.run.stream import RecordStream, Subscriber, SubscriberError
from labctl.safety.guard import RampInterrupted
from labctl.safety.safe_stop import guarded_outputs
from labctl.safety.signals import Terminated, sigterm_raises
from labctl.storage.runfile import RunFileWriter

log = logging.getLogger(__name__)

#: The run in progress on each bench (by id): one at a time.
_ACTIVE_RUNS: dict[int, RunHandle] = {}
_BENCH_RUNS_LOCK = threading.Lock()

#: Builds the live analyzer of a procedure: (procedure) → subscriber publishing AnalysisUpdates.
AnalyzerFactory = Callable[[Procedure, Callable[[Record], None]], Subscriber | None]


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).astimezone().isoformat(timespec="seconds")


def run_file_name(procedure: Procedure, started: _dt.datetime, uid: str) -> str:
    # Milliseconds, so that the runs of a fast sequence sort in the order they ran.
    stamp = f"{started:%Y%m%d-%H%M%S}-{started.microsecond // 1000:03d}"
    return f"{stamp}_{procedure.name}_{uid[:8]}.h5"


def _writable_folder(out_dir: str | Path) -> Path:
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".labctl-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise LabctlError(f"cannot write run files in {folder}: {exc}") from exc
    return folder


class RunHandle:
    """A run in progress: control it and wait for its end from any thread."""

    def __init__(self, procedure: Procedure, uid: str, file: Path | None) -> None:
        self.procedure = procedure
        self.uid = uid
        self.file = file
        self.status: Status | None = None
        self.error: str | None = None
        self.analysis: AnalysisUpdate | None = None
        self._context: RunContext | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._abort_before_start = False
        #: Ctrl-C or SIGTERM that ended a foreground run, re-raised to the caller
        self.interrupted: BaseException | None = None

    def pause(self) -> None:
        if self._context is not None:
            self._context.pause()

    def resume(self) -> None:
        if self._context is not None:
            self._context.resume()

    def abort(self) -> None:
        """Stop at the next checkpoint; the outputs are then ramped down and switched off."""
        self._abort_before_start = True
        if self._context is not None:
            self._context.request_abort()

    @property
    def paused(self) -> bool:
        return self._context is not None and self._context.paused

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> Status | None:
        self._done.wait(timeout)
        return self.status


class RunEngine:
    def __init__(self, bench: Any, analyzer_factory: AnalyzerFactory | None = None) -> None:
        self.bench = bench
        if analyzer_factory is None:
            from labctl.analysis.live import live_analyzer

            analyzer_factory = live_analyzer
        self.analyzer_factory = analyzer_factory

    def start(
        self,
        procedure: Procedure,
        *,
        out_dir: str | Path | None = "runs",
        subscribers: Iterable[Subscriber] = (),
        background: bool = True,
    ) -> RunHandle:
        """Check, then run ``procedure``. Nothing is touched if the checks fail.

        One run at a time per bench: a second run would drive the same instruments, and its safe
        stop would switch off the first run's outputs.
        """
        procedure.check_bench(self.bench)
        procedure.check(self.bench)
        if out_dir is not None:
            out_dir = _writable_folder(out_dir)  # before anything is touched
        with _BENCH_RUNS_LOCK:
            busy = _ACTIVE_RUNS.get(id(self.bench))
            if busy is not None and not busy.done:
                raise LabctlError(
                    f"the bench is busy with a {busy.procedure.name} run ({busy.file}); "
                    "wait for it to end or abort it first"
                )
            uid = uuid.uuid4().hex
            started = _dt.datetime.now()
            path = Path(out_dir) / run_file_name(procedure, started, uid) if out_dir else None
            handle = RunHandle(procedure, uid, path)
            _ACTIVE_RUNS[id(self.bench)] = handle
        stream = RecordStream()
        writer = RunFileWriter(path) if path is not None else None
        if writer is not None:
            stream.subscribe(writer, critical=True, name="run file")
        for subscriber in subscribers:
            stream.subscribe(subscriber)
        analyzer = self.analyzer_factory(procedure, stream.publish)
        if analyzer is not None:
            stream.subscribe(analyzer, name="live analysis")

        def keep_analysis(record: Record) -> None:
            if isinstance(record, AnalysisUpdate):
                handle.analysis = record

        stream.subscribe(keep_analysis, name="handle")
        worker = threading.Thread(
            target=self._work, args=(procedure, stream, handle, writer, analyzer),
            name=f"run-{procedure.name}", daemon=True,
        )
        handle._thread = worker
        if background:
            worker.start()
        else:
            worker.run()
            if handle.interrupted is not None:
                raise handle.interrupted  # in the foreground, Ctrl-C must reach the caller
        return handle

    def run(self, procedure: Procedure, **kwargs: Any) -> RunHandle:
        """Start and wait; Ctrl-C or SIGTERM abort the run safely and are then re-raised."""
        with sigterm_raises():
            handle = self.start(procedure, **kwargs)
            wait_interruptibly(handle)
        return handle

    # -- the worker --------------------------------------------------------------------------
    def _work(self, procedure: Procedure, stream: RecordStream, handle: RunHandle,
              writer: RunFileWriter | None, analyzer: Any) -> None:
        bench = self.bench
        status: Status = "completed"
        error: str | None = None
        try:
            descriptors = procedure.streams(bench)
            context = RunContext(bench, procedure, stream.publish, descriptors)
            handle._context = context
            if handle._abort_before_start:
                context.request_abort()
            stream.publish(RunStart(
                uid=handle.uid,
                procedure=procedure.name,
                parameters=procedure.parameters.with_units(procedure.values),
                bench=_snapshot(bench),
                software={"labctl": __version__},
                started=_now(),
                clock_start=bench.clock.now(),
                streams=descriptors,
            ))
            for name, columns in descriptors.items():
                stream.publish(Descriptor(name, columns))
            interruptible = [r for r in bench.roles.values() if hasattr(r, "interrupt")]
            for role in interruptible:
                role.interrupt = lambda: context.abort_requested
            try:
                with guarded_outputs(*bench.roles.values()):
                    procedure.run(context)
            except (Aborted, RampInterrupted):
                status, error = "aborted", "aborted by the user"
            except SubscriberError as exc:
                status, error = "failed", f"could not store the data: {exc}"
            except SafeStopError as exc:
                cause = exc.__context__
                status = "failed"
                error = str(exc) if cause is None or isinstance(cause, Aborted) else (
                    f"{type(cause).__name__}: {cause}; then the safe stop failed: {exc}")
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt | Terminated):
                    status, handle.interrupted = "aborted", exc
                    error = ("interrupted by Ctrl-C" if isinstance(exc, KeyboardInterrupt)
                             else f"terminated ({exc})")
                else:
                    status, error = "failed", f"{type(exc).__name__}: {exc}"
                log.error("run %s %s: %s", procedure.name, status, error)
                log.debug("%s", traceback.format_exc())
            for role in interruptible:
                role.interrupt = None
            if status == "completed" and context.abort_requested:
                status, error = "aborted", "aborted by the user"
            if analyzer is not None:
                try:
                    analyzer.finish()
                except Exception as exc:  # the data is safe; say why the analysis is missing
                    log.warning("final analysis failed: %s", exc)
            stream.publish(RunStop(handle.uid, status, error, _now(), bench.clock.now()))
        except BaseException as exc:
            status = "failed"
            error = f"{type(exc).__name__}: {exc}" if error is None else f"{error}; then {exc}"
            log.error("run engine failure: %s", error)
            if writer is not None:
                writer.close(status, error)  # whatever was measured stays readable
        finally:
            handle.status, handle.error = status, error
            handle._done.set()


def abort_active_run(bench: Any, timeout: float = 600.0) -> None:
    """Abort the run in progress on ``bench`` (if any) and wait for its safe stop."""
    with _BENCH_RUNS_LOCK:
        handle = _ACTIVE_RUNS.get(id(bench))
    if handle is not None and not handle.done:
        handle.abort()
        handle.wait(timeout)


def wait_interruptibly(handle: RunHandle) -> None:
    """Wait for ``handle``; Ctrl-C (or SIGTERM) aborts the run, waits for its safe stop, and
    re-raises, so the caller can exit with the right code."""
    interrupted: BaseException | None = None
    while not handle.done:
        try:
            handle.wait(0.2)
        except (KeyboardInterrupt, Terminated) as exc:
            if interrupted is None:
                interrupted = exc
                log.warning("stopping: ramping outputs down and switching them off ...")
            handle.abort()
    if interrupted is not None:
        raise interrupted


def _snapshot(bench: Any) -> dict[str, Any]:
    snapshot = getattr(bench, "snapshot", None)
    out: dict[str, Any] = {"roles": snapshot() if snapshot else {}}
    limits = getattr(bench, "limits", None)
    if limits is not None:
        out["limits"] = limits.describe()
    config = getattr(bench, "config", None)
    if config is not None:
        out["name"] = config.name
        out["source"] = str(config.source) if config.source else None
        sim = (config.raw or {}).get("sim")
        if sim:
            out["sim"] = sim
    return out
