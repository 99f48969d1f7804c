"""Local worker processes against Ray on this machine: start-up, job start latency, 20 queued jobs.

    uv run python benchmarks/executors.py                    # the local pool only
    uv run --extra ray python benchmarks/executors.py --ray  # and a local Ray instance

For each executor: seconds until it is ready to take work, submit -> first progress event of a cold and of a warm
job, and the wall time of 20 tiny jobs queued at once through the job runner (baseline preset, 1 epoch on
6,000 digits), with the server's own memory before and after. Prints one JSON object; every figure names the CPU.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from mnistlab.bench.machine import cpu_info
from mnistlab.runs.experiment import train_run
from mnistlab.runs.jobs import JobRunner
from mnistlab.runs.store import RunStore
from mnistlab.specs import PRESETS
from mnistlab.study.stats import percentile
from mnistlab.training import TrainConfig

TINY = TrainConfig(epochs=1, train_subset=6000, batch_size=128)


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        import os

        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def first_progress_s(executor, store: RunStore) -> float:
    """Seconds from handing a job to the executor to its first progress event."""
    started, first = time.perf_counter(), []

    def on_progress(progress) -> None:
        if not first:
            first.append(time.perf_counter())

    train_run(PRESETS["baseline"], TINY, store, on_progress=on_progress, executor=executor)
    return round(first[0] - started, 2)


def measure(make, jobs: int) -> dict:
    store = RunStore(Path(tempfile.mkdtemp(prefix="mnistlab-exec-")) / "runs")
    began = time.perf_counter()
    executor = make()
    ready_s = round(time.perf_counter() - began, 2)
    cold = first_progress_s(executor, store)
    warm = first_progress_s(executor, store)
    runner = JobRunner(store, executor=executor, max_queued_per_owner=jobs)
    memory_before = rss_mb()
    began = time.perf_counter()
    submitted = [runner.submit(PRESETS["baseline"], TINY.replace(seed=i), owner="bench") for i in range(jobs)]
    finished = [runner.wait(job.id, timeout=1800) for job in submitted]
    wall = time.perf_counter() - began
    waits = [job.started - job.submitted for job in finished]
    runner.shutdown()
    executor.shutdown()
    return {
        "executor_start_s": ready_s,
        "cold_job_first_progress_s": cold,
        "warm_job_first_progress_s": warm,
        "queued_jobs": jobs,
        "completed": sum(job.status == "completed" for job in finished),
        "queue_wall_s": round(wall, 1),
        "jobs_per_min": round(60 * jobs / wall, 1),
        "start_wait_p95_s": round(percentile(waits, 95), 1),
        "server_rss_mb": {"before_queue": memory_before, "after_queue": rss_mb()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ray", action="store_true", help="also measure a local Ray instance")
    parser.add_argument("--jobs", type=int, default=20)
    args = parser.parse_args()
    import os

    load = os.getloadavg()[0]
    out = {"cpu": cpu_info(), "load_before": round(load, 2), "config": TINY.to_dict()}
    from mnistlab.runs.local_workers import LocalProcessExecutor

    out["local"] = measure(lambda: LocalProcessExecutor(workers=1), args.jobs)
    if args.ray:
        from mnistlab.runs.ray_executor import RayExecutor

        out["ray"] = measure(lambda: RayExecutor("local", workers=1), args.jobs)
    out["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
