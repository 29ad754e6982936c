"""Is there enough to train on, and what should the user do next?"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..recognition.charset import CLASSES
from ..settings import Settings
from ..storage.records import CharAccuracy, TrainingSessionInfo
from ..storage.store import Storage
from .options import NotEnoughSamplesError, TrainOptions
from .trainer import device_name, select_device

FULL_TRAINING_MIN_PER_CLASS = 30  # below this, training from scratch cannot beat the pretrained model


def check_enough_samples(storage: Storage, options: TrainOptions, settings: Settings | None = None) -> int:
    """How many stored samples the run would use; NotEnoughSamplesError when below the minimum."""
    options = options.resolved(settings)
    assert options.min_samples is not None  # resolved
    total = sum(storage.count_by_char(options.sample_filter()).values())
    if total < options.min_samples:
        which = "misclassified samples" if options.misclassified_only else "samples"
        who = " for this participant" if options.participant_id is not None else ""
        raise NotEnoughSamplesError(
            f"Training needs at least {options.min_samples} {which}{who}; there are {total}. "
            "Collect more on the draw page, or lower the minimum."
        )
    return total


@dataclass(frozen=True)
class Readiness:
    """Whether the stored samples (under the options' filter) are worth a run, and what to do next."""

    counts: dict[str, int]  # every class, 0 included
    total: int
    min_samples: int
    ready: bool
    device: str  # where training would run: cuda (its name) > mps > cpu
    best_accuracy: float | None  # best held-out accuracy of the model a completed run left in use
    runs: int
    completed_runs: int
    recommendation: str


def readiness(storage: Storage, options: TrainOptions, settings: Settings | None = None) -> Readiness:
    options = options.resolved(settings)
    assert options.min_samples is not None  # resolved
    stored = storage.count_by_char(options.sample_filter())
    counts = {c: stored.get(c, 0) for c in CLASSES}
    total = sum(counts.values())
    sessions = storage.list_training_sessions()
    completed = [s for s in sessions if s.status == "completed"]
    scores = [score for score in map(_kept_model_score, completed) if score is not None]
    fewest = ", ".join(_worth_collecting(counts, storage.accuracy_by_char(options.sample_filter())))
    if total < options.min_samples:
        advice = (
            f"Collect {options.min_samples - total} more samples before training "
            f"(characters with the fewest samples: {fewest})."
        )
    elif not completed:
        advice = f"Fine-tune: {total} samples are ready and the model has not learned from them yet."
    else:
        since = replace(options.sample_filter(), start=completed[0].started_at)
        new = sum(storage.count_by_char(since).values())
        if new >= max(10, total // 10):
            advice = f"Fine-tune again: {new} samples were added since the last run."
        elif min(counts.values()) >= FULL_TRAINING_MIN_PER_CLASS:
            advice = "Full training is possible: every character has enough samples to learn from scratch."
        else:
            advice = (
                f"The model is up to date with your samples; collect more of the characters with the fewest: {fewest}."
            )
    return Readiness(
        counts,
        total,
        options.min_samples,
        total >= options.min_samples,
        device_name(select_device()),
        max(scores) if scores else None,
        len(sessions),
        len(completed),
        advice,
    )


def _kept_model_score(run: TrainingSessionInfo) -> float | None:
    """Held-out accuracy of the model a run left in use: the new one if it was activated, else
    its parent (a run kept back for scoring worse must not report its lower figure as the best)."""
    metrics = run.metrics or {}
    kept = metrics if metrics.get("activated", True) else metrics.get("parent") or {}
    return kept.get("held_out_top1")


def _worth_collecting(counts: dict[str, int], accuracy: list[CharAccuracy], n: int = 5) -> list[str]:
    """The `n` characters most worth drawing again: the fewest samples first, and among
    characters with as many, the ones the model misread most often."""
    misread = {a.char: a.accuracy for a in accuracy if a.total}
    return sorted(CLASSES, key=lambda c: (counts[c], misread.get(c, 1.0)))[:n]
