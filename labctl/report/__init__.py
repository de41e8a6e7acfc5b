"""Report figures: the standard plot of each procedure with its analysis overlaid."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py

from labctl.analysis.offline import load_and_analyze
from labctl.errors import ParameterError


def write_report(path: str | Path, out: str | Path, procedure: str | None = None,
                 settings: Mapping[str, Any] | None = None) -> Path:
    """Analyse ``path`` and draw its figure into ``out`` (.png or .pdf)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from labctl.report.figures import FIGURES, lateral_pl

    out = Path(out)
    if out.suffix.lower() not in (".png", ".pdf", ".svg"):
        raise ParameterError(f"-o {out}: the report is written as .png, .pdf or .svg")
    analysed = load_and_analyze(path, procedure, settings)
    draw = FIGURES.get(analysed.name)
    if draw is None:
        raise ParameterError(f"no figure for the {analysed.name} analysis")
    analyzer = analysed.analyzer
    fig = plt.figure(figsize=(9, 5.5) if analysed.name == "lateral_pl" else (6.5, 4.8),
                     dpi=130)
    if draw is lateral_pl:
        draw(fig, analysed.result, analyzer.columns, analyzer.values, _spectra(path))
    else:
        draw(fig, analysed.result, analyzer.columns, analyzer.values)
    notes = _warning_lines(analysed.result.warnings)
    if notes:
        # A band of its own under the axes, so the warnings never cover a label.
        fig.text(0.01, 0.01, "\n".join(notes), fontsize=6, color="C3", va="bottom")
    fig.tight_layout(rect=(0, 0.02 + 0.025 * len(notes), 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def _spectra(path: str | Path) -> dict[str, Any] | None:
    if not h5py.is_hdf5(path):
        return None
    from labctl.storage.runfile import RunFile

    with RunFile(path) as run:
        if "spectra" not in run.streams():
            return None
        data = run.read("spectra")
        return {"wavelength": data["wavelength"], "intensity": data["intensity"]}


def _warning_lines(warnings: list[str], width: int = 150, most: int = 5) -> list[str]:
    import textwrap

    lines: list[str] = []
    for warning in warnings:
        lines.extend(textwrap.wrap("warning: " + warning, width))
    if len(lines) > most:
        lines = [*lines[: most - 1], "... and more: `labctl analyze` lists them all"]
    return lines
