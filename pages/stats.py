"""Stats page: where the model is weak, whether training helped, and what to practise.

Every number comes from `airtype_core.insight.stats` (GROUP BYs in the database)
and the suggestions from `insight.suggestions`; this page only filters, draws and
lists the samples behind a clicked bar or square.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from airtype_core.insight import stats as insight
from airtype_core.insight.collection import plan_session, start_session
from airtype_core.insight.suggestions import suggest
from airtype_core.settings import get_settings
from ui import stats_charts as charts
from ui.feedback import current_participant
from ui.ink_svg import ink_thumbnail_svg
from ui.navigation import enter_through_app
from ui.resources import get_predictor, get_storage, user_errors

enter_through_app(__file__)

ANY = "Any"
COLLECT_SESSION = "collect-session"  # session_state: the collection session the Collect page runs
CHART = {"displayModeBar": False}


def _day_bounds(dates) -> tuple[datetime | None, datetime | None]:
    if not dates:
        return None, None
    first, last = dates[0], dates[-1]
    start = datetime.combine(first, time(), tzinfo=UTC)
    return start, datetime.combine(last, time(), tzinfo=UTC) + timedelta(days=1)


def filters(storage) -> insight.StatsFilter:
    people = {p.name: p.id for p in storage.list_participants()}
    versions = insight.versions_used(storage)
    a, b, c, d, e = st.columns([3, 3, 3, 2, 2])
    who = a.selectbox("Participant", [ANY, *people], key="stats-participant")
    dates = b.date_input("Dates (UTC)", value=(), min_value=date(2000, 1, 1), max_value=date(2100, 1, 1),
                         key="stats-dates", help="Pick a first and a last day")  # fmt: skip
    version = c.selectbox("Model version", [ANY, *versions], key="stats-version")
    source = d.selectbox("Source", [ANY, *insight.SOURCES], key="stats-source")
    correction = e.selectbox("Answer type", [ANY, *insight.CORRECTION_TYPES], key="stats-correction")
    start, end = _day_bounds(dates)
    return insight.StatsFilter(
        participant_id=people.get(who), start=start, end=end, model_version=None if version == ANY else version,
        source=None if source == ANY else source, correction_type=None if correction == ANY else correction,
    )  # fmt: skip


def picked(event, *fields: int) -> tuple | None:
    """The customdata of the point clicked in a chart, if any."""
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if not points:
        return None
    data = points[0].get("customdata") or []
    return tuple(data[i] for i in fields) if len(data) > max(fields) else None


def show_samples(storage, f: insight.StatsFilter, title: str, **narrow) -> None:
    page = storage.query_samples(f.sample_filter(**narrow), per_page=48)
    st.markdown(f"**{title}** · {page.total} sample{'s' if page.total != 1 else ''}"
                + (f", the newest {len(page.items)} shown" if page.total > len(page.items) else ""))  # fmt: skip
    if not page.items:
        st.caption("No samples.")
        return
    cells = []
    for s in page.items:
        read = f"read {s.predicted_char} {s.confidence:.0%}" if s.predicted_char else "no prediction"
        cells.append(
            f'<figure style="margin:0;text-align:center;width:84px">{ink_thumbnail_svg(s.ink, 72)}'
            f'<figcaption style="font-size:11px">#{s.id} {s.actual_char} · {read}</figcaption></figure>'
        )
    st.markdown(f'<div style="display:flex;flex-wrap:wrap;gap:8px">{"".join(cells)}</div>', unsafe_allow_html=True)


def suggestions_section(storage) -> None:
    person = current_participant()
    st.subheader("What to practise" + (f" — {person.name}" if person else ""))
    try:
        participant_id = storage.find_participant(person.name).id if person else None
        predictor = get_predictor()
        key = (participant_id, storage.query_samples(per_page=1).total, predictor.version)
        cached = st.session_state.get("stats-suggestions")
        if cached is None or cached[0] != key:  # the model re-reads the latest inks: only when something changed
            cached = (key, suggest(storage, participant_id, reader=predictor,
                                   threshold=get_settings().uncertain_threshold))  # fmt: skip
            st.session_state["stats-suggestions"] = cached
        result = cached[1]
    except user_errors() as exc:
        st.error(str(exc))
        return
    if not result.items:
        st.success("Nothing to practise: every character has enough samples and is read well.")
        return
    practise = result.items[: len(result.practice_set)]  # the list names what the button will prompt
    st.caption(f"{result.samples} samples, {result.characters_covered} of 62 characters drawn. The "
               f"{len(practise)} that most need practice, first: few samples, often misread, read with little "
               "confidence, mistaken for another character, or doubted by the model.")  # fmt: skip
    for s in practise:
        st.markdown(f"**`{s.char}`** · {s.score:.1f} — " + "; ".join(s.reasons))
    st.button(
        f"Practise these: {' '.join(result.practice_set)}", key="stats-practise", type="primary",
        disabled=person is None, on_click=_practise, args=(result.practice_set,),
        help="Starts a collection session (each character twice, shuffled) on the Collect page"
        if person else "Choose a participant in the sidebar first",
    )  # fmt: skip
    if st.session_state.get("stats-practise-error"):
        st.error(st.session_state["stats-practise-error"])


def _practise(chars: tuple[str, ...]) -> None:
    st.session_state.pop("stats-practise-error", None)
    try:
        storage = get_storage()
        person = current_participant()
        participant_id = storage.find_participant(person.name).id if person else None
        plan = plan_session("suggested", 2, random.randrange(1_000_000), suggested=chars)
        st.session_state[COLLECT_SESSION] = start_session(storage, participant_id, plan).id
        st.session_state["stats-go-collect"] = True
    except user_errors() as exc:
        st.session_state["stats-practise-error"] = f"No session was started: {exc}"


st.title("Stats")
try:
    storage = get_storage()
    f = filters(storage)
    data = insight.page_stats(storage, f)
except user_errors() as exc:
    st.error(str(exc))
    st.stop()

if st.session_state.pop("stats-go-collect", False):
    st.switch_page("pages/collect.py")

t = data.totals
m1, m2, m3 = st.columns(3)
m1.metric("Samples", f"{t.samples:,}")
m2.metric("Accuracy", "—" if t.accuracy is None else f"{t.accuracy:.1%}", help="Over the samples that had a prediction")
m3.metric("Misclassified", "—" if t.misclassification_rate is None else f"{t.misclassification_rate:.1%}")
if t.samples == 0:
    st.info("No samples match these filters yet. Draw on the Draw page or run a collection session, "
            "or widen the filters.")  # fmt: skip
else:
    sort = st.radio("Sort characters by", list(charts.SORTS), horizontal=True, key="stats-sort",
                    format_func=charts.SORTS.get)  # fmt: skip
    if any(r.predicted for r in data.per_char):
        bar = st.plotly_chart(charts.per_char_figure(data.per_char, sort), key="stats-per-char", config=CHART,
                              on_select="rerun", selection_mode="points")  # fmt: skip
        if (char := picked(bar, 0)) is not None:
            show_samples(storage, f, f"Samples of {char[0]}", chars=[char[0]])
    else:
        st.caption("None of these samples had a prediction: no accuracy to show.")

    left, right = st.columns([5, 2])
    with left:
        if data.confusions:
            cell = st.plotly_chart(charts.heatmap_figure(data.confusions), key="stats-heatmap", config=CHART,
                                   on_select="rerun", selection_mode="points")  # fmt: skip
        else:
            cell = None
            st.caption("No predictions: no confusion matrix.")
    with right:
        st.markdown("**Top confusions**")
        top = data.top_confusions[:15]
        rows = None
        if top:
            rows = st.dataframe([{"written": c.actual, "read as": c.predicted, "times": c.count} for c in top],
                                hide_index=True, key="stats-top", on_select="rerun", selection_mode="single-row")  # fmt: skip
        else:
            st.caption("No character was misread.")
    chosen = (rows or {}).get("selection", {}).get("rows", []) if rows else []
    pair = (top[chosen[0]].actual, top[chosen[0]].predicted) if chosen and chosen[0] < len(top) else picked(cell, 0, 1)
    if pair is not None:
        show_samples(storage, f, f"Written {pair[0]}, read {pair[1]}", chars=[pair[0]], predicted_chars=[pair[1]])

    h1, h2 = st.columns(2)
    h1.plotly_chart(charts.histogram_figure(data.seed_histogram, "Confidence, in five bands"),
                    key="stats-hist5", config=CHART)  # fmt: skip
    h2.plotly_chart(charts.histogram_figure(data.fine_histogram, "Confidence, 5% buckets"), key="stats-hist20",
                    config=CHART)  # fmt: skip
    r1, r2 = st.columns(2)
    with r1:
        if data.reliability.ece is None:
            st.caption("No predictions: no reliability diagram.")
        else:
            st.plotly_chart(charts.reliability_figure(data.reliability), key="stats-reliability", config=CHART)
    with r2:
        if data.per_version:
            st.plotly_chart(charts.per_version_figure(data.per_version), key="stats-versions", config=CHART)
        else:
            st.caption("No predictions by a known model version.")
    st.plotly_chart(charts.per_day_figure(data.per_day), key="stats-days", config=CHART)

suggestions_section(storage)
