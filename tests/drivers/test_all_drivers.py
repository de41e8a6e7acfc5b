"""Conventions every registered driver keeps, checked on all of them at once."""

from __future__ import annotations

import inspect

import pytest
from pymeasure.instruments import Instrument

from labctl.drivers import DRIVERS
from labctl.roles import ROLE_TYPES
from labctl.roles.conformance import protocol_members

SPECS = sorted(DRIVERS.values(), key=lambda spec: spec.name)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_role_class_provides_every_member_of_its_role(spec):
    role_class = spec.load_role_class()
    protocol = ROLE_TYPES[spec.role]
    # Instance attributes (lock, capabilities) are set in __init__; methods and properties
    # must be on the class.
    members = protocol_members(protocol) - {"lock", "capabilities"}
    missing = sorted(m for m in members if not hasattr(role_class, m))
    assert missing == []


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_public_role_methods_are_documented_and_typed(spec):
    role_class = spec.load_role_class()
    for name in protocol_members(ROLE_TYPES[spec.role]) - {"lock", "capabilities"}:
        member = inspect.getattr_static(role_class, name)
        function = member.fget if isinstance(member, property) else member
        if not callable(function):
            continue
        hints = getattr(function, "__annotations__", {})
        assert "return" in hints, f"{spec.name}.{name} has no return annotation"


@pytest.mark.parametrize("spec", [s for s in SPECS if s.visa], ids=lambda s: s.name)
def test_visa_instruments_are_pymeasure_instruments_with_documented_settings(spec):
    instrument_class = spec.load_instrument_class()
    assert issubclass(instrument_class, Instrument)
    undocumented = [
        name
        for klass in instrument_class.__mro__
        if klass.__module__.startswith("labctl.")
        for name, value in vars(klass).items()
        if isinstance(value, property) and not name.startswith("_")
        and not (value.__doc__ or "").strip()
    ]
    assert undocumented == []


def test_every_driver_module_documents_its_messages():
    for spec in SPECS:
        module = inspect.getmodule(spec.load_role_class())
        assert module.__doc__ and len(module.__doc__) > 200, spec.name
