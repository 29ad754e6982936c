"""Reading an ink for the sidebar's participant, with their memory (their stored answers).

    prediction = read_for_participant(ink, "canvas", (320, 320))   # (width, height) of the writing area

The memory bank (embeddings of stored answers, per process) is created once per
database. Without a participant, with the memory turned off (AIRTYPE_MEMORY=0),
or when the database cannot be reached, the model reads the ink on its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from airtype_core.settings import get_settings
from ui.feedback import current_participant
from ui.resources import get_predictor, get_storage, user_errors

if TYPE_CHECKING:
    from airtype_core.recognition.ink import Ink
    from airtype_core.recognition.predictor import Prediction
    from airtype_core.storage.memory import MemoryBank


@st.cache_resource(show_spinner=False)
def _memory_bank(url: str) -> "MemoryBank":
    from airtype_core.storage.memory import MemoryBank

    return MemoryBank(get_storage())


def read_for_participant(ink: "Ink", source: str, area: tuple[float, float] | None) -> "Prediction":
    """The prediction of `ink`; raises InkError / Unavailable as `predictor.predict` does."""
    from airtype_core.storage.memory import read_with_memory

    predictor = get_predictor()
    person = current_participant()
    bank, participant_id = None, None
    if person is not None and predictor.memory_params is not None:
        try:
            storage = get_storage()
            participant_id = storage.find_participant(person.name).id
            bank = _memory_bank(get_settings().database_url)
        except user_errors():  # not stored yet, or no database: the model reads alone
            bank, participant_id = None, None
    return read_with_memory(predictor, bank, ink, participant_id, source, area)
