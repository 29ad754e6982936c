"""A PostgreSQL server for the tests: the one in AIRTYPE_TEST_POSTGRES_URL, or a
throwaway cluster made with Debian's binaries in a temp dir and removed after.

    with pg_server.running() as server:          # raises PgUnavailable with the reason
        url = server.create_schema()              # an empty schema (or create_database())
        ...
        server.drop_schema(url)
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

ENV_URL = "AIRTYPE_TEST_POSTGRES_URL"


class PgUnavailable(RuntimeError):
    pass


class PgServer:
    def __init__(self, admin_url: str | URL) -> None:
        self.admin_url = make_url(admin_url)  # a database we may CREATE DATABASE from
        if self.admin_url.drivername == "postgresql":
            self.admin_url = self.admin_url.set(drivername="postgresql+psycopg")
        self._admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def create_database(self) -> str:
        name = f"airtype_test_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as conn:
            # FILE_COPY (PostgreSQL 15+) is ~10x faster than logging the template page by page
            fast = int(conn.execute(text("SHOW server_version_num")).scalar()) >= 150000
            conn.execute(text(f'CREATE DATABASE "{name}"' + (" STRATEGY FILE_COPY" if fast else "")))
        return self.admin_url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def create_schema(self) -> str:
        """A URL whose tables land in a new, empty schema: ~100x cheaper than a database."""
        name = f"airtype_test_{uuid.uuid4().hex[:12]}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        url = self.admin_url.update_query_dict({"options": f"-csearch_path={name}"})
        return url.render_as_string(hide_password=False)

    def drop_schema(self, url: str) -> None:
        name = make_url(url).query["options"].removeprefix("-csearch_path=")
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))

    def close(self) -> None:
        self._admin.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the `postgres` user when we are root."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    done = subprocess.run(_as_postgres(args), capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise PgUnavailable(f"{os.path.basename(args[0])} failed: {(done.stderr or done.stdout).strip()[-500:]}")


@contextmanager
def _throwaway_cluster() -> Iterator[str]:
    initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdbs:
        raise PgUnavailable(f"no PostgreSQL: set {ENV_URL} or install the `postgresql` package")
    bindir = os.path.dirname(initdbs[-1])
    root = tempfile.mkdtemp(prefix="airtype-pg-")
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = os.path.join(root, "data"), _free_port()
    try:
        _run([f"{bindir}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = os.path.join(root, "server.log")
        _run([f"{bindir}/pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "30", "start"])
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def running() -> Iterator[PgServer]:
    url = os.environ.get(ENV_URL, "").strip()
    with _nothing(url) if url else _throwaway_cluster() as admin_url:
        server = PgServer(admin_url)
        try:
            with server._admin.connect():
                pass
        except Exception as exc:  # noqa: BLE001 - any failure means "no server"
            where = make_url(admin_url).render_as_string(hide_password=True)
            raise PgUnavailable(f"cannot connect to PostgreSQL at {where}: {exc}") from exc
        try:
            yield server
        finally:
            server.close()


@contextmanager
def _nothing(url: str) -> Iterator[str]:
    yield url
