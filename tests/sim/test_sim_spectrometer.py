"""The simulated spectrometer, reached through the Ocean Insight role as on a real bench."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from labctl.bench import connect_bench
from labctl.errors import BenchError
from labctl.sim.instruments.spectrometer import DARK_OFFSET


def bench_file(tmp_path, serial="FLMS00001"):
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(f"""
        visa_library: "@labsim"
        roles:
          spectrometer: {{driver: ocean_insight, address: {serial}}}
        sim:
          seed: 3
          dut: {{model: sclc}}
    """))
    return path


def test_role_on_the_simulated_spectrometer(tmp_path):
    with connect_bench(bench_file(tmp_path)) as bench:
        spectrometer = bench["spectrometer"]
        assert spectrometer.identify() == "Ocean Insight FLAME-S, serial number FLMS00001"
        caps = spectrometer.capabilities
        assert caps.pixels == 2048 and caps.dark_correction and caps.nonlinearity_correction
        wavelength = spectrometer.wavelengths()
        assert wavelength[0] == pytest.approx(340e-9) and wavelength[-1] == pytest.approx(1030e-9)
        assert np.all(np.diff(wavelength) > 0)

        spectrometer.set_integration_time(0.25)
        spectrometer.set_averages(4)
        start = bench.clock.now()
        dark_corrected = spectrometer.acquire(correct_dark=True, correct_nonlinearity=False)
        # Four scans of 0.25 s each on the bench clock.
        assert bench.clock.now() - start == pytest.approx(1.0)
        # An SCLC device emits nothing: only read noise around zero after dark correction.
        assert abs(dark_corrected.intensity.mean()) < 2.0
        raw = spectrometer.acquire(correct_dark=False, correct_nonlinearity=False)
        expected = DARK_OFFSET * (1 - 6e-7 * DARK_OFFSET)  # the detector's nonlinearity
        assert raw.intensity.mean() == pytest.approx(expected, rel=0.01)


def test_a_real_bench_files_serial_number_gets_the_simulated_spectrometer(tmp_path, caplog):
    with connect_bench(bench_file(tmp_path, "FLMS99999")) as bench:
        assert "FLMS00001" in bench["spectrometer"].identify()
    assert "no simulated spectrometer FLMS99999" in caplog.text


def test_a_bench_without_a_simulated_spectrometer_says_so(tmp_path):
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent("""
        visa_library: "@labsim"
        roles:
          spectrometer: {driver: ocean_insight, address: FLMS00001}
        resources:
          GPIB0::24::INSTR: {device: keithley2400, filename: keithley2400.yaml}
    """))
    with pytest.raises(BenchError, match=r"FLMS00001.*none"):
        connect_bench(path)
