"""Bench files: parsing, validation and the errors a user sees. No instrument is opened here."""

from __future__ import annotations

import math
import textwrap

import pytest

from labctl.bench import connect_bench, load_bench_config
from labctl.errors import BenchError
from labctl.roles import Oscilloscope, SourceMeter

GOOD = """
name: test bench
visa_library: "@sim"
roles:
  smu:
    driver: keithley2400
    address: GPIB0::24::INSTR
  photodiode:
    driver: keithley2636b
    address: GPIB0::26::INSTR
    channel: B
limits:
  max_voltage: 8 V
  max_current_density: 1 A/cm**2
  area: 4 mm**2
  max_power: 500 mW
  max_ramp_rate: 2 V/s
"""


def write(tmp_path, text):
    path = tmp_path / "bench.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_good_bench_file_parses_with_units(tmp_path):
    config = load_bench_config(write(tmp_path, GOOD))
    assert config.name == "test bench"
    assert config.roles["smu"].driver.name == "keithley2400"
    assert config.roles["photodiode"].channel == "b"
    limits = config.limits
    assert limits.max_voltage == 8.0
    assert limits.area == pytest.approx(4e-6)
    # 1 A/cm² over 4 mm² is 40 mA.
    assert limits.effective_max_current == pytest.approx(0.04)
    assert limits.max_power == pytest.approx(0.5)
    assert math.isinf(limits.max_current)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("keithley2400", "keithley9999"), r"roles\.smu\.driver: unknown driver 'keithley9999'"),
        (("GPIB0::24::INSTR", "GPIB0:24"), r"roles\.smu\.address: 'GPIB0:24' is not a VISA"),
        (("channel: B", "channel: c"), r"roles\.photodiode\.channel: 'c'.*allowed: \['a', 'b'\]"),
        (("max_voltage: 8 V", "max_voltage: 8 mA"), r"limits\.max_voltage.*cannot be converted"),
        (("max_voltage: 8 V", "max_volts: 8 V"), r"limits: unknown key\(s\) \['max_volts'\]"),
        (("  area: 4 mm**2\n", ""), r"max_current_density needs limits\.area"),
        (("    address: GPIB0::24::INSTR\n", ""), r"roles\.smu: 'address' is required"),
    ],
)
def test_mistakes_are_named(tmp_path, edit, message):
    with pytest.raises(BenchError, match=message):
        load_bench_config(write(tmp_path, GOOD.replace(*edit)))


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(BenchError, match="does not exist"):
        load_bench_config(tmp_path / "nope.yaml")
    with pytest.raises(BenchError, match="not valid YAML"):
        load_bench_config(write(tmp_path, "roles: [unclosed"))


def test_a_role_the_procedure_needs_but_the_bench_lacks(tmp_path):
    config = load_bench_config(write(tmp_path, GOOD))
    with pytest.raises(BenchError, match=r"role 'scope' \(Oscilloscope\) is missing"):
        config.check_needs({"smu": SourceMeter, "scope": Oscilloscope})
    with pytest.raises(BenchError, match="must be a Oscilloscope, but its driver"):
        config.check_needs({"smu": Oscilloscope})
    config.check_needs({"smu": SourceMeter, "photodiode": "SourceMeter"})


def test_needs_are_checked_before_anything_is_opened(tmp_path):
    # The VISA library does not exist: reaching it would raise a different error.
    path = write(tmp_path, GOOD.replace('"@sim"', '"@no-such-backend"'))
    with pytest.raises(BenchError, match="'scope'"):
        connect_bench(path, needs={"scope": Oscilloscope})
