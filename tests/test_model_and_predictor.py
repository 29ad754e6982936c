"""Model store, predictor and calibration, on the shipped model and on throwaway versions."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
import torch

from airtype_core.learning.synth import synthetic_dataset
from airtype_core.learning.trainer import TrainConfig, Trainer, evaluate_logits
from airtype_core.recognition.calibration import fit_temperature
from airtype_core.recognition.charset import CLASSES
from airtype_core.recognition.features import FeatureConfig
from airtype_core.recognition.ink import Ink, InkError
from airtype_core.recognition.model import AirTypeNet, ModelConfig
from airtype_core.recognition.modelstore import (
    Manifest,
    ModelLoadError,
    ModelStore,
    PreprocessingMismatchError,
)
from airtype_core.recognition.predictor import Predictor
from airtype_core.settings import SHIPPED_MODEL_DIR, Settings

SHIPPED = ModelStore(SHIPPED_MODEL_DIR)


def _manifest(version: str, parent: str | None = None, **changes) -> Manifest:
    base = Manifest(
        version=version,
        created_at=f"2026-01-01T00:00:0{len(version) % 10}",
        preprocessing=FeatureConfig().signature,
        classes=list(CLASSES),
        temperature=1.0,
        seq_len=50,
        model_config=ModelConfig().to_dict(),
        parent_version=parent,
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def store(tmp_path) -> ModelStore:
    """A model directory with two tiny-trained versions: `base` (default) and `child` (active)."""
    s = ModelStore(tmp_path / "models")
    torch.manual_seed(0)
    s.save(AirTypeNet(), _manifest("base"))
    (s.root / "default.txt").write_text("base\n")
    s.save(AirTypeNet(), _manifest("child", parent="base", created_at="2026-02-01T00:00:00"))
    s.activate("child")
    return s


def _settings(store: ModelStore) -> Settings:
    return Settings().with_changes(model_dir=store.root)


def test_shipped_model_exists_with_a_complete_manifest():
    version = SHIPPED.default_version()
    assert version, "data/models/default.txt names the shipped model"
    manifest = SHIPPED.manifest(version)
    assert manifest.preprocessing == FeatureConfig().signature
    assert manifest.classes == list(CLASSES)
    assert manifest.temperature > 0
    assert manifest.training["kind"] == "pretrain"
    # the model card names every source it learned from and its licence; CC BY data its DOI too
    assert manifest.card["data"] and all(source["licence"] for source in manifest.card["data"])
    assert all(source["doi"] for source in manifest.card["data"] if source["licence"] == "CC BY 4.0")
    assert manifest.card["held_out"]["top1"] > 0
    size = (SHIPPED_MODEL_DIR / version / "model.pt").stat().st_size
    assert size < 5 * 2**20, "a few MB at most"


def test_shipped_model_clearly_beats_chance_on_fixed_synthetic_inks():
    loaded = SHIPPED.load(SHIPPED.default_version())
    x, y = synthetic_dataset(310, seed=12345)
    accuracy = (evaluate_logits(loaded.model, x).argmax(1) == y).mean()
    assert accuracy > 0.6, f"chance is 1/62; got {accuracy:.2f}"


def test_prediction_has_confidence_alternatives_and_timing():
    predictor = Predictor()
    seven = Ink.from_strokes([[[0, 0], [40, 0], [12, 60]]])
    p = predictor.predict(seven)
    assert p.char in CLASSES
    assert len(p.alternatives) == 5 and p.alternatives[0] == (p.char, p.confidence)
    probs = [q for _, q in p.alternatives]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    assert p.inference_ms > 0 and p.model_version == predictor.version
    assert p.uncertain == (p.confidence < predictor.settings.uncertain_threshold)
    assert predictor.predict(seven, tta=True).char in CLASSES


def test_probabilities_are_flattened_by_the_manifest_temperature_and_keep_their_order(tmp_path):
    """The calibration temperature stored with a version is the one predictions use: the same
    weights under a hotter temperature give flatter probabilities, ranked the same."""
    import json

    from model_files import copy_shipped_models

    ink = Ink.from_strokes([[[0, 0], [0, 50]], [[-10, 0], [10, 0]]])
    probs = {}
    for temperature in (1.0, 4.0):
        models = copy_shipped_models(tmp_path / f"t{temperature}")
        manifest = models / (models / "default.txt").read_text().strip() / "manifest.json"
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "temperature": temperature}))
        predictor = Predictor(Settings().with_changes(model_dir=str(models), tta=False))
        probs[temperature] = predictor.predict_proba(ink)
        assert probs[temperature].shape == (62,) and probs[temperature].sum() == pytest.approx(1.0, abs=1e-5)
    cool, hot = probs[1.0], probs[4.0]
    assert list(np.argsort(-hot)[:5]) == list(np.argsort(-cool)[:5])
    assert hot.max() < cool.max() - 0.05
    entropy = {t: float(-(p * np.log(p + 1e-12)).sum()) for t, p in probs.items()}
    assert entropy[4.0] > entropy[1.0]


def test_predictor_refuses_unusable_ink():
    with pytest.raises(InkError):
        Predictor().predict(Ink.from_strokes([[[3, 3]]]))


def test_temperature_fit_recovers_a_known_temperature():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(4000, 10)).astype(np.float32)
    true_t = 2.0
    p = torch.softmax(torch.from_numpy(logits) / true_t, 1).numpy()
    labels = np.array([rng.choice(10, p=row / row.sum()) for row in p])
    assert fit_temperature(logits, labels) == pytest.approx(true_t, rel=0.1)


@pytest.mark.parametrize("held_out, epochs_run, kept_epoch", [(250, 2, 1), (60, 4, 4)])
def test_trainer_chooses_an_epoch_only_on_a_held_out_set_big_enough(held_out, epochs_run, kept_epoch):
    """Held-out labels no model can match (-100): accuracy never improves after epoch 1.
    A large set stops the run (patience 1) and goes back to epoch 1; a small one is
    too noisy to judge, so the whole schedule runs and its last weights are kept."""
    x, y = synthetic_dataset(128, 0, 50)
    x_val = np.repeat(x[:1], held_out, axis=0)
    y_val = np.full(held_out, -100, dtype=np.int64)
    config = TrainConfig(epochs=4, batch_size=64, patience=1, min_val_for_selection=200)
    tiny = AirTypeNet(ModelConfig(embed=8, lstm1=8, lstm2=8, heads=2, hidden=16))
    result = Trainer(config, torch.device("cpu")).fit(x, y, x_val, y_val, model=tiny)
    assert (result.epochs_run, result.best_epoch, result.stopped_early) == (epochs_run, kept_epoch, epochs_run < 4)


def test_model_with_other_preprocessing_is_refused(store):
    store.save(AirTypeNet(), _manifest("odd", preprocessing="arclen-v0(seq_len=40)"))
    with pytest.raises(PreprocessingMismatchError, match="preprocessing"):
        store.load("odd")


def test_corrupt_active_model_falls_back_to_its_parent_with_a_warning(store):
    (store.root / "child" / "model.pt").write_bytes(b"not a model")
    predictor = Predictor(settings=_settings(store))
    assert predictor.version == "base"
    assert "child" in predictor.warning and "base" in predictor.warning


def test_missing_active_model_falls_back(store):
    shutil.rmtree(store.root / "child")
    loaded = store.load_active()
    assert loaded.manifest.version == "base" and loaded.warning


def test_predictor_swaps_to_a_newly_activated_version(store):
    predictor = Predictor(settings=_settings(store))
    assert predictor.version == "child"
    store.activate("base")
    assert predictor.refresh() is True
    assert predictor.version == "base"
    assert predictor.refresh() is False, "no reload when nothing changed"


def test_no_usable_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="no usable model"):
        ModelStore(tmp_path).load_active()


def test_saving_never_leaves_a_half_written_version(store, monkeypatch):
    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", explode)
    with pytest.raises(OSError):
        store.save(AirTypeNet(), _manifest("broken"))
    assert not (store.root / "broken").exists()
    assert not list(store.root.glob(".saving-*"))
    assert {m.version for m in store.manifests()} == {"base", "child"}
