"""The layers of DESIGN.md, enforced: each package imports only what its job needs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "labctl"

#: package → labctl packages it must never import (at module level or inside functions)
FORBIDDEN = {
    "roles": {"drivers", "procedures", "run", "analysis", "storage", "sim", "report", "cli"},
    "drivers": {"procedures", "run", "analysis", "storage", "report", "cli", "sim"},
    "safety": {"procedures", "run", "analysis", "storage", "report", "cli", "sim"},
    "analysis": {"drivers", "safety", "sim", "report", "cli", "bench"},
    "procedures": {"analysis", "storage", "report", "cli", "sim", "drivers"},
    "storage": {"drivers", "procedures", "analysis", "sim", "report", "cli"},
    "sim": {"procedures", "run", "analysis", "storage", "report", "cli"},
}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "labctl" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_stays_in_its_layer(package):
    offences = {
        str(path.relative_to(PACKAGE)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (PACKAGE / package).rglob("*.py")
    }
    assert {k: v for k, v in offences.items() if v} == {}


def test_runtime_code_never_imports_the_test_helpers():
    offences = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "testing" not in path.parts and "testing" in imported_packages(path)
    ]
    assert offences == []
