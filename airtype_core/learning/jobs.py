"""Training in the background: one run at a time, in its own process, watched through files.

    runner = JobRunner()                      # jobs live in <model_dir>/.jobs/
    runner.start(TrainOptions(), storage)     # TrainingBusyError while another run is going on
    runner.status()                           # JobStatus, read from a small JSON file: cheap to poll
    runner.cancel()                           # the run stops between two batches, status `cancelled`
    runner.run_here(options, storage)         # the same, in this process (the command line)
    runner.recover(storage)                   # runs whose process died are marked failed; never waits

The pieces, one module each: the lock protocol (`joblocks`: who may start a run, who
may declare one dead), starting the process (`jobprocess`), the status files
(`jobstatus`), the progress reporter inside the run (`jobreporter`) and the run's
own entry point (`jobchild`).

Files of one run (`<model_dir>/.jobs/<job id>/`): `request.json` (the options),
`status.json` (rewritten atomically as it goes), `pid`, `cancel` (its existence
asks the run to stop), `output.log` (the child's stdout/stderr). The newest
JOBS_KEPT run folders are kept; older ones are pruned by recovery.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..settings import Settings, get_settings
from . import jobprocess
from .jobchild import HOLD_FILE_ENV, run_job
from .joblocks import JobLocks, LocksBusy
from .jobprocess import TRAINING_ENV
from .jobreporter import Reporter
from .jobstatus import ACTIVE_STATES, FINAL_STATES, JobStatus, prune, read_json, read_status, write_json

__all__ = [
    "ACTIVE_STATES",
    "FINAL_STATES",
    "HOLD_FILE_ENV",
    "JOBS_KEPT",
    "TRAINING_ENV",
    "JobRunner",
    "JobStatus",
    "TrainingBusyError",
    "run_job",
]

JOBS_KEPT = 20  # run folders kept in .jobs/ (status, request, log), newest first
_CHILD_START_S = jobprocess.CHILD_START_S  # how long a starter waits for its child to hold the run lock
_START_WAIT_S = 5.0  # how long a starter waits for another starter


class TrainingBusyError(Exception):
    """A run is already going on; only one at a time. The message is meant for a person."""


class JobRunner:
    def __init__(self, settings: Settings | None = None, root: str | Path | None = None):
        self.settings = settings or get_settings()
        self.root = Path(root) if root else Path(self.settings.model_dir) / ".jobs"
        self.locks = JobLocks(self.root)

    # --- the locks ------------------------------------------------------------------------
    @contextmanager
    def _starting(self) -> Iterator[None]:
        """Hold the start lock, with no run alive: the one moment a run may be started."""
        try:
            with self.locks.starting(_START_WAIT_S):
                yield
        except LocksBusy:
            raise self._busy() from None

    def is_running(self) -> bool:
        """A glimpse: True while some process (the app's job, or `python -m airtype_core train`) is
        training or being started, in this app or another one sharing the model folder."""
        return self.locks.is_held("run.lock") or self.locks.is_held("start.lock")

    def _busy(self) -> TrainingBusyError:
        current = self._read_status()
        if current is not None and current.active:
            since = datetime.fromtimestamp(current.started_at).strftime("%H:%M:%S")
            what = f"the {current.mode} run started at {since} is {current.state}"
        elif current is not None and time.time() - current.updated_at < 10:
            what = f"the last run ({current.state}) is closing"
        else:
            what = "another training run is being started"
        return TrainingBusyError(
            f"Only one training run at a time: {what}. Wait for it to finish or cancel it, then start again."
        )

    @contextmanager
    def hold(self, storage: Any = None) -> Iterator[None]:
        """Hold the run lock in this process for the duration (TrainingBusyError when a run is alive)."""
        run = self.locks.lock("run.lock")
        with self._starting():
            self._recover(storage)
            run.acquire(timeout=_START_WAIT_S)
        try:
            yield
        finally:
            run.release()

    # --- starting, watching, cancelling ----------------------------------------------------
    def _new_job(self, options: Any) -> tuple[Path, JobStatus]:
        job_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        job_dir = self.root / job_id
        job_dir.mkdir()
        write_json(job_dir / "request.json", {"options": options.to_dict()})
        now = time.time()
        status = JobStatus(
            job_id,
            "starting",
            "starting the training process",
            mode=options.mode,
            started_at=now,
            updated_at=now,
            epochs=options.epochs,
        )
        write_json(job_dir / "status.json", status.to_dict())
        write_json(self.root / "current.json", {"job_id": job_id})
        return job_dir, status

    def start(self, options: Any, storage: Any = None) -> JobStatus:
        """Start a training run in the background; refused (TrainingBusyError) while one is going on.

        With `storage`, too few samples are refused here at once (NotEnoughSamplesError)
        instead of a few seconds later by the job."""
        from .readiness import check_enough_samples

        with self._starting():
            options = options.resolved(self.settings)
            if storage is not None:
                check_enough_samples(storage, options, self.settings)
            self._recover(storage)
            job_dir, status = self._new_job(options)
            try:
                process = jobprocess.spawn(job_dir, jobprocess.child_environment(self.settings, storage))
            except OSError as exc:
                write_json(job_dir / "status.json", replace(status, state="failed", error=str(exc)).to_dict())
                raise
            (job_dir / "pid").write_text(str(process.pid))
            # reap the child when it ends, so it does not linger as a zombie of the app
            threading.Thread(target=process.wait, name=f"training-{status.job_id}", daemon=True).start()
            self._wait_until_it_holds_the_run_lock(process, job_dir, status)
            return replace(self._read_status(status.job_id) or status, pid=process.pid)

    def _wait_until_it_holds_the_run_lock(self, process: subprocess.Popen, job_dir: Path, status: JobStatus) -> None:
        """Keep the start lock until the new run holds the run lock, so nobody sees a gap. A child
        that does not get there in time is killed before its start is reported failed."""
        deadline = time.monotonic() + _CHILD_START_S
        while time.monotonic() < deadline:
            current = read_json(job_dir / "status.json") or {}
            if current.get("state") != "starting":
                return  # the run writes its first status only once it holds the lock
            if process.poll() is not None:
                break
            time.sleep(0.05)
        timed_out = process.poll() is None
        jobprocess.stop(process)
        why = f"it did not hold the run lock within {_CHILD_START_S:.0f} s" if timed_out else "it ended"
        line = jobprocess.last_line(job_dir / "output.log")
        write_json(
            job_dir / "status.json",
            replace(
                status,
                state="failed",
                updated_at=time.time(),
                error=f"the training process did not start ({why})" + (f": {line}" if line else ""),
            ).to_dict(),
        )

    def run_here(
        self,
        options: Any,
        storage: Any,
        progress: Callable[[Any], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> Any:
        """A training run in this process (the command line), recorded as a job like the app's,
        so an app watching the same model folder shows its progress. Returns its TrainOutcome."""
        from ..recognition.modelstore import ModelStore
        from .run import run_training

        with self.hold(storage):
            options = options.resolved(self.settings)
            job_dir, status = self._new_job(options)
            reporter = Reporter(job_dir, replace(status, pid=os.getpid()))
            (job_dir / "pid").write_text(str(os.getpid()))

            def on_progress(p: Any) -> None:
                reporter.on_progress(p)
                if progress:
                    progress(p)

            return reporter.run(
                lambda: run_training(
                    options,
                    storage,
                    ModelStore(self.settings.model_dir),
                    progress=on_progress,
                    should_stop=lambda: reporter.should_stop() or bool(should_stop and should_stop()),
                    settings=self.settings,
                )
            )

    def status(self, job_id: str | None = None) -> JobStatus | None:
        """The latest job (or `job_id`). One that claims to be going on is checked by recovery,
        which never waits: a run being started or handed over is left as it is."""
        status = self._read_status(job_id)
        if status is None or not status.active:
            return status
        self.recover()
        return self._read_status(job_id)

    def _read_status(self, job_id: str | None = None) -> JobStatus | None:
        return read_status(self.root, job_id)

    def cancel(self) -> bool:
        """Ask the current run to stop; False when there is none."""
        status = self.status()
        if status is None or not status.active:
            return False
        (self.root / status.job_id / "cancel").touch()
        return True

    # --- recovery: the only place a run is declared dead ------------------------------------
    def recover(self, storage: Any = None) -> int:
        """Runs of this model folder left `running` by a process that died are marked failed,
        and old run folders pruned. Never waits: while a run is alive or being started it does
        nothing. Returns how many database records were marked."""
        try:
            with self.locks.starting(wait_s=0):
                return self._recover(storage)
        except LocksBusy:
            return 0

    def _recover(self, storage: Any) -> int:
        """With the start lock held and no run alive, every job of this folder that claims to be
        running is dead. Only those jobs' database records are marked: another app sharing the
        database with another model folder keeps its live run."""
        dead_sessions = []
        for status_file in self.root.glob("*/status.json"):
            status = self._read_status(status_file.parent.name)
            if status is None:
                continue
            if status.active:
                status = self._mark_dead(status)
            if status.session_id is not None and status.state == "failed":
                dead_sessions.append(status.session_id)
        prune(self.root, JOBS_KEPT)
        return storage.mark_interrupted_sessions(dead_sessions) if storage is not None else 0

    def _mark_dead(self, status: JobStatus) -> JobStatus:
        dead = replace(
            status,
            state="failed",
            updated_at=time.time(),
            error="the training process stopped before finishing (killed or crashed); the active model was not changed",
        )
        write_json(self.root / status.job_id / "status.json", dead.to_dict())
        return dead
