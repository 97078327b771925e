"""The layers stay apart: the data layer knows nothing of HTTP, and scoring is pure Polars."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import REPO


def imported_packages(package: str) -> dict[str, set[str]]:
    """For each module of `package`, the top-level packages it imports (anywhere in it, lazily or not)."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO))] = names
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("datasets", {"fastapi", "starlette", "service"}), ("scoring", {"duckdb", "fastapi", "starlette", "service"})],
)
def test_a_layer_does_not_import_what_is_above_it(package: str, forbidden: set[str]) -> None:
    modules = imported_packages(package)
    assert len(modules) > 5  # the walk found the package's modules
    offending = {module: sorted(names & forbidden) for module, names in modules.items() if names & forbidden}
    assert offending == {}
