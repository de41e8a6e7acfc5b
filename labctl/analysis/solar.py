"""Solar-cell J–V figures of merit: Voc, Jsc, FF, PCE, MPP, Rs, Rsh and hysteresis index.

Conventions (SI): voltage in V, current in A, area in m², current density J in A/m², irradiance
and power density in W/m², resistances area-specific in Ω·m², PCE and FF as fractions.
Internally the photovoltaic convention holds (photocurrent positive, J > 0 between 0 V and
Voc); an SMU measures I < 0 in the power quadrant, which is detected from the sign of the
current at short circuit and undone.

Equations:

- fill factor FF = P_max / (Voc · Jsc), with P_max = max over 0 ≤ V ≤ Voc of V · J;
- power conversion efficiency PCE = P_max / P_in = Voc · Jsc · FF / P_in
  (P_in = 1000 W/m² = 100 mW/cm² at AM1.5G; Yang, Jo & Lee, Adv. Mater. 2024, Table 1);
- series resistance Rs ≈ −dV/dJ at open circuit, shunt resistance Rsh ≈ −dV/dJ at short circuit
  (slopes of the single-diode equation where the diode resp. the shunt dominates). The slope at
  Voc also contains the diode's dynamic resistance ≈ n k_B T / (q Jsc), so ``rs`` is an upper
  bound of the true series resistance; ``rsh`` is reported only when the slope at 0 V exceeds
  three standard errors (otherwise the shunt is too large for the data to resolve);
- hysteresis index HI = (PCE_rev − PCE_fwd) / PCE_rev (reverse scan: from Voc towards Jsc).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from labctl.analysis.results import AnalysisResult
from labctl.analysis.smoothing import paired_arrays, positive_parameter
from labctl.errors import ParameterError

__all__ = [
    "analyze_solar",
    "hysteresis_index",
    "pce_from_figures",
    "solar_figures",
    "split_scans",
]

FloatArray = NDArray[np.float64]

STANDARD_IRRADIANCE = 1000.0  # W/m², AM1.5G
MIN_SCAN_POINTS = 5
SHUNT_FIT_FRACTION = 0.1  # Rsh and Jsc from points with |V| ≤ this × Voc (at least 3 points)
MPP_FIT_LEVEL = 0.9  # MPP refined on the points with V·J ≥ this × the largest V·J
PHOTOCURRENT_SNR = 5.0  # Jsc must exceed this many times the scatter of J near 0 V
PHOTOCURRENT_FRACTION = 1e-4  # …and this fraction of the largest |J| of the scan
RSH_SIGNIFICANCE = 3.0  # the short-circuit slope must exceed this many standard errors
VOC_FIT_POINTS = 3  # points on each side of the zero crossing used to refine Voc

_UNITS = {
    "voc": "V",
    "jsc": "A/m**2",
    "ff": "",
    "pce": "",
    "v_mpp": "V",
    "j_mpp": "A/m**2",
    "p_mpp": "W/m**2",
    "rs": "ohm*m**2",
    "rsh": "ohm*m**2",
}


def pce_from_figures(
    voc: float, jsc: float, ff: float, irradiance: float = STANDARD_IRRADIANCE
) -> float:
    """PCE = Voc · Jsc · FF / P_in, a fraction.

    ``voc`` in V, ``jsc`` in A/m², ``ff`` a fraction, ``irradiance`` P_in in W/m².
    """
    return voc * jsc * ff / irradiance


def hysteresis_index(pce_reverse: float, pce_forward: float) -> float:
    """HI = (PCE_rev − PCE_fwd) / PCE_rev (dimensionless; > 0 when the reverse scan is better)."""
    return (pce_reverse - pce_forward) / pce_reverse


def split_scans(voltage: ArrayLike) -> list[tuple[slice, str]]:
    """Split a voltage sequence into monotonic scans, labelled "forward" (V rising) or "reverse".

    Returns ``(slice, direction)`` pairs in acquisition order; the turning point belongs to
    both neighbouring scans. Repeated voltages do not break a scan.
    """
    v = np.asarray(voltage, dtype=float).ravel()
    if v.size < 2:
        return []
    step = np.sign(np.diff(v))
    # A repeated voltage continues the current direction: carry the last non-zero step forward.
    last = np.maximum.accumulate(np.where(step != 0, np.arange(step.size), 0))
    step = step[last]
    if np.all(step == 0):
        return []
    # Leading zero steps take the first real direction.
    step[: np.flatnonzero(step)[0]] = step[np.flatnonzero(step)[0]]
    turns = np.flatnonzero(np.diff(step)) + 1  # index of each turning point
    starts = np.concatenate(([0], turns))
    stops = np.concatenate((turns, [v.size - 1]))
    return [
        (slice(int(a), int(b) + 1), "forward" if step[a] > 0 else "reverse")
        for a, b in zip(starts, stops, strict=True)
    ]


def _short_circuit(
    v: FloatArray, j: FloatArray, v_span: float
) -> tuple[float | None, float, float, float]:
    """Line through the points near 0 V: (Jsc or None if 0 V is not reached, dJ/dV at 0 V,
    standard error of dJ/dV, scatter of the points about the line)."""
    if not (v[0] <= 0 <= v[-1]) and min(abs(v[0]), abs(v[-1])) > 0.02 * v_span:
        return None, np.nan, np.inf, np.inf
    near = np.abs(v) <= SHUNT_FIT_FRACTION * v_span
    if np.count_nonzero(near) < 3:
        near = np.zeros(v.size, dtype=bool)
        near[np.argsort(np.abs(v))[:3]] = True
    x, y = v[near], j[near]
    slope, intercept = np.polyfit(x, y, 1)
    dof = x.size - 2
    scatter, stderr = np.inf, np.inf
    if dof > 0:
        scatter = float(np.sqrt(np.sum((y - (slope * x + intercept)) ** 2) / dof))
        spread = float(np.sum((x - x.mean()) ** 2))
        if spread > 0:
            stderr = scatter / np.sqrt(spread)
    return float(intercept), float(slope), stderr, scatter


def _open_circuit(v: FloatArray, j: FloatArray, start: int) -> tuple[float | None, float | None]:
    """(Voc, dJ/dV at Voc): the first fall of J through zero at or after index ``start``.

    A quadratic through the points around the crossing refines it (linear interpolation
    between two points is biased where the diode current bends sharply).
    """
    after = np.flatnonzero(j[start:] <= 0) + start
    if after.size == 0 or after[0] == 0 or j[after[0] - 1] <= 0:
        return None, None
    k = int(after[0])
    lo, hi = max(k - VOC_FIT_POINTS, 0), min(k + VOC_FIT_POINTS, v.size)
    v0 = v[k - 1] - j[k - 1] * (v[k] - v[k - 1]) / (j[k] - j[k - 1])  # linear estimate
    coef = np.polyfit(v[lo:hi] - v0, j[lo:hi], 2) if hi - lo >= 4 else None
    if coef is not None:
        roots = np.roots(coef)
        roots = roots[np.isreal(roots)].real
        roots = roots[np.abs(roots) <= (v[k] - v[k - 1])]
        if roots.size:
            root = float(roots[np.argmin(np.abs(roots))])
            slope = float(np.polyval(np.polyder(coef), root))
            if slope < 0:
                return v0 + root, slope
    return float(v0), float((j[k] - j[k - 1]) / (v[k] - v[k - 1]))


def _max_power(
    v: FloatArray, j: FloatArray, voc: float | None
) -> tuple[float, float, float] | None:
    """(V_mpp, J_mpp, P_mpp) in the power quadrant, refined by a local cubic fit of P(V)."""
    quadrant = (v >= 0) & (j > 0)
    if voc is not None:
        quadrant &= v <= voc
    if np.count_nonzero(quadrant) < 3:
        return None
    p = v * j
    im = int(np.flatnonzero(quadrant)[np.argmax(p[quadrant])])
    if im in (0, v.size - 1) or not (quadrant[im - 1] and quadrant[im + 1]):
        return float(v[im]), float(j[im]), float(p[im])
    near = quadrant & (p >= MPP_FIT_LEVEL * p[im])
    if np.count_nonzero(near) < 5:
        near = np.zeros(v.size, dtype=bool)
        near[max(im - 2, 0) : im + 3] = True
    # A cubic fitted to V·J over the flat top of the power curve averages the noise of the
    # neighbours (the largest raw V·J is biased upwards by noise); the largest value of the
    # fitted curve between the outermost fitted points is the MPP.
    vv = v[near] - v[im]
    coef = np.polyfit(vv, p[near], min(3, vv.size - 2))
    fine = np.linspace(vv.min(), vv.max(), 201)
    best = int(np.argmax(np.polyval(coef, fine)))
    v_mpp = float(v[im] + fine[best])
    p_mpp = float(np.polyval(coef, fine[best]))
    return v_mpp, p_mpp / v_mpp if v_mpp > 0 else float(j[im]), p_mpp


def solar_figures(
    voltage: ArrayLike, current_density: ArrayLike, irradiance: float = STANDARD_IRRADIANCE
) -> tuple[dict[str, float | None], list[str]]:
    """Figures of merit of one scan in the photovoltaic convention (J > 0 at short circuit).

    ``voltage`` in V and ``current_density`` in A/m² (any order); ``irradiance`` in W/m².
    Returns values keyed ``voc, jsc, ff, pce, v_mpp, j_mpp, p_mpp, rs, rsh`` (None where the
    scan cannot support them) and warnings explaining each None.
    """
    v, j = paired_arrays(voltage, current_density, ("voltage", "current_density"))
    order = np.argsort(v, kind="stable")
    v, j = v[order], j[order]
    out: dict[str, float | None] = dict.fromkeys(_UNITS)
    warnings: list[str] = []
    if v.size < MIN_SCAN_POINTS:
        warnings.append(f"only {v.size} points in the scan; need at least {MIN_SCAN_POINTS}")
        return out, warnings
    span = float(v[-1] - v[0])
    jsc, dj_dv_sc, dj_dv_err, scatter = _short_circuit(v, j, span)
    if jsc is None:
        warnings.append("jsc: the scan does not reach 0 V")
    elif jsc <= max(PHOTOCURRENT_SNR * scatter, PHOTOCURRENT_FRACTION * np.abs(j).max()):
        # A short-circuit current lost in the noise, or negligible next to the diode current,
        # is not a photocurrent: every figure built on it would be invented.
        warnings.append("jsc: no photocurrent at 0 V above the noise (dark curve?)")
        jsc = None
    start = int(np.searchsorted(v, 0.0))
    voc, dj_dv_oc = _open_circuit(v, j, start) if jsc is not None else (None, None)
    if voc is None and jsc is not None:
        warnings.append("voc: the current never crosses zero: the scan stops below open circuit")
    mpp = _max_power(v, j, voc) if jsc is not None else None
    if mpp is None:
        warnings.append("pce: no power-producing points (0 < V < Voc with J > 0)")
    elif voc is None and mpp[0] >= v[v >= 0].max() * 0.999:
        warnings.append("pce: the power is still rising at the end of the scan")
        mpp = None
    out["jsc"], out["voc"] = jsc, voc
    if mpp is not None:
        out["v_mpp"], out["j_mpp"], out["p_mpp"] = mpp
        out["pce"] = mpp[2] / irradiance
        if voc is not None and jsc is not None:
            out["ff"] = mpp[2] / (voc * jsc)
    if dj_dv_oc is not None and dj_dv_oc < 0:
        out["rs"] = -1.0 / dj_dv_oc
    elif voc is not None:
        warnings.append("rs: the slope at open circuit is not negative")
    if jsc is not None:
        if dj_dv_sc < -RSH_SIGNIFICANCE * dj_dv_err:
            out["rsh"] = -1.0 / dj_dv_sc
        else:
            # A J flat within noise near 0 V: the shunt is larger than the data can resolve.
            bound = 1.0 / (RSH_SIGNIFICANCE * dj_dv_err) if dj_dv_err > 0 else np.inf
            warnings.append(
                f"rsh: the current is flat at short circuit within noise (Rsh ≳ {bound:.3g} Ω·m²)"
            )
    return out, warnings


def _as_scans(
    voltage: ArrayLike | Sequence[ArrayLike],
    current: ArrayLike | Sequence[ArrayLike],
    direction: str | Sequence[str] | None,
) -> tuple[list[tuple[FloatArray, FloatArray, str]], list[str]]:
    """Turn the inputs into (voltage, current, direction) scans, and notes for warnings."""
    notes: list[str] = []
    nested = isinstance(voltage, list | tuple) and len(voltage) > 0 and np.ndim(voltage[0]) == 1
    if nested:
        volts = [np.asarray(x, dtype=float) for x in voltage]  # type: ignore[union-attr]
        currents = [np.asarray(x, dtype=float) for x in current]  # type: ignore[union-attr]
        if len(volts) != len(currents):
            raise ParameterError("voltage and current: give the same number of scans")
        if direction is None:
            labels = ["forward" if x.size > 1 and x[-1] >= x[0] else "reverse" for x in volts]
        elif isinstance(direction, str):
            raise ParameterError("direction: give one label per scan for several scans")
        else:
            labels = list(direction)
        if len(labels) != len(volts):
            raise ParameterError("direction: give one label per scan")
        scans = list(zip(volts, currents, labels, strict=True))
    else:
        v, i = np.asarray(voltage, dtype=float).ravel(), np.asarray(current, dtype=float).ravel()
        if v.shape != i.shape:
            raise ParameterError("voltage and current must have the same length")
        if isinstance(direction, str):
            scans = [(v, i, direction)]
        elif direction is not None:
            raise ParameterError("direction: give one label for a single array")
        else:
            scans = [(v[s], i[s], d) for s, d in split_scans(v)]
    for _, _, label in scans:
        if label not in ("forward", "reverse"):
            raise ParameterError(f"direction: expected 'forward' or 'reverse', got {label!r}")
    # One scan per direction: the longest (a trailing stub after a turning point is not a scan).
    chosen: dict[str, tuple[FloatArray, FloatArray, str]] = {}
    for scan in scans:
        if scan[0].size >= MIN_SCAN_POINTS and (
            scan[2] not in chosen or scan[0].size > chosen[scan[2]][0].size
        ):
            chosen[scan[2]] = scan
    if sum(s[0].size >= MIN_SCAN_POINTS for s in scans) > len(chosen):
        notes.append("more than one scan per direction: the longest of each was analysed")
    return [chosen[d] for d in ("reverse", "forward") if d in chosen], notes


def analyze_solar(
    voltage: ArrayLike | Sequence[ArrayLike],
    current: ArrayLike | Sequence[ArrayLike],
    *,
    area: float,
    irradiance: float = STANDARD_IRRADIANCE,
    direction: str | Sequence[str] | None = None,
) -> AnalysisResult:
    """Analyse illuminated J–V scans: Voc, Jsc, FF, PCE, MPP, Rs, Rsh and hysteresis index.

    ``voltage`` in V and ``current`` in A, either one array (a single scan, or forward and
    reverse scans in one sequence, split at the turning points) or a list of arrays (one per
    scan). ``direction``: None to detect it from the voltage order (rising = "forward"),
    "forward"/"reverse" for a single scan, or one label per scan. ``area`` in m²,
    ``irradiance`` P_in in W/m². Either current sign convention is accepted.

    Quantities: ``voc`` (V), ``jsc`` (A/m²), ``ff``, ``pce`` (fractions), ``v_mpp``, ``j_mpp``,
    ``p_mpp`` (W/m²), ``rs``, ``rsh`` (Ω·m²) from the reverse scan when there is one (else the
    forward one), the same with ``_forward``/``_reverse`` suffixes per scan, and
    ``hysteresis_index`` when both directions are present.
    """
    area = positive_parameter(area, "area", "m**2")
    irradiance = positive_parameter(irradiance, "irradiance", "W/m**2")
    scans, notes = _as_scans(voltage, current, direction)
    result = AnalysisResult()
    for note in notes:
        result.warn(note)
    if not scans:
        for name, unit in _UNITS.items():
            result.add_missing(name, unit, f"no scan with at least {MIN_SCAN_POINTS} points")
        return result
    figures: dict[str, dict[str, float | None]] = {}
    for v, i, label in scans:
        v, i = paired_arrays(v, i, ("voltage", "current"))
        j = i / area
        sign = _photocurrent_sign(v, j)
        result.extras[f"sign_convention_{label}"] = (
            "SMU (I < 0 in the power quadrant)" if sign < 0 else "photovoltaic (I > 0 at Jsc)"
        )
        result.extras[f"voltage_{label}"] = v
        result.extras[f"current_density_{label}"] = sign * j
        values, warnings = solar_figures(v, sign * j, irradiance)
        figures[label] = values
        for w in warnings:
            result.warn(f"{label} scan: {w}")
        for name, unit in _UNITS.items():
            result.add(f"{name}_{label}", values[name], unit, f"{label} scan")
    main = "reverse" if "reverse" in figures else "forward"
    for name, unit in _UNITS.items():
        value = figures[main][name]
        if value is None:
            result.add_missing(name, unit, f"not supported by the {main} scan (see its warnings)")
        else:
            result.add(name, value, unit, f"{main} scan")
    if "reverse" in figures and "forward" in figures:
        rev, fwd = figures["reverse"]["pce"], figures["forward"]["pce"]
        if rev is None or fwd is None or rev <= 0:
            result.add_missing("hysteresis_index", "", "PCE missing in one scan direction")
        else:
            result.add(
                "hysteresis_index", hysteresis_index(rev, fwd), "", "(PCE_rev − PCE_fwd)/PCE_rev"
            )
    return result


def _photocurrent_sign(v: FloatArray, j: FloatArray) -> float:
    """+1 if J > 0 at short circuit already (photovoltaic convention), −1 for SMU data.

    The current nearest 0 V decides: under light it is the photocurrent. Dark or
    ambiguous data keep their sign.
    """
    if v.size == 0:
        return 1.0
    near = np.argsort(np.abs(v))[: min(3, v.size)]
    return -1.0 if float(np.mean(j[near])) < 0 else 1.0
