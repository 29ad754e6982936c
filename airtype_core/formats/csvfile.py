"""CSV of the samples' metadata (no ink): one row a sample, for a spreadsheet or pandas.

RFC 4180 (rows end in CR LF, so a cell holding either is quoted). A text cell
that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`,
a tab or a carriage return: a writer named `=HYPERLINK(...)`) is written with a
leading `'`, which spreadsheets show as text; numbers are written as numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO

from .records import InkRecord

COLUMNS = (
    "id",
    "label",
    "predicted",
    "confidence",
    "is_correct",
    "correction_type",
    "source",
    "writer",
    "collection_session",
    "model_version",
    "inference_ms",
    "created_at",
    "strokes",
    "points",
)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """`value`, with a `'` before text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(records: Iterable[InkRecord], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for record in records:
        count += 1
        correct = None if record.predicted_char is None else record.predicted_char == record.label
        writer.writerow(
            [
                safe_cell(cell)
                for cell in [
                    record.sample_id if record.sample_id is not None else count,
                    record.label,
                    record.predicted_char or "",
                    "" if record.confidence is None else record.confidence,
                    "" if correct is None else int(correct),
                    record.correction_type or "",
                    record.source or "",
                    record.writer,
                    "" if record.collection_session is None else record.collection_session,
                    record.model_version or "",
                    "" if record.inference_ms is None else record.inference_ms,
                    record.created_at.isoformat() if record.created_at else "",
                    len(record.ink.strokes),
                    record.ink.num_points,
                ]
            ]
        )
    return count
