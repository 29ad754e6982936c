"""The batched path: `import --predict` stores each ink's own answer over several batches."""

from __future__ import annotations

import json

import numpy as np

from airtype_core.bench.io import write_synthetic
from airtype_core.recognition.features import _gradient
from airtype_core.recognition.predictor import Predictor
from airtype_core.storage.store import Storage
from airtype_core.transfer import importer


def test_the_features_gradient_is_numpys():
    rows = np.random.default_rng(0).normal(size=(2, 50))
    assert np.array_equal(_gradient(rows), np.stack([np.gradient(rows[0]), np.gradient(rows[1])]))


def test_import_with_predict_over_several_batches_stores_each_inks_own_answer(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "BATCH", 40)  # several batches from a small file
    path = tmp_path / "inks.jsonl"
    write_synthetic(path, 130)
    lines = path.read_text().splitlines()
    lines.insert(95, json.dumps({"label": "a", "strokes": [[[5, 5], [5, 5]]]}))  # a dot, in the third batch
    path.write_text("\n".join(lines) + "\n")
    predictor = Predictor()
    storage = Storage(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        report = importer.import_file(storage, path, predictor=predictor)
        samples = list(storage.iter_samples())
    finally:
        storage.close()
    assert report.stored == report.predicted == 130
    assert [str(p).split(":")[0] for p in report.problems] == ["line 96"]
    alone = predictor.probabilities([s.ink for s in samples])
    assert [s.predicted_char for s in samples] == [predictor._to_prediction(p, 0, "").char for p in alone]
