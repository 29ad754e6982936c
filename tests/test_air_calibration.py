"""A pinch fitted to the hand: the guided pinch, open, pinch sets the pen thresholds, kept per participant."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from airtype_core.air.calibration import CalibrationError, PinchCalibration, calibrate
from airtype_core.air.hand_tracking import AirConfig, HandFrame, replay
from airtype_core.air.synthetic_hands import (
    DEMO_STROKES,
    calibration_frames,
    synthetic_writing,
)
from airtype_core.storage.air_calibrations import (
    air_calibration,
    reset_air_calibration,
    save_air_calibration,
)
from airtype_core.storage.records import InvalidInputError

W, H = 640, 480
LOOSE = {"loose_gap": 0.28, "flickers": 0.1, "jitter_px": 2.0}  # a loose pinch, just under the default 0.30


def late_starts(config: AirConfig | None) -> list[float]:
    """Strokes (of L, 7, T written 8 times each) that start more than 10 px from their intended start,
    or are missing: `inf`."""
    late = []
    for seed in range(8):
        for char in "L7T":
            inks = replay(synthetic_writing(DEMO_STROKES[char], seed=seed, **LOOSE), config)
            strokes = inks[0].strokes if len(inks) == 1 else ()
            if len(strokes) != len(DEMO_STROKES[char]):
                late.append(float("inf"))
                continue
            for stroke, path in zip(strokes, DEMO_STROKES[char]):
                off = float(np.linalg.norm(stroke[0, :2] - np.asarray(path[0]) * (W, H)))
                late += [off] if off > 10 else []
    return late


def test_calibrating_a_loose_pinch_puts_the_pen_down_where_it_closes():
    thresholds = calibrate(calibration_frames(seed=5, **LOOSE))
    assert late_starts(AirConfig())  # uncalibrated, this hand's pinch hovers at the threshold
    calibrated = replace(AirConfig(), pinch_down=thresholds.down, pinch_up=thresholds.up)
    assert late_starts(calibrated) == []


def test_a_firm_pinch_calibrates_to_thresholds_between_its_pinch_and_its_open_hand():
    thresholds = calibrate(calibration_frames(jitter_px=1.0))
    assert thresholds.pinch < thresholds.down < thresholds.up < thresholds.open
    [ink] = replay(synthetic_writing(DEMO_STROKES["T"]), replace(AirConfig(), pinch_down=thresholds.down,
                                                                   pinch_up=thresholds.up))  # fmt: skip
    assert len(ink.strokes) == 2


def test_a_pinch_that_looks_like_the_open_hand_is_refused_with_what_to_do():
    frames = calibration_frames()
    still = [HandFrame(f.t, frames[0].landmarks) for f in frames]  # the hand never opened
    with pytest.raises(CalibrationError, match="looked alike"):
        calibrate(still)


def test_a_step_without_the_hand_is_refused_with_what_to_do():
    frames = calibration_frames()
    hidden = [HandFrame(f.t, None if 1.5 <= f.t < 3.0 else f.landmarks) for f in frames]
    with pytest.raises(CalibrationError, match="'open' step"):
        calibrate(hidden)


def test_the_calibration_prompts_each_step_in_turn():
    calibration, prompts = PinchCalibration(), []
    for frame in calibration_frames():
        calibration.update(frame)
        prompts.append(calibration.prompt.split(":")[0])
    assert list(dict.fromkeys(prompts)) == ["Step 1 of 3", "Step 2 of 3", "Step 3 of 3", "Done."]
    assert calibration.done


def test_a_calibration_is_kept_per_participant_replaced_and_reset(storage):
    ada, bob = storage.add_participant("Ada"), storage.add_participant("Bob")
    assert air_calibration(storage, ada.id) is None
    save_air_calibration(storage, ada.id, 0.4, 0.7)
    save_air_calibration(storage, ada.id, 0.5, 0.8)  # a new calibration replaces the old
    save_air_calibration(storage, bob.id, 0.2, 0.35)
    kept = air_calibration(storage, ada.id)
    assert (kept.pinch_down, kept.pinch_up) == (0.5, 0.8)
    assert reset_air_calibration(storage, ada.id) is True
    assert air_calibration(storage, ada.id) is None
    assert air_calibration(storage, bob.id).pinch_up == 0.35  # the other participant keeps theirs
    storage.delete_participant(bob.id)
    assert air_calibration(storage, bob.id) is None


def test_thresholds_without_hysteresis_are_refused(storage):
    ada = storage.add_participant("Ada")
    with pytest.raises(InvalidInputError, match="down < up"):
        save_air_calibration(storage, ada.id, 0.5, 0.5)
