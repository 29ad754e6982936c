"""The camera side of air writing: MediaPipe Hands, the overlay, and the per-frame callback.

    BGR video frame --(mirror, MediaPipe Hands)--> (21, 3) landmarks or None
        --(AirWriter, hand_tracking.py)--> trail, status, finished inks
        --(cv2 overlay)--> the frame shown to the user;  finished inks --> queue.Queue

`FrameProcessor.process` runs in the video thread (e.g. a streamlit-webrtc
callback): it does the hand model and the bookkeeping only, and hands each
finished ink to a `queue.Queue` without ever waiting, so recognition and storage
happen in whichever thread takes them. MediaPipe is imported when a
`HandDetector` is created, not on import; nothing here imports Streamlit.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from .calibration import PinchCalibration
from .gestures import HAND_CONNECTIONS, INDEX_TIP
from .hand_tracking import (
    STATUS_NO_HAND,
    AirConfig,
    AirEvent,
    AirWriter,
    HandFrame,
)
from .quiet import native_stderr_silenced
from .swipes import SwipeDetector

RECORD_FRAMES = 30 * 60 * 10  # the landmarks of the last ten minutes at 30 fps are kept for a download (~16 MB)
TRAIL_COLOR = (255, 160, 0)  # BGR
BONE_COLOR = (200, 200, 200)
JOINT_COLOR = (0, 200, 255)
TIP_COLOR = (0, 0, 255)


class HandTrackingUnavailable(RuntimeError):
    """MediaPipe Hands cannot start here; the message is meant for a person."""


class Detector(Protocol):
    def detect(self, rgb_frame: np.ndarray) -> np.ndarray | None: ...


class HandDetector:
    """MediaPipe Hands in video mode (tracks between frames), one hand, the light model.

    The graph is created once; `detect` is serialized by a lock because a MediaPipe
    graph must not be fed from two threads at once. The models ship inside the
    `mediapipe==0.10.21` wheel, so nothing is downloaded.
    """

    def __init__(self, min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5) -> None:
        try:
            import mediapipe as mp

            mp_hands = mp.solutions.hands
        except (ImportError, AttributeError) as exc:  # also later mediapipe releases, which dropped `solutions`
            raise HandTrackingUnavailable(
                f"hand tracking needs mediapipe==0.10.21 with its bundled hand model ({exc})"
            ) from None
        self._lock = threading.Lock()
        with native_stderr_silenced():  # MediaPipe's start-up lines, see quiet.py
            self._hands = mp_hands.Hands(
                static_image_mode=False,
                max_num_hands=1,
                model_complexity=0,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
            self._hands.process(np.zeros((48, 64, 3), np.uint8))  # the first frame opens the graph: its lines too

    def detect(self, rgb_frame: np.ndarray) -> np.ndarray | None:
        """(H, W, 3) uint8 RGB -> (21, 3) float landmarks (x, y in [0, 1], z depth), or None without a hand."""
        if rgb_frame.ndim != 3 or rgb_frame.shape[2] != 3 or rgb_frame.dtype != np.uint8:
            raise ValueError(f"expected an (H, W, 3) uint8 RGB frame, got {rgb_frame.shape} {rgb_frame.dtype}")
        with self._lock:
            result = self._hands.process(np.ascontiguousarray(rgb_frame))
        if not result.multi_hand_landmarks:
            return None
        hand = result.multi_hand_landmarks[0].landmark
        return np.array([(p.x, p.y, p.z) for p in hand], dtype=np.float64)  # (21, 3)

    def close(self) -> None:
        with self._lock:
            self._hands.close()

    def __enter__(self) -> HandDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def draw_overlay(
    frame_bgr: np.ndarray,
    landmarks: np.ndarray | None,
    trail: tuple[np.ndarray, ...],
    status: str,
    cursor: tuple[float, float] | None = None,
) -> np.ndarray:
    """Draw, in place, the hand skeleton, the smoothed trail (pixel strokes) and the status; returns the frame."""
    height, width = frame_bgr.shape[:2]
    if landmarks is not None:
        joints = np.rint(landmarks[:, :2] * (width, height)).astype(np.int32)  # (21, 2) px
        for a, b in HAND_CONNECTIONS:
            cv2.line(frame_bgr, tuple(joints[a]), tuple(joints[b]), BONE_COLOR, 2, cv2.LINE_AA)
        for x, y in joints:
            cv2.circle(frame_bgr, (int(x), int(y)), 3, JOINT_COLOR, -1, cv2.LINE_AA)
        cv2.circle(frame_bgr, tuple(joints[INDEX_TIP]), 6, TIP_COLOR, 2, cv2.LINE_AA)
    strokes = [np.rint(s).astype(np.int32).reshape(-1, 1, 2) for s in trail if len(s)]
    if strokes:
        cv2.polylines(frame_bgr, strokes, False, TRAIL_COLOR, 4, cv2.LINE_AA)
    if cursor is not None:
        cv2.circle(frame_bgr, (round(cursor[0]), round(cursor[1])), 5, TRAIL_COLOR, -1, cv2.LINE_AA)
    (text_w, text_h), _ = cv2.getTextSize(status, cv2.FONT_HERSHEY_SIMPLEX, 0.7, 2)
    cv2.rectangle(frame_bgr, (8, 8), (20 + text_w, 20 + text_h), (0, 0, 0), -1)
    cv2.putText(frame_bgr, status, (14, 14 + text_h), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2, cv2.LINE_AA)
    return frame_bgr


@dataclass(frozen=True, eq=False)
class AirView:
    """What the page shows beside the video, read from any thread."""

    status: str
    trail: tuple[np.ndarray, ...]  # (N, 2) pixel strokes of the character being written
    last_event: AirEvent | None  # the most recent ended character, kept or discarded


class FrameProcessor:
    """Detector + AirWriter + overlay for one video stream.

    `inks` receives an `AirEvent` (with an `Ink`) per finished character, and one
    without ink per swipe (`swipes.py`), in the order made; if nobody takes them and
    it is full, the oldest is dropped rather than the video stalled. Discarded blips
    only show up in `view().last_event`. While a `calibrate()` runs, the frames go to
    the calibration instead of the writer.
    """

    def __init__(
        self,
        detector: Detector | None = None,
        config: AirConfig | None = None,
        *,
        mirror: bool = True,
        inks: queue.Queue[AirEvent] | None = None,
    ) -> None:
        self.detector = detector if detector is not None else HandDetector()
        self.config = config or AirConfig()
        self.mirror = mirror  # selfie view: what the user writes reads left to right
        self.inks: queue.Queue[AirEvent] = inks if inks is not None else queue.Queue(maxsize=16)
        self._lock = threading.Lock()  # process() runs in the video thread, view() and reset() in the page's
        self._writer: AirWriter | None = None
        self._swipes: SwipeDetector | None = None
        self._calibration: PinchCalibration | None = None
        self._last_event: AirEvent | None = None
        self._recorded: deque[HandFrame] = deque(maxlen=RECORD_FRAMES)  # what the writer saw, to replay later

    def process(self, frame_bgr: np.ndarray, t: float) -> np.ndarray:
        """One (H, W, 3) uint8 BGR frame taken at `t` seconds -> the annotated (mirrored) frame."""
        frame = cv2.flip(frame_bgr, 1) if self.mirror else frame_bgr.copy()
        landmarks = self.detector.detect(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        size = (frame.shape[1], frame.shape[0])
        with self._lock:
            if self._writer is None or self._writer.frame_size != size:
                self._writer = AirWriter(self.config, size)
                self._swipes = SwipeDetector(size, pinch_up=self.config.pinch_up)
                self._recorded.clear()  # a recording has one frame size
            hand = HandFrame(t, landmarks)
            self._recorded.append(hand)
            if self._calibration is not None:
                self._calibration.frame_size = size
                self._calibration.update(hand)
                return draw_overlay(frame, landmarks, (), self._calibration.prompt.split(":")[0])
            events = self._track(hand)
            trail, status, cursor = self._writer.trail, self._writer.status, self._writer.cursor
        for event in events:
            self._offer(event)
        return draw_overlay(frame, landmarks, trail, status, cursor)

    def _track(self, hand: HandFrame) -> list[AirEvent]:
        """The writer and the swipe detector on one frame (lock held): the events to queue, in order."""
        assert self._writer is not None and self._swipes is not None, "set up with the stream"
        event = self._writer.update(hand)
        swipe = self._swipes.update(hand)
        if swipe is not None and event is None:
            event = self._writer.flush(hand.t, "open hand")  # a swipe ends the character before it
        if event is not None:
            self._last_event = event
        out = [event] if event is not None and event.ink is not None else []
        return out + ([AirEvent(hand.t, swipe, None)] if swipe is not None else [])

    def _offer(self, event: AirEvent) -> None:
        while True:
            try:
                self.inks.put_nowait(event)
                return
            except queue.Full:
                try:
                    self.inks.get_nowait()  # the consumer fell behind: the newest character matters most
                except queue.Empty:
                    pass

    def view(self) -> AirView:
        with self._lock:
            if self._writer is None:
                return AirView(STATUS_NO_HAND, (), self._last_event)
            return AirView(self._writer.status, self._writer.trail, self._last_event)

    @property
    def recorded(self) -> int:
        """How many frames `recording` holds."""
        return len(self._recorded)

    def recording(self) -> tuple[list[HandFrame], tuple[int, int]]:
        """The hand frames the writer was fed (the last `RECORD_FRAMES`) and their frame size."""
        with self._lock:
            size = self._writer.frame_size if self._writer is not None else (640, 480)
            return list(self._recorded), size

    def reset(self) -> None:
        """Forget the character being written."""
        with self._lock:
            if self._writer is not None:
                self._writer.reset()
            if self._swipes is not None:
                self._swipes.reset()
            self._last_event = None

    def use_config(self, config: AirConfig) -> None:
        """Track with `config` (a calibrated pinch) from the next frame on; the character being written is dropped."""
        with self._lock:
            self.config, self._writer, self._swipes = config, None, None

    def calibrate(self) -> None:
        """Send the next frames to a fresh pinch calibration (see `calibration.py`) instead of writing."""
        with self._lock:
            size = self._writer.frame_size if self._writer is not None else (640, 480)
            self._calibration = PinchCalibration(size)

    def calibration(self) -> PinchCalibration | None:
        """The calibration running (or done, until `end_calibration`), None when there is none."""
        with self._lock:
            return self._calibration

    def end_calibration(self) -> None:
        """Back to writing, from a fresh start."""
        with self._lock:
            self._calibration, self._writer, self._swipes = None, None, None
