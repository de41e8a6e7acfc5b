"""Queues and sequences of runs: a list of steps, parameter sweeps, and repeated loops.

A sequence file (TOML)::

    name = "stability loop"
    repeat = 3                         # the whole list, three times

    [[steps]]
    procedure = "sclc"
    parameters = { v_max = "8 V" }

    [[steps]]
    procedure = "dc_drive"
    parameters = { duration = "1 h", current_density = "20 mA/cm**2" }

    [[steps]]
    procedure = "sclc"
    sweep = { parameter = "nplc", values = [0.1, 1, 10] }   # three runs, one per value

Every step's parameters and the sample's limits are checked for the whole sequence before the
first run touches anything. Each run writes its own file; the sequence stops at the first run
that fails or is aborted.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labctl.errors import BenchError, ParameterError
from labctl.procedures import get_procedure
from labctl.procedures.base import Procedure
from labctl.run.engine import RunEngine, RunHandle, wait_interruptibly
from labctl.run.stream import Subscriber


@dataclass(frozen=True)
class Step:
    procedure: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""


@dataclass
class Sequence:
    steps: list[Step]
    repeat: int = 1
    name: str = "sequence"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Sequence:
        steps_data = data.get("steps")
        if not steps_data:
            raise ParameterError("sequence: no [[steps]]")
        repeat = data.get("repeat", 1)
        if not isinstance(repeat, int) or repeat < 1:
            raise ParameterError(f"sequence: repeat = {repeat!r} must be a whole number >= 1")
        steps: list[Step] = []
        for index, entry in enumerate(steps_data):
            steps.extend(_expand(index, entry))
        return cls(steps, repeat, str(data.get("name", "sequence")))

    @classmethod
    def from_file(cls, path: str | Path) -> Sequence:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ParameterError(f"sequence file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(f"sequence file {path} is not valid TOML: {exc}") from exc
        return cls.from_mapping(data)

    def expanded(self) -> list[Step]:
        """Every run in order, repeats included."""
        return [
            Step(s.procedure, s.parameters, f"{s.label} (pass {n + 1}/{self.repeat})"
                 if self.repeat > 1 else s.label)
            for n in range(self.repeat)
            for s in self.steps
        ]

    def build(self, bench: Any) -> list[tuple[Step, Procedure]]:
        """Every procedure, parameters parsed and limits checked, before anything runs."""
        built = []
        for number, step in enumerate(self.expanded(), start=1):
            try:
                procedure = get_procedure(step.procedure)(step.parameters)
                procedure.check_bench(bench)
                procedure.check(bench)
            except (ParameterError, BenchError) as exc:
                raise type(exc)(f"step {number} ({step.label}): {exc}") from exc
            built.append((step, procedure))
        return built


def run_sequence(
    engine: RunEngine,
    sequence: Sequence,
    *,
    out_dir: str | Path = "runs",
    subscribers: Iterable[Subscriber] = (),
    on_step: Any = None,
) -> list[RunHandle]:
    """Run every step in order; stop at the first one that does not complete."""
    handles: list[RunHandle] = []
    planned = sequence.build(engine.bench)
    for number, (step, procedure) in enumerate(planned, start=1):
        if on_step is not None:
            on_step(number, len(planned), step)
        handle = engine.start(procedure, out_dir=out_dir, subscribers=list(subscribers))
        handles.append(handle)
        wait_interruptibly(handle)
        if handle.status != "completed":
            break
    return handles


def _expand(index: int, entry: Mapping[str, Any]) -> list[Step]:
    where = f"steps[{index}]"
    if not isinstance(entry, Mapping) or "procedure" not in entry:
        raise ParameterError(f"{where}: needs procedure = \"name\"")
    unknown = sorted(set(entry) - {"procedure", "parameters", "sweep", "label"})
    if unknown:
        raise ParameterError(f"{where}: unknown key(s) {unknown}")
    base = dict(entry.get("parameters") or {})
    label = str(entry.get("label") or entry["procedure"])
    sweep = entry.get("sweep")
    if not sweep:
        return [Step(entry["procedure"], base, label)]
    try:
        name, values = sweep["parameter"], list(sweep["values"])
    except (KeyError, TypeError):
        raise ParameterError(f"{where}.sweep: needs parameter = \"name\" and values = [...]") \
            from None
    return [Step(entry["procedure"], {**base, name: value}, f"{label} {name}={value}")
            for value in values]
