"""The Stats page's numbers, each one GROUP BY over training_samples computed by the database.

    f = StatsFilter(participant_id=3, source="canvas")
    totals(storage, f).accuracy           # over the samples that had a prediction
    per_char(storage, f)                  # every stored character: count, accuracy, confidence
    confusion_matrix(storage, f)          # (actual, predicted) -> count, the diagonal included
    reliability(storage, f).ece           # is the confidence honest?
    page_stats(storage, f)                # all of them, as one page view asks for them

Every query reads only the columns of the covering index `ix_training_samples_stats`
(migration 0002_insight), so it never touches the kilobytes of ink of each row.
Accuracy, confidence and calibration count only samples that had a prediction
(`is_correct` is NULL for a sample typed in by hand); counts count them all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Sequence

from sqlalchemy import Date, String, case, cast, func, select
from sqlalchemy.orm import Session

from ..recognition.charset import CLASS_INDEX
from ..storage.records import InvalidInputError, SampleFilter, one_of
from ..storage.store import Storage
from ..storage.tables import CORRECTION_TYPES, SOURCES, TrainingSample

T = TrainingSample
SEED_BUCKETS = 5  # the seed's 0-20%, 20-40%, ..., 80-100%
FINE_BUCKETS = 20  # 5% each
RELIABILITY_BINS = 10


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
                object.__setattr__(self, name, value.replace(tzinfo=timezone.utc))
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


@dataclass(frozen=True)
class Totals:
    samples: int
    predicted: int  # samples that had a prediction
    correct: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def misclassification_rate(self) -> float | None:
        return 1 - self.correct / self.predicted if self.predicted else None


@dataclass(frozen=True)
class CharStats:
    char: str
    samples: int
    predicted: int
    correct: int
    avg_confidence: float | None  # over the predicted ones

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None


@dataclass(frozen=True)
class Confusion:
    actual: str
    predicted: str
    count: int


@dataclass(frozen=True)
class Bucket:
    low: float
    high: float  # exclusive, except the last bucket, which takes 1.0
    count: int

    @property
    def label(self) -> str:
        return f"{self.low:.0%}-{self.high:.0%}"


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    avg_confidence: float | None
    accuracy: float | None


@dataclass(frozen=True)
class Reliability:
    bins: tuple[ReliabilityBin, ...]
    ece: float | None  # expected calibration error; None without predictions


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


@dataclass(frozen=True)
class PageStats:
    """Everything one view of the Stats page shows, and what each query took."""

    totals: Totals
    per_char: tuple[CharStats, ...]
    confusions: tuple[Confusion, ...]  # the whole matrix, diagonal included
    seed_histogram: tuple[Bucket, ...]
    fine_histogram: tuple[Bucket, ...]
    reliability: Reliability
    per_day: tuple[DayCount, ...]
    per_version: tuple[VersionAccuracy, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def top_confusions(self) -> tuple[Confusion, ...]:
        return off_diagonal(self.confusions)


# --- one function per aggregate -------------------------------------------------


def _run(storage: Storage, stmt: Any, f: StatsFilter | None) -> list[Any]:
    with storage.session(failed="the statistics could not be read") as s:
        return list(s.execute((f or StatsFilter()).sample_filter().apply(stmt)).all())


def totals(storage: Storage, f: StatsFilter | None = None) -> Totals:
    stmt = select(func.count(), func.count(T.is_correct), func.sum(case((T.is_correct.is_(True), 1), else_=0)))
    (n, predicted, correct), = _run(storage, stmt.select_from(T), f)
    return Totals(int(n), int(predicted), int(correct or 0))


def per_char(storage: Storage, f: StatsFilter | None = None) -> tuple[CharStats, ...]:
    """Characters with at least one sample, in class order (0-9, A-Z, a-z)."""
    stmt = select(
        T.actual_char,
        func.count(),
        func.count(T.is_correct),
        func.sum(case((T.is_correct.is_(True), 1), else_=0)),
        func.avg(case((T.is_correct.is_not(None), T.predicted_confidence))),
    ).group_by(T.actual_char)
    rows = [
        CharStats(c, int(n), int(p), int(ok or 0), None if conf is None else float(conf))
        for c, n, p, ok, conf in _run(storage, stmt, f)
    ]
    return tuple(sorted(rows, key=lambda r: CLASS_INDEX.get(r.char, 99)))


def confusion_matrix(storage: Storage, f: StatsFilter | None = None) -> tuple[Confusion, ...]:
    """(actual, predicted) counts over the samples that had a prediction; the most frequent first."""
    stmt = (
        select(T.actual_char, T.predicted_char, func.count())
        .where(T.predicted_char.is_not(None))
        .group_by(T.actual_char, T.predicted_char)
    )
    rows = [Confusion(a, p, int(n)) for a, p, n in _run(storage, stmt, f)]
    return tuple(sorted(rows, key=lambda c: (-c.count, CLASS_INDEX.get(c.actual, 99), CLASS_INDEX.get(c.predicted, 99))))


def off_diagonal(confusions: Sequence[Confusion]) -> tuple[Confusion, ...]:
    """The mistakes only, most frequent first."""
    return tuple(c for c in confusions if c.actual != c.predicted)


def bucket_edges(n: int) -> list[float]:
    """Upper edges of n equal buckets over [0, 1]; the last one also takes 1.0."""
    return [i / n for i in range(1, n)]


def _bucket_of(edges: list[float]) -> Any:
    """The bucket number of a confidence, as SQL: the same comparisons Python's bisect makes."""
    return case(*((T.predicted_confidence < edge, i) for i, edge in enumerate(edges)), else_=len(edges))


def _buckets(n: int) -> list[tuple[float, float]]:
    return [(i / n, (i + 1) / n) for i in range(n)]


def confidence_histogram(storage: Storage, f: StatsFilter | None = None, n: int = SEED_BUCKETS) -> tuple[Bucket, ...]:
    """Samples per confidence bucket, empty buckets included."""
    if n < 1:
        raise InvalidInputError("a histogram needs at least one bucket")
    bucket = _bucket_of(bucket_edges(n)).label("bucket")
    stmt = select(bucket, func.count()).where(T.predicted_confidence.is_not(None)).group_by(bucket)
    counts = {int(b): int(c) for b, c in _run(storage, stmt, f)}
    return tuple(Bucket(low, high, counts.get(i, 0)) for i, (low, high) in enumerate(_buckets(n)))


def reliability(storage: Storage, f: StatsFilter | None = None, n: int = RELIABILITY_BINS) -> Reliability:
    """Per confidence bin, how often the model was right; ECE = sum over bins of
    (share of samples) x |accuracy - mean confidence|."""
    bucket = _bucket_of(bucket_edges(n)).label("bucket")
    stmt = (
        select(bucket, func.count(), func.avg(T.predicted_confidence), func.sum(case((T.is_correct.is_(True), 1), else_=0)))
        .where(T.predicted_confidence.is_not(None), T.is_correct.is_not(None))
        .group_by(bucket)
    )
    found = {int(b): (int(c), float(conf), int(ok or 0)) for b, c, conf, ok in _run(storage, stmt, f)}
    total = sum(c for c, _, _ in found.values())
    bins, ece = [], 0.0
    for i, (low, high) in enumerate(_buckets(n)):
        count, conf, ok = found.get(i, (0, None, 0))
        accuracy = ok / count if count else None
        if count:
            ece += count / total * abs(accuracy - conf)
        bins.append(ReliabilityBin(low, high, count, conf, accuracy))
    return Reliability(tuple(bins), ece if total else None)


def _day(s: Session) -> Any:
    """The UTC day of created_at, in this database's dialect (SQLite stores naive UTC text)."""
    if s.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", T.created_at), Date)
    return func.substr(cast(T.created_at, String), 1, 10)


def per_day(storage: Storage, f: StatsFilter | None = None) -> tuple[DayCount, ...]:
    """Samples per UTC day, days with samples only, oldest first."""
    with storage.session(failed="the statistics could not be read") as s:
        day = _day(s).label("day")
        stmt = (f or StatsFilter()).sample_filter().apply(select(day, func.count()).group_by(day).order_by(day))
        rows = s.execute(stmt).all()
    return tuple(DayCount(d if isinstance(d, date) else date.fromisoformat(d), int(n)) for d, n in rows)


def per_version(storage: Storage, f: StatsFilter | None = None) -> tuple[VersionAccuracy, ...]:
    """Accuracy of each model version on the samples it predicted, in the order the versions were first used."""
    stmt = (
        select(T.model_version, func.count(), func.sum(case((T.is_correct.is_(True), 1), else_=0)), func.min(T.created_at))
        .where(T.model_version.is_not(None), T.is_correct.is_not(None))
        .group_by(T.model_version)
    )
    rows = [VersionAccuracy(v, int(n), int(ok or 0), first) for v, n, ok, first in _run(storage, stmt, f)]
    return tuple(sorted(rows, key=lambda r: (r.first_used, r.version)))


def page_stats(storage: Storage, f: StatsFilter | None = None) -> PageStats:
    """Every aggregate of one Stats page view, each query timed (the benchmark prints them)."""
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = fn()
        timings[name] = (time.perf_counter() - start) * 1000
        return result

    return PageStats(
        totals=timed("totals", lambda: totals(storage, f)),
        per_char=timed("per character", lambda: per_char(storage, f)),
        confusions=timed("confusion matrix", lambda: confusion_matrix(storage, f)),
        seed_histogram=timed("confidence histogram (5)", lambda: confidence_histogram(storage, f, SEED_BUCKETS)),
        fine_histogram=timed("confidence histogram (20)", lambda: confidence_histogram(storage, f, FINE_BUCKETS)),
        reliability=timed("reliability + ECE", lambda: reliability(storage, f)),
        per_day=timed("samples per day", lambda: per_day(storage, f)),
        per_version=timed("accuracy per version", lambda: per_version(storage, f)),
        timings_ms=timings,
    )
