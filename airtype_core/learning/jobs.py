"""Training in the background: one run at a time, in its own process, watched through files.

    runner = JobRunner()                      # jobs live in <model_dir>/.jobs/
    runner.start(TrainOptions(), storage)     # TrainingBusyError while another run is going on
    runner.status()                           # JobStatus, read from a small JSON file: cheap to poll
    runner.cancel()                           # the run stops between two batches, status `cancelled`
    runner.run_here(options, storage)         # the same, in this process (the command line)

A run is `python -m airtype_core train --job-dir <dir>`, started detached from
the app, so neither a closed browser tab nor a Streamlit rerun can stop it.

Two file locks in `<model_dir>/.jobs/` (the `filelock` library: an OS lock on
Linux, macOS and Windows, which the OS drops when its process dies, even when it
is killed; a lock file with its owner's pid where the OS offers none):
- `run.lock` is held by the training process for its whole life. Held: a run is
  alive. Free while a status says `training`: that run died without a word.
- `start.lock` is held by whoever is starting a run, from the moment it checks
  that no run is alive until its run holds `run.lock`, so two starters (two
  browser tabs, two app processes sharing the model folder, the command line)
  can never both start one, and nobody mistakes a run being started for a dead one.

Files of one run (`<model_dir>/.jobs/<job id>/`): `request.json` (the options; the
database and model folder go by environment, so no password lands on disk),
`status.json` (rewritten atomically as it goes), `pid`, `cancel` (its existence
asks the run to stop), `output.log` (the child's stdout/stderr).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from filelock import FileLock, Timeout

from ..settings import PROJECT_ROOT, Settings, get_settings
from .records import CurvePoint, EpochRecord, TrainOutcome, known_fields

ACTIVE_STATES = ("starting", "preparing", "training", "evaluating", "saving")
FINAL_STATES = ("completed", "failed", "cancelled")
_STATUS_EVERY_S = 0.3  # how often a running job rewrites status.json at most
_CURVE_POINTS = 400  # live curve points kept; older ones are thinned
_CHILD_START_S = 120.0  # a new run's process must hold the run lock within this (a busy laptop starting Python)
# One thread: a batch of 32 through the LSTMs is too small to split across cores, and
# two threads that spin while they wait for each other collapse when anything else
# wants the cores (docs/what-we-tried.md). It also leaves a core to the app, which
# keeps predicting meanwhile. Set OMP_NUM_THREADS yourself to override.
TRAINING_ENV = {"OMP_NUM_THREADS": "1"}
# Test hook: while the file this names exists, a run waits after its first training batch
# (status written, cancel still honoured), so a test can act during a live run of any length.
HOLD_FILE_ENV = "AIRTYPE_TEST_HOLD_FILE"


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
    curve: tuple[CurvePoint, ...] = ()  # live points, a few per epoch
    history: tuple[EpochRecord, ...] = ()  # one per finished epoch
    outcome: TrainOutcome | None = None  # once completed
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
        values = known_fields(cls, data)
        values["curve"] = tuple(CurvePoint.from_dict(p) for p in values.get("curve", ()))
        values["history"] = tuple(EpochRecord.from_dict(e) for e in values.get("history", ()))
        if values.get("outcome") is not None:
            values["outcome"] = TrainOutcome.from_dict(values["outcome"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)} | {
            "curve": [asdict(p) for p in self.curve], "history": [asdict(e) for e in self.history],
            "outcome": self.outcome.to_dict() if self.outcome is not None else None,
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


def _detached() -> dict[str, Any]:
    """Popen arguments that keep the run alive when the app's process group goes (Ctrl+C in
    the terminal that runs Streamlit, a closed console window on Windows)."""
    if os.name == "nt":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS}  # type: ignore[attr-defined]
    return {"start_new_session": True}


class JobRunner:
    def __init__(self, settings: Settings | None = None, root: str | Path | None = None):
        self.settings = settings or get_settings()
        self.root = Path(root) if root else Path(self.settings.model_dir) / ".jobs"

    # --- the two locks ------------------------------------------------------------------
    def _lock(self, name: str) -> FileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(self.root / name)

    def _is_held(self, name: str) -> bool:
        """Whether some process (this one included) holds the lock now."""
        lock = self._lock(name)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return True
        lock.release()
        return False

    @contextmanager
    def _starting(self) -> Iterator[None]:
        """Hold the start lock, with no run alive: the one moment a run may be started."""
        start = self._lock("start.lock")
        try:
            start.acquire(timeout=5)  # another starter needs a second or two at most
        except Timeout:
            raise self._busy() from None
        try:
            if self._is_held("run.lock"):
                raise self._busy()
            yield
        finally:
            start.release()

    def is_running(self) -> bool:
        """True while some process (the app's job, or `python -m airtype_core train`) is training
        or being started, in this app or in another one sharing the model folder."""
        return self._is_held("run.lock") or self._is_held("start.lock")

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
        run = self._lock("run.lock")
        with self._starting():
            self._recover(storage)
            run.acquire(timeout=5)
        try:
            yield
        finally:
            run.release()

    # --- starting, watching, cancelling ----------------------------------------------------
    def _new_job(self, options: Any) -> tuple[Path, JobStatus]:
        job_id = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-%f")
        job_dir = self.root / job_id
        job_dir.mkdir()
        _write_json(job_dir / "request.json", {"options": options.to_dict()})
        now = time.time()
        status = JobStatus(job_id, "starting", "starting the training process", mode=options.mode,
                           started_at=now, updated_at=now, epochs=options.epochs)
        _write_json(job_dir / "status.json", status.to_dict())
        _write_json(self.root / "current.json", {"job_id": job_id})
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
            database_url = self.settings.database_url if storage is None else \
                storage.url.render_as_string(hide_password=False)
            env = {**TRAINING_ENV, **os.environ, "PYTHONUNBUFFERED": "1",
                   "AIRTYPE_DATABASE_URL": database_url,
                   "AIRTYPE_MODEL_DIR": str(Path(self.settings.model_dir).resolve())}
            try:
                with open(job_dir / "output.log", "wb") as log:
                    process = subprocess.Popen(
                        [sys.executable, "-m", "airtype_core", "train", "--job-dir", str(job_dir)],
                        cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                        **_detached(),
                    )
            except OSError as exc:
                _write_json(job_dir / "status.json", replace(status, state="failed", error=str(exc)).to_dict())
                raise
            (job_dir / "pid").write_text(str(process.pid))
            # reap the child when it ends, so it does not linger as a zombie of the app
            threading.Thread(target=process.wait, name=f"training-{status.job_id}", daemon=True).start()
            self._wait_until_it_holds_the_run_lock(process, job_dir, status)
            return replace(status, pid=process.pid)

    def _wait_until_it_holds_the_run_lock(self, process: subprocess.Popen, job_dir: Path, status: JobStatus) -> None:
        """Keep the start lock until the new run holds the run lock, so nobody sees a gap."""
        deadline = time.monotonic() + _CHILD_START_S
        while time.monotonic() < deadline:
            current = _read_json(job_dir / "status.json") or {}
            if current.get("state") != "starting":
                return  # the run writes its first status only once it holds the lock
            if process.poll() is not None:
                break
            time.sleep(0.05)
        log = (job_dir / "output.log").read_text(errors="replace")[-2000:] if (job_dir / "output.log").exists() else ""
        _write_json(job_dir / "status.json", replace(
            status, state="failed", updated_at=time.time(),
            error="the training process did not start" + (f": {log.strip().splitlines()[-1]}" if log.strip() else ""),
        ).to_dict())

    def run_here(self, options: Any, storage: Any, progress: Callable[[Any], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> Any:
        """A training run in this process (the command line), recorded as a job like the app's,
        so an app watching the same model folder shows its progress. Returns its TrainOutcome."""
        from ..recognition.modelstore import ModelStore
        from .run import run_training

        with self.hold(storage):
            options = options.resolved(self.settings)
            job_dir, status = self._new_job(options)
            reporter = _Reporter(job_dir, replace(status, pid=os.getpid()))
            (job_dir / "pid").write_text(str(os.getpid()))

            def on_progress(p: Any) -> None:
                reporter.on_progress(p)
                if progress:
                    progress(p)

            return reporter.run(lambda: run_training(
                options, storage, ModelStore(self.settings.model_dir), progress=on_progress,
                should_stop=lambda: reporter.should_stop() or bool(should_stop and should_stop()),
                settings=self.settings,
            ))

    def status(self, job_id: str | None = None) -> JobStatus | None:
        """The latest job (or `job_id`); a job whose process died is reported failed."""
        status = self._read_status(job_id)
        if status is None or not status.active or self.is_running():
            return status
        # Nothing holds either lock, so the run is over. A run writes its last status before
        # it lets the lock go, so read again: still active now means it died without a word.
        status = self._read_status(job_id)
        return self._mark_dead(status) if status is not None and status.active else status

    def _read_status(self, job_id: str | None = None) -> JobStatus | None:
        job_id = job_id or (_read_json(self.root / "current.json") or {}).get("job_id")
        data = _read_json(self.root / job_id / "status.json") if job_id else None
        if data is None or job_id is None:
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
        """Runs of this model folder left `running` by a process that died are marked failed
        (no-op while one is alive). Returns how many database records were marked."""
        try:
            with self._starting():
                return self._recover(storage)
        except TrainingBusyError:
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
        return storage.mark_interrupted_sessions(dead_sessions) if storage is not None else 0

    def _mark_dead(self, status: JobStatus) -> JobStatus:
        dead = replace(status, state="failed", updated_at=time.time(),
                       error="the training process stopped before finishing (killed or crashed); "
                             "the active model was not changed")
        _write_json(self.root / status.job_id / "status.json", dead.to_dict())
        return dead


# --- inside the job's own process ------------------------------------------------------


class _Reporter:
    """Turns `RunProgress` into status.json rewrites, a few per second at most."""

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
        # a new phase, and the moment the run has a database record, are always written:
        # recovery after a crash finds the record through this file
        force = p.phase != self.status.state or p.session_id != self.status.session_id
        if p.train is not None:
            t = p.train
            curve = self.status.curve + (CurvePoint(t.epoch - 1 + t.batch / t.batches, t.train_loss, t.train_acc),)
            if len(curve) > _CURVE_POINTS:
                curve = curve[::2]
            changes.update(epoch=t.epoch, epochs=t.epochs, batch=t.batch, batches=t.batches, fraction=t.fraction,
                           eta_s=t.eta_s, curve=curve)
            if t.val_acc is not None:
                changes["history"] = self.status.history + (EpochRecord.from_dict(t.epoch_record()),)
                force = True
        self.update(force=force, **changes)

    def should_stop(self) -> bool:
        return self.stop_requested or self.cancel_path.exists()

    def run(self, train: Callable[[], Any]) -> Any:
        """Run `train()` and write how it ended; returns its TrainOutcome."""
        from ..storage.records import StorageError
        from .options import TrainingError
        from .trainer import TrainingCancelled

        try:
            outcome = train()
        except TrainingCancelled:
            self.update(force=True, state="cancelled", message="cancelled: the active model was not changed",
                        eta_s=None)
            raise
        except (TrainingError, StorageError) as exc:
            self.update(force=True, state="failed", message="training could not run", error=str(exc), eta_s=None)
            raise
        except BaseException as exc:
            self.update(force=True, state="failed", message="training failed",
                        error=f"{type(exc).__name__}: {exc}", eta_s=None)
            raise
        verdict = "activated" if outcome.activated else "kept back"
        self.update(force=True, state="completed", message=f"{outcome.version} {verdict}", eta_s=0.0,
                    outcome=outcome, session_id=outcome.session_id)
        return outcome


def run_job(job_dir: str | Path) -> int:
    """The body of `python -m airtype_core train --job-dir DIR`; returns the exit code.

    The run lock is taken first thing (the starter waits for it, holding the start lock)
    and let go as soon as the final status is written, so the next run need not wait for
    this interpreter to shut down."""
    job_dir = Path(job_dir)
    run = FileLock(job_dir.parent / "run.lock")
    run.acquire(timeout=_CHILD_START_S)  # the starter may be probing it for a moment
    try:
        return _run_job(job_dir)
    finally:
        run.release()


def _run_job(job_dir: Path) -> int:
    request = json.loads((job_dir / "request.json").read_text())
    previous = _read_json(job_dir / "status.json") or {}
    reporter = _Reporter(job_dir, JobStatus.from_dict({**previous, "job_id": job_dir.name, "pid": os.getpid()}))
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
        reporter.run(lambda: run_training(
            TrainOptions.from_dict(request["options"]), Storage(settings.database_url), ModelStore(settings.model_dir),
            progress=on_progress, should_stop=reporter.should_stop, settings=settings,
        ))
    except TrainingCancelled:
        return 0
    except (TrainingError, StorageError):
        return 2
    return 0
