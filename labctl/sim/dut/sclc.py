"""A single-carrier device for SCLC: ohmic, trap-filling and Mott–Gurney regimes, plus mobile ions.

Current density (SI units throughout):

- ohmic, J_Ω = q n₀ μ V / L;
- space-charge limited, J_SCLC = g(V) · (9/8) ε₀ ε_r μ V² / L³ (Mott–Gurney, Jiang et al. 2024,
  Mott & Gurney 1940), where g = θ below the trap-filled limit and rises steeply to 1 just above it;
- the trap-filled limit V_TFL = q N_t L² / (2 ε₀ ε_r) (Jiang et al. 2024, eq. 13), so that N_t set
  in the bench file is what an analysis should recover;
- J = J_Ω + J_SCLC, times (1 + h·x) for the ion state x ∈ [0, 1], which relaxes towards
  |V|/(|V| + V_ion) with time constant τ_ion: sweeps slower or faster than τ_ion show little
  hysteresis, sweeps near τ_ion show the most, and ms pulses over 0 V see almost none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from labctl.sim.dut.base import EPS0, DeviceParameters, DeviceUnderTest, Drive, Q


@dataclass
class SCLCParameters(DeviceParameters):
    UNITS: ClassVar[dict[str, str]] = {
        "thickness": "m",
        "eps_r": "",
        "mobility": "m**2/(V*s)",
        "trap_density": "1/m**3",
        "free_carrier_density": "1/m**3",
        "area": "m**2",
        "theta": "",
        "tfl_width": "",
        "ion_strength": "",
        "ion_time": "s",
        "ion_voltage": "V",
        "temperature": "K",
    }

    thickness: float = 1e-6
    eps_r: float = 30.0
    mobility: float = 2e-6  # 0.02 cm²/Vs
    trap_density: float = 1e22  # 1e16 cm⁻³
    free_carrier_density: float = 1e19
    area: float = 1e-6  # 1 mm²
    theta: float = 0.01  # free / total carriers below V_TFL
    tfl_width: float = 0.25  # the steep rise spans V_TFL … (1 + tfl_width) V_TFL
    ion_strength: float = 0.3
    ion_time: float = 20.0
    ion_voltage: float = 2.0
    temperature: float = 300.0


class SCLCDevice(DeviceUnderTest):
    model = "sclc"

    def __init__(self, params: SCLCParameters | None = None) -> None:
        self.p = params or SCLCParameters()
        self.area = self.p.area
        self.ion_state = 0.0

    @property
    def v_tfl(self) -> float:
        p = self.p
        return Q * p.trap_density * p.thickness**2 / (2 * EPS0 * p.eps_r)

    def current_density(self, voltage: float) -> float:
        p = self.p
        v = abs(voltage)
        j_ohm = Q * p.free_carrier_density * p.mobility * v / p.thickness
        j_mg = 9 / 8 * EPS0 * p.eps_r * p.mobility * v**2 / p.thickness**3
        j = (j_ohm + self._trap_factor(v) * j_mg) * (1 + p.ion_strength * self.ion_state)
        return math.copysign(j, voltage)

    def current(self, voltage: float) -> float:
        return self.current_density(voltage) * self.area

    def capacitance(self) -> float:
        return EPS0 * self.p.eps_r * self.area / self.p.thickness

    def advance(self, start: float, duration: float, drive: Drive) -> None:
        v = abs(drive.voltage)
        target = v / (v + self.p.ion_voltage)
        self.ion_state = target + (self.ion_state - target) * math.exp(-duration / self.p.ion_time)

    def _trap_factor(self, v: float) -> float:
        """g(V): θ below V_TFL, a smooth log-linear rise to 1 over the next ``tfl_width``·V_TFL."""
        v_tfl, theta = self.v_tfl, self.p.theta
        u = (v - v_tfl) / (self.p.tfl_width * v_tfl)
        if u <= 0:
            return theta
        if u >= 1:
            return 1.0
        smooth = u * u * (3 - 2 * u)
        return theta ** (1 - smooth)

    def describe(self) -> dict[str, float]:
        p = self.p
        return {
            "v_tfl": self.v_tfl,
            "trap_density": p.trap_density,
            "mobility": p.mobility,
            "thickness": p.thickness,
            "eps_r": p.eps_r,
            "area": p.area,
        }
