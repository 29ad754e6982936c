"""The checks of a record's free fields, shared by every reader: type, length, and text a database takes.

    writer = text_field("writer", data.get("writer"), limits.PARTICIPANT_NAME)   # FieldError if wrong
    check_record(record)        # every field of a built record, once more, before it is stored

Lengths come from `airtype_core.limits`, the lengths the database columns are
declared with, so a value that PostgreSQL would refuse (and SQLite silently
keep) is a problem of its line instead of a failed batch.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np

from .. import limits
from ..recognition.charset import CLASS_INDEX
from .records import InkRecord

MAX_ALTERNATIVES = len(CLASS_INDEX)
MAX_SESSION = 2**31 - 1  # an INTEGER column on PostgreSQL


class FieldError(ValueError):
    """A field of one record that cannot be stored as it is; the message names the field."""


def _kind(value: object) -> str:
    return {list: "a list", dict: "an object", bool: "true or false"}.get(type(value), type(value).__name__)


def text_field(what: str, value: object, limit: int) -> str | None:
    """`value` as stored text (None when absent or empty); FieldError when it is not text a database takes."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a writer numbered 12 in the file
    if not isinstance(value, str):
        raise FieldError(f"the {what} must be text, not {_kind(value)}")
    if "\x00" in value:
        raise FieldError(f"the {what} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldError(f"the {what} is not valid text (it holds half of a UTF-16 pair)") from None
    if len(value) > limit:
        raise FieldError(f"the {what} is {len(value)} characters long: at most {limit} are kept")
    return value


def writer_field(value: object) -> str:
    return text_field("writer", value.strip() if isinstance(value, str) else value, limits.PARTICIPANT_NAME) or ""


def timestamp_field(value: object) -> datetime | None:
    """An ISO 8601 time, in UTC (a time without a zone is taken to be UTC)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise FieldError(f"created_at must be an ISO 8601 text time, not {_kind(value)}")
    try:
        when = datetime.fromisoformat(value)
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except ValueError:
        raise FieldError(f"created_at {value[:40]!r} is not an ISO 8601 time") from None
    except OverflowError:
        raise FieldError(f"created_at {value[:40]!r} falls outside the years 1 to 9999 in UTC") from None


def alternatives_field(value: object) -> tuple[tuple[str, float], ...]:
    """[[character, probability], ...]: at most one per class, each a class with a probability in 0..1."""
    if value is None or value == []:
        return ()
    if not isinstance(value, (list, tuple)) or len(value) > MAX_ALTERNATIVES:
        raise FieldError(f"alternatives must be a list of at most {MAX_ALTERNATIVES} [character, probability]")
    out = []
    for pair in value:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise FieldError("each alternative must be [character, probability]")
        char, probability = pair
        if not isinstance(char, str) or char not in CLASS_INDEX:
            raise FieldError(f"the alternative {str(char)[:20]!r} is not one of the 62 classes")
        if isinstance(probability, bool) or not isinstance(probability, (int, float)):
            raise FieldError(f"the probability of alternative {char!r} must be a number")
        if not (math.isfinite(probability) and 0.0 <= probability <= 1.0):
            raise FieldError(f"the probability of alternative {char!r} must be between 0 and 1")
        out.append((char, float(probability)))
    return tuple(out)


def session_field(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FieldError(f"collection_session must be a whole number, not {_kind(value)}")
    try:
        number = int(value)
    except (ValueError, OverflowError):
        raise FieldError(f"collection_session {str(value)[:20]!r} is not a whole number") from None
    if not 0 < number <= MAX_SESSION:
        raise FieldError(f"collection_session {number} is out of range")
    return number


def check_record(record: InkRecord) -> None:
    """Every free field of a record that a reader built, checked again; FieldError names the first wrong one."""
    writer_field(record.writer)
    text_field("model version", record.model_version, limits.MODEL_VERSION)
    text_field("source", record.source, limits.SOURCE)
    text_field("correction type", record.correction_type, limits.CORRECTION_TYPE)
    alternatives_field(list(record.alternatives))
    if record.collection_session is not None:
        session_field(record.collection_session)
    for number in (record.confidence, record.inference_ms):
        if number is not None and not math.isfinite(number):
            raise FieldError("confidence and inference_ms must be finite numbers")
    for stroke in record.ink.strokes:
        times = stroke[:, 2]
        missing = np.isnan(times)
        if not (missing.all() or np.isfinite(times).all()):
            raise FieldError("a stroke's times must all be numbers, or be missing for the whole stroke")
