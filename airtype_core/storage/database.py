"""The connection to the database, and what goes wrong with it, in words a person can act on.

    db = Database(url)            # opens it and brings its schema up to date (Alembic)
    with db.session(write=True, failed="nothing was stored") as s: ...

A locked SQLite file or a busy PostgreSQL row comes out of `session` as
`DatabaseLockedError`; a file deleted while the app runs, a disk that refuses,
a server that cannot be reached, as `DatabaseUnavailableError`. A deleted SQLite
file is replaced by a new, empty one, and the error says so.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .records import DatabaseLockedError, DatabaseUnavailableError, StorageError
from .tables import make_engine, sqlite_file, upgrade_database


class Database:
    def __init__(self, url: str | URL, *, busy_timeout_s: float = 5.0) -> None:
        self.url = make_url(url)
        self._busy_timeout_s = busy_timeout_s
        self._file = sqlite_file(self.url)
        self._lock = threading.Lock()
        self.engine = self._open()

    @property
    def where(self) -> str:
        """The database, for messages (no password)."""
        return str(self._file) if self._file else self.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def _open(self) -> Engine:
        engine = make_engine(self.url, self._busy_timeout_s)
        try:
            upgrade_database(engine)
        except DBAPIError as exc:
            engine.dispose()
            self._raise_translated(exc, "nothing could be read or stored")
        self._file_id = self._stat()
        return engine

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self._file) if self._file else None
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino) if st else None

    def _recreate_if_vanished(self, failed: str) -> None:
        """A deleted file would keep taking writes through the pooled connections,
        into an unlinked inode: start a new file instead, and say so."""
        if self._file is None or self._stat() == self._file_id:
            return
        with self._lock:
            if self._stat() != self._file_id:
                self.engine.dispose()
                if not self._file.exists():  # the old write-ahead log must not be replayed into a new file
                    for suffix in ("-wal", "-shm", "-journal"):
                        Path(f"{self._file}{suffix}").unlink(missing_ok=True)
                self.engine = self._open()
        raise DatabaseUnavailableError(
            f"The database file {self._file} disappeared while AirType was running. "
            f"A new, empty database was created in its place; {failed}. Try again."
        )

    def _raise_translated(self, exc: DBAPIError, failed: str) -> None:
        """Re-raise `exc` as a StorageError if the user can do something about it; else as is."""
        error = self._translate(exc, failed)
        if error is None:
            raise exc
        raise error from exc

    def trouble(self, exc: DBAPIError, failed: str) -> StorageError | None:
        """The StorageError `exc` means (locked, unreachable), or None when it is about the statement's values."""
        return self._translate(exc, failed)

    def _translate(self, exc: DBAPIError, failed: str) -> StorageError | None:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if self.url.get_backend_name() == "sqlite":
            if "locked" in detail or "busy" in detail:
                return DatabaseLockedError(
                    f"The database {self.where} is busy (another program or AirType window is "
                    f"holding it): {failed}; try again."
                )
            if "unable to open" in detail or "disk" in detail or "readonly" in detail:
                return DatabaseUnavailableError(f"The database {self.where} cannot be used ({detail}); {failed}.")
            return None
        state = str(getattr(exc.orig, "sqlstate", None) or "")
        if state.startswith("40") or state == "55P03":
            return DatabaseLockedError(f"The database {self.where} is busy ({detail}); {failed}; try again.")
        if exc.connection_invalidated or not state or state[:2] in ("08", "28", "3D", "57"):
            return DatabaseUnavailableError(
                f"The database server {self.where} cannot be reached ({detail}); {failed}. "
                "Check that it is running and try again."
            )
        return None

    @contextmanager
    def session(self, *, write: bool = False, failed: str = "nothing was changed") -> Iterator[Session]:
        """One transaction; database trouble comes out as a StorageError ending in `failed`.

        Storage's methods each run in one; a read-only query module (stats) may run its own select().
        """
        self._recreate_if_vanished(failed)
        engine = self.engine.execution_options(airtype_write=True) if write else self.engine
        try:
            with Session(engine, expire_on_commit=False) as s, s.begin():
                yield s
        except DBAPIError as exc:
            self._raise_translated(exc, failed)
