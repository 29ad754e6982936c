"""The aggregate queries over training_samples: counts and sums, grouped by the database.

    f = StatsFilter(participant_id=3, source="canvas")
    pair_counts(storage, f)                 # one PairCounts per (actual, predicted) pair
    confidence_buckets(storage, f, 20)      # bucket index -> BucketCounts, confidence in 5% buckets
    samples_per_day(storage, f)             # DayCount per UTC day that has samples
    version_counts(storage, f)              # VersionAccuracy per model version, unordered
    versions_used(storage)                  # the model versions that predicted something
    latest_inks(storage, f, per_char=10)    # (char, strokes) of each character's latest inks

Each query is one GROUP BY (or one windowed read) computed by the database; none
loads the rows. `insight/stats.py` turns these counts into the Stats page's figures
and `insight/suggestions.py` into practice suggestions. On SQLite the filter's
columns are wrapped so that every aggregate reads the covering index
`ix_training_samples_stats` (or `ix_training_samples_versions`), not the rows
with their ink (see `_where`).

`insert_raw_samples` and `refresh_planner_statistics` are for `bench-stats` and the
tests' seeded databases: rows written straight into the table, then the planner's
statistics brought up to date.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Date, String, case, cast, func, insert, literal, select, text

from .records import InvalidInputError, SampleFilter, one_of
from .store import Storage
from .tables import CORRECTION_TYPES, SOURCES, TrainingSample

T = TrainingSample


@dataclass(frozen=True)
class StatsFilter:
    """Which samples the Stats page looks at; None means any."""

    participant_id: int | None = None
    start: datetime | None = None  # inclusive; naive means UTC
    end: datetime | None = None  # exclusive
    model_version: str | None = None
    source: str | None = None  # canvas | air | import
    correction_type: str | None = None  # confirmed | corrected | manual | prompted

    def __post_init__(self) -> None:
        for name in ("start", "end"):  # naive means UTC, as everywhere in storage
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                object.__setattr__(self, name, value.replace(tzinfo=UTC))
        if self.source is not None:
            one_of("source", self.source, SOURCES)
        if self.correction_type is not None:
            one_of("correction type", self.correction_type, CORRECTION_TYPES)
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise InvalidInputError("the date range ends before it starts: choose an end after the start")

    def sample_filter(self, **more: Any) -> SampleFilter:
        """The same samples as a storage `SampleFilter` (to list them), narrowed by `more`."""
        return SampleFilter(
            participant_id=self.participant_id,
            start=self.start,
            end=self.end,
            model_version=self.model_version,
            source=self.source,
            correction_types=(self.correction_type,) if self.correction_type else (),
            **more,
        )


class PairCounts(NamedTuple):
    """The samples of one (actual, predicted) pair; predicted is None for samples typed in by hand."""

    actual: str
    predicted: str | None
    samples: int
    predicted_count: int  # samples that had a prediction (is_correct not NULL)
    correct: int
    confident: int  # of the predicted ones, those with a confidence
    confidence_sum: float  # the sum of those confidences


class BucketCounts(NamedTuple):
    """The samples whose confidence falls in one bucket."""

    samples: int
    predicted: int  # of them, those that had a prediction
    confidence_sum: float  # the sum of the predicted ones' confidence
    correct: int


@dataclass(frozen=True)
class DayCount:
    day: date  # UTC
    samples: int


@dataclass(frozen=True)
class VersionAccuracy:
    version: str
    predicted: int
    correct: int
    first_used: datetime

    @property
    def accuracy(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0


_OK = case((T.is_correct.is_(True), 1), else_=0)
_PREDICTED_CONFIDENCE = case((T.is_correct.is_not(None), T.predicted_confidence))
_FAILED = "the statistics could not be read"


def _where(f: StatsFilter | None, dialect: str) -> list[Any]:
    """The filter's conditions. On SQLite each column is wrapped in coalesce(x, x), which
    SQLite cannot answer from that column's own index: otherwise it would pick, say,
    ix_training_samples_participant_id and fetch every matching row, kilobytes of ink
    each, instead of scanning the covering stats index (about a hundred bytes a row)."""
    f = f or StatsFilter()

    def col(c: Any) -> Any:
        return func.coalesce(c, c) if dialect == "sqlite" else c

    conditions = [
        col(T.created_at) >= f.start if f.start is not None else None,
        col(T.created_at) < f.end if f.end is not None else None,
        col(T.participant_id) == f.participant_id if f.participant_id is not None else None,
        col(T.model_version) == f.model_version if f.model_version is not None else None,
        col(T.source) == f.source if f.source is not None else None,
        col(T.correction_type) == f.correction_type if f.correction_type is not None else None,
    ]
    return [c for c in conditions if c is not None]


def _run(storage: Storage, stmt: Any, f: StatsFilter | None) -> list[Any]:
    with storage.session(failed=_FAILED) as s:
        dialect = s.get_bind().dialect.name
        return list(s.execute(stmt.where(*_where(f, dialect))).all())


def pair_counts(storage: Storage, f: StatsFilter | None = None) -> tuple[PairCounts, ...]:
    """One GROUP BY (actual, predicted): what the totals, per-character figures and confusions sum."""
    stmt = select(
        T.actual_char, T.predicted_char, func.count(), func.count(T.is_correct), func.sum(_OK),
        func.count(_PREDICTED_CONFIDENCE), func.sum(_PREDICTED_CONFIDENCE),
    ).group_by(T.actual_char, T.predicted_char)  # fmt: skip
    return tuple(
        PairCounts(a, p, int(n), int(predicted), int(ok or 0), int(n_conf), float(conf or 0.0))
        for a, p, n, predicted, ok, n_conf, conf in _run(storage, stmt, f)
    )


def _bucket_of(low: int, high: int, n: int) -> Any:
    """The bucket of a confidence between buckets low and high, as nested CASEs that halve the
    range: about log2(n) comparisons a row instead of n / 2, each against an edge i / n."""
    if low == high:
        return literal(low)
    mid = (low + high + 1) // 2
    return case((T.predicted_confidence < mid / n, _bucket_of(low, mid - 1, n)), else_=_bucket_of(mid, high, n))


def confidence_buckets(storage: Storage, f: StatsFilter | None, n: int) -> dict[int, BucketCounts]:
    """bucket (0 to n - 1) -> its counts, over samples with a confidence; empty buckets left out.

    The bucket is found by comparing with the same edges Python's bisect compares with, not
    by floor(c * n), whose rounding can differ at an edge."""
    if n < 1:
        raise InvalidInputError("a histogram needs at least one bucket")
    bucket = _bucket_of(0, n - 1, n).label("b")
    stmt = (
        select(bucket, func.count(), func.count(_PREDICTED_CONFIDENCE), func.sum(_PREDICTED_CONFIDENCE), func.sum(_OK))
        .where(T.predicted_confidence.is_not(None))
        .group_by(bucket)
    )
    return {
        int(b): BucketCounts(int(c), int(p), float(conf or 0.0), int(ok or 0))
        for b, c, p, conf, ok in _run(storage, stmt, f)
    }


def _day(dialect: str) -> Any:
    """The UTC day of created_at, in this database's dialect (SQLite stores naive UTC text)."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", T.created_at), Date)
    return func.substr(cast(T.created_at, String), 1, 10)


def samples_per_day(storage: Storage, f: StatsFilter | None = None) -> tuple[DayCount, ...]:
    """Samples per UTC day, days with samples only, oldest first."""
    with storage.session(failed=_FAILED) as s:
        dialect = s.get_bind().dialect.name
        day = _day(dialect).label("day")
        stmt = select(day, func.count()).where(*_where(f, dialect)).group_by(day).order_by(day)
        rows = s.execute(stmt).all()
    return tuple(DayCount(d if isinstance(d, date) else date.fromisoformat(d), int(n)) for d, n in rows)


def version_counts(storage: Storage, f: StatsFilter | None = None) -> tuple[VersionAccuracy, ...]:
    """Per model version that predicted a sample: how many it predicted, how many right, when first.
    In no particular order. Reads ix_training_samples_versions, which holds every column this
    needs in its GROUP BY order."""
    stmt = select(T.model_version, func.count(T.is_correct), func.sum(_OK), func.min(T.created_at)).group_by(
        T.model_version
    )
    rows = _run(storage, stmt, f)
    return tuple(VersionAccuracy(v, int(n), int(ok or 0), first) for v, n, ok, first in rows if v is not None and n)


def versions_used(storage: Storage) -> tuple[str, ...]:
    """The model versions that predicted some sample, sorted (read from their own index)."""
    stmt = select(T.model_version).where(T.model_version.is_not(None)).distinct().order_by(T.model_version)
    with storage.session(failed="the model versions could not be read") as s:
        return tuple(s.scalars(stmt))


def latest_inks(storage: Storage, f: StatsFilter | None, per_char: int) -> list[tuple[str, Any]]:
    """(character, stored strokes) of each character's latest `per_char` inks under `f`, in no
    particular order; the rank is computed by the database (a window), only those inks are read."""
    rank = func.row_number().over(partition_by=T.actual_char, order_by=(T.created_at.desc(), T.id.desc()))
    inner = (f or StatsFilter()).sample_filter().apply(select(T.id, T.actual_char, rank.label("rank"))).subquery()
    stmt = (
        select(inner.c.actual_char, TrainingSample.raw_ink)
        .join(TrainingSample, TrainingSample.id == inner.c.id)
        .where(inner.c.rank <= per_char)
    )
    with storage.session(failed="the model's doubts could not be read") as s:
        return [(char, strokes) for char, strokes in s.execute(stmt).all()]


def insert_raw_samples(storage: Storage, chunks: Iterable[list[dict[str, Any]]]) -> int:
    """Insert rows of training_samples as given (every column named), chunk by chunk, in one
    transaction; returns how many. For seeded benchmark and test databases only: nothing is
    checked or derived (no ink hash), unlike `Storage.save_sample`."""
    done = 0
    with storage.session(write=True, failed="the benchmark samples were not stored") as s:
        for rows in chunks:
            s.execute(insert(TrainingSample), rows)
            done += len(rows)
    return done


def refresh_planner_statistics(storage: Storage) -> None:
    """Fresh statistics and, on PostgreSQL, a visibility map, as autovacuum leaves them after a
    while: without it every scan visits the heap instead of the covering index alone.
    Right after the inserts a VACUUM may still leave the pages unmarked (a moment later it
    does not): try again until the map covers the table, as autovacuum would, or give up."""
    with storage.database.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
            return
        for _ in range(20):
            conn.execute(text("VACUUM ANALYZE training_samples"))
            pages, visible = conn.execute(
                text("SELECT relpages, relallvisible FROM pg_class WHERE oid = 'training_samples'::regclass")
            ).one()
            if visible >= pages:
                break
            time.sleep(1)
