"""CSV in pymeasure's format: ``#`` header lines, then ``Name (unit)`` columns.

Export::

    #Procedure: <labctl.procedures.sclc.SCLCSweep>
    #Parameters:
    #	v_max: 8 V
    #Data:
    Source (V),Voltage (V),Current (A),...

Import accepts files written by pymeasure, by labctl or by hand, as long as the column header is
``Name (unit)``; columns are converted to SI and named in snake case (``Current density (mA/cm^2)``
→ ``current_density`` in A/m²). A column without a unit, or in arbitrary units such as ``a.u.``,
is kept as it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from labctl.errors import LabctlError
from labctl.units import Q_

HEADER = re.compile(r"^\s*(?P<name>.*?)\s*(\((?P<unit>[^()]*)\))?\s*$")
#: Units that mean "arbitrary": the values are kept, not converted.
ARBITRARY = {"a.u.", "au", "arb.", "arb. u.", "counts", "cts", ""}
#: Column names as people write them → the names the analyses use.
ALIASES = {
    "el": "el",
    "el intensity": "el",
    "electroluminescence": "el",
    "pl": "pl",
    "photoluminescence": "pl",
    "j": "current_density",
    "i": "current",
    "v": "voltage",
    "t": "time",
    "luminance": "luminance",
    "l": "luminance",
    "bias": "bias",
    "drive": "drive",
}


#: SI units a column is converted to, chosen by dimensionality.
PREFERRED_UNITS = ("V", "A", "A/m**2", "s", "m", "m**2", "W", "W/m**2", "Hz", "ohm", "F", "K",
                   "cd/m**2", "cd/A", "V/m", "1/m**3", "m**2/(V*s)", "C")
#: What the usual columns must measure: a header with another kind of unit is a mistake.
EXPECTED_UNITS = {"voltage": "V", "source": "V", "bias": "V", "drive": "V", "current": "A",
                  "photocurrent": "A", "current_density": "A/m**2", "time": "s",
                  "elapsed": "s", "luminance": "cd/m**2", "wavelength": "m", "field": "V/m",
                  "frequency": "Hz", "temperature": "K"}
#: Order of the usual columns in an export; others follow alphabetically.
COLUMN_ORDER = ("time", "source", "voltage", "current", "current_density", "luminance")


def snake(name: str) -> str:
    key = name.strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    return re.sub(r"[^0-9a-z]+", "_", key).strip("_")


ACRONYMS = {"el": "EL", "pl": "PL", "eqe": "EQE"}


def title(name: str) -> str:
    if name in ACRONYMS:
        return ACRONYMS[name]
    return name.replace("_", " ").capitalize()


def export_csv(run: Any, stream: str, path: str | Path, row: int | None = None) -> Path:
    """Write ``stream`` of a :class:`~labctl.storage.runfile.RunFile` as pymeasure-style CSV.

    Without ``row``: one line per record, scalar columns only (a spectrum or a waveform cannot
    be a cell). With ``row``: the arrays of that one record as columns (a trace's time, EL and
    current; a spectrum's wavelength and intensity), its scalars in the header.
    """
    path = Path(path)
    data = run.read(stream)
    units = run.columns(stream)
    ordered = sorted(data, key=lambda n: (COLUMN_ORDER.index(n) if n in COLUMN_ORDER
                                          else len(COLUMN_ORDER), n))
    scalar = [name for name in ordered if data[name].ndim == 1]
    arrays = [name for name in ordered if name not in scalar]
    rows = len(next(iter(data.values()))) if data else 0
    if row is not None and not arrays:
        raise LabctlError(f"stream {stream!r} has no array columns: export it without --row")
    if row is not None and not -rows <= row < rows:
        raise LabctlError(f"--row {row}: stream {stream!r} has rows 0 to {rows - 1}")
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(f"#Procedure: <{run.procedure}>\n")
        handle.write(f"#Status: {run.status}\n")
        handle.write("#Parameters:\n")
        for name, entry in run.parameters.items():
            unit = f" {entry['unit']}" if entry.get("unit") and entry["value"] is not None else ""
            handle.write(f"#\t{name}: {entry['value']}{unit}\n")
        if row is not None:
            handle.write(f"#Row {row} of stream {stream}:\n")
            for name in scalar:
                unit = f" {units[name]}" if units[name] else ""
                handle.write(f"#\t{name}: {float(data[name][row])!r}{unit}\n")
            columns = [data[name][row] for name in arrays]
            names = arrays
        else:
            if arrays:
                handle.write(f"#Array columns not in this file (export them with --row N): "
                             f"{', '.join(arrays)}\n")
            columns = [data[name] for name in scalar]
            names = scalar
        handle.write("#Data:\n")
        writer = csv.writer(handle)
        writer.writerow([f"{title(n)} ({units[n]})" if units[n] else title(n) for n in names])
        for values in zip(*columns, strict=True):
            writer.writerow([repr(float(value)) for value in values])
    return path


def read_csv(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, str], dict[str, Any]]:
    """(columns in SI keyed by snake-case name, their SI units, parameters from the header)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LabctlError(f"{path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise LabctlError(f"{path} is not a text CSV file ({exc})") from exc
    parameters: dict[str, Any] = {}
    lines = text.splitlines()
    body_start = 0
    for index, line in enumerate(lines):
        if not line.startswith("#"):
            body_start = index
            break
        named = re.match(r"#Procedure:\s*<?([^>]*)>?\s*$", line)
        if named:
            # labctl and pymeasure name the procedure; labctl's names are analysis names.
            parameters["_procedure"] = named.group(1).rsplit(".", 1)[-1].strip()
        match = re.match(r"#\s+([^:]+):\s*(.*)$", line)
        if match and not line.startswith(("#Procedure", "#Parameters", "#Data", "#Status")):
            # pymeasure writes parameter names as people read them: "Maximum voltage".
            parameters[snake(match.group(1))] = match.group(2).strip()
    else:
        raise LabctlError(f"{path}: no data rows after the header")
    reader = csv.reader(io.StringIO("\n".join(lines[body_start:])))
    try:
        header = next(reader)
    except StopIteration:
        raise LabctlError(f"{path}: empty file") from None
    rows = [row for row in reader if row and any(cell.strip() for cell in row)]
    if not rows:
        raise LabctlError(f"{path}: no data rows")
    try:
        table = np.array([[float(cell) for cell in row] for row in rows], dtype=float)
    except ValueError as exc:
        hint = "; the file seems to use ';' between columns: labctl reads ','" if ";" in \
            rows[0][0] else ""
        raise LabctlError(f"{path}: a data cell is not a number ({exc}){hint}") from exc
    if table.shape[1] != len(header):
        raise LabctlError(f"{path}: {len(header)} column names but {table.shape[1]} values a row")
    columns: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    for position, label in enumerate(header):
        name, unit = _split_header(label)
        values, si_unit = _to_si(table[:, position], unit, path, label)
        expected = EXPECTED_UNITS.get(name)
        if expected and si_unit and si_unit != expected:
            raise LabctlError(
                f"{path}: column {label!r}: {unit} is not a unit of {name.replace('_', ' ')} "
                f"(expected something convertible to {expected})"
            )
        columns[name] = values
        units[name] = si_unit
    return columns, units, parameters


def _split_header(label: str) -> tuple[str, str]:
    match = HEADER.match(label)
    if not match:
        return snake(label), ""
    return snake(match.group("name")), (match.group("unit") or "").strip()


def _to_si(values: np.ndarray, unit: str, path: Path, label: str) -> tuple[np.ndarray, str]:
    if unit.lower() in ARBITRARY:
        return values, "" if unit.lower() in ("a.u.", "au", "arb.", "arb. u.", "") else unit
    try:
        quantity = Q_(1.0, unit.replace("^", "**").replace("²", "**2").replace("µ", "u"))
    except Exception as exc:
        raise LabctlError(f"{path}: column {label!r}: unknown unit {unit!r} ({exc})") from exc
    column = Q_(values, quantity.units)  # converting whole columns handles offsets (°C → K)
    for preferred in PREFERRED_UNITS:
        if quantity.dimensionality == Q_(1.0, preferred).dimensionality:
            return np.asarray(column.to(preferred).magnitude, dtype=float), preferred
    base = column.to_base_units()
    return np.asarray(base.magnitude, dtype=float), f"{base.units:~}".replace(" ", "")


def write_columns_csv(path: str | Path, columns: Mapping[str, np.ndarray],
                      units: Mapping[str, str]) -> Path:
    """A plain pymeasure-style CSV from arrays (used by tests and scripts)."""
    path = Path(path)
    names = list(columns)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"{title(n)} ({units.get(n, '')})" if units.get(n) else title(n)
                         for n in names])
        for row in zip(*(columns[n] for n in names), strict=True):
            writer.writerow([repr(float(value)) for value in row])
    return path
