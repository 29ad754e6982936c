"""What one frame's hand says: pinch ratio, open hand, a landmark MediaPipe misplaced; the debounced pen.

Pure numpy on MediaPipe's 21-point layout (https://ai.google.dev/edge/mediapipe/solutions/vision/hand_landmarker).
Every measure is divided by the palm (wrist to middle MCP), so it means the same
for a small hand, a big one, near the camera or far from it.
"""

from __future__ import annotations

import numpy as np

WRIST, THUMB_IP, THUMB_TIP, INDEX_DIP, INDEX_TIP, MIDDLE_MCP, PINKY_MCP = 0, 3, 4, 7, 8, 9, 17
FINGER_MCPS = (5, 9, 13, 17)  # index, middle, ring, pinky: MCP, PIP, DIP, tip follow each
NUM_LANDMARKS = 21
HAND_CONNECTIONS = (
    (0, 1), (1, 2), (2, 3), (3, 4),
    (0, 5), (5, 6), (6, 7), (7, 8),
    (5, 9), (9, 10), (10, 11), (11, 12),
    (9, 13), (13, 14), (14, 15), (15, 16),
    (13, 17), (17, 18), (18, 19), (19, 20), (0, 17),
)  # fmt: skip

# A finger is straight when its PIP and DIP joints bend less than this together (3D).
# A C-shaped hand, which people make as they release a pinch, bends each finger
# 40-60 degrees there; an open hand, 0-20 (MediaPipe's depth is noisy).
STRAIGHT_BEND_DEG = 35.0


def to_pixels(landmarks: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """(21, 3) normalized -> (21, 3) pixels of a `(width, height)` frame; z is scaled like x, as MediaPipe's is."""
    width, height = frame_size
    return landmarks * np.array([width, height, width], dtype=np.float64)


def palm_size(points: np.ndarray) -> float:
    """Wrist to middle MCP in the image, the unit of every gesture measure."""
    return float(np.linalg.norm(points[MIDDLE_MCP, :2] - points[WRIST, :2]))


def pinch_ratio(points: np.ndarray) -> float:
    """Thumb tip to index tip over the palm, from (21, 2+) pixels (in the image plane)."""
    palm = palm_size(points)
    gap = np.linalg.norm(points[INDEX_TIP, :2] - points[THUMB_TIP, :2])
    return float(gap / palm) if palm > 1e-9 else float("inf")


def finger_bend(points: np.ndarray, mcp: int) -> float:
    """Degrees the finger starting at `mcp` bends at its PIP and DIP joints, in 3D (0 = straight)."""
    bones = np.diff(points[mcp : mcp + 4, :3], axis=0)  # (3, 3): MCP->PIP, PIP->DIP, DIP->tip
    lengths = np.linalg.norm(bones, axis=1)
    if lengths.min() < 1e-9:
        return 180.0
    unit = bones / lengths[:, None]
    cosines = np.clip(np.sum(unit[:-1] * unit[1:], axis=1), -1.0, 1.0)
    return float(np.degrees(np.arccos(cosines)).sum())


def is_open_hand(points: np.ndarray, pinch_up: float) -> bool:
    """All five fingers straight: four fingers unbent (3D), the thumb away from the palm and the index.

    From (21, 3) pixels. The bend, not the tip's distance from the wrist, decides: a
    curved C-shaped hand reaches as far from the wrist as an open one seen from the front.
    """
    if any(finger_bend(points, mcp) > STRAIGHT_BEND_DEG for mcp in FINGER_MCPS):
        return False
    pinky_base = points[PINKY_MCP, :2]
    thumb_out = np.linalg.norm(points[THUMB_TIP, :2] - pinky_base) > np.linalg.norm(points[THUMB_IP, :2] - pinky_base)
    return bool(thumb_out and pinch_ratio(points) > pinch_up)


class PenGesture:
    """A debounced Schmitt trigger: down below `down_below`, up above `up_above`.

    Down needs `frames` of the last `frames + 1` frames below (a loose pinch hovers
    at the threshold: one frame seen above it must not hold the pen up while the
    finger sets off). Up needs `frames` frames in a row above, and the pinch open
    for `lift_hold_s` seconds (from its first open frame to the current one): a
    loose pinch seen open for a moment inside a stroke keeps the pen down.
    """

    def __init__(self, down_below: float, up_above: float, frames: int, lift_hold_s: float = 0.0) -> None:
        self.down_below, self.up_above, self.frames, self.lift_hold_s = down_below, up_above, frames, lift_hold_s
        self.reset()

    def reset(self) -> None:
        self.down = False
        self._streak = 0  # frames in a row that asked for the other state
        self._since: float | None = None  # ... the time of the first of them
        self._last: list[bool] = []  # while up: whether each of the last frames asked for the pen to go down
        self.change_began: float | None = None  # the time of the first frame of the last change

    def update(self, ratio: float, t: float | None = None) -> bool:
        """Feed one frame's pinch ratio (and its time); returns True on the frame the pen state changes."""
        wants_change = ratio > self.up_above if self.down else ratio < self.down_below
        if not self.down:  # down: `frames` of the last `frames + 1` below, as a pinch hovering at the threshold is
            self._last = (self._last + [wants_change])[-(self.frames + 1) :]
            if wants_change and sum(self._last) >= self.frames:
                self.down, self._streak, self._since, self._last = True, 0, None, []
                return True
            return False
        if not wants_change:
            self._streak, self._since = 0, None
            return False
        self._streak += 1
        self._since = t if self._streak == 1 else self._since
        held = not self.down or t is None or self._since is None or t - self._since >= self.lift_hold_s - 1e-6
        if self._streak >= self.frames and held:
            self.down, self._streak, self.change_began, self._since = not self.down, 0, self._since, None
            return True
        return False


TRUSTED, DOUBTED, BELIEVED, UNUSABLE = "trusted", "doubted", "believed", "unusable"


class TipGlitch:
    """Tells frames whose index fingertip MediaPipe put somewhere the finger cannot be.

    MediaPipe sometimes puts landmark 8 on another finger for a few frames (55-80 px
    off on a real hand against a busy background) while the rest of the hand stays
    right. A fingertip cannot leave its own last joint that fast: when the tip's
    offset from the DIP joint changes by more than `jump` palms from the last
    trusted frame, the frame is doubted. A real pose change does that too (a pinch
    closing bends the index at once), so a doubt is a held decision, not a verdict:
    - the next frame back near the trusted pose: the doubted frames were a glitch;
    - `frames` doubts in a row, or a doubted frame whose tip meets the thumb (the
      thumb and index moving together close a pinch; a misplaced tip lands on a
      finger): the pose really changed, and the doubted frames were real ones.
    """

    def __init__(self, jump: float, frames: int) -> None:
        self.jump, self.frames = jump, frames
        self.reset()

    def reset(self) -> None:
        self._offset: np.ndarray | None = None  # tip - DIP of the last trusted frame, in palms
        self._run = 0

    def check(self, points: np.ndarray, closes_pinch: bool = False) -> str:
        """TRUSTED, DOUBTED, BELIEVED (a pose change: the doubted frames before were real) or UNUSABLE."""
        palm = palm_size(points)
        if palm < 1e-9:
            return UNUSABLE
        offset = (points[INDEX_TIP, :2] - points[INDEX_DIP, :2]) / palm
        jumped = self._offset is not None and np.linalg.norm(offset - self._offset) > self.jump
        if jumped and self._run < self.frames and not closes_pinch:
            self._run += 1
            return DOUBTED
        self._offset, self._run = offset, 0
        return BELIEVED if jumped else TRUSTED
