"""Stored samples out to a file: the samples of a filter, streamed in batches (never all in memory).

count = export_samples(storage, SampleFilter(misclassified_only=True), "inkml", out)
path, count = export_to_file(storage, filter, "csv")    # a temporary file, for a download
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from ..formats import WRITE_FORMATS
from ..formats.csvfile import write_csv
from ..formats.inkml import write_inkml
from ..formats.jsonl import write_jsonl
from ..formats.records import FormatError, InkRecord
from ..storage.records import SampleFilter, SampleRecord
from ..storage.store import Storage

SUFFIX = {"jsonl": ".jsonl", "csv": ".csv", "inkml": ".inkml"}
MIME = {"jsonl": "application/x-ndjson", "csv": "text/csv", "inkml": "application/inkml+xml"}


def to_record(sample: SampleRecord, writers: dict[int, str]) -> InkRecord:
    return InkRecord(
        ink=sample.ink,
        label=sample.actual_char,
        writer=writers.get(sample.participant_id, "") if sample.participant_id is not None else "",
        predicted_char=sample.predicted_char,
        confidence=sample.confidence,
        alternatives=sample.alternatives,
        model_version=sample.model_version,
        inference_ms=sample.inference_ms,
        correction_type=sample.correction_type,
        source=sample.source,
        collection_session=sample.collection_session_id,
        created_at=sample.created_at,
        sample_id=sample.id,
    )


def export_samples(
    storage: Storage,
    filter: SampleFilter | None,
    fmt: str,
    out: IO[str],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the filter's samples (oldest first) to `out` in `fmt`; returns how many."""
    if fmt not in WRITE_FORMATS:
        raise FormatError(f"cannot export to {fmt!r}: use one of {', '.join(WRITE_FORMATS)}")
    writers = {p.id: p.name for p in storage.list_participants()}

    def records() -> Iterator[InkRecord]:
        for n, sample in enumerate(storage.iter_samples(filter, batch_size=1000, features=False), start=1):
            if progress is not None and n % 1000 == 0:
                progress(n)
            yield to_record(sample, writers)

    write = {"jsonl": write_jsonl, "csv": write_csv, "inkml": write_inkml}[fmt]
    return write(records(), out)


def export_to_file(
    storage: Storage,
    filter: SampleFilter | None,
    fmt: str,
    folder: str | os.PathLike[str] | None = None,
) -> tuple[Path, int]:
    """Write the export to a new temporary file (streamed, never held in memory); the caller deletes it."""
    if fmt not in WRITE_FORMATS:
        raise FormatError(f"cannot export to {fmt!r}: use one of {', '.join(WRITE_FORMATS)}")
    handle, name = tempfile.mkstemp(prefix="airtype-export-", suffix=SUFFIX[fmt], dir=folder)
    try:
        with open(handle, "w", encoding="utf-8", newline="") as out:
            count = export_samples(storage, filter, fmt, out)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name), count
