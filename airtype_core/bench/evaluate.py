"""`python -m airtype_core evaluate`: one model version on a labeled JSON-lines file.

    metrics = evaluate_file("dev.jsonl", version="unipen-v1", tta=None)  # None: AIRTYPE_TTA, as the app

The version defaults to the active one; any other can be measured without activating it.
A file that holds no readable ink is an `EvaluationError`, not a score of zero.
"""

from __future__ import annotations

from pathlib import Path

from ..formats.jsonl import read_jsonl
from ..recognition.evaluation import evaluate
from ..recognition.features import FeatureConfig
from ..recognition.modelstore import LoadedModel, ModelStore
from ..recognition.predictor import Predictor
from ..settings import Settings, get_settings

UNREADABLE_SHOWN = 20  # unreadable lines listed in the report


class EvaluationError(ValueError):
    """The file cannot be evaluated (missing, empty, nothing readable); the message says why."""


class PinnedStore(ModelStore):
    """A model folder seen as if `version` were active: no fallback to another version."""

    def __init__(self, root: str | Path, version: str):
        super().__init__(root)
        self.version = version

    def active_version(self) -> str | None:
        return self.version

    def pointer_stamp(self) -> tuple:
        return (self.version,)

    def load_active(self, features: FeatureConfig | None = None) -> LoadedModel:
        return self.load(self.version, features)


def evaluate_file(
    path: str, version: str | None = None, tta: bool | None = None, limit: int = 0, settings: Settings | None = None
) -> dict:
    """The metrics of `recognition.evaluation.evaluate`, plus the unreadable lines. Raises
    EvaluationError when there is nothing to measure, ModelLoadError for an unusable version."""
    settings = settings or get_settings()
    if not Path(path).is_file():
        raise EvaluationError(f"{path}: no such file")
    errors: list[str] = []
    samples = list(read_jsonl(path, errors))
    if not samples:
        why = f"none of its {len(errors)} lines is a labeled ink (first: {errors[0]})" if errors else "it is empty"
        raise EvaluationError(f"{path} has nothing to evaluate: {why}")
    if limit:
        samples = samples[:limit]
    store = PinnedStore(settings.model_dir, version) if version else None
    metrics = evaluate(Predictor(settings, store), samples, tta=settings.tta if tta is None else tta)
    if metrics["samples"] == 0:
        raise EvaluationError(
            f"{path} has nothing to evaluate: none of its {metrics['skipped_inks']} inks is a character"
        )
    metrics["unreadable_lines"] = len(errors)
    metrics["unreadable"] = errors[:UNREADABLE_SHOWN]  # "line N: why"; the count has them all
    return metrics
