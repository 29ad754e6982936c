"""The training set of a run: the user's stored inks, distorted copies of them, synthetic inks.

    build_training_set(samples, options, features) -> TrainingSet

Per class, the stored inks are split into training and held-out ones
(stratified); each training ink gets `augmentation_factor` distorted copies;
synthetic inks of every class are mixed in so that characters the user never
drew are not forgotten, and held out for classes the user has no held-out ink of.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..recognition.charset import CLASS_INDEX, CLASSES
from ..recognition.features import FeatureConfig, featurize
from ..recognition.ink import Ink, InkError
from .synth import SynthConfig, elastic, random_affine, sample
from .trainer import TrainingCancelled

if TYPE_CHECKING:
    from .options import TrainOptions

SYNTHETIC_VAL_PER_CLASS = 4  # held-out synthetic inks for each class the user has no held-out sample of

# Distortions of a stored ink: geometric only (the writer's stroke order and pen
# lifts are kept), and stronger than synth's defaults: copies that look like other
# writers teach more than near-duplicates (measured: docs/what-we-tried.md).
USER_INK_DISTORTION = SynthConfig(
    rotate_deg=18.0, shear=0.45, aspect=0.35, elastic=0.09, stroke_shift=0.07, jitter=0.005
)


def distort_ink(ink: Ink, rng: np.random.Generator, cfg: SynthConfig = USER_INK_DISTORTION) -> Ink:
    """A distorted copy of a real ink: rotation, slant, squash, wobble, per-stroke shift, jitter."""
    xy = np.concatenate([s[:, :2] for s in ink.strokes])
    lo = xy.min(axis=0)
    size = max(float(np.ptp(xy, axis=0).max()), 1e-9)
    matrix = random_affine(rng, cfg)
    amplitude = cfg.elastic * rng.uniform(0.3, 1.0)
    strokes = []
    for stroke in ink.strokes:
        unit = (stroke[:, :2] - lo) / size  # the glyph spans about a unit box, as synth's templates do
        unit = elastic(unit, amplitude, rng) @ matrix.T + rng.normal(0, cfg.stroke_shift / 2, size=2)
        unit = unit + rng.normal(0, cfg.jitter, size=unit.shape)
        strokes.append(np.column_stack([unit * size + lo, stroke[:, 2]]))
    return Ink(tuple(strokes))


@dataclass(frozen=True, eq=False)
class TrainingSet:
    x_train: np.ndarray  # (N, T, 7): the user's inks, their distorted copies, synthetic inks
    y_train: np.ndarray
    x_val: np.ndarray  # the user's held-out inks first, then synthetic inks of the classes without any
    y_val: np.ndarray
    held_out: int  # how many of x_val are the user's
    samples_used: int
    skipped: int  # stored inks the pipeline refuses (a dot, say)


def build_training_set(
    samples: list[tuple[Ink, str]],
    options: TrainOptions,
    features: FeatureConfig,
    should_stop: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> TrainingSet:
    """Featurize, split per class, augment and mix in synthetic data (`options` resolved).

    `progress(done, total)` is told how many inks are ready every few dozen."""
    assert options.augmentation_factor is not None and options.synthetic_per_class is not None, "options not resolved"
    rng = np.random.default_rng(options.seed)
    by_class: dict[int, list[tuple[Ink, np.ndarray]]] = {}
    skipped = 0
    for ink, char in samples:
        try:
            by_class.setdefault(CLASS_INDEX[char], []).append((ink, featurize(ink, features)))
        except InkError:
            skipped += 1

    copies = options.augmentation_factor if options.augment else 0
    n_val = {
        label: max(1, round(len(items) * options.val_fraction)) if len(items) >= 2 else 0
        for label, items in by_class.items()
    }
    synthetic = {
        label: options.synthetic_per_class + (0 if n_val.get(label) else SYNTHETIC_VAL_PER_CLASS)
        for label in range(len(CLASSES))
    }
    total = sum(n_val[c] + (len(items) - n_val[c]) * (1 + copies) for c, items in by_class.items())
    total += sum(synthetic.values())
    x_train: list[np.ndarray] = []
    x_val: list[np.ndarray] = []
    y_train: list[int] = []
    y_val: list[int] = []

    def add(x: list[np.ndarray], y: list[int], label: int, *features_: np.ndarray) -> None:
        x.extend(features_)
        y.extend([label] * len(features_))
        done = len(y_train) + len(y_val)
        if done // 25 != (done - len(features_)) // 25:  # every 25 inks: a few hundred ms at most
            if should_stop():
                raise TrainingCancelled("training was cancelled")
            progress(done, total)

    for label, items in sorted(by_class.items()):
        for rank, i in enumerate(rng.permutation(len(items))):
            ink, x = items[i]
            if rank < n_val[label]:
                add(x_val, y_val, label, x)
            else:
                add(x_train, y_train, label, x, *(featurize(distort_ink(ink, rng), features) for _ in range(copies)))
    held_out = len(y_val)

    for label, char in enumerate(CLASSES):
        for k in range(synthetic[label]):
            x = featurize(sample(rng, char)[0], features)
            add(*((x_train, y_train) if k < options.synthetic_per_class else (x_val, y_val)), label, x)

    def stack(x: list[np.ndarray]) -> np.ndarray:
        return np.stack(x).astype(np.float32) if x else np.zeros((0, features.seq_len, 7), np.float32)

    return TrainingSet(
        stack(x_train),
        np.array(y_train, np.int64),
        stack(x_val),
        np.array(y_val, np.int64),
        held_out,
        sum(len(v) for v in by_class.values()),
        skipped,
    )
