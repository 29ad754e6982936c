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
from .modelstore import LoadedModel, ModelStore

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


def _probabilities(loaded: LoadedModel, inks: list[Ink]) -> np.ndarray:
    """(N, 62) calibrated probabilities of `inks` by one loaded model."""
    config = FeatureConfig(loaded.manifest.seq_len)
    x = torch.from_numpy(np.stack([featurize(ink, config) for ink in inks]))  # (N, T, 7)
    with torch.inference_mode(), _threads(INFERENCE_THREADS if len(inks) <= 8 else torch.get_num_threads()):
        logits = loaded.model(x)  # (N, 62)
    return torch.softmax(logits / loaded.manifest.temperature, dim=1).numpy()


class Predictor:
    def __init__(self, settings: Settings | None = None, store: ModelStore | None = None):
        self.settings = settings or get_settings()
        self.store = store or ModelStore(self.settings.model_dir)
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._loaded: LoadedModel | None = None
        self.refresh()

    # --- model lifecycle ---------------------------------------------------------------
    def refresh(self) -> bool:
        """Load the active version if it changed since the last call; True when a swap happened."""
        stamp = self.store.pointer_stamp()
        if stamp == self._stamp and self._loaded is not None:
            return False
        loaded = self.store.load_active(FeatureConfig(self.settings.seq_len))
        with self._lock:
            self._loaded, self._stamp = loaded, stamp
        return True

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
        return _probabilities(self._model, inks)

    def predict_proba(self, ink: Ink, tta: bool | None = None) -> np.ndarray:
        """(62,) calibrated probabilities of one ink, averaged over variants with TTA."""
        return self._proba(self._loaded, ink, tta)

    def _proba(self, loaded: LoadedModel, ink: Ink, tta: bool | None) -> np.ndarray:
        tta = self.settings.tta if tta is None else tta
        if tta:
            return _probabilities(loaded, _tta_variants(ink)).mean(axis=0)
        return _probabilities(loaded, [ink])[0]

    def predict(self, ink: Ink, tta: bool | None = None) -> Prediction:
        start = time.perf_counter()
        loaded = self._loaded  # one model answers and is named, even if refresh() swaps meanwhile
        probs = self._proba(loaded, ink, tta)
        elapsed_ms = (time.perf_counter() - start) * 1000
        return self._to_prediction(probs, elapsed_ms, loaded.manifest.version)

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
