"""Executors: where a training task runs. The job runner and the CLI hand every task to one.

- ``LocalProcessExecutor`` (the default): warm worker processes on this machine, one training per process.
- ``RayExecutor``: Ray tasks, on this machine (``MNISTLAB_RAY_ADDRESS=local``) or a cluster
  (``auto`` or ``ray://HOST:PORT``). Ray is an optional extra and is imported only then.
- ``InProcessExecutor``: the calling thread (the Python API and tests).

Every executor has ``workers`` (trainings it runs at once), ``run(task, emit, should_stop) -> TaskResult``
(blocking; events arrive through ``emit`` while it trains; ``should_stop`` is polled and ends the training
within a chunk of batches) and ``shutdown()``. A task that raises surfaces as ``TaskFailed``; a worker that dies
as ``WorkerDied``; either fails that task only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from mnistlab.data import Mnist
from mnistlab.runs.task import Emit, TaskResult, TrainTask, run_task

log = logging.getLogger(__name__)

RAY_ENV = "MNISTLAB_RAY_ADDRESS"
WORKERS_ENV = "MNISTLAB_WORKERS"


class InProcessExecutor:
    """Runs tasks in the calling thread: the simplest executor (the Python API, tests, and fallbacks)."""

    def __init__(self, workers: int = 1, data: Mnist | None = None):
        self.workers = workers
        self.data = data

    def run(self, task: TrainTask, emit: Emit, should_stop: Callable[[], bool] | None = None) -> TaskResult:
        return run_task(task, emit, should_stop, data=self.data)

    def shutdown(self) -> None:
        pass


def env_whole(name: str, default: int) -> int:
    """A positive whole number from the environment, or ``default`` (with a warning when malformed)."""
    raw = os.environ.get(name)
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            log.warning("ignoring %s=%r: not a whole number", name, raw)
    return default


def default_workers() -> int:
    """``$MNISTLAB_WORKERS`` if set, else half the cores (one TensorFlow training already uses two)."""
    return env_whole(WORKERS_ENV, max(1, (os.cpu_count() or 2) // 2))


def make_executor(workers: int | None = None):
    """The executor the environment asks for: Ray when ``$MNISTLAB_RAY_ADDRESS`` is set, else local worker
    processes. ``workers`` defaults to ``default_workers()``."""
    workers = workers or default_workers()
    address = os.environ.get(RAY_ENV, "").strip()
    if address:
        from mnistlab.runs.ray_executor import RayExecutor

        return RayExecutor(address, workers=workers)
    from mnistlab.runs.local_workers import LocalProcessExecutor

    return LocalProcessExecutor(workers=workers)
