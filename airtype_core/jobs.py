"""Training in the background: one run at a time, in its own process, watched through files.

    runner = JobRunner()                      # jobs live in <model_dir>/.jobs/
    runner.start(TrainOptions(), storage)     # TrainingBusyError while another run is going on
    runner.status()                           # JobStatus, read from a small JSON file: cheap to poll
    runner.cancel()                           # the run stops between two batches, status `cancelled`

A run is `python -m airtype_core train --job-dir <dir>`, started in a session of
its own, so neither a closed browser tab nor a Streamlit rerun can stop it. It
holds an exclusive `flock` on `<model_dir>/.jobs/lock` for its whole life: the
starter takes the lock and hands it to the child, so there is no moment when a
second request could slip in, and the kernel drops it when the process dies,
even by SIGKILL. That is how a second request knows it must wait, and how a dead
run (status still `training`, lock free) is told from a live one.

Files of one run (`<model_dir>/.jobs/<job id>/`): `request.json` (the options; the
database and model folder go by environment, so no password lands on disk),
`status.json` (rewritten atomically as it goes), `pid`, `cancel` (its existence
asks the run to stop), `output.log` (the child's stdout/stderr).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from .settings import PROJECT_ROOT, Settings, get_settings

ACTIVE_STATES = ("starting", "preparing", "training", "evaluating", "saving")
FINAL_STATES = ("completed", "failed", "cancelled")
_STATUS_EVERY_S = 0.3  # how often a running job rewrites status.json at most
_CURVE_POINTS = 400  # live curve points kept; older ones are thinned
# One thread: a batch of 32 through the LSTMs is too small to split across cores.
# Measured on the 2-core reference machine, fine-tuning on 500 samples ran at 257
# samples/s on one thread against 164 on two, and two threads that spin while they
# wait for each other collapse when anything else wants the cores (5 s a batch
# instead of 0.5 s). It also leaves a core to the app, which keeps predicting meanwhile.
# Set OMP_NUM_THREADS yourself to override.
TRAINING_ENV = {"OMP_NUM_THREADS": "1"}


class TrainingBusyError(Exception):
    """A run is already going on; only one at a time. The message is meant for a person."""


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    state: str  # starting | preparing | training | evaluating | saving | completed | failed | cancelled
    message: str = ""
    pid: int | None = None
    session_id: int | None = None
    mode: str = "finetune"
    started_at: float = 0.0  # unix time
    updated_at: float = 0.0
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    fraction: float = 0.0  # of all batches of all epochs
    elapsed_s: float = 0.0  # since the job started, preparation included
    eta_s: float | None = None
    curve: tuple[dict[str, float], ...] = ()  # live points: {"x": epochs done (fractional), "loss", "acc"}
    history: tuple[dict[str, Any], ...] = ()  # per finished epoch: train/val loss and accuracy
    outcome: dict[str, Any] | None = None  # finetune.TrainOutcome.to_dict() once completed
    error: str | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    def elapsed_until(self, now: float) -> float:
        """Seconds since the job started: counted on to `now` while it is active, because its
        status is only written now and then (not at all while it loads torch, say)."""
        return max(self.elapsed_s, now - self.started_at) if self.active and self.started_at else self.elapsed_s

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobStatus:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["curve"] = tuple(values.get("curve", ()))
        values["history"] = tuple(values.get("history", ()))
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)} | {
            "curve": list(self.curve), "history": list(self.history)
        }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Readers see the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class JobRunner:
    def __init__(self, settings: Settings | None = None, root: str | Path | None = None):
        self.settings = settings or get_settings()
        self.root = Path(root) if root else Path(self.settings.model_dir) / ".jobs"

    # --- the lock ---------------------------------------------------------------------
    def _try_lock(self, attempts: int = 3) -> int | None:
        """An fd holding the exclusive run lock, or None when a run holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        # a `status()` elsewhere may be probing the lock for a few microseconds: ask again
        for attempt in range(attempts):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                time.sleep(0.02 * (attempt + 1))
        os.close(fd)
        return None

    def is_running(self) -> bool:
        """True while some process (the app's job, or `python -m airtype_core train`) is training."""
        fd = self._try_lock(attempts=1)
        if fd is None:
            return True
        os.close(fd)
        return False

    def _busy(self) -> TrainingBusyError:
        current = self.status()
        if current is not None and current.active:
            since = datetime.fromtimestamp(current.started_at).strftime("%H:%M:%S")
            what = f"the {current.mode} run started at {since} is {current.state}"
        elif current is not None and time.time() - current.updated_at < 10:
            what = f"the last run ({current.state}) is closing"
        else:
            what = "a training run started from the command line is going on"
        return TrainingBusyError(
            f"Only one training run at a time: {what}. Wait for it to finish or cancel it, then start again."
        )

    @contextmanager
    def hold(self, storage: Any = None) -> Iterator[None]:
        """Hold the run lock in this process (the command line's foreground training)."""
        fd = self._try_lock()
        if fd is None:
            raise self._busy()
        try:
            self._recover(storage)
            yield
        finally:
            os.close(fd)

    # --- starting, watching, cancelling ----------------------------------------------------
    def start(self, options: Any, storage: Any = None) -> JobStatus:
        """Start a training run in the background; refused (TrainingBusyError) while one is going on.

        With `storage`, too few samples are refused here at once (NotEnoughSamplesError)
        instead of a few seconds later by the job."""
        from .finetune import check_enough_samples

        fd = self._try_lock()
        if fd is None:
            raise self._busy()
        try:
            options = options.resolved(self.settings)
            if storage is not None:
                check_enough_samples(storage, options, self.settings)
            self._recover(storage)
            job_id = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
            job_dir = self.root / job_id
            job_dir.mkdir()
            _write_json(job_dir / "request.json", {"options": options.to_dict()})
            status = JobStatus(job_id, "starting", "starting the training process", mode=options.mode,
                               started_at=time.time(), updated_at=time.time(), epochs=options.epochs)
            _write_json(job_dir / "status.json", status.to_dict())
            _write_json(self.root / "current.json", {"job_id": job_id})
            database_url = self.settings.database_url if storage is None else \
                storage.url.render_as_string(hide_password=False)
            env = {**TRAINING_ENV, **os.environ, "PYTHONUNBUFFERED": "1",
                   "AIRTYPE_DATABASE_URL": database_url,
                   "AIRTYPE_MODEL_DIR": str(Path(self.settings.model_dir).resolve()),
                   "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))}
            try:
                with open(job_dir / "output.log", "wb") as log:
                    process = subprocess.Popen(
                        [sys.executable, "-m", "airtype_core", "train", "--job-dir", str(job_dir), "--lock-fd", str(fd)],
                        cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                        pass_fds=(fd,), start_new_session=True,
                    )
            except OSError as exc:
                _write_json(job_dir / "status.json", replace(status, state="failed", error=str(exc)).to_dict())
                raise
            (job_dir / "pid").write_text(str(process.pid))
            # reap the child when it ends, so it does not linger as a zombie of the app
            threading.Thread(target=process.wait, name=f"training-{job_id}", daemon=True).start()
            return replace(status, pid=process.pid)
        finally:
            os.close(fd)  # the child's inherited copy now holds the lock alone

    def status(self, job_id: str | None = None) -> JobStatus | None:
        """The latest job (or `job_id`); a job whose process died is reported failed."""
        status = self._read_status(job_id)
        if status is None or not status.active:
            return status
        fd = self._try_lock(attempts=1)
        if fd is None:
            return status  # its process holds the lock: alive
        try:
            # The run is over. A run writes its last status before it lets the lock go,
            # so read again: still active now means it died without a word.
            status = self._read_status(job_id)
            return self._mark_dead(status) if status is not None and status.active else status
        finally:
            os.close(fd)

    def _read_status(self, job_id: str | None = None) -> JobStatus | None:
        job_id = job_id or (_read_json(self.root / "current.json") or {}).get("job_id")
        data = _read_json(self.root / job_id / "status.json") if job_id else None
        if data is None:
            return None
        status = JobStatus.from_dict(data)
        try:
            return replace(status, pid=int((self.root / job_id / "pid").read_text()))
        except (OSError, ValueError):
            return status

    def cancel(self) -> bool:
        """Ask the current run to stop; False when there is none."""
        status = self.status()
        if status is None or not status.active:
            return False
        (self.root / status.job_id / "cancel").touch()
        return True

    def recover(self, storage: Any = None) -> int:
        """Runs left `running` by a process that died are marked failed (no-op while one is alive)."""
        fd = self._try_lock()
        if fd is None:
            return 0
        try:
            return self._recover(storage)
        finally:
            os.close(fd)

    def _recover(self, storage: Any) -> int:
        """With the lock held, no run is alive: whatever claims to be running is not."""
        status = self._read_status()
        if status is not None and status.active:
            self._mark_dead(status)
        return storage.mark_interrupted_sessions() if storage is not None else 0

    def _mark_dead(self, status: JobStatus) -> JobStatus:
        dead = replace(status, state="failed", updated_at=time.time(),
                       error="the training process stopped before finishing (killed or crashed); "
                             "the active model was not changed")
        _write_json(self.root / status.job_id / "status.json", dead.to_dict())
        return dead


# --- inside the job's own process ------------------------------------------------------


class _Reporter:
    """Turns `finetune.RunProgress` into status.json rewrites, a few per second at most."""

    def __init__(self, job_dir: Path, status: JobStatus):
        self.path = job_dir / "status.json"
        self.cancel_path = job_dir / "cancel"
        self.status = status
        self.stop_requested = False
        self._written = 0.0
        self._t0 = status.started_at or time.time()

    def update(self, force: bool = False, **changes: Any) -> None:
        now = time.time()
        self.status = replace(self.status, updated_at=now, elapsed_s=now - self._t0, **changes)
        if force or now - self._written >= _STATUS_EVERY_S:
            _write_json(self.path, self.status.to_dict())
            self._written = now

    def on_progress(self, p: Any) -> None:
        changes: dict[str, Any] = {"state": p.phase, "message": p.message, "session_id": p.session_id}
        force = p.phase != self.status.state
        if p.train is not None:
            t = p.train
            curve = list(self.status.curve)
            curve.append({"x": t.epoch - 1 + t.batch / t.batches, "loss": t.train_loss, "acc": t.train_acc})
            if len(curve) > _CURVE_POINTS:
                curve = curve[::2]
            changes.update(epoch=t.epoch, epochs=t.epochs, batch=t.batch, batches=t.batches, fraction=t.fraction,
                           eta_s=t.eta_s, curve=tuple(curve))
            if t.val_acc is not None:
                changes["history"] = self.status.history + (t.epoch_record(),)
                force = True
        self.update(force=force, **changes)

    def should_stop(self) -> bool:
        return self.stop_requested or self.cancel_path.exists()


def run_job(job_dir: str | Path, lock_fd: int | None = None) -> int:
    """The body of `python -m airtype_core train --job-dir DIR --lock-fd N`; returns the exit code.

    `lock_fd` is the run lock inherited from the starter: released as soon as the final
    status is written, so the next run need not wait for this interpreter to shut down."""
    try:
        return _run_job(Path(job_dir))
    finally:
        if lock_fd is not None:
            os.close(lock_fd)


def _run_job(job_dir: Path) -> int:
    request = json.loads((job_dir / "request.json").read_text())
    previous = _read_json(job_dir / "status.json") or {}
    reporter = _Reporter(job_dir, JobStatus.from_dict({**previous, "job_id": job_dir.name, "pid": os.getpid()}))
    reporter.update(force=True, state="preparing", message="loading the trainer")

    def on_term(signum: int, frame: Any) -> None:
        reporter.stop_requested = True  # stop between two batches, recorded as cancelled

    signal.signal(signal.SIGTERM, on_term)

    from .finetune import TrainingError, TrainOptions, run_training  # torch: a second or two
    from .modelstore import ModelStore
    from .storage import Storage, StorageError
    from .training import TrainingCancelled

    settings = get_settings()  # the starter put the database and model folder in the environment
    try:
        storage = Storage(settings.database_url)
        outcome = run_training(
            TrainOptions.from_dict(request["options"]), storage, ModelStore(settings.model_dir),
            progress=reporter.on_progress, should_stop=reporter.should_stop, settings=settings,
        )
    except TrainingCancelled:
        reporter.update(force=True, state="cancelled", message="cancelled: the active model was not changed",
                        eta_s=None)
        return 0
    except (TrainingError, StorageError) as exc:
        reporter.update(force=True, state="failed", message="training could not run", error=str(exc), eta_s=None)
        return 2
    except Exception as exc:
        reporter.update(force=True, state="failed", message="training failed",
                        error=f"{type(exc).__name__}: {exc}", eta_s=None)
        raise
    verdict = "activated" if outcome.activated else "kept back"
    reporter.update(force=True, state="completed", message=f"{outcome.version} {verdict}", eta_s=0.0,
                    outcome=outcome.to_dict(), session_id=outcome.session_id)
    return 0
