"""The Air page's pinch calibration: pinch, open, pinch in front of the camera (or the demo hand's),
and the pen thresholds that follow, kept for the sidebar's participant.

Without a participant the calibration holds for this browser session only. The
frames go to the calibration in the video thread (`FrameProcessor.calibrate`);
a polled fragment shows the step to do and, when the steps are done, reruns the
page, which works out the thresholds and keeps them.
"""

from __future__ import annotations

import streamlit as st

from airtype_core.air.calibration import (
    STEP_S,
    STEPS,
    CalibrationError,
    PinchThresholds,
    calibrate,
)
from airtype_core.air.synthetic_hands import calibration_frames
from airtype_core.storage.air_calibrations import (
    air_calibration,
    reset_air_calibration,
    save_air_calibration,
)
from ui.air_worker import POLL_S, AirSession
from ui.feedback import current_participant
from ui.layout import button_row
from ui.resources import get_storage, user_errors

UNSAVED = "air-calibration"  # session_state: (down, up) calibrated without a participant
MESSAGE = "air-calibration-message"  # session_state: (kind, text) the last calibration left to say
DEMO_HAND = {"loose_gap": 0.22, "flickers": 0.1, "jitter_px": 1.5}  # a loose pinch, as many people make


def _participant_id() -> int | None:
    """The sidebar's participant (created again if the database lost them meanwhile), None for nobody."""
    person = current_participant()
    return get_storage().add_participant(person.name).id if person else None


def saved_thresholds() -> tuple[float, float] | None:
    """The participant's calibrated (down, up), or this session's without one; None: the defaults.
    Read on every run of the page: reads only, so a participant missing from the database has none."""
    from airtype_core.storage.records import NotFoundError

    person = current_participant()
    if person is None:
        return st.session_state.get(UNSAVED)
    try:
        kept = air_calibration(get_storage(), get_storage().find_participant(person.name).id)
    except NotFoundError:
        return None
    except user_errors() as exc:
        st.session_state[MESSAGE] = ("error", f"The calibration could not be read: {exc}")
        return None
    return (kept.pinch_down, kept.pinch_up) if kept else None


def _keep(thresholds: PinchThresholds) -> None:
    participant_id = _participant_id()
    if participant_id is None:
        st.session_state[UNSAVED] = (thresholds.down, thresholds.up)
        whose = "for this browser session (choose a participant in the sidebar to keep it)"
    else:
        save_air_calibration(get_storage(), participant_id, thresholds.down, thresholds.up)
        whose = f"for {current_participant().name}"
    text = (
        f"Calibrated {whose}: your pinch measured {thresholds.pinch:.2f}, your open hand {thresholds.open:.2f}; "
        f"the pen now goes down below {thresholds.down:.2f} and up above {thresholds.up:.2f}."
    )
    st.session_state[MESSAGE] = ("success", text)


def _with_the_demo_hand() -> None:
    try:
        _keep(calibrate(calibration_frames(**DEMO_HAND)))
    except (CalibrationError, *user_errors()) as exc:
        st.session_state[MESSAGE] = ("error", f"Not calibrated: {exc}")


def _start(session: AirSession) -> None:
    st.session_state.pop(MESSAGE, None)
    session.processor.calibrate()


def _reset() -> None:
    try:
        participant_id = _participant_id()
        if participant_id is not None:
            reset_air_calibration(get_storage(), participant_id)
    except user_errors() as exc:
        st.session_state[MESSAGE] = ("error", f"Not reset: {exc}")
        return
    st.session_state.pop(UNSAVED, None)
    st.session_state[MESSAGE] = ("info", "Calibration reset: the pen uses the default pinch thresholds again.")


def finish_calibration(session: AirSession) -> None:
    """When the camera calibration's steps are done: keep its thresholds, or say what went wrong."""
    running = session.processor.calibration()
    if running is None or not running.done:
        return
    session.processor.end_calibration()
    try:
        _keep(running.result())
    except (CalibrationError, *user_errors()) as exc:
        st.session_state[MESSAGE] = ("error", f"Not calibrated: {exc}")


def _live(session: AirSession) -> None:
    """Polled while the camera calibration runs: the step to do now."""
    running = session.processor.calibration()
    if running is None or running.done:
        st.rerun()
    st.info(running.prompt)
    st.button("Cancel the calibration", key="air-calibration-cancel", on_click=session.processor.end_calibration)


def calibration_panel(session: AirSession) -> None:
    """What the pinch is now (calibrated or the defaults), and the buttons that calibrate it or reset it."""
    with st.expander("Fit the pinch to your hand (calibration)", expanded=MESSAGE in st.session_state):
        kind, text = st.session_state.get(MESSAGE) or (None, None)
        if kind:
            getattr(st, kind)(text)
        down, up = session.config.pinch_down, session.config.pinch_up
        calibrated = saved_thresholds() is not None
        st.caption(
            f"The pen goes down when the gap between thumb and index is below **{down:.2f}** of your palm "
            f"and lifts above **{up:.2f}** ({'calibrated' if calibrated else 'the defaults'}). Calibrating takes "
            f"{len(STEPS) * STEP_S:g} s with the camera running: {', then '.join(STEPS)}, {STEP_S:g} s each."
        )
        if session.processor.calibration() is not None:
            st.fragment(_live, run_every=POLL_S)(session)
            return
        row = button_row("air-calibration-buttons")
        row.button("Calibrate with the camera", key="air-calibrate", icon=":material/tune:",
                 on_click=_start, args=(session,), help="Press START above first")  # fmt: skip
        row.button("Calibrate with the demo hand", key="air-calibrate-demo", on_click=_with_the_demo_hand,
                 help="A generated hand with a loose pinch does the steps: no camera needed")  # fmt: skip
        row.button("Reset my calibration", key="air-calibration-reset", on_click=_reset, disabled=not calibrated)
