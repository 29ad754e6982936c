"""AirType's own JSON-lines format: one sample a line, lossless.

    {"label": "a", "strokes": [[[x, y, t], ...], ...], "writer": "ana",
     "predicted": "a", "confidence": 0.93, "alternatives": [["a", 0.93], ...],
     "model_version": "hershey-v3", "inference_ms": 4.2, "correction_type": "confirmed",
     "source": "canvas", "collection_session": 3, "created_at": "2026-11-29T17:00:00+00:00"}

Only `label` and `strokes` are required (`t` only where the source had a clock);
the evaluation files (`unipen-dev.jsonl`) are this format with `writer` only.
Numbers are written as Python reads them back, so export then import gives the
same points, bit for bit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from .. import limits
from ..recognition.ink import Ink, InkError, InkFormatError, LabeledInk
from .fields import (
    FieldError,
    alternatives_field,
    check_record,
    session_field,
    text_field,
    timestamp_field,
    writer_field,
)
from .records import InkRecord, Item, Problem, finite_or_none, label_problem, text_lines
from .sources import Source, open_binary


def parse_record(data: Any, where: str = "") -> InkRecord:
    """One decoded line as a record; raises InkError (bad ink or fields) or ValueError (bad label)."""
    if not isinstance(data, dict) or "strokes" not in data or "label" not in data:
        raise InkError('expected an object with "label" and "strokes"')
    why = label_problem(data["label"])
    if why:
        raise ValueError(why)
    predicted = data.get("predicted") or None
    if predicted is not None and label_problem(predicted):
        raise ValueError(f"predicted character {str(predicted)[:20]!r} is not one of the 62 classes")
    ink = Ink.from_strokes(data["strokes"] or [])
    if ink.num_points == 0:
        raise InkError("the ink has no points (empty strokes)")
    try:
        record = InkRecord(
            ink=ink,
            label=data["label"],
            writer=writer_field(data.get("writer")),
            predicted_char=predicted,
            confidence=finite_or_none(data.get("confidence")),
            alternatives=alternatives_field(data.get("alternatives")),
            model_version=text_field("model version", data.get("model_version"), limits.MODEL_VERSION),
            inference_ms=finite_or_none(data.get("inference_ms")),
            correction_type=text_field("correction type", data.get("correction_type"), limits.CORRECTION_TYPE),
            source=text_field("source", data.get("source"), limits.SOURCE),
            collection_session=session_field(data.get("collection_session")),
            created_at=timestamp_field(data.get("created_at")),
            where=where,
        )
    except FieldError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise InkError(f"a field has the wrong type ({exc})") from None
    check_record(record)
    return record


def read_records(source: Source) -> Iterator[Item]:
    """The records of a JSON-lines file, and a Problem for each line that is not one."""
    with open_binary(source) as stream:
        for number, line in text_lines(stream):
            if not line.strip():
                continue
            where = f"line {number}"
            try:
                data = json.loads(line)
            except RecursionError:
                yield Problem(where, "the line is nested too deeply to be a sample")
                continue
            except json.JSONDecodeError as exc:
                cut = not line.endswith("\n")
                why = "the line is cut off (is the file truncated?)" if cut else f"not JSON ({exc.msg})"
                yield Problem(where, why)
                continue
            try:
                yield parse_record(data, where)
            except (InkError, ValueError) as exc:
                yield Problem(where, str(exc))


def read_jsonl(path: Source, errors: list[str] | None = None) -> Iterator[LabeledInk]:
    """(ink, label, writer) of each good line, for evaluation and benchmarks.

    A bad line raises InkError, unless `errors` is given: then `"line N: why"` is
    appended to it and reading goes on.
    """
    for item in read_records(path):
        if isinstance(item, Problem):
            if errors is None:
                raise InkFormatError(str(item))
            errors.append(str(item))
        else:
            yield LabeledInk(item.ink, item.label, item.writer)


def record_json(record: InkRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"label": record.label, "strokes": record.ink.to_lists()}
    optional = {
        "writer": record.writer or None,
        "predicted": record.predicted_char,
        "confidence": record.confidence,
        "alternatives": [[c, p] for c, p in record.alternatives] or None,
        "model_version": record.model_version,
        "inference_ms": record.inference_ms,
        "correction_type": record.correction_type,
        "source": record.source,
        "collection_session": record.collection_session,
        "created_at": record.created_at.isoformat() if record.created_at else None,
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def write_jsonl(records: Iterable[InkRecord], out: IO[str]) -> int:
    """Write one line per record; returns how many."""
    count = 0
    for record in records:
        out.write(json.dumps(record_json(record), ensure_ascii=False, allow_nan=False) + "\n")
        count += 1
    return count
