"""Ocean Insight (formerly Ocean Optics) USB spectrometers through python-seabreeze.

These spectrometers are not VISA instruments: :func:`open_seabreeze` opens one with seabreeze and
returns seabreeze's own :class:`~seabreeze.spectrometers.Spectrometer`, and
:class:`OceanInsightSpectrometer` wraps any object with that interface (see
:class:`SeaBreezeSpectrometerLike`) in the ``Spectrometer`` role.

Calls made on the seabreeze device, by role method:

=================================  ==========================================================
Role method                        seabreeze calls, in order
=================================  ==========================================================
constructor                        reads ``model``, ``serial_number``, ``pixels``,
                                   ``integration_time_micros_limits``;
                                   ``features["spectrometer"][0]
                                   .get_electric_dark_pixel_indices()``;
                                   ``features["nonlinearity_coefficients"][0]
                                   .get_nonlinearity_coefficients()`` (if listed);
                                   ``integration_time_micros(us)`` (the default 100 ms);
                                   ``features["spectrum_processing"][0]
                                   .set_scans_to_average(1)`` (if listed)
``set_integration_time(s)``        ``integration_time_micros(round(s * 1e6))``
``set_averages(n)``                ``set_scans_to_average(n)`` with hardware averaging; none
                                   otherwise (the role averages n scans itself)
``wavelengths()``                  ``wavelengths()``
``acquire(dark, nonlinearity)``    ``intensities(correct_dark_counts=dark,
                                   correct_nonlinearity=nonlinearity)`` once with hardware
                                   averaging, n times otherwise; then ``wavelengths()``;
                                   nothing when a correction is refused
``identify()``                     none (``model`` and ``serial_number`` are cached)
``close()``                        ``close()``
``reconnect()``                    ``close()`` on the old device, then on the new one
                                   ``integration_time_micros(us)`` and, with hardware
                                   averaging, ``set_scans_to_average(n)``
=================================  ==========================================================

Units: integration time in s (seabreeze: µs), wavelengths in m (seabreeze: nm), intensities in
counts as seabreeze returns them.

Time
    An acquisition takes ``integration_time × averages``. On real hardware ``intensities()``
    blocks until a spectrum is complete, so the bench clock has moved on its own. A device that
    returns at once (a simulated one, whose time is the bench clock) says so with ``blocks =
    False``; the role then advances the clock itself with ``clock.sleep`` by one integration time
    before each scan, so each spectrum is read at the end of its own integration. A device without
    a ``blocks`` attribute (seabreeze's ``Spectrometer``) is taken to block.

Corrections
    seabreeze raises when asked for dark-count correction on a model without electric-dark pixels,
    or for nonlinearity correction on one without coefficients. The role finds out when it is
    created (``capabilities.dark_correction``, ``capabilities.nonlinearity_correction``) and
    refuses such a request with ``NotSupportedError`` before touching the device, rather than
    silently returning uncorrected counts in a ``Spectrum`` that cannot say so.
"""

from __future__ import annotations

import logging
import numbers
import threading
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from labctl.clock import WALL_CLOCK, Clock
from labctl.drivers.role_base import Reconnector, RoleBase
from labctl.errors import (
    BenchError,
    InstrumentError,
    LabctlError,
    NotSupportedError,
    ParameterError,
)
from labctl.roles.spectrometer import SpectrometerCapabilities, Spectrum
from labctl.validation import check_choice, check_range

log = logging.getLogger(__name__)

#: seabreeze backends: the C library wrapper, or the pure-Python pyusb implementation.
BACKENDS = ("cseabreeze", "pyseabreeze")
#: Integration time programmed when a role is created; seabreeze cannot read it back (s).
DEFAULT_INTEGRATION_TIME = 0.1
#: Largest number of scans one acquisition averages.
MAX_AVERAGES = 10_000

#: (backend, options) handed to ``seabreeze.use`` in this process; seabreeze loads its backend
#: once, so every later open must ask for the same one.
_backend_in_use: tuple[str, tuple[tuple[str, Any], ...]] | None = None


class SeaBreezeSpectrometerLike(Protocol):
    """What the role needs of a device: the part of ``seabreeze.spectrometers.Spectrometer`` used.

    A device may also have ``blocks: bool``; absent, it is taken as True (see the module
    docstring).
    """

    model: str
    serial_number: str
    pixels: int
    features: Mapping[str, list[Any]]
    integration_time_micros_limits: tuple[int, int]

    def wavelengths(self) -> np.ndarray: ...

    def intensities(
        self, correct_dark_counts: bool = False, correct_nonlinearity: bool = False
    ) -> np.ndarray: ...

    def integration_time_micros(self, integration_time_micros: int) -> None: ...

    def close(self) -> None: ...


# ----------------------------------------------------------------------------------- opening
def open_seabreeze(address: str, backend: str = "cseabreeze", **options: Any) -> Any:
    """Open the spectrometer with serial number ``address`` (or ``"first"``) with seabreeze.

    ``backend`` is ``"cseabreeze"`` or ``"pyseabreeze"``; ``options`` go to ``seabreeze.use``
    (``pyusb_backend``, ``network_adapter`` for pyseabreeze). Returns seabreeze's
    ``Spectrometer``. Raises :class:`BenchError` when the backend cannot be loaded or no such
    device is free, naming the serial numbers seabreeze does see.
    """
    if not isinstance(address, str) or not address.strip():
        raise ParameterError(f"address: expected a serial number or 'first', got {address!r}")
    address = address.strip()
    check_choice("backend", backend, BACKENDS)
    _use_backend(backend, options)
    try:
        import seabreeze.spectrometers as sb

        try:
            if address.lower() == "first":
                return sb.Spectrometer.from_first_available()
            return sb.Spectrometer.from_serial_number(address)
        except sb.SeaBreezeError as exc:
            raise BenchError(
                f"no Ocean Insight spectrometer {address!r} is free ({exc}); "
                f"seabreeze sees: {_visible_serials(sb)}"
            ) from exc
    except ImportError as exc:
        raise BenchError(
            f"seabreeze cannot load its {backend!r} backend ({exc}); is python-seabreeze "
            "installed with its USB support (libusb, udev rules)?"
        ) from exc


def _use_backend(backend: str, options: Mapping[str, Any]) -> None:
    global _backend_in_use
    wanted = (backend, tuple(sorted(options.items())))
    if _backend_in_use == wanted:
        return  # seabreeze warns when use() comes again after a device was opened
    if _backend_in_use is not None:
        raise BenchError(
            f"seabreeze already runs the {_backend_in_use[0]!r} backend with options "
            f"{dict(_backend_in_use[1])} in this process; it cannot switch to {backend!r} "
            f"with {dict(options)}: give every Ocean Insight entry the same backend"
        )
    try:
        import seabreeze

        seabreeze.use(backend, **options)
    except ImportError as exc:
        raise BenchError(f"python-seabreeze is not installed ({exc})") from exc
    except (TypeError, ValueError) as exc:
        raise BenchError(f"seabreeze backend {backend!r}: {exc}") from exc
    _backend_in_use = wanted


def _visible_serials(sb: Any) -> str:
    try:
        serials = [str(device.serial_number) for device in sb.list_devices()]
    except Exception as exc:  # listing is only for the message; say why it failed instead
        return f"(listing devices failed: {exc})"
    return ", ".join(serials) if serials else "no devices"


# ------------------------------------------------------------------------------------- role
class OceanInsightSpectrometer(RoleBase):
    """The ``Spectrometer`` role on an Ocean Insight spectrometer.

    ``device`` is a seabreeze ``Spectrometer`` (from :func:`open_seabreeze`) or anything with the
    same interface. ``reconnect``, if given, returns a fresh device for the same spectrometer.
    Creating the role programs the default integration time (100 ms, within the model's limits)
    and one scan per acquisition, because seabreeze cannot read these settings back.
    """

    capabilities: SpectrometerCapabilities

    def __init__(
        self,
        device: SeaBreezeSpectrometerLike,
        *,
        name: str | None = None,
        lock: threading.RLock | None = None,
        clock: Clock = WALL_CLOCK,
        reconnect: Reconnector | None = None,
    ) -> None:
        super().__init__(
            device,
            name=name or f"{device.model} {device.serial_number}",
            lock=lock,
            clock=clock,
            reconnect=reconnect,
        )
        #: True when ``intensities()`` returns only after the integration (real hardware).
        self.blocks = bool(getattr(device, "blocks", True))
        low_us, high_us = (int(v) for v in device.integration_time_micros_limits)
        self.capabilities = SpectrometerCapabilities(
            model=f"Ocean Insight {device.model}",
            pixels=int(device.pixels),
            min_integration_time=low_us / 1e6,
            max_integration_time=high_us / 1e6,
            dark_correction=_has_dark_pixels(device),
            nonlinearity_correction=_has_nonlinearity_coefficients(device),
        )
        self._averager = _hardware_averager(device)
        self._integration_time = min(
            max(DEFAULT_INTEGRATION_TIME, self.capabilities.min_integration_time),
            self.capabilities.max_integration_time,
        )
        self._averages = 1
        self._program()

    @property
    def hardware_averaging(self) -> bool:
        """True when the spectrometer averages scans itself (seabreeze ``spectrum_processing``)."""
        return self._averager is not None

    @property
    def integration_time(self) -> float:
        """The programmed integration time, s."""
        return self._integration_time

    @property
    def averages(self) -> int:
        """Scans averaged into one spectrum."""
        return self._averages

    # ----------------------------------------------------------------- settings
    def identify(self) -> str:
        """``"Ocean Insight <model>, serial number <serial>"``."""
        with self.lock:
            device = self.instrument
            return f"Ocean Insight {device.model}, serial number {device.serial_number}"

    def set_integration_time(self, seconds: float) -> None:
        """Integration time of one scan in s, within ``capabilities`` (model-specific limits).

        Programmed in whole microseconds, as seabreeze takes it.
        """
        caps = self.capabilities
        seconds = check_range(
            "integration_time",
            seconds,
            caps.min_integration_time,
            caps.max_integration_time,
            "s",
        )
        micros = round(seconds * 1e6)
        with self.lock:
            self._device_call(
                "set the integration time", self.instrument.integration_time_micros, micros
            )
            self._integration_time = micros / 1e6

    def set_averages(self, count: int) -> None:
        """Scans averaged into each spectrum, 1 to 10 000 (in the spectrometer when it can)."""
        if isinstance(count, bool) or not _is_whole(count):
            raise ParameterError(f"averages: expected a whole number of scans, got {count!r}")
        count = int(check_range("averages", count, 1, MAX_AVERAGES))
        with self.lock:
            if self._averager is not None:
                self._device_call("set the scans to average", self._averager, count)
            self._averages = count

    # --------------------------------------------------------------- acquiring
    def wavelengths(self) -> np.ndarray:
        """Pixel wavelengths in m (seabreeze gives nm)."""
        with self.lock:
            nanometres = self._device_call("read the wavelengths", self.instrument.wavelengths)
        return np.array(nanometres, dtype=float) * 1e-9

    def acquire(self, correct_dark: bool = True, correct_nonlinearity: bool = True) -> Spectrum:
        """One spectrum: ``averages`` scans of ``integration_time`` each, averaged.

        ``correct_dark`` subtracts the mean of the electric-dark pixels, ``correct_nonlinearity``
        applies the detector's stored polynomial (both done by seabreeze). Asking for a correction
        the model lacks raises :class:`NotSupportedError` and nothing is acquired.
        """
        dark = _check_flag("correct_dark", correct_dark)
        nonlinearity = _check_flag("correct_nonlinearity", correct_nonlinearity)
        caps = self.capabilities
        if dark and not caps.dark_correction:
            raise NotSupportedError(
                f"{self.name}: {caps.model} has no electric-dark pixels for dark-count "
                "correction; call acquire(correct_dark=False) and subtract a measured dark "
                "spectrum instead"
            )
        if nonlinearity and not caps.nonlinearity_correction:
            raise NotSupportedError(
                f"{self.name}: {caps.model} stores no nonlinearity coefficients; call "
                "acquire(correct_nonlinearity=False)"
            )
        with self.lock:
            integration_time, averages = self._integration_time, self._averages
            # In hardware the spectrometer integrates all scans before it answers once.
            scans = 1 if self._averager is not None else averages
            scan_time = integration_time * averages / scans
            total: np.ndarray | None = None
            for _ in range(scans):
                if not self.blocks:
                    self.clock.sleep(scan_time)
                counts = np.array(
                    self._device_call(
                        "acquire a spectrum",
                        self.instrument.intensities,
                        correct_dark_counts=dark,
                        correct_nonlinearity=nonlinearity,
                    ),
                    dtype=float,
                )
                if total is None:
                    total = counts
                elif counts.shape != total.shape:
                    raise InstrumentError(
                        f"{self.name}: scans of {total.shape} and {counts.shape} pixels"
                    )
                else:
                    total += counts
            assert total is not None  # scans >= 1
            wavelength = self.wavelengths()
            if wavelength.shape != total.shape:
                raise InstrumentError(
                    f"{self.name}: {wavelength.size} wavelengths for {total.size} intensities"
                )
            return Spectrum(
                wavelength=wavelength,
                intensity=total / scans,
                integration_time=integration_time,
                averages=averages,
                time=self.clock.now(),
            )

    # -------------------------------------------------------------- connection
    def reconnect(self) -> None:
        """Close the device, open a fresh one with ``reconnect`` and program it again."""
        if self._reconnect is None:
            raise LabctlError(f"{self.name}: no way to reconnect was given to this role")
        with self.lock:
            try:
                self.instrument.close()
            except Exception:  # the old link is already broken; closing it is a courtesy
                log.debug("closing the broken device of %s failed", self.name, exc_info=True)
            self.instrument = self._reconnect()
            self._averager = _hardware_averager(self.instrument)
            self._program()
            log.warning("%s: reconnected", self.name)

    def close(self) -> None:
        with self.lock:
            self._device_call("close the device", self.instrument.close)

    # ----------------------------------------------------------------- helpers
    def _program(self) -> None:
        """Put the remembered integration time and averages into the device."""
        with self.lock:
            micros = round(self._integration_time * 1e6)
            self._device_call(
                "set the integration time", self.instrument.integration_time_micros, micros
            )
            if self._averager is not None:
                self._device_call("set the scans to average", self._averager, self._averages)

    def _device_call(self, what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Call into seabreeze, turning its errors into :class:`InstrumentError`."""
        try:
            return function(*args, **kwargs)
        except LabctlError:
            raise
        except _seabreeze_errors() as exc:
            raise InstrumentError(f"{self.name}: could not {what}: {exc}") from exc


def _seabreeze_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the device said no or the USB link failed"."""
    try:
        from seabreeze.spectrometers import SeaBreezeError
    except ImportError:  # a stand-in device without seabreeze installed
        return (OSError,)
    return (SeaBreezeError, OSError)


def _first_feature(device: Any, name: str) -> Any | None:
    try:
        found = device.features.get(name) or []
    except Exception:  # an exotic device without a features table has no optional features
        return None
    return found[0] if found else None


def _has_dark_pixels(device: Any) -> bool:
    spectrometer = _first_feature(device, "spectrometer")
    if spectrometer is None:
        return False
    try:
        return len(spectrometer.get_electric_dark_pixel_indices()) > 0
    except Exception:  # the same test seabreeze makes: no readable indices, no correction
        log.debug("reading the electric-dark pixels failed", exc_info=True)
        return False


def _has_nonlinearity_coefficients(device: Any) -> bool:
    feature = _first_feature(device, "nonlinearity_coefficients")
    if feature is None:
        return False
    try:
        coefficients = list(feature.get_nonlinearity_coefficients())
    except Exception:  # seabreeze skips the correction when the Spark fails to send them
        log.debug("reading the nonlinearity coefficients failed", exc_info=True)
        return False
    # seabreeze refuses the correction when the polynomial is a constant.
    return bool(coefficients) and np.poly1d(coefficients[::-1]).order >= 1


def _hardware_averager(device: Any) -> Any | None:
    feature = _first_feature(device, "spectrum_processing")
    return None if feature is None else feature.set_scans_to_average


def _check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ParameterError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def _is_whole(value: object) -> bool:
    """True for a whole number (3 or 3.0), False for text, fractions, NaN and infinity."""
    return isinstance(value, numbers.Real) and float(value).is_integer()


__all__ = [
    "DEFAULT_INTEGRATION_TIME",
    "MAX_AVERAGES",
    "OceanInsightSpectrometer",
    "SeaBreezeSpectrometerLike",
    "open_seabreeze",
]
