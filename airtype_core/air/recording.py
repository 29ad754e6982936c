"""Landmark recordings: a session's hand frames saved as JSON, read back to replay them.

    frames_to_json(frames, frame_size)  -> text   # what "Download the recording" saves
    frames_from_json(text or bytes)     -> (frames, frame_size), or RecordingError

A recording holds what MediaPipe saw, not the ink: replayed through a fresh
`AirWriter` it gives the same characters, so a person can send in the hand that
went wrong, and the project can keep real hands as test data.

Format `airtype-hand-frames/1`: {"format", "frame_size": [width, height],
"frames": [[t, [x0, y0, z0, x1, ...] or null], ...]}, landmarks normalized as MediaPipe gives them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np

from .gestures import NUM_LANDMARKS
from .hand_tracking import HandFrame

RECORDING_FORMAT = "airtype-hand-frames/1"
MAX_RECORDING_BYTES = 20_000_000  # about two hours of 30 fps landmarks; anything bigger is not a recording
MAX_FRAME_SIDE = 8192  # pixels: larger than any webcam's frame
MAX_FRAMES = 250_000


class RecordingError(ValueError):
    """A file that is not a readable recording; the message is meant for a person."""


def frames_to_json(frames: Sequence[HandFrame], frame_size: tuple[int, int] = (640, 480), decimals: int = 4) -> str:
    """A compact recording: per frame `[t, [x0, y0, z0, x1, ...]]` or `[t, null]`, landmarks rounded to `decimals`."""
    rows = [
        [round(f.t, 4), None if f.landmarks is None else [round(float(v), decimals) for v in f.landmarks.ravel()]]
        for f in frames
    ]
    payload = {"format": RECORDING_FORMAT, "frame_size": [int(frame_size[0]), int(frame_size[1])], "frames": rows}
    return json.dumps(payload, separators=(",", ":"))


def frames_from_json(data: str | bytes) -> tuple[list[HandFrame], tuple[int, int]]:
    """Read `frames_to_json` output back: (frames, frame_size). Anything else raises `RecordingError`."""
    if len(data) > MAX_RECORDING_BYTES:
        raise RecordingError(
            f"The file is {len(data) / 1e6:.0f} MB; a hand-landmark recording is at most "
            f"{MAX_RECORDING_BYTES / 1e6:.0f} MB (about two hours of video)."
        )
    try:
        payload = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise RecordingError("The file is not JSON: choose a recording saved by the Air writing page.") from None
    if not isinstance(payload, dict):
        raise RecordingError(
            f"The file holds a JSON {type(payload).__name__ if payload is not None else 'null'}, not a recording: "
            'a recording is one JSON object with "format", "frame_size" and "frames".'
        )
    if payload.get("format") != RECORDING_FORMAT:
        raise RecordingError(f'Not a hand-landmark recording: its "format" is not {RECORDING_FORMAT!r}.')
    return _frames(payload.get("frames")), _frame_size(payload.get("frame_size"))


def _frame_size(value: object) -> tuple[int, int]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
        or not all(16 <= v <= MAX_FRAME_SIDE for v in value)
    ):
        raise RecordingError(
            f'The recording\'s "frame_size" must be [width, height] in pixels, each from 16 to {MAX_FRAME_SIDE}; '
            f"it is {json.dumps(value)[:60]}."
        )
    return int(value[0]), int(value[1])


def _frames(rows: object) -> list[HandFrame]:
    if not isinstance(rows, list) or not rows:
        raise RecordingError('The recording has no "frames".')
    if len(rows) > MAX_FRAMES:
        raise RecordingError(f"The recording has {len(rows)} frames; at most {MAX_FRAMES} are replayed.")
    frames, last_t = [], -math.inf
    for n, row in enumerate(rows, start=1):
        try:
            t, flat = row
            t = float(t)
            landmarks = None if flat is None else np.asarray(flat, dtype=np.float64).reshape(NUM_LANDMARKS, 3)
        except (TypeError, ValueError):
            raise RecordingError(f"Frame {n} of the recording is not [time, 63 numbers or null].") from None
        if not math.isfinite(t) or t < last_t or (landmarks is not None and not np.isfinite(landmarks).all()):
            raise RecordingError(f"Frame {n} of the recording has a time or landmark that is not a number in order.")
        frames.append(HandFrame(t, landmarks))
        last_t = t
    return frames
