"""Learn how much a writer's memory should count, from real handwriting (never the evaluation file).

    params = fit_memory(characters, held_out_writers, predictor)   # -> MemoryParams
    (model_dir / version / "memory.json").write_text(params.to_json())

Two things are learned (recognition/memory.py says how they are used):
- each class's typical size relative to its writer's scale: writer scale and class
  means are estimated together (alternating means) over the *training* writers;
- `k`, `temperature` and the two weights: writers the model never trained on (the
  manifest's held-out writers) are simulated as users: a few of their inks become
  their stored answers, the rest are read with that memory, and the grid point with
  the best mean of top-1 and folded accuracy wins. Both the first inks in file order
  (which teach a writer's scale from classes other than the ones read next) and
  random draws (a user correcting what they write) are simulated.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..recognition.charset import CLASS_INDEX, CLASSES, NUM_CLASSES, fold
from ..recognition.features import featurize
from ..recognition.ink import InkError
from ..recognition.memory import (
    InkSize,
    Memory,
    MemoryParams,
    knn_scores,
    size_scores,
    unit_rows,
)
from ..recognition.predictor import Predictor

GRID_K = (1, 3, 5, 10)
GRID_TEMPERATURE = (0.02, 0.05, 0.1, 0.2)
GRID_KNN_WEIGHT = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)
GRID_SIZE_WEIGHT = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
GRID_SIZE_GAP = (0.0, 0.25, 0.5, 1.0)
MEMORY_SIZES = (5, 20, 60)  # answers stored per simulated writer, in random draws
DRAWS = 2  # random draws per writer and memory size
MIN_STD = 0.05
UNSEEN_STD = 1.0  # the spread given to a class with no ink to measure: its size tells almost nothing
FOLD_INDEX = np.array([CLASS_INDEX[fold(c)] for c in CLASSES])
FRAME = "import:raw"


@dataclass(frozen=True, eq=False)
class Writer:
    """One held-out writer as the network reads them: in file order."""

    probs: np.ndarray  # (n, 62)
    embeddings: np.ndarray  # (n, D) unit vectors
    sizes: np.ndarray  # (n, 2) log height, log width
    labels: np.ndarray  # (n,)


def log_size(ink) -> np.ndarray:
    return InkSize.of(ink, "import").log()


def size_statistics(characters: Sequence, rounds: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(62, 2) mean and spread of log height / width per class, after each writer's own scale."""
    writers = sorted({c.writer for c in characters})
    w_index = {w: i for i, w in enumerate(writers)}
    sizes = np.array([log_size(c.ink) for c in characters])  # (n, 2)
    labels = np.array([CLASS_INDEX[c.label] for c in characters])
    owner = np.array([w_index[c.writer] for c in characters])
    scale = np.zeros((len(writers), 2))
    mean = np.zeros((NUM_CLASSES, 2))
    seen = [c for c in range(NUM_CLASSES) if (labels == c).any()]  # a class never seen says nothing: mean 0, wide
    anchor = CLASS_INDEX["0"] if CLASS_INDEX["0"] in seen else seen[0]
    for _ in range(rounds):  # size = writer scale + class mean + noise, solved by alternating means
        for c in seen:
            mean[c] = (sizes[labels == c] - scale[owner[labels == c]]).mean(axis=0)
        mean[seen] -= mean[anchor]  # anchor: scales are "the height of this writer's digits"
        for w in range(len(writers)):
            scale[w] = (sizes[owner == w] - mean[labels[owner == w]]).mean(axis=0)
    residual = sizes - scale[owner] - mean[labels]
    std = np.full((NUM_CLASSES, 2), UNSEEN_STD)
    for c in seen:
        std[c] = np.maximum(residual[labels == c].std(axis=0), MIN_STD)
    return mean, std


def readable_by_writer(characters: Sequence, predictor: Predictor) -> dict[str, list]:
    """Writer -> their inks the model can read (a dot cannot be), in the order given."""
    by_writer: dict[str, list] = {}
    for c in characters:
        try:
            featurize(c.ink, predictor.feature_config)
        except InkError:
            continue
        by_writer.setdefault(c.writer, []).append(c)
    return by_writer


def read_writers(characters: Sequence, predictor: Predictor, batch: int = 256) -> list[Writer]:
    by_writer = readable_by_writer(characters, predictor)
    out = []
    for name in sorted(by_writer):
        items = by_writer[name]
        parts = [predictor.read([c.ink for c in items[i : i + batch]]) for i in range(0, len(items), batch)]
        out.append(
            Writer(
                np.concatenate([p for p, _ in parts]),
                unit_rows(np.concatenate([e for _, e in parts])),
                np.array([log_size(c.ink) for c in items]),
                np.array([CLASS_INDEX[c.label] for c in items]),
            )
        )
    return out


def simulations(writers: list[Writer], per_writer: int, seed: int = 0):
    """(kind, writer, memory indices, query indices): the first `per_writer` inks in file order and in
    character order (a writer going through 0-9, A-Z, a-z, as a prompted session may), then random draws."""
    rng = np.random.default_rng(seed)
    for w in writers:
        n = len(w.labels)
        if n >= 2 * per_writer:
            yield "file order", w, np.arange(per_writer), np.arange(per_writer, n)
            by_char = np.argsort(w.labels, kind="stable")
            yield "character order", w, np.sort(by_char[:per_writer]), np.sort(by_char[per_writer:])
        for m in MEMORY_SIZES:
            for _ in range(DRAWS if n >= 2 * m else 0):
                order = rng.permutation(n)
                yield "random", w, np.sort(order[:m]), np.sort(order[m:])


def _weights(sims: list) -> np.ndarray:
    """Answers in an order (file or character order) and answers at random count half each, and within
    a kind of simulation each simulated writer counts the same."""
    kinds = {kind: sum(1 for k, *_ in sims if k == kind) for kind, *_ in sims}
    share = {kind: 0.5 if kind == "random" else 0.5 / (len(kinds) - 1) for kind in kinds}
    return np.concatenate([np.full(len(q), share[kind] / (len(q) * kinds[kind])) for kind, _, _, q in sims])


def _memory(w: Writer, idx: np.ndarray) -> Memory:
    return Memory(w.embeddings[idx], w.labels[idx], w.sizes[idx], (FRAME,) * len(idx))


def fit_memory(training: Sequence, held_out: Sequence, predictor: Predictor, per_writer: int = 20) -> MemoryParams:
    """The memory's parameters: size statistics from `training`, weights from simulated `held_out` writers."""
    mean, std = size_statistics(training)
    base = MemoryParams(1, 1.0, 0.0, 1.0, 0.0, tuple(map(tuple, mean)), tuple(map(tuple, std)))
    sims = list(simulations(read_writers(held_out, predictor), per_writer))
    logp, size, labels = [], [], []
    for _, w, mem, query in sims:
        memory = _memory(w, mem)
        logp.append(np.log(np.maximum(w.probs[query], 1e-12)))
        size.append(size_scores(memory, w.sizes[query], [FRAME] * len(query), base))
        labels.append(w.labels[query])
    logp_all, size_all, y, wt = np.concatenate(logp), np.concatenate(size), np.concatenate(labels), _weights(sims)
    best, best_score = None, -1.0
    for k, temperature, gap in itertools.product(GRID_K, GRID_TEMPERATURE, GRID_SIZE_GAP):
        knn = np.concatenate(
            [
                knn_scores(_memory(w, m), w.embeddings[q], k, temperature, w.sizes[q], [FRAME] * len(q), gap)
                for _, w, m, q in sims
            ]
        )
        for kw, sw in itertools.product(GRID_KNN_WEIGHT, GRID_SIZE_WEIGHT):
            pred = (logp_all + kw * knn + sw * size_all).argmax(axis=1)
            top1, folded = (
                (wt * (pred == y)).sum() / wt.sum(),
                (wt * (FOLD_INDEX[pred] == FOLD_INDEX[y])).sum() / wt.sum(),
            )
            if (top1 + folded) / 2 > best_score:
                best_score, best = (top1 + folded) / 2, (k, temperature, gap, kw, sw, top1, folded)
    base_pred = logp_all.argmax(axis=1)
    assert best is not None, "the grids are not empty"
    k, temperature, gap, kw, sw, top1, folded = best
    fitted_on = {
        "what": "UNIPEN train_r01_v07: size statistics from the training writers; weights from the "
        f"held-out writers simulated as users ({per_writer} first answers in file order and in "
        f"character order, and random draws of {', '.join(map(str, MEMORY_SIZES))} answers; "
        "ordered and random answers weigh half each, each writer within a kind the same)",
        "k_temperature_size_gap_weights": [k, temperature, gap, kw, sw],
        "training_inks": len(training),
        "held_out_inks": len(held_out),
        "simulations": len(sims),
        "reads": len(y),
        "without_memory": {
            "top1": float((wt * (base_pred == y)).sum() / wt.sum()),
            "top1_folded": float((wt * (FOLD_INDEX[base_pred] == FOLD_INDEX[y])).sum() / wt.sum()),
        },
        "with_memory": {"top1": float(top1), "top1_folded": float(folded)},
    }
    return MemoryParams(k, temperature, kw, sw, gap, base.size_mean, base.size_std, fitted_on)


def fit_shipped(unipen_path: str, predictor: Predictor, per_writer: int = 20) -> MemoryParams:
    """Fit on the UNIPEN folder the active model learned from; its manifest names the held-out writers."""
    from ..formats.unipen import read_unipen

    held = set()
    for source in predictor.manifest.card.get("data", []):
        held.update(source.get("held_out_writers", []))
    if not held:
        raise ValueError(f"the manifest of {predictor.version!r} names no held-out writers to fit the memory on")
    characters = read_unipen(unipen_path).characters
    return fit_memory(
        [c for c in characters if c.writer not in held],
        [c for c in characters if c.writer in held],
        predictor,
        per_writer,
    )
