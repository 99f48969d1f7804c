"""What is whose, part two: the study, sweeps and handwriting sets (runs and jobs: ``test_ownership``).

The same checks: another pupil is refused with ``NotAllowed`` and every file stays byte-identical; the owner
and the teacher may. Jobs run fake work that blocks until released or stopped (no TensorFlow, nothing timed).
"""

from __future__ import annotations

import numpy as np
import pytest

from mnistlab.handwriting.store import HandwritingStore
from mnistlab.people import NotAllowed
from mnistlab.people.classroom import ClassBook
from mnistlab.study import claims
from tests.test_ownership import (
    ADA,
    BOB,
    LOCAL,
    TEACHER,
    Blocking,
    fingerprint,
    settled,
    wait_until,
)

# ------------------------------------------------------------------------------------------------ study


def test_the_study_queues_at_most_a_dozen_per_click_for_the_person_and_can_be_stopped(
    make_runner, store, artifacts
):
    runner = make_runner(Blocking(), workers=1, max_queued_per_owner=3)
    with pytest.raises(NotAllowed, match="only the teacher"):
        claims.submit_missing(runner, [], seeds=10, actor=ADA)
    assert runner.jobs() == []
    result = claims.submit_missing(runner, [], seeds=10, actor=TEACHER)
    assert len(result.submitted) == claims.STUDY_PER_CLICK == 12 and len(result.remaining) == 28
    assert "the most one click queues (12)" in result.message
    assert {j.owner for j in runner.jobs()} == {TEACHER.id}
    assert len(claims.active_study_jobs(runner, TEACHER.id)) == 12
    again = claims.submit_missing(runner, [], seeds=10, actor=TEACHER)  # a second click: still 12 at most
    assert again.submitted == [] and "could not be queued now" in again.message
    settled(runner, artifacts)
    before = fingerprint(artifacts)
    with pytest.raises(NotAllowed):
        claims.stop_study(runner, actor=BOB, owner=TEACHER.id)
    assert fingerprint(artifacts) == before
    assert claims.stop_study(runner, actor=TEACHER) == 12
    wait_until(lambda: not claims.active_study_jobs(runner))


def test_without_a_person_the_study_belongs_to_this_machine(make_runner):
    runner = make_runner(Blocking(), workers=1)
    claims.submit_missing(runner, [], seeds=1)
    assert {j.owner for j in runner.jobs()} == {claims.STUDY_OWNER}
    assert claims.stop_study(runner) == 4


# ----------------------------------------------------------------------------------------------- sweeps


def a_sweep(epochs: int):
    from mnistlab.sweeps.parsing import parse_sweep

    return parse_sweep(
        {
            "name": "ada's sweep",
            "base": {"preset": "baseline"},
            "config": {"epochs": epochs, "train_subset": 600},
            "method": "random",
            "trials": 4,
            "space": {"learning_rate": {"low": 1e-4, "high": 1e-1, "log": True}},
            "metric": "val_accuracy",
        }
    )


def test_a_pupils_sweep_past_the_class_limits_does_not_start(make_runner, artifacts):
    from mnistlab.sweeps.manager import SweepManager
    from mnistlab.sweeps.store import SweepStore

    ClassBook(artifacts / "people").change(TEACHER, max_epochs=3)
    sweeps = SweepStore(artifacts / "sweeps")
    sweep_id = sweeps.create(a_sweep(epochs=5), owner=ADA.id)
    work = Blocking()
    manager = SweepManager(sweeps, lambda: make_runner(work, workers=1))
    before = fingerprint(artifacts)
    with pytest.raises(NotAllowed, match="at most 3 epochs"):
        manager.start(sweep_id, owner=ADA.id, actor=ADA)
    assert fingerprint(artifacts) == before and manager.live() == set()


def test_the_owner_stops_a_sweep_from_another_manager_and_another_pupil_cannot(make_runner, artifacts):
    from mnistlab.sweeps.manager import SweepManager
    from mnistlab.sweeps.store import SweepStore

    sweeps = SweepStore(artifacts / "sweeps")
    sweep_id = sweeps.create(a_sweep(epochs=1), owner=ADA.id)
    work = Blocking()
    runner = make_runner(work, workers=1)
    started_here = SweepManager(sweeps, lambda: runner)
    started_here.start(sweep_id, owner=ADA.id, actor=ADA)
    wait_until(lambda: work.started)
    elsewhere = SweepManager(SweepStore(artifacts / "sweeps"), lambda: runner)  # another tab's call site
    with pytest.raises(NotAllowed, match="stop this sweep"):
        elsewhere.stop(sweep_id, actor=BOB)
    assert not sweeps.state(sweep_id).get("stop_requested")
    assert elsewhere.stop(sweep_id, actor=ADA)
    started_here.wait(sweep_id, timeout=30)
    assert sweeps.status(sweep_id, started_here.live()) == "stopped"
    with pytest.raises(NotAllowed, match="resume this sweep"):
        started_here.start(sweep_id, owner=BOB.id, actor=BOB)


# ------------------------------------------------------------------------------------------ handwriting


def test_another_pupil_cannot_rename_or_delete_a_handwriting_set(artifacts):
    store = HandwritingStore(artifacts / "handwriting")
    store.create("ada-set", owner=ADA.id)
    store.add("ada-set", np.zeros((50, 50), np.uint8), 3, np.zeros((28, 28)))
    assert store.owner("ada-set") == ADA.id
    assert [s.owner for s in store.list_sets()] == [ADA.id]
    before = fingerprint(artifacts)
    with pytest.raises(NotAllowed, match="rename the handwriting set 'ada-set'"):
        store.rename("ada-set", "bob-set", actor=BOB)
    with pytest.raises(NotAllowed, match="delete the handwriting set"):
        store.delete("ada-set", actor=BOB)
    assert fingerprint(artifacts) == before
    store.rename("ada-set", "ada-digits", actor=ADA)
    assert store.owner("ada-digits") == ADA.id  # the owner moves with the set
    store.delete("ada-digits", actor=TEACHER)
    assert not store.exists("ada-digits")


def test_an_old_handwriting_set_belongs_to_this_machine(artifacts):
    store = HandwritingStore(artifacts / "handwriting")
    store.create("old")
    (store.path("old") / "owner.json").unlink()  # made before sets had owners
    assert store.owner("old") == "machine"
    with pytest.raises(NotAllowed, match="this machine"):
        store.delete("old", actor=ADA)
    store.delete("old", actor=LOCAL)
