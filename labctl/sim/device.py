"""``SimDevice``: pyvisa-sim's ``Device`` with a Python model of the instrument behind it.

pyvisa-sim matches each message against static YAML tables. ``SimDevice`` keeps those tables
(identity, settings with defaults and ranges) and puts a model in front of them: the model
normalises SCPI, answers what needs computing (readings, waveforms, sweeps), keeps the error queue
with real SCPI codes and injects faults. The output buffer is read in bulk, not byte by byte.

Touches pyvisa-sim internals (``_match_*``, ``_properties``, ``_output_buffers``): the version is
pinned in ``pyproject.toml`` and ``tests/sim/test_backend.py`` covers every hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyvisa_sim.component import NoResponse
from pyvisa_sim.devices import Device

if TYPE_CHECKING:
    from labctl.sim.instrument import SimInstrument


class SimDevice(Device):
    """A pyvisa-sim device whose messages go through ``self.model``."""

    model: SimInstrument

    def attach(self, model: SimInstrument) -> None:
        self.model = model

    # -- pyvisa-sim entry points ------------------------------------------------
    def write(self, data: bytes) -> None:
        if not isinstance(data, bytes):
            raise TypeError("data must be an instance of bytes")
        self._input_buffer.extend(data)
        eom = self._query_eom
        if eom and not self._input_buffer.endswith(eom):
            return
        # Accept CR LF as well as LF: pyvisa's default GPIB write termination is CR LF.
        message = bytes(self._input_buffer[: len(self._input_buffer) - len(eom)]).rstrip(b"\r")
        self._input_buffer = bytearray()
        reply = self.model.process(message.decode("latin-1"))
        if reply is not None:
            self._output_buffers.append(bytearray(reply) + self._response_eom)

    def read_bulk(self, count: int, termchar: bytes | None) -> tuple[bytes, bool]:
        """Up to ``count`` bytes of the current reply; True when the reply ends here.

        Stops after ``termchar`` when one is given, as a VISA read with the termination character
        enabled does.
        """
        if not self._output_buffers:
            return b"", False
        buffer = self._output_buffers[0]
        stop = min(count, len(buffer))
        if termchar:
            found = buffer.find(termchar, 0, stop)
            if found >= 0:
                stop = found + 1
        chunk = bytes(buffer[:stop])
        del buffer[:stop]
        if not buffer:
            self._output_buffers.popleft()
            return chunk, True
        return chunk, False

    def clear_output(self) -> None:
        self._output_buffers.clear()
        self._input_buffer = bytearray()

    # -- the YAML table, for the model ---------------------------------------------
    def match_table(self, canonical: str) -> bytes | None:
        """Answer ``canonical`` from the YAML dialogues, getters and setters.

        Returns the reply, ``b""`` for an accepted command with no reply, or None if the table has
        no such command. A setter whose value fails the table's specs raises ``ValueError``.
        """
        query = canonical.encode("latin-1")
        for matcher in (self._match_dialog, self._match_getters):
            response = matcher(query)
            if response is not None:
                return b"" if response is NoResponse else response
        return self._match_setters_strict(canonical)

    def _match_setters_strict(self, canonical: str) -> bytes | None:
        for name, parser, _response, _error in self._setters:
            try:
                value = parser(canonical)
            except ValueError:
                continue
            self._properties[name].set_value(value)  # ValueError: out of range → caller
            return b""
        return None

    def property_names(self) -> list[str]:
        return list(self._properties)

    def get_property(self, name: str):
        return self._properties[name].get_value()

    def set_property(self, name: str, value: object) -> None:
        self._properties[name].set_value(str(value))
