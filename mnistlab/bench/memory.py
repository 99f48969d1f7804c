"""Memory: peak RSS of a process running one default training, and of a job pool working through a queue.

Each figure comes from a fresh Python process (``python -m mnistlab.bench.memory train|pool ...``), so nothing
this process already holds is counted. The child prints its own peak resident memory as its last line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from mnistlab.bench.sizes import Sizes
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig

POOL_PRESETS = ("baseline", "dropout", "tuned", "deeper")


def peak_kb() -> int:
    """This process's peak resident memory in KB (VmHWM; ru_maxrss would also count the parent at fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("/proc/self/status has no VmHWM line")


def train_one(config: TrainConfig) -> int:
    """Train the dropout preset once; returns the peak RSS in KB."""
    from mnistlab.training import train

    train(PRESETS["dropout"], config)
    return peak_kb()


def pool(config: TrainConfig, jobs: int) -> tuple[int, int]:
    """Work through ``jobs`` queued trainings with the default job runner; returns (workers, peak RSS in KB)."""
    from mnistlab.runs.jobs import JobRunner
    from mnistlab.runs.store import RunStore

    with tempfile.TemporaryDirectory() as tmp:
        runner = JobRunner(RunStore(Path(tmp) / "runs"))
        submitted = [
            runner.submit(PRESETS[POOL_PRESETS[i % len(POOL_PRESETS)]], config, owner=f"user{i}")
            for i in range(jobs)
        ]
        for job in submitted:
            runner.wait(job.id, timeout=900)
        runner.shutdown()
        return runner.workers, peak_kb()


def _child(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mnistlab.bench.memory", *args],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"memory probe failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip().splitlines()[-1]


def memory(sizes: Sizes) -> dict:
    """Peak RSS (MB) of one default training, and of a job pool working through ``sizes.memory_jobs`` jobs."""
    config = json.dumps({"epochs": sizes.max_epochs, "train_subset": sizes.train_subset})
    train_kb = int(_child("train", config))
    workers, pool_kb = map(int, _child("pool", config, str(sizes.memory_jobs)).split())
    return {
        "train_rss_mb": round(train_kb / 1024, 1),
        "pool_rss_mb": round(pool_kb / 1024, 1),
        "pool_workers": workers,
        "pool_jobs": sizes.memory_jobs,
    }


if __name__ == "__main__":  # the child process
    what, config = sys.argv[1], TrainConfig(**json.loads(sys.argv[2]))
    if what == "train":
        print(train_one(config))
    else:
        print(*pool(config, int(sys.argv[3])))
