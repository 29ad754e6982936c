"""The house rules, read from the README's rooms table: each room of `airtype_core` says what it
holds and imports only what its row allows; `ui/` and `pages/` open no database session and touch
no tensor. Rooms are found on disk, so a new room is checked (and fails until it has a row)."""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "airtype_core"
ANY = None  # a row whose imports are "any"
OUTSIDE = ("streamlit", "streamlit_webrtc", "streamlit_drawable_canvas", "ui", "pages")
# what "a database session or a tensor" means for the pages and what they share
PAGE_FORBIDDEN = ("torch", "sqlalchemy", "airtype_core.storage.database")


@dataclass(frozen=True)
class Room:
    name: str  # "storage" for `storage/`, "settings" for `settings.py`
    imports: frozenset[str] | None  # None: any


def rooms_table(readme: str) -> dict[str, Room]:
    """The README's `| room | holds | imports |` table."""
    lines = readme.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"\|\s*room\s*\|\s*holds\s*\|\s*imports\s*\|", line))
    table = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cell, _, allowed = (c.strip() for c in line.strip("|").split("|"))
        name = cell.strip("`").removesuffix("/").removesuffix(".py")
        if allowed == "any":
            table[name] = Room(name, ANY)
        elif allowed == "nothing of the others":
            table[name] = Room(name, frozenset())
        else:
            table[name] = Room(name, frozenset(a.strip() for a in allowed.split(",")))
    return table


def rooms_on_disk(core: Path) -> set[str]:
    """Every package directly under the core, and every top-level module but the package's own."""
    packages = {p.parent.name for p in core.glob("*/__init__.py")}
    modules = {p.stem for p in core.glob("*.py") if p.name != "__init__.py"}
    return packages | modules


def imports(path: Path, package: list[str]) -> set[str]:
    """Absolute dotted names of everything `path` imports (relative imports resolved)."""
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


def wrong_imports(core: Path, table: dict[str, Room]) -> list[str]:
    """Every room on disk without a row, and every import of the core that its row does not allow."""
    wrong = [
        f"airtype_core/{name} is not in the README's rooms table" for name in sorted(rooms_on_disk(core) - set(table))
    ]
    for path in sorted(core.rglob("*.py")):
        relative = path.relative_to(core)
        if "migrations" in relative.parts or relative == Path("__init__.py"):
            continue
        room = relative.parts[0].removesuffix(".py")
        allowed = table[room].imports if room in table else frozenset()
        package = ["airtype_core", *relative.parts[:-1]]
        for name in sorted(imports(path, package)):
            parts = name.split(".")
            if parts[0] in OUTSIDE:
                wrong.append(f"airtype_core/{relative} imports {name}")
            elif parts[0] == "airtype_core" and len(parts) > 1 and parts[1] != room:
                if allowed is not ANY and parts[1] not in allowed:
                    wrong.append(f"airtype_core/{relative} ({room}) imports {name}")
    return wrong


def page_breaches(folder: Path) -> list[str]:
    """Modules of `ui/` or `pages/` that import a database or tensor library or open a session."""
    wrong = []
    for path in sorted(folder.glob("*.py")):
        source = path.read_text()
        for name in sorted(imports(path, [folder.name])):
            if any(name == bad or name.startswith(bad + ".") for bad in PAGE_FORBIDDEN):
                wrong.append(f"{folder.name}/{path.name} imports {name}")
        if ".session(" in source:
            wrong.append(f"{folder.name}/{path.name} opens a database session")
    return wrong


TABLE = rooms_table((ROOT / "README.md").read_text())


@pytest.mark.parametrize("room", sorted(p.parent.name for p in CORE.glob("*/__init__.py")))
def test_every_room_says_what_it_holds(room):
    assert ast.get_docstring(ast.parse((CORE / room / "__init__.py").read_text())), (
        f"airtype_core/{room}/__init__.py has no docstring"
    )


def test_the_table_names_every_room_and_top_level_module():
    assert rooms_on_disk(CORE) == set(TABLE), "the README's rooms table and airtype_core/ disagree"


def test_imports_only_what_the_rooms_table_allows():
    wrong = wrong_imports(CORE, TABLE)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("folder", ["ui", "pages"])
def test_pages_and_what_they_share_open_no_session_and_touch_no_tensor(folder):
    wrong = page_breaches(ROOT / folder)
    assert not wrong, "\n".join(wrong)


# --- the rules above are only worth something if they can fail ----------------------------------


@pytest.fixture
def core_copy(tmp_path) -> Path:
    """A copy of the core's sources to plant bad imports in."""
    return Path(shutil.copytree(CORE, tmp_path / "airtype_core", ignore=shutil.ignore_patterns("__pycache__")))


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        (
            "learning/trainer.py",
            "from ..insight import stats",
            "airtype_core/learning/trainer.py (learning) imports airtype_core.insight",
        ),
        (
            "storage/store.py",
            "from ..formats.jsonl import read_jsonl",
            "airtype_core/storage/store.py (storage) imports airtype_core.formats.jsonl",
        ),
        (
            "settings.py",
            "from .recognition import ink",
            "airtype_core/settings.py (settings) imports airtype_core.recognition",
        ),
        ("recognition/ink.py", "import streamlit as st", "airtype_core/recognition/ink.py imports streamlit"),
    ],
)
def test_a_planted_bad_import_fails_the_check(core_copy, module, line, expected):
    assert not wrong_imports(core_copy, TABLE)
    path = core_copy / module
    path.write_text(path.read_text() + f"\n{line}\n")
    assert expected in wrong_imports(core_copy, TABLE)


def test_a_new_room_is_checked_too(core_copy):
    room = core_copy / "sharing"
    room.mkdir()
    (room / "__init__.py").write_text('"""Sharing models between machines."""\n')
    (room / "push.py").write_text("from ..learning.jobs import JobRunner\n")
    assert wrong_imports(core_copy, TABLE) == [
        "airtype_core/sharing is not in the README's rooms table",
        "airtype_core/sharing/push.py (sharing) imports airtype_core.learning.jobs",
        "airtype_core/sharing/push.py (sharing) imports airtype_core.learning.jobs.JobRunner",
    ]
    # listed with the rooms it may use, the room is still held to its row
    listed = {**TABLE, "sharing": Room("sharing", frozenset({"recognition", "storage"}))}
    assert wrong_imports(core_copy, listed) == [
        "airtype_core/sharing/push.py (sharing) imports airtype_core.learning.jobs",
        "airtype_core/sharing/push.py (sharing) imports airtype_core.learning.jobs.JobRunner",
    ]


def test_a_page_that_opens_a_session_or_touches_a_tensor_fails_the_check(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "fine.py").write_text("from airtype_core.storage.store import Storage\nimport ui.feedback\n")
    assert page_breaches(pages) == []
    (pages / "bad.py").write_text(
        "import torch\nfrom sqlalchemy import select\n\nwith store.session() as s:\n    pass\n"
    )
    assert page_breaches(pages) == [
        "pages/bad.py imports sqlalchemy",
        "pages/bad.py imports sqlalchemy.select",
        "pages/bad.py imports torch",
        "pages/bad.py opens a database session",
    ]
