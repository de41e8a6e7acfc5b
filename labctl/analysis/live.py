"""Live analysis during a run: the streaming analyzer of each procedure, fed from the stream.

The analyzers are the same objects that ``labctl analyze`` feeds from a stored file, so a number
never depends on where it was computed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from labctl.run.records import AnalysisUpdate, Chunk, Record

log = logging.getLogger(__name__)


class LiveAnalysis:
    """Subscriber: passes every chunk to a streaming analyzer, publishes its updates."""

    def __init__(self, procedure_name: str, analyzer: Any, publish: Callable[[Record], None]):
        self.procedure_name = procedure_name
        self.analyzer = analyzer
        self.publish = publish

    def __call__(self, record: Record) -> None:
        if isinstance(record, Chunk):
            result = self.analyzer.update(record.stream, record.data)
            if result is not None:
                self.publish(self._update(result, final=False))

    def finish(self) -> None:
        self.publish(self._update(self.analyzer.finish(), final=True))

    def _update(self, result: Any, *, final: bool) -> AnalysisUpdate:
        payload = result.to_json()
        return AnalysisUpdate(
            self.procedure_name, payload["results"], tuple(payload["warnings"]), final
        )


def live_analyzer(procedure: Any, publish: Callable[[Record], None]) -> LiveAnalysis | None:
    """The live analysis of ``procedure``, or None if it has none."""
    from labctl.analysis.streaming import make_analyzer

    if not procedure.analysis:
        return None
    analyzer = make_analyzer(procedure.analysis, procedure.analysis_settings())
    if analyzer is None:
        return None
    return LiveAnalysis(procedure.name, analyzer, publish)
