"""Air writing: from a stream of hand landmarks to finished inks.

    HandFrame (21 landmarks or None, per video frame)
        --(a fingertip jumped from its finger? the frame waits: a misplaced tip is dropped,
           a pose change is taken, back-dated with its own time and points)
        --(pinch ratio, debounced Schmitt trigger, a held lift)--> pen down / up
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

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..recognition.ink import Ink
from ..settings import default
from .gestures import (
    BELIEVED,
    DOUBTED,
    INDEX_TIP,
    NUM_LANDMARKS,
    UNUSABLE,
    PenGesture,
    TipGlitch,
    is_open_hand,
    pinch_ratio,
    to_pixels,
)

STATUS_NO_HAND = "no hand"
STATUS_PEN_UP = "pen up"
STATUS_WRITING = "writing"
STATUS_OPEN_HAND = "open hand"


@dataclass(frozen=True)
class AirConfig:
    """Every threshold of air writing. The defaults are the settings' (`AIRTYPE_AIR_*`,
    `AIRTYPE_ONE_EURO_*`, see settings.py); `from_settings` reads the user's overrides."""

    pause_s: float = default("air_pause_s")  # no pen-down for this long ends the character
    min_cutoff: float = default("one_euro_min_cutoff")  # One Euro: Hz at rest (lower = smoother, more lag)
    beta: float = default("one_euro_beta")  # One Euro: cutoff gained per px/s of speed (higher = less lag when fast)
    d_cutoff: float = default("one_euro_d_cutoff")  # One Euro: Hz for the speed estimate
    pinch_down: float = default("air_pinch_down")  # thumb-index gap / palm size below which the pen goes down
    pinch_up: float = default(
        "air_pinch_up"
    )  # ... and above which it comes up again (the gap between is the hysteresis)
    debounce_frames: int = default("air_debounce_frames")  # consecutive frames a pen change needs
    lift_hold_s: float = default("air_lift_hold_s")  # ... and seconds a pen-up needs: a shorter flicker is no lift
    open_hand_frames: int = default("air_open_hand_frames")  # consecutive open-hand frames that end the character
    glitch_jump: float = default("air_glitch_jump")  # palms the fingertip may move from its last joint in one frame
    glitch_frames: int = default("air_glitch_frames")  # ... and frames such a jump is doubted before it is believed
    min_points: int = default("air_min_points")  # a character with fewer points is a blip
    min_extent: float = default(
        "air_min_extent"
    )  # ... or one whose box is smaller than this fraction of the frame's shorter side

    def __post_init__(self) -> None:
        if not 0 < self.pinch_down < self.pinch_up:
            raise ValueError("need 0 < pinch_down < pinch_up for hysteresis")
        if self.debounce_frames < 1 or self.open_hand_frames < 1 or self.glitch_frames < 0:
            raise ValueError("debounce_frames and open_hand_frames must be at least 1, glitch_frames at least 0")

    @classmethod
    def from_settings(cls, settings: object) -> AirConfig:
        """Read the fields a `Settings` has; the rest keep their defaults."""
        names = {
            "pause_s": "air_pause_s", "min_cutoff": "one_euro_min_cutoff", "beta": "one_euro_beta",
            "d_cutoff": "one_euro_d_cutoff", "pinch_down": "air_pinch_down", "pinch_up": "air_pinch_up",
            "debounce_frames": "air_debounce_frames", "open_hand_frames": "air_open_hand_frames",
            "min_points": "air_min_points", "min_extent": "air_min_extent",
            "glitch_jump": "air_glitch_jump", "glitch_frames": "air_glitch_frames", "lift_hold_s": "air_lift_hold_s",
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


# --- the writer --------------------------------------------------------------------------


class AirWriter:
    """Feed `HandFrame`s in time order; get an `AirEvent` when a character ends.

    Strokes are the smoothed index fingertip while the pen is down, in pixels of
    `frame_size` with the frame time: `[x, y, t]`. Their two ends follow the
    fingertip, not the filter's memory of it: a real index tip jumps toward the
    thumb as a pinch closes and away as it opens, so
    - a pen-down is dated back to the first of its debounce frames and the filter
      restarts there from the raw fingertip (the lagging filter would draw a hook
      from where the tip was before the pinch closed);
    - a pen-up drops the stroke's last points taken while the pinch was opening.
    A frame whose fingertip MediaPipe misplaced (`TipGlitch`) changes nothing: it
    neither lifts the pen nor counts toward an open hand, and the pause clock runs on.
    Not thread-safe: one writer per video stream.
    """

    def __init__(self, config: AirConfig | None = None, frame_size: tuple[int, int] = (640, 480)) -> None:
        self.config = config or AirConfig()
        self.frame_size = (int(frame_size[0]), int(frame_size[1]))
        c = self.config
        self._filter = OneEuroFilter(c.min_cutoff, c.beta, c.d_cutoff)
        self._pen = PenGesture(c.pinch_down, c.pinch_up, c.debounce_frames, c.lift_hold_s)
        self._glitch = TipGlitch(c.glitch_jump, c.glitch_frames)
        self.reset()

    def reset(self) -> None:
        """Forget the character being written (a "clear" button)."""
        self._filter.reset()
        self._pen.reset()
        self._glitch.reset()
        self._held: list[tuple[float, np.ndarray]] = []  # doubted frames (time, (21, 3) px): a glitch, or a pose change
        # the raw fingertip and pinch ratio of the last frames, (x, y, t, ratio): a pen-down starts there
        self._recent: deque[tuple[float, float, float, float]] = deque(maxlen=self.config.debounce_frames + 1)
        self._strokes: list[list[list[float]]] = []  # finished strokes of this character, points [x, y, t]
        self._stroke: list[list[float]] | None = None  # the open stroke while the pen is down, points [x, y, t, ratio]
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
            self._held.clear()
            return self._no_hand(frame.t)
        points = to_pixels(frame.landmarks, self.frame_size)  # (21, 3)
        closes = not self.pen_down and pinch_ratio(points) < self.config.pinch_down
        verdict = self._glitch.check(points, closes_pinch=closes)
        if verdict in (DOUBTED, UNUSABLE):  # the decision waits; only time goes on
            if verdict == DOUBTED:
                self._held.append((frame.t, points))
            if self._stroke is not None:
                self._last_ink_t = frame.t
            return self._end_after_pause(frame.t, "pause")
        # Believed: the doubted frames were the pose changing, and are taken now, back-dated with their
        # own times and points. Trusted: they were a misplaced fingertip, and are dropped.
        held, self._held = (self._held if verdict == BELIEVED else []), []
        events = [self._take(t, p) for t, p in held] + [self._take(frame.t, points)]
        return next((e for e in reversed(events) if e is not None), None)

    def _take(self, t: float, points: np.ndarray) -> AirEvent | None:
        """One believed frame, (21, 3) pixels: the pen, the stroke, the end of a character."""
        ratio = pinch_ratio(points)
        self._recent.append((points[INDEX_TIP, 0], points[INDEX_TIP, 1], t, ratio))

        changed = self._pen.update(ratio, t)
        if changed and self._pen.down:
            # The debounce frames belong to the stroke, filtered afresh from where the fingertip was then.
            self._filter.reset()
            recent = list(self._recent)
            first = next(k for k, p in enumerate(recent) if p[3] < self.config.pinch_down)
            self._stroke = [[*self._filter(ft, (x, y)), ft, r] for x, y, ft, r in recent[first:]]
            tip = np.asarray(self._stroke[-1][:2])
        else:
            tip = self._filter(t, points[INDEX_TIP, :2])
            if changed:  # lifted: the points since the pinch began to open are not ink
                began = self._pen.change_began if self._pen.change_began is not None else t
                self._close_stroke(trim=sum(1 for p in self._stroke or () if p[2] >= began))
            elif self._stroke is not None:
                self._stroke.append([tip[0], tip[1], t, ratio])
        self._cursor = (float(tip[0]), float(tip[1]))
        if self._stroke is not None:
            self._last_ink_t = t

        self._open_streak = self._open_streak + 1 if is_open_hand(points, self.config.pinch_up) else 0
        if self._open_streak >= self.config.open_hand_frames:
            self._status = STATUS_OPEN_HAND
            if self._stroke is not None:
                self._pen.reset()
                self._close_stroke(trim=self.config.open_hand_frames)  # the hand was opening, not writing
            return self._end(t, "open hand") if self._strokes else None

        self._status = STATUS_WRITING if self._stroke is not None else STATUS_PEN_UP
        return self._end_after_pause(t, "pause")

    def flush(self, t: float | None = None, ended_by: str = "flush") -> AirEvent | None:
        """End the character now (end of a recording, a "done" button); None if nothing was written."""
        self._close_stroke(trim=0)
        end_t = self._last_ink_t if t is None else t
        if not self._strokes or end_t is None:
            return None
        return self._end(end_t, ended_by)

    def _no_hand(self, t: float) -> AirEvent | None:
        # A lost hand lifts the pen at once: a stroke must never go on without a fingertip.
        self._close_stroke(trim=0)
        self._pen.reset()
        self._glitch.reset()
        self._filter.reset()  # the hand may come back anywhere
        self._recent.clear()
        self._open_streak = 0
        self._cursor = None
        self._status = STATUS_NO_HAND
        return self._end_after_pause(t, "hand lost")

    def _close_stroke(self, trim: int) -> None:
        """Finish the open stroke, dropping its last `trim` points (taken while the gesture was changing)
        and, before them, the points where the pinch was already opening: the fingertip moves then."""
        if self._stroke is None:
            return
        stroke = self._stroke[: len(self._stroke) - trim] if trim else self._stroke
        c = self.config
        # opening: above the pen-down threshold and above this stroke's own pinch, which a loose one hovers near
        level = float(np.median([p[3] for p in stroke])) + (c.pinch_up - c.pinch_down) if stroke else 0.0
        opening = max(c.pinch_down, level)
        while len(stroke) > 1 and stroke[-1][3] > opening and stroke[-1][3] > stroke[-2][3]:
            stroke = stroke[:-1]
        if stroke:
            self._strokes.append([p[:3] for p in stroke])
        self._stroke = None

    def _end_after_pause(self, t: float, ended_by: str) -> AirEvent | None:
        if (
            self._stroke is None
            and self._strokes
            and self._last_ink_t is not None
            and t - self._last_ink_t >= self.config.pause_s
        ):
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
