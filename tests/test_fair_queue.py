"""The round-robin queue and its wait estimate: plain Python."""

from __future__ import annotations

import pytest

from mnistlab.runs.fair_queue import FairQueue, estimate_wait


def test_a_first_job_never_waits_behind_someone_elses_third():
    queue = FairQueue()
    for i in range(1, 4):
        queue.push(f"study-{i}", "teacher")
    queue.push("ada-1", "ada")
    queue.push("bob-1", "bob")
    queue.push("ada-2", "ada")
    assert queue.order() == ["study-1", "ada-1", "bob-1", "study-2", "ada-2", "study-3"]
    assert queue.position("bob-1") == 3


def test_running_jobs_count_towards_the_round():
    queue = FairQueue()
    queue.push("ada-2", "ada")
    queue.push("bob-1", "bob")
    assert queue.order({"ada": 1}) == ["bob-1", "ada-2"]  # Ada already trains one
    assert queue.pop({"ada": 1}) == "bob-1"
    assert queue.pop({"ada": 1}) == "ada-2"
    assert queue.pop() is None and len(queue) == 0


def test_within_a_round_first_come_first_served_and_cancel():
    queue = FairQueue()
    for owner in ("c", "a", "b"):
        queue.push(f"{owner}-1", owner)
    assert queue.order() == ["c-1", "a-1", "b-1"]
    assert queue.remove("a-1") and not queue.remove("a-1")
    assert "a-1" not in queue and queue.position("a-1") is None
    assert list(queue) == ["c-1", "b-1"] and queue.owner("b-1") == "b"
    with pytest.raises(ValueError):
        queue.push("c-1", "c")


def test_wait_estimate():
    assert estimate_wait([], [], workers=1) == 0.0  # an idle slot: starts now
    assert estimate_wait([], [5.0], workers=1) == 5.0
    assert estimate_wait([10.0], [5.0], workers=1) == 15.0
    assert estimate_wait([10.0, 10.0], [5.0, 2.0], workers=2) == 12.0  # 2 -> 12, 5 -> 15: starts at 12
    assert estimate_wait([3.0], [], workers=2) == 0.0  # one slot stays free


def test_a_job_that_just_finished_does_not_let_its_owner_jump_the_round():
    queue = FairQueue()
    for i in range(1, 4):
        queue.push(f"ada-{i}", "ada")
    assert queue.pop() == "ada-1"  # Ada trains her first
    queue.push("bob-1", "bob")
    assert queue.order({"ada": 1}) == ["bob-1", "ada-2", "ada-3"]
    # Ada's first job ends: her second is in the same round as Bob's first now, but Bob has not had a turn.
    assert queue.order({}) == ["bob-1", "ada-2", "ada-3"]
    assert [queue.pop(), queue.pop(), queue.pop()] == ["bob-1", "ada-2", "ada-3"]
