"""Page layouts that must hold at every window width.

    canvas_side, other_side = beside_canvas("draw")   # the canvas never narrower than itself
    row = button_row("collect-steps")                # buttons side by side, each as wide as its label

Streamlit's columns share the width by ratio, so at 1024 px with the sidebar open a
ratio column is narrower than the 320 px canvas (which is then cut) and a quarter
column narrower than "Next" (whose letters then stack). Here the canvas side is as
wide as the canvas, the other side takes what is left and goes below it when too
narrow, and buttons keep their labels on one line and wrap as whole buttons.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.canvas_reading import CANVAS_SIZE

SIDE_MIN_WIDTH = 280  # px: below this the other side goes under the canvas instead of beside it
PROMPT_MIN_WIDTH = 160  # px: a prompted character and its buttons (which wrap) fit in this, beside the canvas


def beside_canvas(key: str, other_min_width: int = SIDE_MIN_WIDTH) -> tuple[DeltaGenerator, DeltaGenerator]:
    """(the canvas's side, the other side), side by side when the other side can be at least
    `other_min_width` px wide, the other side under the canvas otherwise."""
    row = st.container(horizontal=True, gap="large", key=f"{key}-beside-canvas")
    canvas_side = row.container(width=CANVAS_SIZE + 4)
    other_side = row.container()
    # the other side's wrapper (a flex item of the row) may not shrink below its minimum: the row wraps
    st.html(
        f"<style>.st-key-{key}-beside-canvas > div:last-child "
        f"{{ flex: 1 1 {other_min_width}px; min-width: {other_min_width}px; }}</style>"
    )
    return canvas_side, other_side


def button_row(key: str) -> DeltaGenerator:
    """A row for buttons, each as wide as its label; a button that does not fit goes to the next line."""
    return st.container(horizontal=True, gap="small", key=key)
