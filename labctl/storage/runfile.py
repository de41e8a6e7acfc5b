"""Run files: one HDF5 file per run, written while the run goes, readable at any moment.

Layout::

    /                         attrs: format, labctl_version, uid, procedure, started, stopped,
                                     status, error
    /status                   dataset (one string): "running" until the run ends
    /error                    dataset (one string): the error of a failed run
    /parameters               attrs: <name> = value, <name>.unit = SI unit; JSON in "json"
    /bench                    attrs: "json" (identification and settings of every role)
    /data/<stream>/<column>   resizable datasets, attr "unit"; rows appended in chunks
    /analysis                 attrs: "json" (results in the `labctl analyze --json` shape)

The file is written in SWMR mode from the start: a reader (`RunFile`, `h5py.File(path, "r",
swmr=True)`) can open it while the run writes it, and after a ``kill -9`` it still holds everything
up to the last flush. Data is flushed at most one second after it arrives, by a timer if no more
data comes. Status and error are datasets updated in place, so they are on disk even if the final
re-open (for the attributes and the analysis) fails.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from labctl.errors import LabctlError
from labctl.run.records import AnalysisUpdate, Chunk, Column, Descriptor, Record, RunStart, RunStop

log = logging.getLogger(__name__)

FORMAT = "labctl-run-1"
FLUSH_INTERVAL = 1.0  # s: the most data that a crash can lose
STATUS_LENGTH = 16
ERROR_LENGTH = 4096


class RunFileWriter:
    """A critical subscriber that writes every record into one HDF5 file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: h5py.File | None = None
        self._lock = threading.RLock()
        self._pending = False
        self._last_flush = 0.0
        self._timer: threading.Timer | None = None
        self._descriptors: dict[str, Descriptor] = {}
        self._rows: dict[str, int] = {}
        self._analysis: AnalysisUpdate | None = None
        self._swmr = False

    def __call__(self, record: Record) -> None:
        with self._lock:
            if isinstance(record, RunStart):
                self._start(record)
            elif isinstance(record, Descriptor):
                self._describe(record)
            elif isinstance(record, Chunk):
                self._append(record)
            elif isinstance(record, AnalysisUpdate):
                if record.final or self._analysis is None or not self._analysis.final:
                    self._analysis = record
            elif isinstance(record, RunStop):
                self._stop(record)

    # -- records ---------------------------------------------------------------------
    def _start(self, start: RunStart) -> None:
        from labctl import __version__

        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = h5py.File(self.path, "w", libver="latest")
        self._file = f
        f.attrs.update(
            format=FORMAT,
            labctl_version=__version__,
            uid=start.uid,
            procedure=start.procedure,
            started=start.started,
            clock_start=start.clock_start,
        )
        f.create_dataset("status", data=np.array([b"running"], dtype=f"S{STATUS_LENGTH}"))
        params = f.create_group("parameters")
        params.attrs["json"] = json.dumps(start.parameters, default=_json_default)
        for name, entry in start.parameters.items():
            value = entry.get("value")
            if value is not None:
                params.attrs[name] = _attr_value(value)
            params.attrs[f"{name}.unit"] = entry.get("unit", "")
        f.create_group("bench").attrs["json"] = json.dumps(start.bench, default=_json_default)
        f.attrs["software"] = json.dumps(start.software)
        f.create_dataset("error", data=np.array([b""], dtype=f"S{ERROR_LENGTH}"))
        f.create_group("data")
        for name, columns in start.streams.items():
            self._describe(Descriptor(name, columns))
        # Every dataset exists: from here on the file is readable at any moment, even after a
        # crash before the first data.
        f.swmr_mode = True
        self._swmr = True
        f.flush()

    def _describe(self, descriptor: Descriptor) -> None:
        if self._file is None:
            raise LabctlError("a descriptor arrived before RunStart")
        if descriptor.stream in self._descriptors:
            return  # laid out already from RunStart
        if self._swmr:
            raise LabctlError(f"stream {descriptor.stream!r} was not declared at the start")
        group = self._file["data"].create_group(descriptor.stream)
        for name, column in descriptor.columns.items():
            rows = max(1, min(4096, (1 << 20) // (8 * max(1, int(np.prod(column.shape))))))
            dataset = group.create_dataset(
                name,
                shape=(0, *column.shape),
                maxshape=(None, *column.shape),
                chunks=(rows, *column.shape),
                dtype=column.dtype,
            )
            dataset.attrs["unit"] = column.unit
            if column.description:
                dataset.attrs["description"] = column.description
        self._descriptors[descriptor.stream] = descriptor
        self._rows[descriptor.stream] = 0

    def _append(self, chunk: Chunk) -> None:
        if self._file is None:
            raise LabctlError("data arrived before RunStart")
        if not self._swmr:
            self._file.swmr_mode = True  # every dataset exists now
            self._swmr = True
        descriptor = self._descriptors.get(chunk.stream)
        if descriptor is None:
            raise LabctlError(f"stream {chunk.stream!r} was never described")
        count = len(chunk)
        start = self._rows[chunk.stream]
        group = self._file["data"][chunk.stream]
        for name in descriptor.columns:
            if name not in chunk.data:
                raise LabctlError(f"stream {chunk.stream!r}: column {name!r} missing from a chunk")
            dataset = group[name]
            dataset.resize(start + count, axis=0)
            dataset[start : start + count] = chunk.data[name]
        self._rows[chunk.stream] = start + count
        self._pending = True
        if time.monotonic() - self._last_flush >= FLUSH_INTERVAL:
            self._flush()
        elif self._timer is None:
            self._timer = threading.Timer(FLUSH_INTERVAL, self._timed_flush)
            self._timer.daemon = True
            self._timer.start()

    def _stop(self, stop: RunStop) -> None:
        if self._file is None:
            return
        try:
            self._write_status(stop.status, stop.error)
        finally:
            self._cancel_timer()
            self._file.close()
            self._file = None
        # Attributes cannot change under SWMR: reopen once, normally, for the final metadata.
        try:
            with h5py.File(self.path, "r+") as f:
                f.attrs.update(status=stop.status, error=stop.error or "", stopped=stop.stopped,
                               clock_stop=stop.clock_stop)
                analysis = f.require_group("analysis")
                if self._analysis is not None:
                    payload = {
                        "procedure": self._analysis.procedure,
                        "results": self._analysis.results,
                        "warnings": list(self._analysis.warnings),
                    }
                    analysis.attrs["json"] = json.dumps(payload, default=_json_default)
        except Exception:
            # The data, the status and the error are on disk already; only the analysis is lost.
            log.exception("%s: writing the final metadata failed", self.path)

    def _write_status(self, status: str, error: str | None) -> None:
        assert self._file is not None
        self._file["status"][0] = status.encode()
        self._file["error"][0] = (error or "").encode("utf-8", "replace")[:ERROR_LENGTH]
        self._pending = True
        self._flush()

    # -- flushing ----------------------------------------------------------------------------
    def _flush(self) -> None:
        if self._file is not None and self._pending:
            self._file.flush()
            self._pending = False
        self._last_flush = time.monotonic()

    def _timed_flush(self) -> None:
        with self._lock:
            self._timer = None
            self._flush()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self, status: str = "failed", error: str | None = None) -> None:
        """Close without a RunStop (when the engine itself fails): mark the status, keep data."""
        with self._lock:
            self._cancel_timer()
            if self._file is not None:
                try:
                    self._write_status(status, error)
                finally:
                    self._file.close()
                    self._file = None


class RunFile:
    """Read a run file, finished, still being written, or left by a killed process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise LabctlError(f"{self.path} does not exist")
        try:
            self._file = h5py.File(self.path, "r", swmr=True)
        except OSError as exc:
            raise LabctlError(f"{self.path}: not a readable labctl run file ({exc})") from exc
        if self._file.attrs.get("format") != FORMAT:
            self._file.close()
            raise LabctlError(f"{self.path}: not a labctl run file (no format '{FORMAT}')")

    def __enter__(self) -> RunFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    @property
    def procedure(self) -> str:
        return str(self._file.attrs["procedure"])

    @property
    def status(self) -> str:
        """completed, aborted, failed; "running" while written, or if the writer was killed."""
        if "status" in self._file.attrs:
            return str(self._file.attrs["status"])
        dataset = self._file["status"]
        dataset.refresh()
        return dataset[0].decode()

    @property
    def error(self) -> str:
        if "error" in self._file.attrs:
            return str(self._file.attrs["error"])
        if "error" in self._file:
            dataset = self._file["error"]
            dataset.refresh()
            return dataset[0].decode("utf-8", "replace")
        return ""

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return json.loads(self._file["parameters"].attrs["json"])

    def parameter_values(self) -> dict[str, Any]:
        return {name: entry["value"] for name, entry in self.parameters.items()}

    @property
    def bench(self) -> dict[str, Any]:
        return json.loads(self._file["bench"].attrs["json"])

    @property
    def attrs(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self._file.attrs.items()}

    def streams(self) -> list[str]:
        return list(self._file["data"])

    def columns(self, stream: str) -> dict[str, str]:
        """Column name → unit."""
        group = self._file["data"][stream]
        return {name: str(dataset.attrs.get("unit", "")) for name, dataset in group.items()}

    def read(self, stream: str) -> dict[str, np.ndarray]:
        """Every column of ``stream`` as arrays, up to the last flush."""
        group = self._file["data"][stream]
        out = {}
        for name, dataset in group.items():
            dataset.refresh()
            out[name] = dataset[()]
        rows = min((len(v) for v in out.values()), default=0)
        return {name: values[:rows] for name, values in out.items()}

    @property
    def analysis(self) -> dict[str, Any] | None:
        if "analysis" not in self._file or "json" not in self._file["analysis"].attrs:
            return None
        return json.loads(self._file["analysis"].attrs["json"])


def _attr_value(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return np.asarray(value, dtype=float)
    if isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Column):
        return {"unit": value.unit, "shape": list(value.shape)}
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode()
    return value
