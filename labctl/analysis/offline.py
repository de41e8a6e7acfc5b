"""Analysing stored data: a labctl run file or a pymeasure-style CSV, with the live analyzers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py

from labctl.analysis.results import AnalysisResult
from labctl.analysis.streaming import StreamingAnalyzer, analyzer_class
from labctl.errors import LabctlError, ParameterError
from labctl.storage.csv_io import read_csv
from labctl.storage.runfile import RunFile


def analyze_file(
    path: str | Path, procedure: str | None = None, settings: Mapping[str, Any] | None = None
) -> tuple[str, AnalysisResult]:
    """(analysis name, result) for ``path``. ``settings`` override what the file stores."""
    analysed = load_and_analyze(path, procedure, settings)
    return analysed.name, analysed.result


@dataclass
class Analysed:
    """A stored file after analysis: the result, and the analyzer holding the data it used."""

    name: str
    result: AnalysisResult
    analyzer: StreamingAnalyzer
    status: str | None = None  #: a run file's status; None for a CSV


def load_and_analyze(
    path: str | Path, procedure: str | None = None, settings: Mapping[str, Any] | None = None
) -> Analysed:
    """Analyse ``path`` (a run file or a CSV) and keep the analyzer, for figures."""
    path = Path(path)
    if not path.exists():
        raise LabctlError(f"{path} does not exist")
    overrides = dict(settings or {})
    if h5py.is_hdf5(path):
        with RunFile(path) as run:
            name = procedure or run.procedure
            cls = analyzer_class(name)
            stored = {k: v for k, v in run.parameter_values().items()
                      if k in {p.name for p in cls.settings} and v is not None}
            if cls.stream not in run.streams():
                raise LabctlError(f"{path}: no '{cls.stream}' data for the {name} analysis")
            data = run.read(cls.stream)
            units = run.columns(cls.stream)
            extra = {name: run.read(name) for name in cls.extra_streams
                     if name in run.streams()}
            status = run.status
            if status != "completed":
                reason = f" ({run.error})" if run.error else ""
        analysed = _run(name, cls, {**stored, **overrides}, data, path, units, status, extra)
        if status != "completed":
            analysed.result.warn(f"the run did not complete: {status}{reason}")
        return analysed
    columns, units, header = read_csv(path)
    named = header.pop("_procedure", None)
    if procedure is None and named:
        try:
            analyzer_class(named)
            procedure = named
        except ParameterError:
            pass  # a pymeasure procedure name: the user must say which analysis
    if procedure is None:
        raise ParameterError(
            f"{path} is a CSV file: say which analysis with --procedure NAME "
            "(sclc, trel, solar_jv, lateral_pl, dc_drive, ac_drive, jvl)"
        )
    cls = analyzer_class(procedure)
    missing = [need for need in cls.required_columns
               if not any(option in columns for option in need.split("|"))]
    if missing:
        raise LabctlError(
            f"{path}: the {procedure} analysis needs column(s) "
            f"{', '.join(m.replace('|', ' or ') for m in missing)}; the file has "
            f"{', '.join(columns)}"
        )
    known = {p.name for p in cls.settings}
    stored = {k: v for k, v in header.items() if k in known}
    return _run(procedure, cls, {**stored, **overrides}, columns, path, units)


def _run(name: str, cls: type[StreamingAnalyzer], settings: Mapping[str, Any],
         data: Mapping[str, Any], path: Path, units: Mapping[str, str],
         status: str | None = None,
         extra: Mapping[str, Mapping[str, Any]] | None = None) -> Analysed:
    unknown = sorted(set(settings) - {p.name for p in cls.settings})
    if unknown:
        raise ParameterError(
            f"the {cls.name} analysis takes no {', '.join(unknown)}; it takes "
            f"{', '.join(p.name for p in cls.settings) or 'no settings'}"
        )
    analyzer = cls(**settings)
    analyzer.units = dict(units)
    for stream, columns in (extra or {}).items():
        if columns and len(next(iter(columns.values()))):
            analyzer.update(stream, columns)
    if data and len(next(iter(data.values()))):
        analyzer.update(cls.stream, data)
    return Analysed(name, analyzer.finish(), analyzer, status)
