"""Air-writing page: write a character in the air in front of the webcam, confirm or correct what the model read.

The video goes through `AirSession.on_frame` in streamlit-webrtc's thread; the
page never waits for it. Beside the video a fragment polls the session a few
times a second for the tracker's status; when an answer arrives it puts the
prediction on screen and reruns the page, which draws confirm / correct under it.
Without a camera the replay demo sends a recorded hand through the same path.
"""

from __future__ import annotations

from functools import partial

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from airtype_core.air.hand_tracking import AirConfig
from airtype_core.settings import get_settings
from ui.air_calibrate import calibration_panel, finish_calibration, saved_thresholds
from ui.air_collect import active_collection, collect_answer, collect_form, collect_prompt
from ui.air_text import CAMERA_ERRORS, camera_notice, counters_note, last_character_note
from ui.air_typing import apply_swipes, is_swipe, type_last_answer, typed_line
from ui.air_worker import IDLE_POLL_S, POLL_S, AirSession, Recognized, ReplayError
from ui.camera_probe import camera_error
from ui.feedback import last_answer_undo, prediction_panel
from ui.ink_svg import ink_thumbnail_svg
from ui.navigation import enter_through_app
from ui.resources import Unavailable
from ui.writer_memory import reader_for_participant

enter_through_app(__file__)

SESSION = "air-session"  # session_state: this browser session's AirSession
REPLAYED = "air-replayed"  # session_state: what the last replay did
REPLAYS = "air-replays"  # session_state: replays run so far, to number the messages
TRANSLATIONS = {  # shown inside the video component, which keeps camera errors to itself
    "device_access_denied": "Camera access was denied. Allow the camera for this page (the camera icon "
    "in the address bar), then press START again. The replay demo below works without one",
    "device_not_available": "No camera could be opened (none plugged in, or another program is using it). "
    "Connect one and press START, or try the replay demo below",
    "media_api_not_available": "This browser gives no camera access to this page: open the app at "
    "http://localhost (or over https)",
}


def run_replay(session: AirSession) -> None:
    """Button callback, before the page runs: the page then polls quickly for the answers on their way."""
    recording = st.session_state.get("air-recording")
    try:
        if recording is not None:
            count = session.replay_recording(recording.getvalue())
        else:
            count = session.replay_demo(st.session_state.get("air-demo-text", ""))
    except ReplayError as exc:
        st.session_state[REPLAYED] = ("error", str(exc))
        return
    number = st.session_state.get(REPLAYS, 0) + 1
    st.session_state[REPLAYS] = number
    plural = "character" if count == 1 else "characters"
    st.session_state[REPLAYED] = ("success", f"Replay {number}: {count} {plural} written by the recorded hand.")


def show_answer(session: AirSession, item: Recognized) -> None:
    key = f"air-{item.id}"
    picture, text = st.columns([1, 3])
    picture.image(ink_thumbnail_svg(item.ink), caption="What the tracker wrote")
    origin = "replayed recording" if item.ended_by == "replay" else f"ended by {item.ended_by}"
    text.caption(f"Character #{item.id}, {origin}")
    with text:
        if item.error:
            st.error(item.error)
        else:
            prediction_panel(
                item.prediction, item.ink, source="air", key=key,
                on_stored=lambda _: (session.results.remove(item.id), type_last_answer()),
            )  # fmt: skip
        st.button("Skip this one", key=f"{key}-skip", on_click=partial(session.results.remove, item.id))


def poll_interval(ctx, session: AirSession) -> float:
    return POLL_S if ctx.state.playing or ctx.state.signalling or session.busy else IDLE_POLL_S


def live_status(
    ctx, session: AirSession, config: AirConfig, poll_s: float, shown: int, newest: int, browser_error: str
) -> None:
    """Polled: what the tracker sees right now. When the answers changed (or the pace must), the page reruns;
    a new prediction is put on screen first, so that it shows without waiting for the whole page."""
    changes, pending = session.results.snapshot()
    if changes != shown or poll_interval(ctx, session) != poll_s:
        if pending and pending[-1].id > newest and pending[-1].prediction is not None:
            st.markdown(f"### Prediction: `{pending[-1].prediction.char}`")
            st.caption(f"Confidence {pending[-1].prediction.confidence:.0%}: confirm or correct it in a moment.")
        st.rerun()  # widgets are drawn by the whole page, not here: a polled fragment would send them twice
    stats, view = session.stats(), session.view()
    notice = camera_notice(ctx.state.playing, ctx.state.signalling, stats, view, config.pause_s, browser_error)
    getattr(st, notice.kind)(notice.text)
    if not ctx.state.playing and not ctx.state.signalling and not browser_error:
        st.caption(CAMERA_ERRORS)
    for note in (last_character_note(view), counters_note(stats)):
        if note:
            st.caption(note)


config = AirConfig.from_settings(get_settings())
if SESSION not in st.session_state:
    st.session_state[SESSION] = AirSession(config)
session: AirSession = st.session_state[SESSION]
session.prepare()
session.use_thresholds(*(saved_thresholds() or (None, None)))  # the participant's calibrated pinch, if any
finish_calibration(session)
st.title("Write in the air")
st.markdown(
    "**Pinch** thumb and index together: the pen is down and your index fingertip writes. "
    "**Release** the pinch: the pen lifts, so you can start another stroke of the same character. "
    f"**Open your hand** (all five fingers), or keep the pen up for **{config.pause_s:g} s**: "
    "the character ends and is recognized."
)

video, beside = st.columns([6, 5], gap="large")
with video:
    ctx = webrtc_streamer(
        key="air",
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": []},  # browser and server are on the same machine: no STUN needed
        media_stream_constraints={"video": True, "audio": False},
        video_frame_callback=session.on_frame,
        on_video_ended=session.on_stream_ended,
        translations=TRANSLATIONS,
    )
    st.button("Clear the character being written", on_click=session.clear, icon=":material/ink_eraser:")
    st.download_button(
        "Download the recording of your hand", data=session.recording_json, file_name="airtype-hand-recording.json",
        mime="application/json", on_click="ignore", icon=":material/download:",
        disabled=session.recorded_frames == 0,
        help="The hand landmarks the tracker saw (no video): replay them below, or send them with a problem report.",
    )  # fmt: skip
    calibration_panel(session)
    collecting = active_collection()
    if collecting is None:
        collect_form()

# After the video on purpose: the component is on screen while the model loads.
try:
    session.use(reader_for_participant("air"))
except Unavailable as exc:
    session.use(None, str(exc))
    st.error(str(exc))

with beside:
    browser_error = camera_error()
    apply_swipes(session, session.results.snapshot()[1])  # swipes whose characters before them are answered
    shown, pending = session.results.snapshot()
    poll_s = poll_interval(ctx, session)
    newest = pending[-1].id if pending else 0
    st.fragment(live_status, run_every=poll_s)(ctx, session, config, poll_s, shown, newest, browser_error)
    if collecting is not None:
        collect_prompt(session, collecting)
    else:
        typed_line()
    last_answer_undo("air")
    characters = [item for item in pending if not is_swipe(item)]  # a swipe waits for the characters before it
    if not characters:
        st.info("Write a character: what the model reads appears here, to confirm or correct.")
    for n, item in enumerate(characters):  # in writing order: the oldest is answered first
        if n == 0 and collecting is not None:
            collect_answer(session, item, collecting)
        elif n == 0:
            show_answer(session, item)
        else:
            with st.expander(f"Next: character #{item.id} waiting for an answer"):
                show_answer(session, item)

st.divider()
st.subheader("Replay demo: no camera needed")
st.caption(
    "A recorded hand writes characters; the same tracker turns its fingertip into ink and the same "
    "recognizer reads it. Answers are stored as air-written samples, like the camera's."
)
left, right = st.columns(2)
left.text_input(
    "Characters the demo hand writes", value="Hello", max_chars=12, key="air-demo-text",
    help="Letters and digits (A-Z, a-z, 0-9), for example Hello or AirType; a space is a swipe right "
    "(types a space), < a swipe left (deletes the last character)",
)  # fmt: skip
right.file_uploader(
    "…or replay a recording of hand landmarks", type=["json"], key="air-recording",
    help="The airtype-hand-frames/1 JSON format",
)  # fmt: skip
st.button("Run the replay demo", icon=":material/play_arrow:", on_click=run_replay, args=(session,))
if REPLAYED in st.session_state:
    kind, message = st.session_state[REPLAYED]
    getattr(st, kind)(message)
