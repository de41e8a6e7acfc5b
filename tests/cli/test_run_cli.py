"""`labctl run` and `labctl procedures` as a user types them."""

from __future__ import annotations

import json

from labctl.cli import main
from labctl.storage.runfile import RunFile


def test_run_json_prints_exactly_one_object_and_writes_the_file(tmp_path, capsys):
    code = main(["run", "sclc", "--sim", "--set", "v_max=6 V", "--set", "points=51",
                 "--out", str(tmp_path), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    payload = json.loads(out)  # exactly one JSON document on stdout
    assert set(payload) >= {"file", "procedure", "results", "warnings"}
    assert payload["procedure"] == "sclc"
    with RunFile(payload["file"]) as run:
        assert run.status == "completed"
        assert run.parameters["v_max"]["value"] == 6.0


def test_recipe_then_set_overrides(tmp_path, capsys):
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('procedure = "sclc"\n[parameters]\nv_max = "5 V"\npoints = 31\n')
    code = main(["run", "sclc", "--sim", "--recipe", str(recipe), "--set", "points=41",
                 "--out", str(tmp_path), "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    with RunFile(payload["file"]) as run:
        assert run.parameters["v_max"]["value"] == 5.0
        assert run.parameters["points"]["value"] == 41


def test_bad_parameters_name_the_parameter_and_range_and_touch_nothing(tmp_path, capsys):
    code = main(["run", "sclc", "--sim", "--set", "nplc=100", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "nplc = 100 is outside the allowed range 0.001 to 25" in err
    assert not list(tmp_path.iterdir())


def test_a_run_beyond_the_sample_limits_is_refused(tmp_path, capsys):
    code = main(["run", "sclc", "--sim", "--set", "v_max=50 V", "--out", str(tmp_path)])
    assert code == 2
    assert "limits.max_voltage" in capsys.readouterr().err


def test_no_bench_given(capsys):
    assert main(["run", "sclc"]) == 2
    assert "--bench FILE, or --sim" in capsys.readouterr().err


def test_procedures_lists_parameters_with_units(capsys):
    assert main(["procedures", "sclc"]) == 0
    out = capsys.readouterr().out
    assert "v_max [V] = 8 V" in out and "thickness [nm]" in out
