"""Learning from the user's answers: stored samples in, a new model version out.

    run_training(TrainOptions(), storage, store, progress=cb, should_stop=fn) -> TrainOutcome

1. the stored samples (all, one participant's, or the misclassified ones) are split
   per class into training and held-out samples (stratified);
2. each training ink gets `augmentation_factor` lightly distorted copies;
3. synthetic inks of every class are mixed in, so characters the user never drew
   are not forgotten (steps 1-3: trainset.py);
4. `Trainer.fit` from the active model (fine-tuning, then blended with a share of
   the active model's weights) or from random weights (full);
5. the held-out inks are dealt in two: one half chooses the epoch and refits the
   calibration temperature, the other half judges (`_split_held_out`);
6. the new and the active model are scored on the judging half; the new one is
   saved as a version (parent = active) and activated only if it is not worse.
   With "misclassified only", the judging half also holds a share of the samples
   the model read right (never trained on), so the active model does not score 0%
   by construction: both are judged on inks like all of the user's.

Every run is a training_sessions row, from `running` to completed, failed or cancelled.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import torch

from ..recognition.calibration import MIN_TEMPERATURE, calibrated, fit_temperature
from ..recognition.charset import CLASSES
from ..recognition.evaluation import summarize
from ..recognition.features import FeatureConfig, featurize
from ..recognition.ink import Ink, InkError
from ..recognition.modelstore import LoadedModel, Manifest, ModelStore, NoModelForSeqLenError, new_version_name
from ..settings import Settings, get_settings
from ..storage.store import Storage
from .options import TrainingError, TrainOptions
from .readiness import check_enough_samples
from .records import EpochRecord, TrainOutcome
from .synth import sample
from .trainer import (
    Trainer,
    TrainingCancelled,
    TrainProgress,
    TrainResult,
    device_name,
    evaluate_logits,
    select_device,
)
from .trainset import SYNTHETIC_VAL_PER_CLASS, TrainingSet, build_training_set
from .versions import activate_version, sync_versions

RETENTION_TOLERANCE = 0.05  # a new model may lose this much on the classes the user never drew
MIN_CALIBRATION_SAMPLES = 30  # fewer held-out inks than this: keep the parent's temperature
# Fewer of the user's held-out samples than this judge nothing: on 1 sample a new model
# scores 0% or 100%. The run then keeps the active model; the user may activate the new
# version by hand. (30 is also what refitting the temperature asks for.)
MIN_JUDGED_SAMPLES = 30

# A fine-tuned model is blended, weight by weight, with this share of its parent
# ("weight-space ensembling"): the parent still knows the writers and characters the
# user's few samples do not show. 0.2 keeps every class within a few points of the
# parent at almost no cost in accuracy (docs/what-we-tried.md).
PARENT_SHARE = 0.2


@dataclass(frozen=True)
class RunProgress:
    """What a run is doing now: a phase, and while training the Trainer's own progress."""

    phase: str  # preparing | training | evaluating | saving
    message: str
    session_id: int | None = None
    train: TrainProgress | None = None


def blend_with_parent(tuned: torch.nn.Module, parent: torch.nn.Module, share: float = PARENT_SHARE) -> None:
    """tuned <- (1 - share) * tuned + share * parent, in place, for every floating-point tensor."""
    mixed = parent.state_dict()
    state = {
        name: (1 - share) * value + share * mixed[name].to(value.device) if value.is_floating_point() else value
        for name, value in tuned.state_dict().items()
    }
    tuned.load_state_dict(state)


# --- comparing the new model with the active one ------------------------------


@dataclass(frozen=True, eq=False)
class HeldOut:
    """Held-out inks: the user's first (`user` of them), then synthetic ones."""

    x: np.ndarray  # (N, T, 7)
    y: np.ndarray  # (N,)
    user: int


def _stack(parts: list[np.ndarray], seq_len: int) -> np.ndarray:
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros((0, seq_len, 7), np.float32)


def _split_held_out(
    data: TrainingSet, right: list[tuple[Ink, str]], features: FeatureConfig, seed: int
) -> tuple[HeldOut, HeldOut]:
    """(select, judge): the epoch choice and temperature must not be the data that judges them.

    The user's held-out inks are dealt alternately (they come class by class, so both halves
    see most classes); the synthetic held-out inks choose the epoch, and fresh synthetic inks
    of the classes the judging half lacks judge what the user never drew. `right` are inks the
    model read right that training never saw (misclassified-only runs): they join the judges
    in the share the misclassified ones are held out in."""
    n = data.held_out
    x_user, y_user = data.x_val[:n], data.y_val[:n]
    sel, judge = np.arange(0, n, 2), np.arange(1, n, 2)
    select = HeldOut(
        _stack([x_user[sel], data.x_val[n:]], features.seq_len), np.concatenate([y_user[sel], data.y_val[n:]]), len(sel)
    )
    rng = np.random.default_rng(seed + 1)
    share = len(judge) / max(data.samples_used, 1)
    picked = [right[i] for i in rng.permutation(len(right))[: round(len(right) * share)]]
    x_judge, y_judge = [x_user[judge]], [y_user[judge]]
    for ink, label in picked:
        try:
            x_judge.append(featurize(ink, features)[None])
            y_judge.append(np.array([CLASSES.index(label)]))
        except InkError:
            continue
    user = sum(len(y) for y in y_judge)
    missing = sorted(set(range(len(CLASSES))) - set(np.concatenate(y_judge).tolist()))
    for label in missing:  # what the user never drew: synthetic inks, for the retention check
        for _ in range(SYNTHETIC_VAL_PER_CLASS):
            x_judge.append(featurize(sample(rng, CLASSES[label])[0], features)[None])
            y_judge.append(np.array([label]))
    return select, HeldOut(_stack(x_judge, features.seq_len), np.concatenate(y_judge).astype(np.int64), user)


def _held_out_metrics(logits: np.ndarray, temperature: float, data: HeldOut) -> dict[str, Any]:
    probs = calibrated(logits, temperature)
    n = data.user
    out: dict[str, Any] = {"held_out_samples": n, "synthetic_samples": len(data.y) - n}
    if n:
        user = summarize(probs[:n], data.y[:n])
        out.update(held_out_top1=user["top1"], held_out_top1_folded=user["top1_folded"], held_out_ece=user["ece"])
    if len(data.y) > n:
        out["synthetic_top1"] = summarize(probs[n:], data.y[n:])["top1"]
    return out


def samples_to_judge(val_fraction: float) -> int:
    """About how many stored samples a run needs for MIN_JUDGED_SAMPLES of them to judge it: it holds
    out `val_fraction` of each class and judges on half of those."""
    return math.ceil(2 * MIN_JUDGED_SAMPLES / val_fraction)


def _not_judged(judged: int, stored: int, val_fraction: float) -> str:
    return (
        f"kept back, not judged: {judged} of your samples could be held out to judge it, and a verdict needs "
        f"at least {MIN_JUDGED_SAMPLES}; a run on about {samples_to_judge(val_fraction)} stored samples "
        f"(you have {stored}) can judge. The active model stays in use; activate this version yourself "
        "if you want it"
    )


def _verdict(
    new: dict[str, Any], old: dict[str, Any], parent: str, stored: int = 0, val_fraction: float = 0.2
) -> tuple[bool, str]:
    """Activate only if not worse: on the user's held-out inks, and (within a tolerance) on the rest;
    and only when there are enough of the user's held-out inks to tell."""
    if "held_out_top1" not in new and "synthetic_top1" not in new:
        return False, "kept back: there was no held-out data to compare it with the active model"
    if new.get("held_out_samples", 0) < MIN_JUDGED_SAMPLES:
        return False, _not_judged(new.get("held_out_samples", 0), stored, val_fraction)
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


def _card(
    options: TrainOptions,
    parent: Manifest | None,
    data: TrainingSet,
    result: TrainResult,
    judge: HeldOut,
    held_out_top1: float | None,
) -> dict[str, Any]:
    """The model card of a trained version: what it learned from, the recipe, its held-out figure."""
    parent = parent if options.mode == "finetune" else None  # a full training starts from nothing
    return {
        "data": [
            *(parent.card.get("data", []) if parent else []),
            {
                "name": "your stored samples",
                "samples": data.samples_used,
                "misclassified_only": options.misclassified_only,
            },
        ],
        "initialized_from": parent.version if parent else None,
        "recipe": f"{options.mode}, {result.epochs_run} epochs on {len(data.y_train)} inks "
        f"(your samples, {options.augmentation_factor} distorted copies each, synthetic inks)",
        "held_out": {
            "what": f"{judge.user} of your held-out samples, not used to choose the epoch or the temperature",
            "top1": held_out_top1,
        },
    }


# --- the run --------------------------------------------------------------------


def _parent(store: ModelStore, features: FeatureConfig, options: TrainOptions) -> LoadedModel | None:
    """The active model, which a run starts from (fine-tuning) and is compared with; None when no
    model was made for this sequence length and the run trains from scratch: it makes the first."""
    try:
        return store.load_active(features)
    except NoModelForSeqLenError as exc:
        if options.mode == "full":
            return None
        raise TrainingError(f"{exc}. Fine-tuning needs a model to start from: choose full training") from None


def _first_model_verdict(new: dict[str, Any], seq_len: int) -> tuple[bool, str]:
    figure = (
        f": {new['held_out_top1']:.1%} on your {new['held_out_samples']} held-out samples"
        if "held_out_top1" in new
        else ""
    )
    return (
        True,
        f"activated: the first model made for AIRTYPE_SEQ_LEN={seq_len}, with nothing to compare it with{figure}",
    )


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
    parent = _parent(store, features, options)
    parent_version = parent.manifest.version if parent else None
    sync_versions(storage, store)
    device = select_device()
    session_id = storage.start_training_session(
        options.mode, options.to_dict(), device=device_name(device), parent_version=parent_version
    )
    history: list[dict[str, Any]] = []
    try:
        report(RunProgress("preparing", "preparing the training inks", session_id))
        data = build_training_set(
            storage.training_samples(options.sample_filter()),
            options,
            features,
            stop,
            lambda done, total: report(
                RunProgress("preparing", f"preparing the training inks: {done}/{total}", session_id)
            ),
        )
        right = (
            storage.training_samples(replace(options.sample_filter(), misclassified_only=False, correct_only=True))
            if options.misclassified_only
            else []
        )
        select, judge = _split_held_out(data, right, features, options.seed)
        storage.update_training_session(session_id, samples_used=data.samples_used)
        report(RunProgress("preparing", f"starting to train on {len(data.y_train)} inks", session_id))

        def on_batch(p: TrainProgress) -> None:
            if p.val_acc is not None:
                history.append(p.epoch_record())
                storage.update_training_session(session_id, history=list(history))
            report(RunProgress("training", f"epoch {p.epoch}/{p.epochs}", session_id, p))

        finetune_from = parent if options.mode == "finetune" else None  # _parent() gives one for a fine-tune
        start_model = copy.deepcopy(finetune_from.model) if finetune_from else None
        result = Trainer(options.train_config(), device).fit(
            data.x_train, data.y_train, select.x, select.y, model=start_model, progress=on_batch, should_stop=stop
        )

        if finetune_from:
            blend_with_parent(result.model, finetune_from.model)
        report(RunProgress("evaluating", f"comparing with the active model {parent_version}", session_id))
        temperature, fitted = _temperature(
            evaluate_logits(result.model, select.x), select.y, parent.manifest.temperature if parent else 1.0
        )
        new_metrics = _held_out_metrics(evaluate_logits(result.model, judge.x), temperature, judge)
        # The pointer check, the save and the activation as one step: a rollback made meanwhile
        # waits for it, then stands, instead of being overwritten by this run.
        with store.switching():
            if parent is None:
                parent_metrics: dict[str, Any] = {}
                activated, reason = _first_model_verdict(new_metrics, features.seq_len)
            else:
                parent_metrics = _held_out_metrics(
                    evaluate_logits(parent.model, judge.x), parent.manifest.temperature, judge
                )
                activated, reason = _verdict(
                    new_metrics, parent_metrics, parent.manifest.version, data.samples_used, options.val_fraction
                )
            if activated and store.active_version() != pointer:
                activated, reason = (
                    False,
                    (
                        f"kept back: the active model was changed to {store.active_version()} during training; "
                        "activate this version yourself if you want it"
                    ),
                )

            report(RunProgress("saving", "saving the new version", session_id))
            version = new_version_name()
            metrics = {
                **new_metrics,
                "parent": parent_metrics,
                "activated": activated,
                "reason": reason,
                "temperature": temperature,
                "fitted_temperature": fitted,
                "best_epoch": result.best_epoch,
                "best_val_acc": result.best_val_acc,
            }
            manifest = Manifest(
                version=version,
                created_at=datetime.now(UTC).isoformat(),
                preprocessing=features.signature,
                classes=list(CLASSES),
                temperature=temperature,
                seq_len=features.seq_len,
                model_config=result.model.config.to_dict(),
                metrics={**metrics, "history": history},
                parent_version=parent_version,
                card=_card(
                    options, parent.manifest if parent else None, data, result, judge, new_metrics.get("held_out_top1")
                ),
                training={
                    "kind": options.mode,
                    "options": options.to_dict(),
                    "samples_used": data.samples_used,
                    "train_size": int(len(data.y_train)),
                    "epochs_run": result.epochs_run,
                    "stopped_early": result.stopped_early,
                    "samples_per_s": result.samples_per_s,
                    "device": result.device,
                    "session_id": session_id,
                },
            )
            path = store.save(result.model.cpu(), manifest)
            storage.record_model_version(version, path, parent_version, metrics)
            if activated:
                activate_version(version, store, storage)
        outcome = TrainOutcome(
            session_id,
            version,
            parent_version,
            activated,
            reason,
            new_metrics,
            parent_metrics,
            data.samples_used,
            int(len(data.y_train)),
            tuple(EpochRecord.from_dict(e) for e in history),
            time.perf_counter() - started,
            result.duration_s,
            result.samples_per_s,
            result.device,
        )
        storage.finish_training_session(
            session_id,
            "completed",
            {
                **metrics,
                "duration_s": outcome.duration_s,
                "samples_per_s": result.samples_per_s,
                "train_size": outcome.train_size,
            },
            model_version=version,
            history=history,
        )
        return outcome
    except TrainingCancelled:
        storage.finish_training_session(session_id, "cancelled", error="cancelled by the user", history=history)
        raise
    except BaseException as exc:
        storage.finish_training_session(session_id, "failed", error=f"{type(exc).__name__}: {exc}", history=history)
        raise
