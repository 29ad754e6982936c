"""A participant's memory: a stored answer changes that participant's next prediction, and no one else's."""

from __future__ import annotations

import numpy as np
import pytest

from airtype_core.recognition.charset import CLASS_INDEX
from airtype_core.recognition.ink import Ink
from airtype_core.recognition.memory import InkSize, Memory, size_scores
from airtype_core.recognition.modelstore import ModelStore
from airtype_core.recognition.predictor import Predictor
from airtype_core.settings import get_settings
from airtype_core.storage.memory import (
    MemoryBank,
    memory_size,
    read_with_memory,
    reset_memory,
)
from airtype_core.storage.records import NewSample
from airtype_core.storage.store import Storage

CANVAS = (320.0, 320.0)


def _circle(radius: float = 60.0, centre: float = 160.0, points: int = 40) -> Ink:
    angle = np.linspace(0.2, 2 * np.pi + 0.2, points)
    return Ink.from_strokes([np.column_stack([centre + radius * np.sin(angle), centre - radius * np.cos(angle)])])


def _stroke(size: float = 240.0) -> Ink:
    """A vertical stroke: `l`, `I` or `1`, the model hesitates (a writer's answer settles it)."""
    return Ink.from_strokes([np.column_stack([np.full(20, 160.0), np.linspace(40, 40 + size, 20)])])


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor()


@pytest.fixture
def sqlite(tmp_path):
    storage = Storage(f"sqlite:///{tmp_path / 'memory.db'}")
    yield storage
    storage.close()


def _answer(storage: Storage, predictor: Predictor, bank: MemoryBank, ink: Ink, who: int, char: str) -> int:
    """What the Draw page does: read with the memory, store the writer's answer."""
    prediction = read_with_memory(predictor, bank, ink, who, "canvas", CANVAS)
    return storage.save_sample(NewSample.from_prediction(ink, prediction, char, participant_id=who, area=CANVAS))


def _wrong_label(predictor: Predictor, ink: Ink, rank: int = 1) -> str:
    """A label the model does not give `ink` (its second choice)."""
    return predictor.predict(ink).alternatives[rank][0]


def test_a_correction_changes_the_next_answer_for_that_participant_only(sqlite, predictor):
    bank = MemoryBank(sqlite)
    ann, bob = sqlite.add_participant("Ann").id, sqlite.add_participant("Bob").id
    ink = _stroke()
    before = predictor.predict(ink).char
    label = _wrong_label(predictor, ink)
    _answer(sqlite, predictor, bank, ink, ann, label)

    assert read_with_memory(predictor, bank, ink, ann, "canvas", CANVAS).char == label
    assert read_with_memory(predictor, bank, ink, bob, "canvas", CANVAS).char == before


def test_a_writer_with_no_answers_reads_exactly_as_without_memory(sqlite, predictor):
    bank = MemoryBank(sqlite)
    ann, bob = sqlite.add_participant("Ann").id, sqlite.add_participant("Bob").id
    _answer(sqlite, predictor, bank, _circle(), ann, "o")
    for ink in (_stroke(), _stroke(120), _circle(30), _circle(90)):
        plain = predictor.predict(ink)
        with_memory = read_with_memory(predictor, bank, ink, bob, "canvas", CANVAS)
        assert with_memory.alternatives == plain.alternatives  # the same probabilities, to the last bit


def test_another_instance_sees_an_answer_at_once_and_a_relabel_too(sqlite, predictor, tmp_path):
    ann = sqlite.add_participant("Ann").id
    other = Storage(f"sqlite:///{tmp_path / 'memory.db'}")  # a second server process on the same database
    try:
        other_bank = MemoryBank(other)
        ink = _stroke()
        assert len(other_bank.recall(ann, predictor)) == 0
        label = _wrong_label(predictor, ink)
        sample = _answer(sqlite, predictor, MemoryBank(sqlite), ink, ann, label)
        assert read_with_memory(predictor, other_bank, ink, ann, "canvas", CANVAS).char == label
        second = predictor.predict(ink).alternatives[2][0]
        sqlite.relabel([sample], second)
        assert read_with_memory(predictor, other_bank, ink, ann, "canvas", CANVAS).char == second
        sqlite.delete([sample])
        assert read_with_memory(predictor, other_bank, ink, ann, "canvas", CANVAS).char == predictor.predict(ink).char
    finally:
        other.close()


def test_reset_empties_the_memory_and_keeps_the_samples(sqlite, predictor):
    bank = MemoryBank(sqlite)
    ann = sqlite.add_participant("Ann").id
    ink = _stroke()
    _answer(sqlite, predictor, bank, ink, ann, _wrong_label(predictor, ink))
    assert memory_size(sqlite, ann) == 1
    assert reset_memory(sqlite, ann) == 1
    assert memory_size(sqlite, ann) == 0
    assert sqlite.participant_sample_count(ann) == 1
    assert read_with_memory(predictor, bank, ink, ann, "canvas", CANVAS).char == predictor.predict(ink).char
    label = _wrong_label(predictor, ink, 2)
    _answer(sqlite, predictor, bank, ink, ann, label)  # answers after the reset count again
    assert read_with_memory(predictor, bank, ink, ann, "canvas", CANVAS).char == label


def test_the_setting_turns_the_memory_off(sqlite, predictor):
    off = Predictor(get_settings().with_changes(memory=False), ModelStore(get_settings().model_dir))
    bank = MemoryBank(sqlite)
    ann = sqlite.add_participant("Ann").id
    ink = _stroke()
    _answer(sqlite, predictor, bank, ink, ann, _wrong_label(predictor, ink))
    assert read_with_memory(off, bank, ink, ann, "canvas", CANVAS).char == predictor.predict(ink).char


def test_the_ink_size_in_its_writing_area_is_stored_and_unknown_for_imports(sqlite, predictor):
    ink = _circle(40)
    canvas = sqlite.save_sample(NewSample(ink, "o", "manual", area=CANVAS))
    imported = sqlite.save_sample(NewSample(ink, "o", "manual", source="import"))
    from airtype_core.storage.tables import TrainingSample

    with sqlite.session() as s:
        assert s.get(TrainingSample, canvas).ink_height == pytest.approx(80 / 320, abs=0.01)
        assert s.get(TrainingSample, canvas).ink_width == pytest.approx(80 / 320, abs=0.01)
        assert s.get(TrainingSample, imported).ink_height is None


def test_the_writers_size_tells_small_o_from_large_o(predictor):
    """Digits written 100 units tall: a circle 50 tall is their `o`, one 100 tall their `O`."""
    params = predictor.memory_params
    digits = [CLASS_INDEX[c] for c in "0123456789"]
    memory = Memory(
        np.zeros((10, 4), np.float32),
        np.array(digits),
        np.array([InkSize(100.0, 60.0, "f").log() for _ in digits]),
        ("f",) * 10,
    )
    small, large = InkSize(50.0, 50.0, "f").log(), InkSize(100.0, 95.0, "f").log()
    scores = size_scores(memory, np.array([small, large]), ["f", "f"], params)
    o, big_o = CLASS_INDEX["o"], CLASS_INDEX["O"]
    assert scores[0, o] > scores[0, big_o]
    assert scores[1, big_o] > scores[1, o]


def test_the_participants_page_resets_a_memory_and_keeps_the_samples(db_file):
    from test_insight_pages import app_on, open_storage, run, texts

    from airtype_core.storage.memory import memory_size
    from airtype_core.storage.records import NewSample

    storage = open_storage(db_file)
    ada = storage.add_participant("Ada")
    ink = _stroke()
    storage.save_samples([NewSample(ink, c, "manual", participant_id=ada.id, area=(320, 320)) for c in "1lI"])
    storage.close()
    at = app_on("pages/participants.py")
    assert "Memory: 3 stored answers change Ada's next predictions." in texts(at)
    at.button(key=f"participants-memory-{ada.id}").click()
    run(at)
    assert "Ada's memory starts empty again (3 answers no longer count; the samples are kept)." in texts(at)
    assert "Memory: 0 stored answers change Ada's next predictions." in texts(at)
    storage = open_storage(db_file)
    assert memory_size(storage, ada.id) == 0 and storage.participant_sample_count(ada.id) == 3
    storage.close()
