"""Shared result type of the analysis functions.

Every analysis returns an :class:`AnalysisResult`: named :class:`Quantity` values in SI units,
warnings in plain words, and arrays for plotting in ``extras``. A quantity that the data cannot
support has ``value=None`` and a warning that says why; no number is ever invented.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AnalysisResult", "Quantity", "clean_float", "missing"]


def clean_float(value: Any) -> float | None:
    """Return ``value`` as a finite float, or None for None, NaN and ±inf."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@dataclass
class Quantity:
    """One reported number.

    ``value`` is None when the data cannot support it; ``unit`` is a pint-parseable SI unit
    string (``""`` for ratios); ``note`` says briefly how the number was obtained.
    """

    value: float | None
    unit: str
    note: str = ""

    def __post_init__(self) -> None:
        # NaN and ±inf are not numbers a user can act on: store them as "unknown".
        self.value = clean_float(self.value)


@dataclass
class AnalysisResult:
    """Named quantities, warnings, and plotting arrays of one analysis."""

    quantities: dict[str, Quantity] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> float | None:
        """Return the value of quantity ``name`` (None if unknown or not reported)."""
        quantity = self.quantities.get(name)
        return None if quantity is None else quantity.value

    def add(self, name: str, value: Any, unit: str, note: str = "") -> Quantity:
        """Store quantity ``name``; a non-finite value becomes None."""
        quantity = Quantity(value, unit, note)
        self.quantities[name] = quantity
        return quantity

    def add_missing(self, name: str, unit: str, reason: str) -> Quantity:
        """Store ``name`` as unknown (None) and add a warning that gives ``reason``."""
        quantity, warning = missing((name, unit), reason)
        self.quantities[name] = quantity
        self.warn(warning)
        return quantity

    def warn(self, message: str) -> None:
        """Add a warning once (repeated identical warnings are dropped)."""
        if message not in self.warnings:
            self.warnings.append(message)

    def to_json(self) -> dict[str, Any]:
        """Return ``{"results": {name: {"value": v, "unit": u}}, "warnings": [...]}``.

        Non-finite values become None so that the output is valid JSON.
        """
        return {
            "results": {
                name: {"value": clean_float(q.value), "unit": q.unit}
                for name, q in self.quantities.items()
            },
            "warnings": list(self.warnings),
        }


def missing(name_unit: tuple[str, str], reason: str) -> tuple[Quantity, str]:
    """Return an unknown quantity and the warning that explains it.

    ``name_unit`` is ``(name, unit)``; the warning reads ``"<name>: <reason>"``.
    """
    name, unit = name_unit
    return Quantity(None, unit, note=reason), f"{name}: {reason}"
