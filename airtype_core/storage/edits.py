"""The log of relabels and deletes, and their undo.

Every relabel or delete through `Storage` writes, in the same transaction, one
`SampleEdit` (what, when, the new label) and one `SampleEditItem` per sample
with its values before (the label fields for a relabel, the whole row for a
delete). Undo puts those values back: relabeled samples get their old label,
deleted samples come back with their old id when it is still free. An edit whose
samples were changed again by a later edit (not undone) is not undone: putting
its old values back would silently throw the later change away.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..recognition.charset import validate_label
from .records import EditInfo, InvalidInputError, NotFoundError
from .retention import is_expired
from .tables import (
    CollectionSession,
    Participant,
    SampleEdit,
    SampleEditItem,
    TrainingSample,
    utcnow,
)

_LABEL_FIELDS = ("actual_char", "correction_type", "is_correct")
_ROW_FIELDS = tuple(c.name for c in TrainingSample.__table__.columns)


def _chunks(ids: Iterable[int], size: int = 500) -> Iterator[list[int]]:
    ids = list(dict.fromkeys(ids))
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _new_edit(s: Session, action: str, new_char: str | None) -> SampleEdit:
    edit = SampleEdit(action=action, new_char=new_char, count=0)
    s.add(edit)
    s.flush()
    return edit


def relabel(s: Session, ids: Iterable[int], char: str) -> int:
    """See Storage.relabel; the samples' old label fields are logged first."""
    char = validate_label(char)
    t = TrainingSample
    values = {
        t.actual_char: char,
        t.is_correct: case((t.predicted_char.is_(None), None), else_=t.predicted_char == char),
        t.correction_type: case(
            (t.predicted_char.is_(None), "manual"), (t.predicted_char == char, "confirmed"), else_="corrected"
        ),
    }
    edit, changed = _new_edit(s, "relabel", char), 0
    for chunk in _chunks(ids):
        rows = s.execute(select(t.id, t.actual_char, t.correction_type, t.is_correct).where(t.id.in_(chunk))).all()
        if not rows:
            continue
        s.execute(
            insert(SampleEditItem),
            [{"edit_id": edit.id, "sample_id": r.id, "old": dict(zip(_LABEL_FIELDS, r[1:]))} for r in rows],
        )
        stmt = update(t).where(t.id.in_([r.id for r in rows])).values(values)
        changed += s.execute(stmt.execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]  # DML: a CursorResult
    edit.count = changed
    return changed


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def delete_samples(s: Session, ids: Iterable[int]) -> int:
    """See Storage.delete; each whole row is logged first, so that undo can put it back."""
    t, columns = TrainingSample, [getattr(TrainingSample, name) for name in _ROW_FIELDS]
    edit, deleted = _new_edit(s, "delete", None), 0
    for chunk in _chunks(ids):
        rows = s.execute(select(*columns).where(t.id.in_(chunk))).all()
        if not rows:
            continue
        s.execute(
            insert(SampleEditItem),
            [
                {"edit_id": edit.id, "sample_id": r.id, "old": {k: _jsonable(v) for k, v in r._mapping.items()}}
                for r in rows
            ],
        )
        stmt = delete(t).where(t.id.in_([r.id for r in rows]))
        deleted += s.execute(stmt.execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]  # DML: a CursorResult
    edit.count = deleted
    return deleted


def edit_info(edit: SampleEdit) -> EditInfo:
    return EditInfo(edit.id, edit.action, edit.new_char, edit.count, edit.created_at, edit.undone_at)


def list_edits(s: Session, limit: int) -> list[EditInfo]:
    """Newest first, those with nothing changed left out."""
    stmt = select(SampleEdit).where(SampleEdit.count > 0)
    stmt = stmt.order_by(SampleEdit.created_at.desc(), SampleEdit.id.desc()).limit(limit)
    return [edit_info(e) for e in s.scalars(stmt)]


def old_values(s: Session, edit_id: int, limit: int = 20) -> list[tuple[int, dict[str, Any]]]:
    """(sample id, its values before) of an edit's first samples, for showing what it changed."""
    stmt = select(SampleEditItem.sample_id, SampleEditItem.old).where(SampleEditItem.edit_id == edit_id)
    return [(key, old) for key, old in s.execute(stmt.order_by(SampleEditItem.id).limit(limit))]


def _describe(edit: SampleEdit) -> str:
    what = f"relabeled as `{edit.new_char}`" if edit.action == "relabel" else "deleted"
    return f"{what} at {edit.created_at:%Y-%m-%d %H:%M:%S} UTC"


def _refuse_if_changed_since(s: Session, edit: SampleEdit) -> None:
    """InvalidInputError when a later edit, not undone, touched some of this edit's samples."""
    mine = select(SampleEditItem.sample_id).where(SampleEditItem.edit_id == edit.id)
    touched = (SampleEditItem.edit_id > edit.id) & SampleEditItem.sample_id.in_(mine)
    later_ids = select(SampleEditItem.edit_id).where(touched)
    later = s.scalars(
        select(SampleEdit).where(SampleEdit.id.in_(later_ids), SampleEdit.undone_at.is_(None)).order_by(SampleEdit.id)
    ).all()
    if not later:
        return
    changed = (
        s.scalar(
            select(func.count(func.distinct(SampleEditItem.sample_id))).where(
                touched, SampleEditItem.edit_id.in_([e.id for e in later])
            )
        )
        or 0
    )
    samples = f"{changed} of its {edit.count} sample{'s' if edit.count != 1 else ''}"
    raise InvalidInputError(
        f"This change cannot be undone: {samples} {'was' if changed == 1 else 'were'} changed again later "
        f"({'; '.join(_describe(e) for e in later)}). Undo the later change first, then this one."
    )


def undo(s: Session, edit_id: int, undo_days: int) -> int:
    """Put back what edit `edit_id` changed; returns how many samples came back. An edit is undone once,
    only while no later edit (not undone) changed its samples again, and a delete only for `undo_days`."""
    edit = s.get(SampleEdit, edit_id)
    if edit is None:
        raise NotFoundError(f"there is no change number {edit_id}")
    if edit.undone_at is not None:
        raise InvalidInputError(f"change {edit_id} was already undone")
    if is_expired(edit, undo_days):
        raise InvalidInputError(
            f"This delete is older than {undo_days} days (AIRTYPE_UNDO_DAYS): "
            "its samples are erased for good and cannot come back."
        )
    _refuse_if_changed_since(s, edit)
    items = s.execute(select(SampleEditItem.sample_id, SampleEditItem.old).where(SampleEditItem.edit_id == edit_id))
    restored, t = 0, TrainingSample
    for key, old in items:
        if edit.action == "relabel":
            stmt = update(t).where(t.id == key).values({name: old[name] for name in _LABEL_FIELDS})
            restored += s.execute(stmt.execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]  # DML: a CursorResult
        else:
            row = {name: old.get(name) for name in _ROW_FIELDS}
            row["created_at"] = datetime.fromisoformat(row["created_at"])
            for name, table in (("participant_id", Participant), ("collection_session_id", CollectionSession)):
                if row[name] is not None and s.get(table, row[name]) is None:
                    row[name] = None  # removed since: the sample comes back without it
            if s.get(t, key) is not None:  # the id was taken since: the sample comes back under a new one
                row.pop("id")
            if row.get("import_key") and s.scalar(select(t.id).where(t.import_key == row["import_key"])):
                row["import_key"] = None  # its file was imported again since: that copy keeps the key
            s.execute(insert(t), [row])
            restored += 1
    edit.undone_at = utcnow()
    return restored
