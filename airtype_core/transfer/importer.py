"""A handwriting file into the database: stream, check, skip duplicates, store in batches.

    report = import_file(storage, "inks.jsonl", dry_run=False, all_or_nothing=False,
                         predictor=None, progress=lambda p: ...)
    print(report.summary())        # stored, duplicates, skipped and why (line by line)

Each batch is one transaction, so a failure (a locked database) leaves every
earlier batch stored and nothing half-written; with `all_or_nothing` the whole
file is one transaction, rolled back if any record was bad. What is already
stored is never changed. With a predictor, the model reads each batch (one
forward pass) and its answer is stored with the sample.

Nothing a file holds makes it raise: a bad record, a record the model or the
database refuses, even a reader that fails, each becomes a line of the report
(the first 1,000 kept, the rest counted). `report.failed` is true when nothing
was read (an empty file, a wrong format), so that it is never shown as success.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..formats import FormatError, guess_format, reader
from ..formats.records import InkRecord, Problem
from ..formats.sources import Source, source_name, source_size
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


MAX_PROBLEMS = 1000  # problems a report keeps; the rest are counted


@dataclass
class ImportReport:
    file: str
    fmt: str
    dry_run: bool = False
    all_or_nothing: bool = False
    read: int = 0  # good records read
    stored: int = 0  # new samples (would be stored, in a dry run)
    duplicates: int = 0
    refused: int = 0  # records read that the model or the database would not take (each is a problem)
    predicted: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS
    more_problems: int = 0  # problems beyond those kept
    participants_created: tuple[str, ...] = ()  # writers of the file that became new participants
    empty: bool = False  # the file has no bytes at all
    rolled_back: bool = False  # all-or-nothing with problems: nothing stored
    error: str | None = None  # the database failed; batches before it are stored
    crashed: str | None = None  # a reader failed unexpectedly (a bug); what came before it was imported
    seconds: float = 0.0

    def add_problem(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.more_problems

    @property
    def nothing_read(self) -> bool:
        """Not one sample could be read: a wrong format, an empty or a broken file. Not a success."""
        return self.read == 0 and self.error is None

    def summary(self) -> str:
        if self.empty:
            return f"{self.file} is empty: there is nothing to import."
        verb = "would store" if self.dry_run else "stored"
        stored = 0 if self.rolled_back else self.stored
        parts = [f"{self.file} ({self.fmt}): {self.read} samples read, {verb} {stored} new"]
        if self.duplicates:
            parts.append(f"{self.duplicates} already stored (duplicates, skipped)")
        if self.predicted:
            parts.append(f"{self.predicted} predicted by the model")
        if self.problem_count:
            parts.append(f"{self.problem_count} skipped with problems")
        text = ", ".join(parts) + "."
        if self.participants_created and not self.rolled_back:
            text += " " + _participants_sentence(self.participants_created)
        if self.nothing_read:
            text += f" No sample could be read from this file: is it really {self.fmt}?"
        if self.read and not stored and not self.rolled_back and not self.error and self.duplicates == self.read:
            text += " Nothing new: every sample in the file is already stored."
        if self.rolled_back:
            text += " All-or-nothing was asked and the file has problems: nothing was stored."
        if self.error:
            text += f" Stopped: {self.error}"
        if self.crashed:
            text += f" Reading stopped early: {self.crashed}"
        return text

    @property
    def failed(self) -> bool:
        """Nothing read, or stopped, or rolled back: shown as a warning or an error, and a non-zero exit."""
        return self.nothing_read or self.error is not None or self.rolled_back or self.crashed is not None


def _participants_sentence(names: tuple[str, ...], shown: int = 10) -> str:
    listed = ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")
    return f"{len(names)} new participant{'s' if len(names) != 1 else ''} created from the file's writers: {listed}."


@dataclass(frozen=True)
class ImportProgress:
    read: int
    stored: int
    duplicates: int
    problems: int


def _guarded(items: Iterator[InkRecord | Problem], report: ImportReport) -> Iterator[InkRecord | Problem]:
    """The reader's items; should the reader itself fail (a bug), the report says so and the import ends there."""
    try:
        yield from items
    except FormatError:
        raise  # the whole file is of no format the reader takes: the caller says so
    except Exception as exc:  # noqa: BLE001 - a reader bug (RecursionError included) becomes a report
        report.crashed = f"the {report.fmt} reader failed ({type(exc).__name__}: {str(exc)[:200]})"


def _batches(items: Iterable[InkRecord | Problem], report: ImportReport) -> Iterator[list[InkRecord]]:
    batch: list[InkRecord] = []
    for item in items:
        if isinstance(item, Problem):
            report.add_problem(item)
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
        except Exception:  # noqa: BLE001 - one bad ink spoils the pass (InkError, or worse): find it, one by one
            for record in part:
                try:
                    probs.append(predictor.probabilities([record.ink])[0])
                except Exception as exc:  # noqa: BLE001 - a per-record failure is a problem of its record
                    why = str(exc) if isinstance(exc, InkError) else f"{type(exc).__name__}: {str(exc)[:200]}"
                    report.add_problem(Problem(record.where, f"the model cannot read this ink: {why}"))
                    report.refused += 1
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
        out.append(
            dict(
                predicted_char=alternatives[0][0],
                confidence=alternatives[0][1],
                alternatives=alternatives,
                model_version=version,
                inference_ms=per_ink_ms,
            )
        )
    return out


def to_new_sample(record: InkRecord, prediction: dict[str, Any] | None = None) -> NewSample:
    fields = prediction or dict(
        predicted_char=record.predicted_char,
        confidence=record.confidence,
        alternatives=record.alternatives,
        model_version=record.model_version,
        inference_ms=record.inference_ms,
    )
    predicted = fields["predicted_char"]
    correction = record.correction_type if prediction is None else None
    if correction not in CORRECTION_TYPES:
        correction = "manual" if predicted is None else ("confirmed" if predicted == record.label else "corrected")
    return NewSample(
        ink=record.ink,
        actual_char=record.label,
        correction_type=correction,
        source="import",
        created_at=record.created_at,
        **fields,
    )


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
    report = ImportReport(name, fmt, dry_run=dry_run, all_or_nothing=all_or_nothing, empty=source_size(source) == 0)
    if predictor is not None:  # one version reads, and is named for, the whole file, whatever another page activates
        predictor = predictor.pinned()
    start = time.perf_counter()
    try:
        with storage.importing(all_or_nothing=all_or_nothing, dry_run=dry_run) as batches:
            for batch in _batches(_guarded(read(source), report), report):
                _store(batches, batch, predictor, report)
                if progress is not None:
                    progress(ImportProgress(report.read, report.stored, report.duplicates, report.problem_count))
            if all_or_nothing and (report.problems or report.crashed) and not dry_run:
                raise _RolledBack
        report.participants_created = batches.participants_created
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
    samples, kept = [], []
    for record, prediction in keep:
        try:
            samples.append(to_new_sample(record, prediction))
            kept.append(record)
        except (InkError, ValueError, TypeError) as exc:  # the readers check every field; this is the net
            report.add_problem(Problem(record.where, f"cannot be stored: {exc}"))
            report.refused += 1
    outcome = batches.add(samples, [r.writer for r in kept])
    for index, message in outcome.rejected:
        report.add_problem(Problem(kept[index].where, message))
    report.refused += len(outcome.rejected)
    report.stored += len(outcome.stored)
    report.predicted += len(outcome.stored) if predictor is not None else 0
    report.duplicates += outcome.duplicates


def preview(source: Source, fmt: str | None = None, count: int = 8) -> tuple[list[InkRecord], list[Problem], bool]:
    """The first `count` good records and the problems met on the way; True when there is more."""
    fmt = fmt or guess_format(source_name(source))
    records: list[InkRecord] = []
    problems: list[Problem] = []
    report = ImportReport(source_name(source), fmt)
    for item in _guarded(reader(fmt)(source), report):
        if len(records) >= count:
            return records, problems, True
        if isinstance(item, Problem):
            problems.append(item)
        else:
            records.append(item)
    if report.crashed:
        problems.append(Problem("the file", f"reading stopped early: {report.crashed}"))
    return records, problems, False
