"""The body of a run's own process: `python -m airtype_core train --job-dir DIR`."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from filelock import FileLock

from ..settings import get_settings
from .jobprocess import CHILD_START_S
from .jobreporter import Reporter
from .jobstatus import JobStatus, read_json

# Test hook: while the file this names exists, a run waits after its first training batch
# (status written, cancel still honoured), so a test can act during a live run of any length.
HOLD_FILE_ENV = "AIRTYPE_TEST_HOLD_FILE"


def run_job(job_dir: str | Path) -> int:
    """Train as `job_dir/request.json` asks; returns the exit code.

    The run lock is taken first thing (the starter waits for it, holding the start lock)
    and let go as soon as the final status is written, so the next run need not wait for
    this interpreter to shut down."""
    job_dir = Path(job_dir)
    run = FileLock(job_dir.parent / "run.lock")
    run.acquire(timeout=CHILD_START_S)  # someone may be glimpsing at it for a moment
    try:
        return _run_job(job_dir)
    finally:
        run.release()


def _run_job(job_dir: Path) -> int:
    request = json.loads((job_dir / "request.json").read_text())
    previous = read_json(job_dir / "status.json") or {}
    reporter = Reporter(job_dir, JobStatus.from_dict({**previous, "job_id": job_dir.name, "pid": os.getpid()}))
    reporter.update(force=True, state="preparing", message="loading the trainer")

    def on_term(signum: int, frame: Any) -> None:
        reporter.stop_requested = True  # stop between two batches, recorded as cancelled

    signal.signal(signal.SIGTERM, on_term)

    from ..recognition.modelstore import ModelStore  # torch: a second or two
    from ..storage.records import StorageError
    from ..storage.store import Storage
    from .options import TrainingError, TrainOptions
    from .run import run_training
    from .trainer import TrainingCancelled

    settings = get_settings()  # the starter put the database and model folder in the environment
    hold = os.environ.get(HOLD_FILE_ENV)

    def on_progress(p: Any) -> None:
        reporter.on_progress(p)
        if hold and p.train is not None:
            reporter.update(force=True)  # what the watchers see while the run is held
            while os.path.exists(hold) and not reporter.should_stop():
                time.sleep(0.1)

    try:
        reporter.run(
            lambda: run_training(
                TrainOptions.from_dict(request["options"]),
                Storage(settings.database_url),
                ModelStore(settings.model_dir),
                progress=on_progress,
                should_stop=reporter.should_stop,
                settings=settings,
            )
        )
    except TrainingCancelled:
        return 0
    except (TrainingError, StorageError):
        return 2
    return 0
