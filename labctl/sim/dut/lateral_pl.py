"""A perovskite film between two coplanar electrodes: photoluminescence under a lateral field.

Geometry: electrodes of length w facing each other across a ``gap`` g on a film of thickness t;
field E = V / g (DOMAIN: 1e4–1e6 V/m; seed: ~2e4 V/m in MAPbI₃₋ₓClₓ).

Photoluminescence under the laser (SI units): absorbed photons/s Φ_abs = α P_laser λ_laser / (hc);
emitted PL photons/s Φ_PL = η_PL Φ_abs · F, spectrum a Gaussian (peak, FWHM) red-shifted by
Δλ |w|. F is the field factor, built from two slow states:

- a reversible ionic state w ∈ [−1, 1] (halide vacancies and interstitials drifting in the field,
  Jiang et al. 2024, section 3.2) relaxing towards w_eq = p · sign(E) · |E| / (|E| + E_sat) with
  the response time τ_on while biased and back to 0 with the recovery time τ_off at rest
  (p = ±1 picks the quenching polarity). Under a periodic drive w relaxes towards the period
  average of w_eq, so a symmetric AC field leaves the PL almost unchanged;
- an irreversible loss D = D_max (1 − exp(−∫|E| dt / Φ_irr)) that accumulates with field × time
  (ion-migration-driven decomposition, Jiang et al. 2024, Fig. 7a: reversible and irreversible PL
  responses).

F = (1 − q w⁺ + e w⁻)(1 − D), with w⁺ = max(w, 0) and w⁻ = max(−w, 0): the PL is quenched by up
to q for one polarity and enhanced by up to e for the other (e < 0: quenched, but less). The
steady-state quench ratio at field E is 1 − q |E| / (|E| + E_sat) (:meth:`steady_state_ratio`).

Electrical: an ohmic leak through the film, R = g / (σ w t) (GΩ for typical films), lower by the
photoconductive ratio under the laser, and the geometric capacitance ε₀ ε_r w t / g.

The slow states evolve in closed form, so one ``advance`` of hours equals many of milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from labctl.errors import ParameterError
from labctl.sim.dut.base import C_LIGHT, EPS0, DeviceParameters, DeviceUnderTest, Drive, H
from labctl.sim.dut.physics import band_figures, band_spectrum, dc_level, relax, waveform_samples


@dataclass
class LateralPLParameters(DeviceParameters):
    """A lateral-field PL test structure; every value in SI units."""

    UNITS: ClassVar[dict[str, str]] = {
        "gap": "m",
        "electrode_length": "m",
        "thickness": "m",
        "eps_r": "",
        "dark_conductivity": "S/m",
        "photoconductivity_ratio": "",
        "peak_wavelength": "m",
        "fwhm": "m",
        "laser_power": "W",
        "laser_wavelength": "m",
        "absorptance": "",
        "plqy": "",
        "spot_area": "m**2",
        "collection_fraction": "",
        "quench_max": "",
        "enhancement_max": "",
        "quench_polarity": "",
        "saturation_field": "V/m",
        "response_time": "s",
        "recovery_time": "s",
        "irreversible_max": "",
        "irreversible_dose": "V*s/m",
        "field_peak_shift": "m",
    }

    gap: float = 100e-6  #: m, electrode gap (4 µm – 1 mm); E = V / gap
    electrode_length: float = 1e-3  #: m, length of the facing electrode edges (channel width)
    thickness: float = 300e-9  #: m, film thickness (100 nm – 1 µm)
    eps_r: float = 30.0  #: relative permittivity of the film
    dark_conductivity: float = 1e-4  #: S/m, dark σ (1e-6 S/cm; R ≈ 3 GΩ at these dimensions)
    photoconductivity_ratio: float = 10.0  #: σ under the laser / σ dark (1–1000)
    peak_wavelength: float = 770e-9  #: m, PL peak at 0 V (MAPbI₃-like; CsPbBr₃ ≈ 520 nm)
    fwhm: float = 45e-9  #: m, PL full width at half maximum (20–60 nm)
    laser_power: float = 1e-3  #: W, excitation laser power on the film
    laser_wavelength: float = 405e-9  #: m, excitation wavelength
    absorptance: float = 0.9  #: fraction of the laser absorbed by the film
    plqy: float = 0.05  #: external PL yield: emitted towards the detector side / absorbed
    spot_area: float = 1e-8  #: m², illuminated spot (100 µm × 100 µm) for the luminance
    collection_fraction: float = 1e-3  #: fraction of emitted PL photons reaching the spectrometer
    quench_max: float = 0.6  #: q, reversible PL loss at saturating field of the quenching sign
    enhancement_max: float = 0.2  #: e, PL gain for the other sign (< 0: quenched, but less)
    quench_polarity: float = 1.0  #: +1: positive V quenches; −1: negative V quenches
    saturation_field: float = 1e5  #: V/m, E_sat: the reversible change is half its maximum
    response_time: float = 60.0  #: s, τ_on of the PL change after the bias is applied
    recovery_time: float = 600.0  #: s, τ_off of the recovery after the bias is removed
    irreversible_max: float = 0.3  #: D_max, the largest permanent PL loss
    irreversible_dose: float = 1e9  #: V·s/m, Φ_irr: ∫|E|dt that makes 63 % of D_max
    field_peak_shift: float = 3e-9  #: m, PL peak red shift at |w| = 1 (small)


class LateralPLFilm(DeviceUnderTest):
    """Lateral-field PL film (see the module docstring for the equations)."""

    model = "lateral_pl"

    def __init__(self, params: LateralPLParameters | None = None) -> None:
        self.p = params or LateralPLParameters()
        self._validate()
        self.area = self.p.electrode_length * self.p.thickness  # cross-section the current crosses
        #: w, reversible field state (> 0: the quenching configuration)
        self.field_state = 0.0
        #: ∫|E| dt so far, V·s/m
        self.field_dose = 0.0
        #: whether the laser was on when the bench last said (the SMU asks current() without it)
        self.illuminated = True
        self._stress_cache: dict[object, tuple[float, float]] = {}

    def _validate(self) -> None:
        p = self.p
        for name in ("gap", "electrode_length", "thickness", "eps_r", "dark_conductivity",
                     "photoconductivity_ratio", "peak_wavelength", "fwhm", "laser_wavelength",
                     "spot_area", "saturation_field", "response_time", "recovery_time",
                     "irreversible_dose"):
            if not getattr(p, name) > 0:
                raise ParameterError(f"sim.dut.{name}: must be > 0, got {getattr(p, name)!r}")
        for name in ("absorptance", "plqy", "collection_fraction", "quench_max",
                     "irreversible_max"):
            if not 0 <= getattr(p, name) <= 1:
                value = getattr(p, name)
                raise ParameterError(f"sim.dut.{name}: must lie in [0, 1], got {value!r}")
        if not -1 <= p.enhancement_max <= 1:
            raise ParameterError("sim.dut.enhancement_max: must lie in [-1, 1]")
        if p.quench_polarity not in (1.0, -1.0):
            raise ParameterError("sim.dut.quench_polarity: must be +1 or -1")
        if p.laser_power < 0 or p.field_peak_shift < 0:
            raise ParameterError("sim.dut: laser_power and field_peak_shift must be ≥ 0")

    # -- electrical ---------------------------------------------------------------------------
    def resistance(self, illuminated: bool | None = None) -> float:
        """Ω, g / (σ w t), with the photoconductive σ when the laser is on."""
        p = self.p
        lit = self.illuminated if illuminated is None else illuminated
        sigma = p.dark_conductivity * (p.photoconductivity_ratio if lit else 1.0)
        return p.gap / (sigma * p.electrode_length * p.thickness)

    def current(self, voltage: float) -> float:
        return float(voltage) / self.resistance()

    def voltage_for_current(self, current: float, limit: float) -> float:
        return float(min(max(current * self.resistance(), -limit), limit))

    def capacitance(self) -> float:
        """F, ε₀ ε_r (w t) / g through the film's cross-section (coplanar fringe fields ignored)."""
        p = self.p
        return EPS0 * p.eps_r * p.electrode_length * p.thickness / p.gap

    def field(self, voltage: float) -> float:
        """V/m, the lateral field V / gap."""
        return voltage / self.p.gap

    # -- slow states --------------------------------------------------------------------------
    def _w_eq(self, field: float | np.ndarray) -> float | np.ndarray:
        p = self.p
        magnitude = np.abs(field)
        return p.quench_polarity * np.sign(field) * magnitude / (magnitude + p.saturation_field)

    def _stress(self, drive: Drive) -> tuple[float, float]:
        """(target of w, mean |E| in V/m) under ``drive``."""
        level = dc_level(drive)
        if level is not None:
            e = self.field(level)
            return float(self._w_eq(e)), abs(e)
        cached = self._stress_cache.get(drive.waveform)
        if cached is None:
            e = waveform_samples(drive.waveform) / self.p.gap
            cached = float(np.mean(self._w_eq(e))), float(np.mean(np.abs(e)))
            if len(self._stress_cache) > 64:
                self._stress_cache.clear()
            self._stress_cache[drive.waveform] = cached
        return cached

    def advance(self, start: float, duration: float, drive: Drive) -> None:
        """Field-driven ion redistribution (reversible) and damage (irreversible): exact."""
        self.illuminated = bool(drive.illuminated)
        if not duration > 0:
            return
        if drive.driven:
            target, mean_field = self._stress(drive)
            self.field_state = relax(self.field_state, target, self.p.response_time, duration)
            self.field_dose += mean_field * duration
        else:
            self.field_state = relax(self.field_state, 0.0, self.p.recovery_time, duration)

    @property
    def irreversible_loss(self) -> float:
        """D = D_max (1 − e^{−dose/Φ_irr}), the permanent fraction of PL lost."""
        p = self.p
        return p.irreversible_max * -math.expm1(-self.field_dose / p.irreversible_dose)

    def reversible_factor(self, state: float | None = None) -> float:
        """1 − q w⁺ + e w⁻ at the field state ``state`` (default: the present one)."""
        w = self.field_state if state is None else state
        p = self.p
        return max(1.0 - p.quench_max * max(w, 0.0) + p.enhancement_max * max(-w, 0.0), 0.0)

    def pl_factor(self) -> float:
        """Present PL relative to the pristine film at 0 V."""
        return self.reversible_factor() * (1.0 - self.irreversible_loss)

    def steady_state_ratio(self, field: float) -> float:
        """Reversible PL ratio after a long bias at ``field`` (V/m), no irreversible loss."""
        return self.reversible_factor(float(self._w_eq(field)))

    # -- light --------------------------------------------------------------------------------
    def bands(self) -> list[tuple[float, float, float]]:
        p = self.p
        return [(1.0, p.peak_wavelength + p.field_peak_shift * abs(self.field_state), p.fwhm)]

    def photon_rate(self, drive: Drive) -> float:
        """PL photons/s emitted towards the detectors (0 with the laser off)."""
        p = self.p
        if not drive.illuminated:
            return 0.0
        absorbed = p.absorptance * p.laser_power * p.laser_wavelength / (H * C_LIGHT)
        return p.plqy * absorbed * self.pl_factor()

    def optical_power(self, drive: Drive) -> float:
        self.illuminated = bool(drive.illuminated)
        return self.photon_rate(drive) * band_figures(self.bands())[0]

    def luminance(self, drive: Drive) -> float:
        """cd/m² of the PL spot, Lambertian: L = K_m ∫ V(λ) P_λ dλ / (π A_spot)."""
        energy, efficacy = band_figures(self.bands())
        return self.photon_rate(drive) * energy * efficacy / (math.pi * self.p.spot_area)

    def spectrum(self, wavelength: np.ndarray, drive: Drive) -> np.ndarray:
        rate = self.photon_rate(drive) * self.p.collection_fraction
        return rate * band_spectrum(np.asarray(wavelength, dtype=float), self.bands())

    def transient(self, time: np.ndarray, volts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(PL power W, current A): the PL responds in seconds, so it is constant within a
        capture; the current is the ohmic leak plus C dV/dt."""
        t = np.asarray(time, dtype=float)
        v = np.asarray(volts, dtype=float)
        power = np.full(t.shape, self.optical_power(Drive(illuminated=self.illuminated)))
        current = v / self.resistance()
        if t.size > 1:
            dt = (t[-1] - t[0]) / (t.size - 1)
            current = current + self.capacitance() * np.gradient(v, dt)
        return power, current

    def describe(self) -> dict[str, float]:
        p = self.p
        return {
            "gap": p.gap,
            "peak_wavelength": p.peak_wavelength,
            "fwhm": p.fwhm,
            "quench_max": p.quench_max,
            "enhancement_max": p.enhancement_max,
            "quench_polarity": p.quench_polarity,
            "saturation_field": p.saturation_field,
            "response_time": p.response_time,
            "recovery_time": p.recovery_time,
            "irreversible_max": p.irreversible_max,
            "irreversible_dose": p.irreversible_dose,
            "field_peak_shift": p.field_peak_shift,
            "dark_resistance": self.resistance(False),
            "light_resistance": self.resistance(True),
            "capacitance": self.capacitance(),
            "field_state": self.field_state,
            "field_dose": self.field_dose,
            "irreversible_loss": self.irreversible_loss,
            "pl_factor": self.pl_factor(),
            "present_peak_wavelength": self.bands()[0][1],
        }
