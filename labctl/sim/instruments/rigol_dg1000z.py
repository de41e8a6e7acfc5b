"""Simulated Rigol DG1000Z function generator (the shared behaviour is in ``generators.py``)."""

from __future__ import annotations

import math
from typing import ClassVar

from labctl.sim.instrument import (
    command,
)
from labctl.sim.instruments.generator_specs import (
    ChannelCommand,
    ChannelState,
)
from labctl.sim.instruments.generators import GeneratorSim
from labctl.sim.scpi import Command


class RigolDG1000ZSim(GeneratorSim):
    """Rigol DG1000Z: ``1.000000E+03`` numbers (7 digits), ``0,"No error"``, ``ON``/``OFF`` states,
    ``PULSE``/``NOISE`` as function replies.

    Beyond the shared commands: ``PER``, ``PULS:WIDT``/``PULS:DCYC``/``PULS:TRAN[:LEAD]``/
    ``PULS:TRAN:TRA`` (without the FUNCtion node), ``FUNC[:SHAP]``, ``OUTP[n][:STAT]``,
    ``BURS[:STAT]``, ``BURS:TRIG:SOUR`` (INTernal, EXTernal, MANual), ``BURS:TRIG[:IMM]`` (fires
    a MANual burst), ``OUTP[n]:IMP`` (= ``LOAD``, whole ohms), ``BURS:MODE INF``, and from the
    table ``BURS:IDLE``, which sets the level between bursts.
    """

    optional_nodes = (*GeneratorSim.optional_nodes, "STAT", "SHAP")
    TRIGGER_SOURCES = ("INT", "EXT", "MAN")
    SELF_TRIGGERED = frozenset({"INT"})
    BUS_SOURCE = "MAN"
    BURST_MODES = ("TRIG", "INF", "GAT")
    FUNCTION_REPLIES: ClassVar[dict[str, str]] = {"PULS": "PULSE", "NOIS": "NOISE"}
    FUNCTION_ALIASES: ClassVar[dict[str, str]] = {"SQUA": "SQU", "PULSE": "PULS", "NOISE": "NOIS"}

    def on_off(self, state: bool) -> str:
        return "ON" if state else "OFF"

    def round_load(self, ohms: float) -> float:
        return ohms if math.isinf(ohms) else float(round(ohms))  # the DG1000Z takes whole ohms

    @command("SOUR:PER")
    def _period(self, cmd: Command) -> None:
        self.set_period_command(cmd)

    @command("SOUR:PER?")
    def _period_query(self, cmd: Command) -> str:
        return self.period_query(cmd)

    # The DG1000Z also takes the pulse commands without the FUNCtion node.
    @command("SOUR:PULS:WIDT")
    def _width_alias(self, cmd: Command) -> None:
        self._width(cmd)

    @command("SOUR:PULS:WIDT?")
    def _width_alias_query(self, cmd: Command) -> str:
        return self._width_query(cmd)

    @command("SOUR:PULS:DCYC")
    def _pulse_duty_alias(self, cmd: Command) -> None:
        self._pulse_duty(cmd)

    @command("SOUR:PULS:DCYC?")
    def _pulse_duty_alias_query(self, cmd: Command) -> str:
        return self._pulse_duty_query(cmd)

    @command("SOUR:PULS:TRAN", "SOUR:PULS:TRAN:LEAD", "SOUR:PULS:TRAN:TRA")
    def _edge_alias(self, cmd: Command) -> None:
        self._edge(self._as_function_edge(cmd))

    @command("SOUR:PULS:TRAN?", "SOUR:PULS:TRAN:LEAD?", "SOUR:PULS:TRAN:TRA?")
    def _edge_alias_query(self, cmd: Command) -> str:
        return self._edge_query(self._as_function_edge(cmd))

    @staticmethod
    def _as_function_edge(cmd: Command) -> Command:
        edge = "TRA" if cmd.header.endswith("TRA") else "LEAD"  # [:LEADing] is optional here
        return ChannelCommand(f"SOUR:FUNC:PULS:TRAN:{edge}", cmd.query, cmd.args,
                              channel=getattr(cmd, "channel", 1))

    @command("SOUR:BURS")
    def _burst_state(self, cmd: Command) -> None:
        self.set_burst(cmd)

    @command("SOUR:BURS?")
    def _burst_state_query(self, cmd: Command) -> str:
        return self.on_off(self.ch(cmd).burst)

    @command("SOUR:BURS:TRIG:SOUR")
    def _trigger_source(self, cmd: Command) -> None:
        self.set_trigger_source(cmd)

    @command("SOUR:BURS:TRIG:SOUR?")
    def _trigger_source_query(self, cmd: Command) -> str:
        return self.ch(cmd).trigger_source

    @command("SOUR:BURS:TRIG")
    def _burst_trigger(self, cmd: Command) -> None:
        """``:SOUR<n>:BURS:TRIG[:IMM]``: fires this channel's burst; only the MANual source."""
        ch = self.ch(cmd)
        if ch.trigger_source == "MAN":
            self.fire(ch)

    @command("OUTP:IMP")
    def _impedance(self, cmd: Command) -> None:
        self._load(cmd)

    @command("OUTP:IMP?")
    def _impedance_query(self, cmd: Command) -> str:
        return self._load_query(cmd)

    @command("SOUR:APPL?")
    def _apply_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        k = self.scale(ch)
        name = self.FUNCTION_REPLIES.get(ch.function, ch.function)
        phase = float(self.get(f"ch{ch.number}_phase"))
        values = (ch.frequency, ch.amplitude * k, ch.offset * k, phase)
        return f'"{name},{",".join(self.number(v) for v in values)}"'

    def idle_level(self, number: int, ch: ChannelState, high: float, low: float,
                   middle: float) -> float:
        choice = str(self.get(f"ch{number}_burst_idle"))
        if choice == "TOP":
            return max(high, low)
        if choice == "BOTTOM":
            return min(high, low)
        if choice == "CENTER":
            return middle
        return super().idle_level(number, ch, high, low, middle)
