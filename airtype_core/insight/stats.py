"""The Stats page's numbers, each one GROUP BY over training_samples computed by the database.

    f = StatsFilter(participant_id=3, source="canvas")
    totals(storage, f).accuracy           # over the samples that had a prediction
    per_char(storage, f)                  # every stored character: count, accuracy, confidence
    confusion_matrix(storage, f)          # (actual, predicted) -> count, the diagonal included
    reliability(storage, f).ece           # is the confidence honest?
    page_stats(storage, f)                # all of them, as one page view asks for them

Every query reads a covering index (`ix_training_samples_stats`, and for the
versions `ix_training_samples_versions`, migration 0003_insight), never the
kilobytes of ink of each row; a page view is four index scans (see `page_stats`).
Accuracy, confidence and calibration count only samples that had a prediction
(`is_correct` is NULL for a sample typed in by hand); counts count them all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Sequence

from sqlalchemy import Date, String, case, cast, func, literal, select

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


# --- the queries ---------------------------------------------------------------------------
#
# A page view makes four scans of covering indexes: one GROUP BY (written, read as)
# gives the totals, the per-character figures and the confusion matrix; one GROUP BY
# 5%-bucket of confidence gives both histograms and the reliability bins (20 buckets
# nest exactly in 5 and in 10: i/5 and 4i/20 are the same double); one per day; one
# per model version. The public functions below each make one of them.

_OK = case((T.is_correct.is_(True), 1), else_=0)
_PREDICTED_CONFIDENCE = case((T.is_correct.is_not(None), T.predicted_confidence))


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
    with storage.session(failed="the statistics could not be read") as s:
        dialect = s.get_bind().dialect.name
        return list(s.execute(stmt.where(*_where(f, dialect))).all())


def _pair_rows(storage: Storage, f: StatsFilter | None) -> list[Any]:
    stmt = select(
        T.actual_char, T.predicted_char, func.count(), func.count(T.is_correct), func.sum(_OK),
        func.count(_PREDICTED_CONFIDENCE), func.sum(_PREDICTED_CONFIDENCE),
    ).group_by(T.actual_char, T.predicted_char)  # fmt: skip
    return _run(storage, stmt, f)


def _totals(pairs: list[Any]) -> Totals:
    return Totals(sum(int(r[2]) for r in pairs), sum(int(r[3]) for r in pairs), sum(int(r[4] or 0) for r in pairs))


def _per_char(pairs: list[Any]) -> tuple[CharStats, ...]:
    sums: dict[str, list[float]] = {}
    for actual, _, n, predicted, ok, n_conf, conf in pairs:
        acc = sums.setdefault(actual, [0, 0, 0, 0, 0.0])
        for i, value in enumerate((n, predicted, ok or 0, n_conf, conf or 0.0)):
            acc[i] += value
    rows = [CharStats(c, int(n), int(p), int(ok), conf / n_conf if n_conf else None)
            for c, (n, p, ok, n_conf, conf) in sums.items()]  # fmt: skip
    return tuple(sorted(rows, key=lambda r: CLASS_INDEX.get(r.char, 99)))


def _confusions(pairs: list[Any]) -> tuple[Confusion, ...]:
    rows = [Confusion(a, p, int(n)) for a, p, n, *_ in pairs if p is not None]
    return tuple(
        sorted(rows, key=lambda c: (-c.count, CLASS_INDEX.get(c.actual, 99), CLASS_INDEX.get(c.predicted, 99)))
    )


def totals(storage: Storage, f: StatsFilter | None = None) -> Totals:
    return _totals(_pair_rows(storage, f))


def per_char(storage: Storage, f: StatsFilter | None = None) -> tuple[CharStats, ...]:
    """Characters with at least one sample, in class order (0-9, A-Z, a-z)."""
    return _per_char(_pair_rows(storage, f))


def confusion_matrix(storage: Storage, f: StatsFilter | None = None) -> tuple[Confusion, ...]:
    """(actual, predicted) counts over the samples that had a prediction; the most frequent first."""
    return _confusions(_pair_rows(storage, f))


def off_diagonal(confusions: Sequence[Confusion]) -> tuple[Confusion, ...]:
    """The mistakes only, most frequent first."""
    return tuple(c for c in confusions if c.actual != c.predicted)


def _bucket_of(low: int, high: int, n: int) -> Any:
    """The bucket of a confidence between buckets low and high, as nested CASEs that halve the
    range: about log2(n) comparisons a row instead of n / 2, each against an edge i / n."""
    if low == high:
        return literal(low)
    mid = (low + high + 1) // 2
    return case((T.predicted_confidence < mid / n, _bucket_of(low, mid - 1, n)), else_=_bucket_of(mid, high, n))


def _bucket_rows(storage: Storage, f: StatsFilter | None, n: int) -> dict[int, tuple[int, int, float, int]]:
    """bucket -> (samples, predicted, sum of their confidence, right), over samples with a confidence.

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
    return {int(b): (int(c), int(p), float(conf or 0.0), int(ok or 0)) for b, c, p, conf, ok in _run(storage, stmt, f)}


def _rolled_up(
    rows: dict[int, tuple[int, int, float, int]], n: int, into: int
) -> dict[int, tuple[int, int, float, int]]:
    """Buckets of 1/n merged into buckets of 1/into (n a multiple of into)."""
    assert n % into == 0, "buckets only merge into coarser ones that divide them"
    out: dict[int, list[float]] = {}
    for b, values in rows.items():
        acc = out.setdefault(b // (n // into), [0, 0, 0.0, 0])
        for i, v in enumerate(values):
            acc[i] += v
    return {b: (int(c), int(p), conf, int(ok)) for b, (c, p, conf, ok) in out.items()}


def _histogram(rows: dict[int, tuple[int, int, float, int]], n: int) -> tuple[Bucket, ...]:
    return tuple(Bucket(i / n, (i + 1) / n, rows.get(i, (0,))[0]) for i in range(n))


def _reliability(rows: dict[int, tuple[int, int, float, int]], n: int) -> Reliability:
    total = sum(p for _, p, _, _ in rows.values())
    bins, ece = [], 0.0
    for i in range(n):
        _, count, conf_sum, ok = rows.get(i, (0, 0, 0.0, 0))
        conf = conf_sum / count if count else None
        accuracy = ok / count if count else None
        if accuracy is not None and conf is not None:
            ece += count / total * abs(accuracy - conf)
        bins.append(ReliabilityBin(i / n, (i + 1) / n, count, conf, accuracy))
    return Reliability(tuple(bins), ece if total else None)


def confidence_histogram(storage: Storage, f: StatsFilter | None = None, n: int = SEED_BUCKETS) -> tuple[Bucket, ...]:
    """Samples per confidence bucket, empty buckets included."""
    return _histogram(_bucket_rows(storage, f, n), n)


def reliability(storage: Storage, f: StatsFilter | None = None, n: int = RELIABILITY_BINS) -> Reliability:
    """Per confidence bin, how often the model was right; ECE = sum over bins of
    (share of samples) x |accuracy - mean confidence|."""
    return _reliability(_bucket_rows(storage, f, n), n)


def _day(dialect: str) -> Any:
    """The UTC day of created_at, in this database's dialect (SQLite stores naive UTC text)."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", T.created_at), Date)
    return func.substr(cast(T.created_at, String), 1, 10)


def per_day(storage: Storage, f: StatsFilter | None = None) -> tuple[DayCount, ...]:
    """Samples per UTC day, days with samples only, oldest first."""
    with storage.session(failed="the statistics could not be read") as s:
        dialect = s.get_bind().dialect.name
        day = _day(dialect).label("day")
        stmt = select(day, func.count()).where(*_where(f, dialect)).group_by(day).order_by(day)
        rows = s.execute(stmt).all()
    return tuple(DayCount(d if isinstance(d, date) else date.fromisoformat(d), int(n)) for d, n in rows)


def per_version(storage: Storage, f: StatsFilter | None = None) -> tuple[VersionAccuracy, ...]:
    """Accuracy of each model version on the samples it predicted, in the order the versions were first used.

    Reads ix_training_samples_versions, which holds every column this needs in its GROUP BY order."""
    stmt = select(T.model_version, func.count(T.is_correct), func.sum(_OK), func.min(T.created_at)).group_by(
        T.model_version
    )
    rows = _run(storage, stmt, f)
    found = [VersionAccuracy(v, int(n), int(ok or 0), first) for v, n, ok, first in rows if v is not None and n]
    return tuple(sorted(found, key=lambda r: (r.first_used, r.version)))


def versions_used(storage: Storage) -> tuple[str, ...]:
    """The model versions that predicted some sample, for the filter's choices (read from their own index)."""
    stmt = select(T.model_version).where(T.model_version.is_not(None)).distinct().order_by(T.model_version)
    with storage.session(failed="the model versions could not be read") as s:
        return tuple(s.scalars(stmt))


def page_stats(storage: Storage, f: StatsFilter | None = None) -> PageStats:
    """Every aggregate of one Stats page view, in four queries, each timed (the benchmark prints them)."""
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = fn()
        timings[name] = (time.perf_counter() - start) * 1000
        return result

    pairs = timed("by character pair", lambda: _pair_rows(storage, f))
    buckets = timed("by confidence bucket", lambda: _bucket_rows(storage, f, FINE_BUCKETS))
    return PageStats(
        totals=_totals(pairs),
        per_char=_per_char(pairs),
        confusions=_confusions(pairs),
        seed_histogram=_histogram(_rolled_up(buckets, FINE_BUCKETS, SEED_BUCKETS), SEED_BUCKETS),
        fine_histogram=_histogram(buckets, FINE_BUCKETS),
        reliability=_reliability(_rolled_up(buckets, FINE_BUCKETS, RELIABILITY_BINS), RELIABILITY_BINS),
        per_day=timed("by day", lambda: per_day(storage, f)),
        per_version=timed("by model version", lambda: per_version(storage, f)),
        timings_ms=timings,
    )
