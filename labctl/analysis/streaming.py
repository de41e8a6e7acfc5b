"""Streaming analyzers: fed record chunks as they arrive, they report as soon as the data allows.

Each analyzer keeps the columns it needs in growing buffers (amortised O(1) per appended row)
and re-runs its analysis on a geometric schedule: when the data has grown by a quarter since the
last analysis (or a whole unit of work, such as a finished sweep or a new trace, has arrived).
The total work over a run is then proportional to the data, so the cost per update stays flat
from the thousandth point to the millionth. Per-spectrum features are computed once per new
spectrum, vectorised over the chunk.

The same analyzer serves a live run and ``labctl analyze FILE``: a number never depends on where
it was computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from labctl.analysis.results import AnalysisResult
from labctl.procedures.parameters import ParameterSet

#: Re-analyse when the data has grown by this factor since the last analysis ...
GROWTH = 1.25
#: ... or by at least this many rows.
MIN_NEW_ROWS = 16


class Columns:
    """Named 1-D or 2-D columns that grow by appending rows, doubling their storage as needed."""

    def __init__(self) -> None:
        self._data: dict[str, np.ndarray] = {}
        self._rows = 0

    def __len__(self) -> int:
        return self._rows

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def extend(self, chunk: Mapping[str, Any]) -> None:
        arrays = {name: np.asarray(values, dtype=float) for name, values in chunk.items()}
        count = len(next(iter(arrays.values()))) if arrays else 0
        if count == 0:
            return
        for name, values in arrays.items():
            store = self._data.get(name)
            needed = self._rows + count
            if store is None:
                store = np.full((max(needed, 64), *values.shape[1:]), np.nan)
            elif needed > len(store):
                grown = np.full((max(needed, 2 * len(store)), *store.shape[1:]), np.nan)
                grown[: self._rows] = store[: self._rows]
                store = grown
            store[self._rows : needed] = values
            self._data[name] = store
        self._rows += count

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[name][: self._rows]

    def get(self, name: str) -> np.ndarray | None:
        return self[name] if name in self._data else None


class StreamingAnalyzer:
    """Base class. Subclasses set ``name``, ``stream``, ``settings`` and ``analyze``."""

    name: ClassVar[str]
    #: the stream of the procedure's run file this analyzer reads
    stream: ClassVar[str]
    #: further streams it reads when present (spectra beside a lifetime record)
    extra_streams: ClassVar[tuple[str, ...]] = ()
    #: parameters the analysis needs besides the data (thickness, area, ...)
    settings: ClassVar[ParameterSet] = ParameterSet([])
    #: columns a CSV must provide (alternatives separated by "|")
    required_columns: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **settings: Any) -> None:
        known = {p.name for p in self.settings}
        self.values = self.settings.resolve({k: v for k, v in settings.items() if k in known})
        self.columns = Columns()
        #: column units (SI, "" for arbitrary), when the source states them
        self.units: dict[str, str] = {}
        self._analysed_rows = 0
        self._last: AnalysisResult | None = None

    def update(self, stream: str, data: Mapping[str, Any]) -> AnalysisResult | None:
        """Take one chunk; return a new result when it is time to re-analyse, else None."""
        if stream != self.stream:
            return None
        self.ingest(data)
        rows = len(self.columns)
        due = max(self._analysed_rows * GROWTH, self._analysed_rows + MIN_NEW_ROWS)
        if rows < due and not self.unit_complete(data):
            return None
        self._analysed_rows = rows
        self._last = self.analyze(final=False)
        return self._last

    def finish(self) -> AnalysisResult:
        if not len(self.columns):
            return AnalysisResult(warnings=["no data was recorded: nothing to analyse"])
        self._last = self.analyze(final=True)
        return self._last

    # -- to override ------------------------------------------------------------------------------
    def ingest(self, data: Mapping[str, Any]) -> None:
        self.columns.extend(data)

    def unit_complete(self, data: Mapping[str, Any]) -> bool:
        """True when ``data`` completes a unit worth analysing at once (a trace, a sweep)."""
        return False

    def analyze(self, *, final: bool) -> AnalysisResult:
        raise NotImplementedError


ANALYZERS: dict[str, type[StreamingAnalyzer]] = {}


def register(cls: type[StreamingAnalyzer]) -> type[StreamingAnalyzer]:
    ANALYZERS[cls.name] = cls
    return cls


def analyzer_class(name: str) -> type[StreamingAnalyzer]:
    from labctl.analysis import analyzers  # noqa: F401  (registers the analyzers)
    from labctl.errors import ParameterError

    try:
        return ANALYZERS[name]
    except KeyError:
        raise ParameterError(
            f"no analysis named {name!r}; known: {', '.join(sorted(ANALYZERS))}"
        ) from None


def make_analyzer(name: str, settings: Mapping[str, Any]) -> StreamingAnalyzer | None:
    from labctl.analysis import analyzers  # noqa: F401

    cls = ANALYZERS.get(name)
    return cls(**dict(settings)) if cls is not None else None
