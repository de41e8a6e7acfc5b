"""Checks on values before they reach an instrument. Each error names the parameter and range."""

from __future__ import annotations

import math
from collections.abc import Iterable

from labctl.errors import ParameterError
from labctl.units import format_si


def check_range(name: str, value: float, low: float, high: float, unit: str = "") -> float:
    """Return ``value`` as a float if ``low <= value <= high``; else raise ParameterError."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"{name}: expected a number in {unit or 'SI units'}, got {value!r}"
        ) from exc
    if math.isnan(number) or not low <= number <= high:
        raise ParameterError(
            f"{name} = {_fmt(number, unit)} is outside the allowed range "
            f"{_fmt(low, unit)} to {_fmt(high, unit)}"
        )
    return number


def check_positive(name: str, value: float, unit: str = "", *, allow_zero: bool = False) -> float:
    """Return ``value`` if it is > 0 (or >= 0 with ``allow_zero``)."""
    low_ok = (lambda v: v >= 0) if allow_zero else (lambda v: v > 0)
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"{name}: expected a number in {unit or 'SI units'}, got {value!r}"
        ) from exc
    if math.isnan(number) or not low_ok(number) or math.isinf(number):
        bound = ">= 0" if allow_zero else "> 0"
        raise ParameterError(f"{name} = {_fmt(number, unit)} must be finite and {bound}")
    return number


def check_choice(name: str, value: object, choices: Iterable[object]) -> object:
    options = list(choices)
    if value not in options:
        raise ParameterError(f"{name} = {value!r} is not one of {options}")
    return value


def _fmt(value: float, unit: str) -> str:
    return format_si(value, unit) if unit else f"{value:g}"
