"""A handwriting file into the database: stream, check, skip duplicates, store in batches.

    report = import_file(storage, "inks.jsonl", dry_run=False, all_or_nothing=False,
                         predictor=None, progress=lambda p: ...)
    print(report.summary())        # stored, duplicates, skipped and why (line by line)

Each batch is one transaction, so a failure (a locked database) leaves every
earlier batch stored and nothing half-written; with `all_or_nothing` the whole
file is one transaction, rolled back if any record was bad. What is already
stored is never changed. With a predictor, the model reads each batch (one
forward pass) and its answer is stored with the sample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..formats import guess_format, reader
from ..formats.records import InkRecord, Problem
from ..formats.sources import Source, source_name
from ..recognition.charset import CLASSES
from ..recognition.ink import InkError
from ..storage.records import NewSample, StorageError
from ..storage.store import Storage
from ..storage.tables import CORRECTION_TYPES

BATCH = 1000  # samples a transaction
PREDICT_BATCH = 64  # inks a forward pass: measured 2 to 4 times faster than 1000 at once (cache-sized)
TOP_K = 5


class _RolledBack(Exception):
    """All-or-nothing: a bad record was found, so the transaction must not commit."""


@dataclass
class ImportReport:
    file: str
    fmt: str
    dry_run: bool = False
    all_or_nothing: bool = False
    read: int = 0  # good records read
    stored: int = 0  # new samples (would be stored, in a dry run)
    duplicates: int = 0
    predicted: int = 0
    problems: list[Problem] = field(default_factory=list)
    rolled_back: bool = False  # all-or-nothing with problems: nothing stored
    error: str | None = None  # the database failed; batches before it are stored
    seconds: float = 0.0

    def summary(self) -> str:
        verb = "would store" if self.dry_run else "stored"
        stored = 0 if self.rolled_back else self.stored
        parts = [f"{self.file} ({self.fmt}): {self.read} samples read, {verb} {stored} new"]
        if self.duplicates:
            parts.append(f"{self.duplicates} already stored (duplicates, skipped)")
        if self.predicted:
            parts.append(f"{self.predicted} predicted by the model")
        if self.problems:
            parts.append(f"{len(self.problems)} skipped with problems")
        text = ", ".join(parts) + "."
        if self.read and not stored and not self.rolled_back and not self.error and self.duplicates == self.read:
            text += " Nothing new: every sample in the file is already stored."
        if self.rolled_back:
            text += " All-or-nothing was asked and the file has problems: nothing was stored."
        if self.error:
            text += f" Stopped: {self.error}"
        return text


@dataclass(frozen=True)
class ImportProgress:
    read: int
    stored: int
    duplicates: int
    problems: int


def _batches(items: Iterable[InkRecord | Problem], report: ImportReport) -> Iterator[list[InkRecord]]:
    batch: list[InkRecord] = []
    for item in items:
        if isinstance(item, Problem):
            report.problems.append(item)
            continue
        report.read += 1
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _predictions(predictor: Any, records: list[InkRecord], report: ImportReport) -> list[dict[str, Any] | None]:
    """The model's answer for each record (None where the ink cannot be featurized), one forward pass."""
    start = time.perf_counter()
    probs: list[Any] = []
    for first in range(0, len(records), PREDICT_BATCH):
        part = records[first : first + PREDICT_BATCH]
        try:
            probs += list(predictor.probabilities([r.ink for r in part]))
        except InkError:  # one bad ink spoils the pass: find it, one by one
            for record in part:
                try:
                    probs.append(predictor.probabilities([record.ink])[0])
                except InkError as exc:
                    report.problems.append(Problem(record.where, f"the model cannot read this ink: {exc}"))
                    probs.append(None)
    per_ink_ms = (time.perf_counter() - start) * 1000 / max(1, len(records))
    version = predictor.version
    out: list[dict[str, Any] | None] = []
    for p in probs:
        if p is None:
            out.append(None)
            continue
        top = p.argsort()[::-1][:TOP_K]
        alternatives = tuple((CLASSES[i], float(p[i])) for i in top)
        out.append(dict(predicted_char=alternatives[0][0], confidence=alternatives[0][1],
                        alternatives=alternatives, model_version=version, inference_ms=per_ink_ms))
    return out


def to_new_sample(record: InkRecord, prediction: dict[str, Any] | None = None) -> NewSample:
    fields = prediction or dict(
        predicted_char=record.predicted_char, confidence=record.confidence, alternatives=record.alternatives,
        model_version=record.model_version, inference_ms=record.inference_ms,
    )
    predicted = fields["predicted_char"]
    correction = record.correction_type if prediction is None else None
    if correction not in CORRECTION_TYPES:
        correction = "manual" if predicted is None else ("confirmed" if predicted == record.label else "corrected")
    return NewSample(ink=record.ink, actual_char=record.label, correction_type=correction, source="import",
                     created_at=record.created_at, **fields)


def import_file(
    storage: Storage,
    source: Source,
    fmt: str | None = None,
    *,
    dry_run: bool = False,
    all_or_nothing: bool = False,
    predictor: Any = None,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportReport:
    """Import `source` (a path or an uploaded binary stream); see the module docstring."""
    name = source_name(source)
    fmt = fmt or guess_format(name)
    read = reader(fmt)  # FormatError for an unknown format, before anything is read
    report = ImportReport(name, fmt, dry_run=dry_run, all_or_nothing=all_or_nothing)
    start = time.perf_counter()
    try:
        with storage.importing(all_or_nothing=all_or_nothing, dry_run=dry_run) as batches:
            for batch in _batches(read(source), report):
                _store(batches, batch, predictor, report)
                if progress is not None:
                    progress(ImportProgress(report.read, report.stored, report.duplicates, len(report.problems)))
            if all_or_nothing and report.problems and not dry_run:
                raise _RolledBack
    except _RolledBack:
        report.rolled_back = True
    except StorageError as exc:
        report.error = str(exc)
        if all_or_nothing:
            report.rolled_back = True
    if all_or_nothing and dry_run and report.problems:
        report.rolled_back = True
    report.seconds = time.perf_counter() - start
    return report


def _store(batches: Any, batch: Sequence[InkRecord], predictor: Any, report: ImportReport) -> None:
    predictions = _predictions(predictor, list(batch), report) if predictor is not None else [None] * len(batch)
    keep = [(r, p) for r, p in zip(batch, predictions) if predictor is None or p is not None]
    outcome = batches.add([to_new_sample(r, p) for r, p in keep], [r.writer for r, _ in keep])
    for index, message in outcome.rejected:
        report.problems.append(Problem(keep[index][0].where, message))
    report.stored += len(outcome.stored)
    report.predicted += len(outcome.stored) if predictor is not None else 0
    report.duplicates += outcome.duplicates


def preview(source: Source, fmt: str | None = None, count: int = 8) -> tuple[list[InkRecord], list[Problem], bool]:
    """The first `count` good records and the problems met on the way; True when there is more."""
    fmt = fmt or guess_format(source_name(source))
    records: list[InkRecord] = []
    problems: list[Problem] = []
    for item in reader(fmt)(source):
        if len(records) >= count:
            return records, problems, True
        if isinstance(item, Problem):
            problems.append(item)
        else:
            records.append(item)
    return records, problems, False
