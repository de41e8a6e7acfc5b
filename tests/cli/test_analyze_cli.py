"""`labctl analyze` on run files and CSV files, as a user types it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from labctl.cli import main
from labctl.storage.csv_io import write_columns_csv
from tests.analysis.test_sclc import lampert_current_density, measure

THICKNESS, EPS_R, MOBILITY, N_T = 400e-9, 30.0, 2e-6, 1e23


def sclc_csv(tmp_path):
    voltage = np.linspace(0, 20, 400)  # V_TFL ≈ 4.8 V: room for the Child region
    density = lampert_current_density(voltage, thickness=THICKNESS, eps_r=EPS_R,
                                      mobility=MOBILITY, n_t=N_T, theta=0.01)
    current = measure(density, np.random.default_rng(1), 0.01, 1e-12)
    return write_columns_csv(tmp_path / "sclc.csv", {"voltage": voltage, "current": current},
                             {"voltage": "V", "current": "A"})


def test_csv_with_units_given_on_the_command_line(tmp_path, capsys):
    path = sclc_csv(tmp_path)
    code = main(["analyze", str(path), "--procedure", "sclc", "--set", "thickness=400 nm",
                 "--set", "eps_r=30", "--set", "area=1 mm**2", "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["procedure"] == "sclc"
    results = payload["results"]
    assert set(results) >= {"v_tfl", "trap_density", "mobility", "n_t_min"}
    assert results["trap_density"]["unit"] == "1/m**3"
    assert results["trap_density"]["value"] == pytest.approx(N_T, rel=0.2)
    assert results["mobility"]["value"] == pytest.approx(MOBILITY, rel=0.15)


def test_readable_table_uses_the_units_people_read(tmp_path, capsys):
    path = sclc_csv(tmp_path)
    main(["analyze", str(path), "--procedure", "sclc", "--set", "thickness=400 nm",
          "--set", "eps_r=30", "--set", "area=1 mm**2"])
    out = capsys.readouterr().out
    assert "1/cm³" in out and "trap_density" in out


def test_a_missing_parameter_names_itself_and_exits_non_zero(tmp_path, capsys):
    path = sclc_csv(tmp_path)
    code = main(["analyze", str(path), "--procedure", "sclc", "--set", "eps_r=30",
                 "--set", "area=1 mm**2"])
    assert code == 2
    assert "thickness is required" in capsys.readouterr().err


def test_a_csv_needs_the_procedure_and_the_right_columns(tmp_path, capsys):
    path = sclc_csv(tmp_path)
    assert main(["analyze", str(path)]) == 2
    assert "--procedure NAME" in capsys.readouterr().err
    assert main(["analyze", str(path), "--procedure", "trel"]) == 2
    assert "needs column(s) time, el" in capsys.readouterr().err


def test_bad_files(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "none.h5")]) == 2
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01garbage")
    assert main(["analyze", str(junk), "--procedure", "sclc"]) == 2


def test_a_run_file_is_analysed_with_its_stored_parameters(tmp_path, capsys):
    assert main(["run", "sclc", "--sim", "--set", "points=201", "--set", "v_max=9 V",
                 "--out", str(tmp_path), "--json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert main(["analyze", run["file"], "--json"]) == 0
    stored = json.loads(capsys.readouterr().out)
    # The live analysis and the stored-file analysis give the same numbers.
    assert stored["results"] == run["results"]
    # The default simulated device: N_t = 1e16 cm⁻³, μ = 0.02 cm²/Vs.
    assert stored["results"]["trap_density"]["value"] == pytest.approx(1e22, rel=0.2)
    assert stored["results"]["mobility"]["value"] == pytest.approx(2e-6, rel=0.2)


def test_a_trel_csv_with_the_issues_headers(tmp_path, capsys):
    """`Time (s),Voltage (V),EL (a.u.)`: the voltage column is the drive, EL has no unit."""
    t = np.linspace(-2e-6, 18e-6, 20001)
    drive = np.where((t >= 0) & (t < 5e-6), 4.0, 0.0)
    tau_rise, onset, tau_decay = 70e-9, 100e-9, 1e-6
    el = np.where((t > onset) & (t < 5e-6), 1 - np.exp(-(t - onset) / tau_rise), 0.0)
    el = np.where(t >= 5e-6, np.exp(-(t - 5e-6) / tau_decay), el)
    el = el + 0.002 * np.random.default_rng(0).standard_normal(t.size)
    path = tmp_path / "trel.csv"
    with path.open("w") as handle:
        handle.write("Time (s),Voltage (V),EL (a.u.)\n")
        for row in zip(t, drive, el, strict=True):
            handle.write(",".join(repr(float(x)) for x in row) + "\n")
    assert main(["analyze", str(path), "--procedure", "trel", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    # Truth from the curve's definition: 5 % onset and 10-90 % rise of 1 - exp(-t/τ).
    assert results["delay_time"]["value"] == pytest.approx(onset + tau_rise * np.log(1 / 0.95),
                                                           rel=0.1)
    assert results["rise_time"]["value"] == pytest.approx(tau_rise * np.log(9), rel=0.1)
    assert results["decay_time"]["value"] == pytest.approx(tau_decay, rel=0.1)
    assert results["plateau"]["unit"] == ""
