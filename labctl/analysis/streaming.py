"""Streaming analyzers: fed record chunks as they arrive, they report as soon as data allows.

Registry of analyzers by analysis name; each analyzer has ``update(stream, data) -> result or
None`` and ``finish() -> result``.
"""

from __future__ import annotations

from typing import Any

ANALYZERS: dict[str, Any] = {}


def make_analyzer(name: str, settings: dict[str, Any]) -> Any | None:
    factory = ANALYZERS.get(name)
    return factory(**settings) if factory is not None else None
