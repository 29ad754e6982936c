"""The answer loop shared by every input page: show a prediction, let the user confirm or correct it, store it.

    prediction_panel(prediction, ink, source="canvas", key=f"draw-{n}", on_stored=next_character)

renders the predicted character, its calibrated confidence, the uncertain flag,
the top-5 as a bar chart and the inference time, then a confirm button and a
correction box (the 62 characters; type to filter, or type anything and press
Enter). Either action stores the ink with `Storage.save_sample`, tagged with
the sidebar's participant; a toast says so and `on_stored(sample_id)` runs, in
the widget callback, so the caller can clear its input before the page reruns.

When storing fails (database locked or gone, a label outside the 62 classes)
the message is shown under the prediction, nothing is stored, and the same
click or choice can simply be repeated.

Every widget key starts with `key`: give each new ink a new key so the
correction box starts empty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from airtype_core.recognition.charset import CLASSES
from ui.resources import get_predictor, get_storage, user_errors

if TYPE_CHECKING:
    from airtype_core.recognition.ink import Ink
    from airtype_core.recognition.predictor import Prediction
    from airtype_core.storage.records import ParticipantInfo

PARTICIPANT = "participant"  # session_state: the sidebar's ParticipantInfo, or None for nobody
LAST_ANSWER = "last-answer"  # session_state: (sample id, character, source) of the last answer stored


def current_participant() -> ParticipantInfo | None:
    return st.session_state.get(PARTICIPANT)


def prediction_panel(
    prediction: Prediction,
    ink: Ink,
    *,
    source: str = "canvas",
    key: str,
    on_stored: Callable[[int], None] | None = None,
    area: tuple[float, float] | None = None,
) -> None:
    """Show `prediction` of `ink` with confirm / correct controls (see the module docstring)."""
    st.markdown(f"### Prediction: `{prediction.char}`")
    strokes = len(ink.strokes)
    st.markdown(
        f"Confidence **{prediction.confidence:.0%}** · {strokes} stroke{'s' if strokes != 1 else ''} · "
        f"{prediction.inference_ms:.0f} ms"
    )
    st.caption(f"Model `{prediction.model_version}`")
    notice = st.container()  # always there, so the elements below keep their places and update, not rebuild
    if prediction.uncertain:
        notice.warning(
            f"Not sure: `{prediction.char}` is only {prediction.confidence:.0%} likely. Check the alternatives."
        )
    st.plotly_chart(_top5_figure(prediction), key=f"{key}-top5", config={"displayModeBar": False, "staticPlot": True})

    error = st.session_state.get(f"{key}-error")
    failure = st.container()  # the same fixed slot for a storing error
    if error:
        failure.error(error)
    answer = (prediction, ink, source, key, on_stored, area)
    st.button(
        f"Yes, it is {prediction.char}",
        key=f"{key}-confirm",
        type="primary",
        icon=":material/check:",
        shortcut="Ctrl+Enter",
        on_click=_store,
        args=(*answer, prediction.char),
    )
    st.selectbox(
        "Not right? Type or pick the character you wrote",
        CLASSES,
        index=None,
        key=f"{key}-fix",
        placeholder="Type a character and press Enter",
        accept_new_options=True,  # a typed character is taken as is, and checked when stored
        on_change=_store_correction,
        args=answer,
    )


def _top5_figure(prediction: Prediction):
    import plotly.graph_objects as go

    chars = [f"{c} " for c, _ in prediction.alternatives][::-1]  # a trailing space keeps "1" a label, not a number
    probs = [p for _, p in prediction.alternatives][::-1]
    figure = go.Figure(
        go.Bar(
            x=probs,
            y=chars,
            orientation="h",
            text=[f"{p:.0%}" for p in probs],
            textposition="auto",
            marker_color=["#3358d4" if i == len(probs) - 1 else "#a9b8ee" for i in range(len(probs))],
        )
    )
    figure.update_layout(
        height=190,
        margin=dict(l=10, r=10, t=24, b=10),
        title=dict(text="Top 5", font=dict(size=14)),
        xaxis=dict(range=[0, 1], tickformat=".0%", showgrid=False),
        yaxis=dict(type="category", tickfont=dict(family="monospace", size=16)),
    )
    return figure


def _store_correction(prediction, ink, source, key, on_stored, area) -> None:
    actual = st.session_state.get(f"{key}-fix")
    if actual is not None:
        _store(prediction, ink, source, key, on_stored, area, actual)


def _store(prediction, ink, source, key, on_stored, area, actual) -> None:
    """Widget callback: store the answer `actual`, or leave a message for the panel."""
    from airtype_core.recognition.features import featurize
    from airtype_core.storage.records import NewSample

    if st.session_state.get(f"{key}-stored") is not None:
        return  # one answer per character: a second callback (Enter after a click) must not store twice
    try:
        storage = get_storage()
        participant = current_participant()
        # By name, not by the id remembered in the session: if the database was
        # recreated meanwhile, the participant comes back instead of a broken reference.
        participant_id = storage.add_participant(participant.name).id if participant else None
        sample_id = storage.save_sample(
            NewSample.from_prediction(
                ink,
                prediction,
                actual,
                source=source,
                features=featurize(ink, get_predictor().feature_config),
                participant_id=participant_id,
                area=area,
            )
        )
    except user_errors() as exc:
        st.session_state[f"{key}-error"] = f"Not stored: {exc}"
        st.session_state[f"{key}-fix"] = None  # so that choosing the same character again retries
        return
    st.session_state.pop(f"{key}-error", None)
    st.session_state[f"{key}-stored"] = sample_id
    st.session_state[LAST_ANSWER] = (sample_id, actual, source)
    verb = "Confirmed" if actual == prediction.char else f"Corrected {prediction.char} →"
    st.toast(f"{verb} {actual}: stored as sample #{sample_id}", icon=":material/check_circle:")
    if on_stored is not None:
        on_stored(sample_id)


def last_answer_undo(source: str) -> None:
    """A button that takes back the last answer stored from this page (`source`), logged like any delete."""
    last = st.session_state.get(LAST_ANSWER)
    if not last or last[2] != source:
        return
    sample_id, char, _ = last
    st.button(
        f"Undo: take back the last answer ({char}, sample #{sample_id})",
        key=f"undo-answer-{sample_id}",
        icon=":material/undo:",
        on_click=_take_back,
        args=(sample_id, char),
    )


def _take_back(sample_id: int, char: str) -> None:
    try:
        gone = get_storage().delete([sample_id])
    except user_errors() as exc:
        st.toast(f"Not taken back: {exc}", icon=":material/error:")
        return
    st.session_state.pop(LAST_ANSWER, None)
    st.toast(
        f"Taken back: sample #{sample_id} ({char})" if gone else f"Sample #{sample_id} was already gone",
        icon=":material/undo:",
    )
