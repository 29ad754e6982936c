"""Participants page: add, rename, and delete a participant with their samples; reset their memory.

Deleting asks first and says how many samples go with the participant; their
collection sessions go too (a tab still showing one says it no longer exists).
"""

from __future__ import annotations

import streamlit as st

from ui.feedback import PARTICIPANT
from ui.navigation import enter_through_app
from ui.resources import get_storage, user_errors

enter_through_app(__file__)

MESSAGE = "participants-message"


def _say(kind: str, text: str) -> None:
    st.session_state[MESSAGE] = (kind, text)


def _add() -> None:
    name = st.session_state.get("participants-new", "").strip()
    try:
        if name in {p.name for p in get_storage().list_participants()}:
            _say("warning", f"{name} already exists: nothing was added.")
            return
        person = get_storage().add_participant(name)
        _say("success", f"{person.name} is a participant.")
        st.session_state["participants-new"] = ""
    except user_errors() as exc:
        _say("error", f"Not added: {exc}")


def _rename(participant_id: int, old: str) -> None:
    try:
        person = get_storage().rename_participant(
            participant_id, st.session_state.get(f"participants-rename-{participant_id}", "")
        )
        current = st.session_state.get(PARTICIPANT)
        if current is not None and current.name == old:  # the sidebar follows the new name
            st.session_state[PARTICIPANT] = person
            st.session_state["participant-name"] = person.name
            st.query_params["participant"] = person.name
        _say("success", f"{old} is now {person.name}.")
    except user_errors() as exc:
        _say("error", f"Not renamed: {exc}")


def _delete(participant_id: int, name: str) -> None:
    try:
        deleted = get_storage().delete_participant(participant_id)
        current = st.session_state.get(PARTICIPANT)
        if current is not None and current.name == name:
            st.session_state[PARTICIPANT] = None
            st.session_state["participant-name"] = None
            st.query_params.pop("participant", None)
        _say("success", f"{name} and their {deleted} sample{'s' if deleted != 1 else ''} were deleted.")
    except user_errors() as exc:
        _say("error", f"Nothing was deleted: {exc}")
    st.session_state.pop("participants-confirm", None)


def _reset_memory(participant_id: int, name: str) -> None:
    from airtype_core.storage.memory import reset_memory

    try:
        forgotten = reset_memory(get_storage(), participant_id)
        _say(
            "success",
            f"{name}'s memory starts empty again ({forgotten} answer{'s' if forgotten != 1 else ''} "
            "no longer count; the samples are kept).",
        )
    except user_errors() as exc:
        _say("error", f"The memory was not reset: {exc}")


st.title("Participants")
kind, text = st.session_state.pop(MESSAGE, None) or (None, None)
if kind:
    getattr(st, kind)(text)
try:
    storage = get_storage()
    people = [(p, storage.participant_sample_count(p.id)) for p in storage.list_participants()]
except user_errors() as exc:
    st.error(str(exc))
    st.stop()


def _memory_row(person) -> None:
    from airtype_core.storage.memory import memory_size

    held = memory_size(storage, person.id)
    a, b = st.columns([4, 1], vertical_alignment="center")
    a.caption(
        f"Memory: {held} stored answer{'s' if held != 1 else ''} change{'s' if held == 1 else ''} "
        f"{person.name}'s next predictions."
    )
    b.button(
        "Reset memory",
        key=f"participants-memory-{person.id}",
        disabled=held == 0,
        on_click=_reset_memory,
        args=(person.id, person.name),
    )


with st.form("participants-add", clear_on_submit=False, border=False):
    a, b = st.columns([4, 1], vertical_alignment="bottom")
    a.text_input("New participant", key="participants-new", max_chars=100)
    b.form_submit_button("Add", on_click=_add)

if not people:
    st.info("No participants yet. Add one here, or type a name in the sidebar's Participant box.")
for person, count in people:
    with st.expander(f"{person.name} · {count} sample{'s' if count != 1 else ''}"):
        a, b = st.columns([4, 1], vertical_alignment="bottom")
        a.text_input("New name", value=person.name, key=f"participants-rename-{person.id}", max_chars=100)
        b.button(
            "Rename", key=f"participants-rename-button-{person.id}", on_click=_rename, args=(person.id, person.name)
        )
        _memory_row(person)
        if st.session_state.get("participants-confirm") == person.id:
            st.warning(
                f"Delete {person.name} and their {count} sample{'s' if count != 1 else ''}? "
                "Their handwriting is erased, with every copy kept for undo: this cannot be undone."
            )
            c, d = st.columns([1, 4])
            c.button(f"Delete {count} sample{'s' if count != 1 else ''}", type="primary",
                     key=f"participants-yes-{person.id}", on_click=_delete, args=(person.id, person.name))  # fmt: skip
            d.button("Keep them", key=f"participants-no-{person.id}",
                     on_click=lambda: st.session_state.pop("participants-confirm", None))  # fmt: skip
        else:
            st.button("Delete…", key=f"participants-delete-{person.id}",
                      on_click=lambda pid=person.id: st.session_state.update({"participants-confirm": pid}))  # fmt: skip
