"""Connectors are edges: none of them imports the store's tables or sessions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "connectors").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_connector_imports_the_store(path: Path) -> None:
    """A connector reads and writes through core repositories, services and ports, never contact_center.store."""
    assert not {m for m in _imports(path) if m == "contact_center.store" or m.startswith("contact_center.store.")}
