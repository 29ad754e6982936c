"""`bench-stats`: seed a database with realistic samples and time each Stats page query.

    python -m airtype_core bench-stats --samples 100000 [--database-url URL]

The samples look like a year of use: 62 characters drawn unevenly, several
participants, three model versions one after the other, mostly right answers
with high confidence and wrong ones lower, a share typed in by hand (no
prediction), canvas, air and imported inks with their features, as the Draw
page stores them. `seed_samples` is also what the tests use for their rows.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ..recognition.charset import CLASSES, LOOKALIKE_GROUPS
from ..storage.aggregates import insert_raw_samples, refresh_planner_statistics
from ..storage.store import Storage

VERSIONS = ("hershey-v3", "ft-20260301", "ft-20260801")
PARTICIPANTS = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald")
_CHUNK = 2000


def _look_alike(char: str) -> list[str]:
    return [c for g in LOOKALIKE_GROUPS if char in g for c in g if c != char]


def _ink(rng: random.Random, points: int) -> list[Any]:
    """A wobbly stroke or two in canvas pixels with times, the size of a real character's ink."""
    strokes, t = [], 0.0
    for _ in range(rng.choice((1, 1, 2))):
        x, y, stroke = rng.uniform(50, 250), rng.uniform(50, 250), []
        for _ in range(points):
            x, y, t = x + rng.uniform(-6, 6), y + rng.uniform(-6, 6), t + 0.016
            stroke.append([round(x, 1), round(y, 1), round(t, 3)])
        strokes.append(stroke)
    return strokes


def _row(
    rng: random.Random,
    participants: list[int],
    weights: list[float],
    hard: set[str],
    end: datetime,
    days: int,
    feature_row: list[list[float]] | None,
    ink_points: int,
) -> dict[str, Any]:
    """One sample's row, every column named (see the module docstring for what it looks like)."""
    actual = rng.choices(CLASSES, weights)[0]
    created = end - timedelta(days=days * rng.random() ** 1.5)  # more recent use
    version = VERSIONS[min(2, int(3 * (created - end + timedelta(days=days)) / timedelta(days=days)))]
    source = rng.choices(("canvas", "air", "import"), (6, 2, 1))[0]
    row: dict[str, Any] = {
        "raw_ink": _ink(rng, ink_points), "features": feature_row, "actual_char": actual,
        "source": source, "created_at": created,
        "participant_id": rng.choice(participants) if rng.random() < 0.9 else None,
        "collection_session_id": None, "predicted_char": None, "predicted_confidence": None,
        "alternatives": None, "model_version": None, "inference_time_ms": None, "is_correct": None,
    }  # fmt: skip
    if source == "import" or rng.random() < 0.05:
        row["correction_type"] = "manual"  # no prediction: typed in, or imported
    else:
        p_right = 0.55 if actual in hard else 0.9
        p_right += 0.03 * VERSIONS.index(version)
        right = rng.random() < p_right
        wrong = _look_alike(actual) or [rng.choice(CLASSES)]
        predicted = actual if right else rng.choice(wrong + [rng.choice(CLASSES)])
        confidence = rng.betavariate(8, 2) if predicted == actual else rng.betavariate(3, 3)
        prompted = rng.random() < 0.2
        row.update(
            predicted_char=predicted, predicted_confidence=confidence, model_version=version,
            alternatives=[[predicted, confidence]], inference_time_ms=rng.uniform(2, 6),
            is_correct=predicted == actual,
            correction_type="prompted" if prompted else ("confirmed" if predicted == actual else "corrected"),
        )  # fmt: skip
    return row


def seed_samples(
    storage: Storage, n: int, *, seed: int = 0, days: int = 365, features: bool = True, ink_points: int = 40
) -> int:
    """Store `n` realistic samples (see the module docstring); returns how many."""
    rng = random.Random(seed)
    participants = [storage.add_participant(name).id for name in PARTICIPANTS]
    weights = [rng.uniform(0.3, 3.0) for _ in CLASSES]  # some characters drawn far more than others
    hard = set(rng.sample(CLASSES, 12))  # characters the model reads badly
    end = datetime(2026, 11, 1, tzinfo=UTC)
    feature_row = [[round(rng.uniform(-1, 1), 4) for _ in range(7)] for _ in range(50)] if features else None

    def chunks() -> Iterator[list[dict[str, Any]]]:  # drawn as they are inserted, _CHUNK rows at a time
        for start in range(0, n, _CHUNK):
            yield [
                _row(rng, participants, weights, hard, end, days, feature_row, ink_points)
                for _ in range(min(_CHUNK, n - start))
            ]

    done = insert_raw_samples(storage, chunks())
    refresh_planner_statistics(storage)
    return done


def bench_stats(storage: Storage, samples: int, views: int = 5, seed: int = 0) -> dict[str, Any]:
    """Seed `samples` (if the database has fewer), then time `views` Stats page views; the median of each query."""
    from ..insight.stats import page_stats, totals

    have = totals(storage).samples
    seeded_s = 0.0
    if have < samples:
        start = time.perf_counter()
        seed_samples(storage, samples - have, seed=seed)
        seeded_s = time.perf_counter() - start
    runs, cpu = [], []
    for _ in range(views):
        start = time.process_time()  # SQLite works in this process: its CPU time is the work without the wait
        runs.append(page_stats(storage).timings_ms)
        cpu.append((time.process_time() - start) * 1000)
    median = {name: sorted(r[name] for r in runs)[len(runs) // 2] for name in runs[0]}
    totals_ms = sorted(sum(r.values()) for r in runs)
    return {
        "database": storage.url.get_backend_name(),
        "samples": totals(storage).samples,
        "seeded_s": round(seeded_s, 1),
        "views": views,
        "median_ms": {k: round(v, 1) for k, v in median.items()},
        "page_view_ms_median": round(totals_ms[len(totals_ms) // 2], 1),
        "page_view_ms_max": round(totals_ms[-1], 1),
        "page_view_cpu_ms_median": round(sorted(cpu)[len(cpu) // 2], 1),  # meaningful for SQLite only
        "load_average": [round(x, 2) for x in _loadavg()],
    }


def _loadavg() -> tuple[float, float, float]:
    try:
        import os

        return os.getloadavg()
    except (OSError, AttributeError):
        return (math.nan, math.nan, math.nan)
