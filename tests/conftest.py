"""Shared fixtures.

- `db_url`: an empty database URL, once on SQLite (a temp file) and once on
  PostgreSQL (a fresh database on a throwaway server, see pg_server.py); a test
  that uses it runs on both. Without PostgreSQL the second run is skipped, or
  fails when CI=true.
- `storage`: a `Storage` opened on `db_url` (schema migrated), closed after.
- `postgres_server`: the session's PgServer, for tests that need PostgreSQL only.
- `db_file`: a fresh SQLite file that the app's settings point at (AIRTYPE_DATABASE_URL).
- `app_storage`: a model folder and database of their own for a page test, set as the app's settings.
- `private_models_and_database` (autouse, once a session): AIRTYPE_MODEL_DIR and AIRTYPE_DATABASE_URL
  point at a temporary copy of the shipped models and a temporary database before any test runs, so
  that no test reads or changes the checkout's data/models or data/airtype.db, whatever a user did
  with them (a fine-tuned model made active, samples stored). Servers and subprocesses the tests
  start inherit them; a test that needs other ones sets its own.

Markers (pytest.ini): `browser` and `postgres` are set here from the fixtures a test uses, `slow` is
set on the test itself; `pytest -m "not browser and not slow and not postgres"` is the fast subset.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pg_server  # tests/ is on sys.path: pytest puts a conftest's own directory there
import pytest

from airtype_core.storage.store import Storage


@pytest.fixture(scope="session", autouse=True)
def private_models_and_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from model_files import copy_shipped_models

    root = tmp_path_factory.mktemp("airtype-session")
    private = {
        "AIRTYPE_MODEL_DIR": str(copy_shipped_models(root / "models", every_version=True)),
        "AIRTYPE_DATABASE_URL": f"sqlite:///{root / 'airtype.db'}",
    }
    saved = {name: os.environ.get(name) for name in private}
    os.environ.update(private)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("db_url") == "postgresql"
        if "postgres_server" in fixtures or on_postgres:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pg_server.PgServer]:
    stack = ExitStack()
    try:
        server = stack.enter_context(pg_server.running())
    except pg_server.PgUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required on CI: {exc}")
        pytest.skip(str(exc))
    with stack:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'airtype.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_schema()
    yield url
    server.drop_schema(url)


@pytest.fixture
def storage(db_url: str) -> Iterator[Storage]:
    store = Storage(db_url)
    yield store
    store.close()


@pytest.fixture
def app_storage(tmp_path, monkeypatch) -> Iterator[Storage]:
    """What a page test runs the app on: a throwaway copy of the shipped model folder and an
    empty SQLite database, both set as the app's settings; yields that database's Storage."""
    from model_files import copy_shipped_models

    monkeypatch.setenv("AIRTYPE_MODEL_DIR", str(copy_shipped_models(tmp_path / "models")))
    url = f"sqlite:///{tmp_path / 'airtype.db'}"
    monkeypatch.setenv("AIRTYPE_DATABASE_URL", url)
    store = Storage(url)
    yield store
    store.close()


@pytest.fixture
def db_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "airtype.db"
    monkeypatch.setenv("AIRTYPE_DATABASE_URL", f"sqlite:///{path}")
    return path
