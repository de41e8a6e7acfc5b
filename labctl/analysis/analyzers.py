"""The streaming analyzer of each procedure, on top of the physics functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from labctl.analysis.ac import analyze_ac
from labctl.analysis.jvl import analyze_jvl
from labctl.analysis.lifetime import analyze_lifetime
from labctl.analysis.results import AnalysisResult
from labctl.analysis.sclc import analyze_sclc
from labctl.analysis.solar import analyze_solar
from labctl.analysis.spectra import spectrum_features
from labctl.analysis.streaming import Columns, StreamingAnalyzer, register
from labctl.analysis.timeseries import analyze_bias_response
from labctl.analysis.trel import analyze_trel
from labctl.procedures.parameters import Parameter, ParameterSet

AREA = Parameter("area", "m**2", None, 1e-12, 1.0, display_unit="mm**2",
                 doc="device area (J = I / area)")


def _current(columns: Columns, area: float | None) -> np.ndarray:
    """Current in A, from a current column or from current density × area."""
    current = columns.get("current")
    if current is not None:
        return current
    density = columns.get("current_density")
    if density is not None and area:
        return density * area
    raise KeyError("current")


def _forward(columns: Columns) -> np.ndarray:
    direction = columns.get("direction")
    if direction is None:
        return np.ones(len(columns), dtype=bool)
    return direction == 0


@register
class SCLCAnalyzer(StreamingAnalyzer):
    name = "sclc"
    stream = "jv"
    required_columns = ("voltage", "current|current_density")
    settings = ParameterSet([
        Parameter("thickness", "m", None, 1e-9, 1e-2, display_unit="nm", required=True),
        Parameter("eps_r", "", None, 1.0, 1000.0, required=True),
        Parameter("area", "m**2", None, 1e-12, 1.0, display_unit="mm**2", required=True),
        Parameter("temperature", "K", 300.0, 1.0, 1000.0),
        Parameter("v_bi", "V", 0.0, -10.0, 10.0),
    ])

    def analyze(self, *, final: bool) -> AnalysisResult:
        v = self.values
        keep = _forward(self.columns)
        return analyze_sclc(
            self.columns["voltage"][keep], _current(self.columns, v["area"])[keep],
            thickness=v["thickness"], eps_r=v["eps_r"], area=v["area"],
            temperature=v["temperature"], v_bi=v["v_bi"],
        )


@register
class SolarAnalyzer(StreamingAnalyzer):
    name = "solar_jv"
    stream = "jv"
    required_columns = ("voltage", "current|current_density")
    settings = ParameterSet([
        Parameter("area", "m**2", None, 1e-12, 1.0, display_unit="cm**2", required=True),
        Parameter("irradiance", "W/m**2", 1000.0, 1e-3, 1e6, display_unit="mW/cm**2"),
    ])

    def analyze(self, *, final: bool) -> AnalysisResult:
        v = self.values
        voltage, current = self.columns["voltage"], _current(self.columns, v["area"])
        direction = self.columns.get("direction")
        if direction is None:
            return analyze_solar(voltage, current, area=v["area"], irradiance=v["irradiance"])
        scans, labels = [], []
        edges = np.flatnonzero(np.diff(direction)) + 1
        for part in np.split(np.arange(len(direction)), edges):
            if len(part) >= 3:
                scans.append(part)
                labels.append("forward" if direction[part[0]] == 0 else "reverse")
        return analyze_solar([voltage[p] for p in scans], [current[p] for p in scans],
                             area=v["area"], irradiance=v["irradiance"], direction=labels)


@register
class JVLAnalyzer(StreamingAnalyzer):
    name = "jvl"
    stream = "jvl"
    required_columns = ("voltage", "current|current_density", "luminance|photocurrent")
    settings = ParameterSet([
        AREA,
        Parameter("responsivity", "A/W", None, 1e-9, 100.0),
        Parameter("collection_fraction", "", None, 1e-9, 1.0),
        Parameter("peak_wavelength", "m", None, 1e-7, 1e-5, display_unit="nm"),
    ])

    def analyze(self, *, final: bool) -> AnalysisResult:
        v = self.values
        columns = self.columns
        luminance = columns.get("luminance")
        photocurrent = columns.get("photocurrent")
        result = analyze_jvl(
            columns["voltage"], _current(columns, v["area"]),
            luminance if luminance is not None else np.full(len(columns), np.nan),
            area=v["area"] or 1.0,
            wavelength=v["peak_wavelength"],
            photodiode_current=photocurrent,
            responsivity=v["responsivity"],
            collection_factor=v["collection_fraction"],
        )
        if luminance is None:
            result.warn("luminance: the photodiode is not calibrated (luminance_calibration = 0);"
                        " turn-on voltage and luminance need a calibration")
        return result


@register
class DCDriveAnalyzer(StreamingAnalyzer):
    name = "dc_drive"
    stream = "stress"
    required_columns = ("time", "luminance|photocurrent")

    def analyze(self, *, final: bool) -> AnalysisResult:
        luminance = self.columns.get("luminance")
        if luminance is not None:
            return analyze_lifetime(self.columns["time"], luminance)
        result = analyze_lifetime(self.columns["time"], self.columns["photocurrent"],
                                  luminance_unit="A")
        result.warn("lifetime from the photodiode current: luminance is not calibrated, "
                    "ratios and times are unaffected")
        return result


@register
class TrELAnalyzer(StreamingAnalyzer):
    name = "trel"
    stream = "traces"
    required_columns = ("time", "el")
    settings = ParameterSet([
        Parameter("pulse_width", "s", None, 1e-12, 10.0, display_unit="us"),
        Parameter("thickness", "m", None, 1e-9, 1e-2, display_unit="nm"),
        Parameter("eps_r", "", None, 1.0, 1000.0),
        Parameter("area", "m**2", None, 1e-12, 1.0, display_unit="mm**2"),
        Parameter("resistance", "ohm", 50.0, 1e-3, 1e9),
    ])

    def unit_complete(self, data: Mapping[str, Any]) -> bool:
        return True  # every row is a whole trace

    def ingest(self, data: Mapping[str, Any]) -> None:
        # A CSV holds one trace as columns; a run file holds traces as rows of arrays.
        if np.asarray(data["el"]).ndim == 1:
            data = {k: np.asarray(v)[np.newaxis, ...] for k, v in data.items()}
        super().ingest(data)

    def analyze(self, *, final: bool) -> AnalysisResult:
        v = self.values
        row = len(self.columns) - 1  # the latest trace (the highest amplitude when swept)
        trace = {name: self.columns[name][row] for name in ("time", "el", "current", "drive",
                                                             "amplitude")
                 if name in self.columns}
        drive = trace.get("drive")
        result = analyze_trel(
            trace["time"], trace["el"], drive=drive, current=trace.get("current"),
            pulse_start=None if drive is not None else 0.0,
            pulse_end=(v["pulse_width"] if drive is None and v["pulse_width"] else None),
            thickness=v["thickness"], eps_r=v["eps_r"], area=v["area"],
            resistance=v["resistance"],
            voltage=float(trace["amplitude"]) if "amplitude" in trace else None,
        )
        if len(self.columns) > 1:
            result.extras["traces"] = len(self.columns)
        return result


@register
class ACAnalyzer(StreamingAnalyzer):
    name = "ac_drive"
    stream = "captures"
    required_columns = ("time", "el", "drive")

    def unit_complete(self, data: Mapping[str, Any]) -> bool:
        return True

    def ingest(self, data: Mapping[str, Any]) -> None:
        if np.asarray(data["el"]).ndim == 1:
            data = {k: np.asarray(v)[np.newaxis, ...] for k, v in data.items()}
        super().ingest(data)
        # Analyse each capture once, as it arrives: cost in proportion to the new data.
        rows = len(self.columns)
        for row in range(rows - len(np.asarray(data["el"])), rows):
            capture = analyze_ac(self.columns["time"][row], self.columns["el"][row],
                                 self.columns["drive"][row])
            self._per_capture.append(capture)

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._per_capture: list[AnalysisResult] = []

    def analyze(self, *, final: bool) -> AnalysisResult:
        latest = self._per_capture[-1]
        result = AnalysisResult(dict(latest.quantities), list(latest.warnings), dict(latest.extras))
        frequencies = self.columns.get("frequency")
        if frequencies is not None:
            result.extras["frequency"] = frequencies.copy()
            result.extras["el_amplitude"] = np.array(
                [c.value("el_amplitude") or np.nan for c in self._per_capture])
            result.extras["phase_lag"] = np.array(
                [c.value("phase_lag") or np.nan for c in self._per_capture])
        return result


@register
class LateralPLAnalyzer(StreamingAnalyzer):
    name = "lateral_pl"
    stream = "spectra"
    required_columns = ("time", "bias", "intensity|pl")
    settings = ParameterSet([
        Parameter("gap", "m", None, 1e-9, 1.0, display_unit="um"),
    ])

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.features = Columns()

    def ingest(self, data: Mapping[str, Any]) -> None:
        if "intensity" in data and np.asarray(data["intensity"]).ndim == 2:
            wavelength = np.asarray(data["wavelength"])[0]
            found = spectrum_features(wavelength, np.asarray(data["intensity"]))
            self.features.extend({k: found[k] for k in ("peak_wavelength", "fwhm",
                                                        "integrated_intensity", "centroid")})
            scalar = {k: v for k, v in data.items() if np.asarray(v).ndim == 1}
            self.columns.extend(scalar)
        else:
            self.columns.extend(data)

    def analyze(self, *, final: bool) -> AnalysisResult:
        time, bias = self.columns["time"], self.columns["bias"]
        signal = self.features["integrated_intensity"] if len(self.features) else self.columns["pl"]
        on = np.flatnonzero(bias != 0)
        result = AnalysisResult()
        if len(on) and len(self.features) and on[0] > 0:
            # Spectral features at the end of the baseline, before any field.
            base = slice(0, on[0])
            for name, unit in (("peak_wavelength", "m"), ("fwhm", "m")):
                result.add(name, float(np.nanmedian(self.features[name][base])), unit,
                           "median over the baseline spectra")
            result.add("integrated_intensity", float(np.nanmedian(signal[base])), "",
                       "median over the baseline spectra (counts·m)")
        elif len(self.features):
            for name, unit in (("peak_wavelength", "m"), ("fwhm", "m")):
                result.add(name, float(np.nanmedian(self.features[name])), unit, "median")
            result.add("integrated_intensity", float(np.nanmedian(signal)), "", "median")
        else:
            for name, unit in (("peak_wavelength", "m"), ("fwhm", "m")):
                result.add_missing(name, unit, "the data hold no spectra")
        if not len(on):
            for name, unit in (("quench_ratio", ""), ("recovery_time", "s"),
                               ("recovered_fraction", "")):
                result.add_missing(name, unit, "no bias was applied in the data")
            return result
        first_on = on[0]
        off_after = np.flatnonzero((bias == 0) & (np.arange(len(bias)) > first_on))
        if not len(off_after):
            cycle = analyze_bias_response(time, signal, float(time[first_on]), float(time[-1]))
        else:
            first_off = off_after[0]
            next_on = on[on > first_off]
            stop = next_on[0] if len(next_on) else len(bias)
            cycle = analyze_bias_response(time[:stop], signal[:stop], float(time[first_on]),
                                          float(time[first_off]))
        for name in ("quench_ratio", "response_time", "recovery_time", "recovered_fraction",
                     "reversible_change", "irreversible_change"):
            if name in cycle.quantities:
                result.quantities[name] = cycle.quantities[name]
        for warning in cycle.warnings:
            result.warn(warning)
        if self.values["gap"] and len(on):
            field = float(bias[first_on]) / self.values["gap"]
            result.add("field", field, "V/m", "first bias / gap")
        result.extras.update(time=time, signal=signal, bias=bias,
                             peak_wavelength=self.features.get("peak_wavelength"))
        return result
