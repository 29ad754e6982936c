"""Reading an ink for the sidebar's participant, with their memory (their stored answers).

    prediction = read_for_participant(ink, "canvas", (320, 320))   # (width, height) of the writing area
    session.use(reader_for_participant("air"))                      # a predictor for another thread

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
    from airtype_core.recognition.predictor import Prediction, Predictor
    from airtype_core.storage.memory import MemoryBank


@st.cache_resource(show_spinner=False)
def _memory_bank(url: str) -> MemoryBank:
    from airtype_core.storage.memory import MemoryBank

    return MemoryBank(get_storage())


class ParticipantReader:
    """The predictor, reading with one participant's memory. The Air page hands one to its recognizer
    thread, which has no page state of its own to ask who is writing."""

    def __init__(
        self,
        predictor: Predictor,
        bank: MemoryBank | None,
        participant_id: int | None,
        source: str,
        area: tuple[float, float] | None,
    ) -> None:
        self.predictor, self.bank, self.participant_id = predictor, bank, participant_id
        self.source, self.area = source, area

    def predict(self, ink: Ink) -> Prediction:
        from airtype_core.storage.memory import read_with_memory

        return read_with_memory(self.predictor, self.bank, ink, self.participant_id, self.source, self.area)

    def __getattr__(self, name: str):
        return getattr(self.predictor, name)


def reader_for_participant(source: str, area: tuple[float, float] | None = None) -> ParticipantReader:
    """The predictor with the sidebar participant's memory; `area` is the writing area (width, height)
    in the ink's units, None when unknown (the camera's frame: sizes are then compared in its pixels).
    Raises Unavailable as get_predictor does."""
    predictor = get_predictor()
    person = current_participant()
    if person is not None and predictor.memory_params is not None:
        try:
            participant_id = get_storage().find_participant(person.name).id
            return ParticipantReader(predictor, _memory_bank(get_settings().database_url), participant_id, source, area)
        except user_errors():  # not stored yet, or no database: the model reads alone
            pass
    return ParticipantReader(predictor, None, None, source, area)


def read_for_participant(ink: Ink, source: str, area: tuple[float, float] | None) -> Prediction:
    """The prediction of `ink`; raises InkError / Unavailable as `predictor.predict` does."""
    return reader_for_participant(source, area).predict(ink)
