"""Fan-out branch threads (brief "Runner": branches run concurrently on real threads). Mirrors
``engine/src/runner/threads.rs``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from queue import SimpleQueue
from typing import Any


class _BranchPool:
    """Process-wide branch threads, reused across fan-outs (starting 64 threads per fan-out cost more than
    the branches' work). Every submitted branch gets a thread of its own at once: an idle worker is
    reserved for it, or a new worker is started, so branches always run concurrently (contract §1)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle = 0
        self._tasks: SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = SimpleQueue()

    def run_all(self, calls: list[Callable[[], Any]]) -> list[Any]:
        futures: list[Future[Any]] = [Future() for _ in calls]
        with self._lock:
            reserved = min(self._idle, len(calls))
            self._idle -= reserved
            for _ in range(len(calls) - reserved):
                threading.Thread(target=self._work, name="yamlflow-branch", daemon=True).start()
        for future, call in zip(futures, calls, strict=True):
            self._tasks.put((future, call))
        # Every job ends before the fan-out does, a failing one's too (Rust's run_all waits the same way):
        # no branch of a finished run goes on in the warm worker.
        wait(futures)
        return [f.result() for f in futures]

    def _work(self) -> None:
        while True:
            future, call = self._tasks.get()
            try:
                future.set_result(call())
            except BaseException as e:  # handed to the waiting run, which re-raises it
                future.set_exception(e)
            with self._lock:
                self._idle += 1


_POOL = _BranchPool()


def run_all(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Runs every job on a thread of its own at once and returns their results in job order (an exception
    in a job is raised here)."""
    return _POOL.run_all(jobs)
