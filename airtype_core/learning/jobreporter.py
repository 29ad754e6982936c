"""Inside a run's process: its progress turned into `status.json` rewrites, a few per second."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from .jobstatus import JobStatus, write_json
from .records import CurvePoint, EpochRecord

_STATUS_EVERY_S = 0.3  # how often a running job rewrites status.json at most
_CURVE_POINTS = 400  # live curve points kept; older ones are thinned


class Reporter:
    """Turns `RunProgress` into status.json rewrites; the `cancel` file asks the run to stop."""

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
            write_json(self.path, self.status.to_dict())
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
            changes.update(
                epoch=t.epoch,
                epochs=t.epochs,
                batch=t.batch,
                batches=t.batches,
                fraction=t.fraction,
                eta_s=t.eta_s,
                curve=curve,
            )
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
            self.update(
                force=True, state="cancelled", message="cancelled: the active model was not changed", eta_s=None
            )
            raise
        except (TrainingError, StorageError) as exc:
            self.update(force=True, state="failed", message="training could not run", error=str(exc), eta_s=None)
            raise
        except BaseException as exc:
            self.update(
                force=True, state="failed", message="training failed", error=f"{type(exc).__name__}: {exc}", eta_s=None
            )
            raise
        verdict = "activated" if outcome.activated else "kept back"
        self.update(
            force=True,
            state="completed",
            message=f"{outcome.version} {verdict}",
            eta_s=0.0,
            outcome=outcome,
            session_id=outcome.session_id,
        )
        return outcome
