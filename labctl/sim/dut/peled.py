"""A perovskite LED: J–V–L, EL spectrum, TrEL and AC response, and slow field-driven changes.

Electrical, quasi-static (SI units throughout, J in A/m², specific resistances in Ω·m²):

- Shockley diode with series and shunt resistance,
  J = J₀ [exp((V − J r_s)/(n V_T)) − 1] + (V − J r_s)/r_sh,  V_T = k_B T / q,
  solved in closed form with the Lambert W function (Jain & Kapoor, Sol. Energy Mater. Sol. Cells
  81, 269 (2004)); W(eᶻ) is evaluated as the Wright omega function ω(z) so nothing overflows.
- Geometric capacitance C = ε₀ ε_r A / d; in a pulse circuit it charges through the source and
  series resistance, τ_RC = (R_source + R_s) C.

Emission:

- EQE(J) = η₀ · (J/J_t) / (1 + J/J_t) · 1 / (1 + (J/J_r)^m): trap-assisted (Shockley–Read–Hall)
  losses at low J, roll-off (Auger, heating, imbalance) at high J; the ABC-model picture of Jiang
  et al. 2024 (eqs. 7–10) in a closed form of J.
- Photon rate Φ = EQE(J_rec) · I_rec / q with I_rec the junction current (the shunt leaks without
  light); optical power = Φ ⟨hc/λ⟩ over the EL spectrum; luminance of a
  Lambertian emitter L = K_m ∫ V(λ) P_λ dλ / (π A) with K_m = 683 lm/W and the CIE 1931 photopic
  V(λ) from the multi-lobe fit of Wyman, Sloan & Shirley, J. Comput. Graph. Tech. 2(2), 1 (2013).
  The turn-on voltage (L = 1 cd/m²) follows from these and is solved for in
  :meth:`PeLED.turn_on_voltage`.

Transient EL (TrEL, AC), for a drive V(t) sampled on a uniform grid, all linear filters except
two pointwise operations, so traces of 10⁵ points take milliseconds:

1. u(t) = Φ(V(t)) through R_source + R_s, times an ionic injection assist
   (1 − f_i) + f_i · clip(z · sign V, 0, 1) where z follows tanh(V/V_i) with τ_i (ms): interfacial
   ions lower the injection barrier of whichever polarity they were pushed towards (Jiang et al.
   2024, section 4.3), so the EL amplitude falls when the half-period approaches τ_i.
2. Transit delay of the onset only: u_d(t) = min(u(t), u(t − t_s)); the EL falls without delay.
3. Rise: u_s = first-order low-pass of u_d with τ_r.
4. Decay: the emitting population n_k = max(u_s,k, e^{−Δt/τ_d} n_{k−1}) follows u_s while it rises
   and decays as exp(−t/τ_d) after pulse-off, never piling up above the driven level. A second
   population with τ_slow (release of trapped charge) gives the bi-exponential tail, weight
   f_slow. Reverse bias sweeps carriers out: both decay rates grow by 1 + |V|/V_so for V < 0
   (Jiang et al. 2024, section 4.3: at high frequency the reverse half-cycle pumps out injected
   carriers before they recombine).
5. Overshoot: the output is multiplied by 1 + A·o with o = max(0, 1 − c / u_d), the relative
   excess of the drive over the stored charge c, which builds up as a low-pass of u_d with τ_os
   and drains with the slower τ_reset after the drive falls (trap filling, charge accumulation):
   a pulse after a long rest overshoots fully, a fast pulse train hardly at all.

For a step 0 → u the leading edge is then u (1 − e^{−s/τ_r})(1 + A e^{−s/τ_os}), s = t − t_s;
τ_r and A are solved so that the 10–90 % rise (of the plateau, the final value) and the
peak/plateau ratio equal ``rise_time`` and ``overshoot_ratio``, and the first-light time t_s so
that the EL crosses 5 % of its plateau ``delay_time`` after the 50 % point of a sharp edge (the
usual threshold definition of t_d; the first photons come a few ns earlier, see
``describe()["first_light_time"]``). A slower edge adds the time the voltage needs to get close
to its pulse level. The EL response is defined against the applied voltage, so the RC charging
shows in the current only.

Slow processes (``advance``, exact for any step length):

- Mobile-ion state x relaxes towards x_eq(V) = V/(|V| + V_ion) with τ_x under drive and τ_rest at
  rest; a periodic drive pushes it towards the period average of x_eq, so reverse half-cycles pull
  ions back.
- Luminance overshoot under DC stress: factor 1 + a x⁺/x_ref (ions fill defects, Jiang et al.
  2024, Fig. 6a).
- Degradation: stretched exponential exp(−(θ/τ)^β) in an aged time θ with
  dθ/dt = (J/J_ref)^k [(1 − φ) + φ x⁺/x_ref]: acceleration exponent k, and a share φ of the DC
  degradation caused by accumulated ions, so AC drive with reverse half-cycles degrades more
  slowly than DC at equal mean current (seed: up to 4×). (a, τ_x, τ) are solved so that under the
  reference DC stress from a fresh device the photon output peaks at ``luminance_overshoot``
  after ``time_to_peak`` and falls to half its initial value at ``t50``. Segregation changes the
  spectrum meanwhile, so the luminance (photopic) and radiant power follow slightly different
  curves; :meth:`PeLED.dc_stress_curves` and ``describe()`` give their own T50 and peak.
- Halide segregation (Jiang et al. 2024, section 3.1, "Spectral impurity"): a reversible state
  s relaxes towards the period average of V/(|V| + V_seg) under drive (τ_seg) and to 0 at rest
  (τ_rec); a fraction of its historical maximum stays for good. It red-shifts the main EL peak and
  grows a second, red peak of segregated (iodide-rich) domains.

The J–V curve does not depend on the slow state; ions, degradation and segregation act on the
emission.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import numpy as np
from scipy.optimize import brentq

from labctl.errors import ParameterError
from labctl.sim.dut.base import (
    EPS0,
    KB,
    DeviceParameters,
    DeviceUnderTest,
    Drive,
    Q,
)
from labctl.sim.dut.peled_shapes import (
    _crossing,
    _first_crossing,
    solve_rise_and_overshoot,
    solve_stress_constants,
    stress_shape,
)
from labctl.sim.dut.physics import (
    _PERIOD_SAMPLES,
    band_figures,
    band_spectrum,
    dc_level,
    decay_filter,
    lowpass,
    positive_integral,
    relax,
    single_diode_current,
    single_diode_voltage,
    waveform_samples,
)

#: TrEL delay threshold: t_d ends when the EL crosses this fraction of its plateau.
DELAY_LEVEL = 0.05


@dataclass
class PeLEDParameters(DeviceParameters):
    """A perovskite LED pixel; every value in SI units (the bench file may use any unit)."""

    UNITS: ClassVar[dict[str, str]] = {
        "area": "m**2",
        "thickness": "m",
        "eps_r": "",
        "saturation_current_density": "A/m**2",
        "ideality": "",
        "series_resistance": "ohm*m**2",
        "shunt_resistance": "ohm*m**2",
        "temperature": "K",
        "source_resistance": "ohm",
        "eqe_intrinsic": "",
        "trap_current_density": "A/m**2",
        "rolloff_current_density": "A/m**2",
        "rolloff_exponent": "",
        "reverse_el_fraction": "",
        "peak_wavelength": "m",
        "fwhm": "m",
        "collection_fraction": "",
        "delay_time": "s",
        "rise_time": "s",
        "overshoot_ratio": "",
        "overshoot_time": "s",
        "overshoot_recovery_time": "s",
        "decay_time": "s",
        "slow_decay_time": "s",
        "slow_decay_fraction": "",
        "ionic_el_fraction": "",
        "ionic_response_time": "s",
        "ionic_voltage": "V",
        "sweep_out_voltage": "V",
        "reference_current_density": "A/m**2",
        "t50": "s",
        "acceleration_exponent": "",
        "stretch_exponent": "",
        "luminance_overshoot": "",
        "time_to_peak": "s",
        "ion_degradation_share": "",
        "ion_voltage": "V",
        "ion_recovery_time": "s",
        "segregation_shift": "m",
        "segregated_wavelength": "m",
        "segregated_fwhm": "m",
        "segregated_weight": "",
        "segregation_voltage": "V",
        "segregation_time": "s",
        "segregation_recovery_time": "s",
        "segregation_irreversible": "",
    }

    # Geometry and diode.
    area: float = 4e-6  #: m², pixel area (typ. 1–10 mm²)
    thickness: float = 100e-9  #: m, electrode spacing for the geometric capacitance (50–300 nm)
    eps_r: float = 30.0  #: relative permittivity of the stack (10–60)
    saturation_current_density: float = 2e-17  #: A/m², diode J₀ (wide gap: 1e-20–1e-14)
    ideality: float = 3.0  #: apparent ideality factor n (1.5–4 in PeLEDs)
    series_resistance: float = 1e-4  #: Ω·m², specific r_s (1 Ω·cm²; 0.1–10 Ω·cm²)
    shunt_resistance: float = 100.0  #: Ω·m², specific r_sh (1e6 Ω·cm²; 1e4–1e8 Ω·cm²)
    temperature: float = 300.0  #: K, device temperature
    source_resistance: float = 50.0  #: Ω, generator output (+ sense) resistance in pulse drive

    # Emission.
    eqe_intrinsic: float = 0.15  #: η₀, EQE without trap or roll-off losses (peak EQE is lower)
    trap_current_density: float = 0.5  #: A/m², J_t: trap losses halve the EQE (50 µA/cm²)
    rolloff_current_density: float = 2000.0  #: A/m², J_r: roll-off halves the EQE (200 mA/cm²)
    rolloff_exponent: float = 1.0  #: m, steepness of the roll-off (1–2)
    reverse_el_fraction: float = 0.01  #: EL at −V relative to +V (bidirectional EL; 0–0.3)
    peak_wavelength: float = 520e-9  #: m, EL peak of the fresh device (green CsPbBr₃-like)
    fwhm: float = 20e-9  #: m, EL full width at half maximum (15–40 nm)
    collection_fraction: float = 1e-3  #: fraction of emitted photons reaching the spectrometer

    # Transient EL (TrEL, Xu et al., APL 2019: t_d ~ 0.1 µs, rise ~ 0.15 µs, decay ~ 1 µs).
    delay_time: float = 100e-9  #: s, t_d: 50 % point of a sharp pulse edge → EL at 5 % of plateau
    rise_time: float = 150e-9  #: s, 10–90 % of the plateau on the leading edge
    overshoot_ratio: float = 1.2  #: peak / plateau EL within a pulse (1 = none; 1–2)
    overshoot_time: float = 1e-6  #: s, decay constant of the overshoot towards the plateau
    overshoot_recovery_time: float = 20e-6  #: s, rest after which the overshoot fully returns
    decay_time: float = 1e-6  #: s, fast EL decay constant after pulse-off
    slow_decay_time: float = 10e-6  #: s, slow decay constant (trapped-charge release)
    slow_decay_fraction: float = 0.05  #: amplitude share of the slow decay at pulse-off (0–0.5)
    ionic_el_fraction: float = 0.3  #: share of the DC EL that needs ions at the interfaces
    ionic_response_time: float = 2e-3  #: s, τ_i of that interfacial ionic response (0.1–100 ms)
    ionic_voltage: float = 0.5  #: V, voltage scale of the ionic injection assist
    sweep_out_voltage: float = 0.5  #: V, reverse bias that doubles the EL decay rate (sweep-out)

    # DC stress: overshoot, then stretched-exponential decay (seed: T50 33 min–682 h at 20 mA/cm²).
    reference_current_density: float = 200.0  #: A/m², J_ref of the T50 (20 mA/cm²)
    t50: float = 36000.0  #: s, time to 50 % of the initial luminance at J_ref (DC)
    acceleration_exponent: float = 1.5  #: k in T50 ∝ J^−k (1.2–2.5)
    stretch_exponent: float = 0.8  #: β of exp(−(θ/τ)^β) (0.4–1)
    luminance_overshoot: float = 1.25  #: peak / initial luminance under DC at J_ref (1 = none)
    time_to_peak: float = 300.0  #: s, time of that peak (the ion time when there is no peak)
    ion_degradation_share: float = 0.75  #: φ, share of the DC degradation due to accumulated ions
    ion_voltage: float = 1.0  #: V, V_ion in x_eq = V / (|V| + V_ion)
    ion_recovery_time: float = 1800.0  #: s, ion relaxation at rest

    # Halide segregation (mixed-halide emitters).
    segregation_shift: float = 10e-9  #: m, red shift of the main peak at full segregation
    segregated_wavelength: float = 600e-9  #: m, peak of the segregated (iodide-rich) domains
    segregated_fwhm: float = 40e-9  #: m, FWHM of that second peak
    segregated_weight: float = 0.4  #: photon share of the second peak at full segregation
    segregation_voltage: float = 3.0  #: V, V_seg in s_eq = V / (|V| + V_seg)
    segregation_time: float = 120.0  #: s, segregation time constant under drive (minutes)
    segregation_recovery_time: float = 900.0  #: s, recovery time constant at rest
    segregation_irreversible: float = 0.3  #: share of the peak segregation that never recovers


# -- the device ----------------------------------------------------------------------------------
class PeLED(DeviceUnderTest):
    """A perovskite LED pixel (see the module docstring for the equations)."""

    model = "peled"

    def __init__(self, params: PeLEDParameters | None = None) -> None:
        self.p = params or PeLEDParameters()
        self._validate()
        self.area = self.p.area
        #: mobile-ion state x (signed; > 0 accumulated by forward bias)
        self.ion_state = 0.0
        #: θ, aged time at the reference stress (s)
        self.aged_time = 0.0
        #: reversible halide segregation and the largest it has been
        self.segregation_reversible = 0.0
        self.segregation_max = 0.0
        self._stress_cache: dict[object, tuple[float, float, float]] = {}
        self._average_cache: dict[object, float] = {}
        self._figures_key: float | None = None
        self._figures = (0.0, 0.0)
        # Solve the calibrations now, so that impossible settings fail when the bench loads.
        _ = self._trel_constants, self._stress_constants

    def _validate(self) -> None:
        p = self.p
        positive = (
            "area", "thickness", "eps_r", "saturation_current_density", "ideality",
            "series_resistance", "shunt_resistance", "temperature", "eqe_intrinsic",
            "trap_current_density", "rolloff_current_density", "rolloff_exponent",
            "peak_wavelength", "fwhm", "rise_time", "overshoot_time", "overshoot_recovery_time",
            "decay_time",
            "slow_decay_time", "ionic_response_time", "ionic_voltage", "sweep_out_voltage",
            "reference_current_density", "t50", "acceleration_exponent", "stretch_exponent",
            "time_to_peak", "ion_voltage", "ion_recovery_time", "segregated_wavelength",
            "segregated_fwhm", "segregation_voltage", "segregation_time",
            "segregation_recovery_time",
        )
        for name in positive:
            if not getattr(p, name) > 0:
                raise ParameterError(f"sim.dut.{name}: must be > 0, got {getattr(p, name)!r}")
        fractions = (
            "eqe_intrinsic", "reverse_el_fraction", "collection_fraction", "slow_decay_fraction",
            "ionic_el_fraction", "ion_degradation_share", "segregated_weight",
            "segregation_irreversible",
        )
        for name in fractions:
            if not 0 <= getattr(p, name) <= 1:
                value = getattr(p, name)
                raise ParameterError(f"sim.dut.{name}: must lie in [0, 1], got {value!r}")
        if p.delay_time < 0 or p.source_resistance < 0 or p.segregation_shift < 0:
            raise ParameterError("sim.dut: delay_time, source_resistance, segregation_shift ≥ 0")
        if p.overshoot_ratio < 1:
            raise ParameterError(f"sim.dut.overshoot_ratio: must be ≥ 1, got {p.overshoot_ratio}")
        if p.overshoot_ratio > 1 and p.overshoot_time < 2 * p.rise_time:
            raise ParameterError("sim.dut.overshoot_time: must be ≥ 2 × rise_time")
        if p.luminance_overshoot < 1:
            raise ParameterError("sim.dut.luminance_overshoot: must be ≥ 1 (1 = no overshoot)")
        if p.time_to_peak >= p.t50:
            raise ParameterError("sim.dut.time_to_peak: must be shorter than t50")

    # -- electrical ---------------------------------------------------------------------------
    @property
    def thermal_voltage(self) -> float:
        """V, n k_B T / q."""
        return self.p.ideality * KB * self.p.temperature / Q

    @property
    def series_resistance(self) -> float:
        """Ω, the device's series resistance r_s / A."""
        return self.p.series_resistance / self.p.area

    @property
    def shunt_resistance(self) -> float:
        """Ω, the device's shunt resistance r_sh / A."""
        return self.p.shunt_resistance / self.p.area

    def _diode(self, voltage: float | np.ndarray,
               extra_resistance: float = 0.0) -> float | np.ndarray:
        p = self.p
        return single_diode_current(
            voltage,
            p.saturation_current_density * p.area,
            self.thermal_voltage,
            self.series_resistance + extra_resistance,
            self.shunt_resistance,
        )

    def current(self, voltage: float) -> float:
        """A, closed-form diode with series and shunt resistance (independent of slow state)."""
        return float(self._diode(float(voltage)))

    def voltage_for_current(self, current: float, limit: float) -> float:
        p = self.p
        v = single_diode_voltage(
            float(current),
            p.saturation_current_density * p.area,
            self.thermal_voltage,
            self.series_resistance,
            self.shunt_resistance,
        )
        return float(min(max(v, -limit), limit))

    def capacitance(self) -> float:
        """F, ε₀ ε_r A / d."""
        return EPS0 * self.p.eps_r * self.p.area / self.p.thickness

    @property
    def tau_rc(self) -> float:
        """s, RC time of the pulse circuit: (R_source + R_s) · C."""
        return (self.p.source_resistance + self.series_resistance) * self.capacitance()

    # -- emission, quasi-static ---------------------------------------------------------------
    def eqe(self, current_density: float | np.ndarray) -> float | np.ndarray:
        """EQE at ``current_density`` (A/m², ≥ 0) for the fresh device."""
        p = self.p
        j = np.maximum(np.asarray(current_density, dtype=float), 0.0)
        x = j / p.trap_current_density
        result = (
            p.eqe_intrinsic * x / (1.0 + x)
            / (1.0 + (j / p.rolloff_current_density) ** p.rolloff_exponent)
        )
        return float(result) if np.ndim(result) == 0 else result

    def _photon_rate(self, voltage: np.ndarray, extra_resistance: float) -> np.ndarray:
        """Photons/s of the fresh device without the ionic assist: EQE(J_rec) · I_rec / q, with
        I_rec the junction (recombination) current; reverse bias emits a fraction of it."""
        v = np.asarray(voltage, dtype=float)
        magnitude = np.abs(v)
        i_fwd = np.asarray(self._diode(magnitude, extra_resistance), dtype=float)
        # Only the current through the junction recombines; the shunt leaks without light.
        junction = magnitude - i_fwd * (self.series_resistance + extra_resistance)
        i_rec = np.maximum(i_fwd - junction / self.shunt_resistance, 0.0)
        rate = np.asarray(self.eqe(i_rec / self.p.area), dtype=float) * i_rec / Q
        return np.where(v < 0, self.p.reverse_el_fraction * rate, rate)

    def _ionic_assist_dc(self, voltage: float) -> float:
        f = self.p.ionic_el_fraction
        return (1 - f) + f * math.tanh(abs(voltage) / self.p.ionic_voltage)

    @property
    def segregation(self) -> float:
        """Total segregation S ∈ [0, 1]: reversible part plus the permanent share of its maximum."""
        f = self.p.segregation_irreversible
        return f * self.segregation_max + (1 - f) * self.segregation_reversible

    def bands(self) -> list[tuple[float, float, float]]:
        """EL bands now: (photon share, centre m, FWHM m) of the main and the segregated peak."""
        return self._bands_at(self.segregation)

    def _bands_at(self, s: float) -> list[tuple[float, float, float]]:
        p = self.p
        weight = p.segregated_weight * s
        return [
            (1.0 - weight, p.peak_wavelength + p.segregation_shift * s, p.fwhm),
            (weight, p.segregated_wavelength, p.segregated_fwhm),
        ]

    def _spectral_figures(self) -> tuple[float, float]:
        """(mean photon energy J, luminous efficacy lm/W), cached until the segregation changes."""
        key = self.segregation
        if key != self._figures_key:
            self._figures = band_figures(self.bands())
            self._figures_key = key
        return self._figures

    def emission_factor(self) -> float:
        """Present luminance relative to the fresh device at equal current: overshoot × decay."""
        a, _, tau = self._stress_constants
        boost = 1.0 + a * max(self.ion_state, 0.0) / self._x_ref
        return boost * math.exp(-((self.aged_time / tau) ** self.p.stretch_exponent))

    def photon_rate(self, drive: Drive) -> float:
        """Photons/s emitted (forward hemisphere) under ``drive``, period-averaged under AC."""
        v = dc_level(drive)
        if v is None:
            base = self._waveform_average(drive.waveform)
        elif v != 0.0:
            base = float(self._photon_rate(np.array([v]), 0.0)[0]) * self._ionic_assist_dc(v)
        else:
            return 0.0
        return base * self.emission_factor()

    def optical_power(self, drive: Drive) -> float:
        """W emitted towards the photodiode: EQE · I / q · ⟨hc/λ⟩ (period average under AC)."""
        return self.photon_rate(drive) * self._spectral_figures()[0]

    def luminance(self, drive: Drive) -> float:
        """cd/m², Lambertian: L = K_m ∫ V(λ) P_λ dλ / (π A)."""
        efficacy = self._spectral_figures()[1]
        return self.optical_power(drive) * efficacy / (math.pi * self.p.area)

    def spectrum(self, wavelength: np.ndarray, drive: Drive) -> np.ndarray:
        """Photons/s per m of wavelength at the spectrometer."""
        rate = self.photon_rate(drive) * self.p.collection_fraction
        return rate * band_spectrum(np.asarray(wavelength, dtype=float), self.bands())

    def turn_on_voltage(self, luminance: float = 1.0) -> float:
        """V at which the DC luminance reaches ``luminance`` (cd/m²) in the present state."""

        def excess(v: float) -> float:
            return math.log(max(self.luminance(Drive(voltage=v)), 1e-300) / luminance)

        high = 1.0
        while excess(high) < 0:
            high *= 1.5
            if high > 100:
                return math.nan
        return float(brentq(excess, 1e-3, high, xtol=1e-9))

    def reference_voltage(self) -> float:
        """V at which the (DC) current density is J_ref."""
        return self.voltage_for_current(self.p.reference_current_density * self.p.area, 1e3)

    # -- transient ----------------------------------------------------------------------------
    @cached_property
    def _trel_constants(self) -> tuple[float, float, float]:
        """(τ_r, A, transit shift) such that the leading edge (1 − e^{−s/τ_r})(1 + A e^{−s/τ_os})
        has the set 10–90 % rise time and peak/plateau ratio, and crosses ``DELAY_LEVEL`` of the
        plateau ``delay_time`` after a sharp pulse edge."""
        p = self.p
        tau_r, amp = solve_rise_and_overshoot(p.rise_time, p.overshoot_ratio, p.overshoot_time)
        first_light = _crossing(tau_r, amp, p.overshoot_time, DELAY_LEVEL)
        return tau_r, amp, max(p.delay_time - first_light, 0.0)

    def transient(self, time: np.ndarray, volts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(optical power W, current A) for the applied ``volts`` on the uniform grid ``time``.

        The device is taken to be in steady state at ``volts[0]`` before the record starts.
        """
        t = np.asarray(time, dtype=float)
        v = np.asarray(volts, dtype=float)
        if t.size < 2:
            drive = Drive(voltage=float(v[0])) if v.size else Drive()
            power = np.full(t.shape, self.optical_power(drive))
            return power, np.array([self.current(float(x)) for x in v])
        dt = (t[-1] - t[0]) / (t.size - 1)
        r_total = self.p.source_resistance + self.series_resistance
        rate = self._el_response(t, v, dt, r_total)
        power = rate * self.emission_factor() * self._spectral_figures()[0]
        return power, self._circuit_current(v, dt, r_total)

    def _el_response(self, t: np.ndarray, v: np.ndarray, dt: float, r_total: float,
                     z0: float | None = None) -> np.ndarray:
        """Photons/s of the fresh device for the drive ``v(t)`` (steps 1–5 of the docstring)."""
        p = self.p
        tau_r, amp, shift = self._trel_constants
        drive_ions = np.tanh(v / p.ionic_voltage)
        z = lowpass(drive_ions, p.ionic_response_time, dt,
                    drive_ions[0] if z0 is None else z0)
        assist = (1 - p.ionic_el_fraction) + p.ionic_el_fraction * np.clip(z * np.sign(v), 0, 1)
        u = self._photon_rate(v, r_total - self.series_resistance) * assist
        if shift > 0:
            u = np.minimum(u, np.interp(t - shift, t, u, left=u[0]))
        smooth = lowpass(u, tau_r, dt, u[0])
        # A reverse field sweeps the carriers out before they recombine.
        sweep = 1.0 + np.maximum(-v, 0.0) / p.sweep_out_voltage
        fast = decay_filter(smooth, p.decay_time, dt, sweep)
        if p.slow_decay_fraction > 0:
            slow = decay_filter(smooth, p.slow_decay_time, dt, sweep)
            el = (1 - p.slow_decay_fraction) * fast + p.slow_decay_fraction * slow
        else:
            el = fast
        if amp > 0:
            # Charge stored by the recent drive: builds up with τ_os, drains with the (slower)
            # recovery time once the drive falls, so fast repetition leaves little overshoot.
            recent = decay_filter(lowpass(u, p.overshoot_time, dt, u[0]),
                                  p.overshoot_recovery_time, dt)
            with np.errstate(divide="ignore", invalid="ignore"):
                excess = np.where(u > 0, np.clip(1.0 - recent / u, 0.0, 1.0), 0.0)
            el = el * (1.0 + amp * excess)
        return el

    def _circuit_current(self, v: np.ndarray, dt: float, r_total: float) -> np.ndarray:
        """A: the diode current plus charging of C through R_source + R_s.

        The junction node follows its quasi-static value V − I R with τ_RC, and the current is
        (V − V_j)/R: exact below turn-on and in steady state, first order in between.
        """
        i_ss = np.asarray(self._diode(v, self.p.source_resistance), dtype=float)
        if r_total > 0:
            vj_ss = v - i_ss * r_total
            vj = lowpass(vj_ss, self.tau_rc, dt, vj_ss[0])
            return (v - vj) / r_total
        return i_ss + self.capacitance() * np.gradient(v, dt)

    def _waveform_average(self, waveform: object) -> float:
        """Period-averaged photons/s of the fresh device under a generator waveform."""
        cached = self._average_cache.get(waveform)
        if cached is not None:
            return cached
        p = self.p
        n = _PERIOD_SAMPLES
        period = float(waveform.period)  # type: ignore[attr-defined]
        # Enough periods for the µs states to reach their periodic steady state.
        memory = max(p.slow_decay_time, p.decay_time, p.overshoot_recovery_time, p.delay_time)
        periods = 1 + min(max(math.ceil(5 * memory / period), 1), 50)
        t = np.arange(periods * n) * (period / n)
        v = np.asarray(waveform.sample(t), dtype=float)  # type: ignore[attr-defined]
        dt = period / n
        # Periodic steady state of the slow ionic state z: z₀ = z_end(from 0) / (1 − a^N).
        drive_ions = np.tanh(v[:n] / p.ionic_voltage)
        decay = math.exp(-period / p.ionic_response_time)
        z_end = lowpass(drive_ions, p.ionic_response_time, dt, 0.0)[-1]
        z0 = z_end / (1 - decay) if decay < 1 else float(drive_ions.mean())
        rate = self._el_response(t, v, dt, p.source_resistance + self.series_resistance, z0)
        value = float(rate[-n:].mean())
        if len(self._average_cache) > 64:
            self._average_cache.clear()
        self._average_cache[waveform] = value
        return value

    # -- slow processes -----------------------------------------------------------------------
    @property
    def _x_ref(self) -> float:
        return float(self._x_eq(self.reference_voltage()))

    def _x_eq(self, v: float | np.ndarray) -> float | np.ndarray:
        return v / (np.abs(v) + self.p.ion_voltage)

    @cached_property
    def _stress_constants(self) -> tuple[float, float, float]:
        """(a, τ_x, τ) of the DC-stress luminance, solved from the set overshoot, peak time, T50."""
        p = self.p
        return solve_stress_constants(
            p.luminance_overshoot, p.time_to_peak, p.t50, p.stretch_exponent,
            p.ion_degradation_share,
        )

    def _stress(self, drive: Drive) -> tuple[float, float, float]:
        """(ion target x_eq, degradation rate dθ/dt before the ion factor, segregation target)."""
        p = self.p
        v = dc_level(drive)
        if v is not None:
            j = max(self.current(v), 0.0) / p.area
            return (
                float(self._x_eq(v)),
                (j / p.reference_current_density) ** p.acceleration_exponent,
                max(v / (abs(v) + p.segregation_voltage), 0.0),
            )
        cached = self._stress_cache.get(drive.waveform)
        if cached is not None:
            return cached
        v = waveform_samples(drive.waveform)
        i = np.asarray(self._diode(v, p.source_resistance), dtype=float)
        j = np.maximum(i, 0.0) / p.area
        result = (
            float(np.mean(self._x_eq(v))),
            float(np.mean((j / p.reference_current_density) ** p.acceleration_exponent)),
            max(float(np.mean(v / (np.abs(v) + p.segregation_voltage))), 0.0),
        )
        if len(self._stress_cache) > 64:
            self._stress_cache.clear()
        self._stress_cache[drive.waveform] = result
        return result

    def advance(self, start: float, duration: float, drive: Drive) -> None:
        """Ion drift, degradation and segregation over ``duration`` s: closed-form updates."""
        if not duration > 0:
            return
        p = self.p
        _, tau_x, _ = self._stress_constants
        driven = drive.driven
        if driven:
            x_target, rate, s_target = self._stress(drive)
            tau_ion, tau_seg = tau_x, p.segregation_time
        else:
            x_target, rate, s_target = 0.0, 0.0, 0.0
            tau_ion, tau_seg = p.ion_recovery_time, p.segregation_recovery_time
        x0 = self.ion_state
        if rate > 0:
            phi = p.ion_degradation_share
            ions = positive_integral(x0, x_target, tau_ion, duration) / self._x_ref
            self.aged_time += rate * ((1 - phi) * duration + phi * ions)
        self.ion_state = relax(x0, x_target, tau_ion, duration)
        self.segregation_reversible = relax(
            self.segregation_reversible, s_target, tau_seg, duration
        )
        # Exponential relaxation is monotonic, so the maximum over the step is at an end.
        self.segregation_max = max(self.segregation_max, self.segregation_reversible)

    # -- truth --------------------------------------------------------------------------------
    def peak_eqe(self) -> tuple[float, float]:
        """(peak EQE, current density A/m² where it occurs) of the fresh device."""
        j = np.geomspace(1e-4, 1e5, 4001)
        eqe = np.asarray(self.eqe(j))
        k = int(np.argmax(eqe))
        return float(eqe[k]), float(j[k])

    def stress_curve(self, time: np.ndarray) -> np.ndarray:
        """L(t)/L(0) under constant DC J_ref from a fresh device (the closed form behind t50)."""
        a, tau_x, tau = self._stress_constants
        return stress_shape(np.asarray(time, dtype=float), a, tau_x, tau,
                            self.p.stretch_exponent, self.p.ion_degradation_share)

    def dc_stress_curves(self, time: np.ndarray) -> dict[str, np.ndarray]:
        """Relative photon output, optical power and luminance under constant DC J_ref from a
        fresh device, in closed form. ``t50``, ``time_to_peak`` and ``luminance_overshoot`` are
        set on the photon output; segregation changes the spectrum as well, so the radiant power
        and the luminance (photopic weighting) follow slightly different curves."""
        p = self.p
        t = np.asarray(time, dtype=float)
        photons = self.stress_curve(t)
        v_ref = self.reference_voltage()
        s_target = v_ref / (v_ref + p.segregation_voltage)
        seg = s_target * -np.expm1(-t / p.segregation_time)
        grid = np.linspace(0.0, max(float(seg.max()), 1e-12), 65)
        energy, efficacy = np.array([band_figures(self._bands_at(s)) for s in grid]).T
        e_t = np.interp(seg, grid, energy) / energy[0]
        k_t = np.interp(seg, grid, efficacy) / efficacy[0]
        return {"photons": photons, "power": photons * e_t, "luminance": photons * e_t * k_t}

    def describe(self) -> dict[str, float]:
        p = self.p
        a, tau_x, tau = self._stress_constants
        tau_r, amp, shift = self._trel_constants
        peak_eqe, j_peak = self.peak_eqe()
        integrated = p.slow_decay_fraction * p.slow_decay_time
        integrated /= integrated + (1 - p.slow_decay_fraction) * p.decay_time
        bands = self.bands()
        t = np.concatenate([[0.0], np.geomspace(p.time_to_peak * 1e-3, p.t50 * 100, 4001)])
        curves = self.dc_stress_curves(t)
        stress = {}
        for name, curve in curves.items():
            k = int(np.argmax(curve))
            stress[f"time_to_peak_{name}"] = float(t[k])
            stress[f"peak_ratio_{name}"] = float(curve[k])
            stress[f"t50_{name}"] = _first_crossing(t, curve, 0.5, k)
            stress[f"t50_from_peak_{name}"] = _first_crossing(t, curve, 0.5 * curve[k], k)
        return {
            "area": p.area,
            "thickness": p.thickness,
            "eps_r": p.eps_r,
            "capacitance": self.capacitance(),
            "series_resistance": self.series_resistance,
            "shunt_resistance": self.shunt_resistance,
            "ideality": p.ideality,
            "saturation_current_density": p.saturation_current_density,
            "tau_rc": self.tau_rc,
            "turn_on_voltage": self.turn_on_voltage(),
            "peak_eqe": peak_eqe,
            "peak_eqe_current_density": j_peak,
            "delay_time": p.delay_time,
            "rise_time": p.rise_time,
            "overshoot_ratio": p.overshoot_ratio,
            "decay_time": p.decay_time,
            "slow_decay_time": p.slow_decay_time,
            "slow_decay_fraction": p.slow_decay_fraction,
            "slow_integrated_fraction": integrated,
            "effective_decay_time": (1 - p.slow_decay_fraction) * p.decay_time
            + p.slow_decay_fraction * p.slow_decay_time,
            "first_light_time": shift,
            "rise_constant": tau_r,
            "overshoot_amplitude": amp,
            "reference_current_density": p.reference_current_density,
            "reference_voltage": self.reference_voltage(),
            "t50": p.t50,
            "luminance_overshoot": p.luminance_overshoot,
            "time_to_peak": p.time_to_peak,
            "acceleration_exponent": p.acceleration_exponent,
            "stretch_exponent": p.stretch_exponent,
            "degradation_time": tau,
            "ion_time": tau_x,
            "ion_boost": a,
            "peak_wavelength": bands[0][1],
            "fwhm": p.fwhm,
            "segregation": self.segregation,
            "segregated_wavelength": p.segregated_wavelength,
            "segregated_weight": bands[1][0],
            "ion_state": self.ion_state,
            "emission_factor": self.emission_factor(),
            **stress,
        }


# -- calibration of the set truths ---------------------------------------------------------------
