"""SCPI message parsing for the simulated instruments.

Real instruments accept ``:SOURce:VOLTage:LEVel 1``, ``:SOUR:VOLT 1`` and ``sour:volt:lev 1`` alike,
several commands joined with ``;``, and relative headers after a ``;``. The simulator reduces every
command to one canonical form, ``SOUR:VOLT 1`` (short forms, upper case, optional nodes dropped,
no leading colon), so that command tables need to spell each command once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_MNEMONIC = re.compile(r"([A-Za-z_]+)(\d*)$")
_VOWELS = set("AEIOU")


def short_form(mnemonic: str) -> str:
    """The SCPI short form of one header node: ``VOLTage`` → ``VOLT``, ``DELay`` → ``DEL``.

    The rule (IEEE 488.2 / SCPI-99 §6.2.1): the first four letters, or the first three when the
    fourth is a vowel; a numeric suffix (``CHANnel2``) is kept.
    """
    match = _MNEMONIC.match(mnemonic)
    if not match:
        return mnemonic.upper()
    word, suffix = match.group(1).upper(), match.group(2)
    if len(word) > 4:
        word = word[:3] if word[3] in _VOWELS else word[:4]
    return word + suffix


@dataclass(frozen=True)
class Command:
    """One parsed command: canonical ``header`` (``SOUR:VOLT``), whether it is a query, its args."""

    header: str
    query: bool
    args: tuple[str, ...]

    @property
    def text(self) -> str:
        """The canonical message, as the command tables spell it."""
        head = self.header + ("?" if self.query else "")
        return f"{head} {','.join(self.args)}" if self.args else head

    def arg(self, index: int = 0, default: str | None = None) -> str:
        if index < len(self.args):
            return self.args[index]
        if default is None:
            raise IndexError(f"{self.header}: missing argument {index + 1}")
        return default

    def float_arg(self, index: int = 0) -> float:
        return parse_number(self.arg(index))

    def bool_arg(self, index: int = 0) -> bool:
        value = self.arg(index).upper()
        if value in ("1", "ON"):
            return True
        if value in ("0", "OFF"):
            return False
        raise ValueError(f"{value!r} is not a boolean")


def parse_number(text: str) -> float:
    """SCPI numeric data: ``1``, ``-2.5E-3``, ``+1.000000E+00``, ``9.9E37``."""
    return float(text.strip())


def split_message(message: str) -> list[str]:
    """Split at ``;`` outside quotes, dropping empty segments (pymeasure ends some with ``;``)."""
    segments, current, quote = [], [], ""
    for char in message:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char == ";":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
    segments.append("".join(current))
    return [s.strip() for s in segments if s.strip()]


def split_args(text: str) -> tuple[str, ...]:
    """Arguments separated by commas outside quotes; character data upper-cased."""
    if not text.strip():
        return ()
    args, current, quote = [], [], ""
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char == ",":
            args.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    args.append("".join(current).strip())
    return tuple(a if a[:1] in "'\"" else a.upper() for a in args)


class ScpiParser:
    """Turns one message into canonical commands, for one instrument's dialect.

    ``optional`` lists short-form nodes the instrument accepts but does not require (``LEV``,
    ``IMM``); they are dropped wherever they appear after the first node.
    """

    def __init__(self, optional: Iterable[str] = ("LEV", "IMM")) -> None:
        self.optional = {short_form(node) for node in optional}

    def parse(self, message: str) -> list[Command]:
        commands: list[Command] = []
        parent: list[str] = []
        for segment in split_message(message):
            command, parent = self._parse_segment(segment, parent)
            commands.append(command)
        return commands

    def _parse_segment(self, segment: str, parent: list[str]) -> tuple[Command, list[str]]:
        head, _, rest = segment.partition(" ")
        query = head.endswith("?")
        head = head.rstrip("?")
        if head.startswith("*"):
            return Command(head.upper(), query, split_args(rest)), parent
        absolute = head.startswith(":")
        nodes = [short_form(node) for node in head.strip(":").split(":") if node]
        # After ';' a header without a leading colon continues from the previous one's parent.
        if not absolute and parent:
            nodes = parent + nodes
        kept = [n for i, n in enumerate(nodes) if i == 0 or n not in self.optional]
        header = ":".join(kept)
        return Command(header, query, split_args(rest)), nodes[:-1]
