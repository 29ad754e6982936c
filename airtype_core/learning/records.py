"""What a training run reports, as typed values that survive a trip through JSON.

A background run writes them into its status file and the page reads them back
(`JobStatus` in jobs.py), so each has `to_dict` / `from_dict`; nothing here
imports torch, which keeps reading a status cheap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


def known_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The keys of `data` that are fields of `cls` (a newer or older writer may add or lack some)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True)
class CurvePoint:
    """One point of the live training curve."""

    x: float  # epochs done, fractional
    loss: float
    acc: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CurvePoint:
        return cls(**known_fields(cls, data))


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch: training and validation loss and accuracy."""

    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float | None = None
    val_acc: float | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EpochRecord:
        return cls(**known_fields(cls, data))


@dataclass(frozen=True)
class TrainOutcome:
    """The end of a completed run: the new version and the verdict on it."""

    session_id: int
    version: str
    parent_version: str | None  # None: the first model made for its sequence length
    activated: bool
    reason: str  # why it was activated or kept back, for a person
    new_metrics: dict[str, Any]  # the new model on the held-out data
    parent_metrics: dict[str, Any]  # the active model on the same data
    samples_used: int  # stored samples
    train_size: int  # after augmentation and synthetic mix-in
    history: tuple[EpochRecord, ...]
    duration_s: float
    train_s: float
    samples_per_s: float
    device: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "history": [asdict(e) for e in self.history]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainOutcome:
        values = known_fields(cls, data)
        values["history"] = tuple(EpochRecord.from_dict(e) for e in values.get("history", ()))
        return cls(**values)
