"""The claim check on synthetic runs: run folders written straight into a store, no training."""

from __future__ import annotations

import time

import pytest

from mnistlab.specs import NOTEBOOK_PRESETS, PRESETS
from mnistlab.study import claims
from mnistlab.study.groups import Group
from mnistlab.training import TrainConfig


def add_run(store, preset, seed, accuracy, status="completed", **config):
    config = TrainConfig(seed=seed, **config).to_dict()
    run_id = store.create(PRESETS[preset], config, name=f"{preset} {seed}", preset=preset)
    store.finish(run_id, status, test_accuracy=accuracy, epochs_done=10, duration_s=7.0)
    return run_id


def fill(store, results):
    """results: preset -> accuracies for seeds 0, 1, 2..."""
    for preset, accs in results.items():
        for seed, acc in enumerate(accs):
            add_run(store, preset, seed, acc)


NOTEBOOK_LIKE = {
    "baseline": [0.9731, 0.9725, 0.9738],
    "deeper": [0.9686, 0.9690, 0.9679],
    "dropout": [0.9811, 0.9808, 0.9815],
    "tuned": [0.9840, 0.9845, 0.9838],
}


def verdicts(store):
    return {v.claim.split(" (")[0]: v for v in claims.check_claims(store.list_runs())}


def test_all_four_claims_hold_on_notebook_like_results(store):
    fill(store, NOTEBOOK_LIKE)
    found = verdicts(store)
    assert [v.verdict for v in found.values()] == ["holds"] * 4
    assert "97.31" in found["One hidden layer already reaches ~97 %"].detail  # mean of 3 seeds shown


def test_empty_store_needs_runs_and_says_which(store):
    result = claims.check_claims(store.list_runs())
    assert [v.verdict for v in result] == ["not enough runs"] * 4
    assert result[0].needs == ["baseline"]
    assert result[3].needs == list(NOTEBOOK_PRESETS)
    assert "Need 3 seeds of baseline (have 0)" in result[0].detail


def test_does_not_hold_when_differences_are_within_seed_spread(store):
    fill(
        store,
        {
            "baseline": [0.9750, 0.9790, 0.9770],
            "deeper": [0.9760, 0.9780, 0.9745],  # a bit lower on average, but inside the spread
            "dropout": [0.9811, 0.9808, 0.9815],
            "tuned": [0.9812, 0.9805, 0.9818],  # highest mean, by less than the spread
        },
    )
    found = verdicts(store)
    assert found["Depth alone can hurt"].verdict == "does not hold"
    assert found["Dropout is critical"].verdict == "holds"
    tuned = found["Width + depth + dropout is best"]
    assert tuned.verdict == "does not hold" and "not by more than the seed-to-seed spread" in tuned.detail


def test_does_not_hold_when_the_order_is_reversed(store):
    fill(store, {**NOTEBOOK_LIKE, "baseline": [0.955, 0.957, 0.956], "tuned": [0.975, 0.976, 0.974]})
    found = verdicts(store)
    assert found["One hidden layer already reaches ~97 %"].verdict == "does not hold"
    assert found["Depth alone can hurt"].verdict == "does not hold"  # deeper is now the higher one
    assert "dropout has the highest mean" in found["Width + depth + dropout is best"].detail


def test_only_full_data_standard_completed_runs_count_one_per_seed(store):
    fill(store, {"baseline": [0.97, 0.97]})
    add_run(store, "baseline", 2, 0.90, train_subset=6000)  # subset: not counted
    add_run(store, "baseline", 3, 0.90, epochs=2)  # other epochs: not counted
    add_run(store, "baseline", 4, None, status="failed")
    add_run(store, "baseline", 5, 0.97, status="stopped")
    groups = claims.group_runs(store.list_runs())
    assert groups["baseline"].n == 2
    time.sleep(0.01)
    add_run(store, "baseline", 1, 0.98)  # a newer run of seed 1 replaces the older one
    groups = claims.group_runs(store.list_runs())
    assert groups["baseline"].by_seed == {0: 0.97, 1: 0.98}
    assert claims.check_claims(store.list_runs())[0].verdict == "not enough runs"


def test_welch_statistic_by_hand():
    a = Group("a", [0.98, 0.97, 0.99])
    b = Group("b", [0.95, 0.96, 0.94])
    c = claims.welch(a, b)
    # equal spreads (std 0.01): se = sqrt(2 * 0.01**2 / 3), df = 4
    assert c.t == pytest.approx(0.03 / (0.01 * (2 / 3) ** 0.5))
    assert c.critical == pytest.approx(2.776, abs=1e-3)
    assert c.clear
    same = claims.welch(Group("x", [0.9, 0.9]), Group("y", [0.9, 0.9]))
    assert same.t == 0 and not same.clear


def test_missing_runs_fill_up_to_three_seeds_and_skip_active(store):
    fill(store, {"baseline": [0.97, 0.97, 0.97], "deeper": [0.96], "dropout": [0.98, 0.98]})
    todo = claims.missing_runs(store.list_runs(), active={("tuned", 0)})
    assert todo == [("deeper", 1), ("deeper", 2), ("dropout", 2), ("tuned", 1), ("tuned", 2)]


class FakeRunner:
    def __init__(self, cap):
        self.cap, self.submitted = cap, []

    def jobs(self, owner=None):
        return []

    def submit(self, spec, config, name=None, preset=None, owner="local", limit=None, actor=None):
        from mnistlab.runs.jobs import JobError

        if len(self.submitted) >= self.cap:
            raise JobError("You already have 3 trainings queued or running.")
        self.submitted.append((preset, config.seed, name, owner))


def test_the_study_names_its_fashion_jobs_apart_from_its_mnist_jobs():
    from types import SimpleNamespace

    from mnistlab.naming import study_run_name

    assert study_run_name("baseline", 0) == study_run_name("baseline", 0, "mnist") == "baseline seed 0"
    assert study_run_name("baseline", 0, "fashion-mnist") == "baseline seed 0 · Fashion-MNIST"
    names = {}
    for dataset in ("mnist", "fashion-mnist"):
        runner = FakeRunner(cap=2)
        claims.submit_missing(runner, [], dataset=dataset)
        names[dataset] = [name for _, _, name, _ in runner.submitted]
    assert names["mnist"] == ["baseline seed 0", "baseline seed 1"]
    assert names["fashion-mnist"] == ["baseline seed 0 · Fashion-MNIST", "baseline seed 1 · Fashion-MNIST"]
    for dataset, [name, _] in names.items():  # a teacher's study job (not the study owner's) is still known
        job = SimpleNamespace(owner="ann", preset="baseline", name=name, config=TrainConfig(dataset=dataset))
        assert claims.is_study_job(job), name
    other = SimpleNamespace(
        owner="ann", preset="baseline", name="baseline seed 0", config=TrainConfig(seed=1)
    )
    assert not claims.is_study_job(other)  # a name that is not its own seed's


def test_submit_missing_stops_at_the_cap_and_says_what_remains(store):
    fill(store, {"baseline": [0.97, 0.97, 0.97], "deeper": [0.96, 0.96, 0.96], "dropout": [0.98, 0.98, 0.98]})
    runner = FakeRunner(cap=2)
    result = claims.submit_missing(runner, store.list_runs())
    assert result.submitted == [("tuned", 0), ("tuned", 1)]
    assert result.remaining == [("tuned", 2)]
    assert runner.submitted[0] == ("tuned", 0, "tuned seed 0", "study")
    assert "1 could not be queued now" in result.message
