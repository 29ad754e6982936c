"""Stats: every aggregate the Stats page shows equals a plain Python computation over the same rows,
on SQLite and on PostgreSQL, with and without filters."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from airtype_core.bench.stats import VERSIONS, seed_samples
from airtype_core.insight import stats
from airtype_core.insight.stats import StatsFilter
from airtype_core.recognition.ink import Ink
from airtype_core.storage.records import InvalidInputError, NewSample

INK = Ink.from_strokes([[[0, 0], [10, 20], [20, 0]]])


@pytest.fixture
def seeded(storage):
    seed_samples(storage, 600, seed=7, days=30, features=False, ink_points=3)
    # Confidences on the bucket edges and at 1.0 must land where Python's bisect puts them.
    for conf, predicted in ((0.2, "a"), (0.4, "b"), (1.0, "a"), (0.0, "c"), (0.95, "a")):
        storage.save_sample(
            NewSample(ink=INK, actual_char="a", predicted_char=predicted, confidence=conf, model_version=VERSIONS[0],
                      correction_type="confirmed" if predicted == "a" else "corrected")
        )  # fmt: skip
    return storage


def rows(storage, f: StatsFilter):
    """The samples `f` selects, filtered in Python."""
    out = []
    for r in storage.iter_samples():
        if f.participant_id is not None and r.participant_id != f.participant_id:
            continue
        if f.start is not None and r.created_at < f.start:
            continue
        if f.end is not None and r.created_at >= f.end:
            continue
        if f.model_version is not None and r.model_version != f.model_version:
            continue
        if f.source is not None and r.source != f.source:
            continue
        if f.correction_type is not None and r.correction_type != f.correction_type:
            continue
        out.append(r)
    return out


def filters(storage):
    ada = next(p for p in storage.list_participants() if p.name == "Ada")
    end = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        StatsFilter(),
        StatsFilter(participant_id=ada.id),
        StatsFilter(start=end - timedelta(days=10), end=end - timedelta(days=3)),
        StatsFilter(model_version=VERSIONS[1]),
        StatsFilter(source="air"),
        StatsFilter(correction_type="corrected"),
        StatsFilter(participant_id=ada.id, source="canvas", correction_type="prompted"),
        StatsFilter(start=datetime(2001, 1, 1), end=datetime(2001, 1, 2)),  # no data at all
    ]


def test_every_aggregate_matches_python_over_the_same_rows(seeded):
    for f in filters(seeded):
        expected = rows(seeded, f)
        predicted = [r for r in expected if r.is_correct is not None]
        got = stats.page_stats(seeded, f)

        # totals, accuracy, misclassification rate
        correct = sum(r.is_correct for r in predicted)
        assert got.totals == stats.Totals(len(expected), len(predicted), correct)
        if predicted:
            assert got.totals.accuracy == pytest.approx(correct / len(predicted))
            assert got.totals.misclassification_rate == pytest.approx(1 - correct / len(predicted))
        else:
            assert got.totals.accuracy is None

        # per character: counts, accuracy, average confidence
        by_char = defaultdict(list)
        for r in expected:
            by_char[r.actual_char].append(r)
        assert [c.char for c in got.per_char] == sorted(by_char, key=lambda c: stats.CLASS_INDEX[c])
        for c in got.per_char:
            mine = [r for r in by_char[c.char] if r.is_correct is not None]
            assert (c.samples, c.predicted, c.correct) == (
                len(by_char[c.char]),
                len(mine),
                sum(r.is_correct for r in mine),
            )
            if mine:
                assert c.avg_confidence == pytest.approx(sum(r.confidence for r in mine) / len(mine))

        # confusion matrix and the top confusions
        pairs = Counter((r.actual_char, r.predicted_char) for r in expected if r.predicted_char is not None)
        assert {(c.actual, c.predicted): c.count for c in got.confusions} == dict(pairs)
        top = got.top_confusions
        assert all(c.actual != c.predicted for c in top)
        assert [c.count for c in top] == sorted((n for (a, p), n in pairs.items() if a != p), reverse=True)

        # confidence histograms: the seed's five buckets and twenty finer ones
        confidences = [r.confidence for r in expected if r.confidence is not None]
        for n, histogram in ((5, got.seed_histogram), (20, got.fine_histogram)):
            edges = [i / n for i in range(1, n)]
            counts = Counter(bisect.bisect_right(edges, c) for c in confidences)
            assert [b.count for b in histogram] == [counts.get(i, 0) for i in range(n)]
            assert histogram[0].low == 0 and histogram[-1].high == 1

        # reliability diagram and ECE
        edges = [i / 10 for i in range(1, 10)]
        bins = defaultdict(list)
        for r in predicted:
            bins[bisect.bisect_right(edges, r.confidence)].append(r)
        ece = 0.0
        for i, b in enumerate(got.reliability.bins):
            mine = bins.get(i, [])
            assert b.count == len(mine)
            if mine:
                acc = sum(r.is_correct for r in mine) / len(mine)
                conf = sum(r.confidence for r in mine) / len(mine)
                assert (b.accuracy, b.avg_confidence) == (pytest.approx(acc), pytest.approx(conf))
                ece += len(mine) / len(predicted) * abs(acc - conf)
        assert got.reliability.ece == (pytest.approx(ece) if predicted else None)

        # samples per UTC day
        days = Counter(r.created_at.astimezone(UTC).date() for r in expected)
        assert [(d.day, d.samples) for d in got.per_day] == sorted(days.items())

        # accuracy per model version, in the order first used
        versions = defaultdict(list)
        for r in predicted:
            if r.model_version is not None:
                versions[r.model_version].append(r)
        assert [(v.version, v.predicted, v.correct) for v in got.per_version] == [
            (v, len(rs), sum(r.is_correct for r in rs))
            for v, rs in sorted(versions.items(), key=lambda kv: min(r.created_at for r in kv[1]))
        ]


def test_the_seed_buckets_are_the_seeds_five(seeded):
    labels = [b.label for b in stats.confidence_histogram(seeded)]
    assert labels == ["0%-20%", "20%-40%", "40%-60%", "60%-80%", "80%-100%"]


def test_an_empty_database_gives_empty_stats(storage):
    got = stats.page_stats(storage)
    assert got.totals == stats.Totals(0, 0, 0) and got.totals.accuracy is None
    assert got.per_char == () and got.confusions == () and got.per_day == () and got.per_version == ()
    assert [b.count for b in got.seed_histogram] == [0] * 5
    assert got.reliability.ece is None


def test_bad_filters_are_refused_with_a_message():
    with pytest.raises(InvalidInputError, match="ends before it starts"):
        StatsFilter(start=datetime(2026, 2, 1), end=datetime(2026, 1, 1))
    with pytest.raises(InvalidInputError, match="source"):
        StatsFilter(source="paper")
    with pytest.raises(InvalidInputError, match="correction type"):
        StatsFilter(correction_type="guessed")


def test_stats_queries_read_only_the_covering_index(seeded):
    """On SQLite every query of a page view, filtered or not, reads a covering index (the stats
    index, or created_at's alone for an unfiltered count per day) and never the rows
    themselves, with their kilobytes of ink."""
    if seeded.url.get_backend_name() != "sqlite":
        pytest.skip("the plan checked is SQLite's")
    from sqlalchemy import event

    ada = seeded.find_participant("Ada")
    executed = []
    engine = seeded.database.engine
    listener = lambda conn, cursor, sql, params, context, many: executed.append((sql, params))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for f in (StatsFilter(), StatsFilter(participant_id=ada.id, model_version=VERSIONS[1], source="canvas"),
                  StatsFilter(correction_type="prompted", start=datetime(2026, 10, 1))):  # fmt: skip
            stats.page_stats(seeded, f)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    queries = [(sql, params) for sql, params in executed if "training_samples" in sql]
    assert len(queries) == 12  # four a view
    with seeded.database.engine.connect() as conn:
        for sql, params in queries:
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            assert "USING COVERING INDEX ix_training_samples_" in plan, (sql, plan)  # stats, or created_at alone
