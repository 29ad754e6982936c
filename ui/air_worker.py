"""The three threads of the Air-writing page and what passes between them.

    video thread (streamlit-webrtc)        recognizer thread              script thread (the page)
    AirSession.on_frame(frame)                                             st.fragment(run_every=...)
      FrameProcessor.process  --AirEvent-->  predictor.predict(ink)  -->  Results.snapshot()
      (MediaPipe, AirWriter,     queue         (never in the video         confirm / correct
       overlay; never waits)                    thread)

The frame callback runs MediaPipe, the tracker and the overlay, and hands a
finished character to a queue without waiting; it never touches
`st.session_state`, Streamlit, the model or the database. The recognizer
thread takes inks from that queue and leaves answers in `Results`, a
lock-guarded list the page polls from its own thread. The replay demo feeds
the same queue, so recorded hands and the camera share one path.

One `AirSession` per browser session: MediaPipe's video mode tracks a hand from
frame to frame, so its graph belongs to one stream. It is built in the background
before the stream starts (or on its first frame) and closed when the stream ends.
What the page says is in `air_text.py`; the demo's characters in `air_demo.py`.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from airtype_core.air.camera import (
    FrameProcessor,
    HandDetector,
    HandTrackingUnavailable,
)
from airtype_core.air.hand_tracking import AirConfig, AirEvent, HandFrame
from airtype_core.air.recording import RecordingError, frames_from_json, frames_to_json
from airtype_core.air.swipes import SWIPES, replay_events
from airtype_core.air.synthetic_hands import SWIPE_KEYS, demo_frames
from airtype_core.recognition.ink import InkError

from .air_demo import DemoTextError, demo_glyphs

if TYPE_CHECKING:
    import av
    import numpy as np

    from airtype_core.air.camera import AirView
    from airtype_core.recognition.ink import Ink
    from airtype_core.recognition.predictor import Prediction, Predictor

LOGGER = logging.getLogger(__name__)
POLL_S = 0.2  # how often the page looks for news while the camera runs: half of it, on average, is latency
IDLE_POLL_S = 1.0  # ... and otherwise: an idle tab should cost next to nothing
MAX_PENDING = 16  # unanswered characters kept for the page; beyond that the oldest give way
TIMING_WINDOW = 30  # frames averaged for the per-frame time shown on the page


class ReplayError(ValueError):
    """A recording that cannot be replayed; the message is meant for a person."""


@dataclass(frozen=True, eq=False)
class Recognized:
    """A finished character and what the model read in it (or why it could not); or a swipe, without ink."""

    id: int
    ink: Ink | None  # None for a swipe
    ended_by: str  # "pause" | "open hand" | "hand lost" | "replay" | "swipe left" | "swipe right"
    prediction: Prediction | None
    error: str  # for a person, when there is no prediction
    ended_at: float  # the session clock's time of the frame that ended the character (time.monotonic() by default)
    queued_at: float  # time.monotonic() when the ink entered the queue
    ready_at: float  # ... and when its answer was in `Results`


@dataclass(frozen=True)
class StreamStats:
    """What the video thread has done so far, for the page (and the browser test) to show."""

    frames: int  # frames through the callback
    tracked: int  # frames MediaPipe Hands ran on
    hands: int  # ... and found a hand in
    frame_ms: float  # mean processing time of the last frames (MediaPipe + tracking + overlay)
    starting: bool  # MediaPipe is still being built: frames pass untracked meanwhile
    error: str  # hand tracking cannot run here


class Results:
    """Answers waiting for the user, written by the recognizer thread and read by the page."""

    def __init__(self, limit: int = MAX_PENDING) -> None:
        self._lock = threading.Lock()
        self._items: deque[Recognized] = deque(maxlen=limit)
        self._ids = itertools.count(1)
        self._changes = 0

    def add(self, **fields: object) -> Recognized:
        with self._lock:
            item = Recognized(id=next(self._ids), ready_at=time.monotonic(), **fields)
            self._items.append(item)
            self._changes += 1
            return item

    def snapshot(self) -> tuple[int, tuple[Recognized, ...]]:
        """`(changes, answers in writing order, oldest first)`: `changes` grows with every add and
        remove, so the page, keeping the number it drew from, knows when to draw again."""
        with self._lock:
            return self._changes, tuple(self._items)

    def remove(self, item_id: int) -> None:
        with self._lock:
            self._items = deque((r for r in self._items if r.id != item_id), maxlen=self._items.maxlen)
            self._changes += 1


class _StreamDetector:
    """MediaPipe Hands for one stream, built off the video thread, closed when the stream ends; counts its work.

    Building the graph (and importing MediaPipe, the first time) can take seconds on
    a busy CPU; streamlit-webrtc gives up on a callback that takes ten. So `detect`
    never builds: it starts a builder thread and answers "no hand" until it is done.
    """

    def __init__(self, factory: Callable[[], object]) -> None:
        self._factory = factory
        self._lock = threading.Lock()  # the video thread detects, the builder sets, the stream's end closes
        self._detector = None
        self._building = False
        self._generation = 0  # bumped by close(): a graph built for an ended stream is not kept
        self.tracked = self.hands = 0
        self.error = ""

    @property
    def ready(self) -> bool:
        return self._detector is not None

    def prepare(self) -> None:
        """Start building the graph now, so that the stream's first frames are tracked."""
        with self._lock:
            self._build_soon()

    def detect(self, rgb_frame: np.ndarray) -> np.ndarray | None:
        with self._lock:
            if self._detector is None:
                self._build_soon()
                return None
            landmarks = self._detector.detect(rgb_frame)
            self.tracked += 1
            self.hands += landmarks is not None
            return landmarks

    def close(self) -> None:
        with self._lock:
            detector, self._detector = self._detector, None
            self._generation += 1
        if detector is not None:
            detector.close()

    def _build_soon(self) -> None:  # with the lock held
        if not self._building and not self.error:
            self._building = True
            threading.Thread(target=self._build, args=(self._generation,), name="air-hands", daemon=True).start()

    def _build(self, generation: int) -> None:
        detector, error = None, ""
        try:
            detector = self._factory()
        except HandTrackingUnavailable as exc:
            error = str(exc)
        with self._lock:
            self._building, self.error = False, error
            if generation == self._generation:
                self._detector, detector = detector, None
        if detector is not None:
            detector.close()


class _Model:
    """The predictor the recognizer uses; the page hands it over on every run (it may have been swapped)."""

    predictor: Predictor | None = None
    unavailable: str = "the model is still loading"
    working: bool = False  # an ink is being read right now


def _recognize(inks: _StampedQueue, model: _Model, results: Results, stop: threading.Event) -> None:
    """The recognizer thread: finished inks in, answers out, until the session is gone."""
    while not stop.is_set():
        try:
            event, queued_at = inks.get(timeout=0.5)
        except queue.Empty:
            continue
        if event.ink is None:
            if event.ended_by in SWIPES:  # a typing gesture takes its place in the answers' order
                results.add(ink=None, ended_by=event.ended_by, prediction=None, error="", ended_at=event.t,
                            queued_at=queued_at)  # fmt: skip
            continue
        model.working = True
        predictor, prediction, error = model.predictor, None, ""
        if predictor is None:
            error = f"Not recognized: {model.unavailable}."
        else:
            try:
                prediction = predictor.predict(event.ink)
            except InkError as exc:
                error = f"Not recognized: {exc}."
            except Exception as exc:  # a bug: say so on the page and keep the thread for the next character
                LOGGER.exception("recognizing an air-written ink failed")
                error = f"Not recognized: the recognizer failed ({type(exc).__name__}: {exc})."
        results.add(
            ink=event.ink,
            ended_by=event.ended_by,
            prediction=prediction,
            error=error,
            ended_at=event.t,
            queued_at=queued_at,
        )
        model.working = False


class _StampedQueue(queue.Queue):
    """The ink queue: `put(event)` as FrameProcessor does, `get()` gives `(event, time.monotonic() when put)`."""

    def _put(self, item: AirEvent) -> None:
        super()._put((item, time.monotonic()))


class AirSession:
    """Frame callback, ink queue, recognizer thread and answers of one browser session's air writing."""

    def __init__(
        self,
        config: AirConfig | None = None,
        *,
        detector_factory: Callable[[], object] = HandDetector,
        mirror: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = self._base = config or AirConfig()
        self._clock = clock  # frame times for the tracker (pause, smoothing)
        self.inks = _StampedQueue(maxsize=16)
        self.results = Results()
        self._detector = _StreamDetector(detector_factory)
        self.processor = FrameProcessor(self._detector, self.config, mirror=mirror, inks=self.inks)
        self._model = _Model()
        self._stats_lock = threading.Lock()
        self._frames = 0
        self._frame_s: deque[float] = deque(maxlen=TIMING_WINDOW)
        stop = threading.Event()
        threading.Thread(
            target=_recognize, args=(self.inks, self._model, self.results, stop), name="air-recognizer", daemon=True
        ).start()
        # The thread holds no reference to the session: when the browser session is
        # dropped, so is this object, and the thread ends with it.
        self._finalizer = weakref.finalize(self, _shut_down, stop, self._detector)

    # --- from the page (script thread) ---------------------------------------------------

    def use(self, predictor: Predictor | None, unavailable: str = "") -> None:
        """The predictor for the next characters; None with the reason when there is no usable model."""
        self._model.predictor = predictor
        self._model.unavailable = unavailable or "no model is loaded"

    @property
    def busy(self) -> bool:
        """Characters are waiting for the model or being read: answers are on their way."""
        return self.inks.qsize() > 0 or self._model.working

    def view(self) -> AirView:
        return self.processor.view()

    def stats(self) -> StreamStats:
        with self._stats_lock:
            frames, times = self._frames, list(self._frame_s)
        frame_ms = 1000 * sum(times) / len(times) if times else 0.0
        d = self._detector
        return StreamStats(frames, d.tracked, d.hands, frame_ms, starting=not d.ready, error=d.error)

    def prepare(self) -> None:
        """Get hand tracking ready before START (MediaPipe takes a moment to start)."""
        self._detector.prepare()

    def clear(self) -> None:
        """Forget the character being written."""
        self.processor.reset()

    def replay(self, frames: Iterable[HandFrame], frame_size: tuple[int, int] = (640, 480)) -> int:
        """Run recorded hand frames through a fresh tracker and queue every character and swipe, in order;
        returns how many characters."""
        events = replay_events(frames, self.config, frame_size)
        for event in events:
            self.inks.put(AirEvent(self._clock(), "replay" if event.ink is not None else event.ended_by, event.ink))
        return sum(event.ink is not None for event in events)

    def replay_demo(self, text: str) -> int:
        """`replay` the synthetic hand writing `text`: letters and digits, a space swipes right, "<" left."""
        text = " ".join(text.split())  # one swipe per gap between words
        try:
            glyphs = demo_glyphs("".join(c for c in text if c not in SWIPE_KEYS))
        except DemoTextError as exc:
            raise ReplayError(str(exc)) from None
        return self.replay(demo_frames(text, glyphs=glyphs))

    def use_thresholds(self, pinch_down: float | None, pinch_up: float | None) -> None:
        """Track with a calibrated pinch (None, None: the settings' thresholds) from now on."""
        down, up = (pinch_down, pinch_up) if pinch_down and pinch_up else (self._base.pinch_down, self._base.pinch_up)
        if (down, up) != (self.config.pinch_down, self.config.pinch_up):
            self.config = replace(self._base, pinch_down=down, pinch_up=up)
            self.processor.use_config(self.config)

    def replay_recording(self, data: bytes | str) -> int:
        """`replay` a recording saved by `hand_tracking.frames_to_json` (an uploaded file's bytes, or its text)."""
        try:
            frames, size = frames_from_json(data)
        except RecordingError as exc:
            raise ReplayError(str(exc)) from None
        return self.replay(frames, size)

    def recording_json(self) -> str:
        """What the camera's hand did so far (the last ten minutes), as a recording `replay_recording` reads."""
        frames, size = self.processor.recording()
        return frames_to_json(frames, size, decimals=6)

    @property
    def recorded_frames(self) -> int:
        return self.processor.recorded

    def close(self) -> None:
        self._finalizer()

    # --- from streamlit-webrtc (video thread) ---------------------------------------------

    def on_frame(self, frame: av.VideoFrame) -> av.VideoFrame:
        """The video frame callback: annotate the frame, queue a finished character; never wait on anything slow."""
        import av

        image = frame.to_ndarray(format="bgr24")
        tracked, start = self._detector.tracked, time.perf_counter()
        image = self.processor.process(image, self._clock())
        elapsed = time.perf_counter() - start
        with self._stats_lock:
            self._frames += 1
            if self._detector.tracked > tracked:  # frames waiting for the graph cost nothing, and do not count
                self._frame_s.append(elapsed)
        return av.VideoFrame.from_ndarray(image, format="bgr24")

    def on_stream_ended(self) -> None:
        """The camera stopped: free MediaPipe (a new stream gets a new graph) and drop the half-written character."""
        self._detector.close()
        self.processor.reset()


def _shut_down(stop: threading.Event, detector: _StreamDetector) -> None:
    stop.set()
    detector.close()
