"""The house rules of `airtype_core`: each room has a docstring, and imports only run downward."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "airtype_core"
ROOMS = ("recognition", "learning", "air", "storage", "formats", "insight", "bench", "transfer")
# room -> rooms it must never import (the floors: recognition at the bottom, learning above storage)
FORBIDDEN = {
    "recognition": {"storage", "learning", "air", "formats", "insight", "bench", "transfer"},
    "storage": {"learning", "air", "insight", "bench", "transfer"},
    "air": {"storage", "learning", "insight", "bench", "transfer"},
    "formats": {"storage", "learning", "air", "insight", "bench", "transfer"},
    "insight": {"learning", "air", "bench", "transfer"},
    "transfer": {"learning", "air", "insight", "bench"},
}
OUTSIDE = ("streamlit", "ui", "pages", "streamlit_webrtc", "streamlit_drawable_canvas")


def _modules() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path, package: list[str] | None = None) -> set[str]:
    """Absolute dotted names of everything `path` imports (relative imports resolved)."""
    if package is None:
        package = list(path.relative_to(CORE.parent).parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _room(path: Path) -> str | None:
    parts = path.relative_to(CORE).parts
    return parts[0] if len(parts) > 1 else None


@pytest.mark.parametrize("room", ROOMS)
def test_every_room_says_what_it_holds(room):
    init = CORE / room / "__init__.py"
    assert init.exists(), f"airtype_core/{room}/ is not a package"
    assert ast.get_docstring(ast.parse(init.read_text())), f"airtype_core/{room}/__init__.py has no docstring"


def test_imports_only_run_down_the_floors():
    wrong = []
    for path in _modules():
        room = _room(path)
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] in OUTSIDE:
                wrong.append(f"{path.relative_to(CORE)} imports {name}")
            if parts[0] == "airtype_core" and len(parts) > 1 and parts[1] in FORBIDDEN.get(room, ()):
                wrong.append(f"{path.relative_to(CORE)} ({room}) imports {name}")
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_a_wrong_import(tmp_path):
    """The rule above is only worth something if it can fail."""
    assert "airtype_core.recognition.ink" in _imports(CORE / "recognition" / "features.py")
    bad = tmp_path / "x.py"
    bad.write_text("import streamlit as st\nfrom ..storage.store import Storage\n")
    found = _imports(bad, package=["airtype_core", "recognition"])
    assert {"streamlit", "airtype_core.storage.store"} <= found
