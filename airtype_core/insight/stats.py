"""The Stats page's numbers, each one GROUP BY over training_samples computed by the database.

    f = StatsFilter(participant_id=3, source="canvas")
    totals(storage, f).accuracy           # over the samples that had a prediction
    per_char(storage, f)                  # every stored character: count, accuracy, confidence
    confusion_matrix(storage, f)          # (actual, predicted) -> count, the diagonal included
    reliability(storage, f).ece           # is the confidence honest?
    page_stats(storage, f)                # all of them, as one page view asks for them

The queries themselves are `storage/aggregates.py`'s (`StatsFilter`, `DayCount`,
`VersionAccuracy`, `versions_used` and the filter's choices are re-exported from there); this module
turns their counts into figures. Every query reads a covering index (`ix_training_samples_stats`, and for the
versions `ix_training_samples_versions`, migration 0003_insight), never the
kilobytes of ink of each row; a page view is four index scans (see `page_stats`).
Accuracy, confidence and calibration count only samples that had a prediction
(`is_correct` is NULL for a sample typed in by hand); counts count them all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..recognition.charset import CLASS_INDEX
from ..storage import aggregates
from ..storage.aggregates import BucketCounts, PairCounts
from ..storage.aggregates import DayCount as DayCount
from ..storage.aggregates import StatsFilter as StatsFilter
from ..storage.aggregates import VersionAccuracy as VersionAccuracy
from ..storage.aggregates import versions_used as versions_used
from ..storage.store import Storage
from ..storage.tables import CORRECTION_TYPES as CORRECTION_TYPES  # the filter's choices, for the page
from ..storage.tables import SOURCES as SOURCES

SEED_BUCKETS = 5  # the seed's 0-20%, 20-40%, ..., 80-100%
FINE_BUCKETS = 20  # 5% each
RELIABILITY_BINS = 10


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


# --- the figures ---------------------------------------------------------------------------
#
# A page view makes four scans of covering indexes, each one query of `storage.aggregates`:
# one GROUP BY (written, read as) gives the totals, the per-character figures and the
# confusion matrix; one GROUP BY 5%-bucket of confidence gives both histograms and the
# reliability bins (20 buckets nest exactly in 5 and in 10: i/5 and 4i/20 are the same
# double); one per day; one per model version. The public functions below each make one.

Buckets = dict[int, BucketCounts]


def _totals(pairs: Sequence[PairCounts]) -> Totals:
    return Totals(sum(r.samples for r in pairs), sum(r.predicted_count for r in pairs), sum(r.correct for r in pairs))


def _per_char(pairs: Sequence[PairCounts]) -> tuple[CharStats, ...]:
    sums: dict[str, list[float]] = {}
    for r in pairs:
        acc = sums.setdefault(r.actual, [0, 0, 0, 0, 0.0])
        for i, value in enumerate((r.samples, r.predicted_count, r.correct, r.confident, r.confidence_sum)):
            acc[i] += value
    rows = [CharStats(c, int(n), int(p), int(ok), conf / n_conf if n_conf else None)
            for c, (n, p, ok, n_conf, conf) in sums.items()]  # fmt: skip
    return tuple(sorted(rows, key=lambda r: CLASS_INDEX.get(r.char, 99)))


def _confusions(pairs: Sequence[PairCounts]) -> tuple[Confusion, ...]:
    rows = [Confusion(r.actual, r.predicted, r.samples) for r in pairs if r.predicted is not None]
    return tuple(
        sorted(rows, key=lambda c: (-c.count, CLASS_INDEX.get(c.actual, 99), CLASS_INDEX.get(c.predicted, 99)))
    )


def totals(storage: Storage, f: StatsFilter | None = None) -> Totals:
    return _totals(aggregates.pair_counts(storage, f))


def per_char(storage: Storage, f: StatsFilter | None = None) -> tuple[CharStats, ...]:
    """Characters with at least one sample, in class order (0-9, A-Z, a-z)."""
    return _per_char(aggregates.pair_counts(storage, f))


def confusion_matrix(storage: Storage, f: StatsFilter | None = None) -> tuple[Confusion, ...]:
    """(actual, predicted) counts over the samples that had a prediction; the most frequent first."""
    return _confusions(aggregates.pair_counts(storage, f))


def off_diagonal(confusions: Sequence[Confusion]) -> tuple[Confusion, ...]:
    """The mistakes only, most frequent first."""
    return tuple(c for c in confusions if c.actual != c.predicted)


def _rolled_up(rows: Buckets, n: int, into: int) -> Buckets:
    """Buckets of 1/n merged into buckets of 1/into (n a multiple of into)."""
    assert n % into == 0, "buckets only merge into coarser ones that divide them"
    out: dict[int, list[float]] = {}
    for b, values in rows.items():
        acc = out.setdefault(b // (n // into), [0, 0, 0.0, 0])
        for i, v in enumerate(values):
            acc[i] += v
    return {b: BucketCounts(int(c), int(p), conf, int(ok)) for b, (c, p, conf, ok) in out.items()}


def _histogram(rows: Buckets, n: int) -> tuple[Bucket, ...]:
    return tuple(Bucket(i / n, (i + 1) / n, rows[i].samples if i in rows else 0) for i in range(n))


def _reliability(rows: Buckets, n: int) -> Reliability:
    total = sum(r.predicted for r in rows.values())
    bins, ece = [], 0.0
    for i in range(n):
        _, count, conf_sum, ok = rows.get(i, BucketCounts(0, 0, 0.0, 0))
        conf = conf_sum / count if count else None
        accuracy = ok / count if count else None
        if accuracy is not None and conf is not None:
            ece += count / total * abs(accuracy - conf)
        bins.append(ReliabilityBin(i / n, (i + 1) / n, count, conf, accuracy))
    return Reliability(tuple(bins), ece if total else None)


def confidence_histogram(storage: Storage, f: StatsFilter | None = None, n: int = SEED_BUCKETS) -> tuple[Bucket, ...]:
    """Samples per confidence bucket, empty buckets included."""
    return _histogram(aggregates.confidence_buckets(storage, f, n), n)


def reliability(storage: Storage, f: StatsFilter | None = None, n: int = RELIABILITY_BINS) -> Reliability:
    """Per confidence bin, how often the model was right; ECE = sum over bins of
    (share of samples) x |accuracy - mean confidence|."""
    return _reliability(aggregates.confidence_buckets(storage, f, n), n)


def per_day(storage: Storage, f: StatsFilter | None = None) -> tuple[DayCount, ...]:
    """Samples per UTC day, days with samples only, oldest first."""
    return aggregates.samples_per_day(storage, f)


def per_version(storage: Storage, f: StatsFilter | None = None) -> tuple[VersionAccuracy, ...]:
    """Accuracy of each model version on the samples it predicted, in the order the versions were first used."""
    return tuple(sorted(aggregates.version_counts(storage, f), key=lambda r: (r.first_used, r.version)))


def page_stats(storage: Storage, f: StatsFilter | None = None) -> PageStats:
    """Every aggregate of one Stats page view, in four queries, each timed (the benchmark prints them)."""
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = fn()
        timings[name] = (time.perf_counter() - start) * 1000
        return result

    pairs = timed("by character pair", lambda: aggregates.pair_counts(storage, f))
    buckets = timed("by confidence bucket", lambda: aggregates.confidence_buckets(storage, f, FINE_BUCKETS))
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
