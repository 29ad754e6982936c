"""Model folders in tests: a throwaway copy of the shipped one, and comparing folders by content."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from airtype_core.recognition.modelstore import ModelStore
from airtype_core.settings import SHIPPED_MODEL_DIR


def copy_shipped_models(dest: Path, every_version: bool = False) -> Path:
    """A model folder holding the shipped default version (with `every_version`, every version
    the repository ships: not the ones a training run made on this machine): runs may add to it freely.
    The checkout's own choice of active model (active.txt) is not copied: the copy starts on the default."""
    shipped = ModelStore(SHIPPED_MODEL_DIR)
    version = shipped.default_version()
    assert version, f"no shipped model in {shipped.root} (default.txt is missing)"
    versions = {version}
    if every_version:
        versions |= {p.name for p in shipped.root.iterdir() if p.is_dir() and is_shipped_name(p.name)}
    for name in sorted(versions):
        shutil.copytree(shipped.root / name, dest / name)
    (dest / "default.txt").write_text(version + "\n")
    return dest


def is_shipped_name(name: str) -> bool:
    """Training runs name their versions v<date>-... (modelstore.new_version_name); the shipped
    ones have names of their own (unipen-v1, hershey-v3); hidden folders are the job runner's."""
    return not name.startswith(".") and not (name.startswith("v") and name[1:2].isdigit())


def tree_hashes(root: Path) -> dict[str, str]:
    """Every file of the model folder but the job runner's, by content."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".jobs" not in p.parts
    }
