"""A pinch fitted to one hand and one camera: pinch, open, pinch, and the pen thresholds that follow.

    calibration = PinchCalibration()
    for frame in frames: calibration.update(frame)   # the page shows calibration.prompt meanwhile
    thresholds = calibration.result()                 # PinchThresholds, or CalibrationError

The person holds each pose for `step_s` seconds, in the order of `STEPS`; the
first `settle_s` of each step are the hand moving into it and are not used. A
loose pinch shows a gap of 0.2-0.3 palms, a firm one 0.05; a camera seen from
the side shrinks an open one: the thresholds are put between this hand's own
pinch (its usual highest gap, so that a pinch hovering near it stays down) and
its own open gap, with the hysteresis between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .gestures import pinch_ratio, to_pixels
from .hand_tracking import HandFrame

STEPS = ("pinch", "open", "pinch")
STEP_S = 1.5  # seconds each pose is held
SETTLE_S = 0.4  # ... of which the first are the hand getting there
MIN_FRAMES = 5  # frames with a hand each step needs
MIN_SPREAD = 0.15  # palms between the pinch and the open hand below which they cannot be told apart
DOWN_AT, UP_AT = 0.2, 0.45  # where between the pinch (0) and the open hand (1) the pen goes down, and up
PROMPTS = {
    "pinch": "Pinch thumb and index together, as you do to write, and hold still.",
    "open": "Open the pinch: thumb and index apart, as between two strokes.",
}


class CalibrationError(ValueError):
    """The calibration did not see what it needs; the message says what to do."""


@dataclass(frozen=True)
class PinchThresholds:
    """Pinch ratios (thumb-index gap over the palm): the pen goes down below `down` and up above `up`."""

    down: float
    up: float
    pinch: float  # this hand's pinch (its usual highest gap while pinched)
    open: float  # ... and its open pinch (its usual lowest gap while open)

    def __post_init__(self) -> None:
        if not 0 < self.down < self.up < 2:
            raise ValueError(f"need 0 < down < up < 2, got down={self.down}, up={self.up}")


def thresholds_from(pinched: list[float], opened: list[float]) -> PinchThresholds:
    """Thresholds from the pinch ratios seen while pinched and while open; `CalibrationError` if they overlap."""
    for name, ratios in (("pinch", pinched), ("open", opened)):
        if len(ratios) < MIN_FRAMES:
            raise CalibrationError(
                f"The hand was seen in {len(ratios)} frames of the '{name}' step; {MIN_FRAMES} are needed. "
                "Keep the whole hand in view, palm toward the camera, and calibrate again."
            )
    pinch = float(np.percentile(pinched, 80))  # a loose pinch's usual top, not its rare flicker
    open_ = float(np.percentile(opened, 20))
    if open_ - pinch < MIN_SPREAD:
        raise CalibrationError(
            f"The pinch ({pinch:.2f}) and the open hand ({open_:.2f}) looked alike to the camera. "
            "Touch thumb and index firmly for 'pinch', spread them wide for 'open', and calibrate again."
        )
    spread = open_ - pinch
    up = min(pinch + UP_AT * spread, 1.95)
    return PinchThresholds(down=round(pinch + DOWN_AT * spread, 3), up=round(up, 3), pinch=pinch, open=open_)


class PinchCalibration:
    """Collects the pinch ratio of each step from the frames; the clock starts with the first hand seen."""

    def __init__(self, frame_size: tuple[int, int] = (640, 480), step_s: float = STEP_S, settle_s: float = SETTLE_S):
        self.frame_size, self.step_s, self.settle_s = frame_size, step_s, settle_s
        self._start: float | None = None
        self._now: float | None = None
        self._ratios: list[list[float]] = [[] for _ in STEPS]

    @property
    def step(self) -> int | None:
        """Index in `STEPS` of the pose asked for now; None before the first hand; len(STEPS) when done."""
        if self._start is None or self._now is None:
            return None
        return min(int((self._now - self._start) // self.step_s), len(STEPS))

    @property
    def done(self) -> bool:
        return self.step == len(STEPS)

    @property
    def prompt(self) -> str:
        step, start, now = self.step, self._start, self._now
        if step is None or start is None or now is None:
            return "Hold your hand up in front of the camera, palm toward it."
        if step == len(STEPS):
            return "Done."
        left = self.step_s - (now - start - step * self.step_s)
        return f"Step {step + 1} of {len(STEPS)}: {PROMPTS[STEPS[step]]} ({left:.1f} s)"

    def update(self, frame: HandFrame) -> None:
        if frame.landmarks is None or self.done:
            return
        if self._start is None:
            self._start = frame.t
        self._now = frame.t
        step = self.step
        if step is None or step >= len(STEPS) or frame.t - self._start - step * self.step_s < self.settle_s:
            return
        self._ratios[step].append(pinch_ratio(to_pixels(frame.landmarks, self.frame_size)))

    def result(self) -> PinchThresholds:
        if not self.done:
            raise CalibrationError("The calibration is not finished: hold each pose until the steps are done.")
        pinched = [r for step, ratios in zip(STEPS, self._ratios) if step == "pinch" for r in ratios]
        opened = [r for step, ratios in zip(STEPS, self._ratios) if step == "open" for r in ratios]
        return thresholds_from(pinched, opened)


def calibrate(frames: list[HandFrame], frame_size: tuple[int, int] = (640, 480)) -> PinchThresholds:
    """Run a whole recorded calibration (pinch, open, pinch) at once."""
    calibration = PinchCalibration(frame_size)
    for frame in frames:
        calibration.update(frame)
    return calibration.result()
