"""Starting a run's process, detached from the app, and stopping one that did not get going.

A run is `python -m airtype_core train --job-dir <dir>`, started detached from the
app, so neither a closed browser tab nor a Streamlit rerun can stop it. The
database and model folder go to it by environment, so no password lands on disk.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..settings import PROJECT_ROOT, Settings

CHILD_START_S = 120.0  # a new run's process must hold the run lock within this (a busy laptop starting Python)
# One thread: a batch of 32 through the LSTMs is too small to split across cores, and
# two threads that spin while they wait for each other collapse when anything else
# wants the cores (docs/what-we-tried.md). It also leaves a core to the app, which
# keeps predicting meanwhile. Set OMP_NUM_THREADS yourself to override.
TRAINING_ENV = {"OMP_NUM_THREADS": "1"}


def _detached() -> dict[str, Any]:
    """Popen arguments that keep the run alive when the app's process group goes (Ctrl+C in
    the terminal that runs Streamlit, a closed console window on Windows)."""
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS}  # type: ignore[attr-defined]
    return {"start_new_session": True}


def child_environment(settings: Settings, storage: Any = None) -> dict[str, str]:
    """The run's environment: the app's, plus the database and model folder it is to use."""
    database_url = settings.database_url if storage is None else storage.url.render_as_string(hide_password=False)
    return {
        **TRAINING_ENV,
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "AIRTYPE_DATABASE_URL": database_url,
        "AIRTYPE_MODEL_DIR": str(Path(settings.model_dir).resolve()),
    }


def spawn(job_dir: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start the run of `job_dir` in its own process (group); its output goes to output.log."""
    with open(job_dir / "output.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "airtype_core", "train", "--job-dir", str(job_dir)],
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            **_detached(),
        )


def stop(process: subprocess.Popen) -> None:
    """Kill a run's process (and its group) and reap it: a child left behind could still take
    the run lock later and train, after its start was reported failed."""
    if process.poll() is None:
        try:
            if os.name == "nt":
                process.kill()
            else:
                os.killpg(process.pid, signal.SIGKILL)  # its own group: start_new_session
        except ProcessLookupError:
            pass
    process.wait()


def last_line(log: Path) -> str:
    """The last line the process wrote, for a person (why it did not start)."""
    try:
        text = log.read_text(errors="replace")[-2000:].strip()
    except OSError:
        return ""
    return text.splitlines()[-1] if text else ""
