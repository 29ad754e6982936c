"""AirType: `streamlit run app.py`.

The entry point only declares the pages and draws the sidebar every page shares:
the model in use and the participant whose samples are being recorded. The pages
live in pages/, the logic in airtype_core/, the Streamlit glue in ui/.
"""

from __future__ import annotations

import streamlit as st

from airtype_core.settings import SettingsError, get_settings
from ui.feedback import PARTICIPANT
from ui.navigation import mark_through_app, page_asked_for
from ui.resources import get_predictor, get_storage, predictor_loaded, user_errors

st.set_page_config(page_title="AirType", page_icon="✍️", layout="wide")

PAGES = [
    st.Page("pages/draw.py", title="Draw", icon=":material/draw:", default=True),
    st.Page("pages/air.py", title="Air writing", icon=":material/back_hand:"),
    st.Page("pages/train.py", title="Training", icon=":material/model_training:"),
    st.Page("pages/data.py", title="Data", icon=":material/table_view:"),
    st.Page("pages/stats.py", title="Stats", icon=":material/monitoring:"),
    st.Page("pages/collect.py", title="Collect", icon=":material/assignment:"),
    st.Page("pages/participants.py", title="Participants", icon=":material/group:"),
]


WARM_UP = "warm-up"  # session_state: set once this session has gone past its first view


@st.fragment(run_every=0.5)
def warm_up() -> None:
    """The first view of a fresh process: load the model and open the database only on
    the fragment's first tick, which the browser sends once it shows the page, so
    that importing torch does not hold up the canvas; then rerun the app once, which
    stops the ticks. A first stroke drawn sooner loads them the same way."""
    st.caption("Loading the model…")
    if st.session_state.get(WARM_UP) == "scheduled":
        st.session_state[WARM_UP] = "done"
        try:
            get_predictor()
            get_storage()
        except user_errors():
            pass  # the app's rerun shows the message where it belongs
        st.rerun()
    st.session_state[WARM_UP] = "scheduled"


def model_status() -> None:
    """The model in use, and why it is not the one asked for when loading that failed."""
    try:
        predictor = get_predictor()
    except user_errors() as exc:
        st.error(str(exc))
        return
    st.caption(f"Model in use: `{predictor.version}`")
    if predictor.warning:
        st.warning(predictor.warning)


def choose_participant() -> None:
    """Callback of the participant box: remember who is writing, adding a new name to the database."""
    name = st.session_state.get("participant-name")
    st.session_state.pop("participant-error", None)
    if not name:
        st.session_state[PARTICIPANT] = None
        st.query_params.pop("participant", None)
        return
    try:
        st.session_state[PARTICIPANT] = get_storage().add_participant(name)
    except user_errors() as exc:
        st.session_state[PARTICIPANT] = None
        st.session_state["participant-name"] = None
        st.session_state["participant-error"] = str(exc)


def participant_from_address() -> None:
    """The participant lives in the address too (?participant=NAME), so that a reload (F5),
    which starts a new session, keeps writing under the same name instead of falling back
    to nobody; each run puts it back, since switching pages drops the query parameters."""
    if PARTICIPANT not in st.session_state and (name := st.query_params.get("participant")):
        try:
            st.session_state[PARTICIPANT] = get_storage().find_participant(name)
        except user_errors():
            st.query_params.pop("participant", None)  # deleted meanwhile: nobody, as the box shows
    if (current := st.session_state.get(PARTICIPANT)) is not None:
        st.query_params["participant"] = current.name


def participant_picker() -> None:
    try:
        names = [p.name for p in get_storage().list_participants()]
    except user_errors() as exc:
        names = []
        st.error(str(exc))
    current = st.session_state.get(PARTICIPANT)
    if current is not None and current.name not in names:
        names.append(current.name)  # a recreated database: the name comes back with the next sample
    if current is not None and st.session_state.get("participant-name") is None:
        st.session_state["participant-name"] = current.name  # restored from the address before the box existed
    st.selectbox(
        "Participant",
        sorted(names),
        index=None,
        key="participant-name",
        placeholder="Nobody (type a name to add one)",
        accept_new_options=True,
        on_change=choose_participant,
        help="Samples you store are tagged with this participant. Type a new name and press Enter to add one.",
    )
    if st.session_state.get("participant-error"):
        st.error(st.session_state["participant-error"])


try:
    get_settings()
except SettingsError as exc:  # nothing can work; say which variable is wrong instead of failing later
    st.navigation(PAGES, position="hidden")  # no page is offered (without it, Streamlit lists the files of pages/)
    st.error(
        "**AirType cannot start with these settings.** Change or unset the environment variables "
        "below, then restart `streamlit run app.py`."
    )
    st.code(str(exc), language=None)
    st.stop()

page = st.navigation(PAGES)
mark_through_app()
participant_from_address()
if (asked_for := page_asked_for(PAGES)) is not None:
    st.switch_page(asked_for)  # a first visit to /air or /train on a fresh server, see ui/navigation.py
page.run()  # before the sidebar, so that a first view shows the page before the database is opened
with st.sidebar:
    if WARM_UP not in st.session_state and not predictor_loaded():
        warm_up()
    else:
        model_status()
        participant_picker()
