"""Keyset paging of samples: the Data page's table, as fast on the last page of 100,000 as on the first.

A page is the rows after the last one shown, by (sort column, id): an index
walk, where OFFSET would count every row before the page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import Session

from .records import KeysetPage, SampleFilter, one_of, sample_record
from .tables import TrainingSample

SAMPLE_ORDERS = ("newest", "oldest", "least confident")
_ORDER_BY = {
    "newest": ("created_at", False),
    "oldest": ("created_at", True),
    "least confident": ("predicted_confidence", True),
}


def keyset_page(
    s: Session, filter: SampleFilter, after: tuple[Any, int] | None, per_page: int, order: str
) -> KeysetPage:
    t = TrainingSample
    column, ascending = _ORDER_BY[one_of("order", order, SAMPLE_ORDERS)]
    sort = getattr(t, column)
    # samples without a prediction have no place in the confidence order
    ranked = sort.is_not(None) if column == "predicted_confidence" else true()
    keys = (sort, t.id) if ascending else (sort.desc(), t.id.desc())
    # ids first, rows after: a sort that must happen carries two numbers a row, not whole inks
    stmt = filter.apply(select(t.id)).where(ranked).order_by(*keys)
    if after is not None:
        value, key = after
        stmt = stmt.where(
            or_(sort > value, and_(sort == value, t.id > key))
            if ascending
            else or_(sort < value, and_(sort == value, t.id < key))
        )
    total = s.scalar(filter.apply(select(func.count()).select_from(t)).where(ranked)) or 0
    ids = list(s.scalars(stmt.limit(per_page + 1)))
    by_id = {r.id: r for r in s.scalars(select(t).where(t.id.in_(ids)))}
    rows = [by_id[i] for i in ids]
    items = tuple(sample_record(r) for r in rows[:per_page])
    last = rows[per_page - 1] if len(rows) > per_page else None
    return KeysetPage(items, total, None if last is None else (getattr(last, column), last.id))
