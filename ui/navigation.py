"""Every page runs inside app.py's navigation, even when its address is the first thing a
fresh server is asked for.

Until app.py has run once, Streamlit takes the pages/ folder for its older folder
navigation: a bookmarked /air on a server just started would run pages/air.py
alone, without the shared sidebar (model in use, participant) and with a menu of
file names. `enter_through_app` sends such a visit through app.py, which then
opens the page that was asked for.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

THROUGH_APP = "through-app"  # session_state: app.py has run in this session
ASKED_FOR = "asked-for-page"  # session_state: the page a direct visit wanted


def mark_through_app() -> None:
    """app.py, before it runs the page."""
    st.session_state[THROUGH_APP] = True


def enter_through_app(page_file: str) -> None:
    """First line of every page: a no-op when app.py runs the page."""
    if not st.session_state.get(THROUGH_APP):
        st.session_state[ASKED_FOR] = Path(page_file).stem
        st.switch_page("app.py")


def page_asked_for(pages: list[st.Page]) -> st.Page | None:
    """The page a direct visit wanted (once), for app.py to switch to."""
    wanted = st.session_state.pop(ASKED_FOR, None)
    return next((p for p in pages if p.url_path == wanted), None)
