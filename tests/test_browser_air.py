"""The Air-writing page in Chromium with a fake camera: frames reach MediaPipe, camera errors are explained.

A WebRTC stream must not leave the machine (both ends offer candidates on every
interface, Chromium also multicasts mDNS), so the server and the browser run in a
network namespace that has only a loopback interface: the test re-executes
tests/air_driver.py under `unshare -n` (root is needed; CI has it) and asserts on
the JSON report it writes. The fake camera plays a test pattern made here with
ffmpeg: no hand in it, so MediaPipe runs on every frame and finds none.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import required

DRIVER = Path(__file__).resolve().parent / "air_driver.py"
MIN_FRAMES = 10
pytestmark = pytest.mark.browser  # Chromium runs in the driver's own process


def unavailable(reason: str) -> None:
    required.missing(f"the WebRTC browser test: {reason}")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    for tool in ("unshare", "ip", "ffmpeg"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        unavailable(f"cannot create a network namespace (unshare -n needs root): {probe.stderr.strip()}")

    tmp = tmp_path_factory.mktemp("air")
    video = tmp / "camera.y4m"
    # Small and slow on purpose: the stream's cost must not starve a busy test machine.
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=5", "-t", "2",
         "-pix_fmt", "yuv420p", str(video)],
        check=True,
    )  # fmt: skip
    out = tmp / "report.json"
    env = {**os.environ, "AIRTYPE_DATABASE_URL": f"sqlite:///{tmp / 'airtype.db'}"}
    command = ["unshare", "-n", sys.executable, str(DRIVER), "--video", str(video), "--report", str(out),
               "--min-frames", str(MIN_FRAMES)]  # fmt: skip
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if not out.exists():
        pytest.fail(f"the driver wrote no report (exit {run.returncode}):\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    result = json.loads(out.read_text())
    if "error" in result:
        pytest.fail(
            f"the driver failed: {result['error']}\nbrowser: {result.get('browser_log')}\n"
            f"server log:\n{result['server_log'][-3000:]}"
        )
    return result


def test_page_asks_to_press_start_before_the_camera_runs(report):
    assert report["stream"]["before_start"]


def test_camera_frames_reach_mediapipe_and_the_tracker(report):
    stream = report["stream"]
    # The page's counters: only the frame callback moves them, and "tracked" only after MediaPipe answered.
    assert stream["frames"] >= MIN_FRAMES and stream["tracked"] >= MIN_FRAMES, stream
    assert stream["hands"] == 0  # a test pattern: nothing that looks like a hand
    assert "No hand in view" in stream["no_hand_notice"]  # the tracker's verdict on MediaPipe's answers


def test_annotated_video_comes_back_to_the_browser(report):
    video = report["stream"]["video"]
    assert (video["width"], video["height"]) == (320, 240) and video["time"] > 0


def test_blocked_camera_is_explained(report):
    denied = report["denied"]
    assert "NotAllowedError" in denied["component"]
    assert "The browser blocked the camera for this page. Allow it" in denied["page"]
    assert "Press START and allow the camera." not in denied["page"]


def test_missing_camera_is_explained_in_words_after_start(report):
    """Chromium with a camera permission but no camera at all (no fake device): the page says what happened."""
    missing = report["no_camera"]
    assert "NotFoundError" in missing["component"]  # the browser's raw name, in the video box
    assert "No camera was found: this computer has none" in missing["page"]  # the page, in words
    assert "use the replay demo below" in missing["page"]
    assert "Press START and allow the camera." not in missing["page"]
