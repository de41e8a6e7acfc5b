"""The standard figure of each procedure, with its analysis drawn on top.

Every function takes the analysis result (with its plotting ``extras``), the data the analyzer
read and a matplotlib figure, and draws what a physicist would look at first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from labctl.analysis.results import AnalysisResult
from labctl.analysis.streaming import Columns
from labctl.units import for_people

EPS0 = 8.8541878128e-12
REGIME_COLOURS = {"ohmic": "#d8e8f8", "trap_filling": "#f8dcd8", "child": "#dcf0d8"}


def _label(result: AnalysisResult, *names: str) -> str:
    parts = []
    for name in names:
        quantity = result.quantities.get(name)
        if quantity is not None:
            parts.append(f"{name} = {for_people(quantity.value, quantity.unit, 3, name)}")
    return "\n".join(parts)


def _annotate(ax: Any, text: str, corner: str = "upper left") -> None:
    if not text:
        return
    x, ha = (0.02, "left") if "left" in corner else (0.98, "right")
    y, va = (0.98, "top") if "upper" in corner else (0.03, "bottom")
    ax.text(x, y, text, transform=ax.transAxes, va=va, ha=ha, fontsize=8,
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85})


def sclc(fig: Any, result: AnalysisResult, data: Columns, settings: dict[str, Any]) -> None:
    ax = fig.add_subplot(111)
    voltage = data["voltage"]
    current = data.get("current")
    area = settings.get("area") or 1.0
    density = np.abs(current / area) if current is not None else np.abs(data["current_density"])
    direction = data.get("direction")
    forward = np.ones(len(voltage), bool) if direction is None else direction == 0
    keep = voltage > 1e-4 * np.max(voltage)  # the 0 V point reads microvolts of offset
    ax.loglog(voltage[keep & forward], density[keep & forward], "o", ms=3, label="forward")
    if direction is not None and np.any(~forward & keep):
        ax.loglog(voltage[keep & ~forward], density[keep & ~forward], "s", ms=3, mfc="none",
                  label="reverse")
    for name, colour in REGIME_COLOURS.items():
        span = result.extras.get(f"{name}_range")
        if span:
            ax.axvspan(span[0], span[1], color=colour, alpha=0.6, lw=0,
                       label=name.replace("_", "-"))
    v_tfl = result.value("v_tfl")
    if v_tfl:
        ax.axvline(v_tfl, color="C3", ls="--", lw=1.2, label="V_TFL")
    mobility = result.value("mobility")
    if mobility and settings.get("thickness") and settings.get("eps_r"):
        grid = np.geomspace(max(v_tfl or voltage[keep].min(), 1e-3), voltage.max(), 50)
        child = 9 / 8 * EPS0 * settings["eps_r"] * mobility * grid**2 / settings["thickness"] ** 3
        ax.loglog(grid, child, "k-", lw=1, label="Mott-Gurney fit")
    ax.set_xlim(voltage[keep].min() / 1.5, voltage.max() * 1.5)
    ax.set_xlabel("Voltage (V)")
    ax.set_ylabel("|J| (A/m²)")
    ax.set_title("SCLC: J-V with regimes")
    ax.legend(fontsize=7, loc="lower right")
    _annotate(ax, _label(result, "v_tfl", "trap_density", "mobility", "n_t_min"))


def trel(fig: Any, result: AnalysisResult, data: Columns, settings: dict[str, Any]) -> None:
    ax = fig.add_subplot(111)
    row = len(data) - 1
    time, el = data["time"][row] * 1e6, data["el"][row]
    ax.plot(time, el, lw=0.8, color="C0", label="EL")
    start = result.extras.get("pulse_start")
    if start is not None:
        ax.axvline(start * 1e6, color="0.5", lw=0.8, ls=":", label="pulse edge")
        delay = result.value("delay_time")
        if delay:
            ax.axvline((start + delay) * 1e6, color="C3", ls="--", lw=1, label="t_d")
    fit = result.extras.get("decay_fit")
    if fit:
        ax.plot(np.asarray(fit["time"]) * 1e6, fit["curve"], "C1-", lw=1.2,
                label=f"{fit['model']}-exponential decay")
    delay, rise = result.value("delay_time"), result.value("rise_time")
    if start is not None and delay and rise:
        # The rise happens in a sliver of the window: show it magnified.
        inset = ax.inset_axes([0.42, 0.3, 0.32, 0.38])
        window = (start * 1e6 - 2 * delay * 1e6, (start + delay + 3 * rise) * 1e6)
        shown = (time >= window[0]) & (time <= window[1])
        inset.plot(time[shown], el[shown], lw=0.8)
        inset.axvline((start + delay) * 1e6, color="C3", ls="--", lw=1)
        plateau = result.value("plateau")
        for level in (0.1, 0.9):
            if plateau:
                inset.axhline(level * plateau, color="C2", ls=":", lw=0.8)
        inset.set_title("rise: t_d and 10/90 %", fontsize=7)
        inset.tick_params(labelsize=6)
    if "drive" in data:
        twin = ax.twinx()
        twin.plot(time, data["drive"][row], color="0.7", lw=0.8)
        twin.set_ylabel("Drive (V)", color="0.5")
    ax.set_xlabel("Time (µs)")
    ax.set_ylabel("EL (V)")
    ax.set_title("Transient electroluminescence")
    ax.legend(fontsize=7, loc="upper right")
    _annotate(ax, _label(result, "delay_time", "rise_time", "overshoot_ratio", "decay_time",
                         "tau_rc"))


def lateral_pl(fig: Any, result: AnalysisResult, data: Columns,
               settings: dict[str, Any], spectra: dict[str, np.ndarray] | None = None) -> None:
    time = data["time"]
    bias = data["bias"]
    grid = fig.add_gridspec(2, 2, width_ratios=[1.1, 1])
    if spectra is not None:
        ax = fig.add_subplot(grid[:, 0])
        wavelength = spectra["wavelength"][0] * 1e9
        image = spectra["intensity"]
        ax.imshow(image, aspect="auto", origin="lower", cmap="magma",
                  extent=(wavelength[0], wavelength[-1], time[0], time[-1]))
        profile = np.nanmean(image, axis=0)
        bright = np.flatnonzero(profile > 0.02 * np.nanmax(profile))
        if len(bright):
            margin = 0.3 * (wavelength[bright[-1]] - wavelength[bright[0]]) + 5
            ax.set_xlim(wavelength[bright[0]] - margin, wavelength[bright[-1]] + margin)
        ax.set_xlabel("Wavelength (nm)")
        ax.set_ylabel("Time (s)")
        ax.set_title("PL waterfall")
    top = fig.add_subplot(grid[0, 1])
    bottom = fig.add_subplot(grid[1, 1], sharex=top)
    on = bias != 0
    for axis in (top, bottom):
        for start, stop in _spans(time, on):
            axis.axvspan(start, stop, color="C3", alpha=0.12, lw=0)
    peak = result.extras.get("peak_wavelength")
    if peak is not None:
        top.plot(time, np.asarray(peak) * 1e9, ".", ms=3)
    top.set_ylabel("Peak (nm)")
    top.set_title("Bias shaded")
    signal = result.extras.get("signal")
    if signal is not None:
        bottom.plot(time, signal / np.nanmax(signal), ".", ms=3, color="C2")
    bottom.set_ylabel("Integrated PL (norm.)")
    bottom.set_xlabel("Time (s)")
    _annotate(bottom, _label(result, "quench_ratio", "response_time", "recovery_time",
                             "recovered_fraction"), corner="lower right")


def dc_drive(fig: Any, result: AnalysisResult, data: Columns, settings: dict[str, Any]) -> None:
    ax = fig.add_subplot(111)
    time = data["time"]
    light = data.get("luminance")
    label = "Luminance (cd/m²)"
    if light is None:
        light, label = data["photocurrent"], "Photocurrent (A)"
    hours = time / 3600
    ax.plot(hours, light, ".", ms=3, label="measured")
    fit = result.extras.get("stretched_fit")
    t50 = result.value("t50") or result.value("t50_extrapolated")
    if fit is not None:
        span = np.linspace(time[0], max(time[-1], (t50 or 0) * 1.1), 400)
        ax.plot(span / 3600, fit(span), "C1-", lw=1, label="stretched exponential")
    initial = result.value("initial_luminance")
    if initial:
        ax.axhline(0.5 * initial, color="0.6", ls=":", lw=0.8)
    if t50:
        extrapolated = result.value("t50") is None
        ax.axvline(t50 / 3600, color="C3", ls="--", lw=1,
                   label="T50 (extrapolated)" if extrapolated else "T50")
    ax.set_xlabel("Time (h)")
    ax.set_ylabel(label)
    ax.set_title("DC drive: lifetime")
    ax.legend(fontsize=7, loc="upper right")
    lines = []
    for name in ("t50", "t95", "time_to_peak", "t50_extrapolated"):
        value = result.value(name)
        if value is not None:
            lines.append(f"{name} = {value / 3600:.3g} h")  # the axis is in hours
    overshoot = result.value("overshoot_ratio")
    if overshoot is not None:
        lines.append(f"overshoot_ratio = {overshoot:.3g}")
    shift = result.value("peak_shift")
    if shift is not None:
        lines.append(f"EL peak shift = {shift * 1e9:+.3g} nm")
    _annotate(ax, "\n".join(lines))


def ac_drive(fig: Any, result: AnalysisResult, data: Columns, settings: dict[str, Any]) -> None:
    from labctl.analysis.ac import analyze_ac

    ax = fig.add_subplot(111)
    frequencies = data.get("frequency")
    for row in range(len(data)):
        capture = analyze_ac(data["time"][row], data["el"][row], data["drive"][row])
        phase = capture.extras.get("phase")
        if phase is None:
            continue
        label = f"{frequencies[row]:g} Hz" if frequencies is not None else f"capture {row}"
        # Phases come in cycles (0-1).
        ax.plot(np.asarray(phase) * 360, capture.extras["el_phase_average"], "-", lw=1,
                label=label)
    ax.set_xlim(0, 360)
    ax.set_xlabel("Phase of the drive (°)")
    ax.set_ylabel("EL (V), averaged over periods")
    ax.set_title("AC drive: EL versus phase")
    ax.legend(fontsize=7, loc="upper right")
    _annotate(ax, _label(result, "el_amplitude", "phase_lag", "forward_reverse_ratio"))


def solar_jv(fig: Any, result: AnalysisResult, data: Columns, settings: dict[str, Any]) -> None:
    ax = fig.add_subplot(111)
    for label, style in (("forward", "o-"), ("reverse", "s-")):
        v = result.extras.get(f"voltage_{label}")
        j = result.extras.get(f"current_density_{label}")
        if v is not None:
            ax.plot(v, np.asarray(j) / 10, style, ms=2, lw=1, label=label)  # A/m² → mA/cm²
    v_mpp, j_mpp = result.value("v_mpp"), result.value("j_mpp")
    if v_mpp is not None and j_mpp is not None:
        ax.plot([v_mpp], [j_mpp / 10], "r*", ms=12, label="MPP")
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set_xlabel("Voltage (V)")
    ax.set_ylabel("J (mA/cm²), generated current positive")
    ax.set_title("Solar cell J-V")
    ax.legend(fontsize=7, loc="lower left")
    _annotate(ax, _label(result, "voc", "jsc", "ff", "pce", "hysteresis_index"))


def jvl(fig: Any, result: AnalysisResult, data: Columns, settings: dict[str, Any]) -> None:
    left, right = fig.add_subplot(121), fig.add_subplot(122)
    area = settings.get("area") or 1.0
    voltage = data["voltage"]
    current = data.get("current")
    density = np.abs(current / area) if current is not None else np.abs(data["current_density"])
    left.semilogy(voltage, np.maximum(density, 1e-12) / 10, "o-", ms=2, label="J (mA/cm²)")
    light = data.get("luminance")
    if light is not None:
        left.semilogy(voltage, np.maximum(light, 1e-6), "s-", ms=2, label="L (cd/m²)")
    elif data.get("photocurrent") is not None:
        twin = left.twinx()
        twin.semilogy(voltage, np.maximum(np.abs(data["photocurrent"]), 1e-15), "s-", ms=2,
                      color="C1", label="photocurrent (A)")
        twin.set_ylabel("Photocurrent (A)", color="C1")
    left.set_xlabel("Voltage (V)")
    left.set_ylabel("J (mA/cm²)")
    left.legend(fontsize=7, loc="upper left")
    left.set_title("J-V-L")
    eqe = result.extras.get("eqe")
    j = result.extras.get("current_density")
    if j is None:
        j = density
    if eqe is not None and np.any(np.isfinite(eqe)):
        shown = np.isfinite(eqe) & (np.asarray(j) > 0)
        right.semilogx(np.asarray(j)[shown] / 10, np.asarray(eqe)[shown] * 100, "o-", ms=2)
    else:
        right.text(0.5, 0.5, "no EQE: see the warnings", ha="center", transform=right.transAxes)
    right.set_xlabel("J (mA/cm²)")
    right.set_ylabel("EQE (%)")
    right.set_title("EQE versus J")
    _annotate(right, _label(result, "turn_on_voltage", "max_eqe", "max_luminance"),
              corner="lower left")


def _spans(time: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    spans, start = [], None
    for t, flag in zip(time, mask, strict=True):
        if flag and start is None:
            start = t
        elif not flag and start is not None:
            spans.append((start, t))
            start = None
    if start is not None:
        spans.append((start, time[-1]))
    return spans


FIGURES: dict[str, Callable[..., None]] = {
    "sclc": sclc,
    "trel": trel,
    "lateral_pl": lateral_pl,
    "dc_drive": dc_drive,
    "ac_drive": ac_drive,
    "solar_jv": solar_jv,
    "jvl": jvl,
}

__all__ = ["FIGURES"]
