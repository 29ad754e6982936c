"""Data-collection sessions: prompt a participant for characters, one at a time, and keep their answers.

    plan = plan_session("digits", repetitions=2, seed=7)          # shuffled, checked
    state = start_session(storage, participant_id, plan)
    state.current                                                 # the character to draw now
    state = answer(storage, state.id, state.position, ink, prediction)   # stored as `prompted`
    state = skip(...) / redo_last(...) / pause(...) / resume(...)
    summarize(storage, state.id)                                  # accuracy, slowest, most confused

Everything lives in the database (collection_sessions.position, one
collection_prompts row per answered or skipped prompt), so a session survives a
server restart and resumes from another tab. Each step is one transaction that
first checks the session is still where the caller saw it: two tabs answering
the same prompt store one sample, not two; a session whose participant was
deleted meanwhile says so. The clock of a prompt starts when it is shown or
the session resumed, so a pause does not count as writing time.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..recognition.charset import CLASS_INDEX, CLASSES
from ..recognition.ink import Ink
from ..storage import edits
from ..storage.records import InvalidInputError, NewSample, NotFoundError, sample_row
from ..storage.store import Storage
from ..storage.tables import (
    CollectionPrompt,
    CollectionSession,
    Participant,
    TrainingSample,
    utcnow,
)

TARGETS = {
    "suggested": "the characters the suggestions name",
    "all": "all 62 characters",
    "digits": "digits 0-9",
    "upper": "upper case A-Z",
    "lower": "lower case a-z",
    "custom": "characters you type",
}
_FIXED = {"all": CLASSES, "digits": tuple(string.digits), "upper": tuple(string.ascii_uppercase),
          "lower": tuple(string.ascii_lowercase)}  # fmt: skip
MAX_REPETITIONS = 20


class CollectionError(InvalidInputError):
    """A session that cannot be planned, or a step it cannot take; the message is for a person."""


class StaleSessionError(CollectionError):
    """The session moved on elsewhere (another tab) since this page last looked at it."""


@dataclass(frozen=True)
class SessionPlan:
    target: str
    chars: tuple[str, ...]  # the character set, before repetition and shuffling
    repetitions: int
    seed: int
    prompts: tuple[str, ...]  # what will be asked, in order


@dataclass(frozen=True)
class SessionState:
    id: int
    participant_id: int
    participant: str
    status: str  # active | paused | finished | abandoned
    prompts: tuple[str, ...]
    position: int  # prompts[position] is asked next
    answered: int
    skipped: int
    options: dict[str, Any]

    @property
    def current(self) -> str | None:
        return self.prompts[self.position] if self.status == "active" and self.position < len(self.prompts) else None

    @property
    def progress(self) -> float:
        return self.position / len(self.prompts) if self.prompts else 1.0


@dataclass(frozen=True)
class CharSummary:
    char: str
    answered: int
    correct: int  # the model read it right
    mean_ms: float | None


@dataclass(frozen=True)
class SessionSummary:
    state: SessionState
    answered: int
    skipped: int
    predicted: int
    correct: int
    mean_ms: float | None  # time per character, prompt shown -> answer
    per_char: tuple[CharSummary, ...]
    slowest: tuple[CharSummary, ...]  # up to three, slowest first
    confusions: tuple[tuple[str, str, int], ...]  # (prompted, read as, times), most first

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None


# --- planning ---------------------------------------------------------------------


def plan_session(
    target: str, repetitions: int, seed: int, *, custom: str = "", suggested: Sequence[str] = ()
) -> SessionPlan:
    """The prompts of a session: the target set, each character `repetitions` times, shuffled with `seed`."""
    if target not in TARGETS:
        raise CollectionError(f"{target!r} is not a target set; choose one of {', '.join(TARGETS)}")
    if not isinstance(repetitions, int) or not 1 <= repetitions <= MAX_REPETITIONS:
        raise CollectionError(f"repetitions must be a whole number from 1 to {MAX_REPETITIONS}, not {repetitions!r}")
    if target == "custom":
        chars = tuple(c for c in custom if not c.isspace())
        outside = sorted({c for c in chars if c not in CLASS_INDEX})
        if outside:
            raise CollectionError(
                f"{' '.join(repr(c) for c in outside)} {'is' if len(outside) == 1 else 'are'} not among the 62 "
                "characters AirType knows (0-9, A-Z, a-z)"
            )
        twice = sorted({c for c in chars if chars.count(c) > 1}, key=CLASS_INDEX.__getitem__)
        if twice:
            raise CollectionError(f"{' '.join(twice)} appear{'s' if len(twice) == 1 else ''} more than once: "
                                  "type each character once and set the repetitions instead")  # fmt: skip
    elif target == "suggested":
        chars = tuple(dict.fromkeys(suggested))
    else:
        chars = _FIXED[target]
    if not chars:
        raise CollectionError(
            "there is nothing to practise: the suggestions are empty" if target == "suggested"
            else "type at least one character to collect"
        )  # fmt: skip
    prompts = [c for c in chars for _ in range(repetitions)]
    random.Random(seed).shuffle(prompts)
    return SessionPlan(target, chars, repetitions, seed, tuple(prompts))


# --- the session's steps, each one transaction ---------------------------------------------


def _state(s: Session, row: CollectionSession) -> SessionState:
    counts = dict(
        s.execute(
            select(CollectionPrompt.skipped, func.count())
            .where(CollectionPrompt.session_id == row.id)
            .group_by(CollectionPrompt.skipped)
        ).all()
    )
    name = s.scalar(select(Participant.name).where(Participant.id == row.participant_id)) or "?"
    return SessionState(
        row.id, row.participant_id, name, row.status, tuple(row.planned_chars), row.position,
        counts.get(False, 0), counts.get(True, 0), dict(row.options or {}),
    )  # fmt: skip


def _locked(s: Session, session_id: int) -> CollectionSession:
    """The session row, locked for this transaction (PostgreSQL; SQLite's write transaction locks it all)."""
    row = s.scalar(select(CollectionSession).where(CollectionSession.id == session_id).with_for_update())
    if row is None:
        raise NotFoundError(
            f"data-collection session {session_id} no longer exists (its participant may have been deleted); "
            "nothing was stored"
        )
    return row


def _at(row: CollectionSession, position: int) -> None:
    if row.status != "active":
        raise StaleSessionError(f"this session is {row.status}; resume it first" if row.status == "paused"
                                else f"this session is {row.status}")  # fmt: skip
    if row.position != position:
        raise StaleSessionError(
            "this prompt was already answered in another tab or window: the page now shows where the session is"
        )


def start_session(storage: Storage, participant_id: int | None, plan: SessionPlan) -> SessionState:
    if participant_id is None:
        raise CollectionError("choose a participant first: every sample of a session is theirs")
    with storage.session(write=True, failed="the session was not started") as s:
        if s.get(Participant, participant_id) is None:
            raise NotFoundError("that participant no longer exists; choose another")
        row = CollectionSession(
            participant_id=participant_id, planned_chars=list(plan.prompts), status="active", position=0,
            prompt_shown_at=utcnow(),
            options={"target": plan.target, "chars": "".join(plan.chars), "repetitions": plan.repetitions,
                     "seed": plan.seed},
        )  # fmt: skip
        s.add(row)
        s.flush()
        return _state(s, row)


def get_session(storage: Storage, session_id: int) -> SessionState:
    with storage.session(failed="the session could not be read") as s:
        row = s.get(CollectionSession, session_id)
        if row is None:
            raise NotFoundError(f"data-collection session {session_id} no longer exists (its participant may "
                                "have been deleted)")  # fmt: skip
        return _state(s, row)


def open_sessions(storage: Storage, participant_id: int | None = None) -> list[SessionState]:
    """Sessions that can be resumed (active or paused), newest first."""
    stmt = select(CollectionSession).where(CollectionSession.status.in_(("active", "paused")))
    if participant_id is not None:
        stmt = stmt.where(CollectionSession.participant_id == participant_id)
    with storage.session(failed="the sessions could not be read") as s:
        rows = s.scalars(stmt.order_by(CollectionSession.created_at.desc(), CollectionSession.id.desc()))
        return [_state(s, row) for row in rows]


def _advance(s: Session, row: CollectionSession, sample_id: int | None) -> None:
    now = utcnow()
    shown = row.prompt_shown_at or now
    s.add(CollectionPrompt(
        session_id=row.id, position=row.position, char=row.planned_chars[row.position], sample_id=sample_id,
        skipped=sample_id is None, duration_ms=max(0.0, (now - shown).total_seconds() * 1000), answered_at=now,
    ))  # fmt: skip
    row.position += 1
    row.prompt_shown_at = now
    if row.position >= len(row.planned_chars):
        row.status, row.finished_at = "finished", now


def answer(
    storage: Storage,
    session_id: int,
    position: int,
    ink: Ink,
    prediction: Any = None,
    *,
    features: Any = None,
    source: str = "canvas",
    area: tuple[float, float] | None = None,
) -> SessionState:
    """Store the ink drawn for prompt `position` as a `prompted` sample with the model's prediction beside it."""
    with storage.session(write=True, failed="your sample was not stored") as s:
        row = _locked(s, session_id)
        _at(row, position)
        char = row.planned_chars[position]
        extra: dict[str, Any] = dict(correction_type="prompted", source=source, features=features,
                                     participant_id=row.participant_id, collection_session_id=row.id, area=area)  # fmt: skip
        new = (NewSample.from_prediction(ink, prediction, char, **extra) if prediction is not None
               else NewSample(ink=ink, actual_char=char, **extra))  # fmt: skip
        sample = sample_row(new)
        s.add(sample)
        s.flush()
        _advance(s, row, sample.id)
        return _state(s, row)


def skip(storage: Storage, session_id: int, position: int) -> SessionState:
    with storage.session(write=True, failed="the prompt was not skipped") as s:
        row = _locked(s, session_id)
        _at(row, position)
        _advance(s, row, None)
        return _state(s, row)


def redo_last(storage: Storage, session_id: int) -> SessionState:
    """Take back the last answer or skip (its sample is deleted) and ask that character again."""
    with storage.session(write=True, failed="nothing was taken back") as s:
        row = _locked(s, session_id)
        if row.status == "abandoned":
            raise StaleSessionError("this session was abandoned")
        if row.position == 0:
            raise CollectionError("there is nothing to redo yet")
        last = s.scalar(select(CollectionPrompt).where(
            CollectionPrompt.session_id == row.id, CollectionPrompt.position == row.position - 1))  # fmt: skip
        if last is not None:
            if last.sample_id is not None:  # through the change log, so the Data page can undo it
                edits.delete_samples(s, [last.sample_id])
            s.delete(last)
        row.position -= 1
        row.status, row.finished_at, row.prompt_shown_at = "active", None, utcnow()
        return _state(s, row)


def _set_status(storage: Storage, session_id: int, status: str, allowed_from: tuple[str, ...]) -> SessionState:
    with storage.session(write=True, failed="the session was not changed") as s:
        row = _locked(s, session_id)
        if row.status not in allowed_from:
            raise StaleSessionError(f"this session is {row.status}")
        row.status = status
        row.prompt_shown_at = utcnow()  # a resumed prompt's clock starts again
        row.finished_at = utcnow() if status in ("finished", "abandoned") else None
        return _state(s, row)


def pause(storage: Storage, session_id: int) -> SessionState:
    return _set_status(storage, session_id, "paused", ("active", "paused"))


def resume(storage: Storage, session_id: int) -> SessionState:
    return _set_status(storage, session_id, "active", ("active", "paused"))


def abandon(storage: Storage, session_id: int) -> SessionState:
    """End the session early; its samples stay."""
    return _set_status(storage, session_id, "abandoned", ("active", "paused"))


def summarize(storage: Storage, session_id: int) -> SessionSummary:
    """What the session measured: the model's accuracy on the prompted characters, time per character,
    the slowest characters and the most frequent misreadings (aggregated in SQL)."""
    p, t = CollectionPrompt, TrainingSample
    state = get_session(storage, session_id)
    ok = func.sum(case((t.is_correct.is_(True), 1), else_=0))
    per_char_stmt = (
        select(p.char, func.count(t.id), ok, func.avg(p.duration_ms))
        .join(t, t.id == p.sample_id)
        .where(p.session_id == session_id)
        .group_by(p.char)
    )
    confusion_stmt = (
        select(t.actual_char, t.predicted_char, func.count())
        .where(t.collection_session_id == session_id, t.is_correct.is_(False))
        .group_by(t.actual_char, t.predicted_char)
    )
    with storage.session(failed="the summary could not be read") as s:
        per_char = [CharSummary(c, int(n), int(k or 0), None if ms is None else float(ms))
                    for c, n, k, ms in s.execute(per_char_stmt)]  # fmt: skip
        predicted, mean_ms = s.execute(
            select(func.count(t.is_correct), func.avg(p.duration_ms)).join(t, t.id == p.sample_id)
            .where(p.session_id == session_id)
        ).one()  # fmt: skip
        confusions = [(a, b, int(n)) for a, b, n in s.execute(confusion_stmt) if b is not None]
    per_char.sort(key=lambda c: CLASS_INDEX.get(c.char, 99))
    slowest = sorted((c for c in per_char if c.mean_ms is not None), key=lambda c: -(c.mean_ms or 0.0))[:3]
    confusions.sort(key=lambda c: (-c[2], CLASS_INDEX.get(c[0], 99)))
    return SessionSummary(
        state, state.answered, state.skipped, int(predicted or 0), sum(c.correct for c in per_char),
        None if mean_ms is None else float(mean_ms), tuple(per_char), tuple(slowest), tuple(confusions),
    )  # fmt: skip
