"""The job runner: bounded workers, a fair queue, stop, failures, caps, records on disk and recovery.

All but one test use fake work (no TensorFlow): it blocks until the test releases it or the job is stopped,
so every check waits for a state instead of timing anything. One integration test trains a tiny real model.
"""

from __future__ import annotations

import json
import threading

import pytest

from mnistlab.runs.job import JOB_ID
from mnistlab.runs.job_records import INTERRUPTED_QUEUED, INTERRUPTED_RUNNING
from mnistlab.runs.jobs import Job, JobError, JobRunner
from mnistlab.specs import PRESETS
from mnistlab.training import Progress, TrainConfig

SPEC = PRESETS["baseline"]
CONFIG = TrainConfig(epochs=1, train_subset=600, batch_size=64)


def batch_event(step: int, loss: float = 1.0, accuracy: float = 0.5) -> Progress:
    return Progress(
        "batch", 1, 2, step, 100, loss, accuracy, elapsed_s=step * 0.1, samples_per_s=1000.0, eta_s=1.0
    )


def epoch_event(epoch: int, elapsed: float) -> Progress:
    return Progress(
        "epoch",
        epoch,
        2,
        epoch * 50,
        100,
        0.5 / epoch,
        0.8 + epoch / 100,
        elapsed_s=elapsed,
        samples_per_s=1000.0,
        eta_s=0.0,
        val_loss=0.6,
        val_accuracy=0.79,
    )


class FakeWork:
    """Work that records who runs when, then blocks until released or stopped; names starting 'fail' raise."""

    def __init__(self):
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        self.started: list[str] = []
        self.release = threading.Event()

    def __call__(self, job: Job, context) -> None:
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.started.append(job.name)
        try:
            if job.name and job.name.startswith("fail"):
                raise ValueError("boom\n  with a second line")
            context.report(batch_event(1))
            while not self.release.wait(0.005):
                if context.should_stop():
                    return
        finally:
            with self.lock:
                self.active -= 1


def statuses(runner: JobRunner, jobs) -> list[str]:
    return [runner.get(j.id).status for j in jobs]


def test_never_more_jobs_run_at_once_than_workers(make_runner, wait_until):
    work = FakeWork()
    runner = make_runner(work, workers=2, max_queued_per_owner=10)
    jobs = [runner.submit(SPEC, CONFIG, name=f"job {i}") for i in range(5)]
    wait_until(lambda: statuses(runner, jobs).count("running") == 2)
    assert statuses(runner, jobs) == ["running", "running", "queued", "queued", "queued"]
    assert [runner.position(j.id) for j in jobs] == [None, None, 1, 2, 3]
    # A job is "running" a moment before its work starts: wait for both inside the work (a busy CPU is slow).
    wait_until(lambda: work.max_active >= 2, what="two jobs inside their work")
    work.release.set()
    for job in jobs:
        assert runner.wait(job.id, timeout=20).status == "completed"
    assert work.max_active == 2
    assert sorted(work.started) == sorted(j.name for j in jobs)


def test_queue_is_first_in_first_out(make_runner, wait_until):
    work = FakeWork()
    runner = make_runner(work, workers=1, max_queued_per_owner=10)
    first = runner.submit(SPEC, CONFIG, name="first")
    wait_until(lambda: runner.get(first.id).status == "running")
    later = [runner.submit(SPEC, CONFIG, name=f"later {i}", owner=f"student {i}") for i in range(3)]
    assert [runner.position(j.id) for j in later] == [1, 2, 3]
    assert runner.position(first.id) is None
    work.release.set()
    for job in later:
        runner.wait(job.id, timeout=20)
    assert work.started == ["first", "later 0", "later 1", "later 2"]


def test_stopping_a_queued_job_removes_it_without_training(make_runner, wait_until):
    work = FakeWork()
    runner = make_runner(work, workers=1)
    first = runner.submit(SPEC, CONFIG, name="first")
    wait_until(lambda: runner.get(first.id).status == "running", what="the first job to run")
    queued = runner.submit(SPEC, CONFIG, name="queued")
    third = runner.submit(SPEC, CONFIG, name="third")
    assert runner.position(third.id) == 2
    assert runner.stop(queued.id) is True
    stopped = runner.get(queued.id)
    assert stopped.status == "stopped" and stopped.finished and stopped.run_id is None
    assert runner.position(queued.id) is None
    assert runner.position(third.id) == 1
    assert runner.stop(queued.id) is False  # already finished
    work.release.set()
    runner.wait(third.id, timeout=20)
    runner.wait(first.id, timeout=20)
    assert "queued" not in work.started


def test_stopping_a_running_job_ends_it_as_stopped(make_runner, wait_until):
    work = FakeWork()
    runner = make_runner(work, workers=1)
    job = runner.submit(SPEC, CONFIG, name="running")
    wait_until(lambda: runner.get(job.id).status == "running")
    assert runner.stop(job.id) is True
    done = runner.wait(job.id, timeout=20)
    assert done.status == "stopped" and done.stop_requested and done.error is None
    assert done.batches == [[1, 1.0, 0.5]]  # what it reported before the stop is kept
    assert runner.stop("j-unknown") is False


def test_a_failing_job_is_reported_and_the_worker_takes_the_next(make_runner):
    work = FakeWork()
    work.release.set()
    runner = make_runner(work, workers=1)
    bad = runner.submit(SPEC, CONFIG, name="fail me")
    good = runner.submit(SPEC, CONFIG, name="fine")
    failed = runner.wait(bad.id, timeout=20)
    assert failed.status == "failed"
    assert failed.error == "ValueError: boom with a second line"
    assert runner.wait(good.id, timeout=20).status == "completed"


def test_each_owner_may_have_only_a_few_jobs_queued_or_running(make_runner):
    work = FakeWork()
    runner = make_runner(work, workers=1, max_queued_per_owner=2)
    mine = [runner.submit(SPEC, CONFIG, owner="ana") for _ in range(2)]
    with pytest.raises(JobError, match="You already have 2 trainings queued or running; wait for one"):
        runner.submit(SPEC, CONFIG, owner="ana")
    other = runner.submit(SPEC, CONFIG, owner="ben")  # other users are not affected
    assert runner.get(other.id).status == "queued"
    runner.stop(mine[1].id)
    again = runner.submit(SPEC, CONFIG, owner="ana")  # a stopped job frees a place
    assert [j.id for j in runner.jobs(owner="ana")] == [again.id, mine[1].id, mine[0].id]


def test_a_full_server_queue_refuses_new_jobs(make_runner, wait_until):
    work = FakeWork()
    runner = make_runner(work, workers=1, max_queue=2)
    first = runner.submit(SPEC, CONFIG, owner="a")
    wait_until(lambda: runner.get(first.id).status == "running")
    runner.submit(SPEC, CONFIG, owner="b")
    runner.submit(SPEC, CONFIG, owner="c")
    with pytest.raises(JobError, match="queue is full"):
        runner.submit(SPEC, CONFIG, owner="d")
    assert runner.queue_length() == 2


@pytest.mark.parametrize(
    ("spec", "config", "name", "message"),
    [
        # Specs and configs refuse bad values when built, so bad input reaches submit as plain data.
        ({"name": "zero", "layers": [{"kind": "dense", "units": 0}]}, CONFIG, None, "units"),
        (SPEC, {"epochs": 0}, None, "epochs"),
        (SPEC, {"epochs": 1, "bogus": 2}, None, "Unknown training settings"),
        (SPEC, CONFIG, "a/b", "may not contain"),
        ({"name": "x", "layers": "dense"}, CONFIG, None, "layers"),
        ("not a spec", CONFIG, None, "architecture spec"),
    ],
)
def test_bad_input_is_refused_at_submit(make_runner, artifacts, spec, config, name, message):
    runner = make_runner(FakeWork(), workers=1)
    with pytest.raises(JobError, match=message):
        runner.submit(spec, config, name=name)
    assert runner.jobs() == []
    assert not (artifacts / "jobs").exists() or not list((artifacts / "jobs").glob("*.json"))


def test_progress_is_kept_as_latest_event_batch_curve_and_epoch_history(make_runner):
    def work(job, context):
        for step in range(1, 4001):
            context.report(batch_event(step, loss=1 / step))
        context.report(epoch_event(1, elapsed=2.0))
        context.report(epoch_event(2, elapsed=5.5))
        context.set_run("20250101-000000-fake-0000")

    runner = make_runner(work, workers=1)
    job = runner.wait(runner.submit(SPEC, CONFIG).id, timeout=20)
    assert job.status == "completed" and job.run_id == "20250101-000000-fake-0000"
    assert job.progress["kind"] == "epoch" and job.progress["epoch"] == 2
    assert 3000 <= len(job.batches) <= 3300 and job.batches[-1][0] == 4000  # bounded, newest kept
    assert job.history["loss"] == [0.5, 0.25]
    assert job.history["epoch_s"] == [2.0, 3.5]
    assert job.history["val_accuracy"] == [0.79, 0.79]


def test_readers_get_snapshots_not_live_objects(make_runner, wait_until):
    work = FakeWork()
    runner = make_runner(work, workers=1)
    job = runner.submit(SPEC, CONFIG)
    wait_until(lambda: runner.get(job.id).batches)
    copy = runner.get(job.id)
    copy.batches.append([99, 0, 0])
    copy.status = "completed"
    assert runner.get(job.id).batches == [[1, 1.0, 0.5]]
    assert runner.get(job.id).status == "running"


def test_job_ids_are_short_and_safe_and_records_round_trip(make_runner):
    runner = make_runner(FakeWork(), workers=1)
    job = runner.submit(SPEC, CONFIG, name="round trip", preset="baseline", owner="s1")
    assert JOB_ID.match(job.id) and len(job.id) <= 30
    again = Job.from_dict(json.loads(json.dumps(job.to_dict())))
    assert (again.id, again.spec, again.config, again.name, again.preset) == (
        job.id,
        SPEC,
        CONFIG,
        "round trip",
        "baseline",
    )
    with pytest.raises(JobError, match="Damaged job record"):
        Job.from_dict({"id": "j-x", "spec": {"layers": []}, "config": {"epochs": -1}, "status": "queued"})


def test_records_are_written_on_every_status_change(make_runner, artifacts, wait_until):
    work = FakeWork()
    runner = make_runner(work, workers=1)
    job = runner.submit(SPEC, CONFIG, name="on disk")
    path = artifacts / "jobs" / f"{job.id}.json"
    assert json.loads(path.read_text())["status"] in ("queued", "running")
    wait_until(lambda: json.loads(path.read_text())["status"] == "running")
    work.release.set()
    runner.wait(job.id, timeout=20)
    wait_until(lambda: json.loads(path.read_text())["status"] == "completed")
    record = json.loads(path.read_text())
    assert record["name"] == "on disk" and record["finished"] and "batches" not in record


def test_after_a_crash_a_new_runner_marks_unfinished_jobs_interrupted_and_resubmit_works(
    make_runner, artifacts, wait_until
):
    work = FakeWork()
    old = make_runner(work, workers=1)
    running = old.submit(SPEC, CONFIG, name="was running")
    queued = old.submit(SPEC, CONFIG, name="was queued")
    records = artifacts / "jobs"
    wait_until(lambda: json.loads((records / f"{running.id}.json").read_text())["status"] == "running")
    # Simulate the server dying here: keep the records as they are now, end the old runner, put them back.
    at_crash = {path: path.read_text() for path in records.glob("*.json")}
    old.shutdown(wait=True, timeout=10)
    for path, text in at_crash.items():
        path.write_text(text)

    new_work = FakeWork()
    new = make_runner(new_work, workers=1)
    was_running, was_queued = new.get(running.id), new.get(queued.id)
    assert (was_running.status, was_running.error) == ("interrupted", INTERRUPTED_RUNNING)
    assert (was_queued.status, was_queued.error) == ("interrupted", INTERRUPTED_QUEUED)
    assert json.loads((records / f"{queued.id}.json").read_text())["status"] == "interrupted"
    assert new.position(queued.id) is None and new_work.started == []  # nothing restarts by itself
    again = new.resubmit(queued.id)
    assert again.id != queued.id and again.resubmitted_from == queued.id
    assert (again.spec, again.config, again.name) == (SPEC, CONFIG, "was queued")
    new_work.release.set()
    assert new.wait(again.id, timeout=20).status == "completed"
    with pytest.raises(JobError, match="only stopped, failed or interrupted"):
        new.resubmit(again.id)
    with pytest.raises(JobError, match="No job"):
        new.resubmit("j-nothing")


def test_a_second_runner_in_the_same_process_leaves_live_jobs_alone(make_runner, wait_until):
    work = FakeWork()
    first = make_runner(work, workers=1)
    job = first.submit(SPEC, CONFIG)
    wait_until(lambda: first.get(job.id).status == "running")
    second = make_runner(FakeWork(), workers=1)
    assert second.get(job.id) is None
    work.release.set()
    assert first.wait(job.id, timeout=20).status == "completed"


def test_default_runner_is_one_per_artifacts_folder(artifacts):
    from mnistlab.runs import runners

    try:
        runner = runners.default_runner()
        assert runners.default_runner() is runner
        assert runner.store.root == artifacts.resolve() / "runs"
        assert runner.jobs_dir == artifacts.resolve() / "jobs"
    finally:
        runners.shutdown(wait=True)
    assert runner.closed and runners.default_runner() is not runner
    runners.shutdown(wait=True)


def test_only_the_newest_records_are_kept(make_runner, artifacts, wait_until):
    work = FakeWork()
    work.release.set()
    runner = make_runner(work, workers=1, keep_records=3, max_queued_per_owner=10)
    jobs = [runner.submit(SPEC, CONFIG, name=f"n{i}") for i in range(6)]
    runner.wait(jobs[-1].id, timeout=20)  # one worker, FIFO: all earlier jobs are done too
    wait_until(lambda: len(list((artifacts / "jobs").glob("*.json"))) == 3)
    assert [j.name for j in runner.jobs()] == ["n5", "n4", "n3"]
    assert runner.get(jobs[0].id) is None


def test_shutdown_stops_running_jobs_and_refuses_new_ones(make_runner, wait_until):
    work = FakeWork()
    runner = make_runner(work, workers=1)
    running = runner.submit(SPEC, CONFIG)
    queued = runner.submit(SPEC, CONFIG)
    wait_until(lambda: runner.get(running.id).status == "running")
    runner.shutdown(wait=True, timeout=10)
    assert runner.get(running.id).status == "stopped"
    assert runner.get(queued.id).status == "interrupted"
    with pytest.raises(JobError, match="shut down"):
        runner.submit(SPEC, CONFIG)


def test_worker_count_comes_from_the_environment(make_runner, monkeypatch):
    monkeypatch.setenv("MNISTLAB_WORKERS", "3")
    assert make_runner(FakeWork()).workers == 3
    monkeypatch.setenv("MNISTLAB_WORKERS", "lots")
    assert make_runner(FakeWork()).workers >= 1


def test_the_default_runner_takes_its_per_session_cap_from_the_environment(artifacts, monkeypatch):
    from mnistlab.runs import runners

    monkeypatch.setenv("MNISTLAB_MAX_JOBS_PER_SESSION", "5")
    try:
        assert runners.default_runner().max_queued_per_owner == 5
    finally:
        runners.shutdown()
    monkeypatch.setenv("MNISTLAB_MAX_JOBS_PER_SESSION", "many")
    try:
        assert runners.default_runner().max_queued_per_owner == 3
    finally:
        runners.shutdown()


@pytest.mark.slow
def test_a_real_tiny_training_runs_through_the_runner(store, artifacts, mnist):
    runner = JobRunner(store, workers=1)  # the default work: train_run
    try:
        job = runner.submit(SPEC, CONFIG, name="tiny", preset="baseline")
        done = runner.wait(job.id, timeout=600)
    finally:
        runner.shutdown(wait=True, timeout=60)
    assert done.status == "completed", done.error
    run = store.load(done.run_id)
    assert run.status == "completed" and run.test_accuracy > 0.3 and run.preset == "baseline"
    assert done.progress["kind"] == "epoch" and done.progress["epochs"] == 1
    assert done.batches and done.batches[-1][0] == done.progress["step"]
    assert len(done.history["loss"]) == 1
    record = json.loads((artifacts / "jobs" / f"{job.id}.json").read_text())
    assert (record["status"], record["run_id"]) == ("completed", done.run_id)


def test_a_deliberate_batch_may_exceed_the_per_owner_cap(store, wait_until):
    release = threading.Event()
    runner = JobRunner(
        store, workers=1, max_queued_per_owner=2, max_queue=4, work=lambda job, ctx: release.wait(10)
    )
    try:
        first = runner.submit(PRESETS["baseline"], TrainConfig(seed=0), owner="study", limit=40)
        wait_until(lambda: runner.get(first.id).status == "running", 10, "the first job to run")
        for seed in range(1, 5):  # 4 more queued: twice the per-owner cap
            runner.submit(PRESETS["baseline"], TrainConfig(seed=seed), owner="study", limit=40)
        assert runner.queue_length() == 4
        with pytest.raises(JobError, match="queue is full"):  # the server-wide bound still holds
            runner.submit(PRESETS["baseline"], TrainConfig(seed=9), owner="study", limit=40)
    finally:
        release.set()
        runner.shutdown()


def test_a_tag_marks_what_a_job_is_for_and_survives_records_and_resubmit(make_runner, wait_until):
    runner = make_runner(FakeWork(), workers=1)
    job = runner.submit(SPEC, CONFIG, name="any name", tag="quick-start")
    assert Job.from_dict(json.loads(json.dumps(job.to_dict()))).tag == "quick-start"
    runner.stop(job.id)
    wait_until(lambda: runner.get(job.id).is_finished)
    assert runner.resubmit(job.id).tag == "quick-start"
    assert runner.submit(SPEC, CONFIG).tag is None
