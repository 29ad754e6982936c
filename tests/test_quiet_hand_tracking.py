"""Building MediaPipe's hand tracker (each Air page visit does) writes nothing to the console,
and the console works as before right after."""

from __future__ import annotations

import os
import subprocess
import sys

from airtype_core.settings import PROJECT_ROOT

SCRIPT = """
import sys
import numpy as np
from airtype_core.air.camera import HandDetector

with HandDetector() as detector:
    for _ in range(3):
        detector.detect(np.zeros((480, 640, 3), np.uint8))
print("after the tracker", file=sys.stderr)
"""


def test_building_the_hand_tracker_adds_nothing_to_the_console():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == "after the tracker\n", out.stderr
