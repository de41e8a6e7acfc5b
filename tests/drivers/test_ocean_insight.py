"""The Ocean Insight Spectrometer role against a fake at the seabreeze API boundary."""

from __future__ import annotations

import numpy as np
import pytest
import seabreeze
import seabreeze.spectrometers

from labctl.drivers import ocean_insight
from labctl.drivers.ocean_insight import OceanInsightSpectrometer, open_seabreeze
from labctl.errors import (
    BenchError,
    InstrumentError,
    LabctlError,
    NotSupportedError,
    ParameterError,
)
from labctl.roles import Spectrometer
from labctl.roles.conformance import missing_members
from labctl.testing.fake_seabreeze import FakeSeaBreezeSpectrometer

WAVELENGTHS_NM = [400.0, 500.0, 600.0, 700.0]
PROBES = [("get_electric_dark_pixel_indices",), ("get_nonlinearity_coefficients",)]


def fake(**kwargs) -> FakeSeaBreezeSpectrometer:
    kwargs.setdefault("wavelengths_nm", WAVELENGTHS_NM)
    return FakeSeaBreezeSpectrometer(**kwargs)


def role(device, clock=None, **kwargs) -> OceanInsightSpectrometer:
    if clock is not None:
        kwargs["clock"] = clock
    spec = OceanInsightSpectrometer(device, **kwargs)
    device.calls.clear()  # the constructor's own calls are checked separately
    return spec


# ------------------------------------------------------------------------- construction
def test_role_satisfies_the_spectrometer_protocol():
    assert missing_members(role(fake()), Spectrometer) == []


def test_construction_probes_corrections_then_programs_a_known_state():
    device = fake()
    spec = OceanInsightSpectrometer(device)
    assert device.calls == [*PROBES, ("integration_time_micros", 100_000)]
    assert spec.integration_time == 0.1
    assert spec.averages == 1
    assert spec.name == "USB2000PLUS USB2+F00001"
    caps = spec.capabilities
    assert caps.model == "Ocean Insight USB2000PLUS"
    assert caps.pixels == 4
    assert (caps.min_integration_time, caps.max_integration_time) == (1e-3, 65.0)
    assert caps.dark_correction and caps.nonlinearity_correction
    assert spec.blocks and not spec.hardware_averaging


def test_construction_with_hardware_averaging_sets_one_scan():
    device = fake(hardware_averaging=True)
    spec = OceanInsightSpectrometer(device, name="pl")
    assert device.calls == [
        *PROBES,
        ("integration_time_micros", 100_000),
        ("set_scans_to_average", 1),
    ]
    assert spec.hardware_averaging and spec.name == "pl"


def test_default_integration_time_is_clipped_into_the_model_limits():
    device = fake(integration_time_micros_limits=(200_000, 10_000_000))
    assert OceanInsightSpectrometer(device).integration_time == 0.2
    assert device.integration_time_us == 200_000


@pytest.mark.parametrize(
    ("kwargs", "dark", "nonlinearity"),
    [
        ({"dark_pixels": ()}, False, True),
        ({"nonlinearity": None}, True, False),
        ({"nonlinearity_fails": True}, True, False),  # the Spark's transport error
        ({"nonlinearity": [1.0]}, True, False),  # a constant: seabreeze refuses it too
        ({"nonlinearity": [0.0, 0.0]}, True, False),
    ],
)
def test_capabilities_follow_what_seabreeze_would_accept(kwargs, dark, nonlinearity):
    caps = role(fake(**kwargs)).capabilities
    assert (caps.dark_correction, caps.nonlinearity_correction) == (dark, nonlinearity)


def test_identify_names_model_and_serial_without_device_calls():
    device = fake(model="QEPRO", serial_number="QEP01234")
    spec = role(device)
    assert spec.identify() == "Ocean Insight QEPRO, serial number QEP01234"
    assert device.calls == []


# ----------------------------------------------------------------------------- settings
@pytest.mark.parametrize(
    ("seconds", "micros"),
    [(0.25, 250_000), (1.2345678e-3, 1_235), (1e-3, 1_000), (65.0, 65_000_000)],
)
def test_integration_time_in_seconds_is_sent_in_whole_microseconds(seconds, micros):
    device = fake()
    spec = role(device)
    spec.set_integration_time(seconds)
    assert device.calls == [("integration_time_micros", micros)]
    assert spec.integration_time == micros / 1e6


@pytest.mark.parametrize("seconds", [0.5e-3, 70.0, -1.0, float("nan"), "fast", None])
def test_integration_time_outside_the_limits_is_refused_without_device_calls(seconds):
    device = fake()
    spec = role(device)
    with pytest.raises(ParameterError, match="integration_time") as info:
        spec.set_integration_time(seconds)
    assert device.calls == []
    assert spec.integration_time == 0.1
    if isinstance(seconds, float) and seconds == seconds:
        assert "allowed range 1 ms to 65 s" in str(info.value)


def test_software_averages_need_no_device_call():
    device = fake()
    spec = role(device)
    spec.set_averages(3)
    assert device.calls == []
    assert spec.averages == 3


def test_hardware_averages_go_to_the_spectrometer():
    device = fake(hardware_averaging=True)
    spec = role(device)
    spec.set_averages(16)
    assert device.calls == [("set_scans_to_average", 16)]
    assert spec.averages == 16


@pytest.mark.parametrize("count", [0, -2, 10_001, 2.5, True, "3", None, float("inf")])
def test_bad_averages_are_refused_without_device_calls(count):
    device = fake(hardware_averaging=True)
    spec = role(device)
    with pytest.raises(ParameterError, match="averages"):
        spec.set_averages(count)
    assert device.calls == []
    assert spec.averages == 1


def test_whole_float_averages_are_accepted():
    spec = role(fake())
    spec.set_averages(4.0)
    assert spec.averages == 4 and isinstance(spec.averages, int)


# ---------------------------------------------------------------------------- acquiring
def test_wavelengths_are_converted_from_nm_to_m():
    device = fake()
    wavelengths = role(device).wavelengths()
    np.testing.assert_allclose(wavelengths, [4.0e-7, 5.0e-7, 6.0e-7, 7.0e-7], rtol=1e-15)
    assert device.calls == [("wavelengths",)]


def test_software_average_is_the_mean_of_the_scans(fake_clock):
    rng = np.random.default_rng(7)
    scans = [rng.uniform(0, 60_000, 4) for _ in range(5)]
    expected = np.mean(np.vstack(scans), axis=0)  # computed here, independently of the role
    device = fake(scans=[s.copy() for s in scans])
    spec = role(device, fake_clock)
    spec.set_integration_time(0.02)
    spec.set_averages(5)
    device.calls.clear()
    spectrum = spec.acquire()
    np.testing.assert_allclose(spectrum.intensity, expected, rtol=1e-12)
    np.testing.assert_allclose(spectrum.wavelength, np.array(WAVELENGTHS_NM) * 1e-9)
    assert (spectrum.integration_time, spectrum.averages) == (0.02, 5)
    assert device.calls == [("intensities", True, True)] * 5 + [("wavelengths",)]


def test_a_blocking_device_leaves_the_clock_alone(fake_clock):
    fake_clock.t = 100.0
    spec = role(fake(blocks=True), fake_clock)
    spec.set_averages(3)
    spectrum = spec.acquire()
    assert fake_clock.sleeps == []
    assert spectrum.time == 100.0


def test_a_non_blocking_device_advances_the_clock_one_integration_per_scan(fake_clock):
    device = fake(blocks=False)
    spec = role(device, fake_clock)
    spec.set_integration_time(0.5)
    spec.set_averages(4)
    spectrum = spec.acquire()
    assert fake_clock.sleeps == [0.5] * 4
    assert spectrum.time == pytest.approx(2.0)  # integration time × averages


def test_hardware_averaging_reads_once_and_waits_for_all_scans(fake_clock):
    scan = [10.0, 20.0, 30.0, 40.0]
    device = fake(hardware_averaging=True, blocks=False, scans=[scan])
    spec = role(device, fake_clock)
    spec.set_averages(8)
    device.calls.clear()
    spectrum = spec.acquire(correct_dark=True, correct_nonlinearity=False)
    assert device.calls == [("intensities", True, False), ("wavelengths",)]
    np.testing.assert_array_equal(spectrum.intensity, scan)
    assert spectrum.averages == 8
    assert fake_clock.sleeps == [pytest.approx(0.8)]


def test_corrections_are_passed_through_as_asked():
    device = fake(dark_pixels=(), nonlinearity=None)
    spec = role(device)
    spec.acquire(correct_dark=False, correct_nonlinearity=False)
    assert device.calls[0] == ("intensities", False, False)


@pytest.mark.parametrize(
    ("kwargs", "flags", "match"),
    [
        ({"dark_pixels": ()}, {"correct_nonlinearity": False}, "correct_dark=False"),
        ({"nonlinearity": None}, {"correct_dark": False}, "correct_nonlinearity=False"),
        ({"nonlinearity_fails": True}, {}, "correct_nonlinearity=False"),
    ],
)
def test_unsupported_corrections_are_refused_before_touching_the_device(kwargs, flags, match):
    device = fake(**kwargs)
    spec = role(device)
    with pytest.raises(NotSupportedError, match=match):
        spec.acquire(**flags)
    assert device.calls == []


@pytest.mark.parametrize("flags", [{"correct_dark": "yes"}, {"correct_nonlinearity": 1}])
def test_correction_flags_must_be_booleans(flags):
    device = fake()
    with pytest.raises(ParameterError, match="expected True or False"):
        role(device).acquire(**flags)
    assert device.calls == []


def test_a_seabreeze_error_becomes_an_instrument_error():
    device = fake()
    device.fail_next = True
    with pytest.raises(InstrumentError, match="could not acquire a spectrum: Data transfer"):
        role(device).acquire()


def test_scans_of_different_lengths_are_an_instrument_error():
    device = fake(scans=[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]])
    spec = role(device)
    spec.set_averages(2)
    with pytest.raises(InstrumentError, match="scans of"):
        spec.acquire()


def test_wavelengths_that_do_not_match_the_pixels_are_an_instrument_error():
    device = fake(scans=[[1.0, 2.0, 3.0]])
    with pytest.raises(InstrumentError, match="4 wavelengths for 3 intensities"):
        role(device).acquire()


# --------------------------------------------------------------------------- connection
def test_close_closes_the_device():
    device = fake()
    role(device).close()
    assert device.calls == [("close",)]


def test_reconnect_opens_a_fresh_device_and_programs_it_again():
    old, new = fake(hardware_averaging=True), fake(hardware_averaging=True)
    spec = role(old, reconnect=lambda: new)
    spec.set_integration_time(0.3)
    spec.set_averages(4)
    new.calls.clear()
    spec.reconnect()
    assert old.calls[-1] == ("close",)
    assert new.calls == [("integration_time_micros", 300_000), ("set_scans_to_average", 4)]
    assert spec.instrument is new


def test_reconnect_without_a_factory_is_refused():
    with pytest.raises(LabctlError, match="no way to reconnect"):
        role(fake()).reconnect()


# ------------------------------------------------------------------------- open_seabreeze
class FakeSeaBreezeModule:
    """Patches seabreeze's ``use``, ``list_devices`` and ``Spectrometer`` and records calls."""

    def __init__(self, monkeypatch, serials=("FLMS01", "FLMS02")) -> None:
        self.calls: list[tuple] = []
        self.serials = list(serials)
        self.import_error: ImportError | None = None
        outer = self

        class Spectrometer:
            @classmethod
            def from_serial_number(cls, serial=None):
                outer.calls.append(("from_serial_number", serial))
                outer._check_backend()
                if serial not in outer.serials:
                    raise seabreeze.spectrometers.SeaBreezeError(
                        f"No device attached with serial number '{serial}'."
                    )
                return fake(serial_number=serial)

            @classmethod
            def from_first_available(cls):
                outer.calls.append(("from_first_available",))
                outer._check_backend()
                if not outer.serials:
                    raise seabreeze.spectrometers.SeaBreezeError("No unopened device found.")
                return fake(serial_number=outer.serials[0])

        class Device:
            def __init__(self, serial):
                self.serial_number = serial

        def use(backend, **kwargs):
            self.calls.append(("use", backend, kwargs))
            if kwargs.keys() - {"pyusb_backend", "network_adapter"}:
                raise TypeError(f"unknown keyword arguments {set(kwargs)!r}")

        def list_devices():
            self.calls.append(("list_devices",))
            return [Device(s) for s in self.serials]

        monkeypatch.setattr(seabreeze, "use", use)
        monkeypatch.setattr(seabreeze.spectrometers, "Spectrometer", Spectrometer)
        monkeypatch.setattr(seabreeze.spectrometers, "list_devices", list_devices)
        monkeypatch.setattr(ocean_insight, "_backend_in_use", None)

    def _check_backend(self):
        if self.import_error is not None:
            raise self.import_error


@pytest.fixture
def sb(monkeypatch) -> FakeSeaBreezeModule:
    return FakeSeaBreezeModule(monkeypatch)


def test_open_by_serial_number_selects_the_backend_first(sb):
    device = open_seabreeze("FLMS02")
    assert device.serial_number == "FLMS02"
    assert sb.calls == [("use", "cseabreeze", {}), ("from_serial_number", "FLMS02")]


def test_open_first_available(sb):
    assert open_seabreeze(" first ").serial_number == "FLMS01"
    assert sb.calls[-1] == ("from_first_available",)


def test_backend_options_go_to_seabreeze_use(sb):
    open_seabreeze("FLMS01", backend="pyseabreeze", pyusb_backend="libusb1")
    assert sb.calls[0] == ("use", "pyseabreeze", {"pyusb_backend": "libusb1"})


def test_a_second_open_does_not_select_the_backend_again(sb):
    open_seabreeze("FLMS01")
    open_seabreeze("FLMS02")
    assert [call for call in sb.calls if call[0] == "use"] == [("use", "cseabreeze", {})]


def test_switching_backend_in_one_process_is_a_bench_error(sb):
    open_seabreeze("FLMS01")
    with pytest.raises(BenchError, match="cannot switch to 'pyseabreeze'"):
        open_seabreeze("FLMS02", backend="pyseabreeze")


def test_a_missing_serial_number_lists_what_seabreeze_sees(sb):
    with pytest.raises(BenchError, match=r"'XYZ'.*seabreeze sees: FLMS01, FLMS02"):
        open_seabreeze("XYZ")
    assert sb.calls[-1] == ("list_devices",)


def test_no_device_at_all_says_so(monkeypatch):
    FakeSeaBreezeModule(monkeypatch, serials=())
    with pytest.raises(BenchError, match="seabreeze sees: no devices"):
        open_seabreeze("first")


def test_a_missing_backend_is_a_bench_error(sb):
    sb.import_error = ImportError("Could not import backend. Requested: cseabreeze")
    with pytest.raises(BenchError, match="cannot load its 'cseabreeze' backend"):
        open_seabreeze("FLMS01")


def test_unknown_backend_options_are_a_bench_error(sb):
    with pytest.raises(BenchError, match="unknown keyword"):
        open_seabreeze("FLMS01", colour="blue")


@pytest.mark.parametrize(
    ("address", "backend", "match"),
    [("", "cseabreeze", "address"), (None, "cseabreeze", "address"), ("F1", "usb", "backend")],
)
def test_bad_arguments_are_refused_before_seabreeze_is_touched(sb, address, backend, match):
    with pytest.raises(ParameterError, match=match):
        open_seabreeze(address, backend=backend)
    assert sb.calls == []
