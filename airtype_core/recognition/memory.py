"""A writer's memory: what their confirmed and corrected answers say about their next ink.

No training run: the answers a participant already gave change the next
prediction at once, on top of the network's calibrated probabilities `p_net`:

    log p(c) = log p_net(c) + knn_weight * knn(c) + size_weight * size(c)    (then normalised)

- `knn(c)`: the nearest stored inks in the model's own pooled embedding (the
  layer before the classifier), `sum over the k nearest with label c of
  exp((cos - 1) / temperature)`: an ink like one the writer labelled `c` leans to `c`;
  a class the writer never answered is not pushed down.
- `size(c)`: the features throw the ink's size away (they scale every ink to a
  unit box), yet a writer's `o` is smaller than their `O`. Each class has a typical
  log height and width relative to its writer's scale (`size_mean`, `size_std`,
  measured on real handwriting); the writer's scale is estimated from *any* of their
  stored answers (their digits tell how tall their capitals are), and `size(c)` is
  the log-likelihood of the new ink's size under class `c`. Sizes are only compared
  within one frame (a canvas, the camera, an imported file's tablet units).

`k`, `temperature` and the two weights are learned from data (learning/memoryfit.py)
and kept next to the model, in `memory.json`. An empty memory changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .charset import NUM_CLASSES
from .ink import Ink

PARAMS_FILE = "memory.json"
MIN_SIDE = 0.05  # a side shorter than this share of the longer one (an `l`, a `-`) is counted as this


class MemoryParamsError(ValueError):
    """A memory.json that cannot be used; the message says why."""


@dataclass(frozen=True)
class MemoryParams:
    k: int
    temperature: float
    knn_weight: float
    size_weight: float
    size_gap: float  # how much a difference in size moves two inks apart for the neighbours
    size_mean: tuple[tuple[float, float], ...]  # (62, 2): log height, log width relative to the writer's scale
    size_std: tuple[tuple[float, float], ...]  # (62, 2)
    fitted_on: dict = field(default_factory=dict)  # what the figures were learned from, and how well they did

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> MemoryParams:
        try:
            data = json.loads(text)
            params = cls(
                k=int(data["k"]),
                temperature=float(data["temperature"]),
                knn_weight=float(data["knn_weight"]),
                size_weight=float(data["size_weight"]),
                size_gap=float(data["size_gap"]),
                size_mean=tuple((float(h), float(w)) for h, w in data["size_mean"]),
                size_std=tuple((float(h), float(w)) for h, w in data["size_std"]),
                fitted_on=dict(data.get("fitted_on", {})),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise MemoryParamsError(f"memory.json is unreadable: {exc}") from None
        if np.shape(params.size_mean) != (NUM_CLASSES, 2) or np.shape(params.size_std) != (NUM_CLASSES, 2):
            raise MemoryParamsError("memory.json must give a size for each of the 62 classes")
        if params.k < 1 or params.temperature <= 0 or float(np.min(params.size_std)) <= 0:
            raise MemoryParamsError("memory.json needs k >= 1 and positive temperature and spreads")
        return params


def load_params(version_dir: Path) -> MemoryParams | None:
    """The memory.json of a model's folder, None when it has none."""
    path = Path(version_dir) / PARAMS_FILE
    return MemoryParams.from_json(path.read_text()) if path.exists() else None


@dataclass(frozen=True, eq=False)
class Memory:
    """A participant's stored answers as the model sees them."""

    embeddings: np.ndarray  # (M, D) unit vectors
    labels: np.ndarray  # (M,) class indices
    sizes: np.ndarray  # (M, 2) log height, log width, in each item's frame
    frames: tuple[str, ...]  # (M,) the frame each size was measured in

    @classmethod
    def empty(cls, dim: int = 0) -> Memory:
        return cls(np.zeros((0, dim), np.float32), np.zeros(0, np.int64), np.zeros((0, 2)), ())

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True)
class InkSize:
    """An ink's size in its frame: fractions of the writing area, or the source's own units when the
    area is unknown (an imported file); sizes are compared only within one frame."""

    height: float
    width: float
    frame: str

    @classmethod
    def of(cls, ink: Ink, source: str, area: tuple[float, float] | None = None) -> InkSize:
        """`area` (width, height) of the writing area in the ink's units, None when unknown."""
        x0, y0, x1, y1 = ink.bounds()
        if area is None:
            return cls(y1 - y0, x1 - x0, f"{source}:raw")
        return cls((y1 - y0) / area[1], (x1 - x0) / area[0], f"{source}:area")

    def log(self) -> np.ndarray:
        longer = max(self.height, self.width, 1e-9)
        return np.log([max(self.height, MIN_SIDE * longer), max(self.width, MIN_SIDE * longer)])


def unit_rows(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)).astype(np.float32)


def knn_scores(
    memory: Memory,
    embeddings: np.ndarray,
    k: int,
    temperature: float,
    sizes: np.ndarray | None = None,
    frames: list[str] | None = None,
    size_gap: float = 0.0,
) -> np.ndarray:
    """(N, 62): for each query, the summed closeness of its k nearest memory items, per their label.

    Closeness is the cosine of the embeddings less `size_gap` times the mean log-size difference
    (same frame only): a stored `O` twice the size of the new ink is further from it than it looks."""
    out = np.zeros((len(embeddings), NUM_CLASSES))
    if not len(memory):
        return out
    sims = unit_rows(embeddings) @ memory.embeddings.T  # (N, M) cosines
    if size_gap and sizes is not None and frames is not None:
        same = np.array(frames, dtype=object)[:, None] == np.array(memory.frames, dtype=object)[None, :]
        gap = np.abs(sizes[:, None, :] - memory.sizes[None, :, :]).mean(axis=2)  # (N, M)
        sims = sims - size_gap * np.where(same, np.nan_to_num(gap), 0.0)
    k = min(k, len(memory))
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]  # (N, k)
    close = np.exp((np.take_along_axis(sims, nearest, axis=1) - 1.0) / temperature)
    np.add.at(out, (np.repeat(np.arange(len(embeddings)), k), memory.labels[nearest].ravel()), close.ravel())
    return out


def size_scores(memory: Memory, sizes: np.ndarray, frames: list[str], params: MemoryParams) -> np.ndarray:
    """(N, 62): the log-likelihood of each query's size under each class, given the writer's scale
    in the query's frame (0 when the memory has nothing in that frame)."""
    mean, std = np.asarray(params.size_mean), np.asarray(params.size_std)  # (62, 2)
    out = np.zeros((len(sizes), NUM_CLASSES))
    mem_frames = np.array(memory.frames, dtype=object)
    for frame in set(frames):
        mine = mem_frames == frame
        if not mine.any():
            continue
        precision = 1.0 / std[memory.labels[mine]] ** 2  # (m, 2)
        residual = memory.sizes[mine] - mean[memory.labels[mine]]
        scale = (residual * precision).sum(axis=0) / precision.sum(axis=0)  # (2,) the writer's scale
        var = std**2 + 1.0 / precision.sum(axis=0)  # (62, 2): class spread + uncertainty of the scale
        rows = np.array([f == frame for f in frames])
        z = sizes[rows][:, None, :] - scale - mean  # (n, 62, 2)
        out[rows] = -0.5 * (z**2 / var + np.log(var)).sum(axis=2)
    return out - out.max(axis=1, keepdims=True)


def adapt(
    probs: np.ndarray,
    embeddings: np.ndarray,
    sizes: np.ndarray,
    frames: list[str],
    memory: Memory,
    params: MemoryParams | None,
) -> np.ndarray:
    """(N, 62) probabilities after the memory; exactly `probs` when the memory is empty or off."""
    if params is None or not len(memory):
        return probs
    logits = np.log(np.maximum(probs, 1e-12))
    if params.knn_weight:
        knn = knn_scores(memory, embeddings, params.k, params.temperature, sizes, frames, params.size_gap)
        logits = logits + params.knn_weight * knn
    if params.size_weight:
        logits = logits + params.size_weight * size_scores(memory, sizes, frames, params)
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(axis=1, keepdims=True)
