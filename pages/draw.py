"""Draw page: write a character on the canvas, see what the model reads, confirm or correct it.

Every lift of the pen sends the drawing here and reruns the page, which predicts
from all the strokes so far; storing an answer starts a fresh canvas.
"""

from __future__ import annotations

import streamlit as st

from ui.canvas_reading import CANVAS_AREA, Reading, canvas_paths, pen_canvas, read
from ui.feedback import last_answer_undo, prediction_panel
from ui.layout import beside_canvas
from ui.navigation import enter_through_app

enter_through_app(__file__)

GENERATION = "draw-generation"  # bumped after each stored answer: new canvas, new widgets


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

left, right = beside_canvas("draw")
with left:
    st.space("small")  # room for the canvas toolbar, which floats above it
    canvas = pen_canvas(f"{key}-canvas")
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
        prediction_panel(
            reading.prediction, reading.ink, source="canvas", key=key, on_stored=next_character, area=CANVAS_AREA
        )
