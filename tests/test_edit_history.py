"""The log of relabels and deletes: undo never loses a later change; deleted ink does not stay."""

from __future__ import annotations

import pytest

from airtype_core.recognition.ink import Ink
from airtype_core.storage.records import InvalidInputError, NewSample
from airtype_core.storage.store import Storage


def sample(char: str, x: float = 0.0, **extra) -> NewSample:
    ink = Ink.from_strokes([[[x, 0.0], [x + 10.0, 20.0], [x + 20.0, 0.0]]])
    return NewSample(ink=ink, actual_char=char, correction_type="manual", **extra)


def labels(storage: Storage, *ids: int) -> list[str]:
    return [storage.get_sample(i).actual_char for i in ids]


def test_undoing_an_older_relabel_keeps_a_later_one(storage):
    both, only_first = storage.save_samples([sample("a"), sample("a", 50.0)])
    storage.relabel([both, only_first], "b")
    storage.relabel([both], "c")
    newer, older = [e.id for e in storage.list_edits()]

    with pytest.raises(InvalidInputError, match="changed again later") as refused:
        storage.undo_edit(older)
    assert "relabeled as `c`" in str(refused.value)
    assert labels(storage, both, only_first) == ["c", "b"]  # nothing was undone, not even half
    assert storage.list_edits()[1].undone_at is None

    assert storage.undo_edit(newer) == 1
    assert labels(storage, both, only_first) == ["b", "b"]
    assert storage.undo_edit(older) == 2  # the later change undone first: now it can go
    assert labels(storage, both, only_first) == ["a", "a"]


def test_a_relabel_of_samples_deleted_since_is_not_undone_in_silence(storage):
    (one,) = storage.save_samples([sample("a")])
    storage.relabel([one], "b")
    storage.delete([one])
    deleted, relabeled = [e.id for e in storage.list_edits()]
    with pytest.raises(InvalidInputError, match="deleted"):
        storage.undo_edit(relabeled)
    storage.undo_edit(deleted)
    storage.undo_edit(relabeled)
    assert labels(storage, one) == ["a"]


# --- deleted handwriting does not stay ------------------------------------------------

MARK_X = 7391.25  # coordinates no other ink in these tests has: a trace of that participant's ink
OTHER_X = 5113.75  # and another participant's, which must stay


def _everything_stored(storage: Storage) -> str:
    """Every value of every row of every table the schema has, as one text to search."""
    from sqlalchemy import select

    from airtype_core.storage.tables import Base

    with storage.session() as s:
        return "\n".join(repr(tuple(row)) for table in Base.metadata.sorted_tables for row in s.execute(select(table)))


def _traces(storage: Storage, x: float, *digests: str) -> list[str]:
    """Which of the ink's marks (a coordinate, its digests) are found anywhere in the database."""
    text = _everything_stored(storage)
    return [what for what in (str(x), *digests) if what in text]


def test_deleting_a_participant_leaves_no_trace_of_their_ink_in_any_table(storage):
    from airtype_core.insight import collection

    gone, kept = storage.add_participant("Gone"), storage.add_participant("Kept")
    mine = [sample("a", MARK_X + i, participant_id=gone.id, features=[[MARK_X] * 7] * 8) for i in range(4)]
    ids = storage.save_samples(mine + [sample("a", OTHER_X, participant_id=kept.id)])
    plan = collection.plan_session("custom", 1, 0, custom="xy")
    session = collection.start_session(storage, gone.id, plan)
    collection.answer(storage, session.id, 0, Ink.from_strokes([[[MARK_X, 1.0], [MARK_X, 30.0]]]))
    storage.relabel(ids[:2], "b")
    storage.delete(ids[1:3])  # their whole rows, ink included, are kept for undo
    storage.delete(ids[4:])  # the other participant's: a delete that must still be undoable
    digests = [s.ink.digest() for s in mine]
    assert len(_traces(storage, MARK_X, *digests)) == 5  # the scan sees the ink where it is

    storage.delete_participant(gone.id)

    assert _traces(storage, MARK_X, *digests) == []
    assert _traces(storage, OTHER_X, sample("a", OTHER_X).ink.digest()) != []
    other = next(e for e in storage.list_edits() if e.action == "delete")
    assert storage.undo_edit(other.id) == 1
    assert [s.participant_id for s in storage.iter_samples()] == [kept.id]


def _age_edits(storage: Storage, days: float) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from airtype_core.storage.tables import SampleEdit, utcnow

    with storage.session(write=True) as s:
        s.execute(update(SampleEdit).values(created_at=utcnow() - timedelta(days=days)))


def test_the_undo_copy_of_deleted_samples_expires_after_the_undo_days(db_url, monkeypatch):
    monkeypatch.setenv("AIRTYPE_UNDO_DAYS", "3")
    storage = Storage(db_url)
    try:
        old, recent, relabeled = storage.save_samples([sample("a", MARK_X), sample("a", OTHER_X), sample("a")])
        storage.delete([old])
        storage.relabel([relabeled], "b")
        _age_edits(storage, 4)  # older than AIRTYPE_UNDO_DAYS
        storage.delete([recent])

        assert [e.action for e in storage.list_edits()] == ["delete", "relabel"]  # the old delete is gone
        assert _traces(storage, MARK_X, sample("a", MARK_X).ink.digest()) == []
        assert _traces(storage, OTHER_X, sample("a", OTHER_X).ink.digest()) != []  # 0 days old: kept
    finally:
        storage.close()


def test_an_expired_delete_cannot_be_undone_even_before_it_is_purged(storage, monkeypatch):
    (one,) = storage.save_samples([sample("a", MARK_X)])
    storage.delete([one])
    (edit,) = storage.list_edits()
    _age_edits(storage, 31)  # the default: 30 days
    with pytest.raises(InvalidInputError, match="30 days"):
        storage.undo_edit(edit.id)
    assert storage.list_edits() == []


def test_undoing_the_delete_of_an_imported_sample_after_a_reimport_keeps_both(storage, tmp_path):
    from airtype_core.transfer.importer import import_file

    path = tmp_path / "one.jsonl"
    path.write_text('{"label": "a", "strokes": [[[0, 0], [10, 20], [20, 0]]]}\n')
    import_file(storage, str(path))
    (first,) = [s.id for s in storage.iter_samples()]
    storage.delete([first])
    assert import_file(storage, str(path)).stored == 1  # the file again: its sample is back, under a new id
    (delete,) = [e.id for e in storage.list_edits() if e.action == "delete"]

    assert storage.undo_edit(delete) == 1  # the deleted copy comes back beside the reimported one
    assert sorted(s.actual_char for s in storage.iter_samples()) == ["a", "a"]
