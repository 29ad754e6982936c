"""Air writing: from a stream of hand landmarks to finished inks.

    HandFrame (21 landmarks or None, per video frame)
        --(pinch ratio, debounced Schmitt trigger)--> pen down / up
        --(index fingertip, One Euro filter)-------> smoothed trail in pixels
        --(pause, open hand or lost hand)----------> AirEvent with an `Ink`, or a discarded blip

Pure Python + numpy: no MediaPipe, OpenCV or Streamlit here, so every rule can be
tested with generated landmark sequences (`synthetic_hands.py`) and a recording
can be replayed without a camera (`replay`). The MediaPipe side is `camera.py`.

Coordinates: landmarks arrive as MediaPipe gives them, x and y in [0, 1] of the
image width and height (y down), z relative depth. The writer converts them to
pixels of `frame_size` at once, so distances are isotropic and the One Euro
`beta` (a speed, px/s) means the same on any camera.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

import numpy as np

from ..recognition.ink import Ink
from ..settings import default

# MediaPipe hand landmark indices (https://ai.google.dev/edge/mediapipe/solutions/vision/hand_landmarker)
WRIST, THUMB_IP, THUMB_TIP, INDEX_TIP, MIDDLE_MCP, PINKY_MCP = 0, 3, 4, 8, 9, 17
FINGER_PIP_TIP = ((6, 8), (10, 12), (14, 16), (18, 20))  # index, middle, ring, pinky
NUM_LANDMARKS = 21
HAND_CONNECTIONS = (
    (0, 1), (1, 2), (2, 3), (3, 4),
    (0, 5), (5, 6), (6, 7), (7, 8),
    (5, 9), (9, 10), (10, 11), (11, 12),
    (9, 13), (13, 14), (14, 15), (15, 16),
    (13, 17), (17, 18), (18, 19), (19, 20), (0, 17),
)  # fmt: skip

STATUS_NO_HAND = "no hand"
STATUS_PEN_UP = "pen up"
STATUS_WRITING = "writing"
STATUS_OPEN_HAND = "open hand"

EXTENDED_RATIO = 1.15  # a finger is straight when its tip is this much farther from the wrist than its PIP


@dataclass(frozen=True)
class AirConfig:
    """Every threshold of air writing. The defaults are the settings' (`AIRTYPE_AIR_*`,
    `AIRTYPE_ONE_EURO_*`, see settings.py); `from_settings` reads the user's overrides."""

    pause_s: float = default("air_pause_s")  # no pen-down for this long ends the character
    min_cutoff: float = default("one_euro_min_cutoff")  # One Euro: Hz at rest (lower = smoother, more lag)
    beta: float = default("one_euro_beta")  # One Euro: cutoff gained per px/s of speed (higher = less lag when fast)
    d_cutoff: float = default("one_euro_d_cutoff")  # One Euro: Hz for the speed estimate
    pinch_down: float = default("air_pinch_down")  # thumb-index gap / palm size below which the pen goes down
    pinch_up: float = default("air_pinch_up")  # ... and above which it comes up again (the gap between is the hysteresis)
    debounce_frames: int = default("air_debounce_frames")  # consecutive frames a pen change needs
    open_hand_frames: int = default("air_open_hand_frames")  # consecutive open-hand frames that end the character
    min_points: int = default("air_min_points")  # a character with fewer points is a blip
    min_extent: float = default("air_min_extent")  # ... or one whose box is smaller than this fraction of the frame's shorter side

    def __post_init__(self) -> None:
        if not 0 < self.pinch_down < self.pinch_up:
            raise ValueError("need 0 < pinch_down < pinch_up for hysteresis")
        if self.debounce_frames < 1 or self.open_hand_frames < 1:
            raise ValueError("debounce_frames and open_hand_frames must be at least 1")

    @classmethod
    def from_settings(cls, settings: object) -> "AirConfig":
        """Read the fields a `Settings` has; the rest keep their defaults."""
        names = {
            "pause_s": "air_pause_s", "min_cutoff": "one_euro_min_cutoff", "beta": "one_euro_beta",
            "d_cutoff": "one_euro_d_cutoff", "pinch_down": "air_pinch_down", "pinch_up": "air_pinch_up",
            "debounce_frames": "air_debounce_frames", "open_hand_frames": "air_open_hand_frames",
            "min_points": "air_min_points", "min_extent": "air_min_extent",
        }  # fmt: skip
        found = {ours: getattr(settings, theirs) for ours, theirs in names.items() if hasattr(settings, theirs)}
        return replace(cls(), **found)


@dataclass(frozen=True, eq=False)
class HandFrame:
    """One video frame's hand: `landmarks` (21, 3) x, y in [0, 1] image coords, z depth; None when no hand."""

    t: float  # seconds, any monotonic clock
    landmarks: np.ndarray | None

    def __post_init__(self) -> None:
        if self.landmarks is not None:
            points = np.array(self.landmarks, dtype=np.float64)  # a private, read-only copy
            if points.shape != (NUM_LANDMARKS, 3):
                raise ValueError(f"landmarks must have shape (21, 3), not {points.shape}")
            points.setflags(write=False)
            object.__setattr__(self, "landmarks", points)


@dataclass(frozen=True, eq=False)
class AirEvent:
    """A character has ended. `ink` is None when it was too little to recognize (`discarded` says why)."""

    t: float  # time of the frame that ended it
    ended_by: str  # "pause" | "open hand" | "hand lost" | "flush"
    ink: Ink | None
    discarded: str = ""


# --- smoothing ---------------------------------------------------------------------------


class OneEuroFilter:
    """Casiez, Roussel & Vogel (CHI 2012): a low-pass filter whose cutoff rises with speed.

    At rest the cutoff is `min_cutoff` Hz (jitter is removed); moving fast it grows by
    `beta` Hz per unit/s, so the lag stays small. Every axis of the input is filtered
    on its own; the time step comes from the timestamps, so dropped frames are fine.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0) -> None:
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise ValueError("cutoffs must be positive and beta non-negative")
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    def reset(self) -> None:
        self._t: float | None = None
        self._x = self._dx = np.zeros(0)

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
        tau = 1.0 / (2.0 * np.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, t: float, x: np.ndarray | Sequence[float]) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self._t is None:
            self._t, self._x, self._dx = t, x.copy(), np.zeros_like(x)
            return x.copy()
        dt = t - self._t
        if dt <= 0:  # a repeated or late timestamp carries no new information about speed
            return self._x.copy()
        a_d = self._alpha(self.d_cutoff, dt)
        self._dx = a_d * (x - self._x) / dt + (1 - a_d) * self._dx
        a = self._alpha(self.min_cutoff + self.beta * np.abs(self._dx), dt)
        self._x = a * x + (1 - a) * self._x
        self._t = t
        return self._x.copy()


# --- gestures ----------------------------------------------------------------------------


def to_pixels(landmarks: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """(21, 3) normalized -> (21, 2) pixels of a `(width, height)` frame."""
    return landmarks[:, :2] * np.asarray(frame_size, dtype=np.float64)


def pinch_ratio(points: np.ndarray) -> float:
    """Thumb tip to index tip over wrist to middle MCP (the palm), from (21, 2) pixels.

    Dividing by the palm makes the gesture independent of how far the hand is from the camera.
    """
    palm = np.linalg.norm(points[MIDDLE_MCP] - points[WRIST])
    gap = np.linalg.norm(points[INDEX_TIP] - points[THUMB_TIP])
    return float(gap / palm) if palm > 1e-9 else float("inf")


def is_open_hand(points: np.ndarray, pinch_up: float) -> bool:
    """All five fingers straight: four tips well beyond their PIP joints, the thumb away from the palm."""
    wrist = points[WRIST]
    for pip, tip in FINGER_PIP_TIP:
        if np.linalg.norm(points[tip] - wrist) < EXTENDED_RATIO * np.linalg.norm(points[pip] - wrist):
            return False
    pinky_base = points[PINKY_MCP]
    thumb_out = np.linalg.norm(points[THUMB_TIP] - pinky_base) > np.linalg.norm(points[THUMB_IP] - pinky_base)
    return bool(thumb_out and pinch_ratio(points) > pinch_up)


class PenGesture:
    """A debounced Schmitt trigger: down below `down_below`, up above `up_above`, each after `frames` frames in a row."""

    def __init__(self, down_below: float, up_above: float, frames: int) -> None:
        self.down_below, self.up_above, self.frames = down_below, up_above, frames
        self.reset()

    def reset(self) -> None:
        self.down = False
        self._streak = 0  # frames in a row that asked for the other state

    def update(self, ratio: float) -> bool:
        """Feed one frame's pinch ratio; returns True on the frame the pen state changes."""
        wants_change = ratio > self.up_above if self.down else ratio < self.down_below
        self._streak = self._streak + 1 if wants_change else 0
        if self._streak >= self.frames:
            self.down, self._streak = not self.down, 0
            return True
        return False


# --- the writer --------------------------------------------------------------------------


class AirWriter:
    """Feed `HandFrame`s in time order; get an `AirEvent` when a character ends.

    Strokes are the smoothed index fingertip while the pen is down, in pixels of
    `frame_size` with the frame time: `[x, y, t]`. A pen change is dated back to the
    first of its debounce frames, so the stroke starts where the pinch closed and
    not where it was confirmed. Not thread-safe: one writer per video stream.
    """

    def __init__(self, config: AirConfig | None = None, frame_size: tuple[int, int] = (640, 480)) -> None:
        self.config = config or AirConfig()
        self.frame_size = (int(frame_size[0]), int(frame_size[1]))
        c = self.config
        self._filter = OneEuroFilter(c.min_cutoff, c.beta, c.d_cutoff)
        self._pen = PenGesture(c.pinch_down, c.pinch_up, c.debounce_frames)
        self.reset()

    def reset(self) -> None:
        """Forget the character being written (a "clear" button)."""
        self._filter.reset()
        self._pen.reset()
        self._recent: deque[list[float]] = deque(maxlen=self.config.debounce_frames)  # last smoothed tips
        self._strokes: list[list[list[float]]] = []  # finished strokes of this character
        self._stroke: list[list[float]] | None = None  # the open stroke while the pen is down
        self._last_ink_t: float | None = None  # when the pen was last down
        self._open_streak = 0
        self._cursor: tuple[float, float] | None = None
        self._status = STATUS_NO_HAND

    @property
    def status(self) -> str:
        return self._status

    @property
    def pen_down(self) -> bool:
        return self._stroke is not None

    @property
    def cursor(self) -> tuple[float, float] | None:
        """The smoothed fingertip in pixels, None without a hand."""
        return self._cursor

    @property
    def trail(self) -> tuple[np.ndarray, ...]:
        """The character so far for drawing: one (N, 2) pixel array per stroke, the open one last."""
        strokes = self._strokes + ([self._stroke] if self._stroke else [])
        return tuple(np.asarray(s, dtype=np.float64)[:, :2] for s in strokes if s)

    def update(self, frame: HandFrame) -> AirEvent | None:
        """Take the next frame; returns an event on the frame that ends a character, else None."""
        if frame.landmarks is None:
            return self._no_hand(frame.t)
        points = to_pixels(frame.landmarks, self.frame_size)  # (21, 2)
        tip = self._filter(frame.t, points[INDEX_TIP])
        self._cursor = (float(tip[0]), float(tip[1]))
        self._recent.append([tip[0], tip[1], frame.t])

        changed = self._pen.update(pinch_ratio(points))
        if changed and self._pen.down:
            self._stroke = [list(p) for p in self._recent]  # the debounce frames belong to the stroke
        elif changed:
            self._close_stroke(trim=self.config.debounce_frames - 1)
        elif self._stroke is not None:
            self._stroke.append([tip[0], tip[1], frame.t])
        if self._stroke is not None:
            self._last_ink_t = frame.t

        self._open_streak = self._open_streak + 1 if is_open_hand(points, self.config.pinch_up) else 0
        if self._open_streak >= self.config.open_hand_frames:
            self._status = STATUS_OPEN_HAND
            if self._stroke is not None:
                self._pen.reset()
                self._close_stroke(trim=self.config.open_hand_frames)  # the hand was opening, not writing
            return self._end(frame.t, "open hand") if self._strokes else None

        self._status = STATUS_WRITING if self._stroke is not None else STATUS_PEN_UP
        return self._end_after_pause(frame.t, "pause")

    def flush(self, t: float | None = None, ended_by: str = "flush") -> AirEvent | None:
        """End the character now (end of a recording, a "done" button); None if nothing was written."""
        self._close_stroke(trim=0)
        if not self._strokes:
            return None
        return self._end(self._last_ink_t if t is None else t, ended_by)

    def _no_hand(self, t: float) -> AirEvent | None:
        # A lost hand lifts the pen at once: a stroke must never go on without a fingertip.
        self._close_stroke(trim=0)
        self._pen.reset()
        self._filter.reset()  # the hand may come back anywhere
        self._recent.clear()
        self._open_streak = 0
        self._cursor = None
        self._status = STATUS_NO_HAND
        return self._end_after_pause(t, "hand lost")

    def _close_stroke(self, trim: int) -> None:
        """Finish the open stroke, dropping its last `trim` points (taken while the gesture was changing)."""
        if self._stroke is None:
            return
        stroke = self._stroke[: len(self._stroke) - trim] if trim else self._stroke
        if stroke:
            self._strokes.append(stroke)
        self._stroke = None

    def _end_after_pause(self, t: float, ended_by: str) -> AirEvent | None:
        if self._stroke is None and self._strokes and t - self._last_ink_t >= self.config.pause_s:
            return self._end(t, ended_by)
        return None

    def _end(self, t: float, ended_by: str) -> AirEvent:
        strokes, self._strokes = self._strokes, []
        reason = self._too_little(strokes)
        return AirEvent(t, ended_by, None if reason else Ink.from_strokes(strokes), reason)

    def _too_little(self, strokes: list[list[list[float]]]) -> str:
        xy = np.array([p[:2] for s in strokes for p in s])  # (N, 2)
        if len(xy) < self.config.min_points:
            return f"too little ink: {len(xy)} points, at least {self.config.min_points} needed"
        extent = float(np.ptp(xy, axis=0).max())
        needed = self.config.min_extent * min(self.frame_size)
        if extent < needed:
            return f"too small: {extent:.0f} px across, at least {needed:.0f} px needed"
        return ""


def replay(
    frames: Iterable[HandFrame], config: AirConfig | None = None, frame_size: tuple[int, int] = (640, 480)
) -> list[Ink]:
    """Run a recorded landmark sequence through a fresh `AirWriter`; the last character is flushed."""
    writer = AirWriter(config, frame_size)
    events = [writer.update(frame) for frame in frames] + [writer.flush()]
    return [e.ink for e in events if e is not None and e.ink is not None]


# --- recordings --------------------------------------------------------------------------

RECORDING_FORMAT = "airtype-hand-frames/1"


def frames_to_json(frames: Sequence[HandFrame], frame_size: tuple[int, int] = (640, 480), decimals: int = 4) -> str:
    """A compact recording: per frame `[t, [x0, y0, z0, x1, ...]]` or `[t, null]`, landmarks rounded to `decimals`."""
    rows = [
        [round(f.t, 4), None if f.landmarks is None else [round(float(v), decimals) for v in f.landmarks.ravel()]]
        for f in frames
    ]
    payload = {"format": RECORDING_FORMAT, "frame_size": list(frame_size), "frames": rows}
    return json.dumps(payload, separators=(",", ":"))


def frames_from_json(text: str) -> tuple[list[HandFrame], tuple[int, int]]:
    """Read `frames_to_json` output back: (frames, frame_size)."""
    payload = json.loads(text)
    if payload.get("format") != RECORDING_FORMAT:
        raise ValueError(f"not an {RECORDING_FORMAT} recording")
    frames = [
        HandFrame(float(t), None if flat is None else np.asarray(flat, dtype=np.float64).reshape(NUM_LANDMARKS, 3))
        for t, flat in payload["frames"]
    ]
    width, height = payload["frame_size"]
    return frames, (int(width), int(height))
