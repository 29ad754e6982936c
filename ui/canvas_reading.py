"""The canvas that pages draw on, and what the model reads from it.

    canvas = pen_canvas(key)                     # streamlit-drawable-canvas, free-draw, 320 x 320
    reading = read(canvas_paths(canvas.json_data))   # ink + prediction, or a message

Shared by the Draw page and the Collect page, so both turn strokes into ink and
predictions the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airtype_core.recognition.ink import Ink, InkError, from_canvas
from ui.resources import Unavailable
from ui.writer_memory import read_for_participant

if TYPE_CHECKING:
    from airtype_core.recognition.predictor import Prediction

PEN_WIDTH = 12  # canvas pixels; a drawing that fits under the pen's tip is a click, not a character
CANVAS_SIZE = 320
CANVAS_AREA = (float(CANVAS_SIZE), float(CANVAS_SIZE))  # the writing area, in the ink's units (pixels)


def pen_canvas(key: str, size: int = CANVAS_SIZE) -> Any:
    from streamlit_drawable_canvas import st_canvas

    return st_canvas(
        drawing_mode="freedraw",
        stroke_width=PEN_WIDTH,
        stroke_color="#1b1f29",
        background_color="#ffffff",
        height=size,
        width=size,
        update_streamlit=True,
        key=key,
    )


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
        return Reading(paths, ink, read_for_participant(ink, "canvas", CANVAS_AREA))
    except InkError as exc:
        return Reading(paths, error=f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
    except Unavailable as exc:
        return Reading(paths, error=str(exc))
