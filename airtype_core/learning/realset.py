"""Real handwriting for pretraining: held-out writers, distorted copies, class-balanced epochs.

    split = split_writers(characters, seed)            # train / select / report, by writer
    pool = featurize_pool(split.train, copies, seed)   # each ink + `copies` distorted copies
    order = BalancedEpochs(y_real, n_synthetic, ...)   # one epoch's indices, classes drawn evenly

Held-out data is split by *writer*, never by ink: a writer's other inks would
make the held-out figures look like a writer the model already knows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..recognition.charset import CLASS_INDEX, NUM_CLASSES
from ..recognition.features import FeatureConfig, featurize
from ..recognition.ink import Ink, InkError
from .trainset import distort_ink
from .workers import map_chunks

CHUNK = 2_000  # inks per worker job; the result depends on the chunking, never on the worker count


@dataclass(frozen=True)
class WriterSplit:
    train: list  # UnipenCharacter-like: .ink, .label, .writer
    select: list  # held-out writers: epoch choice and temperature
    report: list  # other held-out writers: the figures in the model card, touched by nothing else
    select_writers: tuple[str, ...]
    report_writers: tuple[str, ...]


def split_writers(characters: Sequence, seed: int, held_out_fraction: float = 0.08) -> WriterSplit:
    """Hold out about `held_out_fraction` of each site's writers (at least one; sites with fewer than
    4 writers stay whole), then deal the held-out writers alternately to `select` and `report`."""
    rng = np.random.default_rng(seed)
    by_site: dict[str, set[str]] = {}
    for c in characters:
        by_site.setdefault(c.writer.split("/", 1)[0], set()).add(c.writer)
    chosen: list[str] = []
    for site in sorted(by_site):
        writers = sorted(by_site[site])
        if len(writers) >= 4:
            n = max(1, round(len(writers) * held_out_fraction))
            chosen += [writers[i] for i in rng.permutation(len(writers))[:n]]
    s, r = set(chosen[0::2]), set(chosen[1::2])
    return WriterSplit(
        train=[c for c in characters if c.writer not in s and c.writer not in r],
        select=[c for c in characters if c.writer in s],
        report=[c for c in characters if c.writer in r],
        select_writers=tuple(sorted(s)),
        report_writers=tuple(sorted(r)),
    )


def _featurize_chunk(args: tuple[list[Ink], int, int, int]) -> np.ndarray:
    """(len(inks) * (1 + copies), T, 7): each ink, then its distorted copies."""
    inks, copies, seed, seq_len = args
    rng = np.random.default_rng(seed)
    config = FeatureConfig(seq_len)
    rows = []
    for ink in inks:
        for k in range(1 + copies):
            variant = ink if k == 0 else distort_ink(ink, rng)
            try:
                rows.append(featurize(variant, config))
            except InkError:  # a distortion that collapsed the ink: keep the original's place
                rows.append(featurize(ink, config))
    return np.stack(rows).astype(np.float32) if rows else np.zeros((0, seq_len, 7), np.float32)


def featurize_pool(
    characters: Sequence, copies: int, seed: int, seq_len: int = 50, workers: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Features of every ink and its `copies` distorted copies, and their class indices.

    Inks the pipeline refuses (a dot) are left out."""
    config = FeatureConfig(seq_len)
    usable = []
    for c in characters:
        try:
            featurize(c.ink, config)
            usable.append(c)
        except InkError:
            continue
    jobs = [
        ([c.ink for c in usable[i : i + CHUNK]], copies, seed * 1_000_003 + i // CHUNK, seq_len)
        for i in range(0, len(usable), CHUNK)
    ]
    parts = map_chunks(_featurize_chunk, jobs, workers)
    x = np.concatenate(parts) if parts else np.zeros((0, seq_len, 7), np.float32)
    y = np.repeat(np.array([CLASS_INDEX[c.label] for c in usable], np.int64), 1 + copies)
    return x, y


def features_of(characters: Sequence, seq_len: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Held-out inks as they are (no copies)."""
    return featurize_pool(characters, copies=0, seed=0, seq_len=seq_len, workers=1)


class BalancedEpochs:
    """One epoch's indices into concat(real pool, synthetic pool).

    Real rows are drawn with probability 1 / (rows of their class), so every class is
    seen about equally often: the training sites are two-thirds lower case (271 to
    3,298 inks a class), and a model that learns that prior reads capitals as their
    lower-case twins. A `synthetic_share` of each epoch comes from the synthetic pool."""

    def __init__(self, y_real: np.ndarray, n_synthetic: int, epoch_size: int, synthetic_share: float):
        counts = np.bincount(y_real, minlength=NUM_CLASSES).astype(np.float64)
        weights = 1.0 / np.maximum(counts[y_real], 1.0)
        self.p = weights / weights.sum()
        self.n_real_pool, self.n_synthetic = len(y_real), n_synthetic
        self.n_syn = int(round(epoch_size * synthetic_share)) if n_synthetic else 0
        self.n_real = epoch_size - self.n_syn if len(y_real) else 0
        if not len(y_real):
            self.n_syn = epoch_size

    def __len__(self) -> int:
        return self.n_real + self.n_syn

    def __call__(self, rng: np.random.Generator) -> np.ndarray:
        real = rng.choice(self.n_real_pool, size=self.n_real, p=self.p) if self.n_real else np.zeros(0, np.int64)
        syn = self.n_real_pool + rng.integers(0, self.n_synthetic, size=self.n_syn)
        return rng.permutation(np.concatenate([real, syn]))
