"""Storing many samples at once (imports): duplicates skipped, writers made participants, batch by batch.

    with storage.importing(all_or_nothing=False) as batches:
        outcome = batches.add(samples, writers)     # one transaction per call...
    # ...or, with all_or_nothing=True, one transaction for every call, committed at the end

A sample whose points and label are already stored (or came earlier in the same
import) is a duplicate and is not stored again, so importing a file twice stores
nothing new. A dry run reads the database the same way and writes nothing.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Sequence

from sqlalchemy import insert, select, text
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
from .tables import TrainingSample

MAX_NAME = 100


class BatchImporter:
    def __init__(self, database: Database, *, all_or_nothing: bool = False, dry_run: bool = False) -> None:
        self.database, self.all_or_nothing, self.dry_run = database, all_or_nothing, dry_run
        self._stack = ExitStack()
        self._session: Session | None = None
        self._participants: dict[str, int] = {}
        self._seen_in_dry_run: set[tuple[str, str]] = set()
        self._stored_any = False

    def __enter__(self) -> BatchImporter:
        if self.all_or_nothing and not self.dry_run:
            self._session = self._stack.enter_context(
                self.database.session(write=True, failed="nothing from the file was stored"))
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stack.__exit__(*exc_info)  # commits, or rolls back everything on an exception
        if exc_info[0] is None and self._stored_any:
            # Fresh statistics after a bulk change: without them SQLite answers "misclassified, newest
            # first" by sorting every misclassified row (1 s on 100,000) instead of walking the date index.
            with self.database.session(write=True, failed="the statistics were not updated") as s:
                s.execute(text("ANALYZE training_samples"))

    def add(self, samples: Sequence[NewSample], writers: Sequence[str]) -> ImportOutcome:
        """Store the samples (each `writers[i]` becomes, or is, a participant) that are not duplicates."""
        rows, kept_writers, rejected = [], [], []
        for index, (sample, writer) in enumerate(zip(samples, writers)):
            try:  # every check before the database sees any
                rows.append(sample_values(sample))
                kept_writers.append(writer)
            except (InvalidInputError, LabelError) as exc:
                rejected.append((index, str(exc)))
        if self._session is not None:
            outcome = self._add(self._session, rows, kept_writers)
        else:
            with self.database.session(write=not self.dry_run, failed="this batch was not stored") as s:
                outcome = self._add(s, rows, kept_writers)
        return ImportOutcome(outcome.stored, outcome.duplicates, tuple(rejected))

    def _add(self, s: Session, rows: list[dict[str, Any]], writers: Sequence[str]) -> ImportOutcome:
        t = TrainingSample
        keys = [(row["ink_hash"], row["actual_char"]) for row in rows]
        hashes = list({h for h, _ in keys})
        found = s.execute(select(t.ink_hash, t.actual_char).where(t.ink_hash.in_(hashes)))
        stored_keys: set[tuple[str | None, str]] = {(h, c) for h, c in found}
        if self.dry_run:
            stored_keys |= self._seen_in_dry_run
        fresh, fresh_writers = [], []
        for row, key, writer in zip(rows, keys, writers):
            if key in stored_keys:
                continue
            stored_keys.add(key)
            fresh.append(row)
            fresh_writers.append(writer)
        duplicates = len(rows) - len(fresh)
        if self.dry_run:
            self._seen_in_dry_run.update((r["ink_hash"], r["actual_char"]) for r in fresh)
            return ImportOutcome(tuple(0 for _ in fresh), duplicates)
        if not fresh:
            return ImportOutcome((), duplicates)
        for row, writer in zip(fresh, fresh_writers):
            if writer and row["participant_id"] is None:
                row["participant_id"] = self._participant(s, writer)
        # a Core insert of many rows: the ORM's unit of work costs as much again as the insert itself
        ids = s.scalars(insert(t).returning(t.id, sort_by_parameter_order=True), fresh).all()
        self._stored_any = True
        return ImportOutcome(tuple(ids), duplicates)

    def _participant(self, s: Session, writer: str) -> int:
        name = writer.strip()[:MAX_NAME]
        if name not in self._participants:
            self._participants[name] = participant_named(s, name).id
        return self._participants[name]
