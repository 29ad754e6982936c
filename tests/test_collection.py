"""Data-collection sessions: planned, prompted, answered as `prompted` samples, skipped, redone,
paused and resumed from the database, summarized; bad input refused with nothing stored."""

from __future__ import annotations

from collections import Counter

import pytest

from airtype_core.insight import collection as c
from airtype_core.insight.collection import CollectionError, StaleSessionError
from airtype_core.recognition.ink import Ink
from airtype_core.recognition.predictor import Prediction
from airtype_core.storage.records import NotFoundError, SampleFilter
from airtype_core.storage.store import Storage

INK = Ink.from_strokes([[[0, 0], [10, 20], [20, 0]]])


def reading(char: str, confidence: float = 0.8) -> Prediction:
    """A prediction as the predictor returns it, for a model that reads `char`."""
    return Prediction(char=char, confidence=confidence, alternatives=((char, confidence),), uncertain=confidence < 0.5,
                      inference_ms=3.0, model_version="v-test")  # fmt: skip


def samples(storage: Storage, **f):
    return storage.query_samples(SampleFilter(**f), per_page=500).items


def test_a_plan_repeats_each_character_and_shuffles_with_its_seed():
    plan = c.plan_session("digits", repetitions=3, seed=1)
    assert Counter(plan.prompts) == {d: 3 for d in "0123456789"}
    assert plan.prompts == c.plan_session("digits", 3, seed=1).prompts
    assert plan.prompts != c.plan_session("digits", 3, seed=2).prompts
    assert len(c.plan_session("all", 1, 0).prompts) == 62
    assert set(c.plan_session("upper", 1, 0).prompts) == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert c.plan_session("custom", 2, 0, custom="a B 7").chars == ("a", "B", "7")
    assert c.plan_session("suggested", 1, 0, suggested=["q", "g", "q"]).chars == ("q", "g")


@pytest.mark.parametrize(
    "args, message",
    [
        (dict(target="custom", repetitions=1, custom="ab!é"), "'!' 'é' are not among the 62"),
        (dict(target="custom", repetitions=1, custom="abca"), "a appears more than once"),
        (dict(target="custom", repetitions=1, custom="  "), "type at least one character"),
        (dict(target="digits", repetitions=0), "repetitions must be a whole number from 1"),
        (dict(target="suggested", repetitions=1), "the suggestions are empty"),
        (dict(target="greek", repetitions=1), "not a target set"),
    ],
)
def test_bad_plans_are_refused_with_a_message(args, message):
    with pytest.raises(CollectionError, match=message):
        c.plan_session(seed=0, **args)


def test_a_session_needs_a_participant_and_stores_nothing_without_one(storage):
    with pytest.raises(CollectionError, match="choose a participant"):
        c.start_session(storage, None, c.plan_session("digits", 1, 0))
    assert storage.list_collection_sessions() == []


def test_a_session_end_to_end(storage):
    ada = storage.add_participant("Ada")
    state = c.start_session(storage, ada.id, c.plan_session("custom", 2, seed=3, custom="abc"))
    assert state.current == state.prompts[0] and state.progress == 0

    first = state.current
    state = c.answer(storage, state.id, 0, INK, reading(first, 0.9))  # read right
    stored = samples(storage, collection_session_id=state.id)
    assert [(s.actual_char, s.correction_type, s.predicted_char, s.participant_id) for s in stored] == [
        (first, "prompted", first, ada.id)
    ]
    # A second tab answering the same prompt is told so, and nothing more is stored.
    with pytest.raises(StaleSessionError, match="another tab"):
        c.answer(storage, state.id, 0, INK, reading(first))
    assert len(samples(storage, collection_session_id=state.id)) == 1

    state = c.skip(storage, state.id, 1)
    assert (state.position, state.answered, state.skipped) == (2, 1, 1)
    state = c.redo_last(storage, state.id)  # the skip is taken back: the same character is asked again
    assert state.position == 1 and state.skipped == 0

    wrong = "z"
    state = c.answer(storage, state.id, 1, INK, reading(wrong, 0.4))
    state = c.answer(storage, state.id, 2, INK, reading(state.current))
    state = c.redo_last(storage, state.id)  # the sample of the redone prompt is deleted
    assert state.position == 2 and len(samples(storage, collection_session_id=state.id)) == 2

    # Pause, and pick it up again through a new connection (a restarted server, another tab).
    c.pause(storage, state.id)
    with pytest.raises(StaleSessionError, match="resume it first"):
        c.answer(storage, state.id, 2, INK, reading("a"))
    other = Storage(storage.url)
    try:
        [reopened] = c.open_sessions(other, ada.id)
        assert (reopened.id, reopened.status, reopened.position) == (state.id, "paused", 2)
        state = c.resume(other, state.id)
        while state.current is not None:
            state = c.answer(other, state.id, state.position, INK, reading(state.current))
    finally:
        other.close()
    assert state.status == "finished" and state.progress == 1.0
    assert c.open_sessions(storage, ada.id) == []

    summary = c.summarize(storage, state.id)
    stored = samples(storage, collection_session_id=state.id)
    assert summary.answered == len(stored) == 6 and summary.skipped == 0
    assert summary.correct == sum(s.is_correct for s in stored) == 5
    assert summary.accuracy == pytest.approx(5 / 6)
    assert summary.confusions == ((state.prompts[1], wrong, 1),)
    assert sorted(x.char for x in summary.per_char) == ["a", "b", "c"]
    assert all(x.answered == 2 for x in summary.per_char)
    assert summary.mean_ms is not None and summary.mean_ms >= 0
    assert summary.slowest[0].mean_ms == max(x.mean_ms for x in summary.per_char)


def test_a_participant_deleted_while_their_session_is_open(storage):
    ada = storage.add_participant("Ada")
    state = c.start_session(storage, ada.id, c.plan_session("digits", 1, 0))
    state = c.answer(storage, state.id, 0, INK, reading(state.current))
    assert storage.participant_sample_count(ada.id) == 1
    assert storage.delete_participant(ada.id) == 1
    with pytest.raises(NotFoundError, match="no longer exists"):
        c.answer(storage, state.id, 1, INK, reading("1"))
    assert storage.query_samples().total == 0
    with pytest.raises(NotFoundError, match="no longer exists"):
        c.start_session(storage, ada.id, c.plan_session("digits", 1, 0))


def test_participants_are_renamed_and_names_stay_unique(storage):
    ada, bob = storage.add_participant("Ada"), storage.add_participant("Bob")
    assert storage.rename_participant(ada.id, " Ada L. ").name == "Ada L."
    assert storage.find_participant("Ada L.").id == ada.id
    with pytest.raises(Exception, match="already a participant called 'Bob'"):
        storage.rename_participant(ada.id, "Bob")
    with pytest.raises(NotFoundError):
        storage.find_participant("Ada")
    assert storage.find_participant(str(bob.id)).name == "Bob"


def test_a_redone_prompts_sample_is_deleted_through_the_change_log_and_can_be_undone(storage):
    ada = storage.add_participant("Ada")
    state = c.start_session(storage, ada.id, c.plan_session("custom", 1, seed=3, custom="ab"))
    state = c.answer(storage, state.id, 0, INK, reading(state.current))
    [written] = samples(storage, collection_session_id=state.id)

    c.redo_last(storage, state.id)
    assert len(samples(storage, collection_session_id=state.id)) == 0
    [change] = storage.list_edits()
    assert (change.action, change.count) == ("delete", 1)  # listed on the Data page's Changes tab
    assert storage.undo_edit(change.id) == 1
    assert storage.get_sample(written.id).actual_char == written.actual_char
