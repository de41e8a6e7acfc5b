"""Speed of the analysis core: points per second of each analysis, spectra per second, and the
cost per streaming update from the 1,000th to the 1,000,000th point.

Run: ``.venv/bin/python benchmarks/bench_analysis.py`` (or ``make bench``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from labctl.analysis.ac import analyze_ac
from labctl.analysis.lifetime import analyze_lifetime
from labctl.analysis.sclc import analyze_sclc
from labctl.analysis.solar import analyze_solar
from labctl.analysis.spectra import spectrum_features
from labctl.analysis.streaming import make_analyzer
from labctl.analysis.timeseries import analyze_bias_response
from labctl.analysis.trel import analyze_trel

N = 100_000
RNG = np.random.default_rng(0)


def best_of(action: Callable[[], object], repeats: int = 3) -> float:
    action()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def scalar_cases() -> dict[str, Callable[[], object]]:
    noise = 1 + 0.01 * RNG.standard_normal(N)
    v = np.linspace(0, 10, N)
    j_sclc = (1e-3 * v + np.where(v > 3, 1.0, 0.01) * 0.05 * v**2) * noise
    t = np.linspace(0, 1e5, N)
    luminance = (1 + 0.2 * (1 - np.exp(-t / 300))) * np.exp(-((t / 4e4) ** 0.8)) * noise
    v_solar = np.linspace(-0.1, 1.2, N)
    j_solar = (-200 + 2e-9 * np.expm1(v_solar / (1.7 * 0.0257))) * 1e-5
    t_trel = np.linspace(-2e-6, 18e-6, N)
    on = (t_trel > 1e-7) & (t_trel < 5e-6)
    el = np.where(on, 1 - np.exp(-(t_trel - 1e-7) / 7e-8), 0.0)
    el = np.where(t_trel >= 5e-6, np.exp(-(t_trel - 5e-6) / 1e-6), el)
    el = el + 0.01 * RNG.standard_normal(N)
    drive = np.where((t_trel >= 0) & (t_trel < 5e-6), 4.0, 0.0)
    t_ac = np.linspace(0, 0.1, N)
    drive_ac = np.where(np.mod(t_ac * 100, 1) < 0.5, 4.5, -3.5)
    el_ac = np.where(drive_ac > 0, 1.0, 0.01) + 0.01 * RNG.standard_normal(N)
    t_pl = np.linspace(0, 3600, N)
    pl = np.where(t_pl < 600, 1.0, np.where(t_pl < 1800, 0.8 + 0.2 * np.exp(-(t_pl - 600) / 60),
                  1 - 0.2 * np.exp(-(t_pl - 1800) / 600))) * noise
    return {
        "SCLC (analyze_sclc)": lambda: analyze_sclc(v, j_sclc * 1e-6, thickness=1e-6,
                                                    eps_r=30, area=1e-6),
        "solar J-V (analyze_solar)": lambda: analyze_solar(v_solar, j_solar, area=1e-5),
        "lifetime (analyze_lifetime)": lambda: analyze_lifetime(t, luminance),
        "TrEL (analyze_trel)": lambda: analyze_trel(t_trel, el, drive=drive),
        "AC lock-in (analyze_ac)": lambda: analyze_ac(t_ac, el_ac, drive_ac),
        "bias response (analyze_bias_response)": lambda: analyze_bias_response(
            t_pl, pl, 600.0, 1800.0),
    }


def spectra_rate() -> float:
    wavelength = np.linspace(340e-9, 1030e-9, 2048)
    centre = RNG.uniform(500e-9, 800e-9, 5000)[:, None]
    spectra = 1e4 * np.exp(-0.5 * ((wavelength - centre) / 10e-9) ** 2)
    spectra += 20 * RNG.standard_normal(spectra.shape)
    return len(spectra) / best_of(lambda: spectrum_features(wavelength, spectra))


def streaming_costs(total: int = 1_000_000, chunk: int = 1000) -> list[tuple[str, float]]:
    """Mean seconds per update of 1,000 points in each decade of the stream."""
    analyzer = make_analyzer("dc_drive", {})
    t = np.linspace(0, 1e6, total)
    light = np.exp(-t / 4e5) * (1 + 0.01 * RNG.standard_normal(total))
    costs: dict[int, list[float]] = {}
    for start in range(0, total, chunk):
        block = slice(start, start + chunk)
        began = time.perf_counter()
        analyzer.update("stress", {"time": t[block], "photocurrent": light[block]})
        spent = time.perf_counter() - began
        # Decade of the last point of the update: 1,000-10,000, ..., 100,000-1,000,000.
        decade = min(int(np.log10(start + chunk - 1)), int(np.log10(total)) - 1)
        costs.setdefault(max(decade, 3), []).append(spent)
    return [(f"{10**d:,}-{10 ** (d + 1):,}", float(np.mean(c))) for d, c in sorted(costs.items())]


def main() -> list[tuple[str, str]]:
    rows = []
    for name, action in scalar_cases().items():
        seconds = best_of(action)
        rows.append((f"{name}, {N:,} points", f"{N / seconds / 1e6:.2f} M points/s"))
    rows.append(("spectrum features, 5,000 spectra × 2,048 pixels",
                 f"{spectra_rate():,.0f} spectra/s"))
    costs = streaming_costs()
    for span, cost in costs:
        rows.append((f"streaming lifetime update of 1,000 points, at points {span}",
                     f"{cost * 1e3:.3f} ms per update (amortised)"))
    return rows


if __name__ == "__main__":
    for name, value in main():
        print(f"| {name} | {value} |")
