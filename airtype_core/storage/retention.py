"""What the log of edits keeps of deleted handwriting, and for how long.

A delete keeps each sample's whole row, ink included, in `sample_edit_items`, so
that undo can put it back. That copy is kept `Settings.undo_days` days
(AIRTYPE_UNDO_DAYS, 30 by default): an older delete can no longer be undone and
its copy is erased. Deleting a participant erases, with their samples, every copy
the log holds of them (their deleted samples' rows, their samples' old labels).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, delete, exists, func, select, update
from sqlalchemy.orm import Session

from .tables import SampleEdit, SampleEditItem, TrainingSample, utcnow


def cutoff(undo_days: int) -> datetime:
    """Deletes made before this moment can no longer be undone."""
    return utcnow() - timedelta(days=undo_days)


def is_expired(edit: SampleEdit, undo_days: int) -> bool:
    return edit.action == "delete" and edit.created_at < cutoff(undo_days)


def _expired_deletes(undo_days: int) -> Select[int]:
    return select(SampleEdit.id).where(SampleEdit.action == "delete", SampleEdit.created_at < cutoff(undo_days))


def has_expired(s: Session, undo_days: int) -> bool:
    return bool(s.scalar(select(exists(_expired_deletes(undo_days)))))


def purge_expired(s: Session, undo_days: int) -> int:
    """Erase the deletes older than `undo_days`, with their copies of the deleted rows; returns how many."""
    ids = list(s.scalars(_expired_deletes(undo_days)))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        s.execute(delete(SampleEditItem).where(SampleEditItem.edit_id.in_(chunk)))
        s.execute(delete(SampleEdit).where(SampleEdit.id.in_(chunk)))
    return len(ids)


def forget_participant(s: Session, participant_id: int) -> None:
    """Erase what the log holds of a participant's samples: the old labels of their relabeled
    samples and the whole rows of their deleted ones. Call it before their samples are deleted."""
    items = SampleEditItem
    relabels = select(SampleEdit.id).where(SampleEdit.action == "relabel")
    theirs = select(TrainingSample.id).where(TrainingSample.participant_id == participant_id)
    gone = (items.edit_id.in_(relabels) & items.sample_id.in_(theirs)) | (
        items.old["participant_id"].as_integer() == participant_id
    )
    touched = list(s.scalars(select(items.edit_id).where(gone).distinct()))
    s.execute(delete(items).where(gone).execution_options(synchronize_session=False))
    for edit_id in touched:  # an edit keeps the count of what it can still undo, or goes
        left = s.scalar(select(func.count()).where(items.edit_id == edit_id)) or 0
        if left:
            s.execute(update(SampleEdit).where(SampleEdit.id == edit_id).values(count=left))
        else:
            s.execute(delete(SampleEdit).where(SampleEdit.id == edit_id))
