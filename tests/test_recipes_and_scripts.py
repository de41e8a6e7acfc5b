"""The recipes and example scripts shipped in procedures/ work as documented."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from labctl.cli import main
from labctl.procedures import get_procedure
from labctl.run.sequence import Sequence

PROCEDURES = Path(__file__).resolve().parents[1] / "procedures"
RECIPES = sorted(p for p in PROCEDURES.glob("*.toml") if "steps" not in p.read_text())


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_every_recipe_names_a_procedure_and_valid_parameters(recipe):
    data = tomllib.loads(recipe.read_text())
    procedure = get_procedure(data["procedure"])(data["parameters"])
    assert set(data["parameters"]) <= set(procedure.values)


def test_the_stability_loop_runs_on_the_simulated_bench(tmp_path, capsys):
    path = PROCEDURES / "stability_loop.toml"
    assert len(Sequence.from_file(path).expanded()) == 9
    assert main(["sequence", str(path), "--sim", "--out", str(tmp_path), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["procedure"] for r in runs[:3]] == ["sclc", "dc_drive", "sclc"]
    assert all(r["status"] == "completed" for r in runs) and len(runs) == 9


@pytest.mark.parametrize("script", ["roles_directly.py", "hysteresis_vs_scan_rate.py"])
def test_example_scripts_run_on_the_simulated_bench(script, tmp_path):
    done = subprocess.run([sys.executable, str(PROCEDURES / "scripts" / script)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "output off at 0 V" in done.stdout or "hysteresis" in done.stdout
