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
from labctl.units import for_people

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


TREL_STEP_RESULTS = ("delay_time", "rise_time", "overshoot_ratio", "decay_time")
AC_STEP_RESULTS = ("el_amplitude", "phase_lag", "forward_reverse_ratio")
PL_STEP_RESULTS = ("quench_ratio", "response_time", "recovery_time", "recovered_fraction")


def with_steps(steps: list[tuple[str, AnalysisResult]], what: str,
               names: tuple[str, ...]) -> AnalysisResult:
    """The last step's full result, plus ``name[label]`` for every step of a multi-step run."""
    label, last = steps[-1]
    result = AnalysisResult(dict(last.quantities), list(last.warnings), dict(last.extras))
    if len(steps) > 1:
        result.warn(f"the results without brackets are for the last {what}, {label}; every "
                    f"{what} has its own, e.g. {names[0]}[{steps[0][0]}]")
        for step_label, step in steps:
            for name in names:
                quantity = step.quantities.get(name)
                if quantity is not None:
                    result.quantities[f"{name}[{step_label}]"] = quantity
            for warning in step.warnings:
                if step is not last:
                    result.warn(f"[{step_label}] {warning}")
    return result


def _drive_from_voltage(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A transient CSV names its drive column "Voltage (V)": read it as the drive."""
    if "drive" not in data and "voltage" in data:
        return {**data, "drive": data["voltage"]}
    return data


def _in_compliance(columns: Columns) -> np.ndarray:
    flags = columns.get("compliance")
    if flags is None:
        return np.zeros(len(columns), dtype=bool)
    return np.nan_to_num(flags) > 0


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
        clamped = _in_compliance(self.columns) & keep
        keep &= ~clamped
        if np.count_nonzero(keep) < 3:
            result = AnalysisResult()
            result.warn("too few forward points below the compliance to analyse")
            return result
        result = analyze_sclc(
            self.columns["voltage"][keep], _current(self.columns, v["area"])[keep],
            thickness=v["thickness"], eps_r=v["eps_r"], area=v["area"],
            temperature=v["temperature"], v_bi=v["v_bi"],
        )
        if np.any(clamped):
            first = float(np.min(np.abs(self.columns["voltage"][clamped])))
            result.warn(f"{np.count_nonzero(clamped)} points hit the current compliance (from "
                        f"{first:.3g} V) and were left out; raise compliance_current to "
                        "measure them")
        return result


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
        eqe = result.value("max_eqe")
        if eqe is not None and eqe > 1.0:
            # More photons out than electrons in: noise, or a wrong responsivity or geometry.
            result.add_missing("max_eqe", "", f"the computed EQE, {eqe:.3g}, is above 100 %: the "
                               "photodiode signal is noise or its calibration is wrong")
        return result


@register
class DCDriveAnalyzer(StreamingAnalyzer):
    name = "dc_drive"
    stream = "stress"
    extra_streams = ("spectra",)
    required_columns = ("time", "luminance|photocurrent")

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.spectra = Columns()  # features of the EL spectra, one row per spectrum

    def update(self, stream: str, data: Mapping[str, Any]) -> AnalysisResult | None:
        if stream == "spectra":
            # Features once per spectrum, as it arrives; the summary waits for the next update.
            found = spectrum_features(np.asarray(data["wavelength"])[0],
                                      np.asarray(data["intensity"]))
            self.spectra.extend({"time": np.asarray(data["time"], dtype=float),
                                 **{k: found[k] for k in ("peak_wavelength", "fwhm",
                                                          "second_peak_relative_height")}})
            return None
        return super().update(stream, data)

    def analyze(self, *, final: bool) -> AnalysisResult:
        result = self._lifetime()
        if len(self.spectra) >= 2:
            self._spectral_drift(result)
        return result

    def _spectral_drift(self, result: AnalysisResult) -> None:
        """EL peak drift and the growth of a second (segregated, red) peak under stress."""
        peak = self.spectra["peak_wavelength"]
        valid = np.flatnonzero(np.isfinite(peak))
        if len(valid) < 2:
            result.add_missing("peak_shift", "m", "no EL spectrum rose above its noise")
            return
        first, last = valid[0], valid[-1]
        result.add("peak_wavelength_initial", float(peak[first]), "m", "first EL spectrum")
        result.add("peak_shift", float(peak[last] - peak[first]), "m",
                   "last minus first EL peak; > 0 is a red shift (halide segregation)")
        fwhm = self.spectra["fwhm"]
        if np.isfinite(fwhm[first]) and np.isfinite(fwhm[last]):
            result.add("fwhm_change", float(fwhm[last] - fwhm[first]), "m",
                       "last minus first EL width")
        second = self.spectra["second_peak_relative_height"]
        if np.isfinite(second[last]) and second[last] > 0:
            result.add("second_peak_relative_height", float(second[last]), "",
                       "a second EL peak in the last spectrum, relative to the main one")

    def _lifetime(self) -> AnalysisResult:
        luminance = self.columns.get("luminance")
        light, unit = (luminance, "cd/m**2") if luminance is not None else (
            self.columns.get("photocurrent"), "A")
        time = self.columns["time"]
        valid = np.isfinite(light) & (light > 0) if light is not None else np.zeros(len(time), bool)
        if np.count_nonzero(valid) < 5 or np.nanmax(light[valid]) <= 0:
            result = AnalysisResult()
            for name, unit_ in (("t50", "s"), ("t95", "s"), ("overshoot_ratio", ""),
                                ("time_to_peak", "s")):
                result.add_missing(name, unit_, "no light was recorded (no photodiode on the "
                                   "bench, or a device that does not emit)")
            return result
        result = analyze_lifetime(time[valid], light[valid], luminance_unit=unit)
        if luminance is None:
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

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._per_trace: list[tuple[str, AnalysisResult]] = []

    def ingest(self, data: Mapping[str, Any]) -> None:
        data = _drive_from_voltage(data)
        # A CSV holds one trace as columns; a run file holds traces as rows of arrays.
        if np.asarray(data["el"]).ndim == 1:
            data = {k: np.asarray(v)[np.newaxis, ...] for k, v in data.items()}
        super().ingest(data)
        # Each trace is analysed once, when it arrives: cost in proportion to the new data.
        rows = len(self.columns)
        for row in range(rows - len(np.asarray(data["el"])), rows):
            self._per_trace.append(self._analyze_trace(row))

    def _analyze_trace(self, row: int) -> tuple[str, AnalysisResult]:
        v = self.values
        trace = {name: self.columns[name][row] for name in ("time", "el", "current", "drive",
                                                             "amplitude")
                 if name in self.columns}
        drive = trace.get("drive")
        amplitude = float(trace["amplitude"]) if "amplitude" in trace else None
        result = analyze_trel(
            trace["time"], trace["el"], drive=drive, current=trace.get("current"),
            pulse_start=None if drive is not None else 0.0,
            pulse_end=(v["pulse_width"] if drive is None and v["pulse_width"] else None),
            thickness=v["thickness"], eps_r=v["eps_r"], area=v["area"],
            resistance=v["resistance"], voltage=amplitude,
            el_unit=self.units.get("el", "V"),
        )
        label = f"{amplitude:g} V" if amplitude is not None else f"trace {row + 1}"
        return label, result

    def analyze(self, *, final: bool) -> AnalysisResult:
        return with_steps(self._per_trace, "amplitude", TREL_STEP_RESULTS)


@register
class ACAnalyzer(StreamingAnalyzer):
    name = "ac_drive"
    stream = "captures"
    required_columns = ("time", "el", "drive|voltage")

    def unit_complete(self, data: Mapping[str, Any]) -> bool:
        return True

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._per_capture: list[tuple[str, AnalysisResult]] = []

    def ingest(self, data: Mapping[str, Any]) -> None:
        data = _drive_from_voltage(data)
        if np.asarray(data["el"]).ndim == 1:
            data = {k: np.asarray(v)[np.newaxis, ...] for k, v in data.items()}
        super().ingest(data)
        # Analyse each capture once, as it arrives: cost in proportion to the new data.
        rows = len(self.columns)
        frequencies = self.columns.get("frequency")
        for row in range(rows - len(np.asarray(data["el"])), rows):
            capture = analyze_ac(self.columns["time"][row], self.columns["el"][row],
                                 self.columns["drive"][row], el_unit=self.units.get("el", "V"))
            label = (f"{frequencies[row]:g} Hz" if frequencies is not None
                     else f"capture {row + 1}")
            seen = sum(1 for name, _ in self._per_capture if name.split(" #")[0] == label)
            self._per_capture.append((f"{label} #{seen + 1}" if seen else label, capture))

    def analyze(self, *, final: bool) -> AnalysisResult:
        result = with_steps(self._per_capture, "frequency", AC_STEP_RESULTS)
        frequencies = self.columns.get("frequency")
        if frequencies is not None:
            result.extras["frequency"] = frequencies.copy()
            result.extras["el_amplitude"] = np.array(
                [c.value("el_amplitude") or np.nan for _, c in self._per_capture])
            result.extras["phase_lag"] = np.array(
                [c.value("phase_lag") or np.nan for _, c in self._per_capture])
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
        signal = (self.features["integrated_intensity"] if len(self.features)
                  else self.columns["pl"])
        segments = _bias_segments(bias)
        first_on = segments[0][0] if segments else len(bias)
        result = self._spectral(signal, first_on)
        if not segments:
            for name, unit in (("quench_ratio", ""), ("recovery_time", "s"),
                               ("recovered_fraction", "")):
                result.add_missing(name, unit, "no bias was applied in the data")
            return result
        steps = []
        for index, (on, off) in enumerate(segments):
            window_start = segments[index - 1][1] if index else 0
            window_stop = segments[index + 1][0] if index + 1 < len(segments) else len(bias)
            window = slice(window_start, window_stop)
            bias_off = float(time[off]) if off < len(time) else float(time[-1])
            cycle = analyze_bias_response(time[window], signal[window], float(time[on]),
                                          bias_off)
            steps.append((self._step_label(on), cycle))
        # The first bias step carries the headline results; later ones are named by field.
        label, first = steps[0]
        for name in ("quench_ratio", "response_time", "recovery_time", "recovered_fraction",
                     "reversible_change", "irreversible_change"):
            if name in first.quantities:
                result.quantities[name] = first.quantities[name]
        for warning in first.warnings:
            result.warn(warning)
        if len(steps) > 1:
            result.warn(f"the results without brackets are for the first bias step, {label}; "
                        f"every step has its own, e.g. quench_ratio[{steps[1][0]}]")
            for step_label, step in steps:
                for name in PL_STEP_RESULTS:
                    if name in step.quantities:
                        result.quantities[f"{name}[{step_label}]"] = step.quantities[name]
        if self.values["gap"]:
            result.add("field", float(bias[first_on]) / self.values["gap"], "V/m",
                       "first bias / gap")
        result.extras.update(time=time, signal=signal, bias=bias,
                             peak_wavelength=self.features.get("peak_wavelength"))
        return result

    def _spectral(self, signal: np.ndarray, first_on: int) -> AnalysisResult:
        """Peak, width and intensity over the baseline (or over everything, if no baseline)."""
        result = AnalysisResult()
        if not len(self.features):
            for name, unit in (("peak_wavelength", "m"), ("fwhm", "m")):
                result.add_missing(name, unit, "the data hold no spectra")
            return result
        base = slice(0, first_on) if first_on > 0 else slice(None)
        where = "over the baseline spectra" if first_on > 0 else "over all spectra"
        for name, unit in (("peak_wavelength", "m"), ("fwhm", "m")):
            values = self.features[name][base]
            if np.all(np.isnan(values)):
                result.add_missing(name, unit, "no spectrum rose clearly above its noise")
            else:
                result.add(name, float(np.nanmedian(values)), unit, f"median {where}")
        result.add("integrated_intensity", float(np.nanmedian(signal[base])), "",
                   f"median {where}, counts·m")
        return result

    def _step_label(self, index: int) -> str:
        field = self.columns.get("field")
        if field is not None:
            return for_people(float(field[index]), "V/m", 3)
        return f"{float(self.columns['bias'][index]):g} V"


def _bias_segments(bias: np.ndarray) -> list[tuple[int, int]]:
    """(first index, first index after) of every stretch with the bias on."""
    on = np.concatenate([[False], bias != 0, [False]])
    edges = np.flatnonzero(np.diff(on.astype(int)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
