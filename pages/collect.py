"""Collect page: a participant's data-collection session, one prompted character at a time.

The session itself (plan, position, answers, pause) lives in the database through
`airtype_core.insight.collection`; this tab only remembers which session it shows
(in session state and in the address, `?session=ID`, so a reload or another tab
picks it up). Each answer is stored as a `prompted` sample with the model's
prediction beside it.
"""

from __future__ import annotations

import random

import streamlit as st

from airtype_core.insight import collection as core
from ui.canvas_reading import CANVAS_AREA, Reading, canvas_paths, pen_canvas, read
from ui.feedback import current_participant
from ui.layout import PROMPT_MIN_WIDTH, beside_canvas, button_row
from ui.navigation import enter_through_app
from ui.resources import get_predictor, get_storage, user_errors

enter_through_app(__file__)

SESSION = "collect-session"  # session_state: the id of the session this tab runs (set by the Stats page too)
MESSAGE = "collect-message"  # session_state: what the last click left to say


def _remember(session_id: int | None) -> None:
    if session_id is None:
        st.session_state.pop(SESSION, None)
        st.query_params.pop("session", None)
    else:
        st.session_state[SESSION] = session_id
        st.query_params["session"] = str(session_id)


def _step(action, *args, **kwargs) -> None:
    """A button's callback: one step of the session; a message instead of an exception."""
    st.session_state.pop(MESSAGE, None)
    try:
        action(get_storage(), *args, **kwargs)
    except core.StaleSessionError as exc:
        st.session_state[MESSAGE] = ("warning", f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
    except user_errors() as exc:
        st.session_state[MESSAGE] = ("error", f"{str(exc)[:1].upper()}{str(exc)[1:]}.")


def _answer(session_id: int, position: int, reading: Reading) -> None:
    from airtype_core.recognition.features import featurize

    def store(storage, *args):
        features = featurize(reading.ink, get_predictor().feature_config)
        return core.answer(storage, *args, reading.ink, reading.prediction, features=features, area=CANVAS_AREA)

    _step(store, session_id, position)


def _start(participant_id: int | None) -> None:
    st.session_state.pop(MESSAGE, None)
    if participant_id is None:
        return  # the form's warning already says to choose a participant
    try:
        storage = get_storage()
        suggested: tuple[str, ...] = ()
        target = st.session_state["collect-target"]
        if target == "suggested":
            from airtype_core.insight.suggestions import suggest
            from airtype_core.settings import get_settings

            reader, threshold = get_predictor(), get_settings().uncertain_threshold
            suggested = suggest(storage, participant_id, reader=reader, threshold=threshold).practice_set
        plan = core.plan_session(
            target, int(st.session_state["collect-repetitions"]), int(st.session_state["collect-seed"]),
            custom=st.session_state.get("collect-custom", ""), suggested=suggested,
        )  # fmt: skip
        _remember(core.start_session(storage, participant_id, plan).id)
    except user_errors() as exc:
        st.session_state[MESSAGE] = ("error", f"No session was started: {exc}")


def _resume(session_id: int) -> None:
    _step(core.resume, session_id)
    _remember(session_id)


def show_message() -> None:
    kind, text = st.session_state.get(MESSAGE) or (None, None)
    if kind:
        getattr(st, kind)(text)


def start_form(storage) -> None:
    from airtype_core.storage.records import NotFoundError

    person = current_participant()
    try:
        waiting = core.open_sessions(storage)
        participant_id = storage.find_participant(person.name).id if person else None
    except NotFoundError:  # deleted in another tab
        st.warning(f"{person.name} is no longer a participant (deleted meanwhile); choose another in the sidebar.")
        person, participant_id = None, None
    except user_errors() as exc:
        st.error(str(exc))
        return
    if waiting:
        st.subheader("Sessions to resume")
        for s in waiting:
            st.button(f"Resume {s.participant}'s session #{s.id}: {s.position} of {len(s.prompts)} done ({s.status})",
                      key=f"collect-resume-{s.id}", on_click=_resume, args=(s.id,))  # fmt: skip
    st.subheader("New session")
    if current_participant() is None:
        st.warning("Choose a participant in the sidebar first: every sample of a session is theirs.")
    target = st.radio("Characters", list(core.TARGETS), format_func=core.TARGETS.get, horizontal=True,
                      key="collect-target")  # fmt: skip
    if target == "custom":
        st.text_input("Characters to collect", key="collect-custom", placeholder="for example: aeg9qy")
    a, b = st.columns(2)
    a.number_input("Repetitions of each character", min_value=0, max_value=core.MAX_REPETITIONS, value=2,
                   key="collect-repetitions")  # fmt: skip
    st.session_state.setdefault("collect-seed", random.randrange(10_000))  # a new order each session, unless set
    b.number_input("Shuffle seed", min_value=0, key="collect-seed")
    show_message()
    st.button(
        "Start the session",
        type="primary",
        key="collect-start",
        on_click=_start,
        args=(participant_id,),
        disabled=participant_id is None,
    )  # the warning above says why


def run(state: core.SessionState) -> None:
    st.progress(state.progress, text=f"{state.participant} · {state.position} of {len(state.prompts)} "
                f"({state.answered} drawn, {state.skipped} skipped)")  # fmt: skip
    key = f"collect-{state.id}-{state.position}"
    left, right = beside_canvas("collect", PROMPT_MIN_WIDTH)  # the prompt stays in sight of the canvas
    with left:
        st.space("small")
        canvas = pen_canvas(f"{key}-canvas")
    paths = canvas_paths(canvas.json_data)
    reading: Reading | None = st.session_state.get(f"{key}-reading")
    if not paths:
        reading = None
    elif reading is None or reading.paths != paths:
        reading = read(paths)
    st.session_state[f"{key}-reading"] = reading
    with right:
        st.caption("Write this character:")
        st.markdown(f'<div class="collect-prompt" style="font-size:140px;line-height:1;font-family:monospace">'
                    f"{state.current}</div>", unsafe_allow_html=True)  # fmt: skip
        if reading is None:
            st.caption("Draw it on the canvas, then press Next.")
        elif reading.error:
            st.error(reading.error)
        else:
            p = reading.prediction
            st.caption(f"The model reads `{p.char}` ({p.confidence:.0%}).")
        show_message()
        row = button_row("collect-steps")
        row.button("Next", type="primary", key=f"{key}-next", disabled=reading is None or reading.ink is None,
                 on_click=_answer, args=(state.id, state.position, reading), shortcut="Ctrl+Enter")  # fmt: skip
        row.button("Skip", key=f"{key}-skip", on_click=_step, args=(core.skip, state.id, state.position))
        row.button("Redo last", key=f"{key}-redo", disabled=state.position == 0, on_click=_step,
                 args=(core.redo_last, state.id))  # fmt: skip
        row.button("Pause", key=f"{key}-pause", on_click=_step, args=(core.pause, state.id))


def summary(storage, state: core.SessionState) -> None:
    try:
        s = core.summarize(storage, state.id)
    except user_errors() as exc:
        st.error(str(exc))
        return
    st.success(f"Session #{state.id} of {state.participant} is {state.status}.")
    a, b, c = st.columns(3)
    a.metric("Model accuracy on these", "—" if s.accuracy is None else f"{s.accuracy:.0%}")
    b.metric("Time per character", "—" if s.mean_ms is None else f"{s.mean_ms / 1000:.1f} s")
    c.metric("Drawn / skipped", f"{s.answered} / {s.skipped}")
    if s.slowest:
        st.markdown("**Slowest:** " + ", ".join(f"`{x.char}` {x.mean_ms / 1000:.1f} s" for x in s.slowest))
    st.markdown("**Most confused:** " + (", ".join(f"`{a}` read as `{p}` {n}×" for a, p, n in s.confusions[:5])
                                          or "nothing: the model read every character right"))  # fmt: skip
    if s.per_char:
        st.dataframe([{"character": x.char, "drawn": x.answered, "read right": x.correct,
                       "seconds": None if x.mean_ms is None else round(x.mean_ms / 1000, 1)} for x in s.per_char],
                     hide_index=True, key="collect-summary-table")  # fmt: skip
    st.button("New session", key="collect-new", on_click=_remember, args=(None,))


st.title("Collect")
if SESSION not in st.session_state and st.query_params.get("session", "").isdigit():
    st.session_state[SESSION] = int(st.query_params["session"])  # a reload, or a link from another tab
try:
    storage = get_storage()
except user_errors() as exc:
    st.error(str(exc))
    st.stop()

state = None
if (session_id := st.session_state.get(SESSION)) is not None:
    try:
        state = core.get_session(storage, session_id)
        st.query_params["session"] = str(session_id)
    except user_errors() as exc:
        st.error(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        _remember(None)

if state is None:
    start_form(storage)
elif state.status in ("finished", "abandoned"):
    summary(storage, state)
elif state.status == "paused":
    st.info(f"{state.participant}'s session #{state.id} is paused at {state.position} of {len(state.prompts)}.")
    show_message()
    a, b, c = st.columns([1, 1, 4])
    a.button("Resume", type="primary", key="collect-resume", on_click=_resume, args=(state.id,))
    b.button("End it here", key="collect-abandon", on_click=_step, args=(core.abandon, state.id))
    c.button("Leave it for later", key="collect-leave", on_click=_remember, args=(None,))
else:
    run(state)
