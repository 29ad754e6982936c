"""What a user chooses for a training run, with every value checked.

TrainOptions(mode="finetune", epochs=5).resolved(settings)  # Nones -> defaults, TrainingOptionsError if bad
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from ..settings import Settings, get_settings
from ..storage.records import SampleFilter
from .records import known_fields
from .trainer import TrainConfig

MODES = ("finetune", "full")
# Per mode: the seed's hyper-parameters, and how much synthetic data keeps the other classes alive.
# Full training starts from random weights, so it needs far more synthetic ink to learn every class.
_MODE_DEFAULTS = {
    "finetune": {"epochs": 5, "augmentation_factor": 3, "synthetic_per_class": 8},
    "full": {"epochs": 10, "augmentation_factor": 5, "synthetic_per_class": 40},
}


class TrainingError(Exception):
    """A run that cannot start or go on for a reason a person can act on."""


class NotEnoughSamplesError(TrainingError):
    pass


class TrainingOptionsError(TrainingError, ValueError):
    pass


@dataclass(frozen=True)
class TrainOptions:
    """What the user chooses on the training page (None: the mode's default)."""

    mode: str = "finetune"  # finetune | full
    epochs: int | None = None
    augment: bool = True
    augmentation_factor: int | None = None  # distorted copies of each training ink
    misclassified_only: bool = False
    min_samples: int | None = None  # None: Settings.min_train_samples
    participant_id: int | None = None  # train on one participant's samples (personalization)
    synthetic_per_class: int | None = None
    val_fraction: float = 0.2
    seed: int = 0

    def resolved(self, settings: Settings | None = None) -> TrainOptions:
        """Every None replaced by its default, every value checked."""
        if self.mode not in MODES:
            raise TrainingOptionsError(f"training mode {self.mode!r} is not one of {', '.join(MODES)}")
        defaults: dict[str, Any] = {
            **_MODE_DEFAULTS[self.mode],
            "min_samples": (settings or get_settings()).min_train_samples,
        }
        out = replace(self, **{k: v for k, v in defaults.items() if getattr(self, k) is None})
        assert out.epochs is not None and out.augmentation_factor is not None  # every None has a default
        assert out.synthetic_per_class is not None and out.min_samples is not None
        if not 1 <= out.epochs <= 200:
            raise TrainingOptionsError("the number of epochs must be between 1 and 200")
        if not 0 <= out.augmentation_factor <= 20:
            raise TrainingOptionsError("the augmentation factor must be between 0 and 20")
        if not 0 <= out.synthetic_per_class <= 500:
            raise TrainingOptionsError("synthetic samples per class must be between 0 and 500")
        if out.min_samples < 1:
            raise TrainingOptionsError("the minimum number of samples must be at least 1")
        if not 0.0 < out.val_fraction < 0.9:
            raise TrainingOptionsError("the held-out fraction must be between 0 and 0.9")
        return out

    def sample_filter(self) -> SampleFilter:
        return SampleFilter(misclassified_only=self.misclassified_only, participant_id=self.participant_id)

    def train_config(self) -> TrainConfig:
        assert self.epochs is not None, "resolve the options first"
        if self.mode == "finetune":
            return TrainConfig.fine_tune(epochs=self.epochs, seed=self.seed)
        return TrainConfig(epochs=self.epochs, seed=self.seed)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainOptions:
        return cls(**known_fields(cls, data))
