"""Procedure parameters: declared with units, defaults and ranges; parsed from text with pint.

A procedure lists its parameters once; the CLI (``--set v_max="8 V"``), recipes and the GUI's
forms are all built from that list, and every value is checked before any instrument is touched.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from labctl.errors import ParameterError
from labctl.units import Q_, format_si, to_si


@dataclass(frozen=True)
class Parameter:
    """One parameter. ``unit`` is the SI unit of the stored float ("" for dimensionless).

    ``kind`` is ``float``, ``int``, ``bool``, ``str`` (with ``choices``) or ``list`` (a list of
    floats in ``unit``, written ``"1, 20, 50 Hz"`` or ``[1, 20, 50]``).
    """

    name: str
    unit: str = ""
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    kind: type = float
    choices: tuple[str, ...] = ()
    doc: str = ""
    display_unit: str = ""  #: unit for people (``"nm"``, ``"mA/cm**2"``); defaults to ``unit``
    required: bool = False

    def parse(self, value: Any) -> Any:
        """Convert ``value`` (text, number, quantity, list) to the stored type, and check it."""
        if value is None:
            if self.required:
                raise ParameterError(f"{self.name} is required ({self.describe_range()})")
            return None
        if self.kind is bool:
            return _parse_bool(self.name, value)
        if self.kind is str:
            text = str(value).strip()
            if self.choices and text not in self.choices:
                raise ParameterError(
                    f"{self.name} = {text!r} is not one of {', '.join(self.choices)}"
                )
            return text
        if self.kind is list:
            return [self._check(v) for v in _parse_list(self.name, value, self.unit)]
        try:
            number = to_si(value, self.unit, name=self.name)
        except ParameterError as exc:
            raise ParameterError(f"{exc}; allowed: {self.describe_range()}") from exc
        number = self._check(number)
        if self.kind is int:
            if number != int(number):
                raise ParameterError(f"{self.name} = {number:g} must be a whole number")
            return int(number)
        return number

    def _check(self, number: float) -> float:
        if math.isnan(number):
            raise ParameterError(f"{self.name} is not a number")
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        if not low <= number <= high:
            raise ParameterError(
                f"{self.name} = {self.format(number)} is outside the allowed range "
                f"{self.describe_range()}"
            )
        return number

    def describe_range(self) -> str:
        if self.kind is str and self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind is bool:
            return "true or false"
        low = "-∞" if self.minimum is None else self.format(self.minimum)
        high = "∞" if self.maximum is None else self.format(self.maximum)
        return f"{low} to {high}"

    def format(self, value: Any) -> str:
        """``value`` for people, in ``display_unit``."""
        if value is None:
            return "—"
        if self.kind is list and isinstance(value, list | tuple):
            return "[" + ", ".join(self.format(v) for v in value) + "]"
        if self.kind in (str, bool):
            return str(value)
        if not self.unit:
            return f"{value:g}"
        if self.display_unit:
            shown = Q_(value, self.unit).to(self.display_unit)
            return f"{shown.magnitude:.6g} {self.display_unit}"
        return format_si(float(value), self.unit, digits=6)


@dataclass
class ParameterSet:
    """The parameters of one procedure, in declaration order."""

    parameters: Sequence[Parameter]
    _by_name: dict[str, Parameter] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {p.name: p for p in self.parameters}

    def __iter__(self):
        return iter(self.parameters)

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Parameter:
        return self._by_name[name]

    def resolve(self, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overlaid with ``values``; every value parsed and checked.

        An unknown name raises :class:`ParameterError` listing the known ones. All problems are
        collected so that one run of the command shows every mistake.
        """
        values = dict(values or {})
        unknown = sorted(set(values) - set(self._by_name))
        problems = []
        if unknown:
            problems.append(
                f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(self._by_name)}"
            )
        resolved: dict[str, Any] = {}
        for parameter in self.parameters:
            raw = values.get(parameter.name, parameter.default)
            try:
                resolved[parameter.name] = parameter.parse(raw)
            except ParameterError as exc:
                problems.append(str(exc))
        if problems:
            raise ParameterError("; ".join(problems))
        return resolved

    def with_units(self, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """``{name: {"value": v, "unit": u}}`` for storing and showing."""
        return {
            name: {"value": value, "unit": self._by_name[name].unit}
            for name, value in values.items()
        }


def _parse_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ParameterError(f"{name} = {value!r} is not true or false")


def _parse_list(name: str, value: Any, unit: str) -> list[float]:
    if isinstance(value, str):
        text = value.strip().strip("[]")
        # A trailing unit applies to every item: "1, 20, 50 Hz".
        items = [item.strip() for item in text.split(",") if item.strip()]
        if items and unit:
            try:
                last = Q_(items[-1]) if not _is_number(items[-1]) else None
            except Exception as exc:  # an unknown unit, a stray bracket
                raise ParameterError(
                    f"{name}: cannot read {value!r} as a list in {unit} ({exc}); write it as "
                    f"'1, 20, 50 {unit}'"
                ) from exc
            if last is not None and hasattr(last, "units") and str(last.units) != "dimensionless":
                suffix = f" {last.units}"
                items = [i if not _is_number(i) else i + suffix for i in items]
        return [to_si(item, unit, name=name) for item in items]
    if isinstance(value, Iterable):
        return [to_si(item, unit, name=name) for item in value]
    return [to_si(value, unit, name=name)]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
