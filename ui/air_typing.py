"""Typing in the air: the Air page's text line above the answers.

Each confirmed (or corrected) character is appended to the line; a swipe of the
open hand to the left deletes the last character, to the right types a space.
Swipes come through the answers' queue (`Results`), so a space swiped after two
characters lands after them even while they wait for their answers. The line
lives in this browser session; `st.code` shows it with a copy button.
"""

from __future__ import annotations

import streamlit as st

from airtype_core.air.swipes import SWIPE_LEFT, SWIPE_RIGHT
from ui.air_worker import AirSession, Recognized
from ui.feedback import LAST_ANSWER

TYPED = "air-typed"  # session_state: the line typed so far
MAX_TYPED = 500  # characters kept; the oldest give way


def typed() -> str:
    return st.session_state.get(TYPED, "")


def type_text(text: str) -> None:
    st.session_state[TYPED] = (typed() + text)[-MAX_TYPED:]


def type_last_answer() -> None:
    """After an answer was stored (a widget callback): append the character it was stored as."""
    last = st.session_state.get(LAST_ANSWER)
    if last:
        type_text(last[1])


def is_swipe(item: Recognized) -> bool:
    return item.ink is None and item.ended_by in (SWIPE_LEFT, SWIPE_RIGHT)


def apply_swipes(session: AirSession, pending: tuple[Recognized, ...]) -> tuple[Recognized, ...]:
    """Carry out the swipes at the head of the answers (all characters before them are answered);
    returns the answers still waiting."""
    waiting = list(pending)
    while waiting and is_swipe(waiting[0]):
        swipe = waiting.pop(0)
        st.session_state[TYPED] = typed()[:-1] if swipe.ended_by == SWIPE_LEFT else typed() + " "
        session.results.remove(swipe.id)
    return tuple(waiting)


def typed_line() -> None:
    """The line, copyable, with a button that clears it."""
    st.caption(
        "Typed in the air: each character you confirm is added. Swipe an open hand **right** for a space, "
        "**left** to delete the last character."
    )
    st.code(typed() or " ", language=None)
    if typed():
        st.button("Clear the line", key="air-typed-clear", icon=":material/backspace:", on_click=_clear)


def _clear() -> None:
    st.session_state[TYPED] = ""
