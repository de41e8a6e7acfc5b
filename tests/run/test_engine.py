"""The run engine on the simulated bench: every way a run can end leaves a readable file and
the source at zero and off."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from labctl.bench import connect_bench
from labctl.errors import LimitError
from labctl.procedures.sclc import SCLCSweep
from labctl.run.engine import RunEngine
from labctl.run.records import Chunk, Progress, RunStop
from labctl.sim.bench import default_bench_path
from labctl.storage.runfile import RunFile

SMU = "GPIB0::24::INSTR"


@pytest.fixture
def bench():
    with connect_bench(default_bench_path()) as connected:
        yield connected


def simulated_smu(bench):
    return bench.resource_manager.visalib.bench.instruments[SMU]


def assert_source_safe(bench):
    sim = simulated_smu(bench)
    assert sim.output is False
    assert float(sim.get("source_voltage")) == 0.0


def test_a_completed_run_stores_everything(bench, tmp_path):
    procedure = SCLCSweep(v_max="6 V", points=41, direction="both")
    handle = RunEngine(bench).run(procedure, out_dir=tmp_path)
    assert handle.status == "completed", handle.error
    levels, direction = procedure.levels()
    with RunFile(handle.file) as run:
        assert run.status == "completed"
        data = run.read("jv")
        np.testing.assert_allclose(data["source"], levels)
        np.testing.assert_array_equal(data["direction"], direction)
        assert np.all(np.diff(data["time"]) > 0)
        assert run.parameters["v_max"] == {"value": 6.0, "unit": "V"}
        assert "MODEL 2400" in run.bench["roles"]["smu"]["idn"]
        assert run.columns("jv")["current_density"] == "A/m**2"
    assert_source_safe(bench)


def test_abort_mid_run_leaves_a_readable_file_marked_aborted(bench, tmp_path):
    engine = RunEngine(bench)
    seen = []

    def abort_after_two_chunks(record):
        if isinstance(record, Chunk):
            seen.append(len(record))
            if len(seen) == 2:
                handle.abort()

    procedure = SCLCSweep(v_max="8 V", points=300, block=20, direction="forward")
    handle = engine.start(procedure, out_dir=tmp_path, subscribers=[abort_after_two_chunks])
    assert handle.wait(30) == "aborted"
    with RunFile(handle.file) as run:
        assert run.status == "aborted"
        assert len(run.read("jv")["current"]) == sum(seen) == 40
    assert_source_safe(bench)


class Exploding(SCLCSweep):
    name = "exploding"

    def run(self, ctx):
        smu = ctx.role("smu")
        smu.source_voltage(0.0, compliance_current=0.01)
        smu.output_on()
        smu.set_level(4.0)
        ctx.emit("jv", source=[4.0], voltage=[4.0], current=[1e-3], current_density=[1e3],
                 time=[0.0], direction=[0.0], compliance=[0.0])
        raise RuntimeError("a bug in the procedure")


def test_a_failing_procedure_is_recorded_with_its_error_and_the_source_made_safe(bench, tmp_path):
    handle = RunEngine(bench).run(Exploding(), out_dir=tmp_path)
    assert handle.status == "failed"
    with RunFile(handle.file) as run:
        assert run.status == "failed"
        assert "RuntimeError: a bug in the procedure" in run.error
        assert len(run.read("jv")["current"]) == 1
    assert_source_safe(bench)


def test_a_failing_viewer_does_not_stop_the_run(bench, tmp_path):
    def broken_viewer(record):
        raise ValueError("plot window closed")

    handle = RunEngine(bench).run(SCLCSweep(points=41, spacing="linear"), out_dir=tmp_path,
                                  subscribers=[broken_viewer])
    assert handle.status == "completed"


def test_a_writer_that_cannot_store_data_stops_the_run(bench, tmp_path, monkeypatch):
    from labctl.storage import runfile

    def disk_full(self, chunk):
        raise OSError("No space left on device")

    monkeypatch.setattr(runfile.RunFileWriter, "_append", disk_full)
    handle = RunEngine(bench).run(SCLCSweep(points=41, spacing="linear"), out_dir=tmp_path)
    assert handle.status == "failed"
    assert "could not store the data" in handle.error
    assert_source_safe(bench)


def test_pause_holds_the_run_and_resume_finishes_it(bench, tmp_path):
    chunks = []
    engine = RunEngine(bench)

    def pause_on_first(record):
        if isinstance(record, Chunk):
            chunks.append(record)
            if len(chunks) == 1:
                handle.pause()

    handle = engine.start(SCLCSweep(points=60, block=10, direction="forward"), out_dir=tmp_path,
                          subscribers=[pause_on_first])
    time.sleep(0.5)
    assert handle.paused and not handle.done and len(chunks) == 1
    handle.resume()
    assert handle.wait(30) == "completed"
    assert len(chunks) == 7  # 61 points in blocks of 10


def test_limits_are_checked_before_anything_is_touched(bench, tmp_path):
    sim = simulated_smu(bench)
    before = sim.faults.messages
    with pytest.raises(LimitError, match=r"limits\.max_voltage"):
        RunEngine(bench).start(SCLCSweep(v_max="20 V"), out_dir=tmp_path)
    assert sim.faults.messages == before
    assert list(tmp_path.iterdir()) == []


def test_progress_reaches_one(bench, tmp_path):
    fractions = []
    stops = []

    def watch(record):
        if isinstance(record, Progress):
            fractions.append(record.fraction)
        if isinstance(record, RunStop):
            stops.append(record.status)

    procedure = SCLCSweep(points=30, block=7, spacing="linear", v_max="4 V")
    RunEngine(bench).run(procedure, out_dir=tmp_path, subscribers=[watch])
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert stops == ["completed"]


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    from labctl.bench import connect_bench
    from labctl.sim.bench import default_bench_path
    from labctl.procedures.sclc import SCLCSweep
    from labctl.run.engine import RunEngine
    from labctl.run.records import Chunk

    def slow_viewer(record):
        if isinstance(record, Chunk):
            print("chunk", len(record), flush=True)
            time.sleep(0.3)  # real time passes, so the writer's flush timer fires

    with connect_bench(default_bench_path()) as bench:
        handle = RunEngine(bench).start(
            SCLCSweep(points=2000, block=10, direction="forward"),
            out_dir=sys.argv[1], subscribers=[slow_viewer])
        handle.wait()
""")


def test_kill_9_keeps_everything_up_to_the_last_flush(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT)
    process = subprocess.Popen([sys.executable, str(script), str(tmp_path)],
                               stdout=subprocess.PIPE, text=True)
    rows = 0
    started = None
    for line in process.stdout:
        rows += int(line.split()[1])
        started = started or time.monotonic()
        if time.monotonic() - started > 2.5:
            break
    reported = rows
    time.sleep(1.3)  # > the flush interval: everything emitted so far is on disk
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    (path,) = tmp_path.glob("*.h5")
    with RunFile(path) as run:
        assert run.status == "running"  # never finished: the writer was killed
        stored = len(run.read("jv")["current"])
    assert stored >= reported


def test_abort_stops_a_long_ramp_up_and_ramps_back_down(tmp_path):
    from labctl.procedures.lateral_pl import LateralPL

    path = default_bench_path().parent / "benches" / "lateral_pl.yaml"  # 2410, 50 V/s, 5 V steps
    with connect_bench(path) as bench:
        sim = bench.resource_manager.visalib.bench.instruments["GPIB0::25::INSTR"]
        levels = []
        original = sim.process

        def watch(message):
            reply = original(message)
            levels.append(float(sim.get("source_voltage")) if sim.output else 0.0)
            if levels[-1] > 100:
                handle.abort()  # half way up a ramp to 900 V
            return reply

        sim.process = watch
        # 1 mm gap × 9e5 V/m = 900 V: an 18 s ramp up at 50 V/s.
        procedure = LateralPL(gap="1 mm", fields=[9e5], on_time="60 s", off_time="10 s",
                              baseline_time="1 s", spectrum_interval="1 s")
        handle = RunEngine(bench).start(procedure, out_dir=tmp_path)
        assert handle.wait(60) == "aborted"
    assert 100 < max(levels) < 150  # stopped within one leg (5 V) of the abort, not at 900 V
    assert levels[-1] == 0.0 and sim.output is False
