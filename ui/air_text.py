"""What the Air-writing page says about the camera, the hand and the last character, worked out
from the stream's and the tracker's state where it can be tested without a browser."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from airtype_core.air.hand_tracking import (
    STATUS_NO_HAND,
    STATUS_OPEN_HAND,
    STATUS_WRITING,
)

if TYPE_CHECKING:
    from airtype_core.air.camera import AirView

    from .air_worker import StreamStats


@dataclass(frozen=True)
class Notice:
    kind: str  # "info" | "success" | "warning" | "error": how the page shows it
    text: str


CAMERA_ERRORS = (  # the video component shows the browser's error by name; the page says what to do
    "If the video box then shows **NotAllowedError**, the browser blocked the camera: allow it for this page "
    "(the camera icon in the address bar) and press START again. **NotFoundError** or **NotReadableError**: "
    "no camera is free; plug one in or close the program using it. The replay demo below needs no camera."
)


BROWSER_CAMERA_ERRORS = {  # the browser's name for why START failed -> what happened and what to do, in words
    "NotFoundError": "No camera was found: this computer has none, or the browser cannot see it. "
    "Plug one in and press START again, or use the replay demo below, which needs no camera.",
    "NotReadableError": "The camera is busy: another program (a video call?) is using it. "
    "Close that program and press START again, or use the replay demo below.",
    "NotAllowedError": "The browser blocked the camera for this page. Allow it (the camera icon in the "
    "address bar) and press START again, or use the replay demo below.",
    "OverconstrainedError": "The camera cannot give the video asked for. Try another camera, or the replay demo below.",
}


def camera_notice(
    playing: bool, signalling: bool, stats: StreamStats, view: AirView, pause_s: float, camera_error: str = ""
) -> Notice:
    """The one message that tells the person what to do next, from the stream's state and the tracker's.

    `camera_error` is the browser's name of the error that stopped the last START ("" if none).
    """
    if stats.error:
        return Notice("error", f"Hand tracking cannot run: {stats.error}")
    if signalling and not playing:
        return Notice("info", "Connecting to the camera…")
    if not playing and camera_error:
        reason = BROWSER_CAMERA_ERRORS.get(
            camera_error, "The camera could not be opened. Press START to try again, or use the replay demo below."
        )
        return Notice("error", f"{reason} (The browser said {camera_error}.)")
    if not playing:
        return Notice("info", "Press START and allow the camera.")
    if stats.frames == 0:
        return Notice("info", "Connected: waiting for the first video frames…")
    if stats.starting:
        return Notice("info", "Starting hand tracking…")
    if view.status == STATUS_NO_HAND and view.trail:
        return Notice(
            "warning",
            f"Hand lost mid-character: bring it back within {pause_s:g} s to go on writing, "
            "or the character ends with what was written.",
        )
    if view.status == STATUS_NO_HAND:
        return Notice(
            "warning", "No hand in view: hold one hand up, palm toward the camera, about an arm's length away."
        )
    if view.status == STATUS_WRITING:
        return Notice("success", "Writing: release the pinch to lift the pen.")
    if view.status == STATUS_OPEN_HAND:
        return Notice("info", "Open hand: character finished. Pinch to start the next one.")
    if view.trail:
        return Notice("info", f"Pen up: pinch for another stroke, or open your hand (or wait {pause_s:g} s) to finish.")
    return Notice("info", "Hand found, pen up: pinch thumb and index to write.")


def last_character_note(view: AirView) -> str:
    """Why the last gesture gave no character, or that the hand leaving ended one; "" when there is nothing to say."""
    last = view.last_event
    if last is not None and last.ink is None:
        return f"Last gesture ignored, {last.discarded}."
    if last is not None and last.ended_by == "hand lost":
        return "The last character ended when the hand left the view."
    return ""


def counters_note(stats: StreamStats) -> str:
    if not stats.frames:
        return ""
    return (
        f"{stats.frames} frames processed · hand tracking ran on {stats.tracked}, "
        f"found a hand in {stats.hands} · {stats.frame_ms:.0f} ms per frame"
    )
