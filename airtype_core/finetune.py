"""Learning from the user's answers: stored samples in, a new model version out.

    run_training(TrainOptions(), storage, store, progress=cb, should_stop=fn) -> TrainOutcome

1. the stored samples (all, one participant's, or the misclassified ones) are split
   per class into training and held-out samples (stratified);
2. each training ink gets `augmentation_factor` lightly distorted copies;
3. synthetic inks of every class are mixed in, so characters the user never drew
   are not forgotten (steps 1-3: trainset.py);
4. `Trainer.fit` from the active model (fine-tuning, then blended with a share of
   the active model's weights) or from random weights (full);
5. the calibration temperature is refitted on the held-out data;
6. the new and the active model are scored on the same held-out data; the new
   one is saved as a version (parent = active) and activated only if it is not worse.

Every run is a training_sessions row, from `running` to completed, failed or cancelled.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timezone
from typing import Any, Callable

import numpy as np
import torch

from .charset import CLASSES
from .evaluation import summarize
from .features import FeatureConfig
from .modelstore import Manifest, ModelStore, new_version_name
from .pretrain import MIN_TEMPERATURE
from .settings import Settings, get_settings
from .storage import CharAccuracy, SampleFilter, Storage, TrainingSessionInfo
from .training import (
    TrainConfig, Trainer, TrainingCancelled, TrainProgress, device_name, evaluate_logits, fit_temperature,
    select_device,
)
from .trainset import TrainingSet, build_training_set
from .versions import activate_version, sync_versions

MODES = ("finetune", "full")
# Per mode: the seed's hyper-parameters, and how much synthetic data keeps the other classes alive.
# Full training starts from random weights, so it needs far more synthetic ink to learn every class.
_MODE_DEFAULTS = {
    "finetune": {"epochs": 5, "augmentation_factor": 3, "synthetic_per_class": 8},
    "full": {"epochs": 10, "augmentation_factor": 5, "synthetic_per_class": 40},
}
RETENTION_TOLERANCE = 0.05  # a new model may lose this much on the classes the user never drew
MIN_CALIBRATION_SAMPLES = 30  # fewer held-out inks than this: keep the parent's temperature
FULL_TRAINING_MIN_PER_CLASS = 30  # below this, training from scratch cannot beat the pretrained model

# A fine-tuned model is blended, weight by weight, with this share of its parent
# ("weight-space ensembling"): the parent still knows the writers and characters the
# user's few samples do not show. Fine-tuning hershey-v3 on 5 real inks a class, then
# scoring 5,890 other real inks: share 0 gave 0.858 folded accuracy and one class 6.3
# points worse than before; 0.2 gave 0.855 and no class more than 4.2 points worse;
# 0.5 gave 0.834 and 2.1. (Another draw of the 310 inks: 0.854 / K -13.7 at 0,
# 0.856 / K -7.4 at 0.2, 0.841 / K -6.3 at 0.5.)
PARENT_SHARE = 0.2


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
        defaults = {**_MODE_DEFAULTS[self.mode], "min_samples": (settings or get_settings()).min_train_samples}
        out = replace(self, **{k: v for k, v in defaults.items() if getattr(self, k) is None})
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
        if self.mode == "finetune":
            return TrainConfig.fine_tune(epochs=self.epochs, seed=self.seed)
        return TrainConfig(epochs=self.epochs, seed=self.seed)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainOptions:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class RunProgress:
    """What a run is doing now: a phase, and while training the Trainer's own progress."""

    phase: str  # preparing | training | evaluating | saving
    message: str
    session_id: int | None = None
    train: TrainProgress | None = None


@dataclass(frozen=True)
class TrainOutcome:
    session_id: int
    version: str
    parent_version: str
    activated: bool
    reason: str  # why it was activated or kept back, for a person
    new_metrics: dict[str, Any]  # the new model on the held-out data
    parent_metrics: dict[str, Any]  # the active model on the same data
    samples_used: int  # stored samples
    train_size: int  # after augmentation and synthetic mix-in
    history: tuple[dict[str, Any], ...]
    duration_s: float
    train_s: float
    samples_per_s: float
    device: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "history": list(self.history)}


def check_enough_samples(storage: Storage, options: TrainOptions, settings: Settings | None = None) -> int:
    """How many stored samples the run would use; NotEnoughSamplesError when below the minimum."""
    options = options.resolved(settings)
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
    stored = storage.count_by_char(options.sample_filter())
    counts = {c: stored.get(c, 0) for c in CLASSES}
    total = sum(counts.values())
    sessions = storage.list_training_sessions()
    completed = [s for s in sessions if s.status == "completed"]
    scores = [score for score in map(_kept_model_score, completed) if score is not None]
    fewest = ", ".join(_worth_collecting(counts, storage.accuracy_by_char(options.sample_filter())))
    if total < options.min_samples:
        advice = f"Collect {options.min_samples - total} more samples before training (fewest so far: {fewest})."
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
            advice = f"The model is up to date with your samples; collect more of {fewest}."
    return Readiness(
        counts, total, options.min_samples, total >= options.min_samples, device_name(select_device()),
        max(scores) if scores else None, len(sessions), len(completed), advice,
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


def blend_with_parent(tuned: torch.nn.Module, parent: torch.nn.Module, share: float = PARENT_SHARE) -> None:
    """tuned <- (1 - share) * tuned + share * parent, in place, for every floating-point tensor."""
    mixed = parent.state_dict()
    state = {name: (1 - share) * value + share * mixed[name].to(value.device) if value.is_floating_point() else value
             for name, value in tuned.state_dict().items()}
    tuned.load_state_dict(state)


# --- comparing the new model with the active one ------------------------------


def _held_out_metrics(logits: np.ndarray, temperature: float, data: TrainingSet) -> dict[str, Any]:
    probs = torch.softmax(torch.from_numpy(logits) / temperature, dim=1).numpy()
    n = data.held_out
    out: dict[str, Any] = {"held_out_samples": n, "synthetic_samples": len(data.y_val) - n}
    if n:
        user = summarize(probs[:n], data.y_val[:n])
        out.update(held_out_top1=user["top1"], held_out_top1_folded=user["top1_folded"], held_out_ece=user["ece"])
    if len(data.y_val) > n:
        out["synthetic_top1"] = summarize(probs[n:], data.y_val[n:])["top1"]
    return out


def _verdict(new: dict[str, Any], old: dict[str, Any], parent: str) -> tuple[bool, str]:
    """Activate only if not worse: on the user's held-out inks, and (within a tolerance) on the rest."""
    if "held_out_top1" not in new and "synthetic_top1" not in new:
        return False, "kept back: there was no held-out data to compare it with the active model"
    if "held_out_top1" in new and new["held_out_top1"] < old["held_out_top1"]:
        return False, (
            f"kept back: {new['held_out_top1']:.1%} on your {new['held_out_samples']} held-out samples, "
            f"worse than {old['held_out_top1']:.1%} for the active model {parent}"
        )
    if "synthetic_top1" in new and new["synthetic_top1"] < old["synthetic_top1"] - RETENTION_TOLERANCE:
        return False, (
            f"kept back: it forgot characters you never drew ({new['synthetic_top1']:.1%} on them, "
            f"against {old['synthetic_top1']:.1%} for the active model {parent})"
        )
    if "held_out_top1" in new:
        return True, (
            f"activated: {new['held_out_top1']:.1%} on your {new['held_out_samples']} held-out samples, "
            f"not worse than {old['held_out_top1']:.1%} for {parent}"
        )
    return True, f"activated: not worse than {parent} on synthetic characters ({new['synthetic_top1']:.1%})"


def _temperature(logits: np.ndarray, labels: np.ndarray, parent_temperature: float) -> tuple[float, float | None]:
    """(temperature to use, the one fitted on the held-out inks, if there were enough of them)."""
    if len(labels) < MIN_CALIBRATION_SAMPLES:
        return parent_temperature, None
    fitted = fit_temperature(logits, labels)
    # Held-out inks of the writer the model has just adapted to, and clean synthetic
    # ones, flatter it and tend to ask for a sharper softmax (T < 1) than the writer's
    # next, messier characters bear out; label smoothing already keeps the model modest
    # about what it knows. So, as for pretraining, the refit may soften, never sharpen.
    return max(MIN_TEMPERATURE, fitted), fitted


# --- the run --------------------------------------------------------------------


def run_training(
    options: TrainOptions,
    storage: Storage,
    store: ModelStore,
    progress: Callable[[RunProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    settings: Settings | None = None,
) -> TrainOutcome:
    """One training run, recorded from start to end. Raises TrainingCancelled when stopped,
    TrainingError when the data does not allow a run."""
    started = time.perf_counter()
    settings = settings or get_settings()
    options = options.resolved(settings)
    report = progress or (lambda p: None)
    stop = should_stop or (lambda: False)

    report(RunProgress("preparing", "reading your samples"))
    check_enough_samples(storage, options, settings)
    features = FeatureConfig(settings.seq_len)
    pointer = store.active_version()  # a change while training means the user chose another model
    parent = store.load_active(features)
    parent_version = parent.manifest.version
    sync_versions(storage, store)
    device = select_device()
    session_id = storage.start_training_session(
        options.mode, options.to_dict(), device=device_name(device), parent_version=parent_version
    )
    history: list[dict[str, Any]] = []
    try:
        report(RunProgress("preparing", "preparing the training inks", session_id))
        data = build_training_set(
            storage.training_samples(options.sample_filter()), options, features, stop,
            lambda done, total: report(RunProgress("preparing", f"preparing the training inks: {done}/{total}",
                                                   session_id)),
        )
        storage.update_training_session(session_id, samples_used=data.samples_used)
        report(RunProgress("preparing", f"starting to train on {len(data.y_train)} inks", session_id))

        def on_batch(p: TrainProgress) -> None:
            if p.val_acc is not None:
                history.append(p.epoch_record())
                storage.update_training_session(session_id, history=list(history))
            report(RunProgress("training", f"epoch {p.epoch}/{p.epochs}", session_id, p))

        start_model = copy.deepcopy(parent.model) if options.mode == "finetune" else None
        result = Trainer(options.train_config(), device).fit(
            data.x_train, data.y_train, data.x_val, data.y_val, model=start_model, progress=on_batch, should_stop=stop
        )

        if options.mode == "finetune":
            blend_with_parent(result.model, parent.model)
        report(RunProgress("evaluating", f"comparing with the active model {parent_version}", session_id))
        logits = evaluate_logits(result.model, data.x_val)
        temperature, fitted = _temperature(logits, data.y_val, parent.manifest.temperature)
        new_metrics = _held_out_metrics(logits, temperature, data)
        parent_metrics = _held_out_metrics(evaluate_logits(parent.model, data.x_val), parent.manifest.temperature, data)
        activated, reason = _verdict(new_metrics, parent_metrics, parent_version)
        if activated and store.active_version() != pointer:
            activated, reason = False, (
                f"kept back: the active model was changed to {store.active_version()} during training; "
                "activate this version yourself if you want it"
            )

        report(RunProgress("saving", "saving the new version", session_id))
        version = new_version_name()
        metrics = {**new_metrics, "parent": parent_metrics, "activated": activated, "reason": reason,
                   "temperature": temperature, "fitted_temperature": fitted, "best_epoch": result.best_epoch,
                   "best_val_acc": result.best_val_acc}
        manifest = Manifest(
            version=version,
            created_at=datetime.now(timezone.utc).isoformat(),
            preprocessing=features.signature,
            classes=list(CLASSES),
            temperature=temperature,
            seq_len=features.seq_len,
            model_config=result.model.config.to_dict(),
            metrics={**metrics, "history": history},
            parent_version=parent_version,
            training={"kind": options.mode, "options": options.to_dict(), "samples_used": data.samples_used,
                      "train_size": int(len(data.y_train)), "epochs_run": result.epochs_run,
                      "stopped_early": result.stopped_early, "samples_per_s": result.samples_per_s,
                      "device": result.device, "session_id": session_id},
        )
        path = store.save(result.model.cpu(), manifest)
        storage.record_model_version(version, path, parent_version, metrics)
        if activated:
            activate_version(version, store, storage)
        outcome = TrainOutcome(
            session_id, version, parent_version, activated, reason, new_metrics, parent_metrics,
            data.samples_used, int(len(data.y_train)), tuple(history), time.perf_counter() - started,
            result.duration_s, result.samples_per_s, result.device,
        )
        storage.finish_training_session(
            session_id, "completed", {**metrics, "duration_s": outcome.duration_s, "samples_per_s": result.samples_per_s,
                                      "train_size": outcome.train_size},
            model_version=version, history=history,
        )
        return outcome
    except TrainingCancelled:
        storage.finish_training_session(session_id, "cancelled", error="cancelled by the user", history=history)
        raise
    except BaseException as exc:
        storage.finish_training_session(session_id, "failed", error=f"{type(exc).__name__}: {exc}", history=history)
        raise
