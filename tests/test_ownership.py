"""What is whose, enforced where the action happens: runs, jobs, sweeps, handwriting sets and the study.

Another pupil's rename, delete, stop or cancel is refused with ``NotAllowed`` and leaves every file under the
artifacts folder byte-identical; the owner, the teacher and a local user may. Jobs run fake work (no
TensorFlow) that blocks until released or stopped, so every check waits for a state, never for a time.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from mnistlab.people import MACHINE, NotAllowed, Person
from mnistlab.people.classroom import ClassBook
from mnistlab.runs import job_policy
from mnistlab.runs.jobs import JobError, JobRunner
from mnistlab.specs import PRESETS
from mnistlab.training import TrainConfig

SPEC = PRESETS["baseline"]
CONFIG = TrainConfig(epochs=1, train_subset=600, batch_size=64)
ADA = Person("p-ada", "Ada", "pupil")
BOB = Person("p-bob", "Bob", "pupil")
TEACHER = Person("teacher", "Ms Lovelace", "teacher")
LOCAL = Person("me", "Me", "local")


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with the hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def settled(runner, artifacts: Path) -> None:
    """Wait until every job's record on disk says what the runner says (workers write them after a change),
    so a fingerprint taken now is not overtaken by a write already under way."""

    def on_disk(job_id: str) -> str | None:
        try:
            return json.loads((artifacts / "jobs" / f"{job_id}.json").read_text())["status"]
        except (OSError, ValueError):
            return None

    wait_until(
        lambda: (
            all(on_disk(j.id) == j.status for j in runner.jobs(curves=False))
            and not list((artifacts / "jobs").glob(".*.tmp"))
        )
    )


def wait_until(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the expected state was not reached")
        time.sleep(0.005)


class Blocking:
    """Work that records which jobs started, in order, then waits until released or stopped."""

    def __init__(self):
        self.started: list[str] = []
        self.release = threading.Event()

    def __call__(self, job, context):
        self.started.append(job.name)
        while not self.release.wait(0.005):
            if context.should_stop():
                return "stopped"
        return "completed"


def a_run(store, owner: str, name: str = "mine") -> str:
    run_id = store.create(SPEC, CONFIG.to_dict(), name=name, owner=owner)
    store.finish(run_id, "completed")
    return run_id


# ------------------------------------------------------------------------------------------------- runs


def test_a_run_keeps_its_owner_and_old_runs_belong_to_this_machine(store):
    run_id = a_run(store, ADA.id)
    assert store.load(run_id).owner == ADA.id
    assert store.load(run_id).to_dict()["owner"] == ADA.id
    old = a_run(store, ADA.id, name="old")
    meta_path = store.path(old) / "run.json"
    meta = json.loads(meta_path.read_text())
    del meta["owner"]  # a run.json written before owners existed
    meta_path.write_text(json.dumps(meta))
    assert store.load(old).owner == "machine"
    with pytest.raises(NotAllowed, match="this machine"):
        store.rename(old, "taken over", actor=ADA)
    store.rename(old, "renamed by the teacher", actor=TEACHER)
    assert store.load(old).name == "renamed by the teacher"


def test_another_pupil_cannot_rename_or_delete_a_run_and_nothing_is_written(store, artifacts):
    run_id = a_run(store, ADA.id, name="ada's run")
    before = fingerprint(artifacts)
    with pytest.raises(NotAllowed, match=r"rename the run 'ada's run'.*Only its owner or the teacher"):
        store.rename(run_id, "bob's now", actor=BOB)
    with pytest.raises(NotAllowed, match="delete the run"):
        store.delete(run_id, actor=BOB)
    assert fingerprint(artifacts) == before
    store.rename(run_id, "still ada's", actor=ADA)
    assert store.load(run_id).name == "still ada's"


@pytest.mark.parametrize(
    "actor", [ADA, TEACHER, LOCAL, MACHINE, None], ids=lambda a: getattr(a, "role", "none")
)
def test_the_owner_the_teacher_a_local_user_and_the_process_may_delete(store, actor):
    run_id = a_run(store, ADA.id)
    store.rename(run_id, "renamed", actor=actor)
    store.delete(run_id, actor=actor)
    assert store.list_runs() == []


def test_a_pupil_waits_until_the_run_has_finished_to_rename_it(store, artifacts):
    run_id = store.create(SPEC, CONFIG.to_dict(), name="training", owner=ADA.id)  # status 'running'
    before = fingerprint(artifacts)
    with pytest.raises(NotAllowed, match="still training; wait until it finishes"):
        store.rename(run_id, "later", actor=ADA)
    assert fingerprint(artifacts) == before


def test_renaming_a_run_in_training_renames_its_job_too(make_runner, store, artifacts):
    made = threading.Event()
    work = Blocking()

    def training(job, context):
        run_id = context.store.create(job.spec, job.config.to_dict(), name=job.name, owner=job.owner)
        context.set_run(run_id)
        made.set()
        return work(job, context)

    runner = make_runner(training, workers=1)
    job = runner.submit(SPEC, CONFIG, name="first name", owner=ADA.id, actor=ADA)
    assert made.wait(20)
    run_id = runner.get(job.id).run_id
    assert store.load(run_id).owner == ADA.id  # the job's owner is written into its run
    store.rename(run_id, "new name", actor=TEACHER)
    assert runner.get(job.id).name == "new name"
    record = json.loads((artifacts / "jobs" / f"{job.id}.json").read_text())
    assert record["name"] == "new name"
    work.release.set()
    runner.wait(job.id, timeout=20)


def test_a_job_trained_for_real_code_path_writes_its_owner_into_the_run(store, monkeypatch):
    """``train_job`` (the runner's default work) passes the job's owner to the run it creates."""
    from mnistlab.runs import experiment

    result = SimpleNamespace(
        status="completed",
        history={"loss": [0.5]},
        model_bytes=None,
        metrics={},
        epochs_done=1,
        duration_s=1.0,
        samples_per_s=600.0,
    )
    executor = SimpleNamespace(run=lambda task, on_event, should_stop: result, workers=1)
    monkeypatch.setattr(experiment, "dataset_for", lambda config, data: object())
    runner = JobRunner(store, executor=executor)
    try:
        job = runner.submit(SPEC, CONFIG, name="real path", actor=ADA)
        done = runner.wait(job.id, timeout=20)
        assert done.status == "completed" and done.owner == ADA.id
        assert store.load(done.run_id).owner == ADA.id
    finally:
        runner.shutdown()


# ------------------------------------------------------------------------------------------------- jobs


def test_another_pupil_cannot_stop_or_cancel_a_job_and_nothing_changes(make_runner, artifacts):
    work = Blocking()
    runner = make_runner(work, workers=1, max_queued_per_owner=5)
    running = runner.submit(SPEC, CONFIG, name="running", actor=ADA)
    wait_until(lambda: runner.get(running.id).status == "running")
    queued = runner.submit(SPEC, CONFIG, name="queued", actor=ADA)
    settled(runner, artifacts)
    before = fingerprint(artifacts)
    for action in (runner.stop, runner.cancel):
        for job in (running, queued):
            if action == runner.cancel and job is running:
                continue
            with pytest.raises(NotAllowed, match=r"training '(running|queued)'"):
                action(job.id, actor=BOB)
    assert fingerprint(artifacts) == before
    assert [runner.get(j.id).status for j in (running, queued)] == ["running", "queued"]
    assert runner.position(queued.id) == 1
    assert runner.stop(running.id, actor=TEACHER)
    wait_until(lambda: runner.get(running.id).status == "stopped")
    work.release.set()


@pytest.mark.parametrize("actor", [ADA, TEACHER, LOCAL, None], ids=lambda a: getattr(a, "role", "none"))
def test_queued_jobs_can_be_cancelled_by_their_owner_and_the_teacher(make_runner, actor):
    work = Blocking()
    runner = make_runner(work, workers=1, max_queued_per_owner=5)
    first = runner.submit(SPEC, CONFIG, name="first", actor=ADA)
    wait_until(lambda: runner.get(first.id).status == "running")
    queued = runner.submit(SPEC, CONFIG, name="queued", actor=ADA)
    assert not runner.cancel(first.id, actor=actor)  # running: cancel is for queued jobs only
    assert runner.cancel(queued.id, actor=actor)
    assert runner.get(queued.id).status == "stopped" and runner.position(queued.id) is None
    assert not runner.cancel(queued.id, actor=actor)  # already ended
    work.release.set()
    assert runner.wait(first.id, timeout=20).status == "completed"
    assert work.started == ["first"]  # the cancelled job never trained


def test_the_queue_is_round_robin_between_owners(make_runner):
    work = Blocking()
    runner = make_runner(work, workers=1, max_queued_per_owner=5)
    ada = [runner.submit(SPEC, CONFIG, name=f"ada {i}", owner=ADA.id) for i in range(3)]
    wait_until(lambda: runner.get(ada[0].id).status == "running")
    bob = runner.submit(SPEC, CONFIG, name="bob 0", owner=BOB.id)
    # Ada already trains one: Bob's first job goes before her second and third.
    assert [runner.position(j.id) for j in (bob, ada[1], ada[2])] == [1, 2, 3]
    assert runner.wait_estimate(ada[0].id) == 0.0  # running: no wait
    assert runner.wait_estimate(bob.id) is None  # no completed job yet: no honest estimate
    work.release.set()
    for job in (*ada, bob):
        runner.wait(job.id, timeout=20)
    assert work.started == ["ada 0", "bob 0", "ada 1", "ada 2"]


def test_wait_estimates_follow_the_fair_order_and_past_durations(store, artifacts, make_runner):
    # A completed job from the records: 60 s for 1 epoch x 600 digits.
    past = {
        "id": "j-20260101-000000-aaaaaa",
        "owner": "machine",
        "name": "past",
        "preset": None,
        "spec": SPEC.to_dict(),
        "config": CONFIG.to_dict(),
        "status": "completed",
        "submitted": 1.0,
        "started": 100.0,
        "finished": 160.0,
    }
    (artifacts / "jobs").mkdir()
    (artifacts / "jobs" / f"{past['id']}.json").write_text(json.dumps(past))
    work = Blocking()
    runner = make_runner(work, workers=1, max_queued_per_owner=5)
    running = runner.submit(SPEC, CONFIG, name="ada 0", actor=ADA)
    wait_until(lambda: runner.get(running.id).status == "running")
    ada_next = runner.submit(SPEC, CONFIG, name="ada 1", actor=ADA)
    bob = runner.submit(SPEC, CONFIG.replace(epochs=2), name="bob 0", actor=BOB)
    assert runner.position(bob.id) == 1 and runner.position(ada_next.id) == 2
    first, second = runner.wait_estimate(bob.id), runner.wait_estimate(ada_next.id)
    assert 0 < first <= 60  # what is left of the running job (expected 60 s)
    assert second == pytest.approx(first + 120, abs=1.0)  # ... then Bob's (the clock moves between calls)
    work.release.set()
    for job in (running, ada_next, bob):
        runner.wait(job.id, timeout=20)
    assert runner.wait_estimate(bob.id) is None  # finished


def test_a_running_jobs_time_left_comes_from_its_own_progress():
    job = SimpleNamespace(started=100.0, fraction=0.25, config=CONFIG)
    assert job_policy.seconds_left(job, per_unit=1.0, now=130.0) == pytest.approx(90.0)
    fresh = SimpleNamespace(started=100.0, fraction=0.0, config=CONFIG)
    assert job_policy.seconds_left(fresh, per_unit=0.1, now=110.0) == pytest.approx(50.0)


def test_a_pupils_job_past_the_class_limits_is_refused_and_nothing_is_queued(make_runner, artifacts):
    ClassBook(artifacts / "people").change(TEACHER, max_epochs=3, max_train_digits=1000)
    runner = make_runner(Blocking(), workers=1)
    before = fingerprint(artifacts)
    with pytest.raises(NotAllowed, match="at most 3 epochs \\(asked: 4\\)"):
        runner.submit(SPEC, CONFIG.replace(epochs=4), actor=ADA)
    with pytest.raises(NotAllowed, match="at most 1,000 training images"):
        runner.submit(SPEC, CONFIG.replace(train_subset=None), actor=ADA)
    with pytest.raises(NotAllowed, match="their own"):
        runner.submit(SPEC, CONFIG, owner=BOB.id, actor=ADA)
    assert fingerprint(artifacts) == before and runner.jobs() == []
    runner.submit(SPEC, CONFIG.replace(epochs=4), actor=TEACHER)  # the teacher has no limits


def test_one_person_has_one_cap_from_every_tab_and_after_a_reload(make_runner, store, artifacts):
    ClassBook(artifacts / "people").change(TEACHER, jobs_per_pupil=2)
    work = Blocking()
    runner = make_runner(work, workers=1, max_queued_per_owner=5)
    runner.submit(SPEC, CONFIG, name="tab 1", actor=ADA)
    runner.submit(SPEC, CONFIG, name="tab 2", actor=Person(ADA.id, "Ada", "pupil"))  # a second tab
    with pytest.raises(JobError, match="already have 2 trainings"):
        runner.submit(SPEC, CONFIG, name="tab 3", actor=Person(ADA.id, "Ada", "pupil"))
    runner.submit(SPEC, CONFIG, name="bob", actor=BOB)  # Bob has his own cap
    assert {j.owner for j in runner.jobs()} == {ADA.id, BOB.id}
    work.release.set()
    for job in runner.jobs():
        runner.wait(job.id, timeout=20)
    runner.shutdown()
    again = JobRunner(store, work=Blocking())  # the server restarted: the records keep who owned what
    try:
        assert sorted(j.owner for j in again.jobs()) == [ADA.id, ADA.id, BOB.id]
    finally:
        again.shutdown()


def test_a_damaged_run_can_be_deleted_by_a_local_user_not_by_a_pupil(store):
    run_id = a_run(store, ADA.id)
    (store.path(run_id) / "run.json").write_text("{not json")
    with pytest.raises(NotAllowed):
        store.delete(run_id, actor=ADA)
    store.delete(run_id, actor=MACHINE)
    assert not store.path(run_id).exists()


def test_a_resubmitted_job_belongs_to_whoever_resubmits_it(make_runner):
    work = Blocking()
    runner = make_runner(work, workers=1, max_queued_per_owner=5)
    job = runner.submit(SPEC, CONFIG, name="first", owner=ADA.id)
    wait_until(lambda: runner.get(job.id).status == "running")
    assert runner.stop(job.id, actor=ADA)
    runner.wait(job.id, timeout=20)
    again = runner.resubmit(job.id, actor=BOB)
    assert (again.owner, again.resubmitted_from, again.name) == (BOB.id, job.id, "first")
    work.release.set()
    runner.wait(again.id, timeout=20)
