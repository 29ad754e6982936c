"""The lock protocol of the background runs: two file locks in `<model_dir>/.jobs/`.

The `filelock` library: an OS lock on Linux, macOS and Windows, which the OS drops
when its process dies, even when it is killed; a lock file with its owner's pid
where the OS offers none.

- `run.lock` is held by the training process for its whole life.
- `start.lock` is held by whoever is starting a run, from the moment it checks that
  no run is alive until its run holds `run.lock`.

So: holding `start.lock` and finding `run.lock` free is the one state in which no
run is alive and none is being handed over. Only there may a run be started, or a
run that claims to be going on be declared dead (recovery). Probing the two locks
one after the other without holding the first proves nothing: a child may take
`run.lock` and its starter let go of `start.lock` between the two probes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout


class LocksBusy(Exception):
    """A run is alive, or being started: the start lock could not be had, or the run lock is held."""


class JobLocks:
    def __init__(self, root: Path):
        self.root = root

    def lock(self, name: str) -> FileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(self.root / name)

    def is_held(self, name: str) -> bool:
        """Whether some process (this one included) holds the lock now; a glimpse, not a verdict."""
        lock = self.lock(name)
        try:
            lock.acquire(blocking=False)
        except Timeout:
            return True
        lock.release()
        return False

    @contextmanager
    def starting(self, wait_s: float) -> Iterator[None]:
        """Hold the start lock, with no run alive; LocksBusy otherwise. `wait_s=0` never waits:
        what a page render or a status poll uses."""
        start = self.lock("start.lock")
        try:
            if wait_s > 0:
                start.acquire(timeout=wait_s)  # another starter needs a second or two at most
            else:
                start.acquire(blocking=False)
        except Timeout:
            raise LocksBusy() from None
        try:
            if self.is_held("run.lock"):
                raise LocksBusy()
            yield
        finally:
            start.release()
