"""Commands every simulated SCPI source-measure unit answers the same way."""

from __future__ import annotations

from labctl.sim.instrument import SimInstrument, command
from labctl.sim.scpi import Command, short_form


class ScpiSmuSim(SimInstrument):
    """Output state and source function, shared by the simulated 2400 and 2450."""

    output: bool = False
    source_function: str = "VOLT"

    @command("OUTP", "OUTP:STAT")
    def _output(self, cmd: Command) -> None:
        self.output = cmd.bool_arg()

    @command("OUTP?", "OUTP:STAT?")
    def _output_query(self, cmd: Command) -> str:
        return "1" if self.output else "0"

    @command("SOUR:FUNC", "SOUR:FUNC:MODE")
    def _source_function(self, cmd: Command) -> None:
        function = short_form(cmd.arg())
        if function not in ("VOLT", "CURR"):
            raise ValueError(function)
        self.source_function = function

    @command("SOUR:FUNC?", "SOUR:FUNC:MODE?")
    def _source_function_query(self, cmd: Command) -> str:
        return self.source_function
