"""Prediction: ink in, calibrated answer out.

    Predictor().predict(ink) -> Prediction(char, confidence, alternatives, uncertain, inference_ms, model_version)

The active model is loaded once; `refresh()` swaps it when another version
becomes active (after training or a rollback) without restarting anything.
"""

from __future__ import annotations

import copy
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from ..settings import Settings, get_settings
from .charset import CLASSES
from .features import FeatureConfig, featurize
from .ink import Ink
from .memory import InkSize, Memory, MemoryParams, adapt, load_params
from .modelstore import LoadedModel, ModelLoadError, ModelStore

TOP_K = 5
# Batch-1 LSTM steps are too small to split across cores: one thread is as fast when
# the machine is idle and several times faster when it is busy (measured: 7 ms vs 44 ms
# p50 with a training run beside it).
INFERENCE_THREADS = 1


@contextmanager
def _threads(n: int):
    previous = torch.get_num_threads()
    if previous != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if previous != n:
            torch.set_num_threads(previous)


@dataclass(frozen=True)
class Prediction:
    char: str
    confidence: float  # calibrated probability of `char`
    alternatives: tuple[tuple[str, float], ...]  # top-5, best first, (char, probability)
    uncertain: bool
    inference_ms: float
    model_version: str


def _tta_variants(ink: Ink) -> list[Ink]:
    """The ink and small slants / rotations of it (test-time augmentation)."""
    variants = [ink]
    for shear, angle in ((0.15, 0.0), (-0.15, 0.0), (0.0, 0.08), (0.0, -0.08)):
        c, s = np.cos(angle), np.sin(angle)
        m = np.array([[c, -s], [s, c]]) @ np.array([[1.0, shear], [0.0, 1.0]])
        strokes = tuple(np.column_stack([st[:, :2] @ m.T, st[:, 2]]) for st in ink.strokes)
        variants.append(Ink(strokes))
    return variants


def _read(loaded: LoadedModel, inks: list[Ink]) -> tuple[np.ndarray, np.ndarray]:
    """(N, 62) calibrated probabilities and (N, 256) pooled embeddings of `inks` by one loaded model."""
    config = FeatureConfig(loaded.manifest.seq_len)
    x = torch.from_numpy(np.stack([featurize(ink, config) for ink in inks]))  # (N, T, 7)
    with torch.inference_mode(), _threads(INFERENCE_THREADS if len(inks) <= 8 else torch.get_num_threads()):
        pooled = loaded.model.pooled(x)  # (N, 256)
        logits = loaded.model.head(pooled)  # (N, 62)
    return torch.softmax(logits / loaded.manifest.temperature, dim=1).numpy(), pooled.numpy()


class Predictor:
    def __init__(self, settings: Settings | None = None, store: ModelStore | None = None):
        self.settings = settings or get_settings()
        self.store = store or ModelStore(self.settings.model_dir)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._loaded: LoadedModel | None = None
        self.memory_params: MemoryParams | None = None  # how a writer's memory counts (None: it does not)
        self.refresh()

    # --- model lifecycle ---------------------------------------------------------------
    def refresh(self) -> bool:
        """Load the active version if it changed since the last call; True when a swap happened."""
        stamp = self.store.pointer_stamp()
        if stamp == self._stamp and self._loaded is not None:
            return False
        loaded = self.store.load_active(FeatureConfig(self.settings.seq_len))
        memory_params = self._memory_params(loaded.manifest.version)
        with self._lock:
            self._loaded, self._stamp, self.memory_params = loaded, stamp, memory_params
        return True

    def _memory_params(self, version: str) -> MemoryParams | None:
        """The memory.json of `version`, or of the nearest parent that has one (a fine-tuned version
        keeps its parent's embedding closely enough); None when the setting turns the memory off."""
        if not self.settings.memory:
            return None
        seen: set[str] = set()
        current: str | None = version
        while current and current not in seen:
            seen.add(current)
            params = load_params(self.store.root / current)
            if params is not None:
                return params
            try:
                current = self.store.manifest(current).parent_version
            except ModelLoadError:
                return None
        return None

    @property
    def _model(self) -> LoadedModel:
        assert self._loaded is not None, "__init__ loads a model (refresh)"
        return self._loaded

    @property
    def manifest(self):
        return self._model.manifest

    @property
    def version(self) -> str:
        return self._model.manifest.version

    @property
    def warning(self) -> str | None:
        """Why the active version could not be used, when a fallback was loaded."""
        return self._model.warning

    @property
    def feature_config(self) -> FeatureConfig:
        return FeatureConfig(self._model.manifest.seq_len)

    def pinned(self) -> Predictor:
        """This predictor with its current model held: a batch of answers (an import, an
        evaluation) all come from, and are named after, one version while refresh() swaps
        the shared predictor."""
        twin = copy.copy(self)
        twin._lock = threading.Lock()
        twin.refresh = lambda: False  # type: ignore[method-assign]
        return twin

    # --- prediction ----------------------------------------------------------------------
    def probabilities(self, inks: list[Ink]) -> np.ndarray:
        """(N, 62) calibrated probabilities; raises InkError for an unusable ink."""
        return self.read(inks)[0]

    def read(self, inks: list[Ink], loaded: LoadedModel | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(N, 62) calibrated probabilities and (N, 256) pooled embeddings; InkError for an unusable ink."""
        return _read(loaded or self._model, inks)

    def embeddings(self, inks: list[Ink]) -> np.ndarray:
        """(N, 256) pooled embeddings, what a writer's memory keeps of each stored ink."""
        return self.read(inks)[1]

    def predict_proba(
        self, ink: Ink, tta: bool | None = None, memory: Memory | None = None, size: InkSize | None = None
    ) -> np.ndarray:
        """(62,) calibrated probabilities of one ink, averaged over variants with TTA; with a writer's
        `memory` (and the ink's `size`) their stored answers count."""
        return self._proba(self._model, ink, tta, memory, size)

    def _proba(
        self, loaded: LoadedModel, ink: Ink, tta: bool | None, memory: Memory | None, size: InkSize | None
    ) -> np.ndarray:
        tta = self.settings.tta if tta is None else tta
        probs, embeddings = _read(loaded, _tta_variants(ink) if tta else [ink])  # the ink itself comes first
        probs = probs.mean(axis=0)
        if memory is not None and len(memory) and self.memory_params is not None:
            probs = self.with_memory(probs[None], embeddings[:1], [size], memory)[0]
        return probs

    def predict(
        self, ink: Ink, tta: bool | None = None, memory: Memory | None = None, size: InkSize | None = None
    ) -> Prediction:
        """The answer for `ink`; with a writer's `memory` (and the ink's `size`) their answers count."""
        start = time.perf_counter()
        loaded = self._model  # one model answers and is named, even if refresh() swaps meanwhile
        probs = self._proba(loaded, ink, tta, memory, size)
        elapsed_ms = (time.perf_counter() - start) * 1000
        return self._to_prediction(probs, elapsed_ms, loaded.manifest.version)

    def with_memory(
        self, probs: np.ndarray, embeddings: np.ndarray, sizes: list[InkSize | None], memory: Memory
    ) -> np.ndarray:
        """(N, 62) `probs` of inks with these (N, 256) `embeddings` after the writer's memory
        (unchanged when it is off or empty)."""
        if self.memory_params is None or not len(memory):
            return probs
        log_sizes = np.array([s.log() if s is not None else (np.nan, np.nan) for s in sizes])
        frames = [s.frame if s is not None else "" for s in sizes]
        return adapt(probs, embeddings, log_sizes, frames, memory, self.memory_params)

    def _to_prediction(self, probs: np.ndarray, elapsed_ms: float, version: str) -> Prediction:
        top = np.argsort(probs)[::-1][:TOP_K]
        alternatives = tuple((CLASSES[i], float(probs[i])) for i in top)
        best_char, best_p = alternatives[0]
        return Prediction(
            char=best_char,
            confidence=best_p,
            alternatives=alternatives,
            uncertain=best_p < self.settings.uncertain_threshold,
            inference_ms=elapsed_ms,
            model_version=version,
        )
