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
