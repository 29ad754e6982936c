"""Model folders in tests: a throwaway copy of the shipped one, and comparing folders by content."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from airtype_core.recognition.modelstore import ModelStore
from airtype_core.settings import get_settings


def copy_shipped_models(dest: Path) -> Path:
    """A model folder holding only the shipped default version: runs may add to it freely."""
    shipped = ModelStore(get_settings().model_dir)
    version = shipped.default_version()
    assert version, f"no shipped model in {shipped.root} (default.txt is missing)"
    shutil.copytree(shipped.root / version, dest / version)
    (dest / "default.txt").write_text(version + "\n")
    return dest


def tree_hashes(root: Path) -> dict[str, str]:
    """Every file of the model folder but the job runner's, by content."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file() and ".jobs" not in p.parts
    }
