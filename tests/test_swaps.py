"""Races between a model swap and whoever is using the model: activation after a training run
versus a rollback, and a prediction versus a hot swap."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from model_files import copy_shipped_models

from airtype_core.recognition import predictor as predictor_module
from airtype_core.recognition.ink import Ink
from airtype_core.recognition.modelstore import ModelStore
from airtype_core.recognition.predictor import Predictor
from airtype_core.settings import SHIPPED_MODEL_DIR, get_settings

INK = Ink.from_strokes([[[0, 0, 0.0], [0, 40, 0.1]], [[0, 0, 0.2], [20, 0, 0.3], [20, 20, 0.4], [0, 20, 0.5]]])


@pytest.fixture
def two_versions(tmp_path) -> ModelStore:
    store = ModelStore(copy_shipped_models(tmp_path / "models"))
    other = next(p.name for p in SHIPPED_MODEL_DIR.iterdir() if (p / "manifest.json").is_file()
                 and p.name != store.default_version())
    shutil.copytree(SHIPPED_MODEL_DIR / other, store.root / other)
    return store


def test_a_prediction_names_the_version_that_answered_it_across_a_hot_swap(two_versions, monkeypatch):
    store = two_versions
    first, second = store.default_version(), next(m.version for m in store.manifests()
                                                  if m.version != store.default_version())
    predictor = Predictor(get_settings().with_changes(model_dir=store.root), store)
    expected = {}
    for version in (second, first):
        store.activate(version)
        predictor.refresh()
        expected[version] = predictor.predict_proba(INK, tta=True)
    assert predictor.version == first and not np.allclose(expected[first], expected[second])

    variants = predictor_module._tta_variants

    def swap_midway(ink: Ink) -> list[Ink]:  # another page activates the other version meanwhile
        monkeypatch.setattr(predictor_module, "_tta_variants", variants)
        store.activate(second)
        predictor.refresh()
        return variants(ink)

    monkeypatch.setattr(predictor_module, "_tta_variants", swap_midway)
    answer = predictor.predict(INK, tta=True)
    probs = expected[answer.model_version]
    assert answer.confidence == pytest.approx(float(probs.max()), abs=1e-6)
    assert predictor.version == second  # the swap did happen, during the prediction


def test_a_pinned_predictor_keeps_answering_with_one_version_while_the_shared_one_swaps(two_versions):
    store = two_versions
    first = store.default_version()
    second = next(m.version for m in store.manifests() if m.version != first)
    shared = Predictor(get_settings().with_changes(model_dir=store.root), store)
    pinned = shared.pinned()
    store.activate(second)
    assert shared.refresh() and shared.version == second
    assert not pinned.refresh()
    assert pinned.predict(INK).model_version == first == pinned.version
