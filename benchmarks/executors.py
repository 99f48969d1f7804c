"""Local worker processes against Ray on this machine: start-up, job start latency, 20 queued jobs.

    uv run python benchmarks/executors.py                    # the local pool only
    uv run --extra ray python benchmarks/executors.py --ray  # and a local Ray instance
    uv run --extra ray python benchmarks/executors.py --ray-nodes 1,2 --jobs 12  # Ray clusters of 1 and 2 nodes

For each executor: seconds until it is ready to take work, submit -> first progress event of a cold and of a warm
job, and the wall time of 20 tiny jobs queued at once through the job runner (baseline preset, 1 epoch on
6,000 digits), with the server's own memory before and after. Prints one JSON object; every figure names the CPU.

``--ray-nodes``: for each node count, a real Ray cluster on this machine (127.0.0.1 only, token authentication,
each node 1 CPU and one ``mnistlab_job`` slot, as docs/SCALING.md sets up lab machines), one warm-up job per node,
then the queued jobs through the job runner with one runner worker per node: jobs per minute, per CPU, and how
the jobs spread over the nodes. On one machine the nodes share its cores (and, here, other people's work), so
the figure shows what the scheduling gives, not what separate machines would.
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


def measure_nodes(nodes: int, jobs: int) -> dict:
    """Jobs per minute on a Ray cluster of ``nodes`` nodes (1 CPU, 1 slot each) on this machine."""
    import os
    import shutil
    import subprocess
    import sys

    from mnistlab.runs.ray_cluster import local_env, start_local_cluster, stop_local_cluster
    from mnistlab.runs.ray_executor import RayExecutor

    os.environ.update({**local_env(), "RAY_AUTH_MODE": "token"})  # this process and every node it starts
    ray_cli = Path(sys.executable).parent / "ray"
    subprocess.run([str(ray_cli), "get-auth-token", "--generate"], check=True, capture_output=True)
    folder = tempfile.mkdtemp(prefix="mlr-", dir="/tmp")
    cluster = start_local_cluster(nodes, folder)
    runner = executor = None
    try:
        executor = RayExecutor(cluster.address, workers=nodes)
        store = RunStore(Path(tempfile.mkdtemp(prefix="mnistlab-exec-")) / "runs")
        runner = JobRunner(store, executor=executor, max_queued_per_owner=jobs + nodes)
        warm = [
            runner.submit(PRESETS["baseline"], TINY.replace(seed=100 + i), owner="bench")
            for i in range(nodes)
        ]
        [runner.wait(job.id, timeout=1800) for job in warm]
        executor.placed.clear()
        began = time.perf_counter()
        submitted = [
            runner.submit(PRESETS["baseline"], TINY.replace(seed=i), owner="bench") for i in range(jobs)
        ]
        finished = [runner.wait(job.id, timeout=1800) for job in submitted]
        wall = time.perf_counter() - began
        return {
            "nodes": nodes,
            "cpus": nodes,
            "cpus_per_job": executor.cpus_per_job,
            "queued_jobs": jobs,
            "completed": sum(job.status == "completed" for job in finished),
            "queue_wall_s": round(wall, 1),
            "jobs_per_min": round(60 * jobs / wall, 1),
            "jobs_per_min_per_cpu": round(60 * jobs / wall / nodes, 1),
            "jobs_per_node": sorted(executor.placed.values(), reverse=True),
            "load_after": round(os.getloadavg()[0], 2),
        }
    finally:
        if runner is not None:
            runner.shutdown()
        if executor is not None:
            executor.shutdown()
        stop_local_cluster(cluster, folder)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ray", action="store_true", help="also measure a local Ray instance")
    parser.add_argument(
        "--ray-nodes", help="node counts of Ray clusters to measure, e.g. 1,2 (skips the others)"
    )
    parser.add_argument("--jobs", type=int, default=20)
    args = parser.parse_args()
    import os

    load = os.getloadavg()[0]
    out = {"cpu": cpu_info(), "load_before": round(load, 2), "config": TINY.to_dict()}
    if args.ray_nodes:
        out["ray_nodes"] = [measure_nodes(int(n), args.jobs) for n in args.ray_nodes.split(",")]
        out["load_after"] = round(os.getloadavg()[0], 2)
        print(json.dumps(out, indent=2))
        return
    from mnistlab.runs.local_workers import LocalProcessExecutor

    out["local"] = measure(lambda: LocalProcessExecutor(workers=1), args.jobs)
    if args.ray:
        from mnistlab.runs.ray_executor import RayExecutor

        out["ray"] = measure(lambda: RayExecutor("local", workers=1), args.jobs)
    out["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
