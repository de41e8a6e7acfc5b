"""Every procedure, end to end on the simulated bench: the analysis must recover the parameters
of the simulated device set in the bench file."""

from __future__ import annotations

import numpy as np
import pytest

from labctl.bench import connect_bench
from labctl.procedures import get_procedure
from labctl.report import write_report
from labctl.run.engine import RunEngine
from labctl.sim.bench import default_bench_path
from labctl.sim.dut.base import Drive
from labctl.storage.runfile import RunFile

BENCHES = default_bench_path().parent / "benches"


def run(procedure, bench_file, tmp_path, **values):
    with connect_bench(bench_file) as bench:
        sim = bench.resource_manager.visalib.bench
        handle = RunEngine(bench).run(get_procedure(procedure)(values), out_dir=tmp_path)
        assert handle.status == "completed", handle.error
        results = {k: v["value"] for k, v in handle.analysis.results.items()}
        for instrument in sim.instruments.values():  # every output ends off
            assert not getattr(instrument, "output", False)
    with RunFile(handle.file) as stored:
        assert stored.status == "completed"
        assert stored.analysis["results"] == dict(handle.analysis.results)
    # The procedure's standard figure draws from the stored file.
    figure = write_report(handle.file, tmp_path / f"{procedure}.png")
    assert figure.stat().st_size > 20_000
    return results, sim.dut, handle


def test_sclc_recovers_trap_density_and_mobility(tmp_path):
    results, dut, _ = run("sclc", default_bench_path(), tmp_path, points=201, v_max="9 V")
    assert results["trap_density"] == pytest.approx(dut.p.trap_density, rel=0.2)
    assert results["mobility"] == pytest.approx(dut.p.mobility, rel=0.2)


def test_pulsed_sclc_runs_on_the_2636b(tmp_path):
    bench = tmp_path / "bench.yaml"
    bench.write_text(
        "visa_library: '@labsim'\n"
        "roles: {smu: {driver: keithley2636b, address: 'GPIB0::26::INSTR', channel: a}}\n"
        "limits: {max_voltage: 10 V, max_current: 100 mA, max_step: 1 V}\n"
    )
    results, dut, _ = run("sclc", bench, tmp_path, points=151, v_max="9 V", mode="pulsed",
                          nplc=0.01, pulse_width="2 ms", pulse_period="50 ms", direction="forward")
    assert results["trap_density"] == pytest.approx(dut.p.trap_density, rel=0.2)
    assert results["mobility"] == pytest.approx(dut.p.mobility, rel=0.2)


def test_solar_jv_recovers_voc_jsc_ff_and_pce(tmp_path):
    results, cell, _ = run("solar_jv", BENCHES / "solar.yaml", tmp_path, scan_rate="10 mV/s")
    assert results["voc"] == pytest.approx(cell.voc(), abs=0.01)
    assert results["jsc"] == pytest.approx(cell.jsc(), rel=0.02)
    assert results["ff"] == pytest.approx(cell.fill_factor(), rel=0.03)
    assert results["pce"] == pytest.approx(cell.pce(), rel=0.03)
    assert results["hysteresis_index"] is not None


def test_jvl_recovers_turn_on_voltage_and_eqe(tmp_path):
    with connect_bench(BENCHES / "peled.yaml") as bench:
        sim = bench.resource_manager.visalib.bench
        # Calibrate the photodiode as a lab does with a luminance meter: cd/m² per A.
        drive = Drive(voltage=3.5)
        calibration = sim.dut.luminance(drive) / (
            sim.photodiode_responsivity * sim.photodiode_collection * sim.dut.optical_power(drive))
    results, led, _ = run("jvl", BENCHES / "peled.yaml", tmp_path, compliance_current="30 mA",
                          luminance_calibration=calibration, step="20 mV")
    assert results["turn_on_voltage"] == pytest.approx(led.turn_on_voltage(), abs=0.05)
    assert results["max_eqe"] == pytest.approx(led.peak_eqe()[0], rel=0.05)


def test_dc_drive_recovers_t50_and_the_overshoot(tmp_path):
    results, led, _ = run("dc_drive", BENCHES / "peled.yaml", tmp_path, duration="20 h",
                          sample_interval="30 s", stop_at="t50")
    truth = led.describe()
    # The photodiode sees radiant power, so compare with the power-based truth.
    assert results["t50"] == pytest.approx(truth["t50_power"], rel=0.05)
    assert results["overshoot_ratio"] == pytest.approx(truth["peak_ratio_power"], rel=0.05)


def test_lateral_pl_recovers_quenching_response_and_recovery(tmp_path):
    field = 5e4
    results, film, _ = run(
        "lateral_pl", BENCHES / "lateral_pl.yaml", tmp_path, gap="100 um", fields=[field],
        on_time="600 s", off_time="3000 s", baseline_time="60 s", spectrum_interval="10 s")
    assert results["quench_ratio"] == pytest.approx(film.steady_state_ratio(field), rel=0.03)
    assert results["response_time"] == pytest.approx(film.p.response_time, rel=0.1)
    assert results["recovery_time"] == pytest.approx(film.p.recovery_time, rel=0.1)
    assert results["peak_wavelength"] == pytest.approx(film.p.peak_wavelength, abs=0.5e-9)


def test_trel_recovers_delay_rise_overshoot_and_decay(tmp_path):
    results, led, _ = run("trel", BENCHES / "peled.yaml", tmp_path, averages=16)
    truth = led.describe()
    assert results["delay_time"] == pytest.approx(truth["delay_time"], rel=0.1)
    assert results["rise_time"] == pytest.approx(truth["rise_time"], rel=0.1)
    assert results["overshoot_ratio"] == pytest.approx(truth["overshoot_ratio"], rel=0.05)
    assert results["decay_time_fast"] == pytest.approx(truth["decay_time"], rel=0.1)


def test_ac_drive_lock_in_matches_the_device_response(tmp_path):
    results, led, handle = run("ac_drive", BENCHES / "peled.yaml", tmp_path,
                               frequencies=[100.0], periods=4, points=8000)
    # The first harmonic of the noise-free light signal, by FFT over whole periods.
    with connect_bench(BENCHES / "peled.yaml") as bench:
        sim = bench.resource_manager.visalib.bench
        sim.dut = led
        with RunFile(handle.file) as stored:
            data = stored.read("captures")
        drive = get_procedure("ac_drive")({}).levels()
        from labctl.sim.waveform import PeriodicDrive

        square = PeriodicDrive("square", 100.0, drive[0], drive[1], duty_cycle=0.5)
        sim.generator_drive = lambda: square
        time = np.arange(8000) * (4 / 100 / 8000)
        el = sim.scope_signals(time)["el"]
    spectrum = np.fft.rfft(el) / len(el)
    truth = 2 * abs(spectrum[4])  # 4 periods: the drive frequency is bin 4
    assert results["el_amplitude"] == pytest.approx(truth, rel=0.05)
    assert results["forward_reverse_ratio"] > 10  # reverse-bias EL is a small fraction
    assert data["frequency"][0] == 100.0


def test_dc_drive_spectra_show_the_halide_segregation_of_the_device(tmp_path):
    results, led, _ = run("dc_drive", BENCHES / "peled.yaml", tmp_path, duration="6 h",
                          sample_interval="5 min", spectrum_interval="30 min")
    truth = led.describe()
    # The device's EL peak has moved by its segregation state; the analysis sees the move.
    assert results["peak_wavelength_initial"] == pytest.approx(led.p.peak_wavelength, abs=0.5e-9)
    moved = truth["peak_wavelength"] - led.p.peak_wavelength
    assert moved > 1e-9
    assert results["peak_shift"] == pytest.approx(moved, abs=0.5e-9)
    assert results["second_peak_relative_height"] > 0
