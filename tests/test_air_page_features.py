"""The Air page's typing line, pinch calibration and collection sessions, under AppTest.

The demo hand stands in for the camera (it goes through the same queue and
recognizer); the recognizer is the shipped model; each test has its own SQLite file.
"""

from __future__ import annotations

import pytest
from test_air_page import (  # noqa: F401
    AirPage,
    answers,
    camera_session,
    page,
    play,
    predictor,
    stored,
)

from airtype_core.air.calibration import CalibrationError
from airtype_core.air.hand_tracking import AirConfig
from airtype_core.air.synthetic_hands import (
    DEMO_STROKES,
    calibration_frames,
    synthetic_writing,
)
from airtype_core.insight.collection import open_sessions
from airtype_core.storage.air_calibrations import air_calibration
from airtype_core.storage.store import Storage


def click(page: AirPage, label: str) -> AirPage:  # noqa: F811
    next(b for b in page.at.button if b.label == label).click()
    return page.run()


def answer_all(page: AirPage, count: int) -> AirPage:  # noqa: F811
    """Confirm each character the model read, oldest first (the demo hand writes them clearly)."""
    for _ in range(count):
        page.run()
        click(page, next(b.label for b in page.at.button if b.label.startswith("Yes, it is")))
    return page


def typed_line(page: AirPage) -> str:  # noqa: F811
    return page.at.code[0].value


def as_participant(page: AirPage, db_file, name: str = "Ada") -> int:  # noqa: F811
    storage = Storage(f"sqlite:///{db_file}")
    try:
        participant = storage.add_participant(name)
    finally:
        storage.close()
    page.at.session_state["participant"] = participant  # as the sidebar's box sets it
    page.run()
    return participant.id


def test_confirmed_characters_and_swipes_type_a_line(page):  # noqa: F811
    page.replay("L7 T<L")  # a space is a swipe right, "<" a swipe left
    answers(page.session, 6)
    answer_all(page, 4)
    assert typed_line(page) == "L7 L"  # T was typed, then deleted by the swipe left after it
    assert page.session.results.snapshot()[1] == ()
    click(page, "Clear the line")
    assert typed_line(page).strip() == ""


def test_the_demo_hand_calibrates_the_pinch_kept_for_the_participant_and_reset(page, db_file):  # noqa: F811
    ada = as_participant(page, db_file)
    click(page, "Calibrate with the demo hand")
    storage = Storage(f"sqlite:///{db_file}")
    try:
        kept = air_calibration(storage, ada)
        assert kept is not None and kept.pinch_down > AirConfig().pinch_down  # the demo hand's pinch is loose
        assert (page.session.config.pinch_down, page.session.config.pinch_up) == (kept.pinch_down, kept.pinch_up)
        assert any(f"the pen now goes down below {kept.pinch_down:.2f}" in s.value for s in page.at.success)
        click(page, "Reset my calibration")
        assert air_calibration(storage, ada) is None
    finally:
        storage.close()
    assert page.session.config.pinch_down == AirConfig().pinch_down
    assert any("Calibration reset" in i.value for i in page.at.info)


def test_the_camera_calibration_takes_its_steps_from_the_video_frames_then_writing_resumes(predictor):  # noqa: F811
    steps = calibration_frames(loose_gap=0.24, flickers=0.1, jitter_px=1.5)
    writing = synthetic_writing(DEMO_STROKES["L"], jitter_px=1.0)
    session, _ = camera_session(steps + writing)
    session.use(predictor)
    session.processor.calibrate()
    play(session, 10)
    running = session.processor.calibration()
    assert running.prompt.startswith("Step 1 of 3: Pinch") and not running.done
    with pytest.raises(CalibrationError, match="not finished"):
        running.result()
    play(session, len(steps) - 10)
    assert running.done
    thresholds = running.result()
    assert thresholds.down > AirConfig().pinch_down  # this pinch is loose: the pen goes down above 0.30
    session.processor.end_calibration()
    session.use_thresholds(thresholds.down, thresholds.up)
    play(session, len(writing))  # no frame went to the writer while calibrating; now they do
    [item] = answers(session, 1)
    assert item.prediction.char == "L"
    session.close()


def prompt(page: AirPage) -> str:  # noqa: F811
    [mark] = [m.value for m in page.at.markdown if "air-collect-prompt" in m.value]
    return mark.split(">")[1].split("<")[0]


def test_a_collection_in_the_air_stores_each_character_as_its_prompt_skips_redoes_and_resumes(page, db_file):  # noqa: F811
    as_participant(page, db_file)
    page.at.text_input(key="air-collect-chars").set_value("L7T")
    click(page, "Start collecting in the air")
    first = prompt(page)
    click(page, "Demo hand")
    answers(page.session, 1)
    page.run()
    click(page, f"Keep it as {first}")
    second = prompt(page)
    click(page, "Skip")
    click(page, "Redo the last")
    assert prompt(page) == second  # the skipped prompt is asked again
    click(page, "Pause")
    [paused] = open_sessions(Storage(f"sqlite:///{db_file}"))
    assert paused.status == "paused" and paused.position == 1
    assert any(c.value.startswith("Ada's session") for c in page.at.caption)
    click(page, next(b.label for b in page.at.button if b.label.startswith("Resume session #")))
    assert prompt(page) == second
    click(page, "Demo hand")
    answers(page.session, 1)
    page.run()
    click(page, f"Keep it as {second}")

    samples = sorted(stored(db_file), key=lambda s: s.id)
    assert [(s.actual_char, s.source, s.correction_type) for s in samples] == [
        (first, "air", "prompted"), (second, "air", "prompted")
    ]  # fmt: skip
