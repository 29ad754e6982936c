"""Collecting in the air: a data-collection session run on the Air page.

The session is the Collect page's (`airtype_core.insight.collection`), kept in
the database, so it resumes after a reload, in another tab, or on the Collect
page; this tab remembers which one it shows (session state and `?air_session=ID`).
While it runs, the prompt stays on screen and each air-written character is
offered as that prompt's sample (source `air`): keep it, or write it again.
"""

from __future__ import annotations

import random

import streamlit as st

from airtype_core.insight import collection as core
from ui.air_worker import AirSession, Recognized, ReplayError
from ui.feedback import current_participant
from ui.ink_svg import ink_thumbnail_svg
from ui.layout import button_row
from ui.resources import get_predictor, get_storage, user_errors

SESSION = "air-collect-session"  # session_state: the id of the collection session this tab runs
QUERY = "air_session"  # ... and in the address
MESSAGE = "air-collect-message"  # session_state: (kind, text) the last step left to say


def _remember(session_id: int | None) -> None:
    if session_id is None:
        st.session_state.pop(SESSION, None)
        st.query_params.pop(QUERY, None)
    else:
        st.session_state[SESSION] = session_id
        st.query_params[QUERY] = str(session_id)


def _step(action, *args, **kwargs) -> None:
    """A button's callback: one step of the session; a message instead of an exception."""
    st.session_state.pop(MESSAGE, None)
    try:
        action(get_storage(), *args, **kwargs)
    except user_errors() as exc:
        st.session_state[MESSAGE] = ("warning" if isinstance(exc, core.StaleSessionError) else "error", str(exc))


def active_collection() -> core.SessionState | None:
    """The session this tab runs, if it is still running (a finished one is shown once, then let go)."""
    wanted = st.session_state.get(SESSION) or st.query_params.get(QUERY)
    if not wanted:
        return None
    try:
        state = core.get_session(get_storage(), int(wanted))
    except (ValueError, *user_errors()):
        _remember(None)
        return None
    if state.status != "active":
        _remember(None)
        if state.status == "finished":
            done = f"Session #{state.id} finished: {state.answered} written in the air, {state.skipped} skipped."
            st.session_state[MESSAGE] = ("success", done)
        return None
    _remember(state.id)
    return state


def _start(participant_id: int | None) -> None:
    st.session_state.pop(MESSAGE, None)
    try:
        plan = core.plan_session("custom", int(st.session_state.get("air-collect-repetitions", 1)),
                                 random.randrange(10_000), custom=st.session_state.get("air-collect-chars", ""))  # fmt: skip
        _remember(core.start_session(get_storage(), participant_id, plan).id)
    except user_errors() as exc:
        st.session_state[MESSAGE] = ("error", f"No session was started: {exc}")


def _resume(session_id: int) -> None:
    _step(core.resume, session_id)
    _remember(session_id)


def _pause(session_id: int) -> None:
    _step(core.pause, session_id)
    _remember(None)


def _keep(session: AirSession, item: Recognized, state: core.SessionState) -> None:
    from airtype_core.recognition.features import featurize

    def store(storage, *args):
        features = featurize(item.ink, get_predictor().feature_config)
        return core.answer(storage, *args, item.ink, item.prediction, features=features, source="air")

    _step(store, state.id, state.position)
    session.results.remove(item.id)


def _write_prompt(session: AirSession, char: str) -> None:
    try:
        session.replay_demo(char)
    except ReplayError as exc:
        st.session_state[MESSAGE] = ("error", str(exc))


def collect_form() -> None:
    """In an expander: start a session of characters written in the air, or resume one."""
    with st.expander("Collect in the air: a prompted session", expanded=MESSAGE in st.session_state):
        _form()


def _form() -> None:
    from airtype_core.storage.records import NotFoundError

    person = current_participant()
    try:
        waiting = core.open_sessions(get_storage())
        participant_id = get_storage().find_participant(person.name).id if person else None
    except NotFoundError:  # deleted in another tab
        st.warning(f"{person.name} is no longer a participant (deleted meanwhile); choose another in the sidebar.")
        return
    except user_errors() as exc:
        st.error(str(exc))
        return
    kind, text = st.session_state.get(MESSAGE) or (None, None)
    if kind:
        getattr(st, kind)(text)
    for s in waiting:  # the label stays short (one line in a narrow column); the caption says the rest
        st.caption(f"{s.participant}'s session #{s.id} in the air: {s.position} of {len(s.prompts)} done")
        st.button(f"Resume session #{s.id}", key=f"air-collect-resume-{s.id}", on_click=_resume, args=(s.id,))
    if person is None:
        st.caption("Choose a participant in the sidebar first: every sample of a session is theirs.")
    a, b = st.columns([3, 2])
    a.text_input("Characters to collect", key="air-collect-chars", placeholder="for example: aeg9qy")
    b.number_input("Repetitions", min_value=1, max_value=core.MAX_REPETITIONS, value=1, key="air-collect-repetitions")
    st.button("Start collecting in the air", key="air-collect-start", on_click=_start, args=(participant_id,))


def collect_prompt(session: AirSession, state: core.SessionState) -> None:
    """The prompt, on screen for as long as it is asked, with skip, redo and pause."""
    st.progress(state.progress, text=f"Collecting in the air · {state.participant} · {state.position} of "
                f"{len(state.prompts)} ({state.answered} written, {state.skipped} skipped)")  # fmt: skip
    st.markdown(f'Write in the air: <span class="air-collect-prompt" style="font-size:96px;line-height:1;'
                f'font-family:monospace">{state.current}</span>', unsafe_allow_html=True)  # fmt: skip
    kind, text = st.session_state.get(MESSAGE) or (None, None)
    if kind:
        getattr(st, kind)(text)
    row = button_row("air-collect-steps")
    row.button(
        "Skip", key=f"air-collect-skip-{state.position}", on_click=_step, args=(core.skip, state.id, state.position)
    )
    row.button("Redo the last", key=f"air-collect-redo-{state.position}", on_click=_step,
             args=(core.redo_last, state.id), disabled=state.position == 0)  # fmt: skip
    row.button("Pause", key=f"air-collect-pause-{state.id}", on_click=_pause, args=(state.id,))
    row.button("Demo hand", key=f"air-collect-demo-{state.position}", on_click=_write_prompt,
             args=(session, state.current), help="The demo hand writes the prompt: no camera needed")  # fmt: skip


def collect_answer(session: AirSession, item: Recognized, state: core.SessionState) -> None:
    """The character just written, offered as the prompt's sample."""
    picture, text = st.columns([1, 3])
    picture.image(ink_thumbnail_svg(item.ink), caption="What the tracker wrote")
    with text:
        if item.prediction is not None:
            st.caption(f"The model reads `{item.prediction.char}` ({item.prediction.confidence:.0%}).")
        st.button(f"Keep it as {state.current}", key=f"air-collect-keep-{item.id}", type="primary",
                  on_click=_keep, args=(session, item, state))  # fmt: skip
        st.button("Discard it, write again", key=f"air-collect-discard-{item.id}",
                  on_click=session.results.remove, args=(item.id,))  # fmt: skip
