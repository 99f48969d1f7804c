"""The process-wide job runners: one per artifacts folder, made on first use, shut down cleanly at exit.

The dashboard's pages and the load benchmark share the runner of their artifacts folder through
``default_runner()``; ``shutdown()`` stops them all (tests call it between cases).
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path

from mnistlab.files import artifacts_dir
from mnistlab.runs.jobs import JobRunner, default_per_owner
from mnistlab.runs.store import RunStore

_default_runners: dict[Path, JobRunner] = {}
_default_lock = threading.Lock()


def default_runner() -> JobRunner:
    """The process-wide runner for the default store (one per artifacts folder), created on first use."""
    key = artifacts_dir().resolve()
    with _default_lock:
        runner = _default_runners.get(key)
        if runner is None or runner.closed:
            runner = _default_runners[key] = JobRunner(
                RunStore(key / "runs"), max_queued_per_owner=default_per_owner()
            )
        return runner


def shutdown(wait: bool = True, timeout: float | None = 10.0) -> None:
    """Shut down every default runner (running jobs stop cleanly, keeping their partial runs)."""
    with _default_lock:
        runners = list(_default_runners.values())
        _default_runners.clear()
    for runner in runners:
        runner.shutdown(wait=wait, timeout=timeout)


# Give running trainings a moment to stop and save their partial run when the process exits normally.
atexit.register(shutdown, True, 10.0)
