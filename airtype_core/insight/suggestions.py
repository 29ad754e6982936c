"""What to practise next, and why: the seed's priority formula plus the model's own doubt.

    suggestions = suggest(storage, participant_id=3, predictor=predictor)
    suggestions.items[0].char, suggestions.items[0].reasons   # "q", ("only 3 samples", "confused with g 4 times")
    suggestions.practice_set                                  # the characters to draw, most needed first

Per character, over the participant's samples (everyone's without a participant):

    score = (1 - coverage) x 1.0 x 10            coverage = samples / 20, at most 1
          + (1 - accuracy) x 10                  accuracy 0 when nothing was predicted yet
          + (1 - avg confidence) x 1.5 x 5       confidence 0 when nothing was predicted yet
          + confusions x 2.0                     times it was read as another character
          + unsure share x 1.5 x 5               share of its latest inks the active model is unsure of

The first four terms and weights are the seed's (GET /training/suggestions);
the last is ours: the seed's confidence is what some older model said when the
ink was drawn, the unsure share is what the model in use says now. A character
is suggested when one of the seed's thresholds (fewer than 20 samples, accuracy
below 50%, confidence below 0.6, a pair confused at least twice) or ours (the
model unsure of half its latest inks) holds; the score orders them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..recognition.charset import CLASS_INDEX, CLASSES
from ..recognition.ink import Ink, InkError
from ..storage.aggregates import latest_inks
from ..storage.store import Storage
from .stats import StatsFilter, confusion_matrix, off_diagonal, per_char

TARGET_SAMPLES = 20  # the seed's "underrepresented": fewer than this
COVERAGE_WEIGHT = 1.0
LOW_CONFIDENCE_WEIGHT = 1.5
CONFUSION_WEIGHT = 2.0
UNSURE_WEIGHT = 1.5
LOW_ACCURACY = 0.5
LOW_CONFIDENCE = 0.6
CONFUSED_AT_LEAST = 2
UNSURE_SHARE = 0.5
RECENT_INKS = 10  # latest inks per character the model re-reads
PRACTICE_SET_SIZE = 10


class Reader(Protocol):
    """What `suggest` needs of a predictor: calibrated probabilities of a batch of inks."""

    def probabilities(self, inks: list[Ink]) -> Any: ...


@dataclass(frozen=True)
class Suggestion:
    char: str
    score: float
    reasons: tuple[str, ...]
    samples: int
    accuracy: float | None  # None: no prediction stored yet
    avg_confidence: float | None
    confusions: int  # times it was read as another character
    unsure_share: float | None  # None: the model was not asked


@dataclass(frozen=True)
class Suggestions:
    items: tuple[Suggestion, ...]  # the suggested characters, highest score first
    samples: int
    characters_covered: int
    asked_the_model: bool

    @property
    def practice_set(self) -> tuple[str, ...]:
        return tuple(s.char for s in self.items[:PRACTICE_SET_SIZE])


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def model_uncertainty(
    storage: Storage, reader: Reader, threshold: float, f: StatsFilter | None = None, per_char: int = RECENT_INKS
) -> dict[str, tuple[int, int]]:
    """char -> (unsure, read): how many of its latest `per_char` inks the model reads below `threshold`."""
    rows = latest_inks(storage, f, per_char)
    chars, inks = [], []
    for char, strokes in rows:
        try:
            inks.append(Ink.from_strokes(strokes))
            chars.append(char)
        except InkError:
            continue  # an ink the recognizer cannot read says nothing about its doubt
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    if inks:
        for char, probs in zip(chars, reader.probabilities(inks)):
            found[char][0] += int(float(max(probs)) < threshold)
            found[char][1] += 1
    return {c: (u, n) for c, (u, n) in found.items()}


def suggest(
    storage: Storage,
    participant_id: int | None = None,
    *,
    reader: Reader | None = None,
    threshold: float = 0.5,
    chars: Sequence[str] = CLASSES,
) -> Suggestions:
    """The characters worth practising, best first, each with its reasons (see the module docstring)."""
    f = StatsFilter(participant_id=participant_id)
    by_char = {c.char: c for c in per_char(storage, f)}
    confused: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for c in off_diagonal(confusion_matrix(storage, f)):
        confused[c.actual].append((c.predicted, c.count))
    unsure = model_uncertainty(storage, reader, threshold, f) if reader is not None else {}

    items = []
    for char in chars:
        st = by_char.get(char)
        samples = st.samples if st else 0
        accuracy = st.accuracy if st else None
        confidence = st.avg_confidence if st else None
        pairs = confused.get(char, [])
        confusions = sum(n for _, n in pairs)
        u, read = unsure.get(char, (0, 0))
        share = u / read if read else None
        score = (
            (1 - min(samples / TARGET_SAMPLES, 1.0)) * COVERAGE_WEIGHT * 10
            + (1 - (accuracy or 0.0)) * 10
            + (1 - (confidence or 0.0)) * LOW_CONFIDENCE_WEIGHT * 5
            + confusions * CONFUSION_WEIGHT
            + (share or 0.0) * UNSURE_WEIGHT * 5
        )
        reasons = []
        if samples == 0:
            reasons.append("no samples yet")
        elif samples < TARGET_SAMPLES:
            reasons.append(f"only {samples} sample{'s' if samples != 1 else ''}")
        if accuracy is not None and accuracy < LOW_ACCURACY:
            reasons.append(f"read right only {accuracy:.0%} of the time")
        if confidence is not None and confidence < LOW_CONFIDENCE:
            reasons.append(f"average confidence {confidence:.0%}")
        for other, n in sorted(pairs, key=lambda p: (-p[1], CLASS_INDEX.get(p[0], 99))):
            if n >= CONFUSED_AT_LEAST:
                reasons.append(f"confused with {other} {_times(n)}")
        if share is not None and share >= UNSURE_SHARE:
            reasons.append(f"the model is unsure of it ({u} of its last {read})")
        if reasons:
            items.append(
                Suggestion(char, round(score, 2), tuple(reasons), samples, accuracy, confidence, confusions, share)
            )
    items.sort(key=lambda s: (-s.score, CLASS_INDEX.get(s.char, 99)))
    return Suggestions(tuple(items), sum(s.samples for s in by_char.values()), len(by_char), reader is not None)
