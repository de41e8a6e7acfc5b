"""Streaming analyzers: results as soon as the data allows, the same numbers live and stored,
and work in proportion to the data."""

from __future__ import annotations

import numpy as np
import pytest

from labctl.analysis.offline import analyze_file
from labctl.analysis.streaming import Columns, make_analyzer
from labctl.storage.csv_io import write_columns_csv
from tests.analysis.test_sclc import AREA, lampert_current_density, measure, v_tfl_of

THICKNESS, EPS_R, MOBILITY, N_T = 0.5e-6, 30.0, 1e-5, 5e22
SETTINGS = {"thickness": THICKNESS, "eps_r": EPS_R, "area": AREA}


def sweep(points: int = 400):
    v_tfl = v_tfl_of(N_T, THICKNESS, EPS_R)
    voltage = np.linspace(0.0, 5 * v_tfl, points)
    density = lampert_current_density(voltage, thickness=THICKNESS, eps_r=EPS_R,
                                      mobility=MOBILITY, n_t=N_T, theta=0.01)
    return voltage, measure(density, np.random.default_rng(7), 0.01, 1e-12), v_tfl


def test_columns_grow_by_doubling_and_keep_order():
    columns = Columns()
    for start in range(0, 1000, 7):
        rows = np.arange(start, min(start + 7, 1000), dtype=float)
        columns.extend({"x": rows, "y": np.stack([rows, rows], axis=1)})
    np.testing.assert_array_equal(columns["x"], np.arange(1000.0))
    assert columns["y"].shape == (1000, 2)


def test_v_tfl_appears_once_the_trap_filling_rise_has_been_passed():
    voltage, current, v_tfl = sweep()
    analyzer = make_analyzer("sclc", SETTINGS)
    first_seen = None
    for start in range(0, len(voltage), 10):
        block = slice(start, start + 10)
        result = analyzer.update("jv", {"voltage": voltage[block], "current": current[block]})
        if result is not None and result.value("v_tfl") is not None and first_seen is None:
            first_seen = voltage[block][-1]
    assert first_seen is not None
    assert v_tfl < first_seen < 2.5 * v_tfl  # not before the rise, not long after it
    final = analyzer.finish()
    assert final.value("trap_density") == pytest.approx(N_T, rel=0.2)
    assert final.value("mobility") == pytest.approx(MOBILITY, rel=0.15)


def test_before_the_rise_there_is_no_made_up_v_tfl():
    voltage, current, v_tfl = sweep()
    analyzer = make_analyzer("sclc", SETTINGS)
    below = voltage < 0.8 * v_tfl
    analyzer.update("jv", {"voltage": voltage[below], "current": current[below]})
    result = analyzer.finish()
    assert result.value("v_tfl") is None
    assert any("v_tfl" in w or "trap" in w for w in result.warnings)


def test_the_number_does_not_depend_on_where_it_was_computed(tmp_path):
    voltage, current, _ = sweep()
    live = make_analyzer("sclc", SETTINGS)
    for start in range(0, len(voltage), 25):
        live.update("jv", {"voltage": voltage[start:start + 25],
                           "current": current[start:start + 25]})
    path = write_columns_csv(tmp_path / "jv.csv", {"voltage": voltage, "current": current},
                             {"voltage": "V", "current": "A"})
    _, stored = analyze_file(path, "sclc", SETTINGS)
    assert live.finish().to_json() == stored.to_json()


def test_re_analysis_is_geometric_so_total_work_is_linear():
    analyzer = make_analyzer("dc_drive", {})
    time = np.linspace(0, 1e5, 100_000)
    light = np.exp(-time / 4e4)
    analyses = 0
    for start in range(0, len(time), 100):
        block = slice(start, start + 100)
        if analyzer.update("stress", {"time": time[block], "photocurrent": light[block]}):
            analyses += 1
    # 1000 chunks, but the data grows by a quarter between analyses: O(log N) of them.
    assert analyses < 40
    assert analyzer.finish().value("t50") == pytest.approx(4e4 * np.log(2), rel=0.01)
