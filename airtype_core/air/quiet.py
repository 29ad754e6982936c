"""MediaPipe's start-up chatter kept off the console.

Building a hand-tracking graph and feeding it its first frame makes MediaPipe's C++
side (TensorFlow Lite, absl logging) write lines such as "Created TensorFlow Lite
XNNPACK delegate for CPU" and "Feedback manager requires a model with a single
signature inference" straight to the process's standard error: every Air page visit
added them to the server's console, where they read like problems and hide the ones
that matter. No setting reaches that logger (GLOG_minloglevel, TF_CPP_MIN_LOG_LEVEL
are not read by this build), so the file descriptor itself is pointed at the null
device for that moment and then given back.

    with native_stderr_silenced():
        hands = mp.solutions.hands.Hands(...)
        hands.process(blank_frame)   # the first frame opens the graph's calculators
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()  # two detectors built at once must not restore each other's descriptor


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """File descriptor 2 goes to the null device inside the block (whatever writes to it: C++ or
    Python, any thread), and back afterwards, also when the block raises."""
    with _lock:
        sys.stderr.flush()
        saved = os.dup(2)
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 2)
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            os.close(null)
