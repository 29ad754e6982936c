"""Where every answer is kept: samples, training runs, model versions, participants.

`Storage(url)` opens the database (the SQLite file of `Settings.database_url`
by default, or any SQLAlchemy URL such as `postgresql+psycopg://...`), brings
its schema up to date with Alembic, and offers one method per thing the app
does. Each method is one short transaction and returns frozen dataclasses,
never ORM objects (they, the checks on what goes in and the errors live in
`records.py`; the connection, and what goes wrong with it, in `database.py`).
Errors a user can cause (a locked or vanished database, an unreachable server,
a wrong label) are `StorageError`s, or `LabelError` for a label, whose message
can be shown as it is.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, defer

from ..recognition.charset import CLASS_INDEX, validate_label
from ..recognition.ink import Ink
from ..settings import get_settings
from . import edits, paging, retention
from .bulk import BatchImporter
from .database import Database
from .records import (
    CharAccuracy,
    CollectionSessionInfo,
    EditInfo,
    InvalidInputError,
    KeysetPage,
    ModelVersionInfo,
    NewSample,
    NotFoundError,
    ParticipantInfo,
    SampleFilter,
    SamplePage,
    SampleRecord,
    TrainingSessionInfo,
    from_row,
    one_of,
    participant_named,
    sample_record,
    sample_row,
)
from .tables import (
    COLLECTION_STATUSES,
    TRAINING_KINDS,
    TRAINING_STATUSES,
    CollectionSession,
    ModelVersion,
    Participant,
    TrainingSample,
    TrainingSession,
    utcnow,
)

INTERRUPTED = "interrupted (the process stopped)"


# --- the facade ----------------------------------------------------------------


class Storage:
    def __init__(
        self, url: str | URL | None = None, *, busy_timeout_s: float = 5.0, undo_days: int | None = None
    ) -> None:
        self.database = Database(url or get_settings().database_url, busy_timeout_s=busy_timeout_s)
        self.undo_days = undo_days or get_settings().undo_days  # how long a delete can be undone
        self.forget_expired_deletes()

    @property
    def url(self) -> URL:
        return self.database.url

    @property
    def where(self) -> str:
        """The database, for messages (no password)."""
        return self.database.where

    def close(self) -> None:
        self.database.close()

    def session(self, *, write: bool = False, failed: str = "nothing was changed") -> AbstractContextManager[Session]:
        """One transaction; database trouble comes out as a StorageError ending in `failed`."""
        return self.database.session(write=write, failed=failed)

    # -- participants

    def add_participant(self, name: str) -> ParticipantInfo:
        """The participant called `name` (surrounding spaces ignored), created if new."""
        name = (name or "").strip()
        if not name:
            raise InvalidInputError("a participant needs a name")
        if len(name) > 100:
            raise InvalidInputError("a participant name has at most 100 characters")
        with self.session(write=True, failed="the participant was not added") as s:
            return from_row(ParticipantInfo, participant_named(s, name))

    def list_participants(self) -> list[ParticipantInfo]:
        with self.session() as s:
            return [from_row(ParticipantInfo, r) for r in s.scalars(select(Participant).order_by(Participant.name))]

    def find_participant(self, name_or_id: str | int) -> ParticipantInfo:
        """The participant with this name (or number); NotFoundError if there is none."""
        key = str(name_or_id).strip()
        with self.session() as s:
            row = s.scalar(select(Participant).where(Participant.name == key))
            if row is None and key.isdigit():
                row = s.get(Participant, int(key))
            if row is None:
                raise NotFoundError(f"there is no participant {key!r}")
            return from_row(ParticipantInfo, row)

    def rename_participant(self, participant_id: int, new_name: str) -> ParticipantInfo:
        name = (new_name or "").strip()
        if not name or len(name) > 100:
            raise InvalidInputError("a participant name has 1 to 100 characters")
        with self.session(write=True, failed="the participant was not renamed") as s:
            row = self._get(s, Participant, participant_id, "participant")
            taken = s.scalar(select(Participant.id).where(Participant.name == name, Participant.id != participant_id))
            if taken is not None:
                raise InvalidInputError(f"there is already a participant called {name!r}")
            row.name = name
            return from_row(ParticipantInfo, row)

    def participant_sample_count(self, participant_id: int) -> int:
        with self.session() as s:
            return s.scalar(select(func.count()).where(TrainingSample.participant_id == participant_id)) or 0

    def delete_participant(self, participant_id: int) -> int:
        """Delete the participant, their collection sessions and their samples, and every copy of
        those samples kept for undo; returns how many samples. It cannot be undone."""
        with self.session(write=True, failed="nothing was deleted") as s:
            row = self._get(s, Participant, participant_id, "participant")
            retention.forget_participant(s, participant_id)
            stmt = delete(TrainingSample).where(TrainingSample.participant_id == participant_id)
            deleted = s.execute(stmt.execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]  # DML: a CursorResult
            s.execute(delete(CollectionSession).where(CollectionSession.participant_id == participant_id))
            s.delete(row)
            return deleted

    # -- collection sessions

    def start_collection_session(self, participant_id: int, planned_chars: Sequence[str]) -> CollectionSessionInfo:
        chars = [validate_label(c) for c in planned_chars]
        with self.session(write=True, failed="the session was not started") as s:
            if s.get(Participant, participant_id) is None:
                raise NotFoundError(f"there is no participant number {participant_id}")
            row = CollectionSession(participant_id=participant_id, planned_chars=chars)
            s.add(row)
            s.flush()
            return self._collection_info(s, row)

    def set_collection_session_status(self, session_id: int, status: str) -> CollectionSessionInfo:
        one_of("session status", status, COLLECTION_STATUSES)
        with self.session(write=True, failed="the session status was not changed") as s:
            row = self._get(s, CollectionSession, session_id, "data-collection session")
            row.status = status
            row.finished_at = utcnow() if status in ("finished", "abandoned") else None
            return self._collection_info(s, row)

    def get_collection_session(self, session_id: int) -> CollectionSessionInfo:
        with self.session() as s:
            return self._collection_info(s, self._get(s, CollectionSession, session_id, "data-collection session"))

    def list_collection_sessions(self, participant_id: int | None = None) -> list[CollectionSessionInfo]:
        stmt = select(CollectionSession).order_by(CollectionSession.created_at.desc(), CollectionSession.id.desc())
        if participant_id is not None:
            stmt = stmt.where(CollectionSession.participant_id == participant_id)
        with self.session() as s:
            return [self._collection_info(s, row) for row in s.scalars(stmt)]

    @staticmethod
    def _collection_info(s: Session, row: CollectionSession) -> CollectionSessionInfo:
        done = s.scalar(select(func.count()).where(TrainingSample.collection_session_id == row.id)) or 0
        return from_row(CollectionSessionInfo, row, planned_chars=tuple(row.planned_chars), samples_done=done)

    # -- samples

    def save_sample(self, sample: NewSample) -> int:
        """Store one answer; returns its id. Raises before anything is stored if it is invalid."""
        return self.save_samples([sample])[0]

    def save_samples(self, samples: Sequence[NewSample]) -> list[int]:
        """Store all or none, in one transaction (imports)."""
        rows = [sample_row(sample) for sample in samples]
        failed = "your sample was not stored" if len(rows) == 1 else "none of the samples were stored"
        with self.session(write=True, failed=failed) as s:
            s.add_all(rows)
            s.flush()
            return [row.id for row in rows]

    def get_sample(self, sample_id: int) -> SampleRecord:
        with self.session() as s:
            return sample_record(self._get(s, TrainingSample, sample_id, "sample"))

    def query_samples(self, filter: SampleFilter | None = None, page: int = 1, per_page: int = 50) -> SamplePage:
        """Newest first, one page of them."""
        filter, per_page = filter or SampleFilter(), max(1, per_page)
        with self.session() as s:
            total = s.scalar(filter.apply(select(func.count()).select_from(TrainingSample))) or 0
            pages = max(1, math.ceil(total / per_page))
            page = min(max(1, page), pages)
            stmt = filter.apply(select(TrainingSample)).order_by(
                TrainingSample.created_at.desc(), TrainingSample.id.desc()
            )
            rows = s.scalars(stmt.offset((page - 1) * per_page).limit(per_page))
            return SamplePage(tuple(sample_record(r) for r in rows), total, page, pages)

    def iter_samples(
        self, filter: SampleFilter | None = None, batch_size: int = 500, *, features: bool = True
    ) -> Iterator[SampleRecord]:
        """Every matching sample, oldest first, read in batches (exports: `features=False` leaves
        the model-input column unread, a third of the reading)."""
        filter, last_id = filter or SampleFilter(), 0
        query = select(TrainingSample) if features else select(TrainingSample).options(defer(TrainingSample.features))
        while True:
            stmt = filter.apply(query).where(TrainingSample.id > last_id)
            with self.session() as s:
                rows = s.scalars(stmt.order_by(TrainingSample.id).limit(batch_size))
                batch = [sample_record(r, features=features) for r in rows]
            yield from batch
            if len(batch) < batch_size:
                return
            last_id = batch[-1].id

    def training_samples(self, filter: SampleFilter | None = None) -> list[tuple[Ink, str]]:
        """(ink, label) pairs to train on, oldest first."""
        stmt = select(TrainingSample.raw_ink, TrainingSample.actual_char).order_by(TrainingSample.id)
        with self.session() as s:
            rows = s.execute((filter or SampleFilter()).apply(stmt)).all()
        return [(Ink.from_strokes(strokes), char) for strokes, char in rows]

    def page_samples(
        self,
        filter: SampleFilter | None = None,
        after: tuple[Any, int] | None = None,
        per_page: int = 50,
        *,
        order: str = "newest",
    ) -> KeysetPage:
        """One page in `order` (newest, oldest, least confident first), the one after the key `after`
        (None: the first); see paging.py."""
        with self.session() as s:
            return paging.keyset_page(s, filter or SampleFilter(), after, max(1, per_page), order)

    def relabel(self, ids: Iterable[int], char: str) -> int:
        """Give the samples label `char`; returns how many changed. Logged, so it can be undone.

        The correction type becomes `corrected` when the model had said
        something else, `confirmed` when it had said `char`, `manual` when
        there was no prediction.
        """
        with self.session(write=True, failed="no sample was relabeled") as s:
            return edits.relabel(s, ids, char)

    def delete(self, ids: Iterable[int]) -> int:
        """Delete the samples; returns how many there were. Logged, so it can be undone for `undo_days`."""
        with self.session(write=True, failed="no sample was deleted") as s:
            deleted = edits.delete_samples(s, ids)
            retention.purge_expired(s, self.undo_days)
            return deleted

    def forget_expired_deletes(self) -> None:
        """Erase the deletes older than `undo_days` and their copies of the deleted samples."""
        with self.session() as s:
            if not retention.has_expired(s, self.undo_days):
                return  # the usual case: no write transaction
        with self.session(write=True, failed="the expired deletes were not erased") as s:
            retention.purge_expired(s, self.undo_days)

    def list_edits(self, limit: int = 50) -> list[EditInfo]:
        """The relabels and deletes, newest first (deletes older than `undo_days` are erased first)."""
        self.forget_expired_deletes()
        with self.session() as s:
            return edits.list_edits(s, limit)

    def edit_old_values(self, edit_id: int, limit: int = 20) -> list[tuple[int, dict[str, Any]]]:
        with self.session() as s:
            return edits.old_values(s, edit_id, limit)

    def undo_edit(self, edit_id: int) -> int:
        """Put back what a relabel or delete changed; returns how many samples."""
        with self.session(write=True, failed="nothing was undone") as s:
            return edits.undo(s, edit_id, self.undo_days)

    def importing(self, *, all_or_nothing: bool = False, dry_run: bool = False) -> BatchImporter:
        """`with storage.importing() as batches: batches.add(samples, writers)` (see bulk.py)."""
        return BatchImporter(self.database, all_or_nothing=all_or_nothing, dry_run=dry_run)

    # -- aggregates, computed by the database

    def count_by_char(self, filter: SampleFilter | None = None) -> dict[str, int]:
        stmt = select(TrainingSample.actual_char, func.count()).group_by(TrainingSample.actual_char)
        with self.session() as s:
            rows = s.execute((filter or SampleFilter()).apply(stmt)).all()
        return {char: count for char, count in sorted(rows, key=lambda r: CLASS_INDEX.get(r[0], 99))}

    def accuracy_by_char(self, filter: SampleFilter | None = None) -> list[CharAccuracy]:
        """Per label, over the samples that had a prediction."""
        t = TrainingSample
        stmt = (
            select(
                t.actual_char,
                func.count(),
                func.sum(case((t.is_correct.is_(True), 1), else_=0)),
                func.avg(t.predicted_confidence),
            )
            .where(t.predicted_char.is_not(None))
            .group_by(t.actual_char)
        )
        with self.session() as s:
            rows = s.execute((filter or SampleFilter()).apply(stmt)).all()
        return sorted(
            (CharAccuracy(c, n, int(ok or 0), None if conf is None else float(conf)) for c, n, ok, conf in rows),
            key=lambda r: CLASS_INDEX.get(r.char, 99),
        )

    def confusion_counts(self, filter: SampleFilter | None = None) -> dict[tuple[str, str], int]:
        """(actual, predicted) -> count, over the samples that had a prediction."""
        t = TrainingSample
        stmt = (
            select(t.actual_char, t.predicted_char, func.count())
            .where(t.predicted_char.is_not(None))
            .group_by(t.actual_char, t.predicted_char)
        )
        with self.session() as s:
            return {(a, p): n for a, p, n in s.execute((filter or SampleFilter()).apply(stmt)) if p is not None}

    # -- training sessions

    def start_training_session(
        self, kind: str, params: dict[str, Any], *, device: str | None = None, parent_version: str | None = None
    ) -> int:
        one_of("training kind", kind, TRAINING_KINDS)
        with self.session(write=True, failed="the training run was not recorded") as s:
            row = TrainingSession(
                kind=kind, params=dict(params), history=[], device=device, parent_version=parent_version
            )
            s.add(row)
            s.flush()
            return row.id

    _UPDATABLE = frozenset(
        {"status", "history", "metrics", "device", "samples_used", "model_version", "parent_version", "error", "params"}
    )

    def update_training_session(self, session_id: int, **changes: Any) -> None:
        """Change some fields of a run (history is replaced, not appended to)."""
        with self.session(write=True, failed="the training progress was not recorded") as s:
            self._change_training(s, session_id, changes)

    def finish_training_session(
        self, session_id: int, status: str, metrics: dict[str, Any] | None = None, **changes: Any
    ) -> TrainingSessionInfo:
        """End a run as completed, failed or cancelled; timings are filled in."""
        one_of("final training status", status, TRAINING_STATUSES[1:])
        changes = {"status": status, **changes, **({"metrics": metrics} if metrics is not None else {})}
        with self.session(write=True, failed="the end of the training run was not recorded") as s:
            row = self._change_training(s, session_id, changes)
            row.finished_at = utcnow()
            row.duration_s = (row.finished_at - row.started_at).total_seconds()
            return from_row(TrainingSessionInfo, row)

    def _change_training(self, s: Session, session_id: int, changes: dict[str, Any]) -> TrainingSession:
        unknown = set(changes) - self._UPDATABLE
        if unknown:
            raise TypeError(f"training sessions have no updatable field {', '.join(sorted(unknown))}")
        if "status" in changes:
            one_of("training status", changes["status"], TRAINING_STATUSES)
        row = self._get(s, TrainingSession, session_id, "training run")
        for name, value in changes.items():
            setattr(row, name, value)
        return row

    def get_training_session(self, session_id: int) -> TrainingSessionInfo:
        with self.session() as s:
            return from_row(TrainingSessionInfo, self._get(s, TrainingSession, session_id, "training run"))

    def list_training_sessions(self, limit: int | None = None) -> list[TrainingSessionInfo]:
        """Newest first."""
        stmt = select(TrainingSession).order_by(TrainingSession.started_at.desc(), TrainingSession.id.desc())
        with self.session() as s:
            return [from_row(TrainingSessionInfo, r) for r in s.scalars(stmt.limit(limit))]

    def mark_interrupted_sessions(self, session_ids: Iterable[int]) -> int:
        """These runs died with their process: those still `running` are marked failed. The caller
        knows which runs are dead (learning.jobs); other runs sharing the database are left alone."""
        ids = list(session_ids)
        if not ids:
            return 0
        with self.session(write=True, failed="old training runs were not updated") as s:
            rows = list(
                s.scalars(
                    select(TrainingSession).where(TrainingSession.status == "running", TrainingSession.id.in_(ids))
                )
            )
            for row in rows:
                row.status, row.error, row.finished_at = "failed", INTERRUPTED, utcnow()
                row.duration_s = (row.finished_at - row.started_at).total_seconds()
            return len(rows)

    # -- model versions

    def record_model_version(
        self,
        version: str,
        path: str | os.PathLike[str],
        parent: str | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> ModelVersionInfo:
        """Remember a trained model (recording the same version again updates it). Not activated."""
        with self.session(write=True, failed="the model version was not recorded") as s:
            row = s.scalar(select(ModelVersion).where(ModelVersion.version == version))
            if row is None:
                row = ModelVersion(version=version, is_active=False)
                s.add(row)
            row.path, row.parent_version, row.metrics = str(path), parent, metrics
            s.flush()
            return from_row(ModelVersionInfo, row)

    def set_active_model_version(self, version: str) -> ModelVersionInfo:
        """Make `version` the one the app predicts with (rollback included)."""
        with self.session(write=True, failed="the active model was not changed") as s:
            row = s.scalar(select(ModelVersion).where(ModelVersion.version == version))
            if row is None:
                raise NotFoundError(f"there is no model version {version!r}")
            s.execute(update(ModelVersion).where(ModelVersion.version != version).values(is_active=False))
            row.is_active = True
            return from_row(ModelVersionInfo, row)

    def active_model_version(self) -> ModelVersionInfo | None:
        with self.session() as s:
            row = s.scalar(select(ModelVersion).where(ModelVersion.is_active.is_(True)))
            return None if row is None else from_row(ModelVersionInfo, row)

    def list_model_versions(self) -> list[ModelVersionInfo]:
        """Newest first."""
        stmt = select(ModelVersion).order_by(ModelVersion.created_at.desc(), ModelVersion.id.desc())
        with self.session() as s:
            return [from_row(ModelVersionInfo, r) for r in s.scalars(stmt)]

    @staticmethod
    def _get(s: Session, model: type[Any], key: int, what: str) -> Any:
        row = s.get(model, key)
        if row is None:
            raise NotFoundError(f"there is no {what} number {key}")
        return row
