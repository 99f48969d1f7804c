"""Executors: every implementation keeps one contract (progress, result, stop, failure), and a worker that dies
fails its own task only. Trainings are tiny (600 digits); the workers are started once per module."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from mnistlab.runs.jobs import JobRunner
from mnistlab.runs.local_workers import LocalProcessExecutor
from mnistlab.runs.task import TaskFailed, TrainTask, WorkerDied
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig

pytestmark = pytest.mark.slow  # every test here trains in worker processes or on Ray

TINY = TrainConfig(epochs=2, train_subset=600, batch_size=100)
LONG = TrainConfig(epochs=40, train_subset=6000, batch_size=100)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture(scope="module")
def local():
    executor = LocalProcessExecutor(workers=2, threads_per_worker=1)
    yield executor
    executor.shutdown()


@pytest.fixture(scope="module")
def ray_executor():
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        if _in_ci():
            pytest.fail("Ray is not installed; CI installs it with `uv sync --extra ray`.")
        pytest.skip("Ray is not installed (uv sync --extra ray)")
    from mnistlab.runs.ray_executor import RayExecutor

    executor = RayExecutor("local", workers=1)
    yield executor
    executor.shutdown()


@pytest.fixture(params=["local", "ray"])
def executor(request):
    return request.getfixturevalue("local" if request.param == "local" else "ray_executor")


def _task(spec="baseline", config=TINY) -> TrainTask:
    return TrainTask(PRESETS[spec].to_dict() if isinstance(spec, str) else spec, config.to_dict())


def test_a_task_reports_progress_and_returns_the_model_and_metrics(executor):
    events = []
    result = executor.run(_task(), lambda kind, payload: events.append((kind, payload)))
    kinds = [kind for kind, _ in events]
    assert result.status == "completed" and result.epochs_done == 2
    assert kinds.count("checkpoint") == 2 and "progress" in kinds
    assert [p["epoch"] for k, p in events if k == "progress" and p["kind"] == "epoch"] == [1, 2]
    assert len(result.history["loss"]) == 2 and result.history["batches"]
    assert 0.5 < result.metrics["accuracy"] <= 1 and len(result.metrics["confusion"]) == 10
    assert result.model_bytes[:2] == b"PK"  # a .keras file is a zip archive


def test_stop_ends_the_training_and_keeps_what_it_learned(executor):
    stop = threading.Event()

    def on_event(kind, payload):
        if kind == "checkpoint":
            stop.set()  # after the first epoch of forty

    started = time.monotonic()
    result = executor.run(_task(config=LONG), on_event, stop.is_set)
    assert result.status == "stopped" and 1 <= result.epochs_done < 40
    assert len(result.history["loss"]) == result.epochs_done and result.model_bytes
    assert time.monotonic() - started < 120


def test_a_task_that_raises_fails_with_its_message(executor):
    bad = {"name": "bad", "layers": [{"kind": "dense", "units": -1}]}  # refused by the worker, not the server
    with pytest.raises(TaskFailed, match=r"SpecError: Layer 1 \(dense\) units is -1"):
        executor.run(_task(spec=bad), lambda *_: None)
    result = executor.run(_task(), lambda *_: None)  # the worker is still usable
    assert result.status == "completed"


def test_a_killed_worker_fails_its_task_only_and_is_replaced(local):
    replaced = local.replaced
    killed = []

    def kill_once(kind, payload):
        if kind == "progress" and not killed:
            pid = next(p for p in local.pids() if p in local.busy_pids())
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)

    with pytest.raises(WorkerDied, match="SIGKILL"):
        local.run(_task(config=LONG), kill_once)
    assert local.replaced == replaced + 1 and killed[0] not in local.pids()
    assert local.run(_task(), lambda *_: None).status == "completed"  # the next task runs in a fresh process


def test_the_same_seed_gives_the_same_history_with_two_workers_at_once(local, store):
    runner = JobRunner(store, executor=local, max_queued_per_owner=4)
    jobs = [runner.submit(PRESETS["dropout"], TINY.replace(seed=7), owner=f"s{i}") for i in range(2)]
    done = [runner.wait(job.id, timeout=300) for job in jobs]
    assert [job.status for job in done] == ["completed", "completed"]
    first, second = (store.load(job.run_id).history for job in done)
    assert first["loss"] == second["loss"] and first["val_accuracy"] == second["val_accuracy"]
    assert max(a.started for a in done) < min(a.finished for a in done)  # they really trained at once
    runner.shutdown()


def test_the_server_process_never_imports_tensorflow(tmp_path):
    code = (
        "import sys\n"
        "from mnistlab.runs.local_workers import LocalProcessExecutor\n"
        "from mnistlab.runs.experiment import train_run\n"
        "from mnistlab.runs.store import RunStore\n"
        "from mnistlab.specs import PRESETS\n"
        "from mnistlab.training import TrainConfig\n"
        "if __name__ == '__main__':\n"
        "    ex = LocalProcessExecutor(workers=1)\n"
        f"    store = RunStore({str(tmp_path / 'runs')!r})\n"
        "    run_id = train_run(PRESETS['baseline'], TrainConfig(epochs=1, train_subset=600, batch_size=100), "
        "store, executor=ex)\n"
        "    ex.shutdown()\n"
        "    print(store.load(run_id).status, 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    script = tmp_path / "server.py"
    script.write_text(code)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-3:] == ["completed", "False", "False"]


def test_the_cli_trains_on_ray_and_saves_the_run_locally(ray_executor, store, monkeypatch, capsys):
    """``MNISTLAB_RAY_ADDRESS=local mnistlab train ...``: a Ray task trains, the run lands in this store (the
    CLI joins the Ray instance this process already runs)."""
    import json

    from mnistlab import cli

    monkeypatch.setenv("MNISTLAB_RAY_ADDRESS", "local")
    argv = [
        "train",
        "--preset",
        "baseline",
        "--epochs",
        "1",
        "--subset",
        "600",
        "--batch-size",
        "100",
        "--json",
    ]
    assert cli.main(argv) == cli.EXIT_OK
    run = json.loads(capsys.readouterr().out)
    assert run["status"] == "completed" and run["test_accuracy"] > 0.5
    assert (store.root / run["id"] / "model.keras").is_file()
    assert ray_executor.run(_task(), lambda *_: None).status == "completed"  # the shared instance still works
