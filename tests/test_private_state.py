"""The tests never read or change the user's own models and database (conftest's session fixture)."""

from __future__ import annotations

import os
import subprocess
import sys

from model_files import tree_hashes

from airtype_core.learning.versions import activate_version
from airtype_core.recognition.modelstore import ModelStore
from airtype_core.settings import PROJECT_ROOT, SHIPPED_MODEL_DIR, get_settings
from airtype_core.storage.store import Storage

CHECKOUT_DB = PROJECT_ROOT / "data" / "airtype.db"


def _db_state() -> tuple[bool, int]:
    return (CHECKOUT_DB.exists(), CHECKOUT_DB.stat().st_mtime_ns if CHECKOUT_DB.exists() else 0)


def test_activating_a_model_and_storing_a_sample_leave_the_checkout_alone():
    models_before, active_before, db_before = tree_hashes(SHIPPED_MODEL_DIR), _active_file(), _db_state()
    settings = get_settings()
    store = ModelStore(settings.model_dir)
    storage = Storage(settings.database_url)
    try:
        other = next(m.version for m in store.manifests() if m.version != store.active_version())
        activate_version(other, store, storage)  # what the Training page's "Activate" does
        storage.add_participant("someone-in-a-test")
        assert ModelStore(get_settings().model_dir).active_version() == other
        assert tree_hashes(SHIPPED_MODEL_DIR) == models_before, "the checkout's data/models changed"
        assert _db_state() == db_before, "the checkout's data/airtype.db was written"
    finally:
        storage.close()
        (settings.model_dir / "active.txt").unlink(missing_ok=True)  # the next tests start on the default again
        _put_back(active_before, db_before)


def _active_file() -> str | None:
    path = SHIPPED_MODEL_DIR / "active.txt"
    return path.read_text() if path.exists() else None


def _put_back(active_before: str | None, db_before: tuple[bool, int]) -> None:
    """A failure of the test above must not leave the user's choice of model changed, nor a database behind."""
    if _active_file() != active_before:
        if active_before is None:
            (SHIPPED_MODEL_DIR / "active.txt").unlink(missing_ok=True)
        else:
            (SHIPPED_MODEL_DIR / "active.txt").write_text(active_before)
    if not db_before[0]:
        CHECKOUT_DB.unlink(missing_ok=True)


def test_servers_and_commands_the_tests_start_see_the_private_copies():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from airtype_core.settings import get_settings as g; s = g(); print(s.model_dir); print(s.database_url)",
        ],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        cwd=PROJECT_ROOT,
        check=True,
    )
    model_dir, url = out.stdout.split()
    assert os.path.realpath(model_dir) != os.path.realpath(SHIPPED_MODEL_DIR)
    assert str(CHECKOUT_DB) not in url
