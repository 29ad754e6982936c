"""What goes into the database and what comes out: value types, their checks, the errors.

`storage.Storage` takes `NewSample`s and returns the frozen dataclasses here,
never ORM objects; every value is checked before the database sees it, and
anything a user can get wrong is an `InvalidInputError` (a `StorageError`) with
a message for a person. `storage` re-exports all of these names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..recognition.charset import validate_label
from ..recognition.ink import Ink, digest_of_lists
from .tables import CORRECTION_TYPES, SOURCES, Participant, TrainingSample, utcnow

_Statement = TypeVar("_Statement", bound=Select)  # any SELECT over TrainingSample, its columns kept
_FEATURE_DECIMALS = 4  # features are recomputable from the ink; 4 decimals halve their JSON


# --- errors -------------------------------------------------------------------


class StorageError(Exception):
    """Something a user can cause or fix; the message is meant for a person."""


class DatabaseLockedError(StorageError):
    """Another program held the database longer than the busy timeout."""


class DatabaseUnavailableError(StorageError):
    """The server cannot be reached, or the file vanished (a new empty one was made)."""


class InvalidInputError(StorageError, ValueError):
    """A value the database must not take (empty ink, unknown correction type, ...)."""


class NotFoundError(StorageError, LookupError):
    pass


# --- what goes in and what comes out ------------------------------------------


@dataclass(frozen=True, eq=False)
class NewSample:
    ink: Ink
    actual_char: str
    correction_type: str  # confirmed | corrected | manual | prompted
    source: str = "canvas"  # canvas | air | import
    predicted_char: str | None = None
    confidence: float | None = None
    alternatives: Sequence[tuple[str, float]] = ()
    model_version: str | None = None
    inference_ms: float | None = None
    features: Any = None  # np.ndarray or nested lists, (seq_len, 7)
    participant_id: int | None = None
    collection_session_id: int | None = None
    created_at: datetime | None = None  # now, unless an import keeps the original time
    area: tuple[float, float] | None = None  # (width, height) of the writing area in the ink's units, if any

    @classmethod
    def from_prediction(cls, ink: Ink, prediction: Any, actual_char: str, **extra: Any) -> NewSample:
        """The user's answer to a `predictor.Prediction`: confirmed if it agrees, else corrected."""
        extra.setdefault("correction_type", "confirmed" if actual_char == prediction.char else "corrected")
        return cls(
            ink=ink,
            actual_char=actual_char,
            predicted_char=prediction.char,
            confidence=prediction.confidence,
            alternatives=prediction.alternatives,
            model_version=prediction.model_version,
            inference_ms=prediction.inference_ms,
            **extra,
        )


@dataclass(frozen=True, eq=False)
class SampleRecord:
    id: int
    ink: Ink
    actual_char: str
    correction_type: str
    source: str
    predicted_char: str | None
    confidence: float | None
    alternatives: tuple[tuple[str, float], ...]
    model_version: str | None
    inference_ms: float | None
    is_correct: bool | None  # None: there was no prediction
    participant_id: int | None
    collection_session_id: int | None
    created_at: datetime  # UTC
    features: np.ndarray | None


@dataclass(frozen=True)
class SampleFilter:
    """Which samples; an empty or None field does not filter."""

    chars: Sequence[str] = ()
    predicted_chars: Sequence[str] = ()
    misclassified_only: bool = False
    correct_only: bool = False  # the samples the model that answered read right
    min_confidence: float | None = None
    max_confidence: float | None = None
    correction_types: Sequence[str] = ()
    start: datetime | None = None  # inclusive; naive means UTC
    end: datetime | None = None  # exclusive
    participant_id: int | None = None
    collection_session_id: int | None = None
    source: str | None = None
    model_version: str | None = None

    def apply(self, stmt: _Statement) -> _Statement:
        """`stmt` restricted to these samples (reusable by any query over TrainingSample)."""
        s = TrainingSample
        conditions = [
            s.actual_char.in_(list(self.chars)) if self.chars else None,
            s.predicted_char.in_(list(self.predicted_chars)) if self.predicted_chars else None,
            s.is_correct.is_(False) if self.misclassified_only else None,
            s.is_correct.is_(True) if self.correct_only else None,
            s.predicted_confidence >= self.min_confidence if self.min_confidence is not None else None,
            s.predicted_confidence <= self.max_confidence if self.max_confidence is not None else None,
            s.correction_type.in_(list(self.correction_types)) if self.correction_types else None,
            s.created_at >= self.start if self.start is not None else None,
            s.created_at < self.end if self.end is not None else None,
            s.participant_id == self.participant_id if self.participant_id is not None else None,
            s.collection_session_id == self.collection_session_id if self.collection_session_id is not None else None,
            s.source == self.source if self.source is not None else None,
            s.model_version == self.model_version if self.model_version is not None else None,
        ]
        return stmt.where(*(c for c in conditions if c is not None))


@dataclass(frozen=True)
class SamplePage:
    items: tuple[SampleRecord, ...]
    total: int
    page: int  # 1-based, clamped to 1..pages
    pages: int  # at least 1


@dataclass(frozen=True)
class CharAccuracy:
    char: str
    total: int  # samples that had a prediction
    correct: int
    avg_confidence: float | None

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True)
class KeysetPage:
    """One page of samples, and the keys to ask for the next one (`after=page.next_key`)."""

    items: tuple[SampleRecord, ...]
    total: int  # samples matching the filter (and having a place in the order)
    next_key: tuple[Any, int] | None  # (the sort column's value, id) of the last item; None on the last page


@dataclass(frozen=True)
class EditInfo:
    """A relabel or delete as the Data page lists it."""

    id: int
    action: str  # relabel | delete
    new_char: str | None
    count: int  # samples it changed
    created_at: datetime
    undone_at: datetime | None


@dataclass(frozen=True)
class ImportOutcome:
    """What one batch of an import did."""

    stored: tuple[int, ...]  # ids of the new samples
    duplicates: int  # same points and label as a sample already stored (or earlier in the batch)
    rejected: tuple[tuple[int, str], ...] = ()  # (index in the batch, why): values the database must not take


@dataclass(frozen=True)
class ParticipantInfo:
    id: int
    name: str
    created_at: datetime


@dataclass(frozen=True)
class CollectionSessionInfo:
    id: int
    participant_id: int
    status: str  # active | paused | finished | abandoned
    planned_chars: tuple[str, ...]
    samples_done: int
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class TrainingSessionInfo:
    id: int
    kind: str
    params: dict[str, Any]
    status: str
    history: list[dict[str, Any]]
    metrics: dict[str, Any] | None
    device: str | None
    samples_used: int | None
    model_version: str | None
    parent_version: str | None
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    error: str | None


@dataclass(frozen=True)
class ModelVersionInfo:
    version: str
    path: str
    parent_version: str | None
    created_at: datetime
    metrics: dict[str, Any] | None
    is_active: bool


def from_row(cls: type, row: object, **override: Any) -> Any:
    """A dataclass `cls` filled from the same-named attributes of an ORM row."""
    return cls(**{f.name: override[f.name] if f.name in override else getattr(row, f.name) for f in fields(cls)})


def sample_record(row: TrainingSample, features: bool = True) -> SampleRecord:
    return SampleRecord(
        id=row.id,
        ink=Ink.from_strokes(row.raw_ink),
        actual_char=row.actual_char,
        correction_type=row.correction_type,
        source=row.source,
        predicted_char=row.predicted_char,
        confidence=row.predicted_confidence,
        alternatives=tuple((str(c), float(p)) for c, p in row.alternatives or ()),
        model_version=row.model_version,
        inference_ms=row.inference_time_ms,
        is_correct=row.is_correct,
        participant_id=row.participant_id,
        collection_session_id=row.collection_session_id,
        created_at=row.created_at,
        features=None if not features or row.features is None else np.asarray(row.features, dtype=np.float32),
    )


def one_of(what: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInputError(f"{what} {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def checked_number(what: str, value: float | None, low: float = -math.inf, high: float = math.inf) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not (math.isfinite(number) and low <= number <= high):
        raise InvalidInputError(f"{what} must be a number between {low} and {high}, not {value!r}")
    return number


def participant_named(s: Session, name: str) -> Participant:
    """The participant called `name` (already checked), created in this session if new."""
    row = s.scalar(select(Participant).where(Participant.name == name))
    if row is None:
        row = Participant(name=name)
        s.add(row)
        s.flush()
    return row


def sample_row(new: NewSample) -> TrainingSample:
    """Validate everything before the database sees anything."""
    return TrainingSample(**sample_values(new))


def sample_values(new: NewSample) -> dict[str, Any]:
    """The checked column values of a new sample (bulk inserts skip the ORM object)."""
    actual = validate_label(new.actual_char)
    correction = one_of("correction type", new.correction_type, CORRECTION_TYPES)
    if not isinstance(new.ink, Ink) or new.ink.num_points == 0:
        raise InvalidInputError("the ink has no points: there is nothing to store")
    predicted = None if new.predicted_char is None else validate_label(new.predicted_char)
    if correction in ("confirmed", "corrected") and predicted is None:
        raise InvalidInputError(f"a {correction} sample needs the model's prediction")
    if correction == "confirmed" and predicted != actual:
        raise InvalidInputError(f"'confirmed' means the prediction was right, but {predicted!r} is not {actual!r}")
    features = None
    if new.features is not None:
        array = np.asarray(new.features, dtype=np.float64)
        if not np.isfinite(array).all():
            raise InvalidInputError("the features contain NaN or infinity")
        features = np.round(array, _FEATURE_DECIMALS).tolist()
    raw_ink = new.ink.to_lists()
    height, width = _size_in_area(new.ink, new.area)
    return dict(
        raw_ink=raw_ink,
        ink_hash=digest_of_lists(raw_ink),
        features=features,
        predicted_char=predicted,
        predicted_confidence=checked_number("the confidence", new.confidence, 0.0, 1.0),
        alternatives=[[str(c), float(p)] for c, p in new.alternatives] or None,
        actual_char=actual,
        correction_type=correction,
        source=one_of("source", new.source, SOURCES),
        model_version=new.model_version,
        inference_time_ms=checked_number("the inference time", new.inference_ms, 0.0),
        is_correct=None if predicted is None else predicted == actual,
        participant_id=new.participant_id,
        collection_session_id=new.collection_session_id,
        created_at=new.created_at or utcnow(),
        ink_height=height,
        ink_width=width,
    )


def _size_in_area(ink: Ink, area: tuple[float, float] | None) -> tuple[float | None, float | None]:
    """The ink's (height, width) as fractions of the writing area `(width, height)`; None without one."""
    if area is None:
        return None, None
    area_w = checked_number("the writing area's width", area[0], 1e-9)
    area_h = checked_number("the writing area's height", area[1], 1e-9)
    assert area_w is not None and area_h is not None  # both given: checked_number only passes None on
    x0, y0, x1, y1 = ink.bounds()
    return (y1 - y0) / area_h, (x1 - x0) / area_w
