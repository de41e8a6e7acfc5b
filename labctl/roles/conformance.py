"""Checking that an object fills a role without touching its instrument.

``isinstance(obj, SomeProtocol)`` on Python 3.11 reads every property to see that it exists, and a
role's properties query the instrument (``output_enabled`` sends ``OUTP?``). These checks look the
members up statically instead, so they send nothing.
"""

from __future__ import annotations

import inspect
from typing import Protocol


def protocol_members(protocol: type) -> set[str]:
    names: set[str] = set()
    for base in protocol.__mro__:
        if base in (object, Protocol) or not getattr(base, "_is_protocol", False):
            continue
        names.update(name for name in vars(base) if not name.startswith("_"))
        names.update(getattr(base, "__annotations__", {}))
    return names


def missing_members(obj: object, protocol: type) -> list[str]:
    """Members of ``protocol`` that ``obj`` (an instance or a class) lacks."""
    sentinel = object()
    return sorted(
        name
        for name in protocol_members(protocol)
        if inspect.getattr_static(obj, name, sentinel) is sentinel
    )


def implements(obj: object, protocol: type) -> bool:
    return not missing_members(obj, protocol)
