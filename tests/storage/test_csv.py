"""pymeasure-style CSV: export from a run file and import with unit conversion."""

from __future__ import annotations

import numpy as np
import pytest

from labctl.bench import connect_bench
from labctl.errors import LabctlError
from labctl.procedures.sclc import SCLCSweep
from labctl.run.engine import RunEngine
from labctl.sim.bench import default_bench_path
from labctl.storage.csv_io import export_csv, read_csv
from labctl.storage.runfile import RunFile


def test_export_then_import_gives_back_the_run(tmp_path):
    with connect_bench(default_bench_path()) as bench:
        handle = RunEngine(bench).run(SCLCSweep(points=21, spacing="linear", v_max="4 V"),
                                      out_dir=tmp_path)
    with RunFile(handle.file) as run:
        stored = run.read("jv")
        path = export_csv(run, "jv", tmp_path / "jv.csv")
    text = path.read_text()
    assert text.startswith("#Procedure: <sclc>")
    assert "#\tv_max: 4.0 V" in text
    assert "\nTime (s),Source (V),Voltage (V),Current (A),Current density (A/m**2)," in text
    columns, units, parameters = read_csv(path)
    assert parameters["v_max"] == "4.0 V"
    for name, values in stored.items():
        np.testing.assert_allclose(columns[name], values, rtol=1e-9)
    assert units["current"] == "A"


def test_import_converts_to_si_and_keeps_arbitrary_units(tmp_path):
    path = tmp_path / "trel.csv"
    path.write_text("Time (us),Voltage (mV),EL (a.u.),Current density (mA/cm^2)\n"
                    "0,100,2,3\n1.5,200,3,4\n")
    columns, units, _ = read_csv(path)
    np.testing.assert_allclose(columns["time"], [0, 1.5e-6])
    np.testing.assert_allclose(columns["voltage"], [0.1, 0.2])
    np.testing.assert_allclose(columns["el"], [2, 3])
    np.testing.assert_allclose(columns["current_density"], [30, 40])  # 1 mA/cm² = 10 A/m²
    assert units == {"time": "s", "voltage": "V", "el": "", "current_density": "A/m**2"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Voltage (V),Current (A)\n1,x\n", "not a number"),
        ("Voltage (V),Current (A)\n", "no data rows"),
        ("Voltage (blorbs),Current (A)\n1,2\n", "unknown unit 'blorbs'"),
        ("Voltage (V)\n1,2\n", "1 column names but 2 values"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(LabctlError, match=message):
        read_csv(path)


def test_offset_units_and_pymeasure_parameter_names(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("#Parameters:\n#\tMaximum voltage: 8 V\n#Data:\nTemperature (degC),Time (s)\n"
                    "25,0\n")
    columns, units, parameters = read_csv(path)
    assert columns["temperature"][0] == pytest.approx(298.15)
    assert units["temperature"] == "K"
    assert parameters["maximum_voltage"] == "8 V"
