"""Typing gestures: an open hand swiped left deletes the last character, swiped right types a space.

    detector = SwipeDetector()
    detector.update(frame)                  # -> SWIPE_LEFT, SWIPE_RIGHT or None, per HandFrame
    replay_events(frames)                   # a recording's characters and swipes, in the order made

A swipe is the palm of an open hand (all five fingers straight, as `is_open_hand`
says) travelling at least `distance` palms sideways within `window_s`, more
sideways than up or down. Left and right are the image's, which the Air page
mirrors: as the person sees it. After a swipe the hand has to close or leave
before the next one counts, so the hand coming back is not a second swipe.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from .gestures import MIDDLE_MCP, WRIST, is_open_hand, palm_size, to_pixels
from .hand_tracking import AirConfig, AirEvent, AirWriter, HandFrame

SWIPE_LEFT, SWIPE_RIGHT = "swipe left", "swipe right"
SWIPES = (SWIPE_LEFT, SWIPE_RIGHT)
CLOSED_FRAMES = 3  # frames in a row without an open hand that end a swipe (and allow the next)


class SwipeDetector:
    """Feed `HandFrame`s in time order; `update` names the swipe on the frame that completes one."""

    def __init__(
        self,
        frame_size: tuple[int, int] = (640, 480),
        *,
        distance: float = 1.5,
        window_s: float = 0.5,
        pinch_up: float = AirConfig.pinch_up,
    ) -> None:
        self.frame_size, self.distance, self.window_s, self.pinch_up = frame_size, distance, window_s, pinch_up
        self._track: deque[tuple[float, float, float, float]] = deque()  # (t, x, y, palm) of the open hand
        self._armed = True  # False after a swipe until the hand closes or leaves
        self._closed = 0  # frames in a row the hand was not open

    def reset(self) -> None:
        self._track.clear()
        self._armed = True
        self._closed = 0

    def update(self, frame: HandFrame) -> str | None:
        if frame.landmarks is None:
            self.reset()
            return None
        points = to_pixels(frame.landmarks, self.frame_size)  # (21, 3)
        if not is_open_hand(points, self.pinch_up):
            self._closed += 1
            if self._closed >= CLOSED_FRAMES:  # a frame or two is MediaPipe's noise on a bent joint
                self.reset()
            return None
        self._closed = 0
        if not self._armed:
            return None
        centre = (points[WRIST, :2] + points[MIDDLE_MCP, :2]) / 2
        self._track.append((frame.t, float(centre[0]), float(centre[1]), palm_size(points)))
        while frame.t - self._track[0][0] > self.window_s:
            self._track.popleft()
        _, x0, y0, palm0 = self._track[0]
        dx, dy = centre[0] - x0, centre[1] - y0
        if abs(dx) >= self.distance * palm0 and abs(dy) < abs(dx) / 2:
            self._track.clear()
            self._armed = False
            return SWIPE_RIGHT if dx > 0 else SWIPE_LEFT
        return None


def replay_events(
    frames: Iterable[HandFrame], config: AirConfig | None = None, frame_size: tuple[int, int] = (640, 480)
) -> list[AirEvent]:
    """A recording through a fresh writer and swipe detector: its characters (with ink) and swipes
    (`ended_by` a swipe, no ink), in the order they were made; the last character is flushed."""
    writer = AirWriter(config, frame_size)
    swipes = SwipeDetector(frame_size, pinch_up=writer.config.pinch_up)
    events: list[AirEvent] = []
    for frame in frames:
        ended = writer.update(frame)
        if ended is not None and ended.ink is not None:
            events.append(ended)
        swipe = swipes.update(frame)
        if swipe is not None:
            ended = writer.flush(frame.t, "open hand")  # a swipe ends the character before it
            events += ([ended] if ended is not None and ended.ink is not None else []) + [
                AirEvent(frame.t, swipe, None)
            ]
    last = writer.flush()
    return events + ([last] if last is not None and last.ink is not None else [])
