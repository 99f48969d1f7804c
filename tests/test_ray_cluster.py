"""Ray across nodes, tested as a cluster: a head and a second node on this machine (127.0.0.1 only, Ray's token
authentication on, as docs/SCALING.md sets up lab machines), each with 1 CPU and one ``mnistlab_job`` slot.

Two trainings run at once, one per node; a request no node can hold fails after the placement timeout instead
of pending forever; a node killed mid-training fails its own job only. The first tests need no cluster (sizing
is plain data; the CLI's refusals need no Ray node). The cluster is started once for the module.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from mnistlab import cli
from mnistlab.runs.ray_cluster import (
    SLOT,
    Node,
    fits,
    size_cpus_per_job,
    unplaceable_message,
)
from mnistlab.runs.task import TaskFailed, TrainTask, WorkerDied
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig

TINY = TrainConfig(epochs=1, train_subset=400, batch_size=100)
LONGER = TrainConfig(epochs=6, train_subset=6000, batch_size=100)  # seconds, so a node can die mid-way


def _node(cpus: float, slots: float, alive: bool = True, name: str = "n") -> Node:
    return Node(name, "127.0.0.1", alive, cpus, slots)


def _needs_ray() -> None:
    if importlib.util.find_spec("ray") is None:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail("Ray is not installed; CI installs it with `uv sync --extra ray`.")
        pytest.skip("Ray is not installed (uv sync --extra ray)")


# -- sizing: plain data, no Ray


def test_a_training_asks_for_one_slots_share_of_the_smallest_node_never_more_than_a_node_has():
    two_small = [_node(1, 1), _node(1, 1)]
    assert size_cpus_per_job(two_small) == 1.0  # the cluster: 2 (server cores / workers) never fit
    assert size_cpus_per_job([_node(8, 2), _node(4, 1)]) == 4.0
    assert size_cpus_per_job([_node(8, 4), _node(16, 0)]) == 2.0  # nodes without slots take no training
    assert size_cpus_per_job([_node(1, 2)]) == 0.5
    assert size_cpus_per_job([_node(4, 1), _node(64, 1, alive=False)]) == 4.0  # dead nodes do not count
    assert size_cpus_per_job([_node(2, 0), _node(6, 0)]) == 2.0  # no slots anywhere: the smallest node
    assert size_cpus_per_job(two_small, requested=3) == 3.0  # an explicit request is kept, and checked:
    assert fits(two_small, 3.0) == [] and fits(two_small, 1.0) == two_small
    message = unplaceable_message(two_small, 3.0)
    assert "3 CPU" in message and "MNISTLAB_RAY_CPUS_PER_JOB" in message and SLOT in message


# -- the cluster command's refusals: one line, exit 2


def _cluster_cli(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(["cluster", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_cluster_command_says_when_no_cluster_is_configured(monkeypatch, capsys):
    monkeypatch.delenv("MNISTLAB_RAY_ADDRESS", raising=False)
    code, out, err = _cluster_cli(capsys)
    assert code == cli.EXIT_USAGE and out == ""
    assert len(err.strip().splitlines()) == 1 and "MNISTLAB_RAY_ADDRESS is not set" in err


def test_the_cluster_command_and_the_executor_report_an_unreachable_head_at_once(monkeypatch, capsys):
    _needs_ray()
    import socket

    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("MNISTLAB_RAY_ADDRESS", address)
    code, out, err = _cluster_cli(capsys)
    assert code == cli.EXIT_USAGE and out == ""
    assert len(err.strip().splitlines()) == 1 and f"the Ray cluster at {address} is unreachable" in err

    import ray

    if ray.is_initialized():  # another module's instance would be reused, not joined
        pytest.skip("this process is already connected to Ray")
    from mnistlab.runs.ray_executor import ClusterUnreachable, RayExecutor

    with pytest.raises(ClusterUnreachable, match="unreachable"):
        RayExecutor(address)


# -- a real cluster: a head and one more node


@pytest.fixture(scope="module")
def cluster():
    """A head and a second node on 127.0.0.1 with token authentication, 1 CPU and one slot each."""
    _needs_ray()
    from mnistlab.runs.ray_cluster import local_env, start_local_cluster, stop_local_cluster

    folder = tempfile.mkdtemp(prefix="mlr-", dir="/tmp")  # short: Ray's socket paths must stay < 108 bytes
    env = {**local_env(), "RAY_AUTH_MODE": "token"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        # The docs' first step on the head: make the token (kept in ~/.ray/auth_token, reused when there).
        ray_cli = Path(sys.executable).parent / "ray"
        subprocess.run([str(ray_cli), "get-auth-token", "--generate"], check=True, capture_output=True)
        from ray._private.authentication_test_utils import reset_auth_token_state

        reset_auth_token_state()  # this process may have read RAY_AUTH_MODE before we set it
        nodes = start_local_cluster(2, folder)
        try:
            yield nodes, next(iter(nodes.worker_nodes))
        finally:
            stop_local_cluster(nodes, folder)
            shutil.rmtree(folder, ignore_errors=True)
    reset_auth_token_state()


@pytest.fixture(scope="module")
def executor(cluster):
    from mnistlab.runs.ray_executor import RayExecutor

    nodes, _ = cluster
    executor = RayExecutor(nodes.address, workers=2, placement_timeout=3)
    yield executor
    executor.shutdown()


def _task(config: TrainConfig = TINY, seed: int = 0) -> TrainTask:
    return TrainTask(PRESETS["baseline"].to_dict(), config.replace(seed=seed).to_dict())


class Training(threading.Thread):
    """One ``executor.run`` on its own thread, recording where it was placed and how it ended."""

    def __init__(self, executor, config: TrainConfig = TINY, seed: int = 0):
        super().__init__(daemon=True)
        self.executor, self.task = executor, _task(config, seed)
        self.node: dict | None = None
        self.progressed = threading.Event()
        self.result, self.error = None, None

    def emit(self, kind: str, payload) -> None:
        if kind == "placed":
            self.node = payload
        elif kind == "progress":
            self.progressed.set()

    def run(self) -> None:
        try:
            self.result = self.executor.run(self.task, self.emit)
        except Exception as exc:
            self.error = exc


@pytest.mark.slow
def test_each_training_asks_for_what_a_node_has(executor):
    nodes = executor.nodes()
    assert len([n for n in nodes if n.alive]) == 2 and all(n.cpus == 1 and n.slots == 1 for n in nodes)
    assert executor.cpus_per_job == 1.0  # the old default (this machine's cores / workers = 2) fit nowhere


@pytest.mark.slow
def test_two_trainings_run_at_once_one_on_each_node(executor):
    trainings = [Training(executor, seed=seed) for seed in (1, 2)]
    for training in trainings:
        training.start()
    for training in trainings:
        training.join(600)
    assert [t.error for t in trainings] == [None, None]
    assert [t.result.status for t in trainings] == ["completed", "completed"]
    assert trainings[0].node["node_id"] != trainings[1].node["node_id"]  # one slot each: both nodes train


@pytest.mark.slow
def test_a_training_no_node_can_hold_fails_after_the_placement_timeout_with_what_to_change(cluster, store):
    from mnistlab.runs.jobs import JobRunner
    from mnistlab.runs.ray_executor import RayExecutor

    nodes, _ = cluster
    too_big = RayExecutor(nodes.address, workers=1, cpus_per_job=2, placement_timeout=3)
    runner = JobRunner(store, executor=too_big)
    try:
        began = time.monotonic()
        job = runner.submit(PRESETS["baseline"], TINY, owner="pupil")
        job = runner.wait(job.id, timeout=60)
        assert job.status == "failed", "still pending after the placement timeout"
        assert time.monotonic() - began < 60
        # The job's error is what the Train page shows.
        assert "cannot place this training" in job.error and "2 CPU" in job.error
        assert "MNISTLAB_RAY_CPUS_PER_JOB" in job.error and SLOT in job.error
    finally:
        runner.shutdown()
        too_big.shutdown()
    assert executor_still_trains(cluster)


def executor_still_trains(cluster) -> bool:
    from mnistlab.runs.ray_executor import RayExecutor

    fresh = RayExecutor(cluster[0].address, workers=1)
    try:
        return fresh.run(_task(), lambda *_: None).status == "completed"
    finally:
        fresh.shutdown()


@pytest.mark.slow
def test_the_cluster_command_prints_what_the_dashboard_would_see(cluster, monkeypatch, capsys):
    import json

    monkeypatch.setenv("MNISTLAB_RAY_ADDRESS", cluster[0].address)
    code, out, err = _cluster_cli(capsys, "--json")
    assert code == cli.EXIT_OK, err
    seen = json.loads(out)
    assert len(seen["nodes"]) == 2 and seen["slots"] == 2 and seen["cpus_per_job"] == 1.0 and seen["fits"]
    monkeypatch.setenv("MNISTLAB_RAY_CPUS_PER_JOB", "2")
    code, out, err = _cluster_cli(capsys)
    assert code == cli.EXIT_FAILED and "a training fits: no" in out and "MNISTLAB_RAY_CPUS_PER_JOB" in out


@pytest.mark.slow
def test_a_process_without_the_token_is_told_what_to_set(cluster, tmp_path):
    """The issue's first failure: joining without RAY_AUTH_MODE=token and the head's token."""
    env = {**os.environ, "MNISTLAB_RAY_ADDRESS": cluster[0].address, "HOME": str(tmp_path)}
    env.pop("RAY_AUTH_MODE", None)
    env.pop("RAY_AUTH_TOKEN", None)
    mnistlab = Path(sys.executable).parent / "mnistlab"
    done = subprocess.run([str(mnistlab), "cluster"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == cli.EXIT_USAGE, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("mnistlab: error:")]
    assert len(errors) == 1 and "the Ray cluster at" in errors[0] and "RAY_AUTH_MODE=token" in errors[0]


@pytest.mark.slow
def test_a_node_that_dies_mid_training_fails_its_own_job_only(cluster, executor):
    nodes, second = cluster
    trainings = [Training(executor, LONGER, seed=seed) for seed in (3, 4)]
    for training in trainings:
        training.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not all(t.node and t.progressed.is_set() for t in trainings):
        assert all(t.is_alive() for t in trainings), [t.error for t in trainings]
        time.sleep(0.1)
    doomed = next(t for t in trainings if t.node["node_id"] == second.node_id)
    survivor = next(t for t in trainings if t is not doomed)
    nodes.remove_node(second, allow_graceful=False)  # its raylet and workers are killed
    for training in trainings:
        training.join(600)
    assert isinstance(doomed.error, WorkerDied) and doomed.result is None
    message = str(doomed.error)
    assert "stopped unexpectedly" in message and second.node_id[:8] in message
    assert survivor.error is None and survivor.result.status == "completed"
    after = Training(executor, seed=5)  # the next job goes to a live node
    after.start()
    after.join(600)
    assert after.error is None and after.result.status == "completed"
    assert after.node["node_id"] == survivor.node["node_id"]
    assert not isinstance(doomed.error, TaskFailed)


@pytest.mark.slow
def test_the_head_going_away_is_reported_as_an_unreachable_cluster_not_a_hang(cluster, executor):
    """Last: it ends the cluster. The running job fails with a message that names the cause, and so does the
    next one, at once; nothing waits for a head that is gone."""
    nodes, _ = cluster
    training = Training(executor, LONGER, seed=6)
    training.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and training.is_alive() and not training.progressed.is_set():
        time.sleep(0.1)
    assert training.progressed.is_set(), training.error
    nodes.head_node.kill_all_processes(check_alive=False, allow_graceful=False)
    training.join(120)
    assert not training.is_alive(), "the training still waits for a head that is gone"
    assert isinstance(training.error, WorkerDied) and "unreachable" in str(training.error)
    with pytest.raises(WorkerDied, match="unreachable"):
        executor.run(_task(), lambda *_: None)
