"""Work cut into fixed chunks, run over a few processes: the result never depends on how many.

Processes are started with "spawn", which behaves the same on Linux, macOS and
Windows and never copies a parent's torch threads.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from typing import TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


def map_chunks(work: Callable[[Job], Result], jobs: Sequence[Job], workers: int) -> list[Result]:
    """[work(job) for job in jobs], over `workers` processes when there is more than one job."""
    if workers > 1 and len(jobs) > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            return pool.map(work, jobs)
    return [work(job) for job in jobs]
