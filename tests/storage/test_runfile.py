"""The run file on its own: readable from the first moment, status kept when things fail."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from labctl.bench import connect_bench
from labctl.errors import LabctlError
from labctl.procedures.sclc import SCLCSweep
from labctl.run.engine import RunEngine
from labctl.run.records import Chunk, Column, RunStart, RunStop
from labctl.sim.bench import default_bench_path
from labctl.storage.runfile import RunFile, RunFileWriter

STREAMS = {"jv": {"voltage": Column("V"), "spectrum": Column("", (4,))}}


def start(writer):
    writer(RunStart(uid="u1", procedure="sclc", parameters={"v_max": {"value": 8.0, "unit": "V"}},
                    bench={}, software={"labctl": "test"}, started="now", clock_start=0.0,
                    streams=STREAMS))


def test_readable_before_the_first_data_arrives(tmp_path):
    writer = RunFileWriter(tmp_path / "run.h5")
    start(writer)
    with RunFile(tmp_path / "run.h5") as run:  # while the writer still holds it open
        assert run.status == "running"
        assert len(run.read("jv")["voltage"]) == 0
    writer(Chunk("jv", {"voltage": np.array([1.0, 2.0]), "spectrum": np.ones((2, 4))}))
    writer(RunStop("u1", "completed"))
    with RunFile(tmp_path / "run.h5") as run:
        assert run.status == "completed"
        np.testing.assert_array_equal(run.read("jv")["voltage"], [1.0, 2.0])


def test_status_and_error_survive_a_failed_final_reopen(tmp_path, monkeypatch):
    writer = RunFileWriter(tmp_path / "run.h5")
    start(writer)
    writer(Chunk("jv", {"voltage": np.array([1.0]), "spectrum": np.ones((1, 4))}))
    original = h5py.File

    def no_reopen(path, mode="r", *args, **kwargs):
        if mode == "r+":
            raise OSError("disk went read-only")
        return original(path, mode, *args, **kwargs)

    monkeypatch.setattr(h5py, "File", no_reopen)
    writer(RunStop("u1", "failed", "RuntimeError: the sample shorted"))
    monkeypatch.undo()
    with RunFile(tmp_path / "run.h5") as run:
        assert run.status == "failed"
        assert run.error == "RuntimeError: the sample shorted"
        assert len(run.read("jv")["voltage"]) == 1


def test_a_second_run_on_a_busy_bench_is_refused(tmp_path):
    with connect_bench(default_bench_path()) as bench:
        engine = RunEngine(bench)
        first = engine.start(SCLCSweep(points=2000, spacing="linear", v_max="8 V", block=20),
                             out_dir=tmp_path)
        with pytest.raises(LabctlError, match="the bench is busy"):
            engine.start(SCLCSweep(points=11, spacing="linear"), out_dir=tmp_path)
        first.abort()
        assert first.wait(30) == "aborted"
        second = engine.run(SCLCSweep(points=11, spacing="linear", v_max="2 V"),
                            out_dir=tmp_path)
        assert second.status == "completed"
