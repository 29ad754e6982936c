"""Typing gestures: an open hand swiped right types a space, swiped left deletes; writing is never a swipe."""

from __future__ import annotations

import numpy as np
import pytest

from airtype_core.air.hand_tracking import HandFrame
from airtype_core.air.swipes import (
    SWIPE_LEFT,
    SWIPE_RIGHT,
    SwipeDetector,
    replay_events,
)
from airtype_core.air.synthetic_hands import (
    DEMO_STROKES,
    demo_frames,
    swipe_frames,
    synthetic_writing,
)


def swipes(frames: list[HandFrame]) -> list[str]:
    detector = SwipeDetector()
    return [s for f in frames if (s := detector.update(f)) is not None]


@pytest.mark.parametrize("direction, name", [(1, SWIPE_RIGHT), (-1, SWIPE_LEFT)])
@pytest.mark.parametrize("palm", [0.1, 0.2])
def test_an_open_hand_swiped_sideways_is_one_swipe_that_way(direction, name, palm):
    assert swipes(swipe_frames(direction, palm=palm, jitter_px=1.5, seed=3)) == [name]


def test_writing_and_an_open_hand_held_still_are_no_swipes():
    for char in "L7T":
        assert swipes(synthetic_writing(DEMO_STROKES[char], end="open", jitter_px=1.5)) == []
    assert replay_events(demo_frames("L7T")) and all(e.ink is not None for e in replay_events(demo_frames("L7T")))


def test_a_slow_drift_of_the_open_hand_is_no_swipe():
    assert swipes(swipe_frames(1, seconds=2.0)) == []  # 0.4 of the frame in 2 s: moving, not swiping


def test_the_hand_coming_back_after_a_swipe_is_not_a_second_swipe():
    there = swipe_frames(1)[:-1]  # no lost frame at the end: the open hand stays in view
    back = [HandFrame(there[-1].t + (k + 1) / 30, f.landmarks) for k, f in enumerate(reversed(there))]
    assert swipes(there + back) == [SWIPE_RIGHT]


def test_characters_and_swipes_come_out_in_the_order_made():
    events = replay_events(demo_frames("L7 T<L"))
    kinds = ["ink" if e.ink is not None else e.ended_by for e in events]
    assert kinds == ["ink", "ink", SWIPE_RIGHT, "ink", SWIPE_LEFT, "ink"]
    assert np.all(np.diff([e.t for e in events]) > 0)
