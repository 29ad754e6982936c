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
    other = next(
        p.name
        for p in SHIPPED_MODEL_DIR.iterdir()
        if (p / "manifest.json").is_file() and p.name != store.default_version()
    )
    shutil.copytree(SHIPPED_MODEL_DIR / other, store.root / other)
    return store


def test_a_prediction_names_the_version_that_answered_it_across_a_hot_swap(two_versions, monkeypatch):
    store = two_versions
    first, second = (
        store.default_version(),
        next(m.version for m in store.manifests() if m.version != store.default_version()),
    )
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


def test_a_rollback_while_a_run_saves_its_version_is_not_overwritten(two_versions, tmp_path, monkeypatch):
    import threading

    from test_training_jobs import TINY, collect

    from airtype_core.learning import run as run_module
    from airtype_core.learning.run import run_training
    from airtype_core.learning.versions import activate_version
    from airtype_core.storage.store import Storage

    store = two_versions
    shipped = store.default_version()
    chosen = next(m.version for m in store.manifests() if m.version != shipped)
    settings = get_settings().with_changes(model_dir=store.root, database_url=f"sqlite:///{tmp_path / 'a.db'}")
    storage = Storage(settings.database_url)
    collect(storage)
    monkeypatch.setattr(run_module, "_verdict", lambda *verdict_args: (True, "activated: better"))
    save = store.save
    rollbacks: list[threading.Thread] = []

    def save_while_the_user_rolls_back(model, manifest):
        path = save(model, manifest)
        # another page (its own ModelStore) rolls back to `chosen` after the run checked the pointer
        rollback = threading.Thread(target=activate_version, args=(chosen, ModelStore(store.root), storage))
        rollback.start()
        rollback.join(timeout=3)  # it returns at once unless check-and-activate holds it off
        rollbacks.append(rollback)
        return path

    monkeypatch.setattr(store, "save", save_while_the_user_rolls_back)
    try:
        outcome = run_training(TINY, storage, store, settings=settings)
        rollbacks[0].join(timeout=60)
        assert outcome.activated  # the run activated its version first; then the user's rollback came
        assert store.active_version() == chosen  # the user's choice, made last, stands
        assert storage.active_model_version().version == chosen
    finally:
        storage.close()


def test_an_import_with_predictions_answers_and_names_one_version_across_a_hot_swap(
    two_versions, tmp_path, monkeypatch
):
    import json

    from airtype_core.storage.store import Storage
    from airtype_core.transfer import importer

    store = two_versions
    first = store.default_version()
    second = next(m.version for m in store.manifests() if m.version != first)
    shared = Predictor(get_settings().with_changes(model_dir=store.root), store)
    path = tmp_path / "inks.jsonl"
    inks = [Ink.from_strokes([[[x + i, y] for x, y, _ in stroke] for stroke in INK.to_lists()]) for i in range(6)]
    path.write_text("".join(json.dumps({"label": "L", "strokes": ink.to_lists()}) + "\n" for ink in inks))
    reference = shared.pinned()  # the first version's own answers
    monkeypatch.setattr(importer, "BATCH", 2)  # three batches

    def swap_after_the_first_batch(progress: importer.ImportProgress) -> None:
        if progress.read == 2:  # another page activates the other version meanwhile
            store.activate(second)
            assert shared.refresh()

    storage = Storage(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        report = importer.import_file(storage, str(path), predictor=shared, progress=swap_after_the_first_batch)
        stored = list(storage.iter_samples())
    finally:
        storage.close()
    assert report.stored == report.predicted == 6 and shared.version == second  # the swap did happen
    assert {s.model_version for s in stored} == {first}
    expected = reference.probabilities([s.ink for s in stored]).max(axis=1)
    assert [s.confidence for s in stored] == pytest.approx(list(expected), abs=1e-6)  # the first read them all
