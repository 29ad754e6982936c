"""Storing many samples at once (imports): duplicates skipped, writers made participants, batch by batch.

    with storage.importing(all_or_nothing=False) as batches:
        outcome = batches.add(samples, writers)     # one transaction per call...
    # ...or, with all_or_nothing=True, one transaction for every call, committed at the end

A sample whose points and label are already stored (or came earlier in the same
import) is a duplicate and is not stored again, so importing a file twice stores
nothing new. Two imports running at once cannot both store one sample: each
imported row carries a unique `import_key` and is inserted with ON CONFLICT DO
NOTHING, so the database decides (and the loser counts a duplicate); writers
become participants the same way. A row the database refuses is found (the batch
is retried row by row, each in a savepoint) and rejected alone. A dry run reads
the database the same way and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from ..recognition.charset import LabelError
from .database import Database
from .records import (
    ImportOutcome,
    InvalidInputError,
    NewSample,
    participant_named,
    sample_values,
)
from .tables import Participant, TrainingSample

MAX_NAME = 100


class BatchImporter:
    def __init__(self, database: Database, *, all_or_nothing: bool = False, dry_run: bool = False) -> None:
        self.database, self.all_or_nothing, self.dry_run = database, all_or_nothing, dry_run
        self._stack = ExitStack()
        self._session: Session | None = None
        self._participants: dict[str, int] = {}  # name -> id, of participants in committed transactions
        self._seen_in_dry_run: set[tuple[str, str]] = set()
        self._stored_any = False
        self._created: list[str] = []  # participants this import created, once their transaction committed
        self._pending: _Pending = _Pending()  # what the open transaction would add to the two above

    @property
    def participants_created(self) -> tuple[str, ...]:
        """The names of the participants this import created (and committed), in order."""
        return tuple(self._created)

    def __enter__(self) -> BatchImporter:
        if self.all_or_nothing and not self.dry_run:
            self._session = self._stack.enter_context(
                self.database.session(write=True, failed="nothing from the file was stored")
            )
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stack.__exit__(*exc_info)  # commits, or rolls back everything on an exception
        if self._session is not None and exc_info[0] is None:
            self._commit_pending()
        if exc_info[0] is None and self._stored_any:
            # Fresh statistics after a bulk change: without them SQLite answers "misclassified, newest
            # first" by sorting every misclassified row (1 s on 100,000) instead of walking the date index.
            with self.database.session(write=True, failed="the statistics were not updated") as s:
                s.execute(text("ANALYZE training_samples"))

    def add(self, samples: Sequence[NewSample], writers: Sequence[str]) -> ImportOutcome:
        """Store the samples (each `writers[i]` becomes, or is, a participant) that are not duplicates.

        A sample the database refuses is rejected with the database's reason; the others are stored.
        """
        rows: list[_Row] = []
        rejected: list[tuple[int, str]] = []
        for index, (sample, writer) in enumerate(zip(samples, writers)):
            try:  # every check before the database sees any
                rows.append(_Row(index, sample_values(sample), writer))
            except (InvalidInputError, LabelError) as exc:
                rejected.append((index, str(exc)))
        if self._session is not None:
            outcome = self._add(self._session, rows)
        else:
            self._pending = _Pending()
            with self.database.session(write=not self.dry_run, failed="this batch was not stored") as s:
                outcome = self._add(s, rows)
            self._commit_pending()
        return ImportOutcome(outcome.stored, outcome.duplicates, tuple(rejected) + outcome.rejected)

    def _commit_pending(self) -> None:
        self._participants.update(self._pending.participants)
        self._created += self._pending.created
        self._pending = _Pending()

    def _add(self, s: Session, rows: list[_Row]) -> ImportOutcome:
        t = TrainingSample
        hashes = list({row.values["ink_hash"] for row in rows})
        found = s.execute(select(t.ink_hash, t.actual_char).where(t.ink_hash.in_(hashes)))
        stored_keys: set[tuple[str | None, str]] = {(h, c) for h, c in found}
        if self.dry_run:
            stored_keys |= self._seen_in_dry_run
        fresh = []
        for row in rows:
            if row.key in stored_keys:
                continue
            stored_keys.add(row.key)
            fresh.append(row)
        duplicates = len(rows) - len(fresh)
        if self.dry_run:
            self._seen_in_dry_run.update(row.key for row in fresh)
            return ImportOutcome(tuple(0 for _ in fresh), duplicates)
        if not fresh:
            return ImportOutcome((), duplicates)
        ids, rejected = self._insert_or_find_refused(s, fresh)
        self._stored_any = self._stored_any or bool(ids)
        # a row that lost a race to another import (the unique key) is a duplicate too
        return ImportOutcome(tuple(ids), duplicates + len(fresh) - len(ids) - len(rejected), tuple(rejected))

    def _insert_or_find_refused(self, s: Session, rows: list[_Row]) -> tuple[list[int], list[tuple[int, str]]]:
        """Insert the rows in one statement; if the database refuses it, row by row to find which it refuses."""
        try:
            with s.begin_nested():
                return self._insert(s, rows), []
        except StatementError as exc:
            self._raise_if_trouble(exc)
        ids: list[int] = []
        rejected: list[tuple[int, str]] = []
        for row in rows:
            try:
                with s.begin_nested():
                    ids += self._insert(s, [row])
            except StatementError as exc:
                self._raise_if_trouble(exc)
                detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
                rejected.append((row.index, f"the database refused this sample ({detail})"))
        return ids, rejected

    def _raise_if_trouble(self, exc: StatementError) -> None:
        """Database trouble (locked, unreachable) stops the import; anything else is about the rows."""
        if isinstance(exc, DBAPIError) and self.database.trouble(exc, "this batch was not stored") is not None:
            raise exc

    def _insert(self, s: Session, rows: list[_Row]) -> list[int]:
        """The ids of the rows stored; a row whose import key is already stored is skipped by the database."""
        pending = self._pending.copy()
        values = []
        for row in rows:
            value = dict(row.values, import_key=f"{row.values['ink_hash']}:{row.values['actual_char']}")
            if row.writer and value["participant_id"] is None:
                value["participant_id"] = self._participant(s, row.writer, pending)
            values.append(value)
        t = TrainingSample
        # a Core insert of many rows: the ORM's unit of work costs as much again as the insert itself
        ids = list(s.scalars(_insert_ignoring_conflicts(s, t).returning(t.id), values).all())
        self._pending = pending  # only now: a refused insert must not leave its participants cached
        return ids

    def _participant(self, s: Session, writer: str, pending: _Pending) -> int:
        name = writer.strip()[:MAX_NAME]
        known = self._participants.get(name) or pending.participants.get(name)
        if known is not None:
            return known
        created = s.scalar(_insert_ignoring_conflicts(s, Participant).values(name=name).returning(Participant.id))
        if created is not None:
            pending.created.append(name)
            pending.participants[name] = created
            return created
        row = participant_named(s, name)  # another import made it first
        pending.participants[name] = row.id
        return row.id


@dataclass(frozen=True)
class _Row:
    index: int  # in the batch given to add()
    values: dict[str, Any]  # sample_values()
    writer: str

    @property
    def key(self) -> tuple[str, str]:
        return self.values["ink_hash"], self.values["actual_char"]


@dataclass
class _Pending:
    participants: dict[str, int] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)

    def copy(self) -> _Pending:
        return _Pending(dict(self.participants), list(self.created))


def _insert_ignoring_conflicts(s: Session, table: type[Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING, in the dialect of the session's database."""
    if s.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()
