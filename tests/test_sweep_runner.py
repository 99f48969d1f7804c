"""The sweep driver over a real JobRunner with fake work (no TensorFlow): grid, random and TPE trials, pruning,
stop, resume after a crash, the summary, and the session cap. One test trains a tiny real trial end to end.

The fake training's validation accuracy is a known function of the settings, reported one epoch at a time; after
each epoch it pauses briefly (or until stopped) so the driver can read the epoch and prune. No test times
anything: each waits for a state.
"""

from __future__ import annotations

import json
import math
import threading
import time

import pytest

from mnistlab.files import StoreError
from mnistlab.runs.jobs import JobRunner
from mnistlab.sweeps.manager import SweepManager
from mnistlab.sweeps.parsing import parse_sweep
from mnistlab.sweeps.results import best_row, importances, pareto_front, trial_rows
from mnistlab.sweeps.runner import run_sweep
from mnistlab.sweeps.store import SweepStore
from mnistlab.sweeps.study import load_study

CONFIG = {"epochs": 3, "train_subset": 1000, "batch_size": 64}


def quality(job) -> float:
    """The fake final accuracy: best at learning rate 0.01, better with more units, a little noise-free."""
    lr = job.config.learning_rate
    units = job.spec.layers[0].units
    return 0.97 - 0.05 * abs(math.log10(lr / 0.01)) + 0.01 * math.log2(units / 32) / 5


class FakeTraining:
    """Reports a validation curve that rises to ``quality(job)``; counts epochs trained; can be held."""

    def __init__(self, pause_s: float = 0.05, make_runs: bool = False):
        self.pause_s = pause_s
        self.make_runs = make_runs  # also save each training as a run in the store (no model)
        self.lock = threading.Lock()
        self.epochs_trained = 0
        self.started: list[str] = []
        self.hold = threading.Event()  # set: every training waits (to stop or crash mid-trial)

    def __call__(self, job, context):
        with self.lock:
            self.started.append(job.id)
        run_id = None
        if self.make_runs:
            run_id = context.store.create(job.spec, job.config.to_dict(), name=job.name, preset=job.preset)
            context.set_run(run_id)
        status = self._train(job, context)
        if run_id:
            context.store.finish(
                run_id, status, epochs_done=len(context.runner.get(job.id).history.get("loss", []))
            )
        return status

    def _train(self, job, context) -> str:
        epochs = job.config.epochs
        for epoch in range(1, epochs + 1):
            val = quality(job) * (1 - 0.5**epoch) + 0.0001 * job.config.seed
            context.report(
                {
                    "kind": "epoch",
                    "epoch": epoch,
                    "epochs": epochs,
                    "step": epoch,
                    "total_steps": epochs,
                    "loss": 1 - val,
                    "accuracy": val,
                    "elapsed_s": 0.01 * epoch,
                    "samples_per_s": 1.0,
                    "eta_s": 0.0,
                    "val_loss": 1 - val,
                    "val_accuracy": val,
                }
            )
            with self.lock:
                self.epochs_trained += 1
            deadline = time.monotonic() + self.pause_s
            while time.monotonic() < deadline or self.hold.is_set():
                if context.should_stop():
                    return "stopped"
                time.sleep(0.005)
        return "completed"


@pytest.fixture
def sweeps(artifacts):
    return SweepStore(artifacts / "sweeps")


def sweep_of(**changes):
    raw = {
        "name": "test sweep",
        "base": {"preset": "baseline"},
        "config": CONFIG,
        "method": "random",
        "trials": 6,
        "space": {"learning_rate": {"low": 1e-4, "high": 1e-1, "log": True}, "layers.0.units": [32, 64, 128]},
        "metric": "val_accuracy",
    }
    return parse_sweep({**raw, **changes})


def test_grid_runs_every_point_once_and_finds_the_best(sweeps, make_runner):
    sweep = sweep_of(
        method="grid", trials=50, space={"learning_rate": [0.001, 0.01, 0.1], "layers.0.units": [32, 128]}
    )
    sweep_id = sweeps.create(sweep)
    runner = make_runner(FakeTraining(pause_s=0), workers=2)
    assert run_sweep(sweeps, sweep_id, runner, poll_s=0.01) == "completed"
    rows = trial_rows(load_study(sweeps, sweep_id), sweep)
    assert [r["status"] for r in rows] == ["completed"] * 6
    assert sorted((r["params"]["learning_rate"], r["params"]["layers.0.units"]) for r in rows) == sorted(
        (lr, u) for lr in (0.001, 0.01, 0.1) for u in (32, 128)
    )
    assert best_row(rows, sweep)["params"] == {"learning_rate": 0.01, "layers.0.units": 128}
    jobs = runner.jobs()
    assert len(jobs) == 6 and {j.name for j in jobs} == {f"test sweep #{n}" for n in range(6)}
    by_lr = {r["params"]["learning_rate"]: r for r in rows if r["params"]["layers.0.units"] == 32}
    assert by_lr[0.01]["value"] == pytest.approx(0.97 * (1 - 0.5**3))
    assert sweeps.status(sweep_id) == "completed"


@pytest.mark.parametrize("method", ["random", "tpe"])
def test_random_and_tpe_sample_inside_the_space_and_reproduce_with_a_seed(sweeps, make_runner, method):
    sweep = sweep_of(method=method, trials=7, seed=3)
    runner = make_runner(FakeTraining(pause_s=0), workers=1)
    first, second = sweeps.create(sweep), sweeps.create(sweep)
    for sweep_id in (first, second):
        assert run_sweep(sweeps, sweep_id, runner, poll_s=0.01) == "completed"
    rows = [trial_rows(load_study(sweeps, i), sweep) for i in (first, second)]
    assert len(rows[0]) == 7 and all(r["status"] == "completed" for r in rows[0])
    for r in rows[0]:
        assert 1e-4 <= r["params"]["learning_rate"] <= 1e-1 and r["params"]["layers.0.units"] in (32, 64, 128)
        assert r["epochs"] == 3 and r["curve"][-1] == pytest.approx(r["value"])
    assert [r["params"] for r in rows[0]] == [r["params"] for r in rows[1]]  # same seed, same trials
    assert len({r["params"]["learning_rate"] for r in rows[0]}) == 7


def test_pruning_stops_hopeless_trials_early(sweeps, make_runner):
    sweep = sweep_of(
        method="grid",
        trials=50,
        config={**CONFIG, "epochs": 4},
        space={"learning_rate": [0.01, 0.009, 0.011, 0.0001, 0.1, 0.00011]},
        prune="median",
        parallel=1,
    )
    sweep_id = sweeps.create(sweep)
    work = FakeTraining(pause_s=0.3)
    runner = make_runner(work, workers=1)
    assert run_sweep(sweeps, sweep_id, runner, poll_s=0.01) == "completed"
    rows = trial_rows(load_study(sweeps, sweep_id), sweep)
    pruned = [r for r in rows if r["status"] == "pruned"]
    assert pruned, [(r["params"], r["status"]) for r in rows]
    for r in pruned:
        assert r["epochs"] < 4 and 1 <= r["pruned_at"] <= r["epochs"]
        job = runner.get(
            json.loads(json.dumps(load_study(sweeps, sweep_id).trials[r["number"]].user_attrs["job_ids"]))[0]
        )
        assert job.status == "stopped" and len(job.history["val_accuracy"]) < 4
    assert work.epochs_trained < 6 * 4
    completed = [r for r in rows if r["status"] == "completed"]
    for r in pruned:  # the median rule: below the median of the trials that finished, at the same epoch
        step = r["pruned_at"] - 1
        others = sorted(c["curve"][step] for c in completed if c["number"] < r["number"])
        assert others and r["curve"][step] < others[len(others) // 2] + 1e-12


def test_seeds_per_point_average_and_count_against_the_cap(sweeps, make_runner):
    sweep = sweep_of(trials=2, seeds_per_point=2, config={**CONFIG, "seed": 5})
    sweep_id = sweeps.create(sweep)
    runner = make_runner(FakeTraining(pause_s=0), workers=1, max_queued_per_owner=3)
    manual = runner.submit(sweep.base, sweep.config.to_dict(), name="by hand", owner="s-1")
    assert run_sweep(sweeps, sweep_id, runner, owner="s-1", poll_s=0.01) == "completed"
    assert runner.get(manual.id).status == "completed"
    rows = trial_rows(load_study(sweeps, sweep_id), sweep)
    seeds = sorted(j.config.seed for j in runner.jobs("s-1") if j.name != "by hand")
    assert seeds == [5, 5, 6, 6]
    assert rows[0]["value"] == pytest.approx(
        sum(
            quality_of(runner, j)
            for j in runner.jobs("s-1")
            if j.name == "test sweep #0 seed 5" or j.name == "test sweep #0 seed 6"
        )
        / 2
    )


def quality_of(runner, job) -> float:
    return runner.get(job.id).history["val_accuracy"][-1]


def test_stop_then_resume_asks_the_interrupted_trial_again(sweeps, make_runner, wait_until):
    sweep = sweep_of(trials=3)
    sweep_id = sweeps.create(sweep)
    work = FakeTraining(pause_s=0)
    runner = make_runner(work, workers=1)
    manager = SweepManager(sweeps, lambda: runner)
    work.hold.set()
    manager.start(sweep_id, owner="s-1")
    wait_until(lambda: work.started, 20, "the first trial to start")
    assert sweeps.status(sweep_id, manager.live()) == "running"
    manager.stop(sweep_id)
    manager.wait(sweep_id, timeout=30)
    assert sweeps.status(sweep_id, manager.live()) == "stopped"
    rows = trial_rows(load_study(sweeps, sweep_id), sweep)
    assert [r["status"] for r in rows] == ["interrupted"]
    work.hold.clear()
    assert run_sweep(sweeps, sweep_id, runner, poll_s=0.01) == "completed"
    rows = trial_rows(load_study(sweeps, sweep_id), sweep)
    assert [r["status"] for r in rows] == ["interrupted", "completed", "completed", "completed"]
    assert rows[1]["retry_of"] == 0 and rows[1]["params"] == rows[0]["params"]


def test_resume_after_a_crash_fails_the_running_trial_and_asks_it_again(sweeps, make_runner):
    sweep = sweep_of(trials=3)
    sweep_id = sweeps.create(sweep)
    runner = make_runner(FakeTraining(pause_s=0), workers=1)
    assert run_sweep(sweeps, sweep_id, runner, poll_s=0.01) == "completed"
    # A crash: a process asked for a fourth trial, started training and died (its pid is gone).
    study = load_study(sweeps, sweep_id)
    from mnistlab.sweeps.study import distributions

    crashed = study.ask(distributions(sweep))
    sweeps.set_state(sweep_id, status="running", pid=2**22 + 12345)
    assert sweeps.status(sweep_id) == "interrupted"
    assert [i.status for i in sweeps.list_sweeps()] == ["interrupted"]
    bigger = SweepStore(sweeps.root)
    raw = json.loads((sweeps.path(sweep_id) / "sweep.json").read_text())
    (sweeps.path(sweep_id) / "sweep.json").write_text(json.dumps({**raw, "trials": 4}))
    assert run_sweep(bigger, sweep_id, runner, poll_s=0.01) == "completed"
    rows = trial_rows(load_study(sweeps, sweep_id), sweep)
    assert rows[crashed.number]["status"] == "interrupted"
    retry = [r for r in rows if r["retry_of"] == crashed.number]
    assert len(retry) == 1 and retry[0]["status"] == "completed" and retry[0]["params"] == crashed.params
    assert sum(r["status"] == "completed" for r in rows) == 4


def test_summary_lists_every_trial_and_the_best(sweeps, make_runner):
    sweep = sweep_of(trials=5, method="tpe")
    sweep_id = sweeps.create(sweep)
    runner = make_runner(FakeTraining(pause_s=0), workers=1)
    run_sweep(sweeps, sweep_id, runner, poll_s=0.01)
    data = json.loads((sweeps.path(sweep_id) / "summary.json").read_text())
    assert [t["id"] for t in data["trials"]] == [0, 1, 2, 3, 4]
    assert {t["status"] for t in data["trials"]} == {"completed"}
    best = max(data["trials"], key=lambda t: t["metric"])
    assert data["best"]["id"] == best["id"] and data["best"]["params"] == best["params"]
    assert set(data["trials"][0]["params"]) == {"learning_rate", "layers.0.units"}
    text = (sweeps.path(sweep_id) / "summary.md").read_text()
    assert f"**Best: trial {best['id']}**" in text and text.count("| completed |") == 5


def test_importance_finds_the_setting_that_matters(sweeps, make_runner):
    sweep = sweep_of(
        trials=12,
        method="random",
        space={"learning_rate": {"low": 1e-4, "high": 1e-1, "log": True}, "batch_size": [32, 64]},
    )
    sweep_id = sweeps.create(sweep)
    run_sweep(sweeps, sweep_id, make_runner(FakeTraining(pause_s=0), workers=1), poll_s=0.01)
    found = importances(load_study(sweeps, sweep_id), sweep)
    assert set(found) == {"learning_rate", "batch_size"}
    assert found["learning_rate"] > 0.8 and sum(found.values()) == pytest.approx(1.0)


def test_pareto_front():
    points = [(10, 0.90), (5, 0.95), (20, 0.97), (5, 0.93), (30, 0.96), (None, 0.99)]
    assert pareto_front(points) == [1, 2]
    assert pareto_front([(1, 0.5), (2, 0.4)], maximize_y=False) == [0, 1]
    assert pareto_front([]) == []


@pytest.mark.slow
def test_a_real_trial_becomes_a_normal_run(sweeps, store, mnist):
    sweep = parse_sweep(
        {
            "name": "real",
            "base": {"preset": "baseline"},
            "config": {"epochs": 1, "train_subset": 600, "batch_size": 64},
            "method": "random",
            "trials": 1,
            "space": {"layers.0.units": [16]},
            "metric": "test_accuracy",
        }
    )
    sweep_id = sweeps.create(sweep)
    runner = JobRunner(store, workers=1)
    try:
        assert run_sweep(sweeps, sweep_id, runner, poll_s=0.05) == "completed"
    finally:
        runner.shutdown()
    data = json.loads((sweeps.path(sweep_id) / "summary.json").read_text())
    (run_id,) = data["trials"][0]["run_ids"]
    run = store.load(run_id)
    assert run.status == "completed" and run.spec.layers[0].units == 16 and run.name == "real #0"
    assert data["best"]["metric"] == pytest.approx(run.test_accuracy) and store.model_path(run_id).is_file()


class MeetingStore(SweepStore):
    """A real sweep store whose status check waits (up to a second) for a second caller, so two starts that
    check the status outside a lock both see the sweep idle."""

    def __init__(self, root):
        super().__init__(root)
        self.meeting = threading.Barrier(2)

    def status(self, sweep_id, live=frozenset()):
        try:
            self.meeting.wait(timeout=1)
        except threading.BrokenBarrierError:
            pass
        return super().status(sweep_id, live)


def test_two_starts_at_once_start_one_driver(artifacts, make_runner):
    sweeps = MeetingStore(artifacts / "sweeps")
    sweep_id = sweeps.create(sweep_of(trials=2))
    work = FakeTraining(pause_s=0)
    work.hold.set()
    made = []
    runner = make_runner(work, workers=1)
    manager = SweepManager(sweeps, lambda: made.append(1) or runner)
    outcomes = []

    def click() -> None:
        try:
            manager.start(sweep_id, owner="s-1")
            outcomes.append("started")
        except StoreError as exc:
            outcomes.append(str(exc))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=30)
    manager.stop(sweep_id)
    manager.wait(sweep_id, timeout=30)
    assert sorted(outcomes) == ["This sweep is already running.", "started"]
    assert made == [1]
