"""A perovskite solar cell: single-diode J–V under AM1.5G, with mobile-ion hysteresis.

Current into the device terminals (what an SMU measures; I < 0 in the power quadrant, V > 0):

    I = I₀ [exp((V − I R_s)/(n V_T)) − 1] + (V − I R_s)/R_sh − I_ph,

with I_ph = J_ph A · G/G_ref under illumination (G_ref = 1000 W/m², AM1.5G), solved in closed
form with the Lambert W function (Jain & Kapoor, Sol. Energy Mater. Sol. Cells 81, 269 (2004)).

Hysteresis (mobile ions; van Reenen, Kemerink & Snaith, J. Phys. Chem. Lett. 6, 3808 (2015)):
an ion state x relaxes towards x_eq(V) = tanh(V / V_ion) with τ_ion. When x lags behind the
applied voltage, Δ = x_eq(V) − x ≠ 0 modulates interfacial recombination and collection,

    I₀ → I₀ exp(c_rec Δ),   I_ph → I_ph (1 − c_col Δ).

A forward scan from short-circuit preconditioning has Δ > 0 (worse), a reverse scan from
forward bias Δ < 0 (better): the usual normal hysteresis, largest when the sweep takes about
τ_ion and vanishing for sweeps much slower than τ_ion. At equilibrium (Δ = 0) the cell is the plain
single-diode model, and :meth:`SolarCell.voc`, :meth:`jsc`, :meth:`fill_factor`, :meth:`pce` and
:meth:`mpp` solve it: FF = P_max / (V_oc J_sc), PCE = P_max / P_in.

The cell is treated as short-circuited when undriven (``Drive`` cannot tell an open output from
0 V). Its electroluminescence under forward current is weak (EQE_EL ≈ 1e-4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from labctl.errors import ParameterError
from labctl.sim.dut.base import EPS0, KB, DeviceParameters, DeviceUnderTest, Drive, Q
from labctl.sim.dut.physics import (
    band_figures,
    band_spectrum,
    dc_level,
    lowpass,
    relax,
    single_diode_current,
    waveform_samples,
)

#: W/m², the AM1.5G reference irradiance (100 mW/cm²).
ONE_SUN = 1000.0


@dataclass
class SolarCellParameters(DeviceParameters):
    """A perovskite solar cell; every value in SI units."""

    UNITS: ClassVar[dict[str, str]] = {
        "area": "m**2",
        "thickness": "m",
        "eps_r": "",
        "photocurrent_density": "A/m**2",
        "irradiance": "W/m**2",
        "saturation_current_density": "A/m**2",
        "ideality": "",
        "series_resistance": "ohm*m**2",
        "shunt_resistance": "ohm*m**2",
        "temperature": "K",
        "source_resistance": "ohm",
        "ion_time": "s",
        "ion_voltage": "V",
        "hysteresis_recombination": "",
        "hysteresis_collection": "",
        "eqe_el": "",
        "el_peak_wavelength": "m",
        "el_fwhm": "m",
        "collection_fraction": "",
    }

    area: float = 1e-5  #: m², active (masked) area (0.1 cm²; 0.05–1 cm²)
    thickness: float = 500e-9  #: m, absorber thickness for the geometric capacitance
    eps_r: float = 30.0  #: relative permittivity of the absorber
    photocurrent_density: float = 205.0  #: A/m², J_ph at 1 sun (20.5 mA/cm²)
    irradiance: float = 1000.0  #: W/m², irradiance of the solar simulator (100 mW/cm² AM1.5G)
    saturation_current_density: float = 2e-9  #: A/m², J₀ (2e-13 A/cm²)
    ideality: float = 1.7  #: n (1–2)
    series_resistance: float = 4e-4  #: Ω·m², specific r_s (4 Ω·cm²; 1–10 Ω·cm²)
    shunt_resistance: float = 1.0  #: Ω·m², specific r_sh (1e4 Ω·cm²; 1e3–1e5 Ω·cm²)
    temperature: float = 298.15  #: K, cell temperature (25 °C standard test conditions)
    source_resistance: float = 50.0  #: Ω, generator output (+ sense) resistance in pulse drive
    ion_time: float = 5.0  #: s, τ_ion of the mobile ions (0.1–100 s)
    ion_voltage: float = 0.8  #: V, V_ion in x_eq = tanh(V / V_ion)
    hysteresis_recombination: float = 2.0  #: c_rec, ln of the J₀ change per unit ion lag
    hysteresis_collection: float = 0.1  #: c_col, relative J_ph change per unit ion lag
    eqe_el: float = 1e-4  #: external EL quantum efficiency under forward current
    el_peak_wavelength: float = 790e-9  #: m, EL/PL peak (FAPbI₃-like)
    el_fwhm: float = 45e-9  #: m, EL full width at half maximum
    collection_fraction: float = 1e-3  #: fraction of emitted photons reaching the spectrometer


class SolarCell(DeviceUnderTest):
    """Single-diode solar cell with ion-driven hysteresis (see the module docstring)."""

    model = "solar"

    def __init__(self, params: SolarCellParameters | None = None) -> None:
        self.p = params or SolarCellParameters()
        self._validate()
        self.area = self.p.area
        #: x, mobile-ion state; starts at equilibrium at 0 V
        self.ion_state = 0.0
        #: whether the solar simulator was on when the bench last said
        self.illuminated = True
        self._stress_cache: dict[object, float] = {}

    def _validate(self) -> None:
        p = self.p
        for name in ("area", "thickness", "eps_r", "saturation_current_density", "ideality",
                     "series_resistance", "shunt_resistance", "temperature", "ion_time",
                     "ion_voltage", "el_peak_wavelength", "el_fwhm"):
            if not getattr(p, name) > 0:
                raise ParameterError(f"sim.dut.{name}: must be > 0, got {getattr(p, name)!r}")
        for name in ("photocurrent_density", "irradiance", "source_resistance",
                     "hysteresis_recombination", "hysteresis_collection"):
            if getattr(p, name) < 0:
                raise ParameterError(f"sim.dut.{name}: must be ≥ 0, got {getattr(p, name)!r}")
        for name in ("eqe_el", "collection_fraction"):
            if not 0 <= getattr(p, name) <= 1:
                value = getattr(p, name)
                raise ParameterError(f"sim.dut.{name}: must lie in [0, 1], got {value!r}")

    # -- model pieces -------------------------------------------------------------------------
    @property
    def thermal_voltage(self) -> float:
        """V, n k_B T / q."""
        return self.p.ideality * KB * self.p.temperature / Q

    @property
    def series_resistance(self) -> float:
        """Ω, r_s / A."""
        return self.p.series_resistance / self.p.area

    @property
    def shunt_resistance(self) -> float:
        """Ω, r_sh / A."""
        return self.p.shunt_resistance / self.p.area

    def photocurrent(self, illuminated: bool | None = None) -> float:
        """A, I_ph = J_ph A G / G_ref (0 in the dark)."""
        lit = self.illuminated if illuminated is None else illuminated
        p = self.p
        return p.photocurrent_density * p.area * p.irradiance / ONE_SUN if lit else 0.0

    def x_eq(self, voltage: float | np.ndarray) -> float | np.ndarray:
        """Equilibrium ion state at ``voltage``."""
        return np.tanh(np.asarray(voltage, dtype=float) / self.p.ion_voltage)

    def _current(self, voltage: float | np.ndarray, ion_state: float | np.ndarray | None,
                 extra_resistance: float = 0.0, illuminated: bool | None = None,
                 ) -> float | np.ndarray:
        """A at ``voltage`` with the ions at ``ion_state`` (None: at equilibrium, Δ = 0)."""
        p = self.p
        v = np.asarray(voltage, dtype=float)
        i0 = p.saturation_current_density * p.area
        iph = self.photocurrent(illuminated)
        if ion_state is None:
            return single_diode_current(v, i0, self.thermal_voltage,
                                        self.series_resistance + extra_resistance,
                                        self.shunt_resistance, iph)
        lag = self.x_eq(v) - ion_state
        i0_eff = i0 * np.exp(p.hysteresis_recombination * lag)
        iph_eff = iph * np.maximum(1.0 - p.hysteresis_collection * lag, 0.0)
        return single_diode_current(v, i0_eff, self.thermal_voltage,
                                    self.series_resistance + extra_resistance,
                                    self.shunt_resistance, iph_eff)

    # -- electrical ---------------------------------------------------------------------------
    def current(self, voltage: float) -> float:
        """A into the device at ``voltage`` with the present ion state and illumination."""
        return float(self._current(float(voltage), self.ion_state))

    def steady_state_current(self, voltage: float | np.ndarray) -> float | np.ndarray:
        """A with the ions at equilibrium at each ``voltage`` (what a very slow scan reads)."""
        return self._current(voltage, None)

    def capacitance(self) -> float:
        """F, ε₀ ε_r A / d."""
        return EPS0 * self.p.eps_r * self.p.area / self.p.thickness

    @property
    def tau_rc(self) -> float:
        """s, (R_source + R_s) C."""
        return (self.p.source_resistance + self.series_resistance) * self.capacitance()

    # -- time ---------------------------------------------------------------------------------
    def _target(self, drive: Drive) -> float:
        level = dc_level(drive)
        if level is not None:
            return float(self.x_eq(level))
        cached = self._stress_cache.get(drive.waveform)
        if cached is None:
            cached = float(np.mean(self.x_eq(waveform_samples(drive.waveform))))
            if len(self._stress_cache) > 64:
                self._stress_cache.clear()
            self._stress_cache[drive.waveform] = cached
        return cached

    def advance(self, start: float, duration: float, drive: Drive) -> None:
        """Ions relax towards x_eq of the drive (a periodic drive: its period average); exact."""
        self.illuminated = bool(drive.illuminated)
        if duration > 0:
            self.ion_state = relax(self.ion_state, self._target(drive), self.p.ion_time, duration)

    # -- light --------------------------------------------------------------------------------
    def _bands(self) -> list[tuple[float, float, float]]:
        return [(1.0, self.p.el_peak_wavelength, self.p.el_fwhm)]

    def photon_rate(self, drive: Drive) -> float:
        """Electroluminescence photons/s: EQE_EL times the forward current (weak)."""
        level = dc_level(drive)
        if level is not None and level != 0.0:
            forward = max(self.current(level) + self.photocurrent(), 0.0)
        elif level is None:
            v = waveform_samples(drive.waveform, 512)
            i = np.asarray(self._current(v, self.ion_state, self.p.source_resistance))
            forward = float(np.mean(np.maximum(i + self.photocurrent(), 0.0)))
        else:
            return 0.0
        return self.p.eqe_el * forward / Q

    def optical_power(self, drive: Drive) -> float:
        self.illuminated = bool(drive.illuminated)
        return self.photon_rate(drive) * band_figures(self._bands())[0]

    def luminance(self, drive: Drive) -> float:
        energy, efficacy = band_figures(self._bands())
        return self.photon_rate(drive) * energy * efficacy / (math.pi * self.p.area)

    def spectrum(self, wavelength: np.ndarray, drive: Drive) -> np.ndarray:
        rate = self.photon_rate(drive) * self.p.collection_fraction
        return rate * band_spectrum(np.asarray(wavelength, dtype=float), self._bands())

    def transient(self, time: np.ndarray, volts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(EL power W, current A): ions frozen; C charges through R_source + R_s."""
        t = np.asarray(time, dtype=float)
        v = np.asarray(volts, dtype=float)
        r_total = self.p.source_resistance + self.series_resistance
        i_ss = np.asarray(self._current(v, self.ion_state, self.p.source_resistance), dtype=float)
        energy = band_figures(self._bands())[0]
        power = self.p.eqe_el * np.maximum(i_ss + self.photocurrent(), 0.0) / Q * energy
        if t.size < 2:
            return power, i_ss
        dt = (t[-1] - t[0]) / (t.size - 1)
        if r_total > 0:
            vj_ss = v - i_ss * r_total
            vj = lowpass(vj_ss, self.tau_rc, dt, vj_ss[0])
            return power, (v - vj) / r_total
        return power, i_ss + self.capacitance() * np.gradient(v, dt)

    # -- truth (steady state, ions at equilibrium, the set irradiance) -------------------------
    def _steady_density(self, voltage: float) -> float:
        """A/m² at ``voltage`` under illumination with the ions at equilibrium."""
        return float(self._current(voltage, None, illuminated=True)) / self.p.area

    def jsc(self) -> float:
        """A/m², short-circuit current density (positive)."""
        return -self._steady_density(0.0)

    def voc(self) -> float:
        """V, open-circuit voltage: I(V_oc) = 0."""
        high = 0.5
        while self._steady_density(high) < 0:
            high += 0.5
        return float(brentq(self._steady_density, 0.0, high, xtol=1e-12))

    def mpp(self) -> tuple[float, float, float]:
        """(V_mp in V, J_mp in A/m² positive, P_max in W/m²) at the maximum power point."""
        voc = self.voc()
        found = minimize_scalar(
            lambda v: v * self._steady_density(v), bounds=(0.0, voc), method="bounded",
            options={"xatol": 1e-10},
        )
        v_mp = float(found.x)
        j_mp = -self._steady_density(v_mp)
        return v_mp, j_mp, v_mp * j_mp

    def fill_factor(self) -> float:
        """FF = P_max / (V_oc J_sc) (NaN in the dark)."""
        denominator = self.voc() * self.jsc()
        return self.mpp()[2] / denominator if denominator > 0 else math.nan

    def pce(self) -> float:
        """PCE = P_max / P_in (fraction; NaN in the dark)."""
        return self.mpp()[2] / self.p.irradiance if self.p.irradiance > 0 else math.nan

    def describe(self) -> dict[str, float]:
        p = self.p
        v_mp, j_mp, p_max = self.mpp()
        return {
            "voc": self.voc(),
            "jsc": self.jsc(),
            "fill_factor": self.fill_factor(),
            "pce": self.pce(),
            "v_mp": v_mp,
            "j_mp": j_mp,
            "p_max": p_max,
            "irradiance": p.irradiance,
            "photocurrent_density": p.photocurrent_density * p.irradiance / ONE_SUN,
            "saturation_current_density": p.saturation_current_density,
            "ideality": p.ideality,
            "series_resistance": p.series_resistance,
            "shunt_resistance": p.shunt_resistance,
            "temperature": p.temperature,
            "area": p.area,
            "ion_time": p.ion_time,
            "ion_state": self.ion_state,
            "capacitance": self.capacitance(),
            "tau_rc": self.tau_rc,
        }

