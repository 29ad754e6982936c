"""The background runner's lock protocol, each rule with the interleaving that broke it: a run
handed over while someone looks is not declared dead, a start that gives up kills its child,
old job folders are pruned, and the Training page never waits for a starter."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from filelock import FileLock
from streamlit.testing.v1 import AppTest

from airtype_core.learning import jobs
from airtype_core.learning.jobs import JobRunner, JobStatus
from airtype_core.learning.options import TrainOptions
from airtype_core.settings import get_settings

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def runner_in(tmp_path: Path) -> JobRunner:
    settings = get_settings().with_changes(
        model_dir=tmp_path / "models", database_url=f"sqlite:///{tmp_path / 'airtype.db'}"
    )
    return JobRunner(settings)


def write_job(runner: JobRunner, job_id: str, state: str) -> Path:
    folder = runner.root / job_id
    folder.mkdir(parents=True)
    (folder / "status.json").write_text(json.dumps(JobStatus(job_id, state, started_at=time.time()).to_dict()))
    (runner.root / "current.json").write_text(json.dumps({"job_id": job_id}))
    return folder


def state_on_disk(folder: Path) -> str:
    return json.loads((folder / "status.json").read_text())["state"]


def test_a_run_handed_over_while_status_looks_is_not_marked_failed(tmp_path, monkeypatch):
    runner = runner_in(tmp_path)
    folder = write_job(runner, "20261204-120000-000000", "starting")
    starter, child = FileLock(runner.root / "start.lock"), FileLock(runner.root / "run.lock")
    starter.acquire()  # a starter is waiting for its new child to hold the run lock
    release, handed_over = FileLock.release, []

    def release_then_hand_over(self, *args, **kwargs):
        result = release(self, *args, **kwargs)
        if not handed_over and self not in (starter, child) and Path(self.lock_file).name == "run.lock":
            handed_over.append(True)  # right after someone probed the run lock and found it free:
            child.acquire(timeout=0)  # the child takes it, says it is preparing,
            (folder / "status.json").write_text(
                json.dumps(JobStatus(folder.name, "preparing", started_at=time.time()).to_dict())
            )
            release(starter)  # and its starter lets go of the start lock
        return result

    monkeypatch.setattr(FileLock, "release", release_then_hand_over)
    try:
        status = runner.status()
        assert status is not None and status.state != "failed"
        assert state_on_disk(folder) == ("preparing" if handed_over else "starting")
        assert runner.status().state == state_on_disk(folder) != "failed"
    finally:
        monkeypatch.setattr(FileLock, "release", release)
        for lock in (child, starter):
            if lock.is_locked:
                lock.release()


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"  # a zombie has ended


def test_a_start_that_times_out_kills_its_child_before_saying_failed(tmp_path, monkeypatch):
    hang = tmp_path / "hang"
    hang.mkdir()
    (hang / "sitecustomize.py").write_text("import time\ntime.sleep(600)\n")  # a Python that never gets going
    monkeypatch.setenv("PYTHONPATH", str(hang))
    monkeypatch.setattr(jobs, "_CHILD_START_S", 2.0)
    runner = runner_in(tmp_path)
    started = runner.start(TrainOptions(mode="finetune", epochs=1, min_samples=1))
    pid = started.pid
    try:
        status = runner.status()
        assert status.state == "failed" and "did not start" in status.error
        assert not _alive(pid), "the child that did not start in time is still there: it could start a run later"
    finally:
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)


def test_old_job_folders_are_pruned_and_the_newest_kept(tmp_path):
    runner = runner_in(tmp_path)
    ids = [f"20261204-1200{i:02d}-000000" for i in range(jobs.JOBS_KEPT + 7)]
    for job_id in ids:
        write_job(runner, job_id, "completed")
    runner.recover()
    assert sorted(p.name for p in runner.root.iterdir() if p.is_dir()) == ids[-jobs.JOBS_KEPT :]
    assert runner.status().job_id == ids[-1]


def test_the_training_page_never_waits_for_the_start_lock(app_storage, monkeypatch):
    runner = JobRunner()
    runner.root.mkdir(parents=True, exist_ok=True)
    asked: list[tuple[float | None, bool | None]] = []
    acquire = FileLock.acquire

    def recording_acquire(self, timeout=None, *args, blocking=None, **kwargs):
        if Path(self.lock_file).name == "start.lock":
            asked.append((timeout, blocking))
        return acquire(self, timeout, *args, blocking=blocking, **kwargs)

    monkeypatch.setattr(FileLock, "acquire", recording_acquire)
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/train.py")
    at.run()
    assert not at.exception, at.exception
    assert asked, "the page looks at the start lock (to recover dead runs)"
    assert all(blocking is False or timeout == 0 for timeout, blocking in asked), asked
