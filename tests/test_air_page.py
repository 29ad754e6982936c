"""The Air-writing page: its threads (ui/air_worker.py), its words (ui/air_text.py) and the page itself under AppTest.

Camera frames are played by calling the frame callback with real video frames and a
detector that answers with generated hand landmarks (MediaPipe itself is covered in
test_hand_tracking.py and, through a real browser and a fake camera, in
test_browser_air.py). The recognizer is the shipped model; each test that stores
gets its own SQLite database.
"""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from airtype_core.air.camera import AirView
from airtype_core.air.hand_tracking import STATUS_NO_HAND, HandFrame, replay
from airtype_core.air.synthetic_hands import DEMO_STROKES, synthetic_writing
from airtype_core.recognition.predictor import Predictor
from airtype_core.storage.records import SampleFilter
from airtype_core.storage.store import Storage
from ui.air_text import camera_notice
from ui.air_worker import AirSession, ReplayError, StreamStats
from ui.ink_svg import ink_thumbnail_svg

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
RECORDING = ROOT / "tests" / "data" / "air_recording.json"
TIMEOUT = 120  # the first run of a test process imports torch and loads the model
WAIT_S = 60  # how long a test waits for the recognizer thread before it calls it stuck
FPS = 30.0
BLANK = np.zeros((480, 640, 3), np.uint8)


@pytest.fixture(scope="module")
def predictor() -> Predictor:
    return Predictor()


class ScriptedHands:
    """Stands in for MediaPipe: one prepared landmark set (or no hand) per frame."""

    def __init__(self, frames: list[HandFrame]) -> None:
        self.landmarks = iter([f.landmarks for f in frames])
        self.closed = False

    def detect(self, rgb_frame: np.ndarray) -> np.ndarray | None:
        return next(self.landmarks, None)

    def close(self) -> None:
        self.closed = True


def camera_session(frames: list[HandFrame], **kwargs) -> tuple[AirSession, list[ScriptedHands]]:
    """A session whose camera sees `frames`, 1/30 s apart, with hand tracking ready."""
    built: list[ScriptedHands] = []

    def factory() -> ScriptedHands:
        built.append(ScriptedHands(frames))
        return built[-1]

    ticks = itertools.count()
    session = AirSession(detector_factory=factory, clock=lambda: next(ticks) / FPS, **kwargs)
    session.prepare()
    wait_for(lambda: not session.stats().starting, "hand tracking to start")
    return session, built


def play(session: AirSession, frames: int) -> None:
    for _ in range(frames):
        out = session.on_frame(av.VideoFrame.from_ndarray(BLANK, format="bgr24"))
        assert (out.width, out.height) == (640, 480)


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def answers(session: AirSession, count: int):
    wait_for(lambda: len(session.results.snapshot()[1]) >= count, f"{count} answers")
    return session.results.snapshot()[1]


# --- the threads ------------------------------------------------------------------------


def test_a_character_written_to_the_camera_is_recognized_off_the_frame_thread(predictor):
    frames = synthetic_writing(DEMO_STROKES["L"], jitter_px=1.0)  # ends with a pause
    session, _ = camera_session(frames)
    session.use(predictor)
    play(session, len(frames))

    [answer] = answers(session, 1)
    assert answer.prediction.char == "L" and answer.ended_by == "pause"
    assert answer.prediction.model_version == predictor.version
    assert answer.ready_at >= answer.queued_at
    assert session.stats().frames == session.stats().tracked == len(frames)


class StuckModel:
    """A predictor that answers only when released: the video must go on meanwhile."""

    def __init__(self, predictor: Predictor) -> None:
        self.predictor, self.release, self.calls = predictor, threading.Event(), 0

    def predict(self, ink):
        self.calls += 1
        self.release.wait()
        return self.predictor.predict(ink)


def test_frame_callback_never_waits_for_the_model(predictor):
    frames = synthetic_writing(DEMO_STROKES["L"]) + synthetic_writing(DEMO_STROKES["7"], t0=10.0)
    session, _ = camera_session(frames)
    model = StuckModel(predictor)
    session.use(model)

    video = threading.Thread(target=play, args=(session, len(frames)), daemon=True)
    video.start()
    video.join(WAIT_S)
    assert not video.is_alive(), "the frame callback waited for the model"
    assert session.stats().frames == len(frames)
    wait_for(lambda: model.calls == 1, "the recognizer to take the L")
    assert session.results.snapshot()[1] == () and session.busy  # the "L" is being read, the "7" waits

    model.release.set()
    assert [a.prediction.char for a in answers(session, 2)] == ["L", "7"]  # in writing order


def test_stream_end_closes_hand_tracking_and_drops_the_half_written_character():
    frames = synthetic_writing(DEMO_STROKES["T"])
    session, built = camera_session(frames)
    play(session, len(frames) // 2)
    assert session.view().trail

    session.on_stream_ended()
    assert built[0].closed
    assert session.view().trail == ()
    session.prepare()  # the next stream gets a graph of its own
    wait_for(lambda: len(built) == 2 and not session.stats().starting, "a new graph")


def test_notices_say_press_start_no_hand_and_hand_lost_mid_character():
    line = [[(0.2, 0.5), (0.8, 0.5)]]
    frames = synthetic_writing(line, speed=0.3, lost=[(0.8, 1.2)])  # the hand leaves mid-stroke
    session, _ = camera_session(frames)

    def notice(playing: bool = True) -> str:
        return camera_notice(playing, False, session.stats(), session.view(), pause_s=0.8).text

    assert notice(playing=False) == "Press START and allow the camera."
    play(session, round(0.85 * FPS))
    assert notice().startswith("Hand lost mid-character: bring it back within 0.8 s")
    empty = StreamStats(frames=10, tracked=10, hands=0, frame_ms=20.0, starting=False, error="")
    no_hand = camera_notice(True, False, empty, AirView(STATUS_NO_HAND, (), None), 0.8)
    assert (no_hand.kind, no_hand.text.split(":")[0]) == ("warning", "No hand in view")


def test_recorded_sequence_replays_through_the_recognizer(predictor):
    session = AirSession(detector_factory=lambda: None)
    session.use(predictor)
    assert session.replay_recording(RECORDING.read_bytes()) == 2  # an "L", a blip (dropped), a "7"
    assert [a.prediction.char for a in answers(session, 2)] == ["L", "7"]  # oldest first
    assert {a.ended_by for a in session.results.snapshot()[1]} == {"replay"}


def test_bad_recordings_and_demo_texts_are_refused_with_a_message():
    session = AirSession(detector_factory=lambda: None)
    with pytest.raises(ReplayError, match="The file is not JSON"):
        session.replay_recording(b"\xff\xfe not text")
    with pytest.raises(ReplayError, match="Not a hand-landmark recording"):
        session.replay_recording('{"format": "something else"}')
    with pytest.raises(ReplayError, match=r"The demo hand writes letters and digits \(A-Z, a-z, 0-9\); not '\?'"):
        session.replay_demo("L?")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"[1, 2, 3]", "holds a JSON list, not a recording"),
        (
            b'{"format": "airtype-hand-frames/1", "frame_size": [1e12, 480], "frames": [[0, null]]}',
            '"frame_size" must be',
        ),
        (b"\x89PNG\r\n\x1a\n not json at all", "The file is not JSON"),
        (b'{"format": "airtype-hand-frames/1", "frame_size": [640, 480], "frames": [[0, [1, 2]]]}', "Frame 1 of"),
    ],
)
def test_files_that_are_not_recordings_get_a_message_that_says_what_is_wrong(data, message):
    session = AirSession(detector_factory=lambda: None)
    with pytest.raises(ReplayError, match=message):
        session.replay_recording(data)


def test_a_200_mb_upload_is_refused_before_it_is_read():
    session = AirSession(detector_factory=lambda: None)
    with pytest.raises(ReplayError, match="The file is 200 MB; a hand-landmark recording is at most 20 MB"):
        session.replay_recording(b" " * 200_000_000)


def test_the_demo_hand_writes_any_word_of_letters_and_digits_answered_oldest_first(predictor):
    session = AirSession(detector_factory=lambda: None)
    session.use(predictor)
    assert session.replay_demo("AirType") == 7
    assert "".join(a.prediction.char for a in answers(session, 7)) == "AirType"
    assert session.replay_demo("Hello 42") == 7  # seven characters; the space is a swipe right, in its place
    written = answers(session, 15)
    assert [a.id for a in written] == list(range(1, 16))  # in writing order
    assert [a.ended_by for a in written[7:]] == ["replay"] * 5 + ["swipe right"] + ["replay"] * 2


def test_a_live_session_downloads_as_a_recording_that_replays_to_the_same_inks(predictor):
    frames = synthetic_writing(DEMO_STROKES["L"], jitter_px=1.5, seed=5)
    frames += synthetic_writing(DEMO_STROKES["T"], release="c", jitter_px=1.5, seed=6, t0=frames[-1].t + 1 / FPS)
    session, _ = camera_session(frames)
    session.use(predictor)
    play(session, len(frames))
    live = [a.ink for a in answers(session, 2)]

    again = AirSession(detector_factory=lambda: None)
    again.use(predictor)
    assert again.replay_recording(session.recording_json().encode()) == 2
    replayed = [a.ink for a in answers(again, 2)]
    for a, b in zip(live, replayed):
        assert [len(s) for s in a.strokes] == [len(s) for s in b.strokes]
        for sa, sb in zip(a.strokes, b.strokes):
            np.testing.assert_allclose(sa, sb, atol=0.01)  # pixels and seconds


def test_without_a_camera_after_start_the_notice_says_what_happened_and_what_to_do():
    idle = StreamStats(frames=0, tracked=0, hands=0, frame_ms=0.0, starting=False, error="")
    view = AirView(STATUS_NO_HAND, (), None)
    notice = camera_notice(False, False, idle, view, 0.8, camera_error="NotFoundError")
    assert notice.kind == "error" and notice.text.startswith("No camera was found")
    assert "replay demo" in notice.text and "Press START and allow" not in notice.text
    blocked = camera_notice(False, False, idle, view, 0.8, camera_error="NotAllowedError")
    assert blocked.text.startswith("The browser blocked the camera for this page. Allow it")


def test_each_answer_shows_the_ink_the_tracker_wrote():
    frames = synthetic_writing(DEMO_STROKES["T"])
    [ink] = replay(frames)
    svg = ink_thumbnail_svg(ink, size=128)
    assert svg.startswith("<svg") and svg.count("<polyline") == 2  # the two bars of the T
    coordinates = [float(v) for p in svg.split('points="')[1:] for xy in p.split('"')[0].split() for v in xy.split(",")]
    assert min(coordinates) >= 0 and max(coordinates) <= 128  # fitted in the picture


# --- the page ----------------------------------------------------------------------------


class AirPage:
    def __init__(self, at: AppTest) -> None:
        self.at = at

    def run(self) -> AirPage:
        self.at.run()
        assert not self.at.exception, self.at.exception
        return self

    @property
    def session(self) -> AirSession:
        return self.at.session_state["air-session"]

    def replay(self, text: str = "L7T") -> AirPage:
        self.at.text_input(key="air-demo-text").set_value(text)
        next(b for b in self.at.button if b.label == "Run the replay demo").click()
        return self.run()

    def predictions(self) -> list[str]:
        return [m.value.split("`")[1] for m in self.at.markdown if m.value.startswith("### Prediction:")]

    def wait_for_answers(self, count: int) -> AirPage:
        answers(self.session, count)
        return self.run()


@pytest.fixture
def page(db_file, monkeypatch) -> AirPage:
    # AppTest has no real Streamlit runtime to ask for the session's info; told there is
    # none, the video component renders as one nobody has started.
    monkeypatch.setattr("streamlit_webrtc.component.get_this_session_info", lambda: None)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.switch_page("pages/air.py")
    page = AirPage(at).run().run()  # twice: the first view of a process leaves the sidebar to a warm-up tick
    yield page
    page.session.close()


def stored(db_file: Path):
    storage = Storage(f"sqlite:///{db_file}")
    try:
        return storage.query_samples(SampleFilter()).items
    finally:
        storage.close()


def test_page_says_which_gesture_writes_and_which_ends_a_character(page):
    text = page.at.markdown[0].value
    assert "**Pinch** thumb and index together: the pen is down" in text
    assert "**Release** the pinch: the pen lifts" in text
    assert "**Open your hand** (all five fingers), or keep the pen up for **0.8 s**" in text


def test_without_a_camera_the_page_asks_for_start_and_explains_camera_errors(page):
    assert [i.value for i in page.at.info][:1] == ["Press START and allow the camera."]
    assert any("**NotAllowedError**, the browser blocked the camera" in c.value for c in page.at.caption)


def test_replay_demo_shows_a_prediction_for_each_character(page, db_file):
    page.replay("L7T")
    assert [s.value for s in page.at.success] == ["Replay 1: 3 characters written by the recorded hand."]
    page.wait_for_answers(3)
    assert page.predictions() == ["L", "7", "T"]  # in writing order, the later ones folded away
    assert [e.label for e in page.at.expander][-2:] == [
        "Next: character #2 waiting for an answer",
        "Next: character #3 waiting for an answer",
    ]
    assert stored(db_file) == ()  # nothing is stored until the person answers


def test_confirmed_air_character_is_stored_with_source_air(page, db_file, predictor):
    page.replay("L").wait_for_answers(1)
    next(b for b in page.at.button if b.label == "Yes, it is L").click()
    page.run()

    [sample] = stored(db_file)
    assert (sample.source, sample.correction_type, sample.actual_char, sample.predicted_char) == (
        "air",
        "confirmed",
        "L",
        "L",
    )
    assert sample.model_version == predictor.version and sample.features.shape == (50, 7)
    assert page.predictions() == []  # answered: gone from the page


def test_corrected_air_character_is_stored_as_corrected(page, db_file):
    page.replay("7").wait_for_answers(1)
    [answer] = page.session.results.snapshot()[1]
    page.at.selectbox(key=f"air-{answer.id}-fix").set_value("Z")
    page.run()

    [sample] = stored(db_file)
    assert (sample.source, sample.correction_type, sample.actual_char, sample.predicted_char) == (
        "air",
        "corrected",
        "Z",
        "7",
    )


def test_demo_text_the_hand_cannot_write_gets_a_clear_message(page):
    page.replay("L?")
    assert [e.value for e in page.at.error] == ["The demo hand writes letters and digits (A-Z, a-z, 0-9); not '?'."]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"[]", "The file holds a JSON list, not a recording"),
        (b"<html>not json</html>", "The file is not JSON: choose a recording saved by the Air writing page."),
        (b'{"format": "airtype-hand-frames/1", "frame_size": [640000000, 480], "frames": [[0, null]]}',
         "The recording's \"frame_size\" must be [width, height] in pixels"),
    ],
)  # fmt: skip
def test_a_bad_upload_gets_a_sentence_on_the_page_not_a_traceback(page, content, message):
    page.at.file_uploader[0].upload("mine.json", content, "application/json")
    page.run()
    next(b for b in page.at.button if b.label == "Run the replay demo").click()
    page.run()
    [error] = page.at.error
    assert error.value.startswith(message)


def test_a_recording_downloaded_from_the_page_replays_through_its_upload(page, predictor):
    download = next(b for b in page.at.download_button if b.label == "Download the recording of your hand")
    assert download.proto.disabled  # nothing seen yet
    frames = synthetic_writing(DEMO_STROKES["7"], jitter_px=1.0)
    session = page.session
    session.processor.detector = ScriptedHands(frames)  # the camera's hand, as MediaPipe would report it
    for frame in frames:
        session.processor.process(BLANK, frame.t)
    page.run()
    download = next(b for b in page.at.download_button if b.label == "Download the recording of your hand")
    assert not download.proto.disabled
    page.at.file_uploader[0].upload("recording.json", session.recording_json().encode(), "application/json")
    page.run()
    next(b for b in page.at.button if b.label == "Run the replay demo").click()
    page.run()
    assert [s.value for s in page.at.success] == ["Replay 1: 1 character written by the recorded hand."]
