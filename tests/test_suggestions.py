"""Practice suggestions: the seed's priority formula, the model's own doubt, reasons a person reads,
and the `suggest` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from airtype_core.insight.suggestions import suggest
from airtype_core.recognition.ink import Ink
from airtype_core.recognition.predictor import Predictor
from airtype_core.storage.records import NewSample

ROOT = Path(__file__).resolve().parent.parent
INK = Ink.from_strokes([[[0, 0], [10, 20], [20, 0]]])
L_INK = Ink.from_strokes([[[100, 50], [100, 150], [100, 270], [180, 270], [240, 270]]])


def answer(storage, actual, predicted, confidence, participant_id, ink=INK):
    storage.save_sample(
        NewSample(ink=ink, actual_char=actual, predicted_char=predicted, confidence=confidence,
                  participant_id=participant_id, correction_type="confirmed" if actual == predicted else "corrected")
    )  # fmt: skip


@pytest.fixture
def people(storage):
    ada, bob = storage.add_participant("Ada"), storage.add_participant("Bob")
    for _ in range(4):
        answer(storage, "q", "g", 0.3, ada.id)  # q read as g four times
    answer(storage, "q", "q", 0.9, ada.id)
    for _ in range(25):
        answer(storage, "a", "a", 0.95, ada.id)  # well covered, well read
    for _ in range(30):
        answer(storage, "z", "2", 0.4, bob.id)  # Bob's trouble, not Ada's
    return ada, bob


def seed_score(samples, correct, predicted, confidence, confusions):
    """The seed's formula written out (GET /training/suggestions)."""
    coverage = min(samples / 20, 1)
    accuracy = correct / predicted * 100 if predicted else 0
    return (1 - coverage) * 1.0 * 10 + (100 - accuracy) / 100 * 10 + (1 - confidence) * 1.5 * 5 + confusions * 2.0


def test_suggestions_follow_the_seeds_formula_with_reasons(storage, people):
    ada, _ = people
    result = suggest(storage, ada.id)
    by_char = {s.char: s for s in result.items}
    q = by_char["q"]
    assert q.score == pytest.approx(seed_score(5, 1, 5, (4 * 0.3 + 0.9) / 5, 4), abs=0.01)
    assert q.reasons == ("only 5 samples", "read right only 20% of the time", "average confidence 42%",
                         "confused with g 4 times")  # fmt: skip
    assert "a" not in by_char  # 25 samples, all right, confident: nothing to practise
    assert "z" in by_char and by_char["z"].reasons == ("no samples yet",)  # Bob's z samples are not Ada's
    assert by_char["z"].score == pytest.approx(seed_score(0, 0, 0, 0, 0))
    assert result.items[0].char == "q"  # the confusions put q above the never-drawn characters
    assert result.practice_set[0] == "q" and len(result.practice_set) == 10
    assert result.samples == 30 and result.characters_covered == 2


def test_everyone_s_samples_without_a_participant(storage, people):
    z = next(s for s in suggest(storage).items if s.char == "z")
    assert z.samples == 30 and "confused with 2 30 times" in z.reasons


def test_the_models_own_doubt_is_a_reason(storage, people, tmp_path):
    ada, _ = people
    for _ in range(3):
        answer(storage, "L", "L", 0.99, ada.id, ink=L_INK)
    predictor = Predictor()
    result = suggest(storage, ada.id, reader=predictor, threshold=0.99999)  # nothing is that sure: all unsure
    by_char = {s.char: s for s in result.items}
    assert by_char["L"].unsure_share == 1.0
    assert "the model is unsure of it (3 of its last 3)" in by_char["L"].reasons
    # The share is what the model says now of the latest inks, whatever the stored confidence said.
    sure = suggest(storage, ada.id, reader=predictor, threshold=0.0)
    assert all(s.unsure_share in (0.0, None) for s in sure.items)
    probs = predictor.probabilities([L_INK])[0]
    threshold = float(max(probs)) + 1e-6
    assert next(s for s in suggest(storage, ada.id, reader=predictor, threshold=threshold).items
                if s.char == "L").unsure_share == 1.0  # fmt: skip


@pytest.mark.slow  # two commands in fresh interpreters
def test_suggest_command_prints_json_and_text(db_url, people, monkeypatch):
    env = {"AIRTYPE_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "airtype_core", "suggest", "--participant", "Ada", "--json",
                          "--no-model"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["participant"] == "Ada" and report["practice_set"][0] == "q"
    assert "confused with g 4 times" in report["suggestions"][0]["reasons"]
    text = subprocess.run([sys.executable, "-m", "airtype_core", "suggest", "--participant", "Nobody"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert text.returncode == 2 and "there is no participant 'Nobody'" in text.stderr
