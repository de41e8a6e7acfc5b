"""Simulated Keysight 33500B function generator (the shared behaviour is in ``generators.py``)."""

from __future__ import annotations

from typing import ClassVar

from labctl.sim.instrument import (
    DATA_OUT_OF_RANGE,
    ILLEGAL_PARAMETER,
    command,
)
from labctl.sim.instruments.generator_specs import (
    TRIGGER_IGNORED,
    ChannelState,
)
from labctl.sim.instruments.generators import GeneratorSim
from labctl.sim.scpi import Command, short_form


class Keysight33500BSim(GeneratorSim):
    """Keysight 33500B: ``+1.000000000000000E+03`` numbers, ``+0,"No error"``, ``1``/``0`` states.

    Beyond the shared commands: ``FUNC:PULS:PER``, ``FUNC:PULS:TRAN[:BOTH]``, ``BURS:STAT``
    (``STATe`` required, as on the instrument), ``OUTP[n]:STAT``, ``TRIG[n]:SOUR`` (IMMediate,
    EXTernal, TIMer, BUS), ``TRIG[n]`` (an immediate trigger), ``OUTP[n]:SYNC``, ``OUTP:TRIG``,
    ``DATA:ARB``, ``DATA:ARB:DAC``, ``DATA:VOL:CLE``, ``FUNC:ARB``, ``PHAS:SYNC``, ``DISP:TEXT``,
    ``DISP:TEXT:CLE``; ``BURS:NCYC INF``; ``*TRG`` with no channel on BUS is -211.
    """

    TRIGGER_SOURCES = ("IMM", "EXT", "TIM", "BUS")
    SELF_TRIGGERED = frozenset({"IMM", "TIM"})
    BUS_SOURCE = "BUS"
    BURST_MODES = ("TRIG", "GAT")
    INFINITE_CYCLES = True
    FUNCTION_CHANGE_CONFLICTS = True
    FUNCTION_ALIASES: ClassVar[dict[str, str]] = {"SQUA": "SQU", "PULSE": "PULS", "NOISE": "NOIS"}

    def number(self, value: float) -> str:
        # 16 significant digits with the last one 0, as the instrument prints them: formatting a
        # double to 16 digits directly would show its binary error (9.899999999999999E+37).
        mantissa, exponent = f"{value:+.14E}".split("E")
        return f"{mantissa}0E{exponent}"

    @command("SYST:ERR?", "SYST:ERR:NEXT?")
    def _error(self, cmd: Command) -> str:
        code, message = self.pop_error()
        return f'{code:+d},"{message}"'

    @command("*STB?")
    def _status_byte(self, cmd: Command) -> str:
        return f"{4 if self.errors else 0:+d}"

    def bus_trigger_ignored(self) -> None:
        self.push_error(*TRIGGER_IGNORED)  # *TRG with no channel on the BUS trigger source

    def pulse_hold(self, ch: ChannelState) -> str:
        return short_form(str(self.get(f"ch{ch.number}_pulse_hold")))

    @command("SOUR:FUNC:PULS:PER")
    def _pulse_period(self, cmd: Command) -> None:
        self.set_period_command(cmd)

    @command("SOUR:FUNC:PULS:PER?")
    def _pulse_period_query(self, cmd: Command) -> str:
        return self.period_query(cmd)

    @command("SOUR:FUNC:PULS:TRAN")
    def _edges(self, cmd: Command) -> None:
        """``FUNC:PULS:TRAN[:BOTH]``: both edges at once."""
        ch = self.ch(cmd)
        low, high = self.edge_range(ch)
        ch.leading_edge = ch.trailing_edge = self.fit(self.requested(cmd, low, high, 1e-8),
                                                      low, high)

    @command("SOUR:FUNC:PULS:TRAN?")
    def _edges_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        return self.limit_query(cmd, ch.leading_edge, *self.edge_range(ch))

    @command("SOUR:BURS:STAT")
    def _burst_state(self, cmd: Command) -> None:
        self.set_burst(cmd)

    @command("SOUR:BURS:STAT?")
    def _burst_state_query(self, cmd: Command) -> str:
        return self.on_off(self.ch(cmd).burst)

    @command("OUTP:STAT")
    def _output_state(self, cmd: Command) -> None:
        self._output(cmd)

    @command("OUTP:STAT?")
    def _output_state_query(self, cmd: Command) -> str:
        return self._output_query(cmd)

    @command("TRIG:SOUR")
    def _trigger_source(self, cmd: Command) -> None:
        self.set_trigger_source(cmd)

    @command("TRIG:SOUR?")
    def _trigger_source_query(self, cmd: Command) -> str:
        return self.ch(cmd).trigger_source

    @command("TRIG")
    def _trigger_now(self, cmd: Command) -> None:
        """``TRIGger[n]``: an immediate trigger on one channel, whatever its source."""
        self.fire(self.ch(cmd))

    @command("OUTP:SYNC", "OUTP:TRIG")
    def _switch(self, cmd: Command) -> None:
        state = self.boolean(cmd)
        if state is not None:
            setattr(self.ch(cmd), "sync" if cmd.header.endswith("SYNC") else "trigger_out", state)

    @command("OUTP:SYNC?", "OUTP:TRIG?")
    def _switch_query(self, cmd: Command) -> str:
        ch = self.ch(cmd)
        return self.on_off(ch.sync if cmd.header.endswith("SYNC") else ch.trigger_out)

    # -- volatile arbitrary waveforms --------------------------------------------------------------
    @command("SOUR:DATA:ARB", "SOUR:DATA:ARB:DAC")
    def _arb_data(self, cmd: Command) -> None:
        name, *points = cmd.args
        dac = cmd.header.endswith("DAC")
        try:
            values = [float(p) / (32767 if dac else 1) for p in points]
        except ValueError:
            self.push_error(*ILLEGAL_PARAMETER)
            return
        if not 8 <= len(values) <= 65536 or any(abs(v) > 1 for v in values):
            self.push_error(*DATA_OUT_OF_RANGE)
            return
        self.ch(cmd).arbs[name.strip("'\"")] = values

    @command("SOUR:DATA:VOL:CLE")
    def _arb_clear(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        ch.arbs.clear()
        ch.arb = ""

    @command("SOUR:FUNC:ARB")
    def _arb_select(self, cmd: Command) -> None:
        ch = self.ch(cmd)
        name = cmd.arg().strip("'\"")
        if name not in ch.arbs:
            self.push_error(*ILLEGAL_PARAMETER)  # not in volatile memory
            return
        ch.arb = name

    @command("SOUR:FUNC:ARB?")
    def _arb_query(self, cmd: Command) -> str:
        return f'"{self.ch(cmd).arb}"'

    @command("SOUR:PHAS:SYNC")
    def _phase_sync(self, cmd: Command) -> None:
        return None

    @command("DISP:TEXT")
    def _display_text(self, cmd: Command) -> None:
        self.display_text = cmd.arg().strip("'\"")

    @command("DISP:TEXT?")
    def _display_text_query(self, cmd: Command) -> str:
        return f'"{getattr(self, "display_text", "")}"'

    @command("DISP:TEXT:CLE")
    def _display_clear(self, cmd: Command) -> None:
        self.display_text = ""
