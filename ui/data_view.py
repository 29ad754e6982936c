"""The Data page's pieces that are more than layout: filters into a SampleFilter, rows for the table,
the keyset paging kept in session_state, and running an upload's import."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import streamlit as st

from ui.ink_svg import data_uri, ink_thumbnail_svg

if TYPE_CHECKING:
    from airtype_core.storage.records import SampleFilter, SampleRecord

KEYS = "data-keys"  # session_state: the keys of the pages shown so far ([None] = the first page)
FILTER_SEEN = "data-filter-seen"  # the filter those keys belong to
PER_PAGE = 50


def filters(storage: Any) -> SampleFilter:
    """The filter widgets (in an expander), as a SampleFilter."""
    from airtype_core.recognition.charset import CLASSES
    from airtype_core.storage.records import SampleFilter
    from airtype_core.storage.tables import CORRECTION_TYPES, SOURCES

    people = {p.name: p.id for p in storage.list_participants()}
    with st.expander("Filters", expanded=True, icon=":material/filter_list:"):
        a, b, c = st.columns(3)
        chars = a.multiselect("Character", CLASSES, key="f-chars", placeholder="All")
        wrong = a.checkbox("Misclassified only", key="f-wrong")
        low, high = b.slider("Confidence", 0.0, 1.0, (0.0, 1.0), 0.05, key="f-conf")
        kinds = b.multiselect("Correction type", CORRECTION_TYPES, key="f-kinds", placeholder="All")
        source = c.selectbox("Source", SOURCES, index=None, key="f-source", placeholder="All")
        person = c.selectbox("Participant", sorted(people), index=None, key="f-person", placeholder="All")
        d, e, f = st.columns(3)
        sessions = [s.id for s in storage.list_collection_sessions()]
        session = d.selectbox("Collection session", sessions, index=None, key="f-session", placeholder="All")
        versions = [v.version for v in storage.list_model_versions()]
        version = e.selectbox(
            "Model version", versions, index=None, key="f-version", placeholder="All", accept_new_options=True
        )
        days = f.date_input("Dates (UTC)", value=(), key="f-dates")
    start, end = _day_range(days)
    return SampleFilter(
        chars=tuple(chars),
        misclassified_only=wrong,
        min_confidence=low if low > 0 else None,
        max_confidence=high if high < 1 else None,
        correction_types=tuple(kinds),
        source=source,
        participant_id=people.get(person) if person else None,
        collection_session_id=session,
        model_version=version or None,
        start=start,
        end=end,
    )


def _day_range(days: Any) -> tuple[datetime | None, datetime | None]:
    if isinstance(days, date):
        days = (days,)
    days = tuple(days or ())
    if not days:
        return None, None
    first = datetime.combine(days[0], time(), tzinfo=UTC)
    last = datetime.combine(days[-1], time(), tzinfo=UTC) + timedelta(days=1)
    return first, last


def page_key(filter: SampleFilter) -> Any:
    """The key of the page to show (None: the first); a new filter starts again at the first page."""
    if st.session_state.get(FILTER_SEEN) != filter:
        st.session_state[FILTER_SEEN] = filter
        st.session_state[KEYS] = [None]
    return st.session_state[KEYS][-1]


def next_page(key: Any) -> None:
    st.session_state[KEYS].append(key)


def previous_page() -> None:
    if len(st.session_state[KEYS]) > 1:
        st.session_state[KEYS].pop()


def restart_paging() -> None:
    st.session_state.pop(FILTER_SEEN, None)


def rows(samples: tuple[SampleRecord, ...], names: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "ink": data_uri(ink_thumbnail_svg(s.ink, 64, 6)),
            "label": s.actual_char,
            "predicted": s.predicted_char or "",
            "confidence": s.confidence,
            "correct": s.is_correct,
            "type": s.correction_type,
            "source": s.source,
            "participant": names.get(s.participant_id, "") if s.participant_id else "",
            "session": s.collection_session_id,
            "model": s.model_version or "",
            "created (UTC)": s.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        }
        for s in samples
    ]


COLUMNS = {
    "id": st.column_config.NumberColumn("#", width="small"),
    "ink": st.column_config.ImageColumn("Ink", width="small"),
    "confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0, max_value=1.0, format="percent"),
    "correct": st.column_config.CheckboxColumn("Right?"),
}
