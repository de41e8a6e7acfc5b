"""Sequences: steps, parameter sweeps, repeats; everything checked before the first run."""

from __future__ import annotations

import json

import pytest

from labctl.bench import connect_bench
from labctl.cli import main
from labctl.errors import LimitError, ParameterError
from labctl.run.engine import RunEngine
from labctl.run.sequence import Sequence, run_sequence
from labctl.sim.bench import default_bench_path
from labctl.storage.runfile import RunFile

SEQUENCE = """
name = "loop"
repeat = 2

[[steps]]
procedure = "sclc"
parameters = { v_max = "4 V", points = 21, spacing = "linear", direction = "forward" }

[[steps]]
procedure = "sclc"
parameters = { v_max = "4 V", points = 21, spacing = "linear", direction = "forward" }
sweep = { parameter = "nplc", values = [0.1, 2] }
"""


def test_steps_sweeps_and_repeats_expand_in_order():
    sequence = Sequence.from_mapping(__import__("tomllib").loads(SEQUENCE))
    labels = [step.label for step in sequence.expanded()]
    assert len(labels) == 6
    assert labels[1] == "sclc nplc=0.1 (pass 1/2)" and labels[5] == "sclc nplc=2 (pass 2/2)"


def test_a_sequence_runs_every_step_on_the_simulated_bench(tmp_path, capsys):
    path = tmp_path / "loop.toml"
    path.write_text(SEQUENCE)
    assert main(["sequence", str(path), "--sim", "--out", str(tmp_path / "runs"), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["status"] for r in runs] == ["completed"] * 6
    with RunFile(runs[2]["file"]) as run:
        assert run.parameters["nplc"]["value"] == 2.0


def test_a_bad_later_step_stops_the_sequence_before_anything_runs(tmp_path):
    sequence = Sequence.from_mapping({"steps": [
        {"procedure": "sclc", "parameters": {"v_max": "4 V", "points": 21,
                                             "spacing": "linear"}},
        {"procedure": "sclc", "parameters": {"v_max": "40 V"}},
    ]})
    with connect_bench(default_bench_path()) as bench:
        with pytest.raises(LimitError, match=r"step 2 .*limits\.max_voltage"):
            run_sequence(RunEngine(bench), sequence, out_dir=tmp_path)
    assert not list(tmp_path.glob("*.h5"))


@pytest.mark.parametrize(
    ("data", "message"),
    [({}, "no \\[\\[steps\\]\\]"), ({"steps": [{"parameters": {}}]}, "needs procedure"),
     ({"steps": [{"procedure": "sclc"}], "repeat": 0}, "repeat = 0"),
     ({"steps": [{"procedure": "sclc", "sweep": {"values": [1]}}]}, "needs parameter")],
)
def test_malformed_sequences_are_named(data, message):
    with pytest.raises(ParameterError, match=message):
        Sequence.from_mapping(data)
