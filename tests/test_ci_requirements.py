"""On CI a missing part fails the run instead of hiding behind a skip (PostgreSQL does so in
conftest.py): a Chromium, cv2 or MediaPipe that is not there must not make a green CI."""

from __future__ import annotations

import sys

import browser_support
import pytest
import test_hand_tracking

Failed = pytest.fail.Exception
Skipped = pytest.skip.Exception


def outcome(check) -> type[BaseException] | None:
    """The exception that `check()` ends with: a skip is caught too, or it would skip this test."""
    try:
        check()
    except (Failed, Skipped) as exc:
        return type(exc)
    return None


def enter_chromium() -> None:
    with browser_support.chromium():
        pass


@pytest.fixture
def on_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")


def test_missing_chromium_fails_on_ci(on_ci, monkeypatch, tmp_path):
    monkeypatch.setattr(browser_support, "CHROMIUM", str(tmp_path / "no-chromium"))
    assert outcome(enter_chromium) is Failed


def test_missing_chromium_is_a_skip_off_ci(monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(browser_support, "CHROMIUM", str(tmp_path / "no-chromium"))
    assert outcome(enter_chromium) is Skipped


def test_missing_cv2_fails_on_ci(on_ci, monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # `import cv2` now raises ImportError
    assert outcome(test_hand_tracking.test_frame_processor_queues_finished_inks_without_blocking) is Failed


def test_missing_mediapipe_fails_on_ci(on_ci, monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    assert outcome(test_hand_tracking.test_real_mediapipe_detector_and_frame_processor_on_real_frames) is Failed
