"""Model version names become folder names: each is checked as one safe path component wherever it
comes in (the command line, a manifest, the active pointer, a download), and a manifest that names
another version than its folder is refused."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from model_files import copy_shipped_models

from airtype_core.learning.versions import activate_version, list_versions, version_archive
from airtype_core.recognition.modelstore import ModelLoadError, ModelStore
from airtype_core.settings import PROJECT_ROOT

UNSAFE = ["..", ".", "../outside", "sub/v1", "sub\\v1", "/tmp/x", "", "x" * 65, "-rf", "con", "v1 ", "v1."]


@pytest.fixture
def models(tmp_path) -> ModelStore:
    """A model folder, and beside it (outside) a valid version folder nobody should reach."""
    store = ModelStore(copy_shipped_models(tmp_path / "models"))
    shipped = store.default_version()
    shutil.copytree(store.root / shipped, tmp_path / "outside")
    (store.root / "sub").mkdir()
    shutil.copytree(store.root / shipped, store.root / "sub" / "v1")
    return store


@pytest.mark.parametrize("name", UNSAFE)
def test_unsafe_version_names_are_refused_by_load_activate_and_download(models, name):
    with pytest.raises(ModelLoadError, match="version name"):
        models.load(name)
    with pytest.raises(ModelLoadError, match="version name"):
        activate_version(name, models)
    with pytest.raises(ModelLoadError, match="version name"):
        version_archive(models, name)
    assert not (models.root / "active.txt").exists()


def test_an_unsafe_active_pointer_falls_back_to_a_version_of_the_folder(models):
    (models.root / "active.txt").write_text("../outside\n")
    loaded = models.load_active()
    assert loaded.manifest.version == models.default_version()
    assert "version name" in loaded.warning


def test_a_manifest_naming_another_version_than_its_folder_is_refused(models):
    shipped = models.default_version()
    shutil.copytree(models.root / shipped, models.root / "renamed")
    with pytest.raises(ModelLoadError, match=f"folder 'renamed'.*'{shipped}'"):
        models.load("renamed")
    with pytest.raises(ModelLoadError, match="folder 'renamed'"):
        activate_version("renamed", models)
    assert [v.version for v in list_versions(models)] == [shipped]  # listed once, under its own folder


def test_pretrain_refuses_an_unsafe_version_name_before_training(tmp_path):
    out = tmp_path / "models"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "airtype_core",
            "pretrain",
            "--out",
            str(out),
            "--minutes",
            "0.01",
            "--version",
            "../escaped",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "version name" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "escaped").exists() and not out.exists()


def test_a_safe_name_is_still_a_version(models, tmp_path):
    shipped = models.default_version()
    shutil.copytree(models.root / shipped, models.root / "my-v2.1_b")
    manifest = json.loads((models.root / "my-v2.1_b" / "manifest.json").read_text())
    (models.root / "my-v2.1_b" / "manifest.json").write_text(json.dumps({**manifest, "version": "my-v2.1_b"}))
    activate_version("my-v2.1_b", models)
    assert models.load_active().manifest.version == "my-v2.1_b"
