"""What a run emits, in order: one ``RunStart``, the ``Descriptor`` of every stream, ``Chunk``s
of data and ``Progress`` while it runs, ``AnalysisUpdate``s from the live analysis, one ``RunStop``.

Typed records instead of message strings: a subscriber matches on the class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Status = Literal["completed", "aborted", "failed"]


@dataclass(frozen=True)
class Column:
    """One column of a stream: SI ``unit``; ``shape`` is () for scalars, (n,) for arrays."""

    unit: str
    shape: tuple[int, ...] = ()
    description: str = ""
    dtype: str = "f8"


@dataclass(frozen=True)
class RunStart:
    uid: str
    procedure: str
    parameters: Mapping[str, Mapping[str, Any]]  #: name → {"value", "unit"}
    bench: Mapping[str, Any]  #: snapshot: identification and settings of every role
    software: Mapping[str, str]
    started: str  #: ISO 8601 wall-clock time
    clock_start: float  #: s on the bench clock
    #: every stream the run will emit, so storage can be laid out before the first data
    streams: Mapping[str, Mapping[str, Column]] = field(default_factory=dict)


@dataclass(frozen=True)
class Descriptor:
    stream: str
    columns: Mapping[str, Column]


@dataclass(frozen=True)
class Chunk:
    """Rows of one stream: every column an array with the same first dimension."""

    stream: str
    data: Mapping[str, np.ndarray]

    def __len__(self) -> int:
        return len(next(iter(self.data.values()))) if self.data else 0


@dataclass(frozen=True)
class Progress:
    fraction: float  #: 0 … 1
    message: str = ""


@dataclass(frozen=True)
class AnalysisUpdate:
    """The live analysis after new data: same shape as ``labctl analyze --json``."""

    procedure: str
    results: Mapping[str, Mapping[str, Any]]
    warnings: tuple[str, ...] = ()
    final: bool = False


@dataclass(frozen=True)
class RunStop:
    uid: str
    status: Status
    error: str | None = None
    stopped: str = ""  #: ISO 8601 wall-clock time
    clock_stop: float = 0.0
    extra: Mapping[str, Any] = field(default_factory=dict)


Record = RunStart | Descriptor | Chunk | Progress | AnalysisUpdate | RunStop
