"""Draw page: write a character on the canvas, see what the model reads, confirm or correct it.

Every lift of the pen sends the drawing here and reruns the page, which predicts
from all the strokes so far; storing an answer starts a fresh canvas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from airtype_core.recognition.ink import Ink, InkError, from_canvas
from ui.feedback import last_answer_undo, prediction_panel
from ui.navigation import enter_through_app
from ui.resources import Unavailable, get_predictor

enter_through_app(__file__)

if TYPE_CHECKING:
    from airtype_core.recognition.predictor import Prediction

GENERATION = "draw-generation"  # bumped after each stored answer: new canvas, new widgets
PEN_WIDTH = 12  # canvas pixels; a drawing that fits under the pen's tip is a click, not a character


@dataclass(frozen=True, eq=False)
class Reading:
    """What the page made of one state of the canvas."""

    paths: list[Any]  # the canvas paths it was read from, to notice the next stroke or an undo
    ink: Ink | None = None
    prediction: Prediction | None = None
    error: str | None = None


def canvas_paths(json_data: dict | None) -> list[Any]:
    """The strokes on the canvas, compared between reruns to notice a new stroke or an undo."""
    return [o for o in (json_data or {}).get("objects", []) if str(o.get("type", "")).lower() == "path"]


def read(paths: list[Any]) -> Reading:
    try:
        ink = from_canvas({"objects": paths}, min_size=PEN_WIDTH)
        return Reading(paths, ink, get_predictor().predict(ink))
    except InkError as exc:
        return Reading(paths, error=f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
    except Unavailable as exc:
        return Reading(paths, error=str(exc))


def next_character(sample_id: int) -> None:
    st.session_state.pop(f"draw-{st.session_state[GENERATION]}-reading", None)
    st.session_state[GENERATION] += 1


st.title("Draw a character")
st.caption(
    "One character, in as many strokes as you like. Lift the pen and the prediction appears; "
    "the toolbar above the canvas undoes a stroke or clears the canvas."
)
generation = st.session_state.setdefault(GENERATION, 0)
key = f"draw-{generation}"

left, right = st.columns([5, 6], gap="large")
with left:
    st.space("small")  # room for the canvas toolbar, which floats above it
    canvas = st_canvas(
        drawing_mode="freedraw",
        stroke_width=PEN_WIDTH,
        stroke_color="#1b1f29",
        background_color="#ffffff",
        height=320,
        width=320,
        update_streamlit=True,
        key=f"{key}-canvas",
    )
    predict_clicked = st.button("Predict", key=f"{key}-predict")

# Read after the canvas is placed: a first prediction that has to load the model leaves it on screen.
paths = canvas_paths(canvas.json_data)
reading: Reading | None = st.session_state.get(f"{key}-reading")
if not paths:
    reading = None
elif predict_clicked or reading is None or reading.paths != paths:
    reading = read(paths)
st.session_state[f"{key}-reading"] = reading

with right:
    last_answer_undo("canvas")
    if reading is None:
        if predict_clicked:
            st.warning("Draw a character first: the canvas is empty.")
        else:
            st.info("Draw a character on the canvas.")
    elif reading.error:
        st.error(reading.error)
    else:
        prediction_panel(reading.prediction, reading.ink, source="canvas", key=key, on_stored=next_character)
