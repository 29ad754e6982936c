"""CSV of the samples' metadata (no ink): one row a sample, for a spreadsheet or pandas."""

from __future__ import annotations

import csv
from typing import IO, Iterable

from .records import InkRecord

COLUMNS = (
    "id", "label", "predicted", "confidence", "is_correct", "correction_type", "source", "writer",
    "collection_session", "model_version", "inference_ms", "created_at", "strokes", "points",
)


def write_csv(records: Iterable[InkRecord], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for record in records:
        count += 1
        correct = None if record.predicted_char is None else record.predicted_char == record.label
        writer.writerow([
            record.sample_id if record.sample_id is not None else count, record.label, record.predicted_char or "",
            "" if record.confidence is None else record.confidence, "" if correct is None else int(correct),
            record.correction_type or "", record.source or "", record.writer,
            "" if record.collection_session is None else record.collection_session, record.model_version or "",
            "" if record.inference_ms is None else record.inference_ms,
            record.created_at.isoformat() if record.created_at else "", len(record.ink.strokes),
            record.ink.num_points,
        ])
    return count
