"""The files of the background runs: `status.json` of each run, rewritten atomically, and the
pruning of old run folders.

    <model_dir>/.jobs/current.json           {"job_id": ...} of the latest run
    <model_dir>/.jobs/<job id>/status.json   JobStatus, cheap to poll
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from .records import CurvePoint, EpochRecord, TrainOutcome, known_fields

ACTIVE_STATES = ("starting", "preparing", "training", "evaluating", "saving")
FINAL_STATES = ("completed", "failed", "cancelled")


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
            "curve": [asdict(p) for p in self.curve],
            "history": [asdict(e) for e in self.history],
            "outcome": self.outcome.to_dict() if self.outcome is not None else None,
        }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Readers see the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_status(root: Path, job_id: str | None = None) -> JobStatus | None:
    """The status of run `job_id` (default: the latest), with the pid of its process when known."""
    job_id = job_id or (read_json(root / "current.json") or {}).get("job_id")
    data = read_json(root / job_id / "status.json") if job_id else None
    if data is None or job_id is None:
        return None
    status = JobStatus.from_dict(data)
    try:
        return replace(status, pid=int((root / job_id / "pid").read_text()))
    except (OSError, ValueError):
        return status


def prune(root: Path, keep: int) -> list[str]:
    """Remove the run folders but the `keep` newest (job ids sort by time) and the current one;
    returns the ids removed. Only with the start lock held and no run alive."""
    current = (read_json(root / "current.json") or {}).get("job_id")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    old = [p for p in folders[:-keep] if p.name != current] if keep > 0 else []
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)
    return [p.name for p in old]
